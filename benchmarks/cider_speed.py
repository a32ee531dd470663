"""CIDEr-D speed: multicap's vectorised scorer against pycocoevalcap's `Cider`, in the same process.

The corpus: 5,000 images x 5 references of seeded caption-like sentences (a vocabulary of a few hundred
words, 5-16 words each), already tokenised, so only the metric is timed. Both scorers get the same inputs;
the script checks that the scores agree (1e-6) and prints the median of a few runs of each and the ratio.

    .venv/bin/python benchmarks/cider_speed.py [--images 5000] [--refs 5] [--repeats 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from multicap.evaluation import cider_d

T = TypeVar("T")
FREQUENT_WORDS = "a the two dog cat man woman bus train kite red blue small large on in near with is"


def corpus(n_images: int, n_refs: int, seed: int = 0) -> tuple[dict[int, str], dict[int, list[str]]]:
    rng = random.Random(seed)
    head = FREQUENT_WORDS.split()
    vocab = head + [f"word{i}" for i in range(400)]
    weights = [50.0] * len(head) + [1.0] * 400  # a few frequent words, a long tail

    def sentence() -> str:
        return " ".join(rng.choices(vocab, weights, k=rng.randint(5, 16)))

    refs = {i: [sentence() for _ in range(n_refs)] for i in range(n_images)}
    cands = {i: sentence() for i in range(n_images)}
    return cands, refs


def median_time(fn: Callable[[], T], repeats: int) -> tuple[float, T]:
    """Median wall time of `repeats` calls, and the last result."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--refs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from pycocoevalcap.cider.cider import Cider

    cands, refs = corpus(args.images, args.refs)
    coco_res = {k: [v] for k, v in cands.items()}
    ours_s, ours = median_time(lambda: cider_d(cands, refs), args.repeats)
    ref_s, (ref_score, ref_per_image) = median_time(
        lambda: Cider().compute_score(refs, coco_res), max(1, args.repeats // 2)
    )
    diff = float(np.abs(np.asarray(ours.per_image["CIDEr-D"]) - ref_per_image).max())
    print(f"corpus: {args.images} images x {args.refs} references")
    print(f"CIDEr-D multicap      {ours.scores['CIDEr-D']:.6f}  median {ours_s:.3f} s")
    print(f"CIDEr-D pycocoevalcap {ref_score:.6f}  median {ref_s:.3f} s")
    print(f"max per-image difference {diff:.2e}; multicap is {ref_s / ours_s:.1f}x faster")


if __name__ == "__main__":
    main()
