"""How fully an image satisfies a query: each part of its meaning (`multicap.index.query`) checked against
the image's facts (the objects found, their colours, the people) and the classifier's belief over the
whole image, so that "a red car" ranks red cars above other cars and "dog on the beach" wants both.

A part scores 1 when an object of one of its classes is there (times the class's weight, and less for an
object the describer was unsure of: `_sureness`), with the colour
the query binds to it (else a quarter); a people part when as many people as it asks for are there
("people": two, "a crowd": five; fewer score less), with a face seen close where it asks for one
("portrait"); a number asks the same of things ("two dogs"), a position where they are and a size
word how large ("a small dog on the left": half otherwise); failing an object, the whole image's
probability mass on its classes counts, at most 0.8 (the classifier saw it somewhere, but nothing was
placed). A part for how the whole image looks ("dark", "colourful", "black and white", "a blue picture")
is checked against the brightness, colourfulness and palette the describer says of it (`_look`). A
query's score is the mean of its parts' (the first, what the query is of, counted twice: a dog not on
grass before grass without a dog, for "dog on grass") and their least, averaged: an image that satisfies
every part ranks first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

import numpy as np

from multicap.index.query import Understanding
from multicap.index.query_parts import PERSON_TERMS, Part
from multicap.text.imagenet import imagenet_concepts

__all__ = ["part_score", "satisfaction", "satisfactions"]

_IMAGE_MASS = 0.5  # probability mass on a part's classes at which the whole image counts fully (× 0.8)
_WRONG_COLOUR = 0.25  # an object of the part's class in another colour
_PERSON_LABELS = frozenset({*PERSON_TERMS, "man", "woman", "child"})
_LATER_TERM = 0.9  # a found part met by what it asks for after its first ("sun": a sky, not a sunset)
_ELSEWHERE = 0.5  # a part put somewhere ("a dog on the left") or sized ("a small dog") met otherwise
_FEWER = 0.6  # one where a query asks for more ("people", "two dogs"); rises to 1 at the number asked for
_MORE = 0.7  # more than a typed number asked for ("two people": a group of 40), above `_FEWER`
_FACE_FAR = 0.8  # a face found, but no large person: not seen close
_NO_FACE = 0.5  # people, but no face found
_MIDDLE = 0.5  # an image "moderately bright" for "bright" or "dark" (and so for colourfulness)
_IN_PALETTE = 0.7  # a colour in the image's palette, not its first, for "a blue picture"
_OBJECT_COLOUR = 0.4  # ... only an object's colour
_HALF_GRAY = 0.5  # for "black and white": a muted image in grays, not a grayscale one
_ACHROMATIC = frozenset({"black", "gray", "white"})
_SURE = 0.8  # an object's confidence from which it counts fully for a part of its class
_UNSURE = 0.6  # ... and how much it counts at no confidence (linear between)
_SUBJECT = 2.0  # the weight of a query's first part in the mean of its parts' scores (each other's: 1)


def satisfaction(meaning: Understanding, facts: dict[str, Any] | None, probs: np.ndarray | None) -> float:
    """0..1: the mean of the parts' scores and their least, averaged (0 for a query without parts)."""
    scores = [part_score(part, facts, probs) for part in meaning.parts]
    return _combined(scores, meaning.subjects)


def satisfactions(
    meaning: Understanding, facts: Sequence[dict[str, Any] | None], captions: Sequence[np.ndarray | None]
) -> list[float]:
    """`satisfaction` of many images, the same numbers: image j has `facts[j]` and the caption vector
    `captions[j]` (the square roots of its class probabilities, or None). Each part's probability mass on
    its classes is taken for all the images in one product (a search scores some 300 candidates)."""
    have = [j for j, c in enumerate(captions) if c is not None]
    rows = np.stack([c for c in captions if c is not None]) if have else None  # (M, C): the M with one
    masses: list[dict[int, float]] = []
    for part in meaning.parts:
        mass: dict[int, float] = {}
        if rows is not None and part.classes:
            classes, weights = _arrays(part)
            probs = np.take(rows, classes, axis=1) ** 2  # (M, K), row-major: each row sums as `part_score`'s
            sums = (probs * weights).sum(axis=1)  # (M,)
            mass = dict(zip(have, sums.tolist(), strict=True))
        masses.append(mass)
    return [
        _combined(
            [_score(part, f, mass.get(j)) for part, mass in zip(meaning.parts, masses, strict=True)],
            meaning.subjects,
        )
        for j, f in enumerate(facts)
    ]


def part_scores(
    meaning: Understanding, facts: dict[str, Any] | None, caption: np.ndarray | None
) -> list[float]:
    """Each part's score for one image with `facts` and the caption vector `caption` (the square roots of
    its class probabilities, or None), in the parts' order."""
    probs = None if caption is None else np.asarray(caption, dtype=np.float64) ** 2
    return [part_score(part, facts, probs) for part in meaning.parts]


