"""Where a bundle's sentences go wrong: fact F1 of objects, their parts, relations and the background.

    .venv/bin/python benchmarks/layout_errors.py --bundle scenes-small --n 150
    .venv/bin/python benchmarks/layout_errors.py --bundle scenes-small --n 300 --level attribute

Fresh test scenes (as `captioner_quality.py` draws them) are captioned at `--level` (layout by default);
each sentence is parsed back into facts and its tuples compared with the truth kind by kind: objects with
every attribute of the level (layout: shape, colour, position; attribute: shape, colour, size), the same
objects as (shape, colour) alone (is the object named right?), their shapes alone, the chain of
relations, and the background (kind and colour).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter

import torch

from multicap.captioning.bundle import load_bundle
from multicap.captioning.fresh_scenes import fresh_scenes
from multicap.data.scenes import fact_tuples, parse
from multicap.data.scenes.render import render


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", default="scenes-small")
    ap.add_argument("--n", type=int, default=150, help="fresh test scenes")
    ap.add_argument("--level", default="layout")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    bundle = load_bundle(args.bundle)
    encoder = bundle.encoder.create()
    records = fresh_scenes("test", args.n, seed=0)
    counts: Counter[str] = Counter()
    with torch.no_grad():
        for start in range(0, len(records), 50):
            chunk = records[start : start + 50]
            images = [render(r.facts, bundle.encoder.image_size, r.render_seed) for r in chunk]
            captions = bundle.caption(encoder.encode_images(images).grid, [args.level] * len(chunk))
            for record, caption in zip(chunk, captions, strict=True):
                said = fact_tuples(parse(caption.text), args.level, relations="stated")
                true = fact_tuples(record.facts, args.level, relations="mentioned")
                for kind, p, t in _kinds(said, true):
                    counts[kind + " matched"] += sum((p & t).values())
                    counts[kind + " said"] += sum(p.values())
                    counts[kind + " true"] += sum(t.values())
    result = {}
    for kind in ("object", "object without position", "shape", "relation", "background"):
        m, p, t = counts[kind + " matched"], counts[kind + " said"], counts[kind + " true"]
        if p + t:
            result[kind] = {"f1": round(2 * m / (p + t), 3), "precision": round(m / max(p, 1), 3),
                            "recall": round(m / max(t, 1), 3), "true": t}  # fmt: skip
    if args.json:
        print(json.dumps({"bundle": args.bundle, "level": args.level, "n": args.n, **result}))
        return
    for kind, r in result.items():
        print(f"{kind:25s} F1 {r['f1']:.3f}  P {r['precision']:.3f}  R {r['recall']:.3f}  ({r['true']} true)")


def _kinds(said: Counter, true: Counter) -> list[tuple[str, Counter, Counter]]:
    def only(c: Counter, kind: str) -> Counter:
        return Counter({k: v for k, v in c.items() if k[0] == kind})

    def unplaced(c: Counter) -> Counter:
        return Counter(k[1:3] for k in c.elements() if k[0] == "object")  # (shape, colour)

    def shapes(c: Counter) -> Counter:
        return Counter(k[1] for k in c.elements() if k[0] == "object")

    return [
        ("object", only(said, "object"), only(true, "object")),
        ("object without position", unplaced(said), unplaced(true)),
        ("shape", shapes(said), shapes(true)),
        ("relation", only(said, "relation"), only(true, "relation")),
        ("background", only(said, "background"), only(true, "background")),
    ]


if __name__ == "__main__":
    main()
