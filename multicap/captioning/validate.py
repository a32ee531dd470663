"""Validation by real decoding: caption the validation images at every level and score them."""

from __future__ import annotations

import torch

from multicap.captioning.batches import TrainingData
from multicap.captioning.decoding import decode
from multicap.captioning.model import Captioner
from multicap.captioning.recipe import Recipe
from multicap.captioning.scoring import LevelScores, score_levels

__all__ = ["validate"]


def validate(
    model: Captioner, data: TrainingData, recipe: Recipe, device: torch.device, batch_size: int = 100
) -> dict[str, LevelScores]:
    """Decode every validation image at every level with the recipe's decoding settings, and score."""
    predictions: dict[str, dict[str, str]] = {}
    for level in data.levels:
        ids = [i for i in data.val_ids if i in data.val_refs.get(level, {})]
        if not ids:
            continue
        position = {image_id: k for k, image_id in enumerate(data.val_ids)}
        rows = data.val_rows[[position[i] for i in ids]]
        texts: list[str] = []
        for start in range(0, len(ids), batch_size):
            grid = torch.from_numpy(data.store.grid(rows[start : start + batch_size]).astype("float32"))
            caps = decode(model, grid.to(device), [level] * len(grid), data.vocab, recipe.decoding)
            texts.extend(c.text for c in caps)
        predictions[level] = dict(zip(ids, texts, strict=True))
    return score_levels(predictions, data.val_refs, data.val_facts, data.reader)