def part_score(part: Part, facts: dict[str, Any] | None, probs: np.ndarray | None) -> float:
    mass = None
    if probs is not None and part.classes:
        classes, weights = _arrays(part)
        mass = float((probs[classes] * weights).sum())
    return _score(part, facts, mass)


def _combined(scores: list[float], subjects: int = 1) -> float:
    """The parts' mean, the first `subjects` (what the query is of: "dog" in "dog on grass", both in "a dog
    and a cat") counted `_SUBJECT` times each, and their least, averaged."""
    if not scores:
        return 0.0
    n = min(max(subjects, 1), len(scores))
    mean = (_SUBJECT * sum(scores[:n]) + sum(scores[n:])) / (_SUBJECT * n + len(scores) - n)
    return 0.5 * mean + 0.5 * min(scores)


def _arrays(part: Part) -> tuple[np.ndarray, np.ndarray]:
    """A part's classes and their weights, (K,) int64 and (K,) float32, in the part's order."""
    return (
        np.fromiter(part.classes, dtype=np.int64, count=len(part.classes)),
        np.fromiter(part.classes.values(), dtype=np.float32, count=len(part.classes)),
    )


def _score(part: Part, facts: dict[str, Any] | None, mass: float | None) -> float:
    """A part's score given the image's facts and its probability mass on the part's classes (None
    without a caption vector, or for a part without classes). Put somewhere ("on the left") or given a
    size ("a small dog"), it is met so fully, otherwise (or only by the whole image's classes) at
    `_ELSEWHERE` of that."""
    if part.absent:  # "cats but not dogs": met as far as a dog is not there
        return 1.0 - _score(replace(part, absent=False), facts, mass)
    if not part.where and part.size is None:
        return _anywhere(part, facts, mass)
    objects: Sequence[dict[str, Any]] = (facts or {}).get("objects", [])
    fitting = {**(facts or {}), "objects": [o for o in objects if _fits(o, part)]}
    return max(_anywhere(part, fitting, mass, whole=False), _ELSEWHERE * _anywhere(part, facts, mass))


def _fits(obj: dict[str, Any], part: Part) -> bool:
    """Whether an object is where the part puts it and of the size it gives it."""
    attributes = obj.get("attributes", {})
    if not set(part.where) <= set(str(attributes.get("position", "")).split()):
        return False
    return part.size is None or attributes.get("size") == part.size


def _anywhere(part: Part, facts: dict[str, Any] | None, mass: float | None, *, whole: bool = True) -> float:
    """A part's score from the objects of `facts`, and with `whole`, from the image's probability `mass`
    on its classes where no object has them (`mass` also says how sure an object's reading is)."""
    objects: Sequence[dict[str, Any]] = (facts or {}).get("objects", [])
    if part.kind == "look" and part.look is not None:
        return _look(part.look, (facts or {}).get("image_attributes", {}), objects)
    if part.kind == "colour" and part.colour is not None:
        if any(_coloured(o, part.colour) for o in objects):
            return 1.0
        palette = (facts or {}).get("image_attributes", {}).get("palette", "")
        return 0.5 if _in_palette(part.colour, palette) else 0.0
    persons = [o for o in objects if o.get("label") in _PERSON_LABELS] if part.kind == "people" else []
    if part.kind == "people" and part.count == 0:  # "without people": met where the describer finds none
        return 0.0 if persons else 1.0
    if persons:
        return _people(part, persons)
    if part.kind == "found":  # what the describer finds beyond the classes, by its label
        found = [o for o in objects if o.get("label") in part.terms]
        if part.colour is not None and not any(_as_asked(o, part) for o in found):
            return _WRONG_COLOUR if found else 0.0
        if not found:
            return 0.0
        return 1.0 if any(o.get("label") == part.terms[0] for o in found) else _LATER_TERM
    best, placed = 0.0, 0
    index = _class_of_wnid()
    for obj in objects:
        attributes = obj.get("attributes", {})  # an animal read two ways is either ("a fox or cat")
        read = [index.get(attributes.get(key, "")) for key in ("wnid", "or_wnid")]
        weight = max((part.classes.get(cls, 0.0) for cls in read if cls is not None), default=0.0)
        weight *= _sureness(obj, mass)
        if weight and part.colour is not None and not _as_asked(obj, part):
            weight *= _WRONG_COLOUR
        best = max(best, weight)
        placed += weight > 0
    best *= _enough(placed, part.count, part.exact)
    if mass is not None and whole:
        image = 0.8 * min(1.0, mass / _IMAGE_MASS)
        if part.colour is not None:
            palette = (facts or {}).get("image_attributes", {}).get("palette", "")
            image *= 0.5 if _in_palette(part.colour, palette) != part.colour_absent else _WRONG_COLOUR
        best = max(best, image * _enough(1, part.count))  # seen somewhere: as if one
    return best


