"""Dataset statistics: what a scenes dataset holds, counted per shape, colour, size, relation and level."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from multicap.data.scenes.export import SceneRecord, tokenize_words
from multicap.facts.scene_sentences import mentioned_relations

__all__ = ["StatsAccumulator", "dataset_stats"]


def _length_summary(lengths: list[int]) -> dict[str, Any]:
    if not lengths:
        return {"min": 0, "mean": 0.0, "median": 0.0, "p90": 0.0, "max": 0, "histogram": {}}
    arr = np.asarray(lengths)
    hist = Counter(lengths)
    return {
        "min": int(arr.min()),
        "mean": round(float(arr.mean()), 2),
        "median": float(np.median(arr)),
        "p90": float(np.percentile(arr, 90)),
        "max": int(arr.max()),
        "histogram": {str(k): hist[k] for k in sorted(hist)},  # words per sentence -> sentences
    }


class StatsAccumulator:
    """Counts of every fact and every sentence, record by record (in any order)."""

    _KEYS = ("split", "objects_per_scene", "shape", "colour", "size", "position", "relation",
             "relation_stated", "background", "background_colour")  # fmt: skip

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {k: Counter() for k in self._KEYS}
        self.lengths: dict[str, list[int]] = {}
        self.vocab: dict[str, set[str]] = {}
        self.images = 0

    def add(self, rec: SceneRecord) -> None:
        f, counts = rec.facts, self.counts
        self.images += 1
        counts["split"][rec.split] += 1
        counts["objects_per_scene"][str(len(f.objects))] += 1
        for obj in f.objects:
            counts["shape"][obj.label] += 1
            for key in ("colour", "size", "position"):
                counts[key][obj.attributes[key]] += 1
        counts["relation"].update(r.predicate for r in f.relations)
        counts["relation_stated"].update(r.predicate for r in mentioned_relations(f))
        counts["background"][f.image_attributes["background"]] += 1
        counts["background_colour"][f.image_attributes["background_colour"]] += 1
        for level, texts in rec.texts.items():
            for text in texts:
                words = tokenize_words(text)
                self.lengths.setdefault(level, []).append(len(words))
                self.vocab.setdefault(level, set()).update(words)

    def result(self) -> dict[str, Any]:
        """JSON-ready statistics with sorted keys."""
        levels = {
            level: {"sentences": len(ls), "length": _length_summary(ls), "vocabulary": len(self.vocab[level])}
            for level, ls in self.lengths.items()
        }
        return {
            "images": self.images,
            "counts": {k: dict(sorted(c.items())) for k, c in self.counts.items()},
            "levels": levels,
            "vocabulary_size": len(set().union(*self.vocab.values())) if self.vocab else 0,
        }


def dataset_stats(records: Iterable[SceneRecord]) -> dict[str, Any]:
    """Counts of every fact and every sentence in `records`; JSON-ready, sorted keys."""
    acc = StatsAccumulator()
    for rec in records:
        acc.add(rec)
    return acc.result()
