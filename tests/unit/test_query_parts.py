"""The parts a query's words become beyond a noun's classes (`multicap.index.query_parts`): people and how
many, what the pixels find (the sky, clouds, trees), how the whole image looks, a container and what it
holds; and how the search scores them."""

from __future__ import annotations

import pytest

from multicap.text.imagenet import imagenet_concepts
from tests.unit.wordnet_reach import NEEDS_WORDNET

pytestmark = NEEDS_WORDNET


@pytest.mark.parametrize("word", ["woman", "children", "people", "face", "a man"])
def test_person_words_reach_people(word: str) -> None:
    from multicap.index.query import PERSON_TERMS, understand

    [part] = understand(word).parts
    assert part.kind == "people" and set(PERSON_TERMS) <= set(part.terms)


@pytest.mark.parametrize(
    ("text", "people", "face"),
    [
        ("a man", 1, False),
        ("people", 2, False),
        ("group of people", 3, False),  # one part: "group" asks for three, "people" for two
        ("a crowd", 5, False),
        ("a man with a woman", 2, False),  # each asks for one: together, two
        ("three people", 3, False),
        ("portrait", 1, True),  # WordNet's portrait is a painting: here, a face seen close
        ("selfie", 1, True),  # not in WordNet 3.0 at all
    ],
)
def test_people_words_say_how_many_and_whether_a_face_close(text: str, people: int, face: bool) -> None:
    from multicap.index.query import understand

    meaning = understand(text)
    [part] = meaning.parts
    assert (part.kind, part.count, part.face) == ("people", people, face)
    assert not meaning.unknown
    if text == "selfie":  # a walkthrough read its faces as selfies, with nothing said
        assert "cannot tell who took the photo" in part.note


def test_a_people_query_ranks_by_how_many_and_how_close() -> None:
    """One person is less of "people" than two, and of "a crowd" than five; a face seen close on a large
    person is a portrait, a person without a found face hardly one."""
    from multicap.index.query import understand
    from multicap.index.satisfy import satisfaction

    def person(size: str = "medium", face: bool = True) -> dict[str, object]:
        tags = "person, people, human" + (", face" if face else "")
        return {"label": "person", "attributes": {"size": size, "tags": tags}}

    def facts(*persons: dict[str, object]) -> dict[str, object]:
        return {"objects": list(persons)}

    people, crowd, portrait = understand("people"), understand("crowd"), understand("portrait")
    one, two, five = facts(person()), facts(person(), person()), facts(*(person() for _ in range(5)))
    assert satisfaction(people, one, None) < satisfaction(people, two, None) == 1.0
    assert satisfaction(crowd, one, None) < satisfaction(crowd, two, None) < satisfaction(crowd, five, None)
    close, far, faceless = facts(person("large")), facts(person("small")), facts(person("large", False))
    assert satisfaction(portrait, close, None) == 1.0
    assert satisfaction(portrait, faceless, None) < satisfaction(portrait, far, None) < 1.0
    assert satisfaction(people, facts(), None) == 0.0
    three = understand("three people")  # a number typed is that many, not at least so many
    assert satisfaction(three, facts(*(person() for _ in range(3))), None) == 1.0
    assert satisfaction(people, five, None) == 1.0
    assert satisfaction(three, facts(person()), None) < satisfaction(three, five, None) < 1.0  # more > fewer
    two = understand("two people")  # a walkthrough's: portraits of one had ranked above groups of four
    many = [satisfaction(two, facts(*(person() for _ in range(n))), None) for n in (1, 2, 3, 4, 5, 40)]
    assert many[1] == 1.0 and many[0] < many[-1] and many[1:] == sorted(many[1:], reverse=True)


def test_the_sky_is_found_by_its_label_and_colour() -> None:
    """ "sky" has no class: it reaches the sky the describer finds in wide scenes (multicap.describe.sky),
    by the object's label, with its colour bound as a thing's is."""
    from multicap.index.query import understand
    from multicap.index.satisfy import satisfaction

    for text in ("sky", "skies", "the sky"):
        [part] = understand(text).parts
        assert part.kind == "found" and part.terms == ("sky",) and not understand(text).unknown
    blue_sky = understand("blue sky")
    assert blue_sky.parts[0].colour == "blue" and "sky" in blue_sky.explain()[0]

    def facts(colour: str) -> dict[str, object]:
        return {"objects": [{"label": "sky", "attributes": {"wnid": "n09436708", "colour": colour}}]}

    blue, gray, none = (
        satisfaction(blue_sky, f, None) for f in (facts("blue"), facts("gray"), {"objects": []})
    )
    assert blue == 1.0 and 0.0 < gray < 0.5 and none == 0.0
    assert satisfaction(understand("sky"), facts("gray"), None) == 1.0


