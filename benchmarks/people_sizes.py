"""The person detector at larger inputs: do several weak boxes tell a crowd that one sure box misses?

    .venv/bin/python scripts/fetch_real_photos.py            # once: the photos, into data/real_photos
    .venv/bin/python benchmarks/people_sizes.py               # every photo of the real-photo benchmark

Most photos with people that `describe` misses in the real-photo benchmark are crowds and small figures:
tourists under a monument, an orchestra seen from the balcony, drummers at a night festival. The people
detector runs the person SSD (`multicap.describe.bodies`) at 224 px and keeps a box scoring ≥ 0.75 (then
others ≥ 0.6 beside it). This script runs the SSD alone (no faces, no classifier gate) on every photo of
the benchmark, shrunk to 640 px as `multicap.describe.people` does, squashed to 224, 320 and 448 px, and
scores two kinds of rule against the photos' people counts (labelled by looking):

  one sure box     a box scoring ≥ t at side S (the describer's rule: t = 0.75, S = 224)
  several boxes    the describer's rule, or at least k boxes scoring ≥ t at side S (people come in groups;
                   a false box rarely has company)

For each rule: photos with people where it fires / all photos with people, and photos without people where
it fires / all without; the held-out split apart (never tuned on). Then the detector's milliseconds of one
core a photo at each side: what a second look at S would add to every photo it runs on.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from multicap.cli.threads import configure

configure()  # as the command does before torch loads

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_photos import LABELS, REPO  # noqa: E402

from multicap.describe.bodies import load_person_ssd  # noqa: E402
from multicap.describe.people import shrink_long_side  # noqa: E402
from multicap.io.images import load_image  # noqa: E402

SIDES = (224, 320, 448)
LEAST = 0.3  # the lowest score kept: no rule below reads lower
OVERLAP = 0.3  # IoU above which two boxes are one person (as `multicap.describe.people`)
SURE = (0.75, 224)  # the describer's one-box rule: score, side
SEVERAL = [(t, k) for k in (2, 3) for t in (0.3, 0.4, 0.5)]


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union if union > 0 else 0.0


def scores(boxes: list) -> list[float]:
    """The scores of the boxes left once overlapping ones are merged into the surest, surest first."""
    kept: list = []
    for b in sorted(boxes, key=lambda b: -b.score):
        if all(_iou(b.box, k.box) <= OVERLAP for k in kept):
            kept.append(b)
    return [round(b.score, 3) for b in kept]


def fires(found: dict[int, list[float]], rule: tuple[float, int, int] | None) -> bool:
    """The describer's rule, or with `rule` = (score, count, side) also k boxes of that score at that side."""
    sure = any(s >= SURE[0] for s in found[SURE[1]])
    if rule is None:
        return sure
    t, k, side = rule
    return sure or sum(s >= t for s in found[side]) >= k


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=REPO / "data" / "real_photos")
    parser.add_argument("--json", action="store_true", help="per photo scores as JSON")
    args = parser.parse_args()
    ssd = load_person_ssd()
    if ssd is None:
        sys.exit("the person SSD's wheel is not installed: make install-dev")
    photos = json.loads(LABELS.read_text())["photos"]
    missing = [p["file"] for p in photos if not (args.data / p["file"]).is_file()]
    if missing:
        sys.exit(f"{len(missing)} photos missing under {args.data}: run scripts/fetch_real_photos.py")
    torch.set_num_threads(1)  # the milliseconds are of one core
    seconds: dict[int, list[float]] = {side: [] for side in SIDES}
    found: dict[str, dict[int, list[float]]] = {}
    for p in photos:
        rgb = shrink_long_side(np.asarray(load_image(args.data / p["file"])), 640)
        found[p["file"]] = {}
        for side in SIDES:
            start = time.perf_counter()
            boxes = ssd.detect([rgb], LEAST, side=side)[0]
            seconds[side].append(time.perf_counter() - start)
            found[p["file"]][side] = scores(boxes)
    if args.json:
        print(json.dumps({p["file"]: {"people": p["people"], **found[p["file"]]} for p in photos}))
        return 0
    parts = {
        "not held out": [p for p in photos if p["split"] != "heldout"],
        "held out": [p for p in photos if p["split"] == "heldout"],
    }
    print(
        f"{len(photos)} photos; the person SSD alone (no faces, no classifier gate); "
        f"boxes merged at IoU > {OVERLAP}"
    )
    header = "rule".ljust(44) + "".join(f"{name:>30}" for name in parts)
    print(header)
    rules: list[tuple[str, tuple[float, int, int] | None]] = [
        ("one box >= 0.75 at 224 (the describer)", None)
    ]
    rules += [(f"... or {k} boxes >= {t} at {side}", (t, k, side)) for side in SIDES for t, k in SEVERAL]
    for name, rule in rules:
        cells = []
        for members in parts.values():
            with_people = [p for p in members if p["people"]]
            without = [p for p in members if not p["people"]]
            hit = sum(fires(found[p["file"]], rule) for p in with_people)
            false = sum(fires(found[p["file"]], rule) for p in without)
            cells.append(f"with {hit}/{len(with_people)}, without {false}/{len(without)}")
        print(name.ljust(44) + "".join(f"{c:>30}" for c in cells))
    print(
        "ms of one core a photo: "
        + ", ".join(f"{side} px {1000 * statistics.median(seconds[side]):.1f}" for side in SIDES)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
