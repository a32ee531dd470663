"""The closed world of synthetic scenes: shapes, colours, sizes, positions, relations and backgrounds.

Every word a generated sentence can hold is defined here, so the describer, the parser and the splits share
one vocabulary. Object colours and background colours use disjoint words, so a sentence never leaves it
unclear which of the two a colour belongs to.
"""

from __future__ import annotations

__all__ = [
    "BACKGROUND_COLOURS",
    "BACKGROUND_KINDS",
    "COLOURS",
    "NUMBER_WORDS",
    "SHAPES",
    "SHAPE_PLURALS",
    "SIZES",
    "SIZE_SCALE",
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

NUMBER_WORDS: tuple[str, ...] = ("zero", "one", "two", "three", "four", "five", "six")


def plural(shape: str, count: int) -> str:
    return shape if count == 1 else SHAPE_PLURALS[shape]