def test_a_container_of_something_asks_for_what_it_holds_or_the_container() -> None:
    """ "cup of coffee" had been two parts, a cup and coffee: the espresso (a drink the classifier names,
    its cup not) ranked below a stack of empty cups, neither meeting the whole query. WordNet gives "cup"
    a sense under containerful: one part, the coffee or, at half weight, its cup."""
    from multicap.index.query import understand
    from multicap.index.satisfy import satisfaction

    index = {c.name: c for c in imagenet_concepts()}

    def facts(*names: str) -> dict[str, object]:
        return {"objects": [{"label": n, "attributes": {"wnid": index[n].wnid}} for n in names]}

    cup_of_coffee = understand("a cup of coffee")
    [part] = cup_of_coffee.parts
    assert part.text == "cup of coffee" and part.classes[index["espresso"].index] == 1.0
    assert part.classes[index["cup"].index] == 0.5 and "cup holding it" in cup_of_coffee.explain()[0]
    espresso = satisfaction(cup_of_coffee, facts("espresso"), None)
    assert espresso == 1.0 > satisfaction(cup_of_coffee, facts("cup"), None) > 0.0
    [bowls] = understand("two bowls of fruit").parts
    assert bowls.count == 2
    [water] = understand("a bottle of water").parts  # the water held is no shore
    assert index["water bottle"].index in water.classes and index["lakeside"].index not in water.classes
    assert len(understand("a cup on a table").parts) == 2  # a relation, not a containerful
    assert len(understand("a piece of cake").parts) == 2  # a piece is not a container


def test_clouds_ask_for_a_sky_the_describer_says_white_or_gray() -> None:
    """The describer finds the sky, not clouds: "clouds" had ranked clear blue skies first. A word for
    clouds asks for a clouded sky, white or gray; before another noun it adds one ("cloudy beach")."""
    from multicap.index.query import understand
    from multicap.index.satisfy import satisfaction

    def facts(colour: str) -> dict[str, object]:
        return {"objects": [{"label": "sky", "attributes": {"wnid": "n09436708", "colour": colour}}]}

    for text in ("clouds", "a cloudy sky", "stormy sky", "overcast"):
        meaning = understand(text)
        [part] = meaning.parts
        assert part.kind == "found" and part.terms == ("sky",) and not meaning.unknown, text
        white, gray, blue = (satisfaction(meaning, facts(c), None) for c in ("white", "gray", "blue"))
        assert white == gray == 1.0 > blue, text
    beach = understand("cloudy beach")  # the beach is what the query is of: first
    assert [p.kind for p in beach.parts] == ["thing", "found"] and beach.parts[0].colour is None
    assert understand("white clouds").parts[0].colour == "white"  # a colour typed is the one asked for
    grey = understand("grey cloudy sky")  # the colour typed; "cloudy" had been unknown after it
    assert grey.parts[0].colour == "gray" and not grey.unknown
    red = understand("cloudy and red")  # "white or gray and red" had asked for white objects
    assert [(p.kind, p.colour) for p in red.parts] == [("found", "white or gray"), ("colour", "red")]
    car = understand("cloudy red car")  # "cloudy" had vanished unsaid
    assert [(p.kind, p.colour) for p in car.parts] == [("thing", "red"), ("found", "white or gray")]
    for text in ("sunny", "a sunny day", "cloudless sky"):  # a clear sky ("sunny" had been any bright
        meaning = understand(text)  #                             image: erasers on white paper)
        assert [p.terms for p in meaning.parts] == [("sky",)], text
        blue, white = (satisfaction(meaning, facts(c), None) for c in ("blue", "white"))
        assert blue == 1.0 > white, text
    sunny = understand("sunny beach")  # a beach, and a clear sky beside it
    assert [(p.kind, p.colour) for p in sunny.parts] == [("thing", None), ("found", "blue or cyan")]


