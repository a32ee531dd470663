"""Index at scale: the FAISS layout multicap picks for N vectors vs a brute-force NumPy scan (as rclip).

    python benchmarks/index_scale.py                  # 1,000,000 vectors of 1,280 dims (about 10 GB of RAM)
    python benchmarks/index_scale.py --n 200000       # a quicker run

The vectors are synthetic but shaped like pooled CNN features: points around `--clusters` centres in a
128-d latent space (centres spread `2 / --spread`, points 0.6 around them), mapped to 1,280 dims by a
fixed random matrix, plus isotropic noise, rectified (pooled ReLU features are non-negative) and scaled to
unit norm. How hard the data is shows in the output: the mean cosine of each query's 1st and 10th exact
neighbour, and the recall of the index with its smallest search setting (nprobe 1). With 2,000 tight
clusters (`--clusters 2000 --spread 1`) nprobe 1 already finds every neighbour; the default is harder.
Queries are fresh draws from the same
distribution (not in the index). The layout is chosen by `choose_layout` and built, tuned (nprobe or
efSearch raised until Recall@10 reaches 0.95 on 200 tuning queries) and saved by the library's own code;
Recall@10 is then measured on 200 other queries against exact search. Both searches run one query at a
time in this process, on the same threads, and the ratio of their median latencies is printed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

from multicap.index.layout import choose_layout
from multicap.index.vectors import build_index, exact_top_k, measure_recall, save_index, tune_index

_LATENT = 128


def synthetic(n: int, dim: int, seed: int, centres: np.ndarray, proj: np.ndarray) -> np.ndarray:
    """(n, dim) float32 unit vectors, generated in blocks (no n × dim float64 temporaries)."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), np.float32)
    for start in range(0, n, 50_000):
        m = min(50_000, n - start)
        z = centres[rng.integers(len(centres), size=m)] + 0.6 * rng.standard_normal((m, _LATENT), np.float32)
        x = z @ proj + 0.8 * rng.standard_normal((m, dim), np.float32)  # (m, dim)
        np.maximum(x, 0, out=x)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        out[start : start + m] = x
    return out


def brute_force(vectors: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    """rclip's search: every similarity, then the top k."""
    sims = vectors @ query  # (N,)
    top = np.argpartition(-sims, k)[:k]
    return top[np.argsort(-sims[top])]


def neighbour_cosines(vecs: np.ndarray, ids: np.ndarray, queries: np.ndarray, truth: np.ndarray) -> tuple:
    """Mean cosine of each query's 1st and 10th exact neighbour (ids are row + 1)."""
    first = np.einsum("qd,qd->q", queries, vecs[truth[:, 0] - ids[0]])
    tenth = np.einsum("qd,qd->q", queries, vecs[truth[:, 9] - ids[0]])
    return float(first.mean()), float(tenth.mean())


def latencies(fn, queries: np.ndarray) -> np.ndarray:
    out = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        out.append(time.perf_counter() - t)
    return np.array(out) * 1000.0  # ms


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=1280)
    ap.add_argument("--queries", type=int, default=200, help="tuning queries, and as many for the recall")
    ap.add_argument("--brute-queries", type=int, default=20, help="queries timed for the brute-force scan")
    ap.add_argument("--factory", default=None, help="a FAISS factory string instead of the chosen layout")
    ap.add_argument("--clusters", type=int, default=10_000, help="cluster centres of the synthetic data")
    ap.add_argument("--spread", type=float, default=1.5, help="larger: centres closer, clusters overlap")
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    centres = (2.0 / args.spread) * rng.standard_normal((args.clusters, _LATENT)).astype(np.float32)
    proj = (rng.standard_normal((_LATENT, args.dim)) / np.sqrt(_LATENT)).astype(np.float32)
    t = time.perf_counter()
    vecs = synthetic(args.n, args.dim, 1, centres, proj)
    queries = synthetic(2 * args.queries, args.dim, 2, centres, proj)
    ids = np.arange(1, args.n + 1, dtype=np.int64)  # SQLite row ids start at 1
    print(f"generated {args.n:,} x {args.dim} in {time.perf_counter() - t:.1f} s", flush=True)

    preset, factory = ("user", args.factory) if args.factory else choose_layout(args.n, args.dim)
    t = time.perf_counter()
    vi = build_index(lambda: iter([(ids, vecs)]), factory, args.dim)
    build_s = time.perf_counter() - t
    print(f"built {preset} ({vi.factory}) in {build_s:.1f} s", flush=True)

    tune_q, eval_q = queries[: args.queries], queries[args.queries :]
    t = time.perf_counter()
    truth = exact_top_k(ids, vecs, queries, 10)
    exact_s = time.perf_counter() - t
    first, tenth = neighbour_cosines(vecs, ids, eval_q, truth[args.queries :])
    recall_min = measure_recall(vi, eval_q, truth[args.queries :])  # before tuning: the smallest setting
    tune_index(vi, tune_q, truth[: args.queries])
    recall = measure_recall(vi, eval_q, truth[args.queries :])
    print(f"tuned {vi.params}: Recall@10 {recall:.4f} on held-out queries", flush=True)

    with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parent) as tmp:
        path = Path(tmp) / "image.faiss"
        save_index(vi, path)
        bytes_per_vector = path.stat().st_size / args.n

    faiss_ms = latencies(lambda q: vi.search(q[None, :], 10), eval_q)
    brute_ms = latencies(lambda q: brute_force(vecs, q, 10), eval_q[: args.brute_queries])
    result = {
        "n": args.n,
        "dim": args.dim,
        "preset": preset,
        "factory": vi.factory,
        "params": vi.params,
        "recall_at_10": round(recall, 4),
        "build_s": round(build_s, 1),
        "bytes_per_vector": round(bytes_per_vector, 1),
        "faiss_p50_ms": round(float(np.percentile(faiss_ms, 50)), 3),
        "faiss_p95_ms": round(float(np.percentile(faiss_ms, 95)), 3),
        "brute_p50_ms": round(float(np.percentile(brute_ms, 50)), 2),
        "brute_p95_ms": round(float(np.percentile(brute_ms, 95)), 2),
        "speedup_p50": round(float(np.percentile(brute_ms, 50) / np.percentile(faiss_ms, 50)), 1),
        "exact_ground_truth_s": round(exact_s, 1),
        "neighbour_cos_1st": round(first, 3),
        "neighbour_cos_10th": round(tenth, 3),
        "recall_at_10_smallest_setting": round(recall_min, 4),
        "threads": faiss.omp_get_max_threads(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
