"""Dataset statistics: what a scenes dataset holds, counted per shape, colour, size, relation and level."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from multicap.data.scenes.describe import mentioned_relations
from multicap.data.scenes.export import SceneRecord, tokenize_words

__all__ = ["dataset_stats"]


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


def dataset_stats(records: Iterable[SceneRecord]) -> dict[str, Any]:
    """Counts of every fact and every sentence in `records`; JSON-ready, sorted keys."""
    keys = (
        "split",
        "objects_per_scene",
        "shape",
        "colour",
        "size",
        "position",
        "relation",
        "relation_stated",
    )
    counts: dict[str, Counter[str]] = {k: Counter() for k in (*keys, "background", "background_colour")}
    lengths: dict[str, list[int]] = {}
    vocab: dict[str, set[str]] = {}
    n = 0
    for rec in records:
        n += 1
        f = rec.facts
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
                lengths.setdefault(level, []).append(len(words))
                vocab.setdefault(level, set()).update(words)
    levels = {
        level: {"sentences": len(ls), "length": _length_summary(ls), "vocabulary": len(vocab[level])}
        for level, ls in lengths.items()
    }
    return {
        "images": n,
        "counts": {k: dict(sorted(c.items())) for k, c in counts.items()},
        "levels": levels,
        "vocabulary_size": len(set().union(*vocab.values())) if vocab else 0,
    }
