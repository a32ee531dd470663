"""`Description`: what a describer says about one image, at every level it was asked for; `DescribedBatch`:
a batch of them with the encoder's features.

Both describers produce it (the grounded one from the encoder's classifications, the neural one from a
trained captioner bundle); everything downstream (sets, index, compare) works on `Description` alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from multicap.encoders import Features
from multicap.facts.geometry import position_of
from multicap.facts.scene import SceneFacts

__all__ = ["DescribedBatch", "Description", "attention_locations", "description_json", "unended"]

_FUNCTION_WORDS = frozenset(
    {"a", "an", "the", "of", "to", "in", "on", "at", "is", "are", "and", "with", "there", "it", "its"}
)


@dataclass
class Description:
    path: Path  # the image file
    facts: SceneFacts | None = None  # structured facts where the describer has them
    texts: dict[str, str] = field(default_factory=dict)  # level → text
    confidence: dict[str, float] = field(default_factory=dict)  # level → confidence in 0..1 where known
    captions: dict[str, Any] = field(default_factory=dict)  # level → multicap.captioning.Caption (neural)
    unlike_training: bool = False  # neural: the image is unlike every image its captioner was trained on

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: path, facts, texts and confidences (attention maps are left out)."""
        return {
            "path": str(self.path),
            "facts": self.facts.to_dict() if self.facts is not None else None,
            "texts": dict(self.texts),
            "confidence": dict(self.confidence),
        }


@dataclass
class DescribedBatch:
    """What `Describer.describe_batch` returns: the batch's encoder output and what is said of each image."""

    features: Features  # grid, pooled vector and ImageNet logits of each image (one encoder pass)
    descriptions: list[Description]


def description_json(desc: Description) -> dict[str, Any]:
    """The documented JSON object of one description (cli/describe.py's docstring has the schema)."""
    out: dict[str, Any] = {"type": "image", **desc.to_dict()}
    if desc.captions:
        out["locations"] = {
            lv: attention_locations(cap, _square_grid(cap)) for lv, cap in desc.captions.items()
        }
    if unended(desc):
        out["unended"] = unended(desc)
    if desc.unlike_training:
        out["unlike_training"] = True
    return out


def unended(desc: Description) -> list[str]:
    """The levels whose caption a bundle's search stopped at its length limit, never ending the sentence
    (on an image unlike any it learned: "a diamond black diamond black black blue ..."): unreliable."""
    return [lv for lv, cap in desc.captions.items() if not getattr(cap, "ended", True)]


def _square_grid(caption: Any) -> tuple[int, int]:
    """Bundles encode squashed square images, so their grids are square: N cells → (√N, √N)."""
    n = caption.attention.shape[1] if caption.attention is not None else 1
    side = math.isqrt(n)
    return (side, n // side)


def attention_locations(caption: Any, grid_hw: tuple[int, int]) -> list[dict[str, Any]]:
    """Each content word of a caption with where it looked (the box of cells at half the peak or more)
    and, where the decoder kept it, the probability it gave the word (`confidence`)."""
    if caption.attention is None:
        return []
    gh, gw = grid_hw
    probs = caption.token_logprobs
    out = []
    for t, (word, alpha) in enumerate(zip(caption.tokens, caption.attention, strict=False)):
        if word in _FUNCTION_WORDS or not word.isalpha():
            continue
        box = _attention_box(np.asarray(alpha).reshape(gh, gw))
        loc = {"word": word, "box": [round(v, 4) for v in box], "position": position_of(box)}
        if probs is not None:
            loc["confidence"] = round(float(np.exp(probs[t])), 4)
        out.append(loc)
    return out


def _attention_box(cells: np.ndarray) -> tuple[float, float, float, float]:
    """(h, w) attention → the box of the cells with at least half its peak, in 0..1."""
    gh, gw = cells.shape
    rows, cols = np.nonzero(cells >= 0.5 * cells.max())
    return (cols.min() / gw, rows.min() / gh, (cols.max() + 1) / gw, (rows.max() + 1) / gh)
