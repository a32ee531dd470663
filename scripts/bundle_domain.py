"""Write a bundle's domain (`domain.npz`: what images it was trained on) from images of its training kind.

The bundle's own encoder reads `--keep` training-kind images into the reference and `--held` others into
the threshold (`multicap.captioning.domain`). For a scenes bundle the images are drawn fresh by the scenes
generator (`--scenes`, a seed never used for training: the generator's domain is the bundle's); for any
other, give a folder of images like its training images (`--images`, the first `--keep` as reference, the
next `--held` for the threshold). It prints the held-out distances and, with `--photos FOLDER`, those of
images that are not of the kind, so the threshold can be checked before the file is kept.

Usage:
    .venv/bin/python scripts/bundle_domain.py multicap/captioning/bundles/scenes-small --scenes \\
        --photos examples/photos
    .venv/bin/python scripts/bundle_domain.py runs/flickr8k/best --images Flicker8k_Dataset
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from multicap.captioning.bundle import load_bundle
from multicap.captioning.domain import fit_domain, pooled
from multicap.data.scenes import ScenesConfig, generate_dataset
from multicap.io import iter_image_paths, load_image

SCENES_SEED = 424_242  # not a seed any recipe trains on


def _features(bundle_encoder: object, paths: list[Path]) -> np.ndarray:
    encoder = bundle_encoder
    rows = []
    for start in range(0, len(paths), 32):
        batch = [
            encoder.preprocess.to_uint8(load_image(p, min_short_side=encoder.preprocess.size))  # type: ignore[attr-defined]
            for p in paths[start : start + 32]
        ]
        rows.append(pooled(encoder.encode_batch(torch.stack(batch)).grid))  # type: ignore[attr-defined]
    return np.concatenate(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bundle", type=Path, help="the bundle folder to write domain.npz into")
    kind = ap.add_mutually_exclusive_group(required=True)
    kind.add_argument("--scenes", action="store_true", help="draw fresh scenes of the bundle's image size")
    kind.add_argument("--images", type=Path, help="a folder of images like the training images")
    ap.add_argument("--keep", type=int, default=1000, help="images in the reference")
    ap.add_argument("--held", type=int, default=500, help="images the threshold is measured on")
    ap.add_argument("--photos", type=Path, help="images not of the kind, to check the threshold against")
    args = ap.parse_args(argv)
    bundle = load_bundle(args.bundle)
    encoder = bundle.encoder.create()
    with tempfile.TemporaryDirectory() as tmp:
        if args.scenes:
            size = bundle.encoder.image_size
            generate_dataset(
                tmp, ScenesConfig(n=args.keep + args.held, size=size, seed=SCENES_SEED), workers=1
            )
            paths = sorted(Path(tmp, "images").rglob("*.png"))
        else:
            paths = list(iter_image_paths([args.images]))
        if len(paths) < args.keep + args.held:
            print(f"error: {len(paths)} images, fewer than --keep + --held", file=sys.stderr)
            return 1
        train = _features(encoder, paths[: args.keep])
        held = _features(encoder, paths[args.keep : args.keep + args.held])
    domain = fit_domain(train, held)
    d = domain.distance(held)
    print(f"held out ({len(d)}): {d.min():.3f}-{d.max():.3f}, 99.5th percentile {np.percentile(d, 99.5):.3f}")
    print(f"threshold: {domain.threshold:.3f}")
    if args.photos is not None:
        photos = list(iter_image_paths([args.photos]))
        p = domain.distance(_features(encoder, photos))
        unlike = int((p > domain.threshold).sum())
        print(f"--photos ({len(p)}): {p.min():.3f}-{p.max():.3f}, {unlike} said unlike")
    print(f"wrote {domain.save(args.bundle)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
