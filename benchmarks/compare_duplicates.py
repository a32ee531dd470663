"""Near-duplicates on scene groups: pair precision and recall of `duplicate_groups` at the default threshold.

    .venv/bin/python benchmarks/compare_duplicates.py                  # 60 scenes × 6 versions, seed 2
    .venv/bin/python benchmarks/compare_duplicates.py --scenes 60 --seed 4    # held out
    .venv/bin/python benchmarks/compare_duplicates.py --photos tune           # real photos (see below)

Each scene is drawn once and altered five ways (`multicap.data.scenes.near_duplicates`: crop to 85-95 %,
rescale to 50-75 %, JPEG quality 20-50, rotation 3-8°, exposure ×0.6-0.8 or ×1.2-1.4 clipped); the six
versions are one true group. A pair of images is predicted a duplicate when `duplicate_groups` puts them in
one group (group-average linkage over the pairs above the threshold, so a chain counts when the groups agree
on average). Baseline in the same process: the encoder's pooled embedding alone (what an index stores), with
the same grouping, at the threshold that maximises its own F1 on this very data (an optimistic baseline).
The default threshold (0.78), the embedding floor (0.55), the signature's parts and weights were chosen on
seeds 1-13 (seed 1 with 80 scenes, 13 with 200, the others 60); seeds 14-19 are held out (19 with 200
scenes).

`--photos SPLIT` does the same with real photographs instead of scenes: each photo of that split of the
real-photo benchmark (data/real_photos, `scripts/fetch_real_photos.py`; "heldout" is never tuned on), and
with `--people` also the 20 photos of `benchmarks/people_photos.py` (close-ups of faces, alike without
being the same photo), is altered the same five ways at its own size
(`multicap.data.scenes.altered_versions`). Different photos of one subject must stay apart. `--turned`
adds two copies a signature cannot see as the same photo: the photo turned a quarter, and made grey;
`--mirrored` a third, the photo flipped left to right.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from multicap.compare import DEFAULT_THRESHOLD, duplicate_groups, pixel_signature, signature
from multicap.compare.signature import unit
from multicap.compare.verify import PairCheck
from multicap.data.scenes import Scene, altered_versions, near_duplicates, sample_facts, scene_rng
from multicap.describe.grounded import GroundedDescriber
from multicap.io import load_image

REPO = Path(__file__).resolve().parent.parent


def _pair_scores(groups: list[list[int]], truth: np.ndarray) -> tuple[float, float]:
    predicted = {p for g in groups for p in itertools.combinations(sorted(g), 2)}
    n = len(truth)
    true = {(i, j) for i in range(n) for j in range(i + 1, n) if truth[i] == truth[j]}
    hits = len(predicted & true)
    return (hits / len(predicted) if predicted else 1.0), hits / len(true)


def _scene_versions(scenes: int, seed: int) -> tuple[list, list[int]]:
    images, truth = [], []
    for i in range(scenes):
        rng = scene_rng(seed, i, 31)
        scene = Scene(sample_facts(rng), int(rng.integers(2**31)))
        for _, img in near_duplicates(scene, seed=seed * 1000 + i):
            images.append(img)
            truth.append(i)
    return images, truth


def _photo_versions(
    split: str, people: bool, seed: int, turned: bool = False, mirrored: bool = False
) -> tuple[list, list[int]]:
    """Each photo of a split (and the people photos) and its five altered copies, decoded as `multicap`
    decodes a file (short side at least 360 px, as the describer asks); with `turned`, two more: the
    photo turned a quarter and made grey; with `mirrored`, the photo flipped left to right."""
    labels = json.loads((REPO / "benchmarks" / "real_photos" / "labels.json").read_text())["photos"]
    paths = [
        REPO / "data" / "real_photos" / p["file"]
        for p in labels
        if p["split"] == split or (split == "both" and p["split"] in ("tune", "heldout"))
    ]
    if people:
        paths += sorted((REPO / "data" / "people_photos").glob("*.jpg"))
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise SystemExit(f"{missing[0]} is missing: run scripts/fetch_real_photos.py (and people_photos.py)")
    images, truth = [], []
    for i, path in enumerate(paths):
        rng = np.random.default_rng([seed, i])
        original = load_image(path, min_short_side=360)
        versions = [img for _, img in altered_versions(original, rng)]
        if turned:
            versions += [original.transpose(Image.Transpose.ROTATE_90), original.convert("L").convert("RGB")]
        if mirrored:
            versions.append(original.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
        for img in versions:
            images.append(img)
            truth.append(i)
    return images, truth


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenes", type=int, default=60)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    ap.add_argument("--sweep", type=float, nargs="*", help="also score the signature at these thresholds")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--photos", choices=["tune", "heldout", "both"], help="real photos of this split")
    ap.add_argument("--people", action="store_true", help="with --photos: add the 20 people photos")
    ap.add_argument("--no-check", action="store_true", help="without the keypoint check (compare.verify)")
    ap.add_argument("--turned", action="store_true", help="with --photos: a quarter turn and a grey copy too")
    ap.add_argument("--mirrored", action="store_true", help="with --photos: a copy flipped left to right too")
    args = ap.parse_args()
    encoder = GroundedDescriber().encoder
    if args.photos:
        images, truth = _photo_versions(args.photos, args.people, args.seed, args.turned, args.mirrored)
        args.scenes = len(set(truth))
    else:
        images, truth = _scene_versions(args.scenes, args.seed)
    start = time.perf_counter()
    pooled = []
    with torch.inference_mode():
        for k in range(0, len(images), 50):
            batch = torch.stack([encoder.preprocess.to_uint8(im) for im in images[k : k + 50]])
            pooled.append(encoder.encode_batch(batch).pooled.numpy())
    emb = unit(np.concatenate(pooled))
    sig = signature(emb, np.stack([pixel_signature(im) for im in images]))
    encode_s = time.perf_counter() - start
    labels = np.array(truth)
    start = time.perf_counter()
    same = None if args.no_check else PairCheck.of_images(images)
    share = None if same is None else same.share
    found = duplicate_groups(sig, args.threshold, embeddings=emb, same=same, share=share)
    groups = [g.members for g in found]
    group_s = time.perf_counter() - start
    precision, recall = _pair_scores(groups, labels)
    best = max(
        ((*_pair_scores([g.members for g in duplicate_groups(emb, t)], labels), t)
         for t in np.arange(0.70, 0.99, 0.01)),
        key=lambda s: 2 * s[0] * s[1] / max(s[0] + s[1], 1e-9),
    )  # fmt: skip
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    base_f1 = 2 * best[0] * best[1] / max(best[0] + best[1], 1e-9)
    result = {
        "images": len(images), "photos": args.photos, "seed": args.seed, "threshold": args.threshold,
        "precision": round(precision, 4), "recall": round(recall, 4), "groups": len(groups),
        "pooled_only": {"precision": round(best[0], 4), "recall": round(best[1], 4),
                        "threshold": round(float(best[2]), 2)},
        "f1_ratio": round(f1 / max(base_f1, 1e-9), 2), "encode_s": round(encode_s, 1),
        "group_s": round(group_s, 3),
    }  # fmt: skip
    if args.json:
        print(json.dumps(result))
        return
    per_scene = len(images) // max(args.scenes, 1)
    what = "scenes"
    if args.photos:
        what = f"{args.photos} photos" + (" and people photos" if args.people else "")
    print(f"{len(images)} images ({args.scenes} {what} × {per_scene}), seed {args.seed}, "
          f"encoded in {encode_s:.1f} s")  # fmt: skip
    print(f"  signature @ {args.threshold}: precision {precision:.4f}  recall {recall:.4f}  "
          f"({len(groups)} groups, {group_s * 1000:.0f} ms)")  # fmt: skip
    print(f"  pooled embedding only, best threshold {best[2]:.2f}: "
          f"precision {best[0]:.4f}  recall {best[1]:.4f}")  # fmt: skip
    for t in args.sweep or []:
        p, r = _pair_scores([g.members for g in duplicate_groups(sig, t, embeddings=emb, same=same)], labels)
        print(f"    signature @ {t:.2f}: precision {p:.4f}  recall {r:.4f}")
    print(f"  F1 ratio signature / pooled-only: {result['f1_ratio']}x")


if __name__ == "__main__":
    main()
