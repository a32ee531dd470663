"""Verbalizers per level, colour naming, layout words, WordNet data and region detection on known inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from multicap.describe.colours import dominant_colours, image_colour_attributes, srgb_to_lab
from multicap.describe.places import SETTINGS
from multicap.describe.regions import (
    KIN_CLASSES,
    KIN_HOPS,
    Detection,
    RegionConfig,
    best_guess,
    detect_regions,
    without_nested_kin,
)
from multicap.describe.verbalize import (
    GUESS,
    list_verbalizers,
    object_phrase,
    plural,
    verbalize,
    with_article,
)
from multicap.encoders import imagenet_labels
from multicap.errors import UnknownNameError
from multicap.facts import Relation, SceneFacts, SceneObject
from multicap.facts.geometry import chain_relations, position_of, relation_between, size_of
from multicap.text.imagenet import imagenet_concepts, related_classes


def _facts() -> SceneFacts:
    dog = SceneObject(
        "golden retriever",
        0.9,
        (0.0, 0.3, 0.4, 0.9),
        {"colour": "brown", "size": "large", "position": "left"},
    )
    ball = SceneObject(
        "tennis ball", 0.6, (0.7, 0.6, 0.8, 0.7), {"colour": "yellow", "size": "small", "position": "right"}
    )
    attrs = {"brightness": "bright", "colourfulness": "colourful", "orientation": "landscape"}
    attrs |= {"palette": "blue, brown", "setting": "seashore"}
    return SceneFacts([dog, ball], [Relation(1, "right of", 0)], attrs)


def test_object_level_counts_and_names() -> None:
    facts = _facts()
    facts.objects.append(SceneObject("tennis ball", 0.5, (0.8, 0.1, 0.9, 0.2), {"position": "top right"}))
    assert verbalize(facts, "object") == "a golden retriever and two tennis balls"


def test_attribute_level_says_size_colour_and_the_image() -> None:
    text = verbalize(_facts(), "attribute")
    assert text.startswith("a large brown golden retriever, a small yellow tennis ball; ")
    assert "a bright, colourful landscape image in blue and brown" in text


def test_attribute_level_counts_things_described_alike() -> None:
    """A group photo's people are "two people in gray", not the same phrase twice; people in a garment
    wear its plural, in its colour; a thing described otherwise stays apart."""

    def person(colour: str, wearing: str | None = None) -> SceneObject:
        attributes = {"colour": colour, "size": "medium", "position": "centre"}
        return SceneObject(
            "person", 0.9, (0.4, 0.2, 0.6, 0.9), attributes | ({"wearing": wearing} if wearing else {})
        )

    ball = SceneObject("tennis ball", 0.6, (0.7, 0.6, 0.8, 0.7), {"colour": "yellow", "size": "small"})
    objects = [person("gray"), person("black"), person("gray"), ball, ball, person("blue", "academic gown")]
    objects.append(person("blue", "academic gown"))
    assert verbalize(SceneFacts(objects, [], {}), "attribute") == (
        "two people in gray, a person in black, two small yellow tennis balls, "
        "two people in blue academic gowns"
    )


def test_attribute_level_says_how_near_people_are_and_no_size_of_stuff() -> None:
    """A person's size in the frame is how near they are ("a large person" would read as a heavy one); the
    sky, grass, trees and foliage take no size."""

    def thing(label: str, size: str, colour: str) -> SceneObject:
        return SceneObject(label, 0.9, (0.1, 0.1, 0.9, 0.9), {"colour": colour, "size": size})

    objects = [
        thing("person", "large", "black"),
        thing("person", "small", "red"),
        thing("person", "small", "red"),
    ]
    objects += [
        thing("dog", "small", "brown"),
        thing("grass", "large", "green"),
        thing("sky", "medium", "blue"),
    ]
    assert verbalize(SceneFacts(objects, [], {}), "attribute") == (
        "a nearby person in black, two distant people in red, a small brown dog, green grass, a blue sky"
    )


def test_layout_level_says_positions_relations_and_setting() -> None:
    text = verbalize(_facts(), "layout")
    assert text == (
        "a golden retriever on the left, a tennis ball to the right of it on the right; on a seashore"
    )


def test_layout_level_says_people_found_together_as_one_group() -> None:
    """ "two people on the left" (the issue's example), then the next thing by where it is, then relations."""

    def thing(label: str, box: tuple[float, float, float, float]) -> SceneObject:
        return SceneObject(label, 0.9, box, {"position": position_of(box)})

    pair = [thing("person", (0.0, 0.3, 0.2, 0.9)), thing("person", (0.1, 0.4, 0.3, 0.8))]
    van = thing("minivan", (0.6, 0.0, 1.0, 0.3))
    truck = thing("garbage truck", (0.6, 0.6, 1.0, 0.95))
    objects = [*pair, van, truck]
    facts = SceneFacts(objects, chain_relations(objects), {})
    assert verbalize(facts, "layout") == (
        "two people on the left, a minivan in the top right corner, a garbage truck below it in the bottom "
        "right corner"
    )
    apart = [thing("person", (0.0, 0.3, 0.2, 0.9)), thing("person", (0.45, 0.4, 0.55, 0.6))]
    assert verbalize(SceneFacts(apart, chain_relations(apart), {}), "layout") == (
        "two people on the left and in the centre"
    )
    boxes = [(0.8, 0.4, 0.9, 0.6), (0.0, 0.3, 0.2, 0.9), (0.45, 0.7, 0.55, 0.9), (0.4, 0.4, 0.5, 0.6)]
    spread = [thing("person", box) for box in boxes]  # left to right, and where three places or more
    assert verbalize(SceneFacts(spread, chain_relations(spread), {}), "layout") == (
        "four people across the image"  # was "on the right, on the left, at the bottom and in the centre"
    )
    column = [thing("person", (0.0, y, 0.2, y + 0.1)) for y in (0.0, 0.45, 0.9)]
    assert verbalize(SceneFacts(column, chain_relations(column), {}), "layout") == "three people on the left"
    sides = [thing("person", (0.8, 0.4, 1.0, 0.6)), thing("person", (0.0, 0.4, 0.2, 0.6))]
    assert verbalize(SceneFacts(sides, chain_relations(sides), {}), "layout").startswith(
        "two people on the left and on the right"  # read from left to right, whichever was found first
    )
    alone = [thing("person", (0.0, 0.3, 0.2, 0.9)), van]  # one person: said as any object, but not as "it"
    assert verbalize(SceneFacts(alone, chain_relations(alone), {}), "layout").startswith(
        "a person on the left, a minivan to the right of them"
    )


def test_layout_level_gives_no_place_to_what_surrounds_or_spreads() -> None:
    """A thing around the one before it, or the sky (grass, trees, foliage) centred, has no place of its own:
    "foliage around it", not "foliage around it in the centre"; a thing elsewhere keeps its place."""

    def thing(label: str, box: tuple[float, float, float, float]) -> SceneObject:
        return SceneObject(label, 0.9, box, {"position": position_of(box)})

    bug = thing("ladybug", (0.7, 0.4, 0.8, 0.5))
    leaves = thing("foliage", (0.0, 0.0, 1.0, 1.0))
    around = SceneFacts([bug, leaves], [Relation(1, "around", 0)], {})
    assert verbalize(around, "layout") == "a ladybug on the right, foliage around it"
    house = thing("monastery", (0.3, 0.3, 0.7, 0.7))
    sky = thing("sky", (0.0, 0.0, 1.0, 0.9))
    assert verbalize(SceneFacts([house, sky], [Relation(1, "next to", 0)], {}), "layout") == (
        "a monastery in the centre, the sky next to it"
    )
    high = thing("sky", (0.0, 0.0, 1.0, 0.3))
    assert verbalize(SceneFacts([house, high], [Relation(1, "above", 0)], {}), "layout") == (
        "a monastery in the centre, the sky above it at the top"
    )


def test_caption_level_is_one_sentence() -> None:
    assert (
        verbalize(_facts(), "caption") == "A brown golden retriever and a yellow tennis ball on a seashore."
    )


def test_caption_counts_alike_things_and_people_as_a_group_and_names_a_place_once() -> None:
    def thing(label: str, colour: str) -> SceneObject:
        attrs = {"colour": colour, "size": "medium", "position": "center"}
        return SceneObject(label, 0.9, (0.4, 0.4, 0.6, 0.6), attrs)

    pair = [thing("person", "black"), thing("person", "black"), thing("rugby ball", "black")]
    # the comma: "in black and a black rugby ball" read as what they wear
    assert verbalize(SceneFacts(pair, [], {}), "caption") == "Two people in black, and a black rugby ball."
    five = [thing("person", c) for c in ("black", "gray", "white", "red", "blue")] + [thing("minivan", "red")]
    assert verbalize(SceneFacts(five, [], {}), "caption") == "Five people and a red minivan."
    church = [thing("church", "gray"), thing("sky", "blue")]
    facts = SceneFacts(church, [Relation(1, "above", 0)], {"setting": "church"})
    assert verbalize(facts, "caption") == "A gray church and a blue sky."  # not "... at a church"
    assert not verbalize(facts, "layout").endswith("church")
    bridge = SceneFacts([thing("suspension bridge", "white")], [], {"setting": "seashore"})
    assert verbalize(bridge, "caption") == "A white suspension bridge on a seashore."


def test_empty_facts_and_unknown_level() -> None:
    assert "nothing" in verbalize(SceneFacts(), "object")
    assert set(list_verbalizers()) >= {"object", "attribute", "layout", "caption"}
    with pytest.raises(UnknownNameError, match="no verbalizer for level 'colour'"):
        verbalize(SceneFacts(), "colour")


def test_names_plural_in_form_take_no_article() -> None:
    """ImageNet's "parallel bars" and "sunglasses" are plural in form: never "a parallel bars"; its "hay"
    and "chain mail" are stuff: never "a hay"."""
    bars = SceneObject("parallel bars", 0.8, (0.2, 0.2, 0.8, 0.8), {"colour": "brown", "position": "center"})
    rail = SceneObject("bannister", 0.6, (0.2, 0.8, 0.8, 1.0), {"colour": "gray", "position": "bottom"})
    facts = SceneFacts([bars, rail], chain_relations([bars, rail]), {})
    assert verbalize(facts, "object") == "parallel bars and a bannister"
    assert verbalize(facts, "attribute") == "brown parallel bars, a gray bannister"
    assert verbalize(facts, "layout").startswith("parallel bars in the centre, a bannister below it")
    assert with_article("thatch") == "thatch" and with_article("rapeseed") == "rapeseed"  # not "a thatch"
    hay = SceneObject("hay", 0.7, (0.0, 0.5, 1.0, 1.0), {"colour": "yellow", "position": "bottom"})
    acorn = SceneObject("acorn", 0.6, (0.4, 0.4, 0.5, 0.5), {"colour": "brown", "position": "center"})
    assert verbalize(SceneFacts([hay, acorn], [], {}), "object") == "hay and an acorn"  # stuff, a thing


def test_a_garment_the_classifier_is_unsure_of_is_said_as_a_guess() -> None:
    """ "a person in a kimono" (0.31: a Hawaiian shirt) and "in a football helmet" (0.32: a spacesuit's)
    had been said as facts."""
    sure = {"colour": "gray", "wearing": "military uniform", "position": "center"}
    unsure = {"colour": "black", "wearing": "kimono", "wearing_certainty": GUESS, "position": "right"}
    people = [
        SceneObject("person", 0.9, (0.0, 0.0, 0.5, 1.0), sure),
        SceneObject("person", 0.8, (0.5, 0.0, 1.0, 1.0), unsure),
    ]
    said = verbalize(SceneFacts(people, [], {}), "attribute")
    assert said == "a person in a gray military uniform, a person in what may be a black kimono"
    # (the garment in the colour of what they wear: "a person in a poncho" had lost her black)


def test_a_name_that_says_a_colour_is_not_coloured_twice() -> None:
    """ "a large orange and yellow orange", "a medium red and orange yellow lady's slipper" had been said."""
    from multicap.describe.colours import COLOUR_PROTOTYPES
    from multicap.describe.verbalize import COLOUR_WORDS

    assert set(COLOUR_PROTOTYPES) <= COLOUR_WORDS
    orange = SceneObject(
        "orange", 0.9, (0.2, 0.2, 0.8, 0.8), {"colour": "orange and yellow", "size": "large"}
    )
    slipper = SceneObject("yellow lady's slipper", 0.5, (0.0, 0.0, 0.5, 0.5), {"colour": "red and orange"})
    fox = SceneObject("red fox", 0.8, (0.5, 0.5, 1.0, 1.0), {"colour": "brown"})
    dog = SceneObject("dog", 0.8, (0.5, 0.5, 1.0, 1.0), {"colour": "brown"})
    said = verbalize(SceneFacts([orange, slipper, fox, dog], [], {}), "attribute")
    whale = SceneObject("grey whale", 0.8, (0.0, 0.5, 0.5, 1.0), {"colour": "gray and white"})
    assert object_phrase(whale) == "grey whale" and object_phrase(orange, n=3) == "large oranges"  # a review
    slipper_said = "a yellow lady's slipper coloured red and orange"
    assert said == f"a large orange, {slipper_said}, a red fox coloured brown, a brown dog"


@pytest.mark.parametrize(
    ("noun", "said"),
    [
        ("unicycle", "a unicycle"),  # by the first letter these had been "an unicycle", "an European fire
        ("European fire salamander", "a European fire salamander"),  # salamander", "a hourglass"
        ("hourglass", "an hourglass"),
        ("uniform", "a uniform"),
        ("ewe", "a ewe"),
        ("one-armed bandit", "a one-armed bandit"),
        ("umbrella", "an umbrella"),
        ("urn", "an urn"),
        ("hog", "a hog"),
        ("Egyptian cat", "an Egyptian cat"),
        ("X-ray", "an X-ray"),
        ("T-shirt", "a T-shirt"),
    ],
)
def test_the_article_follows_the_sound_of_the_first_word(noun: str, said: str) -> None:
    assert with_article(noun) == said


@pytest.mark.parametrize(
    ("noun", "many"),
    [
        ("tennis ball", "tennis balls"),
        ("espresso", "espressos"),
        ("daisy", "daisies"),
        ("sunglasses", "sunglasses"),  # plural in form: as it is
        ("fox or cat", "foxes or cats"),  # one animal read two ways, twice (had been "fox or cats")
    ],
)
def test_plural(noun: str, many: str) -> None:
    assert plural(noun) == many


def test_positions_sizes_and_relations() -> None:
    assert position_of((0.0, 0.0, 0.2, 0.2)) == "top left"
    assert position_of((0.4, 0.4, 0.6, 0.6)) == "center"
    assert position_of((0.8, 0.8, 1.0, 1.0)) == "bottom right"
    assert size_of((0, 0, 0.2, 0.2)) == "small" and size_of((0, 0, 1, 0.8)) == "large"
    assert relation_between((0.6, 0.4, 0.8, 0.6), (0.1, 0.4, 0.3, 0.6)) == "right of"
    assert relation_between((0.4, 0.0, 0.6, 0.2), (0.4, 0.7, 0.6, 0.9)) == "above"
    assert relation_between((0.3, 0.4, 0.5, 0.6), (0.52, 0.4, 0.7, 0.6)) == "next to"
    assert relation_between((0.0, 0.0, 1.0, 1.0), (0.4, 0.4, 0.6, 0.6), around=True) == "around"
    assert relation_between((0.0, 0.0, 1.0, 1.0), (0.4, 0.4, 0.6, 0.6)) == "next to"  # scenes never nest
    objs = [SceneObject("a", box=(0.0, 0.0, 0.2, 0.2)), SceneObject("b", box=(0.0, 0.7, 0.2, 0.9))]
    assert chain_relations(objs) == [Relation(1, "below", 0)]


def test_colour_names_in_lab() -> None:
    assert np.allclose(srgb_to_lab(np.array([255, 255, 255])), [100, 0, 0], atol=0.5)
    pixels = np.array([[220, 30, 30]] * 6 + [[30, 60, 220]] * 3 + [[128, 128, 128]])
    assert [n for n, _ in dominant_colours(pixels)] == ["red", "blue"]
    for rgb, name in [((250, 250, 250), "white"), ((10, 10, 10), "black"), ((40, 170, 60), "green")]:
        assert dominant_colours(np.array([rgb]))[0][0] == name


def test_image_attributes() -> None:
    grey = np.full((32, 32, 3), 170, dtype=np.uint8)
    attrs = image_colour_attributes(grey)
    assert attrs == {"brightness": "bright", "colourfulness": "black and white", "palette": "gray"}
    vivid = np.zeros((32, 32, 3), dtype=np.uint8)
    vivid[:, :16] = (230, 20, 20)
    vivid[:, 16:] = (20, 20, 230)
    attrs = image_colour_attributes(vivid)
    assert attrs["colourfulness"] == "colourful" and attrs["palette"] == "red, blue"


def test_wordnet_data_covers_imagenet() -> None:
    concepts = imagenet_concepts()
    assert len(concepts) == 1000 and [c.name for c in concepts] == list(imagenet_labels())
    retriever = concepts[207]
    assert retriever.name == "golden retriever" and retriever.wnid == "n02099601"
    assert {"dog", "canine", "carnivore", "mammal", "animal"} <= set(retriever.tags)
    assert "entity" in retriever.hypernyms and "entity" not in retriever.tags
    assert all(c.wnid.startswith("n") and c.hypernyms[-1] == "entity" for c in concepts)
    related = related_classes()
    names = {c.name: c.index for c in concepts}
    assert related[names["tabby"], names["tiger cat"]] and related[207, names["Labrador retriever"]]
    assert not related[names["tricycle"], names["missile"]]
    assert all(name in names for name in SETTINGS)


def test_tags_follow_every_hypernym_path_nearest_first() -> None:
    """WordNet gives some synsets two hypernyms (a house is a dwelling and a building; a gallinaceous bird
    is a bird, and game): the first-hypernym chain alone missed "building" for a palace and "bird" for a
    black grouse. Tags keep every path, each after everything below it."""
    by_name = {c.name: c for c in imagenet_concepts()}
    assert "building" in by_name["palace"].tags and "building" not in by_name["palace"].hypernyms
    assert "bird" in by_name["black grouse"].tags and "bird" not in by_name["black grouse"].hypernyms
    for concept in imagenet_concepts():  # the chain's order is kept, and no tag is said twice
        tags = concept.tags
        assert [t for t in tags if t in concept.hypernyms] == [h for h in concept.hypernyms if h in tags]
        assert len(set(tags)) == len(tags)
    retriever = by_name["golden retriever"].tags
    assert retriever.index("dog") < retriever.index("mammal") < retriever.index("animal")
    assert retriever.index("domestic animal") < retriever.index("animal")


def test_regions_find_and_box_a_class_in_one_corner() -> None:
    """A class strong in the top-left cells and another in the bottom-right: two boxed objects."""
    cam = torch.zeros(1000, 7, 7)
    cam[3, :3, :3] = 40.0
    cam[500, 4:, 4:] = 40.0
    related = torch.eye(1000)
    found = detect_regions(cam, related, torch.zeros(1000, dtype=torch.bool), RegionConfig())
    assert sorted(d.cls for d in found) == [3, 500]
    by_cls = {d.cls: d for d in found}
    assert position_of(by_cls[3].box) == "top left"
    assert position_of(by_cls[500].box) == "bottom right"
    excluded = torch.zeros(1000, dtype=torch.bool)
    excluded[500] = True
    assert [d.cls for d in detect_regions(cam, related, excluded, RegionConfig())] == [3]


def test_a_thing_of_one_kind_boxed_inside_a_surer_one_is_the_same_thing() -> None:
    """ "a moped and a motor scooter" for one motorcycle, "a cab and a minivan" for one car: a detection
    mostly inside a surer one's box, of the same kind, is that one read twice; a bee on a daisy stays."""
    names = {c.name: c.index for c in imagenet_concepts()}
    kin = related_classes(KIN_HOPS, KIN_CLASSES)
    mask = np.zeros((28, 28), dtype=bool)

    def det(name: str, confidence: float, box: tuple[float, float, float, float]) -> Detection:
        return Detection(names[name], confidence, box, mask)

    moped = det("moped", 0.62, (0.1, 0.1, 0.9, 0.9))
    scooter = det("motor scooter", 0.36, (0.2, 0.2, 0.8, 0.85))
    assert without_nested_kin([moped, scooter], kin) == [moped]
    beside = det("motor scooter", 0.36, (0.5, 0.1, 1.0, 0.9))  # half outside: another one
    assert without_nested_kin([moped, beside], kin) == [moped, beside]
    daisy, bee = det("daisy", 0.6, (0.0, 0.0, 1.0, 1.0)), det("bee", 0.28, (0.3, 0.3, 0.6, 0.6))
    assert without_nested_kin([daisy, bee], kin) == [daisy, bee]
    cat = det("tabby", 0.46, (0.2, 0.2, 0.8, 0.8))  # a dog breed and a cat: an unsure reading, said so
    assert without_nested_kin([det("Japanese spaniel", 0.48, (0.0, 0.0, 1.0, 1.0)), cat], kin)[1] == cat
    # Animals are kin only where the one inside is weak: one black dog in a forest had been "a dog, a
    # Labrador retriever and a schipperke"; a sure second dog inside a first's box is a second dog.
    none = np.zeros_like(kin)
    dog = det("Labrador retriever", 0.39, (0.1, 0.2, 0.75, 0.8))
    inside = (0.3, 0.2, 0.7, 0.45)
    weak, sure = det("schipperke", 0.27, inside), det("schipperke", 0.35, inside)
    assert without_nested_kin([dog, weak], none, weak_kin=kin) == [dog]
    assert without_nested_kin([dog, sure], none, weak_kin=kin) == [dog, sure]
    assert without_nested_kin([daisy, bee], none, weak_kin=kin) == [daisy, bee]


def test_one_region_read_as_two_things_is_the_surer_one() -> None:
    """ "a daisy and a bee" for a daisy alone (the bee's box the daisy's), "a lighter and a whistle" for one
    eraser: whatever the classes, a box nearly a surer one's is that one read twice; a bee on it stays."""
    from multicap.describe.regions import without_twins

    mask = np.zeros((28, 28), dtype=bool)
    daisy = Detection(985, 0.74, (0.0, 0.0, 1.0, 1.0), mask)
    twin = Detection(309, 0.29, (0.0, 0.05, 1.0, 1.0), mask)  # IoU 0.95
    bee = Detection(309, 0.28, (0.3, 0.3, 0.6, 0.6), mask)  # one of its own: IoU 0.09
    assert without_twins([daisy, twin]) == [daisy] and without_twins([daisy, bee]) == [daisy, bee]


def test_nothing_confident_gives_a_hedged_best_guess_and_nothing_only_when_nothing() -> None:
    """Below the detector's confidence the whole image's best class is said as a guess ("perhaps ..."),
    with its low confidence; "nothing recognised" only when even that is below the guess floor."""
    related, none = torch.eye(1000), torch.zeros(1000, dtype=torch.bool)
    cam = torch.zeros(1000, 7, 7)
    cam[7] = 4.7  # a weak class everywhere: its probability is about 0.1, in the whole image and every window
    config = RegionConfig()
    assert detect_regions(cam, related, none, config) == []
    [guess] = best_guess(cam, related, none, config)
    assert guess.cls == 7 and config.guess_floor <= guess.confidence < config.min_confidence
    assert best_guess(torch.zeros(1000, 7, 7), related, none, config) == []  # uniform: nothing at all
    obj = SceneObject("cock", guess.confidence, guess.box, {"position": "center", "certainty": GUESS})
    facts = SceneFacts([obj], [], {})
    assert verbalize(facts, "object") == "perhaps a cock"
    assert verbalize(facts, "caption").startswith("Perhaps a cock")
    assert verbalize(SceneFacts(), "object") == "nothing recognised"
    trees = SceneObject("trees", 1.0, (0, 0, 1, 1), {"position": "center", "found_by": "pixels"})
    assert verbalize(SceneFacts([obj, trees], [], {}), "object") == "perhaps a cock and trees"  # the guess
    sure = SceneObject("cock", 0.9, guess.box, {"position": "center"})
    assert verbalize(SceneFacts([sure, trees], [], {}), "object") == "a cock and trees"


def test_the_grounded_describer_says_nothing_on_a_blank_image(tmp_path) -> None:
    from PIL import Image

    from multicap.describe import create_describer, describe_paths

    blank = tmp_path / "gray.png"
    Image.new("RGB", (64, 48), (128, 128, 128)).save(blank)
    [desc] = describe_paths(create_describer("grounded"), [blank], ["object"])
    assert desc.texts["object"] == "nothing recognised" and desc.confidence == {}
    # a flat colour, and one pixel: nothing either (a flat blue had been "perhaps a bird", a red pixel
    # "perhaps velvet"), and the image "plain", not "black and white" (a blank white one had been)
    flats = [(tmp_path / "blue.png", (120, 160, 200), 200), (tmp_path / "red.png", (200, 30, 30), 1),
             (tmp_path / "white.png", (255, 255, 255), 100)]  # fmt: skip
    for path, colour, side in flats:
        Image.new("RGB", (side, side), colour).save(path)
    described = describe_paths(create_describer("grounded"), [p for p, _, _ in flats], ["attribute"])
    said = [d.texts["attribute"] for d in described]
    assert said == [
        "nothing recognised; a bright, plain square image in blue",
        "nothing recognised; a moderately bright, plain square image in red",
        "nothing recognised; a bright, plain square image in white",
    ]


def test_a_crowds_faint_figures_are_counted_as_at_least_so_many() -> None:
    """Tourists before a gate found as faint figures (`describe.figures._crowd`): "at least three people",
    for more may be there; people found one by one are counted as they are."""

    def person(x: float, found_by: str) -> SceneObject:
        box = (x, 0.7, x + 0.05, 0.9)
        return SceneObject("person", 0.5, box, {"position": position_of(box), "found_by": found_by})

    arch = SceneObject("triumphal arch", 0.8, (0.2, 0.1, 0.8, 0.7), {"position": "center"})
    crowd = [person(x, "figure") for x in (0.4, 0.45, 0.55)] + [arch]
    facts = SceneFacts(crowd, chain_relations(crowd), {})
    assert verbalize(facts, "object") == "at least three people and a triumphal arch"
    assert verbalize(facts, "layout").startswith("at least three people at the bottom, a triumphal arch")
    assert verbalize(facts, "caption").startswith("At least three ")
    assert verbalize(facts, "attribute").startswith("at least three people, a triumphal arch")
    counted = [person(x, "body") for x in (0.3, 0.45, 0.6)] + [arch]
    assert verbalize(SceneFacts(counted, [], {}), "object") == "three people and a triumphal arch"


def test_a_person_takes_the_article_whatever_they_wear() -> None:
    """The article is the person's, not their clothes' ("person in what may be swimming trunks" had been
    said: trunks, plural, take none)."""
    assert with_article("person in what may be swimming trunks") == "a person in what may be swimming trunks"
    assert with_article("nearby person in sunglasses") == "a nearby person in sunglasses"
    assert with_article("sunglasses") == "sunglasses"


def test_one_animal_read_as_two_of_other_kinds_is_said_as_either() -> None:
    """A kitten had been "a fox and a cat", another "a dog and a cat": an animal mostly inside a surer
    one's box, of another kind, is a rival reading of it (said "a fox or cat"); two of one kind (two
    spoonbills, two dogs), an animal beside another, and a bee on a daisy stay two."""
    from multicap.describe.regions import rival_readings

    concepts = imagenet_concepts()
    names = {c.name: c.index for c in concepts}
    animal = np.array(["animal" in (c.ancestors or c.hypernyms) for c in concepts])
    kin = related_classes(KIN_HOPS, KIN_CLASSES)
    mask = np.zeros((28, 28), dtype=bool)

    def det(name: str, confidence: float, box: tuple[float, float, float, float]) -> Detection:
        return Detection(names[name], confidence, box, mask)

    fox, cat = det("red fox", 0.64, (0.21, 0.18, 0.75, 0.79)), det("tabby", 0.47, (0.29, 0.57, 0.71, 0.89))
    assert rival_readings([fox, cat], animal, kin) == ([fox], {0: cat})  # 0.67 of the cat's box inside
    beside = det("tabby", 0.47, (0.6, 0.2, 1.0, 0.9))  # a cat beside the fox: two animals
    assert rival_readings([fox, beside], animal, kin) == ([fox, beside], {})
    spoonbill, flamingo = (
        det("spoonbill", 0.77, (0.0, 0.0, 1.0, 1.0)),
        det("flamingo", 0.39, (0.2, 0.2, 0.6, 0.6)),
    )
    assert rival_readings([spoonbill, flamingo], animal, kin) == ([spoonbill, flamingo], {})  # one kind
    daisy, bee = det("daisy", 0.6, (0.0, 0.0, 1.0, 1.0)), det("bee", 0.28, (0.3, 0.3, 0.6, 0.6))
    assert rival_readings([daisy, bee], animal, kin) == ([daisy, bee], {})  # a daisy is no animal
    hare = det("hare", 0.3, (0.3, 0.3, 0.7, 0.7))  # a third reading of it: unsaid, the surer rival said
    assert rival_readings([fox, cat, hare], animal, kin) == ([fox], {0: cat})