def _sureness(obj: dict[str, Any], mass: float | None) -> float:
    """How fully an object of a part's class counts, by how sure the describer was of it, or the
    classifier of the part's classes over the whole image (`mass`: a fish read as one of ImageNet's many
    fish is sure of a fish, less of its kind): fully from `_SURE`, down to `_UNSURE` at no confidence (a
    horse read as a dog breed at 0.26 is less of a dog than a German shepherd at 0.99). On the real
    photos, the objects that were the labelled main object had a median confidence of 0.81, the others
    0.33."""
    confidence = max(float(obj.get("confidence", 1.0)), mass or 0.0)
    return _UNSURE + (1.0 - _UNSURE) * min(1.0, max(0.0, confidence) / _SURE)


def _look(look: tuple[str, str], attributes: dict[str, Any], objects: Sequence[dict[str, Any]]) -> float:
    """How the whole image looks against what a part asks: its brightness or colourfulness (1 as asked,
    `_MIDDLE` for the describer's middle value, "moderately ..."), its main colour (1 first in its
    palette, `_IN_PALETTE` later in it, `_OBJECT_COLOUR` where only an object has it) or black and white
    (a grayscale photo: 1; a muted one in black, gray and white only `_HALF_GRAY`, either alone half that:
    an index described before grayscale photos were said so has no better)."""
    attribute, value = look
    palette = [c.strip() for c in str(attributes.get("palette", "")).split(",") if c.strip()]
    if attribute == "palette":  # one colour, or a pair ("red and white")
        if _in_palette(value, ", ".join(palette)):
            return 1.0 if palette[0] in value.split(" and ") else _IN_PALETTE
        return _OBJECT_COLOUR if any(_coloured(o, value) for o in objects) else 0.0
    said = str(attributes.get(attribute, ""))
    if attribute == "monochrome":  # black and white: a grayscale photo, else the next best
        if attributes.get("colourfulness") == "black and white":
            return 1.0
        gray = bool(palette) and set(palette) <= _ACHROMATIC
        muted = attributes.get("colourfulness") == "muted"
        return _HALF_GRAY if gray and muted else _HALF_GRAY / 2 if gray or muted else 0.0
    if value == "muted" and said == "black and white":  # as muted as a photo can be
        return 1.0
    return 1.0 if said == value else _MIDDLE if said.startswith("moderately") else 0.0


def _enough(found: int, wanted: int, exact: bool = False) -> float:
    """1 when as many were found as a part asks for ("two dogs", "a crowd"); `_FEWER` for one, rising
    to 1 at the number asked for; 0 for none. Where the number was typed ("three people": `exact`), more
    than it falls from 1 towards `_MORE` with the share asked for of what was found (five people are
    0.88 of "three people"): more than asked still shows what was asked, which fewer does not (a
    walkthrough's "two people" had ranked portraits of one person above a group of four)."""
    if not found:
        return 0.0
    if found >= wanted:
        return _MORE + (1 - _MORE) * wanted / found if exact else 1.0
    return _FEWER + (1 - _FEWER) * (found - 1) / (wanted - 1)


def _people(part: Part, persons: Sequence[dict[str, Any]]) -> float:
    """A people part against the persons described: 1 when there are as many as it asks for (a crowd:
    five), less for fewer (one person for "people": `_FEWER`); for a face seen close, a found face on a
    large person (else × `_FACE_FAR`, and × `_NO_FACE` without a face)."""
    score = 1.0
    score = _enough(len(persons), part.count, part.exact)
    if part.face:
        faces = [p for p in persons if "face" in str(p.get("attributes", {}).get("tags", "")).split(", ")]
        if not faces:
            score *= _NO_FACE
        elif not any(p.get("attributes", {}).get("size") == "large" for p in faces):
            score *= _FACE_FAR
    return score


def _colours(obj: dict[str, Any]) -> str:
    return str(obj.get("attributes", {}).get("colour", ""))


def _coloured(obj: dict[str, Any], wanted: str) -> bool:
    """Whether an object has the colour a part asks for: each of a pair ("black and white"), in any order,
    or either of two ("white or gray": a clouded sky)."""
    said = _colours(obj).split(" and ")
    if " or " in wanted:
        return any(c in said for c in wanted.split(" or "))
    return all(c in said for c in wanted.split(" and "))


def _as_asked(obj: dict[str, Any], part: Part) -> bool:
    """Whether an object's colour is as the part asks: the part's colour, or another where the words ask
    that it not have it ("a car that is not red")."""
    assert part.colour is not None
    return _coloured(obj, part.colour) != part.colour_absent


def _in_palette(wanted: str, palette: str) -> bool:
    colours = palette.split(", ")
    if " or " in wanted:
        return any(c in colours for c in wanted.split(" or "))
    return all(c in colours for c in wanted.split(" and "))


@lru_cache(maxsize=1)
def _class_of_wnid() -> dict[str, int]:
    return {c.wnid: c.index for c in imagenet_concepts()}
