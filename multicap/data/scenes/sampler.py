"""Sample scenes: 1-4 objects with shape, colour and size, placed without touching, and their exact layout.

A scene's ground truth is a `SceneFacts`: one `SceneObject` per object (label = shape; attributes colour,
size and position), one `Relation` per pair of objects (predicate taken from the geometry, always stated in
the canonical direction of `orient`), and the background as image attributes. Sampling is a pure function of
a numpy Generator, so a seed gives the same scene on every machine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from multicap.facts.geometry import Box, orient, position_of, reading_order, relation_between
from multicap.facts.scene import Relation, SceneFacts, SceneObject
from multicap.facts.scene_words import (
    BACKGROUND_COLOURS,
    BACKGROUND_KINDS,
    COLOURS,
    SHAPES,
    SIZE_SCALE,
    SIZES,
)

__all__ = [
    "SamplerConfig",
    "Scene",
    "boxes_overlap",
    "layout_facts",
    "place_box",
    "sample_facts",
    "scene_rng",
    "stable_hash",
]


@dataclass(frozen=True)
class SamplerConfig:
    min_objects: int = 1  # fewest objects in a scene
    max_objects: int = 4  # most objects in a scene
    gap: float = 0.03  # least empty space between two boxes, as a fraction of the image side
    border: float = 0.02  # least space between a box and the image edge
    next_to_gap: float = 0.06  # side by side and closer than this: "next to" rather than "left of"
    place_tries: int = 60  # random placements tried before an object is left out


@dataclass
class Scene:
    """One sampled scene: its facts, and the seed of the texture and colour jitter its rendering uses."""

    facts: SceneFacts
    render_seed: int


def scene_rng(seed: int, index: int, stream: int = 0) -> np.random.Generator:
    """The generator of scene `index` in a dataset of `seed`: independent of every other index."""
    return np.random.default_rng([seed, index, stream])


_MASK64 = (1 << 64) - 1


def stable_hash(*values: int) -> int:
    """A 64-bit hash of integers (splitmix64 steps), the same on every machine and Python version.

    Cheaper than a numpy Generator (~1 us against ~60 us) where one or two numbers are needed.
    """
    h = 0
    for v in values:
        x = (h ^ (v & _MASK64)) + 0x9E3779B97F4A7C15 & _MASK64
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & _MASK64
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & _MASK64
        h = x ^ (x >> 31)
    return h


def boxes_overlap(a: Box, b: Box, gap: float) -> bool:
    return not (a[2] + gap <= b[0] or b[2] + gap <= a[0] or a[3] + gap <= b[1] or b[3] + gap <= a[1])


def place_box(rng: np.random.Generator, side: float, taken: list[Box], config: SamplerConfig) -> Box | None:
    """A box of `side` that keeps `config.gap` from every box in `taken`, or None after `place_tries`."""
    lo, hi = config.border, 1.0 - config.border - side
    for _ in range(config.place_tries):
        x0, y0 = (float(v) for v in rng.uniform(lo, hi, size=2))
        box = (round(x0, 4), round(y0, 4), round(x0 + side, 4), round(y0 + side, 4))
        if not any(boxes_overlap(box, other, config.gap) for other in taken):
            return box
    return None


def layout_facts(
    objects: list[SceneObject], image_attributes: dict[str, str], config: SamplerConfig = SamplerConfig()
) -> SceneFacts:
    """Facts for objects whose boxes are set: positions and all pairwise relations derived from geometry.

    Objects are put in reading order (the rows of the 3x3 position grid from the top, left to right in a
    row), so the order in which sentences name them, and the relation chain that order implies, can be
    seen in the image rather than being an accident of sampling.
    """
    objects = sorted(objects, key=reading_order)
    for obj in objects:
        obj.attributes["position"] = position_of(obj.box)
    relations = [
        orient(
            Relation(i, relation_between(objects[i].box, objects[j].box, next_to_gap=config.next_to_gap), j),
            objects,
        )
        for i in range(len(objects))
        for j in range(i)
    ]
    return SceneFacts(objects=objects, relations=relations, image_attributes=dict(image_attributes))


def _choice(rng: np.random.Generator, options: tuple[str, ...] | list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def sample_facts(
    rng: np.random.Generator,
    config: SamplerConfig = SamplerConfig(),
    accept: Callable[[SceneFacts], bool] | None = None,
    max_tries: int = 1000,
) -> SceneFacts:
    """Sample one scene; with `accept`, resample until it holds (the splits use this to keep pairs out).

    Raises:
        RuntimeError: when `accept` rejects `max_tries` scenes in a row (a constraint no scene can meet).
    """
    colours, bg_colours = list(COLOURS), list(BACKGROUND_COLOURS)
    for _ in range(max_tries):
        n = int(rng.integers(config.min_objects, config.max_objects + 1))
        objects: list[SceneObject] = []
        taken: list[Box] = []
        for _ in range(n):
            size = _choice(rng, SIZES)
            shape, colour = _choice(rng, SHAPES), _choice(rng, colours)
            box = place_box(rng, SIZE_SCALE[size], taken, config)
            if box is None:  # no room left: the scene keeps the objects placed so far
                break
            taken.append(box)
            objects.append(SceneObject(label=shape, box=box, attributes={"colour": colour, "size": size}))
        background = {
            "background": _choice(rng, BACKGROUND_KINDS),
            "background_colour": _choice(rng, bg_colours),
        }
        facts = layout_facts(objects, background, config)
        if accept is None or accept(facts):
            return facts
    raise RuntimeError(f"no scene met the constraint in {max_tries} tries")
