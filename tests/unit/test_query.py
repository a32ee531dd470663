"""Query understanding through WordNet 3.0: every noun reaches the classes the model sees, colours bind to
their noun, and a word that reaches nothing is named with its nearest concepts (people, the sky, looks and
containers: test_query_parts.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from multicap.text.imagenet import imagenet_concepts
from multicap.text.wordnet import open_wordnet
from tests.unit.wordnet_reach import NAMES, NEEDS_WORDNET, reached

pytestmark = NEEDS_WORDNET


def test_the_reader_finds_lemmas_their_base_forms_and_relations() -> None:
    wn = open_wordnet()
    [goose, *_] = wn.synsets("geese")  # the exception list: geese -> goose
    assert goose.name == "goose" and goose.wnid == "n01855672"
    assert wn.synsets("children")[0].name == "child"
    assert wn.synsets("golden retriever")[0].wnid == "n02099601"  # a two-word lemma
    assert wn.synsets("asdfgh") == [] and wn.synsets("aardvark") and wn.synsets("zymurgy")  # first and last
    [temple, *_] = wn.synsets("temple")
    assert [h.name for h in wn.related(temple, "@")] == ["place of worship"]
    assert "shore" in [h.name for h in wn.related(wn.synsets("beach")[0], "#p")]  # a beach is part of a shore


def test_a_noun_reaches_its_kinds_its_wholes_and_its_siblings() -> None:
    dog = reached("dogs")
    assert dog["golden retriever"] == 1.0 and len(dog) > 100 and "tabby" not in dog
    beach = reached("beach")  # part of a shore: the seashore and the lakeside
    assert beach["seashore"] > 0.5 and beach["lakeside"] > 0.5
    temple = reached("temple")  # no class below it: its siblings under "place of worship"
    assert {"stupa", "church", "mosque"} <= set(temple) and max(temple.values()) < 1.0
    assert reached("ladybird") == {"ladybug": 1.0}  # a synonym


def test_colours_bind_to_their_noun_and_relations_join_parts() -> None:
    from multicap.index.query import understand

    red_car = understand("a red car")
    [part] = red_car.parts
    assert part.colour == "red" and part.text == "red car" and NAMES["sports car"] in part.classes
    assert understand("a crimson car").parts[0].colour == "red"  # WordNet: crimson is a red
    scene = understand("dog on the beach")
    assert [p.text for p in scene.parts] == ["dog", "beach"] and scene.relations == ["on"]
    assert understand("red").parts[0].kind == "colour"


def test_a_number_asks_for_as_many_things() -> None:
    """ "two dogs": one dog placed is less of an answer than two, and three more than it asked for; the
    number is no unknown word."""
    from multicap.index.query import understand
    from multicap.index.satisfy import satisfaction

    meaning = understand("two dogs")
    [dogs] = meaning.parts
    assert dogs.count == 2 and not meaning.unknown and "2 of them" in dogs.how
    wnid = imagenet_concepts()[NAMES["Samoyed"]].wnid
    dog = {"label": "Samoyed", "attributes": {"wnid": wnid, "colour": "white"}}
    one, two = (
        satisfaction(meaning, {"objects": [dog]}, None),
        satisfaction(meaning, {"objects": [dog, dog]}, None),
    )
    assert 0.0 < one < two == 1.0
    assert 0.0 < satisfaction(meaning, {"objects": [dog, dog, dog]}, None) < two
    assert "3 or more" in understand("several dogs").parts[0].how  # "several": at least three
    assert satisfaction(understand("a dog"), {"objects": [dog]}, None) == 1.0
    assert [p.count for p in understand("one dog").parts] == [1] and not understand("one dog").unknown
    [alone] = understand("dozen").unknown  # a count with nothing to count is said, not silently dropped
    assert "counts nothing after it" in alone.message()


@pytest.mark.parametrize(
    ("text", "count", "exact"),
    [
        ("ten people", 10, True),  # "ten", "dozen", "12" had been unknown words, the query met by two
        ("12 people", 12, True),
        ("a dozen eggs", 12, True),
        ("hundreds of birds", 5, False),
        ("a few people", 2, False),
        ("a couple of dogs", 2, False),  # had been two people and dogs
        ("a pair of shoes", 1, False),  # a pair is seen as one
        ("at least 2 dogs", 2, False),  # "least" had been an unknown word and the count exact
        ("more than three people", 4, False),  # "more" had been Sir Thomas More, a person
        ("over 5 birds", 6, False),
        ("exactly 2 cats", 2, True),
        ("about 20 people", 20, False),  # fewer score less, not nothing
        ("route 66 sign", 1, False),  # a name's number, not 66 signs
    ],
)
def test_count_words_beyond_nine_and_couple_of(text: str, count: int, exact: bool) -> None:
    from multicap.index.query import understand

    meaning = understand(text)
    [part] = meaning.parts
    assert (part.count, part.exact) == (count, exact)
    assert [u.word for u in meaning.unknown] == (["route"] if text.startswith("route") else [])


def test_a_number_after_a_word_is_a_names() -> None:
    """ "apollo 11 rocket", "windows 95 laptop": the number names, it does not count the next noun; said so.
    A number after a function word still counts ("a man with 2 dogs"), and "bird over the water" relates."""
    from multicap.index.query import understand

    meaning = understand("windows 95 laptop")
    assert [(p.text, p.count) for p in meaning.parts] == [("windows", 1), ("laptop", 1)]
    assert any("windows 95" in note and "not a count" in note for note in meaning.notes)
    assert not understand("bus 42").unknown  # "42" had counted nothing after it
    assert [p.count for p in understand("a man with 2 dogs").parts] == [1, 2]
    assert understand("a bird over the water").relations == ["over"]


def test_a_place_reaches_the_things_found_there() -> None:
    """WordNet links no kitchen to a microwave (it reached palaces and yurts, kinds of dwelling) and no
    city to a cab: a place word reaches the things photographed there, and its own kinds."""
    kitchen, city = reached("kitchen"), reached("city")
    assert kitchen["microwave"] == kitchen["refrigerator"] == 0.8 and "palace" not in kitchen
    assert {"cab", "traffic light", "street sign"} <= set(city)
    assert reached("restaurant")["restaurant"] == 1.0  # a class of its own: itself first
    assert "traffic light" not in reached("road")  # a road is not a street (a country road)
    from multicap.index.query_words import AT_PLACE
    from multicap.index.reach import place_classes

    assert all(len(place_classes(p)) == len(set(AT_PLACE[p])) for p in AT_PLACE)  # every name a class


def test_a_body_of_water_reaches_its_shores_and_boats() -> None:
    """ "water" first means the substance (it reached espresso and red wine), "sea" reached nothing (exit 1),
    "river" a hippopotamus, "pond" a pool table: every word with a sense under body_of_water.n.01 among its
    first two reaches the shores and what floats, the shores first; a harbour stays a harbour."""
    from multicap.index.query import understand

    for word in ("water", "sea", "lake", "river", "pond", "ocean"):
        got = reached(word)
        assert got["lakeside"] == got["seashore"] == got["canoe"] == 0.8, word
        assert "espresso" not in got and "hippopotamus" not in got and "pool table" not in got
        assert not understand(word).unknown
    assert understand("sea").parts[0].top(2) == [("lakeside", 0.8), ("seashore", 0.8)]
    assert "container ship" in reached("harbour") and "lakeside" not in reached("harbour")
    assert "canoe" not in reached("car")


def test_a_position_says_where_the_thing_before_it_is() -> None:
    """ "on the left" was read as a thing ("left" reached a bakery, "top" a saltshaker): it puts the part
    before it in the image's 3 × 3 grid, and a dog elsewhere meets it half; "top hat" stays a hat."""
    from multicap.index.query import understand
    from multicap.index.satisfy import satisfaction

    meaning = understand("a dog on the left")
    [dog] = meaning.parts
    assert dog.where == ("left",) and not meaning.unknown and not meaning.relations
    assert understand("a dog in the top left corner").parts[0].where == ("top", "left")
    assert understand("top hat").parts[0].where == () and understand("top hat").parts[0].text == "top hat"
    wnid = imagenet_concepts()[NAMES["Samoyed"]].wnid

    def at(position: str) -> dict[str, object]:
        return {"objects": [{"label": "Samoyed", "attributes": {"wnid": wnid, "position": position}}]}

    left, corner, right = (satisfaction(meaning, at(p), None) for p in ("left", "bottom left", "right"))
    assert left == corner == 1.0 and right == 0.5


