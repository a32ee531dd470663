"""Test-time variants of the grounded describer on the real-photo benchmark: larger inputs, flip averaging.

    .venv/bin/python scripts/fetch_real_photos.py            # once: the photos, into data/real_photos
    .venv/bin/python benchmarks/naming_variants.py            # the tune split, every variant

Issue 26 asks for test-time crops to be measured for naming. The grounded describer reads objects from one
forward pass (class-activation windows at three scales, not crops); the variants here spend more of the
encoder on the same photo and are scored as `benchmarks/real_photos.py` scores `describe` (main object
named, its colour, people mentioned), in this process, on the tune split unless `--split` says otherwise:

  224              the default: the encoder's training size, windows of 7, 5 and 3 cells of its 7 × 7 map
  256, 288, 320    the photo squashed to that side; the map is side / 32 cells across and the windows keep
                   their share of it (8/6/3, 9/6/4, 10/7/4 cells)
  flip             224, with the class-activation maps and logits averaged over the photo and its mirror
                   image (two forward passes)

Each line gives the describe time of the split too (one process, the models loaded before the clock).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from multicap.cli.threads import configure

configure()  # as the command does before torch loads

import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_photos import REPO, load, photo_metrics, score_photo  # noqa: E402

from multicap.describe.description import description_json  # noqa: E402
from multicap.describe.grounded import GroundedConfig, GroundedDescriber  # noqa: E402
from multicap.describe.regions import RegionConfig  # noqa: E402
from multicap.encoders import Encoder, Features  # noqa: E402

SIZES: dict[str, tuple[int, tuple[tuple[int, int], ...]]] = {
    "224": (224, ((7, 1), (5, 2), (3, 2))),
    "256": (256, ((8, 1), (6, 2), (3, 2))),
    "288": (288, ((9, 1), (6, 2), (4, 2))),
    "320": (320, ((10, 1), (7, 2), (4, 2))),
}


class FlipAveraged:
    """An encoder whose features average the photo's and its mirror image's (the mirror's map flipped
    back), so that each class-activation map and each logit is the mean of the two passes."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def encode_batch(self, pixels: torch.Tensor) -> Features:
        a = self.inner.encode_batch(pixels)
        b = self.inner.encode_batch(pixels.flip(-1))
        h, w = a.grid_hw
        d = a.grid.shape[-1]
        mirrored = b.grid.reshape(-1, h, w, d).flip(2).reshape(-1, h * w, d)
        logits = None if a.logits is None or b.logits is None else (a.logits + b.logits) / 2
        return Features((a.grid + mirrored) / 2, (a.pooled + b.pooled) / 2, logits, a.grid_hw)


def describer(variant: str) -> GroundedDescriber:
    side, scales = SIZES["224" if variant == "flip" else variant]
    config = GroundedConfig(image_size=side, regions=replace(RegionConfig(), scales=scales))
    grounded = GroundedDescriber(config)
    if variant == "flip":
        grounded.encoder = FlipAveraged(grounded.encoder)  # type: ignore[assignment]
    return grounded


def run(variant: str, photos: list[dict[str, Any]], data: Path, batch: int) -> dict[str, Any]:
    grounded = describer(variant)
    paths = [data / p["file"] for p in photos]
    start = time.perf_counter()
    records: dict[str, dict[str, Any]] = {}
    for i in range(0, len(paths), batch):
        chunk = paths[i : i + batch]
        described = grounded.describe_batch(chunk, [grounded.load(p) for p in chunk], grounded.levels)
        records.update({d.path.name: description_json(d) for d in described.descriptions})
    seconds = time.perf_counter() - start
    rows = [score_photo(p, records[p["file"]]) for p in photos]
    return {"variant": variant, "seconds": round(seconds, 1), **photo_metrics(rows)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO / "data" / "real_photos", help="folder of the photos")
    ap.add_argument("--split", choices=["tune", "heldout"], default="tune")
    ap.add_argument("--variants", default="224,256,288,320,flip", help="comma-separated")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    labels, _ = load(args.data)
    photos = [p for p in labels if p["split"] == args.split]
    results = [run(v, photos, args.data, args.batch) for v in args.variants.split(",")]
    if args.json:
        print(json.dumps({"split": args.split, "photos": len(photos), "results": results}))
        return 0
    print(f"{args.split}: {len(photos)} photos")
    print(f"{'variant':8} {'named':>10} {'colour':>10} {'people':>8} {'seconds':>8}")
    for r in results:
        named, colour, people = r["named"], r["colour"], r["people_mentioned"]
        print(
            f"{r['variant']:8} {named['n']:>5}/{named['of']:<4} {colour['n']:>5}/{colour['of']:<4} "
            f"{people['n']:>3}/{people['of']:<4} {r['seconds']:>8}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
