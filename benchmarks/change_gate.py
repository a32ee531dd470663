"""How well does each per-cell statistic of the pixel change map separate true changes from distractors?

`multicap.compare.change` states a difference only where a cell of the change map changed. The map is the
smallest |a − b| per pixel over shifts of up to 3 pixels, after relighting a to b. This script reduces it
per cell in several ways on generated scene pairs (`make_pair`, every kind) and prints, for each statistic:
- over the distractor pairs (brightness, jitter: nothing changed), the largest and the second largest
  cell;
- over the changed pairs, the 5 % quantile and the minimum of the changed object's strongest cell (the
  weakest change the gate must still see);
- the ground-truth recall at a threshold 1.3× the distractors' second largest cell.

    .venv/bin/python benchmarks/change_gate.py --seed 11 --per-kind 30     # the tuning pairs

The statistic in use is the 90th percentile of 16-pixel cells, threshold 80.
"""

from __future__ import annotations

import argparse

import numpy as np

from multicap.compare import change
from multicap.data.scenes import CHANGE_KINDS, DISTRACTOR_KINDS, make_pair
from multicap.facts import SceneObject

STATISTICS = (
    (12, "mean"),
    (24, "mean"),
    (12, "q75"),
    (12, "q90"),
    (12, "top25"),
    (24, "top25"),
)


def per_cell(best: np.ndarray, grid: int, how: str) -> np.ndarray:
    c = change.SIDE // grid
    cells = best.reshape(grid, c, grid, c).transpose(0, 2, 1, 3).reshape(grid, grid, c * c)
    if how == "mean":
        return cells.mean(axis=-1)
    if how.startswith("q"):
        return np.percentile(cells, float(how[1:]), axis=-1)
    k = max(1, int(c * c * float(how[3:]) / 100))  # "topP": mean of the top P %
    return np.sort(cells, axis=-1)[..., -k:].mean(axis=-1)


def box_cells(box: tuple[float, float, float, float], grid: int) -> tuple[slice, slice]:
    x0, y0, x1, y1 = box
    rows = slice(int(y0 * grid), min(int(np.ceil(y1 * grid)), grid))
    cols = slice(int(x0 * grid), min(int(np.ceil(x1 * grid)), grid))
    return rows, cols


def _ident(obj: SceneObject) -> tuple[str, str, str, tuple[float, float, float, float]]:
    return obj.label, obj.attributes["colour"], obj.attributes["size"], obj.box


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--per-kind", type=int, default=30, help="pairs of each of the 7 kinds")
    args = ap.parse_args()
    kinds = CHANGE_KINDS + DISTRACTOR_KINDS
    pairs = [make_pair(args.seed, i, kinds[i % len(kinds)]) for i in range(args.per_kind * len(kinds))]
    maps = [change.pixel_differences(*p.images(224)) for p in pairs]
    print(f"seed {args.seed}, {len(pairs)} pairs (224 px, squashed to {change.SIDE})")
    header = ("cells", "statistic", "distr. max", "2nd", "change 5%", "min", "recall")
    print("{:>5s} {:9s} {:>10s} {:>6s} {:>9s} {:>6s} {:>6s}".format(*header))
    for grid, how in STATISTICS:
        distractors, changes = [], []
        for pair, best in zip(pairs, maps, strict=True):
            cells = per_cell(best, grid, how)
            if pair.change in DISTRACTOR_KINDS:
                distractors.append(cells.max())
                continue
            before = {_ident(o) for o in pair.before.facts.objects}
            after = {_ident(o) for o in pair.after.facts.objects}  # what changed is in one of them only
            changes.append(min(cells[box_cells(ident[-1], grid)].max() for ident in before ^ after))
        d, c = np.sort(distractors), np.asarray(changes)
        recall = float(np.mean(c > 1.3 * d[-2]))
        low = np.quantile(c, 0.05)
        print(f"{grid:5d} {how:9s} {d[-1]:10.1f} {d[-2]:6.1f} {low:9.1f} {c.min():6.1f} {recall:6.3f}")


if __name__ == "__main__":
    main()
