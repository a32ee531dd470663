"""Seconds per training step of the scenes captioner: how the running captions are packed, same process.

    .venv/bin/python benchmarks/train_step.py --data data/scenes --steps 8 --rounds 3

Three ways to run a step over a batch of captions of mixed lengths (the model, batches and weights are the
same; only `multicap.captioning.model.PACK_ROWS` changes):
- `unpacked`: every step computes all B rows, finished captions included (the plain loop);
- `per-step`: each step computes exactly the captions still running (sgrvinod's batch_size_t; the
  default);
- `blocks of N`: the running rows rounded up to a multiple of N, so the backward pass slices the cells
  fewer times per batch, at the cost of computing a few finished rows.
All give the same loss (checked on the first batch, dropout off). Medians over rounds, interleaved.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time

import torch

from multicap.captioning import model as model_module
from multicap.captioning.batches import build_examples
from multicap.captioning.model import Captioner
from multicap.captioning.recipe import load_recipe


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data", default="data/scenes", help="a scenes corpus (features are cached on first use)"
    )
    ap.add_argument("--steps", type=int, default=8, help="timed steps per round and variant")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    recipe = load_recipe("scenes", [f"data.corpus={args.data}", "data.val_images=1"])
    data = build_examples(recipe)
    cfg = dataclasses.replace(
        recipe.model, vocab_size=len(data.vocab), feature_dim=data.store.grid_shape[-1], grid_hw=data.grid_hw
    )
    stream = data.train.batches(64, torch.Generator().manual_seed(0))
    batches = [next(stream) for _ in range(args.steps)]
    variants = {"unpacked": 1 << 30, "per-step": 1, "blocks of 4": 4, "blocks of 8": 8, "blocks of 16": 16}
    base_name = "per-step"
    default = model_module.PACK_ROWS
    times: dict[str, list[float]] = {name: [] for name in variants}
    losses: dict[str, float] = {}
    for _ in range(args.rounds):
        for name, rows in variants.items():
            model_module.PACK_ROWS = rows
            torch.manual_seed(0)
            model = Captioner(cfg)
            model.eval()  # dropout off: the first batch's loss must not depend on the packing
            with torch.no_grad():
                losses[name] = float(model(*batches[0][:2])[1])  # type: ignore[arg-type]
            model.train()
            optim = torch.optim.AdamW(model.parameters(), lr=1e-3)
            start = time.perf_counter()
            for grid, captions, _ in batches:
                _, loss = model(grid, captions)
                assert loss is not None
                optim.zero_grad()
                loss.backward()
                optim.step()
            times[name].append((time.perf_counter() - start) / len(batches))
    model_module.PACK_ROWS = default
    medians = {name: statistics.median(t) for name, t in times.items()}
    base = medians[base_name]
    same = max(losses.values()) - min(losses.values()) < 1e-4
    result = {
        "s_per_step": {k: round(v, 3) for k, v in medians.items()},
        "speedup_vs_per_step": {k: round(base / v, 2) for k, v in medians.items()},
        "same_loss": same,
        "threads": torch.get_num_threads(),
    }
    if args.json:
        print(json.dumps(result))
        return
    for name, m in medians.items():
        print(f"{name:13s} {m:.3f} s/step  ({base / m:.2f}x vs per-step)")
    print(f"same first-batch loss: {same} ({losses})")


if __name__ == "__main__":
    main()
