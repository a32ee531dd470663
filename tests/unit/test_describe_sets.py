"""Set summaries on known facts: what all share, what most share, what sets each image apart."""

from __future__ import annotations

from pathlib import Path

from multicap.describe import Description
from multicap.describe.summary import image_features, summarize_set
from multicap.facts import Relation, SceneFacts, SceneObject

_CAT_TAGS = "domestic cat, cat, feline, carnivore, mammal, animal"
_DOG_TAGS = "retriever, sporting dog, hunting dog, dog, canine, carnivore, mammal, animal"


def _obj(label: str, tags: str, colour: str, position: str) -> SceneObject:
    return SceneObject(
        label, 0.9, (0.3, 0.3, 0.6, 0.6), {"colour": colour, "position": position, "tags": tags}
    )


def _desc(name: str, objects: list[SceneObject], **attrs: str) -> Description:
    rels = [Relation(1, "right of", 0)] if len(objects) > 1 else []
    return Description(Path(name), SceneFacts(objects, rels, dict(attrs)))


def _set() -> list[Description]:
    return [
        _desc(
            "a.jpg", [_obj("tabby", _CAT_TAGS, "brown", "center")], brightness="bright", setting="seashore"
        ),
        _desc("b.jpg", [_obj("tiger cat", _CAT_TAGS, "brown", "center")], brightness="bright"),
        _desc(
            "c.jpg",
            [
                _obj("Persian cat", _CAT_TAGS, "white", "left"),
                _obj("golden retriever", _DOG_TAGS, "brown", "right"),
            ],
            brightness="dark",
        ),
    ]


def test_object_level_shares_the_most_specific_hypernym() -> None:
    s = summarize_set(_set(), "object")
    assert s.n_images == 3 and s.shared == ["domestic cat"]
    assert s.distinct["c.jpg"] == ["Persian cat", "golden retriever"]
    assert s.distinct["a.jpg"] == ["tabby"]
    assert "all 3 images: domestic cat" in s.text


def test_attribute_level_counts_most_and_distinct_looks() -> None:
    s = summarize_set(_set(), "attribute")
    assert ("bright", 2) in s.common
    assert ("brown domestic cat", 2) in s.common
    assert "dark" in s.distinct["c.jpg"] and "white Persian cat" in s.distinct["c.jpg"]


def test_layout_level_has_positions_relations_and_setting() -> None:
    s = summarize_set(_set(), "layout")
    assert "on a seashore" in s.distinct["a.jpg"]
    assert "golden retriever right of Persian cat" in s.distinct["c.jpg"]
    assert ("domestic cat in the centre", 2) in s.common
    feats = image_features(_set()[2].facts, "layout")  # type: ignore[arg-type]
    assert {"golden retriever on the right", "Persian cat on the left"} <= feats


def test_scene_facts_without_tags_and_a_single_image() -> None:
    red = SceneObject("circle", attributes={"colour": "red", "size": "small"})
    blue = SceneObject("square", attributes={"colour": "blue", "size": "large"})
    descs = [
        _desc("1.png", [red, blue], background="stripes"),
        _desc("2.png", [red], background="stripes"),
    ]
    s = summarize_set(descs, "attribute")
    assert s.shared == ["circle", "red circle", "small circle", "stripes background"]
    assert s.distinct["2.png"] == [] and "blue square" in s.distinct["1.png"]
    one = summarize_set(descs[:1], "object")
    assert one.shared == [] and one.text == "one image: nothing to compare"
    assert s.to_dict()["common"] == [] and s.to_dict()["type"] == "set"


def test_a_tag_that_repeats_the_label_does_not_hide_it() -> None:
    """A detected person is labelled "person" and tagged "person, people, human": the shared feature is
    "person" (it once implied itself and vanished from every summary)."""
    people = "person, people, human"
    descs = [
        _desc("a.jpg", [_obj("person", people, "blue", "left"), _obj("mobile home", "", "white", "center")]),
        _desc("b.jpg", [_obj("person", people, "red", "right"), _obj("mobile home", "", "white", "center")]),
        _desc("c.jpg", [_obj("sundial", "", "gray", "center")]),
    ]
    s = summarize_set(descs[:2], "object")
    assert s.shared == ["mobile home", "person"]
    assert summarize_set(descs, "object").common == [("mobile home", 2), ("person", 2)]


def test_people_are_featured_by_what_they_wear_never_by_a_colour_before_them() -> None:
    """A person's colour is their clothes: "person in black", never "black person" or "black face"; the
    sky takes no size."""
    tags = {"tags": "person, people, human, face"}
    person = SceneObject(
        "person", box=(0.1, 0.0, 0.9, 1.0), attributes={"colour": "black", "size": "large"} | tags
    )
    sky = SceneObject("sky", box=(0.0, 0.0, 1.0, 0.3), attributes={"colour": "blue", "size": "medium"})
    features = image_features(SceneFacts([person, sky]), "attribute")
    assert {"person in black", "nearby person", "face", "blue sky"} <= features
    assert not {"black person", "black face", "large person", "medium sky"} & features