def test_a_size_word_asks_for_the_describers_size() -> None:
    """ "a small dog" was a dog and an unknown word: now a small one meets it, a large one half."""
    from multicap.index.query import understand
    from multicap.index.satisfy import satisfaction

    meaning = understand("a big dog")
    [dog] = meaning.parts
    assert dog.size == "large" and not meaning.unknown
    wnid = imagenet_concepts()[NAMES["Samoyed"]].wnid

    def sized(size: str) -> dict[str, object]:
        return {"objects": [{"label": "Samoyed", "attributes": {"wnid": wnid, "size": size}}]}

    assert satisfaction(meaning, sized("large"), None) == 1.0
    assert satisfaction(meaning, sized("small"), None) == 0.5


@pytest.mark.parametrize(
    ("text", "parts", "relation"),
    [
        ("a woman in front of a flag", ["woman", "flag"], "in front of"),  # "front" reached a Dutch oven
        ("a man behind a camera", ["man", "camera"], "behind"),  # "behind" was an unknown word
        ("a cat next to a dog", ["cat", "dog"], "next to"),
        ("a man wearing a hat", ["man", "hat"], "wearing"),
    ],
)
def test_relations_of_several_words_and_verbs_join_parts(text: str, parts: list[str], relation: str) -> None:
    from multicap.index.query import understand

    meaning = understand(text)
    assert [p.text for p in meaning.parts] == parts and not meaning.unknown
    assert meaning.relations == [relation]


