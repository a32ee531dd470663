"""How fully an image satisfies a query: each part of its meaning (`multicap.index.query`) checked against
the image's facts (the objects found, their colours, the people) and the classifier's belief over the
whole image, so that "a red car" ranks red cars above other cars and "dog on the beach" wants both.

A part scores 1 when an object of one of its classes is there (times the class's weight), with the colour
the query binds to it (else a quarter); failing an object, the whole image's probability mass on its
classes counts, at most 0.8 (the classifier saw it somewhere, but nothing was placed). A query's score is
the mean of its parts' and their least, averaged: an image that satisfies every part ranks first.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from multicap.index.query import PERSON_TERMS, Part, Understanding
from multicap.text.imagenet import imagenet_concepts

__all__ = ["part_score", "satisfaction"]

_IMAGE_MASS = 0.5  # probability mass on a part's classes at which the whole image counts fully (× 0.8)
_WRONG_COLOUR = 0.25  # an object of the part's class in another colour
_PERSON_LABELS = frozenset({*PERSON_TERMS, "man", "woman", "child"})


def satisfaction(meaning: Understanding, facts: dict[str, Any] | None, probs: np.ndarray | None) -> float:
    """0..1: the mean of the parts' scores and their least, averaged (0 for a query without parts)."""
    scores = [part_score(part, facts, probs) for part in meaning.parts]
    if not scores:
        return 0.0
    return 0.5 * (sum(scores) / len(scores)) + 0.5 * min(scores)


def part_score(part: Part, facts: dict[str, Any] | None, probs: np.ndarray | None) -> float:
    objects: Sequence[dict[str, Any]] = (facts or {}).get("objects", [])
    if part.kind == "colour" and part.colour is not None:
        if any(part.colour in _colours(o) for o in objects):
            return 1.0
        palette = (facts or {}).get("image_attributes", {}).get("palette", "")
        return 0.5 if part.colour in palette else 0.0
    if part.kind == "people" and any(o.get("label") in _PERSON_LABELS for o in objects):
        return 1.0
    best = 0.0
    index = _class_of_wnid()
    for obj in objects:
        cls = index.get(obj.get("attributes", {}).get("wnid", ""))
        weight = part.classes.get(cls, 0.0) if cls is not None else 0.0
        if weight and part.colour is not None and part.colour not in _colours(obj):
            weight *= _WRONG_COLOUR
        best = max(best, weight)
    if probs is not None and part.classes:
        classes = np.fromiter(part.classes, dtype=np.int64)
        weights = np.fromiter(part.classes.values(), dtype=np.float32)
        mass = float((probs[classes] * weights).sum())
        image = 0.8 * min(1.0, mass / _IMAGE_MASS)
        if part.colour is not None:
            palette = (facts or {}).get("image_attributes", {}).get("palette", "")
            image *= 0.5 if part.colour in palette else _WRONG_COLOUR
        best = max(best, image)
    return best


def _colours(obj: dict[str, Any]) -> str:
    return str(obj.get("attributes", {}).get("colour", ""))


@lru_cache(maxsize=1)
def _class_of_wnid() -> dict[str, int]:
    return {c.wnid: c.index for c in imagenet_concepts()}
