"""Training data loading: steps/s of captioner training from the feature cache against computing the
encoder's features on the fly for every batch (loading, decoding, resizing, encoding), same process, same
model and batches.

Usage:
    .venv/bin/python benchmarks/train_data_loading.py [--corpus data/scenes] [--images 256] [--steps 8]

The corpus is a scenes dataset (`multicap data scenes --out data/scenes --n 8000 --size 160`); the recipe
is configs/scenes.yaml. The feature cache goes to a temporary folder unless --features is given.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from multicap.captioning.model import Captioner
from multicap.captioning.recipe import load_recipe
from multicap.data.feature_cache import FeatureStore
from multicap.data.loading import load_corpus
from multicap.io import load_image
from multicap.text import Vocabulary, tokenize


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", default="data/scenes")
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--steps", type=int, default=8, help="training steps per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--features", default="")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(2)
    recipe = load_recipe("scenes")
    corpus = load_corpus(args.corpus)
    images = corpus.split("train")[: args.images]
    encoder = recipe.encoder.create()
    with tempfile.TemporaryDirectory() as tmp:
        store = FeatureStore.open(Path(args.features or tmp) / "store", encoder)
        start = time.perf_counter()
        store.build([im.path for im in images], encoder)
        build_s = time.perf_counter() - start
        rows = np.asarray(store.rows_of([im.path for im in images]))
        level = "layout"
        vocab = Vocabulary.build(tokenize(t) for im in images for t in im.captions[level])
        seqs = [
            [vocab.level_id(level), *vocab.encode(tokenize(im.captions[level][0])), vocab.eos_id]
            for im in images
        ]
        cfg = recipe.model
        cfg = type(cfg)(
            **{
                **cfg.to_dict(),
                "feature_dim": store.grid_shape[1],
                "grid_hw": store.grid_hw,
                "vocab_size": len(vocab),
            }
        )
        model = Captioner(cfg)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        batch = recipe.train.batch_size

        def captions(idx: np.ndarray) -> torch.Tensor:
            out = torch.zeros(len(idx), max(len(seqs[i]) for i in idx), dtype=torch.long)
            for j, i in enumerate(idx):
                out[j, : len(seqs[i])] = torch.tensor(seqs[i])
            return out

        def step(grid: torch.Tensor, idx: np.ndarray) -> None:
            _, loss = model(grid, captions(idx))
            assert loss is not None
            opt.zero_grad()
            loss.backward()
            opt.step()

        def cached(idx: np.ndarray) -> None:
            step(torch.from_numpy(store.grid(rows[idx]).astype(np.float32)), idx)

        def on_the_fly(idx: np.ndarray) -> None:
            pixels = torch.stack([encoder.preprocess.to_uint8(load_image(images[i].path)) for i in idx])
            step(encoder.encode_batch(pixels).grid.clone(), idx)

        rng = np.random.default_rng(0)
        batches = [rng.choice(len(images), batch, replace=False) for _ in range(args.steps)]
        rates: dict[str, list[float]] = {"cached": [], "on_the_fly": []}
        for _ in range(args.rounds):
            for name, fn in (("cached", cached), ("on_the_fly", on_the_fly)):
                start = time.perf_counter()
                for idx in batches:
                    fn(idx)
                rates[name].append(args.steps / (time.perf_counter() - start))
    result = {
        "images_cached": len(images),
        "cache_build_s": build_s,
        "cached_steps_s": statistics.median(rates["cached"]),
        "on_the_fly_steps_s": statistics.median(rates["on_the_fly"]),
        "speedup": statistics.median(
            c / f for c, f in zip(rates["cached"], rates["on_the_fly"], strict=True)
        ),
    }
    print(json.dumps(result) if args.json else "\n".join(f"{k:22s} {v:.4g}" for k, v in result.items()))


if __name__ == "__main__":
    main()