def test_a_word_that_reaches_nothing_is_named_with_its_nearest_concepts() -> None:
    from multicap.index.query import understand

    meaning = understand("a dog near asdfgh")
    assert [p.text for p in meaning.parts] == ["dog"]
    [unknown] = meaning.unknown
    assert unknown.word == "asdfgh" and "not a word WordNet 3.0 knows" in unknown.message()
    moon = understand("moon").unknown[0]  # a word WordNet knows, but no class the model sees is near it
    assert moon.word == "moon" and "not among the concepts this model sees" in moon.message()
    assert understand("beautiful").unknown[0].reason == "describes nothing this model sees"


def test_satisfaction_binds_the_colour_to_the_object() -> None:
    from multicap.index.query import understand
    from multicap.index.satisfy import satisfaction

    meaning = understand("a red car")
    car = imagenet_concepts()[NAMES["sports car"]].wnid

    def facts(colour: str) -> dict[str, object]:
        return {"objects": [{"label": "sports car", "attributes": {"wnid": car, "colour": colour}}]}

    red, gray, nothing = (
        satisfaction(meaning, f, None) for f in (facts("red"), facts("gray"), {"objects": []})
    )
    assert red == 1.0 and 0.0 < gray < 0.5 and nothing == 0.0
    probs = np.zeros(1000, np.float32)
    probs[NAMES["sports car"]] = 0.9  # the classifier saw a car, but nothing was placed
    assert 0.0 < satisfaction(meaning, {"objects": [], "image_attributes": {"palette": "red"}}, probs) < red