@pytest.mark.parametrize(
    ("text", "look"),
    [
        ("a dark photo", ("brightness", "dark")),
        ("night", ("brightness", "dark")),
        ("bright pictures", ("brightness", "bright")),
        ("colourful", ("colourfulness", "colourful")),
        ("a colorful image", ("colourfulness", "colourful")),
        ("muted", ("colourfulness", "muted")),
        ("black and white photo", ("monochrome", "black and white")),
        ("grayscale", ("monochrome", "black and white")),
        ("a blue picture", ("palette", "blue")),
    ],
)
def test_words_for_how_the_image_looks_ask_for_what_the_describer_says_of_it(
    text: str, look: tuple[str, str]
) -> None:
    from multicap.index.query import understand

    meaning = understand(text)
    [part] = meaning.parts
    assert part.kind == "look" and part.look == look and not meaning.unknown, meaning.explain()


def test_a_look_word_before_a_thing_or_a_colour_keeps_the_thing() -> None:
    """ "a dark forest" is dark and has trees; "dark blue car" is a blue car (the describer names no shade);
    "a black and white dog" is a dog with a colour, not a black and white photo; "blue" alone is objects
    coloured blue."""
    from multicap.index.query import understand

    forest = understand("a dark forest")
    assert [(p.kind, p.look) for p in forest.parts] == [("look", ("brightness", "dark")), ("found", None)]
    [car] = understand("dark blue car").parts
    assert car.kind == "thing" and car.colour == "blue"
    [dog] = understand("a black and white dog").parts
    assert dog.kind == "thing" and dog.colour == "black and white" and dog.text == "black and white dog"
    [blue] = understand("blue").parts
    assert blue.kind == "colour" and blue.look is None


def test_satisfaction_of_a_look_follows_the_describers_image_attributes() -> None:
    from multicap.index.query import understand
    from multicap.index.satisfy import satisfaction

    def looks(brightness: str, colourfulness: str, palette: str) -> dict[str, object]:
        attributes = {"brightness": brightness, "colourfulness": colourfulness, "palette": palette}
        return {"objects": [], "image_attributes": attributes}

    dark = understand("dark photo")
    scores = [
        satisfaction(dark, looks(b, "muted", "gray"), None) for b in ("dark", "moderately bright", "bright")
    ]
    assert scores[0] == 1.0 > scores[1] > scores[2] == 0.0
    gray = understand("black and white photo")  # a grayscale photo first, then muted grays (a dim
    assert satisfaction(gray, looks("bright", "black and white", "gray, black"), None) == 1.0  # colour
    in_grays = satisfaction(gray, looks("bright", "muted", "gray, black, white"), None)  # photo had ranked
    assert 1.0 > in_grays > satisfaction(gray, looks("bright", "muted", "gray, brown"), None) > 0.0  # first)
    assert satisfaction(gray, looks("bright", "colourful", "red, blue"), None) == 0.0
    muted = understand("a muted photo")  # none is more muted than a grayscale photo
    assert satisfaction(muted, looks("bright", "black and white", "gray"), None) == 1.0
    for text in ("a muted photo", "grayscale", "monochrome photo", "black and white photo"):  # and the
        assert "black and white" in understand(text).parts[0].terms, text  # full-text search finds them
    blue = understand("a blue picture")
    first, later = (
        satisfaction(blue, looks("bright", "colourful", p), None) for p in ("blue, white", "white, blue")
    )
    assert first == 1.0 > later > satisfaction(blue, looks("bright", "colourful", "red"), None) == 0.0


def test_a_plural_person_noun_asks_for_two_people_or_more() -> None:
    """ "selfie with friends" had ranked portraits of one person as fully met: "friends" asked for one."""
    from multicap.index.query import understand

    for query in ("selfie with friends", "musicians", "dancers on a stage"):
        assert understand(query).parts[0].count == 2, query
    assert understand("a friend").parts[0].count == 1 and understand("a tourist").parts[0].count == 1


def test_a_tree_is_also_the_foliage_the_describer_says_of_one_seen_close() -> None:
    from multicap.index.query import understand

    assert understand("tree").parts[0].terms == ("trees", "foliage")
    assert understand("forest").parts[0].terms == ("trees",)
