"""Duplicate grouping and clustering at scale, beside the N×N cosine-matrix approach (as imagededup).

    .venv/bin/python benchmarks/compare_scale.py                      # ours at 25k and 100k; N×N at 4k-16k
    .venv/bin/python benchmarks/compare_scale.py --sizes 100000 --matrix-sizes 8000

Embeddings are synthetic and cached-size: 1,280-d pooled vectors (EfficientNet-Lite0) for clustering and
1,880-d near-duplicate signatures (pooled + 600 pixel dims) for grouping; points around 50 centres, with 1 %
of them planted as near-copies of another (cosine about 0.995), unit norm. Each measurement runs in a fresh
forked process, so its peak RSS (`ru_maxrss`) is its own: ours is `duplicate_groups` (IVF range search +
group-average linkage) then `cluster_vectors` (k chosen by silhouette); the baseline forms the N×N cosine
matrix, thresholds it and takes connected components. The baseline's matrix needs 4·N² bytes, so it runs
only up to `--matrix-sizes` and its memory at 100k is extrapolated from its growth.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import time
from typing import Any

import numpy as np

from multicap.compare import cluster_vectors, duplicate_groups
from multicap.compare.duplicates import connected_groups
from multicap.compare.signature import PIXEL_DIM, unit

_POOLED = 1280
_THRESHOLD = 0.9


def _data(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, int]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((50, d)).astype(np.float32)
    x = centres[rng.integers(50, size=n)] + 0.7 * rng.standard_normal((n, d), dtype=np.float32)
    x = unit(x)
    planted = rng.choice(n, size=n // 100, replace=False)
    for i, src in enumerate(planted[: len(planted) // 2]):  # copies overwrite the other half's rows
        dst = planted[len(planted) // 2 + i]
        x[dst] = x[src] + (0.1 / np.sqrt(d)) * rng.standard_normal(d, dtype=np.float32)
    return unit(x), len(planted) // 2


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ours(n: int, q: Any) -> None:
    sig, planted = _data(n, _POOLED + PIXEL_DIM)
    emb = np.ascontiguousarray(sig[:, :_POOLED])
    emb = unit(emb)
    base = _rss_mb()
    start = time.perf_counter()
    groups = duplicate_groups(sig, _THRESHOLD)
    mid = time.perf_counter()
    clusters = cluster_vectors(emb)
    end = time.perf_counter()
    q.put({"n": n, "group_s": round(mid - start, 2), "cluster_s": round(end - mid, 2),
           "total_s": round(end - start, 2), "peak_mb": round(_rss_mb(), 0), "data_mb": round(base, 0),
           "groups": len(groups), "planted": planted, "k": clusters.k})  # fmt: skip


def _matrix(n: int, q: Any) -> None:
    sig, planted = _data(n, _POOLED + PIXEL_DIM)
    base = _rss_mb()
    start = time.perf_counter()
    sim = sig @ sig.T  # (N, N): the imagededup way
    i, j = np.nonzero(np.triu(sim >= _THRESHOLD, k=1))
    groups = connected_groups(n, np.stack([i, j], axis=1))
    end = time.perf_counter()
    q.put({"n": n, "total_s": round(end - start, 2), "peak_mb": round(_rss_mb(), 0),
           "data_mb": round(base, 0), "groups": len(groups), "planted": planted})  # fmt: skip


def _run(fn: Any, n: int) -> dict[str, Any]:
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=fn, args=(n, q))
    p.start()
    out = q.get()
    p.join()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[25_000, 100_000])
    ap.add_argument("--matrix-sizes", type=int, nargs="+", default=[4_000, 8_000, 16_000])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    ours, matrix = [], []
    for n in args.sizes:
        ours.append(_run(_ours, n))
        if not args.json:
            print("ours", ours[-1], flush=True)
    for n in args.matrix_sizes:
        matrix.append(_run(_matrix, n))
        if not args.json:
            print("N×N", matrix[-1], flush=True)
    big = max(ours, key=lambda r: r["n"])
    # the matrix's own memory grows as N²: fit (peak - data) = c·N² on its largest run
    last = matrix[-1]
    per_n2 = (last["peak_mb"] - last["data_mb"]) / last["n"] ** 2
    extrapolated_mb = per_n2 * big["n"] ** 2
    same_n = [r for r in ours if r["n"] in {m["n"] for m in matrix}]
    result = {"ours": ours, "matrix": matrix, "matrix_mb_at_largest_extrapolated": round(extrapolated_mb),
              "memory_ratio_at_largest": round(extrapolated_mb / max(big["peak_mb"] - big["data_mb"], 1), 1),
              "same_n": same_n}  # fmt: skip
    if args.json:
        print(json.dumps(result))
        return
    for r in ours:
        print(f"ours   N={r['n']:>7,}: group {r['group_s']:.1f} s + cluster {r['cluster_s']:.1f} s = "
              f"{r['total_s']:.1f} s; peak RSS {r['peak_mb']:.0f} MB (data alone {r['data_mb']:.0f} MB); "
              f"{r['groups']} groups ({r['planted']} planted), k={r['k']}")  # fmt: skip
    for r in matrix:
        print(f"N×N    N={r['n']:>7,}: {r['total_s']:.1f} s; peak RSS {r['peak_mb']:.0f} MB "
              f"(data alone {r['data_mb']:.0f} MB); {r['groups']} groups")  # fmt: skip
    print(f"N×N at N={big['n']:,} would need about {extrapolated_mb / 1024:.1f} GB beyond its data "
          f"({result['memory_ratio_at_largest']}× ours)")  # fmt: skip


if __name__ == "__main__":
    main()