def test_search_names_unknown_words_and_refuses_a_query_with_none(tmp_path: Path) -> None:
    from tests.conftest import REPO, run_cli

    index = tmp_path / "idx"
    assert run_cli("index", str(REPO / "examples" / "photos"), "--index", str(index)).returncode == 0
    some = run_cli("search", "cat asdfgh", "--index", str(index), "-k", "1")
    assert some.returncode == 0 and some.stdout.strip().endswith("chelsea.jpg")
    assert '"asdfgh" is not a word WordNet 3.0 knows' in some.stderr
    none = run_cli("search", "asdfgh qwerty", "--index", str(index))
    assert none.returncode == 1 and none.stdout == ""
    refused = "error: nothing to search for in 'asdfgh qwerty'"  # the words, not the index ("dgo" blamed it)
    # a word related to nothing finds only images that say it, not its stem's: "evening" had found the
    # "even-toed ungulate"s, with no word that they are only near; "colour" asks for colourful images, as
    # --explain says (its stem had found them unsaid)
    morning = run_cli("search", "mornings", "--index", str(index))  # ("evening" asks for a sunset now)
    assert morning.returncode == 1 and "names a time" in morning.stderr, morning
    colour = run_cli("search", "colour photo", "--index", str(index), "--explain", "-k", "1")
    assert (
        colour.returncode == 0 and "understood: colour: images the describer calls colourful" in colour.stdout
    ), colour.stdout
    assert none.stderr.strip().startswith(refused) and "qwerty" in none.stderr
    for word in ("forest", "grass"):  # understood, but no example photo holds vegetation: not silence
        nothing = run_cli("search", word, "--index", str(index))
        assert nothing.returncode == 1 and nothing.stdout == ""
        said = (
            f"nothing in the index matches '{word}': no image here shows it (understood as {word}: found from"
        )
        assert said in nothing.stderr  # it had read "no image holds grass: found from the pixels: grass"
    dark = run_cli("search", "a dark photo", "--index", str(index), "-k", "5")  # how the image looks
    assert dark.returncode == 0 and not dark.stderr, dark
    lines = dark.stdout.splitlines()  # the dark one first, then the moderately bright ones
    assert lines[0].endswith("rocket.jpg") and len(lines) == 5 and float(lines[1].split()[0]) < 1.0
    grey = run_cli("search", "grey", "--index", str(index), "-k", "1")  # gray, in the describer's words
    assert grey.returncode == 0 and grey.stdout.strip().endswith("camera.jpg"), grey
    image = run_cli("search", "an image", "--index", str(index))  # every attribute text says "image"
    said = "nothing to search for in 'an image': it has no word that tells images apart"
    assert image.returncode == 1 and said in image.stderr
    weak = run_cli("search", "forest cat", "--index", str(index), "--json", "-k", "1")  # as stderr warns
    said = "no image here shows all of 'forest cat': the best lack 'forest'"  # the cat is there
    assert json.loads(weak.stdout)["nearest_only"] is True and said in weak.stderr
    either = run_cli("search", "OR OR", "--index", str(index))  # not refused by a note on "or"
    assert either.returncode == 1 and "'OR OR': it has no word that tells images apart" in either.stderr
    path = run_cli(
        "search", str(REPO / "examples" / "photos" / "coffee.jpg"), "--index", str(index), "-k", "1"
    )
    assert path.returncode == 0 and path.stdout.startswith("1.0000") and not path.stderr, path  # as --image
    for missing in ("photos/koala.jpg", "koala.jpg", "DCIM/IMG_0018.HEIC"):  # not "photos", "koala", "jpg"
        gone = run_cli("search", missing, "--index", str(index))
        ending = missing.rsplit(".", 1)[1]
        assert gone.returncode == 1 and f"{missing}: no such file (a query ending in .{ending}" in gone.stderr
    woman = run_cli("search", "woman", "--index", str(index), "-k", "1")
    assert woman.returncode == 0 and 'warning: "woman" is searched as any person' in woman.stderr
    explained = run_cli("search", "temple", "--index", str(index), "--explain", "-k", "1")
    assert explained.returncode == 0 and "understood: temple: like temple" in explained.stdout
    assert "stupa 0.50" in explained.stdout


