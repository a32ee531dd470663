"""Search quality on synthetic scenes: text -> image Recall@1/5/10, median rank and mAP of `search_index`.

    python benchmarks/index_quality.py                                  # the grounded model only
    python benchmarks/index_quality.py --bundle runs/scenes/best        # and a trained captioner bundle

A pool of scenes and text queries with exact relevant sets ("a red circle left of a square", "two small
stars", "a blue heart on a striped background") comes from `multicap.data.scenes.write_set_tasks`. Each
model indexes the pool with `index_paths`; each query ranks the whole pool with `search_index`; the
fused ranking is scored with `multicap.evaluation.retrieval_from_lists`, and so is each part alone (the
images a part did not rank come last), to show what each contributes.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from multicap.data.scenes import SetTasksConfig, write_set_tasks
from multicap.evaluation import retrieval_from_lists
from multicap.index import search_index
from multicap.index.build import index_paths
from multicap.index.models import open_model

PARTS = ("fused", "lexical", "image", "caption")


def load_tasks(folder: Path) -> tuple[list[Path], list[dict[str, Any]]]:
    pool = [folder / json.loads(line)["file"] for line in (folder / "pool.jsonl").read_text().splitlines()]
    queries = [json.loads(line) for line in (folder / "queries.jsonl").read_text().splitlines()]
    return pool, queries


def rankings(root: Path, model: Any, queries: list[dict[str, Any]], pool: list[Path]) -> tuple[dict, dict]:
    """Per part, per query: the pool's names best first (those a part did not rank: last, in pool order)."""
    out: dict[str, list[list[str]]] = {p: [] for p in PARTS}
    used = dict.fromkeys(PARTS, False)  # whether the part ranked anything for any query
    names = [p.name for p in pool]
    for q in queries:
        hits = search_index(root, q["text"], k=len(pool), model=model).hits
        for part in PARTS:
            ranked = [h for h in hits if part == "fused" or part in h.parts]
            if part != "fused":
                ranked.sort(key=lambda h: h.parts[part]["rank"])
            found = [Path(h.path).name for h in ranked]
            used[part] = used[part] or bool(found)
            seen = set(found)
            out[part].append(found + [n for n in names if n not in seen])
    return out, used


def evaluate(name: str, model: Any, pool: list[Path], queries: list[dict[str, Any]], work: Path) -> dict:
    root = work / f"index-{name}"
    t = time.perf_counter()
    report = index_paths(root, [pool[0].parent], model, batch_size=32)
    index_s = time.perf_counter() - t
    print(f"{name}: indexed {report.total} images in {index_s:.1f} s", flush=True)
    t = time.perf_counter()
    ranked, used = rankings(root, model, queries, pool)
    search_ms = (time.perf_counter() - t) / len(queries) * 1000
    relevant = [{Path(f).name for f in q["relevant"]} for q in queries]
    scores = {
        part: retrieval_from_lists(ranked[part], relevant).to_dict()
        for part in PARTS
        if part == "fused" or used[part]
    }
    kinds = sorted({q["kind"] for q in queries})
    by_kind = {
        k: retrieval_from_lists(
            [r for r, q in zip(ranked["fused"], queries, strict=True) if q["kind"] == k],
            [s for s, q in zip(relevant, queries, strict=True) if q["kind"] == k],
        ).to_dict()
        for k in kinds
    }
    return {
        "model": name,
        "images": report.total,
        "index_s": round(index_s, 1),
        "search_ms_per_query": round(search_ms, 1),
        "scores": scores,
        "fused_by_kind": by_kind,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bundle", default=None, help="a captioner bundle folder or name to evaluate as well")
    ap.add_argument("--pool", type=int, default=300)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--no-grounded", action="store_true", help="skip the grounded model")
    ap.add_argument("--seed", type=int, default=0, help="seed of the scene pool and its queries")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parent) as tmp:
        work = Path(tmp)
        config = SetTasksConfig(
            pairs=0, duplicates=0, clusters=0, pool=args.pool, queries=args.queries, seed=args.seed
        )
        write_set_tasks(work / "tasks", SetTasksConfig(**{**config.__dict__, "size": args.size}))
        pool, queries = load_tasks(work / "tasks")
        results = []
        if not args.no_grounded:
            results.append(evaluate("grounded", open_model("grounded"), pool, queries, work))
        if args.bundle:
            results.append(evaluate(f"bundle {args.bundle}", open_model(args.bundle), pool, queries, work))
    for r in results:
        print(json.dumps(r, indent=2))
    for r in results:
        s = r["scores"]
        line = "  ".join(
            f"{p}: R@1 {s[p]['R@1']:.3f} R@5 {s[p]['R@5']:.3f} R@10 {s[p]['R@10']:.3f} mAP {s[p]['mAP']:.3f}"
            for p in PARTS
            if p in s
        )
        print(f"{r['model']}: {line}")


if __name__ == "__main__":
    main()
