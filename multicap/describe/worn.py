"""A person found by the people detector as an object of the scene: where they are, the colour of what
they wear, and the garment the classifier sees on them ("a person in a military uniform"), said with them
and not again as a thing of its own (`multicap.describe.grounded` keeps people before other objects)."""

from __future__ import annotations

import numpy as np

from multicap.describe.colours import object_colours
from multicap.describe.people import Person
from multicap.describe.verbalize import GUESS
from multicap.facts import SceneObject
from multicap.facts.geometry import position_of, size_of

__all__ = ["one_wearer", "person_object"]

_PERSON_WNID = "n00007846"  # person.n.01: no ImageNet class, so the people detector's objects carry it
_CLOTHING = frozenset({"clothing", "garment", "headdress"})  # tags of what a person can be said to wear
# What the classifier calls a garment on a person that is mostly their own hair ("a person in a wig" for
# long hair in a portrait): theirs, so not said as a thing, nor as what they wear.
_HAIR = frozenset({"wig"})
# A garment's box this many times wider than a person's covers others too: what a group shows, not what one
# of them wears (five friends at the sea were "three people in bikinis", four men in sweaters two "in an
# academic gown"; a portrait's uniform is 0.8-1.0 times its person's width).
_WORN_WIDER = 1.5
# A garment the classifier gives less than this is said as a guess ("a person in what may be a kimono"):
# on the real photos the garments said of people were right at 0.22 (a sarong) and 0.57 (a uniform), wrong
# at 0.31 (a kimono for a Hawaiian shirt), 0.32 (a football helmet for a spacesuit's) and 0.71 (a uniform
# for an olive shirt): a walkthrough read "in a kimono" as a fact.
_SURE_GARMENT = 0.5


def person_object(
    person: Person, objects: list[SceneObject], rgb: np.ndarray
) -> tuple[SceneObject, list[int]]:
    """A detected person as an object: the colour of what they wear (the box below the face), wearing the
    likeliest garment whose box centre lies in their box (said with them, "a person in a military
    uniform"; it and any other garment there are not said again as things of their own): the person, and
    the indices in `objects` of the garments in their box. A small faint figure (`kind` "figure": of a
    crowd, or confirmed by the second detector; a few pixels tall) is given no colour: its box holds as much
    of what is around it."""
    worn_colours = object_colours(rgb, _clothes_mask(person, rgb.shape[0])) if person.kind != "figure" else []
    attributes = {
        "colour": " and ".join(name for name, _ in worn_colours),
        "size": size_of(person.box),
        "position": position_of(person.box),
        "wnid": _PERSON_WNID,
        "tags": "person, people, human" + (", face" if person.face is not None else ""),
        "found_by": person.kind,
    }
    x0, y0, x1, y1 = person.box
    worn = []
    for k, obj in enumerate(objects):
        cx, cy = (obj.box[0] + obj.box[2]) / 2, (obj.box[1] + obj.box[3]) / 2
        tags = {t.strip() for t in obj.attributes.get("tags", "").split(",")}
        if tags & _CLOTHING and x0 <= cx <= x1 and y0 <= cy <= y1:
            one_person = obj.box[2] - obj.box[0] <= _WORN_WIDER * (x1 - x0)
            if obj.label not in _HAIR and one_person and "wearing" not in attributes:  # the likeliest
                attributes["wearing"] = obj.label  # garment names what they wear
                if obj.confidence < _SURE_GARMENT:
                    attributes["wearing_certainty"] = GUESS
            worn.append(k)
    box = tuple(round(v, 4) for v in person.box)
    said = SceneObject("person", round(person.confidence, 4), box, attributes)  # type: ignore[arg-type]
    return said, worn


def one_wearer(
    dressed: list[tuple[SceneObject, list[int]]], objects: list[SceneObject]
) -> list[tuple[SceneObject, list[int]]]:
    """`person_object`s, a garment said as worn by one of them only: the person whose box's centre lies
    nearest the garment's (one box in two overlapping people's boxes is one garment, not two)."""
    wearers: dict[str, list[int]] = {}
    for k, (person, _) in enumerate(dressed):
        if "wearing" in person.attributes:
            wearers.setdefault(person.attributes["wearing"], []).append(k)
    for label, ks in wearers.items():
        if len(ks) < 2:
            continue
        garment = next(o for o in objects if o.label == label)
        keep = min(ks, key=lambda k: _centre_distance(dressed[k][0].box, garment.box))
        for k in ks:
            if k != keep:
                del dressed[k][0].attributes["wearing"]
                dressed[k][0].attributes.pop("wearing_certainty", None)
    return dressed


def _centre_distance(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return float(np.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2))


def _clothes_mask(person: Person, side: int) -> np.ndarray:
    """(side, side) bool: the person's box below the face (the whole box when no face was found)."""
    mask = np.zeros((side, side), dtype=bool)
    x0, y0, x1, y1 = (round(v * side) for v in person.box)
    top = round(person.face[3] * side) if person.face is not None else y0
    mask[max(top, y0) : y1, x0:x1] = True
    return mask if mask.any() else np.ones((side, side), dtype=bool)
