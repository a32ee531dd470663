"""Where a bundle's sentences go wrong: fact F1 of objects, their parts, relations and the background.

    .venv/bin/python benchmarks/layout_errors.py --bundle scenes-small --n 150
    .venv/bin/python benchmarks/layout_errors.py --bundle scenes-small --n 300 --level attribute

Fresh test scenes (as `captioner_quality.py` draws them) are captioned at `--level` (layout by default);
each sentence is parsed back into facts and its tuples compared with the truth kind by kind: objects with
every attribute of the level (layout: shape, colour, position; attribute: shape, colour, size), the same
objects as (shape, colour) alone (is the object named right?), their shapes alone, the chain of
relations, and the background (kind and colour).

With `--chains` (layout level), each sentence's chain of relations is traced: the images are grouped by how
the objects it names, in its order, compare with the truth's reading order (the same sequence, the same
objects reordered, one misread, some missed, some extra), with the chain relations right in each group, and
where the sequence is right, which predicate was said for which true one.

    .venv/bin/python benchmarks/layout_errors.py --bundle scenes-small --n 300 --chains
"""

from __future__ import annotations

import argparse
import json
from collections import Counter

import torch
from fresh_scenes import fresh_scenes

from multicap.captioning.bundle import load_bundle
from multicap.data.scenes import parse, stated_tuples
from multicap.data.scenes.render import render
from multicap.facts.geometry import INVERSE_PREDICATE, orient
from multicap.facts.scene import Relation, SceneFacts
from multicap.facts.scene_sentences import mentioned_relations


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", default="scenes-small")
    ap.add_argument("--n", type=int, default=150, help="fresh test scenes")
    ap.add_argument("--level", default="layout")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--chains", action="store_true", help="trace the relation chains (layout level)")
    args = ap.parse_args()
    bundle = load_bundle(args.bundle)
    encoder = bundle.encoder.create()
    records = fresh_scenes("test", args.n, seed=0)
    counts: Counter[str] = Counter()
    chains: Counter[str] = Counter()
    with torch.no_grad():
        for start in range(0, len(records), 50):
            chunk = records[start : start + 50]
            images = [render(r.facts, bundle.encoder.image_size, r.render_seed) for r in chunk]
            captions = bundle.caption(encoder.encode_images(images).grid, [args.level] * len(chunk))
            for record, caption in zip(chunk, captions, strict=True):
                if args.chains:
                    _trace_chain(parse(caption.text), record.facts, chains)
                said = stated_tuples(parse(caption.text), args.level, relations="stated")
                true = stated_tuples(record.facts, args.level, relations="mentioned")
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
        print(
            json.dumps({"bundle": args.bundle, "level": args.level, "n": args.n, **result, "chains": chains})
        )
        return
    for kind, r in result.items():
        print(f"{kind:25s} F1 {r['f1']:.3f}  P {r['precision']:.3f}  R {r['recall']:.3f}  ({r['true']} true)")
    for key, n in sorted(chains.items()):
        print(f"{key:45s} {n}")


def _trace_chain(said: SceneFacts, true: SceneFacts, out: Counter[str]) -> None:
    """Add one sentence's chain to `out`: its group, its chain relations right, its predicate confusions."""
    named = [(o.label, o.attributes.get("colour")) for o in said.objects]
    truth = [(o.label, o.attributes.get("colour")) for o in true.objects]
    if named == truth:
        group = "same sequence"
    elif sorted(named, key=str) == sorted(truth, key=str):
        group = "same objects, other order"
    elif len(named) == len(truth):
        group = "one or more misread"
    else:
        group = "some missed" if len(named) < len(truth) else "some extra"
    said_chain = {(r.subject, r.predicate, r.object) for r in said.relations}  # parse() orients them
    true_chain = {(r.subject, r.predicate, r.object) for r in _oriented_chain(true)}
    out[f"{group}: images"] += 1
    out[f"{group}: chain relations true"] += len(true_chain)
    out[f"{group}: chain relations right"] += len(said_chain & true_chain)  # same ends, same predicate
    if group == "same sequence":  # the same ends mean the same objects: compare each pair's predicate
        said_pairs = {frozenset((s, o)): (s, p, o) for s, p, o in said_chain}
        for s, p, o in true_chain - said_chain:
            got = said_pairs.get(frozenset((s, o)))
            word = "nothing" if got is None else got[1] if got[0] == s else INVERSE_PREDICATE[got[1]]
            out[f"predicate said for the true one: {p} -> {word}"] += 1


def _oriented_chain(facts: SceneFacts) -> list[Relation]:
    """The chain the generated sentences state, in the canonical direction parse() gives its relations."""
    return [orient(r, facts.objects) for r in mentioned_relations(facts)]


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