def test_the_orientation_is_said_as_a_format() -> None:
    """A bare "landscape" or "portrait" in a set's label reads as what the photos show."""
    facts = SceneFacts([], image_attributes={"orientation": "portrait", "brightness": "dark"})
    features = image_features(facts, "attribute")
    assert {"portrait format", "dark"} <= features and "portrait" not in features


def test_an_object_named_in_anothers_tags_is_still_said() -> None:
    """A bell cote's tags name the church it stands on: the church beside it was dropped as implied."""
    church, cote = (
        _obj("church", "place of worship, building", "gray", "center"),
        _obj("bell cote", "church, shelter", "gray", "top"),
    )
    summary = summarize_set(
        [_desc("a", [church, cote]), _desc("b", [_obj("dog", "canine", "brown", "center")])]
    )
    assert {"church", "bell cote"} <= set(summary.distinct["a"])


def test_a_setting_is_a_feature_only_where_the_texts_say_it() -> None:
    """A suspension bridge filling the photo is its object, and no text adds "by a bridge": the set's
    summary listed "by a bridge" for it all the same."""
    bridge = _obj("suspension bridge", "bridge, structure", "white", "center")
    said = SceneFacts([bridge], image_attributes={"setting": "suspension bridge"})
    assert "by a bridge" not in image_features(said, "layout")
    boat = _obj("canoe", "boat, vessel", "red", "center")
    assert "by a lake" in image_features(
        SceneFacts([boat], image_attributes={"setting": "lakeside"}), "layout"
    )


def test_a_guess_stays_hedged_in_the_set_summary() -> None:
    """ "perhaps a monkey (0.13)" had become "only b.jpg: monkey, monkey in the centre" in the summary; a
    guess is named, hedged, and no more ("perhaps medium garbage truck" had labelled a cluster)."""
    guess = _obj("monkey", "primate, mammal, animal", "brown", "center")
    guess.attributes["certainty"] = "guess"
    descs = [_desc("a.jpg", [_obj("tabby", _CAT_TAGS, "brown", "center")]), _desc("b.jpg", [guess])]
    assert "perhaps monkey" in image_features(descs[1].facts, "object")
    assert "monkey" not in image_features(descs[1].facts, "object")
    only = summarize_set(descs, "layout").distinct["b.jpg"]
    assert only == ["perhaps monkey"]
    again = _obj("monkey", "primate, mammal, animal", "brown", "left")
    again.attributes["certainty"] = "guess"
    some = summarize_set([*descs, _desc("c.jpg", [again]), _desc("d.jpg", [])], "object").some
    assert some == [], some  # two guesses of a monkey are not "some: monkey (2 of 4)" (a review)


def test_a_thing_only_one_image_shows_is_said_once_in_the_text() -> None:
    """ "only fish28.jpg: puffer, cyan and gray puffer, large puffer, puffer in the centre" (a walkthrough):
    the text names the thing once; the JSON keeps every feature."""
    descs = [
        _desc("a.jpg", [_obj("tabby", _CAT_TAGS, "brown", "center")]),
        _desc("b.jpg", [_obj("puffer", "fish, animal", "cyan and gray", "center")]),
    ]
    summary = summarize_set(descs, "layout")
    assert {"puffer", "puffer in the centre"} <= set(summary.distinct["b.jpg"])
    line = next(x for x in summary.text.splitlines() if x.startswith("only b.jpg"))
    assert line.startswith("only b.jpg: puffer") and line.count("puffer") == 1, line


def test_what_several_show_but_not_most_is_said_with_counts() -> None:
    """Four dogs and four people had read "all 8 images: nothing in common" and each image's own features:
    nothing of what several show."""
    dogs = [_desc(f"dog{i}.jpg", [_obj("golden retriever", _DOG_TAGS, "brown", "center")]) for i in range(3)]
    labrador = _desc("dog3.jpg", [_obj("Labrador retriever", _DOG_TAGS, "black", "left")])
    people = [_desc(f"p{i}.jpg", [_obj("person", "", "gray", "center")]) for i in range(2)]
    cats = [_desc(f"cat{i}.jpg", [_obj("tabby", _CAT_TAGS, "brown", "center")]) for i in range(2)]
    s = summarize_set([*dogs, labrador, *people, *cats], "object")
    # "retriever" (4), "golden retriever" (3): "dog" is not said, as many show it as a retriever, nor "cat"
    # beside "tabby"; "carnivore" and "mammal" (6: more than half) are "most"
    assert s.some == [("retriever", 4), ("golden retriever", 3), ("person", 2), ("tabby", 2)], s.some
    assert ("carnivore", 6) in s.common
    assert "some: retriever (4 of 8), golden retriever (3 of 8)," in s.text
    assert s.to_dict()["some"][0] == {"feature": "retriever", "images": 4}


def test_a_large_sets_own_features_are_named_for_a_few_images() -> None:
    """A folder of 139 photos had printed 139 "only ..." lines under its summary: twelve, then a count."""
    descs = [_desc(f"{k:02d}.jpg", [_obj(f"thing{k}", f"kind{k}", "red", "center")]) for k in range(14)]
    text = summarize_set(descs, "object").text
    assert text.count("\nonly ") == 12 and "... and 2 more images, each with what only it shows" in text
    assert len(summarize_set(descs, "object").distinct) == 14  # all of them in the JSON
