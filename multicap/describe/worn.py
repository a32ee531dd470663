"""A person found by the people detector as an object of the scene: where they are, the colour of what
they wear, and the garment the classifier sees on them ("a person in a military uniform"), said with them
and not again as a thing of its own (`multicap.describe.grounded` keeps people before other objects)."""

from __future__ import annotations

import numpy as np

from multicap.describe.colours import object_colours, srgb_to_lab
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
# What a person wears is named from their chest: below the face, this many face widths wide and face heights
# tall (within their box), or without a face the upper body, the middle of their box's width and a fifth
# to six tenths of its height. Their whole box took in the people beside them and the floor (a man in a
# red suit between two others was "brown"); `benchmarks/worn_colours.py`, tune part: first colour right
# 33 → 44 of 69 people with the chest, the skin and the least area below together.
_CHEST_WIDE = 2.5
_CHEST_TALL = 2.5
_UPPER_BODY = (0.2, 0.6)  # of a faceless box's height
_UPPER_BODY_SIDES = 0.2  # of its width, left out on each side
# A person's skin: pixels of the chest within this CIELAB distance of their face's median colour are
# their neck, arms and hands, not what they wear.
_SKIN_DELTA = 18.0
_SKIN_CHROMA = 6.0  # CIELAB chroma of a face below which the photo has no colour to tell skin by
# Clothes are named only where the chest seen below the face covers at least this many times the face's
# area: a face filling the frame shows a sliver of collar, hair and neck (said "brown" before).
_LEAST_CLOTHES = 0.5


def person_object(
    person: Person, objects: list[SceneObject], rgb: np.ndarray
) -> tuple[SceneObject, list[int]]:
    """A detected person as an object: the colour of what they wear (their chest, `_clothes_mask`), wearing
    the likeliest garment whose box centre lies in their box (said with them, "a person in a military
    uniform"; it and any other garment there are not said again as things of their own): the person, and
    the indices in `objects` of the garments in their box. A small faint figure (`kind` "figure": of a
    crowd, or confirmed by the second detector; a few pixels tall) is given no colour: its box holds as much
    of what is around it."""
    clothes = _clothes_mask(person, rgb) if person.kind != "figure" else None
    worn_colours = object_colours(rgb, clothes) if clothes is not None else []
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


def _clothes_mask(person: Person, rgb: np.ndarray) -> np.ndarray | None:
    """(S, S) bool over the (S, S, 3) image: what the person wears, their chest less their skin (or,
    without a face, their upper body); None where too little of it is seen to name."""
    side = rgb.shape[0]
    mask = np.zeros((side, side), dtype=bool)
    x0, y0, x1, y1 = person.box
    if person.face is None:
        w, h = x1 - x0, y1 - y0
        top, bottom = (round((y0 + f * h) * side) for f in _UPPER_BODY)
        left, right = round((x0 + _UPPER_BODY_SIDES * w) * side), round((x1 - _UPPER_BODY_SIDES * w) * side)
        mask[top:bottom, left:right] = True
        return mask if mask.any() else None
    fx0, fy0, fx1, fy1 = person.face
    fw, fh = fx1 - fx0, fy1 - fy0
    cx = (fx0 + fx1) / 2
    top, bottom = round(max(fy1, y0) * side), round(min(y1, fy1 + _CHEST_TALL * fh) * side)
    left = round(max(x0, cx - _CHEST_WIDE / 2 * fw) * side)
    right = round(min(x1, cx + _CHEST_WIDE / 2 * fw) * side)
    mask[top:bottom, left:right] = True
    least = _LEAST_CLOTHES * fw * fh * side * side
    if mask.sum() < least or not mask.any():  # (a face of no area: none below it either)
        return None
    face = rgb[round(fy0 * side) : round(fy1 * side), round(fx0 * side) : round(fx1 * side)]
    h, w = face.shape[:2]
    centre = face[h // 5 : h - h // 5, w // 5 : w - w // 5].reshape(-1, 3)  # skin, not hair or background
    if len(centre) < 4:
        return mask
    skin = np.median(srgb_to_lab(centre), axis=0)  # (3,)
    if np.hypot(skin[1], skin[2]) < _SKIN_CHROMA:  # a black-and-white photo: skin is not told by its colour
        return mask
    chest = srgb_to_lab(rgb[top:bottom, left:right])  # (h', w', 3)
    clothes = np.linalg.norm(chest - skin, axis=-1) >= _SKIN_DELTA
    if clothes.sum() >= least:  # else clothes of the skin's colour (a beige top): the whole chest
        mask[top:bottom, left:right] = clothes
    return mask if mask.any() else None
