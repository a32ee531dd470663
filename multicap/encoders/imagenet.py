"""ImageNet-1k class names and top-k readout of classifier logits."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import torch

__all__ = ["imagenet_labels", "top_k"]


@lru_cache(maxsize=1)
def imagenet_labels() -> tuple[str, ...]:
    """The 1,000 ImageNet-1k class names in the standard order (data/imagenet_classes.json: provenance)."""
    text = resources.files("multicap.encoders.data").joinpath("imagenet_classes.json").read_text("utf-8")
    return tuple(json.loads(text)["labels"])


def top_k(
    logits: torch.Tensor, labels: tuple[str, ...] | list[str], k: int = 5
) -> list[list[tuple[str, float]]]:
    """(B, C) logits → per image, the k most probable `(label, probability)` pairs, best first."""
    probs = torch.softmax(logits.float(), dim=-1)  # (B, C)
    values, indices = probs.topk(min(k, probs.shape[-1]), dim=-1)  # (B, k)
    return [
        [(labels[i], float(p)) for p, i in zip(row_v.tolist(), row_i.tolist(), strict=True)]
        for row_v, row_i in zip(values, indices, strict=True)
    ]
