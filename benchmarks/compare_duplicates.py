"""Near-duplicates on scene groups: pair precision and recall of `duplicate_groups` at the default threshold.

    .venv/bin/python benchmarks/compare_duplicates.py                  # 60 scenes × 6 versions, seed 2
    .venv/bin/python benchmarks/compare_duplicates.py --scenes 60 --seed 4    # held out

Each scene is drawn once and altered five ways (`multicap.data.scenes.near_duplicates`: crop to 85-95 %,
rescale to 50-75 %, JPEG quality 20-50, rotation 3-8°, exposure ×0.6-0.8 or ×1.2-1.4 clipped); the six
versions are one true group. A pair of images is predicted a duplicate when `duplicate_groups` puts them in
one group (group-average linkage over the pairs above the threshold, so a chain counts when the groups agree
on average). Baseline in the same process: the encoder's pooled embedding alone (what an index stores), with
the same grouping, at the threshold that maximises its own F1 on this very data (an optimistic baseline).
The default threshold (0.78), the embedding floor (0.55), the signature's parts and weights were chosen on
seeds 1-13 (seed 1 with 80 scenes, 13 with 200, the others 60); seeds 14-19 are held out (19 with 200
scenes).
"""

from __future__ import annotations

import argparse
import itertools
import json
import time

import numpy as np
import torch

from multicap.compare import DEFAULT_THRESHOLD, duplicate_groups, pixel_signature, signature
from multicap.compare.signature import unit
from multicap.data.scenes import Scene, near_duplicates, sample_facts, scene_rng
from multicap.describe.grounded import GroundedDescriber


def _pair_scores(groups: list[list[int]], truth: np.ndarray) -> tuple[float, float]:
    predicted = {p for g in groups for p in itertools.combinations(sorted(g), 2)}
    n = len(truth)
    true = {(i, j) for i in range(n) for j in range(i + 1, n) if truth[i] == truth[j]}
    hits = len(predicted & true)
    return (hits / len(predicted) if predicted else 1.0), hits / len(true)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenes", type=int, default=60)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    ap.add_argument("--sweep", type=float, nargs="*", help="also score the signature at these thresholds")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    encoder = GroundedDescriber().encoder
    images, truth = [], []
    for i in range(args.scenes):
        rng = scene_rng(args.seed, i, 31)
        scene = Scene(sample_facts(rng), int(rng.integers(2**31)))
        for _, img in near_duplicates(scene, seed=args.seed * 1000 + i):
            images.append(img)
            truth.append(i)
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
    groups = [g.members for g in duplicate_groups(sig, args.threshold, embeddings=emb)]
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
        "images": len(images), "seed": args.seed, "threshold": args.threshold,
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
    print(f"{len(images)} images ({args.scenes} scenes × {per_scene}), seed {args.seed}, "
          f"encoded in {encode_s:.1f} s")  # fmt: skip
    print(f"  signature @ {args.threshold}: precision {precision:.4f}  recall {recall:.4f}  "
          f"({len(groups)} groups, {group_s * 1000:.0f} ms)")  # fmt: skip
    print(f"  pooled embedding only, best threshold {best[2]:.2f}: "
          f"precision {best[0]:.4f}  recall {best[1]:.4f}")  # fmt: skip
    for t in args.sweep or []:
        p, r = _pair_scores([g.members for g in duplicate_groups(sig, t, embeddings=emb)], labels)
        print(f"    signature @ {t:.2f}: precision {p:.4f}  recall {r:.4f}")
    print(f"  F1 ratio signature / pooled-only: {result['f1_ratio']}x")


if __name__ == "__main__":
    main()
