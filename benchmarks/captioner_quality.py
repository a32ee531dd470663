"""Captioner quality on scenes: fact F1 per level on fresh test and compositional scenes, against the targets.

Scenes are drawn afresh by the generator of the training data (indices from one million on, so none was
trained on; `multicap.captioning.fresh_scenes`), rendered at the bundle's input size and encoded by its own
encoder. The baseline in the same process is the reference sentences themselves, read back by the same
parser: what a perfect captioner would score (1.0 when the parser reads every template).

Usage:
    .venv/bin/python benchmarks/captioner_quality.py --bundle scenes-small --n 300 [--json]
"""

from __future__ import annotations

import argparse
import json
import time

from fresh_scenes import fresh_scene_scores, fresh_scenes

from multicap.captioning.bundle import load_bundle
from multicap.captioning.scoring import fact_f1
from multicap.text import detokenize, tokenize

TARGETS = {
    "test": {"object": 0.98, "attribute": 0.95, "layout": 0.90},
    "test_comp": dict.fromkeys(("object", "attribute", "layout"), 0.85),
}


def _references(split: str, n: int) -> dict[str, float]:
    """Fact F1 of the first reference of each level, tokenised as the captioner sees it and read back."""
    records = fresh_scenes(split, n)
    return {
        level: fact_f1(
            [detokenize(tokenize(r.texts[level][0])) for r in records], [r.facts for r in records], level
        )
        for level in ("object", "attribute", "layout", "caption")
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bundle", default="scenes-small", help="a bundle folder or registered name")
    parser.add_argument("--n", type=int, default=300, help="fresh scenes per split")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    bundle = load_bundle(args.bundle)
    report: dict[str, object] = {"bundle": args.bundle, "n": args.n, "trained": bundle.metrics.get("command")}
    for split, targets in TARGETS.items():
        started = time.perf_counter()
        scores = fresh_scene_scores(bundle, split=split, n=args.n)
        report[split] = {
            "fact_f1": scores,
            "references_read_back": _references(split, args.n),
            "targets": targets,
            "met": all(scores[lv] >= t for lv, t in targets.items()),
            "seconds": round(time.perf_counter() - started, 1),
        }
    if args.json:
        print(json.dumps(report))
        return
    for split in TARGETS:
        part = report[split]
        assert isinstance(part, dict)
        print(f"{split} ({args.n} fresh scenes, {part['seconds']} s):")
        for level, f1 in part["fact_f1"].items():
            target = part["targets"].get(level)
            ref = part["references_read_back"][level]
            mark = "" if target is None else f"  target {target:.2f} {'met' if f1 >= target else 'NOT met'}"
            print(f"  {level:<9} fact F1 {f1:.3f}  (references read back {ref:.3f}){mark}")


if __name__ == "__main__":
    main()
