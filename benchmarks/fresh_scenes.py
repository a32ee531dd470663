"""Score a captioner on scenes it has never seen: drawn afresh by the generator that made its training data.

    scores = fresh_scene_scores(load_bundle("scenes-small"), split="test", n=300)   # level → fact F1

Scene `i` of a dataset depends on (seed, i) only, so scenes far past the end of the training dataset
(`start`, one million by default) are new draws from the same distribution; each keeps the split that its
index falls in, and `test_comp` scenes hold the dataset's held-out colour-shape pairs and relations. The
images are rendered in memory at the bundle's input size and encoded by the bundle's own encoder, as
`multicap describe` would, so nothing here reads the training data's feature cache.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from multicap.captioning.bundle import Bundle
from multicap.captioning.decoding import DecodeConfig
from multicap.captioning.scoring import fact_f1
from multicap.data.scenes import SceneRecord, ScenesConfig, render, scene_record
from multicap.facts.scene import LEVELS

__all__ = ["fresh_scene_scores", "fresh_scenes"]


def fresh_scenes(split: str, n: int, *, seed: int = 0, start: int = 1_000_000) -> list[SceneRecord]:
    """The first `n` scenes of `split` from index `start` on, in the dataset of `seed`."""
    config = ScenesConfig(n=1, seed=seed)
    records: list[SceneRecord] = []
    index = start
    while len(records) < n:
        record = scene_record(config, index)
        if record.split == split:
            records.append(record)
        index += 1
    return records


@torch.no_grad()
def fresh_scene_scores(
    bundle: Bundle,
    *,
    split: str = "test",
    n: int = 300,
    seed: int = 0,
    levels: Sequence[str] | None = None,
    decoding: DecodeConfig | None = None,
    batch_size: int = 50,
) -> dict[str, float]:
    """Fact F1 per level of `bundle` on `n` fresh scenes of `split` (the scenes parser reads its captions)."""
    wanted = [lv for lv in (levels or LEVELS) if lv in bundle.levels]
    encoder = bundle.encoder.create(device=next(bundle.model.parameters()).device)
    size = bundle.encoder.image_size
    records = fresh_scenes(split, n, seed=seed)
    texts: dict[str, list[str]] = {lv: [] for lv in wanted}
    for start in range(0, len(records), batch_size):
        chunk = records[start : start + batch_size]
        grid = encoder.encode_images([render(r.facts, size, r.render_seed) for r in chunk]).grid  # (B, N, D)
        for level in wanted:
            texts[level] += [c.text for c in bundle.caption(grid, [level] * len(chunk), decoding)]
    return {lv: fact_f1(texts[lv], [r.facts for r in records], lv) for lv in wanted}
