"""METEOR over a captioner's levels: every level in one start of the jar against one start a level.

METEOR 1.5 runs as a Java program (`multicap.evaluation.meteor`); starting it loads its paraphrase
table, which takes seconds. `evaluate` scores four levels. The baseline calls `meteor` once per level
(what `evaluate_levels` did before), the measured path `meteor_groups` once for all. The script checks
that both give the same scores, and prints each run's seconds, the medians and the ratio. It needs Java
on the PATH and pycocoevalcap installed (the dev extra).

    .venv/bin/python benchmarks/meteor_speed.py [--images 14] [--levels 4] [--rounds 2]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from multicap.evaluation.meteor import meteor, meteor_groups

_VOCABULARY = "a the red blue green small large circle square triangle star left right of above below on"
WORDS = _VOCABULARY.split()


def level_captions(n: int, seed: int) -> tuple[dict[int, str], dict[int, list[str]]]:
    """`n` seeded caption-like sentences and three references each (tokenised, lowercase)."""
    rng = random.Random(seed)

    def sentence() -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 12)))

    return {i: sentence() for i in range(n)}, {i: [sentence() for _ in range(3)] for i in range(n)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=14)
    ap.add_argument("--levels", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    groups = [level_captions(args.images, seed) for seed in range(args.levels)]
    apart, together = [], []
    for _ in range(args.rounds):  # alternating: the machine's load falls on both alike
        t = time.perf_counter()
        one_each = [meteor(c, r) for c, r in groups]
        apart.append(time.perf_counter() - t)
        t = time.perf_counter()
        all_at_once = meteor_groups(groups)
        together.append(time.perf_counter() - t)
        if any(not m.available for m in one_each):
            raise SystemExit(f"METEOR is unavailable here: {one_each[0].unavailable}")
        for a, b in zip(one_each, all_at_once, strict=True):
            assert abs(a.scores["METEOR"] - b.scores["METEOR"]) < 1e-9, (a.scores, b.scores)
    a, b = statistics.median(apart), statistics.median(together)
    print(f"{args.levels} levels x {args.images} captions, {args.rounds} rounds")
    print(f"  one jar a level:  {', '.join(f'{s:.1f}' for s in apart)} s (median {a:.1f})")
    print(f"  one jar for all:  {', '.join(f'{s:.1f}' for s in together)} s (median {b:.1f})")
    print(f"  speed-up {a / b:.1f}x; the same scores")


if __name__ == "__main__":
    main()
