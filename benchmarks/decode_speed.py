"""Decode speed: batched beam search (all images and beams advance together) against decoding one image at
a time (each image's beams batched, as sgrvinod's Show-Attend-Tell tutorial decodes), same model, same
process; the captions of both must be identical.

Usage:
    .venv/bin/python benchmarks/decode_speed.py [--model BUNDLE --data DIR] [--images 100] [--rounds 3]
    .venv/bin/python benchmarks/decode_speed.py --set model.attention_dim=64 --max-len 20  # untrained

Without --model a freshly initialised captioner of the scenes recipe's size decodes random grids (every
caption then runs to max_len, the worst case); `--set model.KEY=VALUE` changes its shape, to screen a size
before training it. With a bundle, grids come from the bundle's feature shape.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace

import torch

from multicap.captioning.bundle import load_bundle
from multicap.captioning.decoding import DecodeConfig, decode
from multicap.captioning.model import Captioner
from multicap.captioning.recipe import load_recipe
from multicap.encoders import get_encoder_spec
from multicap.text import Vocabulary


def _model(args: argparse.Namespace) -> tuple[Captioner, Vocabulary]:
    if args.model:
        bundle = load_bundle(args.model)
        return bundle.model, bundle.vocab
    recipe = load_recipe("scenes", overrides=args.set)
    vocab = Vocabulary([f"w{i}" for i in range(100)])
    torch.manual_seed(0)
    dim = get_encoder_spec(recipe.encoder.name).feature_dim
    cfg = replace(recipe.model, feature_dim=dim, grid_hw=(10, 10), vocab_size=len(vocab))
    return Captioner(cfg).eval(), vocab  # no word names an object: the object memory stays at zero


def _real_grids(model: str, data: str, n: int) -> torch.Tensor:
    from multicap.captioning.batches import features_folder
    from multicap.data.feature_cache import FeatureStore
    from multicap.data.loading import load_corpus

    bundle = load_bundle(model)
    encoder = bundle.encoder.create()
    store = FeatureStore.open(features_folder(data, bundle.encoder), encoder)
    paths = [im.path for im in load_corpus(data).split("test")[:n]]
    store.build(paths, encoder)
    rows = [r for r in store.rows_of(paths) if r is not None]
    return torch.from_numpy(store.grid(rows).astype("float32"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--model", default="", help="a bundle folder or name (default: untrained, scenes size)"
    )
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--beam", type=int, default=3)
    parser.add_argument("--max-len", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data", default="", help="with --model: a corpus whose cached features to decode")
    parser.add_argument(
        "--set", action="append", default=[], metavar="model.KEY=VALUE", help="without --model: the shape"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.model and args.set:
        parser.error("--set shapes the untrained captioner; a bundle keeps its own shape")
    torch.set_num_threads(args.threads)
    model, vocab = _model(args)
    gh, gw = model.config.grid_hw
    if args.model and args.data:
        grid = _real_grids(args.model, args.data, args.images)  # (B, N, D) the test split's cached grids
    else:
        grid = torch.randn(
            args.images, gh * gw, model.config.feature_dim, generator=torch.Generator().manual_seed(1)
        )
    levels = [vocab.levels[i % len(vocab.levels)] for i in range(args.images)]
    cfg = DecodeConfig(beam_size=args.beam, max_len=args.max_len)

    def batched() -> list[str]:
        return [c.text for c in decode(model, grid, levels, vocab, cfg)]

    def one_by_one() -> list[str]:
        return [decode(model, grid[i : i + 1], [levels[i]], vocab, cfg)[0].text for i in range(args.images)]

    assert batched() == one_by_one(), "batched and one-at-a-time decoding disagree"
    fast, slow = [], []
    for _ in range(args.rounds):
        for fn, sink in ((batched, fast), (one_by_one, slow)):
            start = time.perf_counter()
            fn()
            sink.append(args.images / (time.perf_counter() - start))
    result = {
        "images": args.images,
        "beam": args.beam,
        **({"shape": " ".join(args.set)} if args.set else {}),
        "batched_captions_s": statistics.median(fast),
        "one_at_a_time_captions_s": statistics.median(slow),
        "speedup": statistics.median(f / s for f, s in zip(fast, slow, strict=True)),
    }
    lines = (f"{k:26s} {v:.4g}" if isinstance(v, float) else f"{k:26s} {v}" for k, v in result.items())
    print(json.dumps(result) if args.json else "\n".join(lines))


if __name__ == "__main__":
    main()
