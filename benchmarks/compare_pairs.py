"""Differences on scene pairs: precision and recall of what `compare` says against each pair's true change.

    .venv/bin/python benchmarks/compare_pairs.py                          # facts = ground truth (upper bound)
    .venv/bin/python benchmarks/compare_pairs.py --bundle scenes-small    # facts read by the neural describer

Pairs come from `multicap.data.scenes.make_pair`, the same number of each kind (add, remove, recolour,
resize, move, and the distractors brightness and jitter, whose truth is "no difference"). A stated
difference counts as correct when its kind, object and values match the truth
(`multicap.compare.scenes_truth`); precision is over everything stated (distractor pairs included),
recall over the true changes. The baseline, run in the same process on the same facts, is the naive
differ: objects whose (shape, colour, size, position) appear in one image only, each said added or
removed (what a set difference of the facts gives). The ratio printed is F1 over the baseline's F1.
`compare` states differences only where the pixels of the two images changed (`multicap.compare.change`),
as `multicap compare` does; `--no-gate` turns that off. Objects the bundle read with a word it gave less than
`--min-read-confidence` (default `MIN_READ_CONFIDENCE`, as `multicap compare`) are not compared.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path

from scenes_truth import PairScores, score_pairs

from multicap.compare import compare_facts
from multicap.compare.change import changed_cells
from multicap.compare.pairs import MIN_READ_CONFIDENCE, Difference
from multicap.data.scenes import CHANGE_KINDS, DISTRACTOR_KINDS, ScenePair, make_pair
from multicap.facts import SceneFacts, SceneObject


def naive_differences(a: SceneFacts, b: SceneFacts) -> list[Difference]:
    """The baseline: a multiset difference of whole objects."""

    def ident(o: SceneObject) -> tuple[str, str, str, str]:
        return (o.label, o.attributes.get("colour", ""), o.attributes.get("size", ""),
                o.attributes.get("position", ""))  # fmt: skip

    ca, cb = Counter(map(ident, a.objects)), Counter(map(ident, b.objects))
    out = []
    for kind, diff in (("removed", ca - cb), ("added", cb - ca)):
        for label, colour, _, _ in diff.elements():
            out.append(Difference(kind, label, f"{colour} {label}", None, None, ""))
    return out


def _f1(s: PairScores) -> float:
    return 2 * s.precision * s.recall / (s.precision + s.recall) if s.precision + s.recall else 0.0


def _neural_facts(
    pairs: list[ScenePair], bundle: str, size: int, cross_read: bool
) -> list[tuple[SceneFacts, SceneFacts]]:
    from multicap.describe import create_describer, describe_paths

    describer = create_describer(bundle, cross_read=cross_read)
    levels = [lv for lv in ("attribute", "layout") if lv in describer.levels]
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, pair in enumerate(pairs):
            for side, img in zip("ab", pair.images(size), strict=True):
                path = Path(tmp) / f"{i:04d}{side}.png"
                img.save(path)
                paths.append(path)
        descs = {d.path: d for d in describe_paths(describer, paths, levels, batch_size=32)}
    facts = [descs[p].facts or SceneFacts() for p in paths]
    return list(zip(facts[0::2], facts[1::2], strict=True))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-kind", type=int, default=20, help="pairs of each kind (7 kinds)")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--bundle", default=None, help="read facts from images with this captioner bundle")
    ap.add_argument("--size", type=int, default=224, help="image side for the bundle")
    ap.add_argument("--no-gate", action="store_true", help="state differences wherever the facts differ")
    ap.add_argument(
        "--no-cross-read", action="store_true", help="drop objects only the bundle's layout reading names"
    )
    ap.add_argument("--min-read-confidence", type=float, default=MIN_READ_CONFIDENCE)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    kinds = CHANGE_KINDS + DISTRACTOR_KINDS
    pairs = [make_pair(args.seed, i, kinds[i % len(kinds)]) for i in range(args.per_kind * len(kinds))]
    gates = [None if args.no_gate else changed_cells(*p.images(args.size)) for p in pairs]
    start = time.perf_counter()
    if args.bundle:
        facts = _neural_facts(pairs, args.bundle, args.size, not args.no_cross_read)
        source = f"bundle {args.bundle}"
    else:
        facts = [(p.before.facts, p.after.facts) for p in pairs]
        source = "ground-truth facts"
    read_s = time.perf_counter() - start
    ours = score_pairs(
        (p, compare_facts(a, b, changed=g, min_read_confidence=args.min_read_confidence))
        for p, (a, b), g in zip(pairs, facts, gates, strict=True)
    )
    base = score_pairs((p, naive_differences(a, b)) for p, (a, b) in zip(pairs, facts, strict=True))
    per_kind = {}
    for kind in kinds:
        chosen = [
            (p, compare_facts(a, b, changed=g, min_read_confidence=args.min_read_confidence))
            for p, (a, b), g in zip(pairs, facts, gates, strict=True)
            if p.change == kind
        ]
        s = score_pairs(chosen)
        per_kind[kind] = {"precision": round(s.precision, 3), "recall": round(s.recall, 3),
                          "silent": round(s.silent_on_distractors, 3)}  # fmt: skip
    result = {
        "facts": source, "pairs": len(pairs), "read_s": round(read_s, 1), "pixel_gate": not args.no_gate,
        "compare": {k: round(v, 3) if isinstance(v, float) else v for k, v in vars(ours).items()},
        "naive": {k: round(v, 3) if isinstance(v, float) else v for k, v in vars(base).items()},
        "f1_ratio": round(_f1(ours) / max(_f1(base), 1e-9), 2), "per_kind": per_kind,
    }  # fmt: skip
    if args.json:
        print(json.dumps(result))
        return
    print(f"{len(pairs)} pairs, facts from {source} ({read_s:.1f} s)")
    for name, s in (("compare", ours), ("naive differ", base)):
        print(f"  {name:13s} precision {s.precision:.3f}  recall {s.recall:.3f}  "
              f"silent on distractors {s.silent_on_distractors:.3f}  F1 {_f1(s):.3f}")  # fmt: skip
    print(f"  F1 ratio compare / naive: {result['f1_ratio']}x")
    for kind, s in per_kind.items():
        print(f"    {kind:10s} P {s['precision']:.3f}  R {s['recall']:.3f}  silent {s['silent']:.3f}")


if __name__ == "__main__":
    main()
