"""Calibrate the grounded describer's ImageNet class priors on a varied sample of images.

An ImageNet classifier shown images unlike ImageNet's puts much of its probability on a few classes: on
clip art, a fifth of the drawings were an analog clock, a digital clock, a hook or a loupe. The prior of a
class is its mean softmax probability over a varied sample; the describer divides each class's
probability by its prior to the power `GroundedConfig.class_priors` (adds -strength × log prior to the
classifier's bias, centred), so that a class the model says everywhere has to be said more strongly.

The sample is the tuning split of benchmarks/drawings.py (1,363 drawings of 13 kinds of things, from
scripts/fetch_drawings.py); its held-out split is not used. The tuning real photos of
benchmarks/real_photos.py can be added (`--domains drawings,photos`), but 61 photos make their own common
true classes (lakeside, alp) look like priors: with them, strength 0.5 named the main object of 0.36 of
those photos instead of 0.41; with the drawings alone, 0.41 (and the four most frequent labels of the tuning
drawings fell from 0.17 to 0.12 of them). Writes multicap/describe/data/class_priors.json: per encoder,
the prior of each class in ImageNet order.

Usage:
    .venv/bin/python scripts/class_priors.py                           # efficientnet_lite0
    .venv/bin/python scripts/class_priors.py --encoders efficientnet_lite0,efficientnet_lite1
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from drawings import drawings  # noqa: E402

from multicap.describe.grounded import GroundedConfig, GroundedDescriber  # noqa: E402
from multicap.describe.priors import PRIORS_FILE  # noqa: E402
from multicap.errors import ImageLoadError  # noqa: E402

BATCH = 32


def mean_probabilities(describer: GroundedDescriber, paths: list[Path]) -> np.ndarray:
    """The mean softmax of the describer's classifier over `paths` (unreadable files left out)."""
    head = describer.encoder.backbone.classifier
    total, n = torch.zeros(head.out_features, dtype=torch.float64), 0
    for start in range(0, len(paths), BATCH):
        pixels = []
        for path in paths[start : start + BATCH]:
            try:
                pixels.append(describer.load(path).pixels)
            except ImageLoadError as e:
                print(f"skipped: {e}", file=sys.stderr)
        if not pixels:
            continue
        with torch.inference_mode():
            pooled = describer.encoder.encode_batch(torch.stack(pixels)).pooled
            probs = torch.softmax(head(pooled), dim=-1)
        total += probs.double().sum(0)
        n += len(pixels)
    return (total / max(n, 1)).numpy()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoders", default="efficientnet_lite0", help="comma-separated encoder names")
    ap.add_argument("--drawings", type=Path, default=REPO / "data" / "drawings")
    ap.add_argument("--photos", type=Path, default=REPO / "data" / "real_photos")
    ap.add_argument("--domains", default="drawings", help="which samples, comma-separated: drawings, photos")
    args = ap.parse_args(argv)
    labels = json.loads((REPO / "benchmarks" / "real_photos" / "labels.json").read_text())["photos"]
    sample = {
        "drawings": [args.drawings / rel for rel in drawings(args.drawings)["tune"]],
        "photos": [args.photos / p["file"] for p in labels if p["split"] == "tune"],
    }
    sample = {d: p for d, p in sample.items() if d in args.domains.split(",")}
    for domain, paths in sample.items():
        missing = [p for p in paths if not p.is_file()]
        if missing or not paths:
            print(f"error: {len(missing)} {domain} missing; run scripts/fetch_{domain}.py", file=sys.stderr)
            return 1
    out = json.loads(PRIORS_FILE.read_text()) if PRIORS_FILE.is_file() else {}
    out["about"] = (
        "Mean softmax probability of each ImageNet class (ImageNet order) per encoder over a sample (each "
        "domain weighted equally; see `sample`); written by scripts/class_priors.py."
    )
    out.setdefault("priors", {})
    for name in args.encoders.split(","):
        describer = GroundedDescriber(GroundedConfig(encoder=name, people=False, class_priors=0.0))
        per_domain = [mean_probabilities(describer, paths) for paths in sample.values()]
        prior = np.mean(per_domain, axis=0)
        out["priors"][name] = {
            "sample": {d: len(p) for d, p in sample.items()},
            "prior": [float(f"{v:.4g}") for v in prior],
        }
        top = np.argsort(-prior)[:5]
        print(
            f"{name}: most probable a priori: "
            + ", ".join(f"{describer.encoder.labels[k]} {prior[k]:.3f}" for k in top)
        )
    PRIORS_FILE.write_text(json.dumps(out) + "\n")
    print(f"wrote {PRIORS_FILE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
