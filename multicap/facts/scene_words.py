"""The closed world of synthetic scenes: shapes, colours, sizes, positions, relations and backgrounds.

Every word a generated sentence can hold is defined here, so the describer, the parser and the splits share
one vocabulary. Object colours and background colours use disjoint words, so a sentence never leaves it
unclear which of the two a colour belongs to.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BACKGROUND_COLOURS",
    "BACKGROUND_KINDS",
    "CANONICAL_PREDICATES",
    "COLOURS",
    "INVERSE_PREDICATE",
    "NUMBER_WORDS",
    "POSITIONS",
    "PREDICATES",
    "SHAPES",
    "SHAPE_PLURALS",
    "SIZES",
    "SIZE_SCALE",
    "canonical_relation",
    "plural",
]

# Shape names; the renderer holds one outline per name.
SHAPES: tuple[str, ...] = (
    "circle",
    "square",
    "triangle",
    "star",
    "hexagon",
    "pentagon",
    "diamond",
    "cross",
    "heart",
)
SHAPE_PLURALS: dict[str, str] = {s: ("crosses" if s == "cross" else s + "s") for s in SHAPES}

# Object colours: saturated, bright, so they stand out on the dark backgrounds below.
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "orange": (245, 140, 20),
    "yellow": (240, 225, 40),
    "green": (40, 175, 60),
    "cyan": (40, 210, 225),
    "blue": (45, 95, 235),
    "purple": (150, 65, 210),
    "pink": (245, 135, 190),
    "brown": (170, 105, 50),
    "white": (240, 240, 240),
}

# Background colours: dark and muted; their names never name an object colour.
BACKGROUND_COLOURS: dict[str, tuple[int, int, int]] = {
    "black": (22, 22, 22),
    "gray": (72, 72, 72),
    "navy": (26, 32, 80),
    "maroon": (80, 24, 28),
    "olive": (72, 72, 22),
}
BACKGROUND_KINDS: tuple[str, ...] = ("flat", "gradient", "stripes", "checks", "noise")

# Size names and the side of an object's bounding square as a fraction of the image side.
SIZES: tuple[str, ...] = ("small", "medium", "large")
SIZE_SCALE: dict[str, float] = {"small": 0.14, "medium": 0.21, "large": 0.29}

# Positions: the cell of a 3x3 grid that holds an object's centre, row-major from the top left.
POSITIONS: tuple[str, ...] = (
    "top left",
    "top",
    "top right",
    "left",
    "center",
    "right",
    "bottom left",
    "bottom",
    "bottom right",
)

PREDICATES: tuple[str, ...] = ("left of", "right of", "above", "below", "next to")
INVERSE_PREDICATE: dict[str, str] = {
    "left of": "right of",
    "right of": "left of",
    "above": "below",
    "below": "above",
    "next to": "next to",
}
# One direction of each inverse pair, used to compare relations whichever way a sentence states them.
CANONICAL_PREDICATES: tuple[str, ...] = ("right of", "below", "next to")

NUMBER_WORDS: tuple[str, ...] = ("zero", "one", "two", "three", "four", "five", "six")


def plural(shape: str, count: int) -> str:
    return shape if count == 1 else SHAPE_PLURALS[shape]


def canonical_relation(subject: Any, predicate: str, obj: Any) -> tuple[Any, str, Any]:
    """The same relation stated in one canonical direction ("a left of b" becomes "b right of a").

    `subject` and `obj` are object indices as strings or descriptions (tuples whose parts may be None,
    where a parsed sentence left an attribute unsaid).
    """
    if predicate not in CANONICAL_PREDICATES:
        subject, predicate, obj = obj, INVERSE_PREDICATE[predicate], subject
    if predicate == "next to" and _order_key(obj) < _order_key(subject):  # symmetric: order the two ends
        subject, obj = obj, subject
    return subject, predicate, obj


def _order_key(end: Any) -> Any:
    """A sortable key for a relation's end: None (an attribute not stated) sorts before any word."""
    if isinstance(end, tuple):
        return tuple((part is not None, part or "") for part in end)
    return end
