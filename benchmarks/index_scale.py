"""Index at scale: the FAISS layout multicap picks for N vectors vs a brute-force NumPy scan (as rclip).

    python benchmarks/index_scale.py                  # 1,000,000 vectors of 1,280 dims
    python benchmarks/index_scale.py --n 200000       # a quicker run

The build is the library's own (`build_index`): it reads the vectors in chunks, twice (a reservoir sample
to train on, then each chunk to add), as `multicap index` reads them from SQLite. Here the chunks are
generated again on each pass (seeded per block), so the build never sees all vectors at once, and its peak
memory is measured alone: the kernel's high-water mark of this process (VmHWM) is reset just before the
build and read just after. Only then are all the vectors put in one array, for the brute-force scan.

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
from collections.abc import Iterator
from pathlib import Path

import faiss
import numpy as np

from multicap.index.layout import choose_layout
from multicap.index.vectors import build_index, exact_top_k, measure_recall, save_index, tune_index

_LATENT = 128


_BLOCK = 50_000


def blocks(n: int, dim: int, seed: int, centres: np.ndarray, proj: np.ndarray) -> Iterator[np.ndarray]:
    """(≤ 50,000, dim) float32 unit vectors, block after block; block b is the same on every pass."""
    for b, start in enumerate(range(0, n, _BLOCK)):
        rng = np.random.default_rng([seed, b])
        m = min(_BLOCK, n - start)
        z = centres[rng.integers(len(centres), size=m)] + 0.6 * rng.standard_normal((m, _LATENT), np.float32)
        x = z @ proj + 0.8 * rng.standard_normal((m, dim), np.float32)  # (m, dim)
        np.maximum(x, 0, out=x)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        yield x


def chunks(n: int, dim: int, seed: int, centres: np.ndarray, proj: np.ndarray) -> Iterator[tuple]:
    """(ids, vectors) chunks as the index store gives them; ids are row + 1 (SQLite row ids)."""
    start = 1
    for x in blocks(n, dim, seed, centres, proj):
        yield np.arange(start, start + len(x), dtype=np.int64), x
        start += len(x)


def synthetic(n: int, dim: int, seed: int, centres: np.ndarray, proj: np.ndarray) -> np.ndarray:
    """All n vectors in one (n, dim) float32 array."""
    out = np.empty((n, dim), np.float32)
    for i, x in enumerate(blocks(n, dim, seed, centres, proj)):
        out[i * _BLOCK : i * _BLOCK + len(x)] = x
    return out


def reset_peak() -> None:
    """Reset this process's VmHWM to its current RSS (Linux ≥ 4.0: write 5 to clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


def memory_mb() -> tuple[float, float]:
    """(current RSS, peak RSS since the last reset) of this process, in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


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
    queries = synthetic(2 * args.queries, args.dim, 2, centres, proj)

    def data() -> Iterator[tuple]:
        return chunks(args.n, args.dim, 1, centres, proj)

    preset, factory = ("user", args.factory) if args.factory else choose_layout(args.n, args.dim)
    reset_peak()
    before_mb, _ = memory_mb()
    t = time.perf_counter()
    vi = build_index(data, factory, args.dim)
    build_s = time.perf_counter() - t  # includes generating the vectors twice
    _, build_peak_mb = memory_mb()
    print(f"built {preset} ({vi.factory}) in {build_s:.1f} s, peak {build_peak_mb:,.0f} MB", flush=True)

    tune_q, eval_q = queries[: args.queries], queries[args.queries :]
    t = time.perf_counter()
    truth = exact_top_k(data(), queries, 10)
    exact_s = time.perf_counter() - t
    vecs = synthetic(args.n, args.dim, 1, centres, proj)  # for the brute-force scan (and the cosines)
    ids = np.arange(1, args.n + 1, dtype=np.int64)
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
        "build_peak_rss_mb": round(build_peak_mb),
        "rss_before_build_mb": round(before_mb),
        "vectors_mb": round(args.n * args.dim * 4 / 2**20),
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
