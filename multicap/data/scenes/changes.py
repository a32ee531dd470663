"""Pairs of scenes that differ by one controlled change, with the ground-truth statements of the difference.

A change is an object added, removed, recoloured, resized (same centre) or moved (to another grid cell); a
distractor changes pixels but no fact: a brightness change, or every object shifted by a few pixels without
any position or relation changing. Both images use the same render seed, so nothing else differs.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
from PIL import Image

from multicap.data.scenes.render import render
from multicap.data.scenes.sampler import (
    SamplerConfig,
    Scene,
    boxes_overlap,
    layout_facts,
    place_box,
    sample_facts,
    scene_rng,
)
from multicap.facts.geometry import Box
from multicap.facts.scene import SceneFacts, SceneObject
from multicap.facts.scene_sentences import POSITION_STYLES
from multicap.facts.scene_words import COLOURS, SHAPES, SIZE_SCALE, SIZES

__all__ = ["CHANGE_KINDS", "DISTRACTOR_KINDS", "ScenePair", "make_pair"]

CHANGE_KINDS: tuple[str, ...] = ("add", "remove", "recolour", "resize", "move")
DISTRACTOR_KINDS: tuple[str, ...] = ("brightness", "jitter")
_PAIR_STREAM = 10
_Changed = tuple[SceneFacts, list[str]]
# A position as a noun phrase: "moved from the top left corner to the bottom".
_PLACES: dict[str, str] = {p: ("the " + p + (" corner" if " " in p else "")) for p in POSITION_STYLES[0]}


@dataclass
class ScenePair:
    before: Scene
    after: Scene  # same render seed as `before`
    change: str  # one of CHANGE_KINDS or DISTRACTOR_KINDS
    differences: list[str]  # ground-truth statements of the change; empty for a distractor
    brightness: float = 1.0  # pixel multiplier for `after` (the brightness distractor)

    def images(self, size: int = 224) -> tuple[Image.Image, Image.Image]:
        return (
            render(self.before.facts, size, self.before.render_seed),
            render(self.after.facts, size, self.after.render_seed, brightness=self.brightness),
        )


def _name(obj: SceneObject, with_size: bool = True) -> str:
    size = f"{obj.attributes['size']} " if with_size else ""
    return f"{size}{obj.attributes['colour']} {obj.label}"


def _where(obj: SceneObject) -> str:
    return POSITION_STYLES[0][obj.attributes["position"]]


def _fits(box: Box, taken: list[Box], cfg: SamplerConfig) -> bool:
    inside = min(box[0], box[1]) >= cfg.border and max(box[2], box[3]) <= 1 - cfg.border
    return inside and not any(boxes_overlap(box, other, cfg.gap) for other in taken)


def _add(
    rng: np.random.Generator, facts: SceneFacts, objs: list[SceneObject], cfg: SamplerConfig
) -> _Changed | None:
    if len(objs) >= cfg.max_objects:
        return None
    size = SIZES[int(rng.integers(len(SIZES)))]
    box = place_box(rng, SIZE_SCALE[size], [o.box for o in objs], cfg)
    if box is None:
        return None
    colour = list(COLOURS)[int(rng.integers(len(COLOURS)))]
    new = SceneObject(
        SHAPES[int(rng.integers(len(SHAPES)))], box=box, attributes={"colour": colour, "size": size}
    )
    after = layout_facts([*objs, new], facts.image_attributes, cfg)
    return after, [f"a {_name(new)} was added {_where(new)}"]


def _remove(k: int, facts: SceneFacts, objs: list[SceneObject], cfg: SamplerConfig) -> _Changed | None:
    if len(objs) < 2:
        return None
    gone = objs.pop(k)
    return layout_facts(objs, facts.image_attributes, cfg), [f"the {_name(gone)} {_where(gone)} was removed"]


def _recolour(rng: np.random.Generator, k: int, facts: SceneFacts, objs: list[SceneObject]) -> _Changed:
    obj = objs[k]
    old = obj.attributes["colour"]
    obj.attributes["colour"] = [c for c in COLOURS if c != old][int(rng.integers(len(COLOURS) - 1))]
    text = f"the {obj.attributes['size']} {old} {obj.label} {_where(obj)} became {obj.attributes['colour']}"
    return SceneFacts(objs, copy.deepcopy(facts.relations), dict(facts.image_attributes)), [text]


def _resize(
    rng: np.random.Generator, k: int, facts: SceneFacts, objs: list[SceneObject], cfg: SamplerConfig
) -> _Changed | None:
    obj, old = objs[k], objs[k].attributes["size"]
    cx, cy = (obj.box[0] + obj.box[2]) / 2, (obj.box[1] + obj.box[3]) / 2
    others = [o.box for i, o in enumerate(objs) if i != k]
    for size in [SIZES[int(i)] for i in rng.permutation(len(SIZES))]:
        half = SIZE_SCALE[size] / 2
        box = (round(cx - half, 4), round(cy - half, 4), round(cx + half, 4), round(cy + half, 4))
        if size == old or not _fits(box, others, cfg):
            continue
        obj.box, obj.attributes["size"] = box, size
        after = layout_facts(objs, facts.image_attributes, cfg)
        if [r.predicate for r in after.relations] != [r.predicate for r in facts.relations]:
            return None  # growing changed a relation: not a change of size alone
        return after, [f"the {_name(obj, False)} {_where(obj)} changed size from {old} to {size}"]
    return None


def _move(
    rng: np.random.Generator, k: int, facts: SceneFacts, objs: list[SceneObject], cfg: SamplerConfig
) -> _Changed | None:
    obj = objs[k]
    before = obj.attributes["position"]
    others = [o.box for i, o in enumerate(objs) if i != k]
    box = place_box(rng, obj.box[2] - obj.box[0], others, cfg)
    if box is None:
        return None
    obj.box = box
    after = layout_facts(objs, facts.image_attributes, cfg)
    if obj.attributes["position"] == before:
        return None
    text = f"the {_name(obj)} moved from {_PLACES[before]} to {_PLACES[obj.attributes['position']]}"
    return after, [text]


def _jitter(
    rng: np.random.Generator, facts: SceneFacts, objs: list[SceneObject], cfg: SamplerConfig
) -> _Changed | None:
    """Every object shifted by the same 1-3 pixels (at 224 px); None if that would change a fact."""
    dx, dy = (float(v) * rng.choice([-1, 1]) for v in rng.uniform(1 / 224, 3 / 224, size=2))
    for obj in objs:
        obj.box = (
            round(obj.box[0] + dx, 4),
            round(obj.box[1] + dy, 4),
            round(obj.box[2] + dx, 4),
            round(obj.box[3] + dy, 4),
        )
    if not all(_fits(o.box, [], cfg) for o in objs):
        return None
    after = layout_facts(objs, facts.image_attributes, cfg)
    same = [o.attributes for o in after.objects] == [o.attributes for o in facts.objects] and [
        r.predicate for r in after.relations
    ] == [r.predicate for r in facts.relations]
    return (after, []) if same else None


def _apply(rng: np.random.Generator, facts: SceneFacts, kind: str, cfg: SamplerConfig) -> _Changed | None:
    objs = copy.deepcopy(facts.objects)
    k = int(rng.integers(len(objs)))
    if kind == "add":
        return _add(rng, facts, objs, cfg)
    if kind == "remove":
        return _remove(k, facts, objs, cfg)
    if kind == "recolour":
        return _recolour(rng, k, facts, objs)
    if kind == "resize":
        return _resize(rng, k, facts, objs, cfg)
    if kind == "move":
        return _move(rng, k, facts, objs, cfg)
    if kind == "jitter":
        return _jitter(rng, facts, objs, cfg)
    if kind == "brightness":
        return SceneFacts(objs, copy.deepcopy(facts.relations), dict(facts.image_attributes)), []
    raise ValueError(f"unknown change {kind!r}; expected one of {CHANGE_KINDS + DISTRACTOR_KINDS}")


def make_pair(
    seed: int, index: int, kind: str | None = None, config: SamplerConfig = SamplerConfig()
) -> ScenePair:
    """Pair `index` of `seed`: a scene and a copy with one change of `kind` (any kind when None).

    A kind the scene leaves no room for (adding to a full scene, removing its only object) is retried on a
    new scene, so the pair always holds the kind asked for.
    """
    rng = scene_rng(seed, index, _PAIR_STREAM)
    kinds = CHANGE_KINDS + DISTRACTOR_KINDS
    chosen = kind if kind is not None else kinds[int(rng.integers(len(kinds)))]
    for _ in range(200):
        facts = sample_facts(rng, config)
        changed = _apply(rng, facts, chosen, config)
        if changed is not None:
            render_seed = int(rng.integers(2**31))
            brightness = float(rng.choice([0.8, 0.85, 1.15, 1.2])) if chosen == "brightness" else 1.0
            return ScenePair(
                Scene(facts, render_seed), Scene(changed[0], render_seed), chosen, changed[1], brightness
            )
    raise RuntimeError(f"no scene took a {chosen!r} change in 200 tries")