def test_a_plural_whose_own_lemma_reaches_little_is_read_as_its_singular() -> None:
    """WordNet's "shoes" is a situation ("in my shoes"): it reached a church and a shoe shop through
    definitions. Its singular reaches the shoes the model sees; "glasses" keeps its own lemma (spectacles)."""
    from multicap.index.query import understand

    shoes = reached("shoes")
    assert shoes["running shoe"] == shoes["sandal"] == 1.0 and "church" not in shoes
    assert understand("shoes").parts[0].text == "shoes"  # said as typed
    assert reached("glasses")["sunglasses"] == 1.0


def test_a_pair_of_colours_asks_for_both() -> None:
    """ "a black and white dog" wants a dog the describer calls black and white (in either order), as "a
    red and white photo" wants both in the palette."""
    from multicap.index.query import understand
    from multicap.index.satisfy import satisfaction

    meaning = understand("a black and white dog")
    dog = imagenet_concepts()[NAMES["Border collie"]].wnid

    def facts(colour: str) -> dict[str, object]:
        return {"objects": [{"label": "Border collie", "attributes": {"wnid": dog, "colour": colour}}]}

    both, reversed_, one = (
        satisfaction(meaning, facts(c), None) for c in ("black and white", "white and black", "white")
    )
    assert both == reversed_ == 1.0 and one < 0.5
    [look] = understand("a red and white photo").parts
    assert look.look == ("palette", "red and white")
    palette = {"objects": [], "image_attributes": {"palette": "white, red"}}
    assert satisfaction(understand("a red and white photo"), palette, None) == 1.0


def test_a_class_own_name_reaches_it_fully_and_common_nouns_come_before_names() -> None:
    """ "church" is first a congregation in WordNet: the building class reached only 0.6, so a photo said
    to be "a church" was not fully satisfied; "crane" was read as a person (Stephen Crane, Hart Crane)."""
    from multicap.index.query import understand

    assert reached("church")["church"] == 1.0
    crane = understand("crane").parts[0]
    assert crane.kind == "thing" and max(crane.classes.values()) == 1.0
    assert understand("cook").parts[0].kind == "people"  # a common noun for a person stays a person


def test_a_word_that_names_a_time_is_said_so_and_not_read_through_its_other_senses() -> None:
    """ "fall leaves" had searched parachutes and cliffs (fall is first autumn), "spring flowers" geysers,
    "day" clocks. ("sunset" is no longer one: the describer sees a sunset's light, `multicap.describe.
    sunset`.)"""
    from multicap.index.query import understand

    fall = understand("fall leaves")
    assert [u.message() for u in fall.unknown] == [
        '"fall" names a time (a season, an hour of the day), which multicap does not see'
    ]
    assert [p.terms for p in fall.parts] == [("foliage",)]
    for word in ("noon", "spring", "morning", "day"):
        assert not understand(word).parts and "names a time" in understand(word).unknown[0].message(), word
    assert (
        understand("christmas tree").parts
        or "names a time" not in understand("christmas tree").unknown[0].reason
    )


def test_a_word_said_whole_is_found_in_the_singular_or_the_plural() -> None:
    """Only the word said whole (not "colourful" for "colour"), but either number: a review found
    "reflections" no longer finding "a reflection", "pony" no longer "ponies"."""
    import re

    from multicap.index.search import _inflections

    for query, text, found in [
        ("reflections", "a reflection of a tree", True), ("pony", "ponies on a hill", True),
        ("ponies", "a pony", True), ("box", "two boxes", True), ("colour", "a colourful image", False),
        ("evening", "even-toed ungulate", False),
    ]:  # fmt: skip
        said = re.compile(rf"\b(?:{'|'.join(_inflections([query]))})\b", re.IGNORECASE)
        assert bool(said.search(text)) is found, (query, text)


def test_a_doing_word_with_nothing_after_it_is_said_to_tell_no_image_apart() -> None:
    """ "bird flying" had searched "bird" without a word on "flying" (alone, "flying" is refused)."""
    from multicap.index.query import understand

    said = '"flying" tells no image apart: multicap sees what a photo shows, not what it does'
    assert said in understand("birds flying").notes
    assert not any("tells no image apart" in n for n in understand("a man riding a horse").notes)
