"""How the query reader takes the words users type: typing slips and accents, possessives and hyphens,
names with "of" inside, quantifiers, counts beside relations, hour and place words (the reader's core:
test_query.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.wordnet_reach import NAMES, NEEDS_WORDNET, reached

pytestmark = NEEDS_WORDNET


def test_a_typing_slip_is_suggested_and_accents_are_folded() -> None:
    """ "dgo" suggested dingo (difflib's ratio ranks a swap low) and "catt" printed "did you mean cat?,
    cattle"; "café" was not a word WordNet knows."""
    from multicap.index.query import understand

    (dgo,) = understand("dgo").unknown
    assert dgo.message() == '"dgo" is not a word WordNet 3.0 knows; did you mean dog?'
    assert "did you mean cat? (or " in understand("catt").unknown[0].message()
    assert understand("xyzzy").unknown[0].message() == '"xyzzy" is not a word WordNet 3.0 knows'
    cafe = understand("café")
    assert not cafe.unknown and cafe.parts[0].text == "cafe"
    # a word WordNet knows that is no class is a correction too ("giraffee" had no suggestion)
    assert understand("giraffee").unknown[0].message().endswith("did you mean giraffe?")
    assert understand("Æ").unknown  # its slips include "", which had found a licence line of WordNet
    # no guess for another script or a very short word: "猫" had been "did you mean a? (or b, c)", "img"
    # "igm? (or mg, ig)"; a three-letter word only by a swap or a mistyped letter ("cta": cat)
    for word in ("猫", "img", "src", "qx"):
        assert understand(word).unknown[0].message() == f'"{word}" is not a word WordNet 3.0 knows', word
    assert understand("cta").unknown[0].message().endswith("did you mean cat?")
    # two slips: the fewest edits first and none far ("bycicle" had suggested circle, "tomatoe" toaster,
    # four edits away, "skatebord" keyboard); a common noun before a genus ("giraff": giraffa first)
    assert understand("bycicle").unknown[0].message().endswith("did you mean bicycle?")
    assert understand("tomatoe").unknown[0].message().endswith("did you mean tomato?")
    assert understand("skatebord").unknown[0].message().endswith("did you mean skateboard?")
    assert understand("giraff").unknown[0].message().endswith("did you mean giraffe? (or giraffa)")
    assert understand("d0g").unknown[0].message().endswith("did you mean dog?")  # a digit typed for a letter


def test_a_possessive_and_an_unknown_hyphenated_word_are_read_as_their_words() -> None:
    """ "dog's" was an unknown word and its "s" was searched (a lady's slipper ranked first); "dog-on-grass"
    and "black-and-white cat" were one unknown word each. A hyphenated noun stays whole."""
    from multicap.index.concepts import content_terms, query_terms
    from multicap.index.query import understand

    for query in ("dog's toy", "dog’s toy"):
        said = understand(query)
        assert not said.unknown and [p.text for p in said.parts] == ["toy", "dog"]  # of the toy first
    assert content_terms("the dog's bowl") == ["dog", "bowl"]  # the full-text side: no "s"
    assert query_terms("lady's slipper") == ["lady", "s", "slipper"]  # a class name stays as stored
    assert [p.text for p in understand("yellow lady's slipper").parts] == ["yellow lady's slipper"]
    assert [p.text for p in understand("on-off switch").parts] == ["on-off switch"]
    on_grass = understand("dog-on-grass")
    assert not on_grass.unknown and [p.text for p in on_grass.parts] == ["dog", "grass"]
    assert on_grass.relations == ["on"]
    (cat,) = understand("black-and-white cat").parts
    assert cat.colour == "black and white"
    assert [p.text for p in understand("t-shirt").parts] == ["t-shirt"]
    assert [p.text for p in understand("long-nose pliers").parts] == ["pliers"]  # not a nose
    for query, read in (("sea-side", "seaside"), ("polar-bear", "polar bear")):  # had been unknown words,
        said = understand(query)  # "did you mean seaside?" said and not done
        assert not said.unknown and [p.text for p in said.parts] == [read], said


def test_a_search_without_wordnet_reads_imagenet_names(tmp_path: Path) -> None:
    """Where Debian's wordnet-base is not installed a text search reads the class names alone; a name of
    several words (searched whole where WordNet knows it) had then stopped it with WordNet's error."""
    from tests.conftest import REPO, run_cli

    index = tmp_path / "idx"
    assert run_cli("index", str(REPO / "examples" / "photos"), "--index", str(index)).returncode == 0
    env = {"MULTICAP_WORDNET": str(tmp_path / "no-wordnet")}
    r = run_cli("search", "Egyptian cat", "--index", str(index), "-k", "1", env=env)
    assert r.returncode == 0 and r.stdout.strip().endswith("chelsea.jpg"), r


def test_a_possessive_pronoun_is_no_unknown_word() -> None:
    """ "a photo of my grandmother" had said "my" is not a word WordNet knows."""
    from multicap.index.query import understand

    meaning = understand("a photo of my grandmother with our dog")
    assert not meaning.unknown and [p.kind for p in meaning.parts] == ["people", "thing"]


def test_a_name_with_of_inside_is_read_whole() -> None:
    """ "bird of prey" had been a bird and a person (prey); "the great wall of china", a wall and a giant
    panda (china); a WordNet idiom ("a piece of cake": an easy task) is not what a query of a photo means."""
    from multicap.index.query import understand

    def names(part) -> set[str]:
        return {name for name, c in NAMES.items() if c in part.classes}

    [raptors] = understand("two birds of prey").parts
    assert raptors.count == 2 and {"bald eagle", "kite", "vulture"} <= names(raptors)
    [wall] = understand("the great wall of china").parts
    assert wall.text == "great wall of china" and "giant panda" not in names(wall)
    assert understand("statue of liberty at night").parts[0].text == "statue of liberty"
    assert "piece of cake" not in [p.text for p in understand("a piece of cake").parts]
    [tea] = understand("a cup of tea").parts  # the cup and what it holds, not "something one likes"
    assert "cup" in names(tea)


def test_a_definitions_material_or_colour_names_no_class() -> None:
    """A word qualifying a noun in a definition is not a thing it names: "a wrought iron tower" had
    reached the clothes iron; "orange or yellow flowers" the orange."""
    assert "iron" not in reached("eiffel tower") and "beacon" in reached("eiffel tower")
    assert "orange" not in reached("marigold") and "daisy" in reached("marigold")
    assert "dam" in reached("spillway")  # "... over or around a dam or other obstruction": a dam


def test_a_thing_whose_name_begins_with_a_doing_word_is_found() -> None:
    """ "running shoes", "swimming trunks" (ImageNet's own classes) had lost their first word as a relation
    and searched for any shoe or trunks; only where the name's first sense is of what the model sees (a
    walking stick is first a cane, ImageNet's class of that name the insect); words WordNet writes with a
    hyphen are found typed apart ("hot air balloon")."""
    from multicap.index.query import understand

    for text, name in (("running shoes", "running shoe"), ("swimming trunks", "swimming trunks")):
        assert reached(text) == {name: 1.0}, text
    assert "walking stick" not in reached("a walking stick") and "crutch" in reached("a walking stick")
    assert "black swan" in reached("a flying bird") and "drake" in reached("a sitting duck")  # no person
    assert "balloon" in reached("a hot air balloon")
    rider = understand("a man riding horses")  # said of the part before it: a relation still
    assert [p.kind for p in rider.parts] == ["people", "thing"] and rider.relations == ["riding"]
    looking = understand("a dog looking at a cat")  # "looking at" is an act, no thing
    assert [p.text for p in looking.parts] == ["dog", "cat"] and not looking.unknown


@pytest.mark.parametrize("word", ["boxer", "hog", "monitor", "washer", "screw", "skunk", "hammerhead"])
def test_a_class_name_that_is_also_a_person_finds_the_class(word: str) -> None:
    """WordNet ranks "a greedy person" first for "hog", "someone who supervises" for "monitor": the word
    had asked for any person, and the class of that name (a pig, a screen) was unreachable."""
    assert reached(word)[word] == 1.0


def test_quantifiers_are_no_words_to_find() -> None:
    """ "any dog", "all cats", "both dogs": quantifiers had been unknown words, "more" Sir Thomas More (any
    person) and "much" a fiddler crab."""
    from multicap.index.query import understand

    for text in ("any dog", "all dogs", "more dogs", "much dog", "each dog", "another dog"):
        meaning = understand(text)
        assert [p.kind for p in meaning.parts] == ["thing"] and not meaning.unknown, text
    assert [p.count for p in understand("both cats and dogs").parts] == [1, 1]  # two kinds, not two cats
    [bike] = understand("all terrain bike").parts  # a name may begin with one (WordNet's all-terrain bike)
    assert bike.top(1)[0][0] == "mountain bike"


def test_counts_beside_relations_bounds_and_names() -> None:
    """What the review of the count words found: "over" after a part relates it; an upper bound asks no
    count and says so; a number before a plural counts whatever comes before it."""
    from multicap.index.query import understand

    plane = understand("a plane over 3 houses")
    assert plane.relations == ["over"] and [(p.count, p.exact) for p in plane.parts] == [
        (1, False),
        (3, True),
    ]
    assert [p.count for p in understand("a dog jumping over 2 fences").parts] == [1, 2]
    for text in ("at most 2 dogs", "no more than 3 dogs", "fewer than 3 dogs"):
        meaning = understand(text)
        assert [p.count for p in meaning.parts] == [1] and "not at most" in meaning.notes[0], text
    assert [p.count for p in understand("man feeding 2 ducks").parts][-1] == 2  # had been a name's number
    assert [p.count for p in understand("dog, 2 cats").parts] == [1, 2]
    # a second look: "bus" is no plural ("bu"), an -ing word and a size before the noun leave the count
    assert [p.count for p in understand("route 66 bus").parts] == [1]
    assert [p.count for p in understand("chef cooking 2 big pizzas").parts][-1] == 2
    more = understand("no fewer than 3 dogs")  # at least, and "no" is no negation there
    assert [(p.count, p.exact) for p in more.parts] == [(3, False)] and not more.notes
    assert [(p.count, p.exact) for p in understand("five or more dogs").parts] == [(5, False)]
    assert [p.text for p in understand("a very light dress").parts] == ["light", "dress"]  # no flare
    beach = understand("a beach with no one")  # no one: a part met where no person is found
    assert [(p.kind, p.count) for p in beach.parts] == [("thing", 1), ("people", 0)] and not beach.unknown


def test_words_read_as_asking_nothing_are_not_full_text_searched() -> None:
    """ "about 20 people" had searched "about" and "about 20" among the descriptions."""
    from multicap.index.query import understand
    from multicap.index.search import fts_expression

    meaning = understand("about 20 people")
    expression = fts_expression("about 20 people", ("object",), (), (), frozenset(meaning.dropped))
    assert expression is not None and '"about' not in expression and '"people"' in expression


def test_words_a_walkthrough_found_misread() -> None:
    """ "people on a stage": ImageNet's stage, not a time (WordNet's first stage is a period); "pic of my
    dog": a photo word, not a comic book; "nobody": not any person; events reach what is seen at them."""
    from multicap.index.query import understand

    stage = understand("people on a stage")
    assert [p.kind for p in stage.parts] == ["people", "thing"] and not stage.unknown
    assert stage.parts[1].top(1)[0] == ("stage", 1.0)
    assert [p.text for p in understand("pic of my dog").parts] == ["dog"]
    nobody = understand("beach with nobody")  # a beach where no person is found (no longer any person)
    assert [(p.text, p.count) for p in nobody.parts] == [("beach", 1), ("nobody", 0)] and not nobody.unknown
    for word, seen in (("concert", "electric guitar"), ("wedding", "groom"), ("birthday party", "balloon")):
        [part] = understand(word).parts
        assert seen in dict(part.top(5)) and "what is found at" in part.how, (word, part.how)
    assert "names a time" in understand("fall").unknown[0].reason  # a season still is one


def test_colours_of_the_image_ask_for_a_colourful_one() -> None:
    """ "fall colors" had searched a suit, a sorrel and lipstick; "a red colour" is red, "the colour of the
    car" the car."""
    from multicap.index.query import understand

    assert [(p.kind, p.look) for p in understand("fall colors").parts] == [
        ("look", ("colourfulness", "colourful"))
    ]
    assert [(p.kind, p.colour) for p in understand("a red colour").parts] == [("colour", "red")]
    assert [p.text for p in understand("the colour of the car").parts] == ["car"]
    assert [p.text for p in understand("car colour").parts] == ["car"]  # not also any colourful image
    assert [p.kind for p in understand("colors of autumn").parts] == ["look"]  # had asked for nothing


def test_hour_and_place_words_a_user_types_say_how_they_are_read() -> None:
    """A new user's walkthrough: "night" found dark studio portraits with no word said, "storm" and
    "stadium" reached nothing, "dawn" a sunset unsaid."""
    from multicap.index.query import understand

    night = understand("night")
    assert [p.kind for p in night.parts] == ["look"] and "not the hour" in " ".join(night.notes)
    dawn = understand("dawn")
    assert dawn.parts[0].terms == ("sunset",) and "cannot tell the hour" in " ".join(dawn.notes)
    assert not understand("sunset").notes  # searched as it is said
    golden = understand("golden hour on a beach")  # had been yellow things, and an hour not seen
    assert [p.terms[:1] for p in golden.parts if p.kind == "found"] == [("sunset",)] and not golden.unknown
    assert understand("golden retriever").parts[0].kind == "thing"
    stadium = understand("stadium").parts
    assert stadium and {"scoreboard", "ballplayer"} <= {name for name, _ in stadium[0].top(10)}, stadium
