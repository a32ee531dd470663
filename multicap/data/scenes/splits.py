"""Train / val / test splits, and a compositional test split built from combinations train never sees.

Some colour-shape pairs ("red circle") and some relation-shape combinations ("circle right of square", in
the canonical direction of `vocab.canonical_relation`) are held out: no train, val or test scene holds one,
and every `test_comp` scene holds at least one. Which ones are held out follows from the dataset seed and is
written to the dataset's metadata. Each scene index draws its split first, then samples a scene until the
scene fits the split, so scene `i` depends only on `(seed, i)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from multicap.data.scenes.sampler import SamplerConfig, Scene, sample_facts, scene_rng, stable_hash
from multicap.facts.geometry import CANONICAL_PREDICATES, canonical_relation
from multicap.facts.scene import SceneFacts
from multicap.facts.scene_words import COLOURS, SHAPES

__all__ = ["SPLITS", "HeldOut", "SplitConfig", "held_out_for", "scene_for_index", "split_for_index"]

SPLITS: tuple[str, ...] = ("train", "val", "test", "test_comp")
_SPLIT_STREAM, _SCENE_STREAM, _HELD_OUT_STREAM = 1, 2, 3


@dataclass(frozen=True)
class SplitConfig:
    val: float = 0.05  # share of scenes in val
    test: float = 0.05  # share of scenes in the in-distribution test split
    test_comp: float = 0.10  # share of scenes in the compositional test split
    held_out_pairs: int = 9  # colour-shape pairs kept out of train/val/test (at most one per shape)
    held_out_relations: int = 8  # (shape, predicate, shape) combinations kept out of train/val/test


@dataclass(frozen=True)
class HeldOut:
    """What the compositional split holds and the others never do."""

    pairs: frozenset[tuple[str, str]]  # (colour, shape)
    relations: frozenset[tuple[str, str, str]]  # (shape, canonical predicate, shape)

    def found_in(self, facts: SceneFacts) -> dict[str, list[list[str]]]:
        """The held-out pairs and relation combinations a scene holds (empty lists: none)."""
        objs = facts.objects
        pairs = sorted({(o.attributes["colour"], o.label) for o in objs} & self.pairs)
        rels = {
            canonical_relation(objs[r.subject].label, r.predicate, objs[r.object].label)
            for r in facts.relations
        }
        return {
            "pairs": [list(p) for p in pairs],
            "relations": [list(r) for r in sorted(rels & self.relations)],
        }

    def touches(self, facts: SceneFacts) -> bool:
        found = self.found_in(facts)
        return bool(found["pairs"] or found["relations"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "pairs": [list(p) for p in sorted(self.pairs)],
            "relations": [list(r) for r in sorted(self.relations)],
        }


def held_out_for(seed: int, config: SplitConfig = SplitConfig()) -> HeldOut:
    """The held-out combinations of a dataset seed: every colour and shape still occurs in train."""
    rng = scene_rng(seed, 0, _HELD_OUT_STREAM)
    shapes = [SHAPES[i] for i in rng.permutation(len(SHAPES))[: config.held_out_pairs]]
    colours = [list(COLOURS)[i] for i in rng.permutation(len(COLOURS))]
    pairs = frozenset((colours[k % len(colours)], shape) for k, shape in enumerate(shapes))
    combos = sorted(
        (a, p, b)
        for a in SHAPES
        for p in CANONICAL_PREDICATES
        for b in SHAPES
        if a != b and (p != "next to" or a < b)  # "next to" is symmetric: one order only
    )
    picked = rng.choice(len(combos), size=config.held_out_relations, replace=False)
    return HeldOut(pairs=pairs, relations=frozenset(combos[int(i)] for i in picked))


def split_for_index(seed: int, index: int, config: SplitConfig = SplitConfig()) -> str:
    u = stable_hash(seed, index, _SPLIT_STREAM) / 2.0**64  # uniform in [0, 1)
    for name, share in (("val", config.val), ("test", config.test), ("test_comp", config.test_comp)):
        if u < share:
            return name
        u -= share
    return "train"


def scene_for_index(
    seed: int,
    index: int,
    held_out: HeldOut,
    split_config: SplitConfig = SplitConfig(),
    sampler: SamplerConfig = SamplerConfig(),
) -> tuple[str, Scene]:
    """Scene `index` of the dataset of `seed`, and its split."""
    split = split_for_index(seed, index, split_config)
    rng: np.random.Generator = scene_rng(seed, index, _SCENE_STREAM)
    comp = split == "test_comp"
    facts = sample_facts(rng, sampler, accept=lambda f: held_out.touches(f) == comp)
    return split, Scene(facts=facts, render_seed=int(rng.integers(2**31)))
