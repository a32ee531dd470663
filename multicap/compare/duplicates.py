"""Near-duplicate groups: a FAISS range search for pairs above a cosine threshold, then union-find.

No N×N matrix is formed: an exact `IndexFlatIP` answers the range search block by block up to
`EXACT_UNTIL` vectors. Above that, each vector's `NEIGHBOURS` nearest are found in a `PCA_DIM`-d PCA
projection by an `IndexIVFFlat` (about √N lists, `NPROBE` searched) and each candidate pair is checked on
the full vectors: a near-duplicate is missed only if more than `NEIGHBOURS` other images project closer
to it (a group larger than that still joins up through chains). Memory is the vectors plus N ×
`NEIGHBOURS` candidates: linear in N. At 100,000 signatures the range search on the full 1,752-d vectors
took 172 s on two busy cores; see benchmarks/RESULTS.md for this path.

The default threshold (`DEFAULT_THRESHOLD`, cosine of `signature`s) was chosen on scene groups of one
seed and measured on another (benchmarks/compare_duplicates.py, benchmarks/RESULTS.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import faiss
import numpy as np

__all__ = [
    "DEFAULT_THRESHOLD",
    "EXACT_UNTIL",
    "DuplicateGroup",
    "connected_groups",
    "duplicate_groups",
    "pick_keeper",
    "similar_pairs",
]

DEFAULT_THRESHOLD = 0.80  # cosine of two signatures at or above which they are near-duplicates
EXACT_UNTIL = 5_000  # vectors searched exactly (range search); above, nearest neighbours by IVF
NEIGHBOURS = 16  # above EXACT_UNTIL: candidates per vector, each checked on the full vectors
PCA_DIM = 128  # above EXACT_UNTIL: the candidates are searched in this many PCA dimensions
_PCA_SAMPLE = 4096  # vectors the PCA is fitted on
NPROBE = 8  # IVF lists searched per query
_BLOCK = 2048  # queries per range search call (bounds the results held at once)


@dataclass
class DuplicateGroup:
    members: list[int]  # indices into the set, the keeper first
    keeper: int  # the suggested one to keep (largest resolution, then oldest); nothing is moved
    similarity: float  # the least similarity of a linking pair in the group


def similar_pairs(vectors: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) whose cosine is at least `threshold`: (pairs (P, 2) int64, similarities (P,))."""
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    n = len(x)
    if n < 2:
        return np.zeros((0, 2), np.int64), np.zeros(0, np.float32)
    pairs = _exact_pairs(x, threshold) if n <= EXACT_UNTIL else _candidate_pairs(x)
    sims = np.empty(len(pairs), np.float32)
    for start in range(0, len(pairs), _BLOCK):  # candidates are checked on the full vectors, in blocks
        i, j = pairs[start : start + _BLOCK, 0], pairs[start : start + _BLOCK, 1]
        sims[start : start + _BLOCK] = np.einsum("pd,pd->p", x[i], x[j])
    keep = sims >= threshold
    return pairs[keep], sims[keep]


def _exact_pairs(x: np.ndarray, threshold: float) -> np.ndarray:
    """Every pair at or above the threshold: an exact range search, block by block."""
    index = faiss.IndexFlatIP(x.shape[1])
    index.add(x)
    pairs = [np.zeros((0, 2), np.int64)]
    for start in range(0, len(x), _BLOCK):
        lims, _, ids = index.range_search(x[start : start + _BLOCK], threshold)
        rows = np.repeat(np.arange(start, start + len(lims) - 1), np.diff(lims).astype(np.int64))
        keep = rows < ids  # each pair once, never an image with itself
        pairs.append(np.stack([rows[keep], ids[keep]], axis=1))
    return np.concatenate(pairs).astype(np.int64)


def _candidate_pairs(x: np.ndarray) -> np.ndarray:
    """Each vector with its `NEIGHBOURS` nearest, found in a PCA-`PCA_DIM` space by an IVF index.

    Near-duplicates are each other's nearest neighbours; the projection keeps the search cheap (a range
    search in the projected space would not: projection shrinks every distance, so ordinary neighbours
    fall inside the radius too), and the caller checks each candidate on the full vectors.
    """
    n, d = x.shape
    nlist = int(math.sqrt(n))
    sample = x[np.sort(np.random.default_rng(0).choice(n, size=min(n, 40 * nlist), replace=False))]
    if d > PCA_DIM:
        mean, basis = _pca(sample[:_PCA_SAMPLE], PCA_DIM)
        y = np.ascontiguousarray((x - mean) @ basis)  # (N, PCA_DIM)
        sample = np.ascontiguousarray((sample - mean) @ basis)
    else:
        y = x
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatL2(y.shape[1]), y.shape[1], nlist, faiss.METRIC_L2)
    ivf.train(sample)
    ivf.nprobe = NPROBE
    ivf.add(y)
    _, ids = ivf.search(y, NEIGHBOURS + 1)  # (N, K+1), the vector itself among them
    rows = np.repeat(np.arange(n), ids.shape[1])
    cols = ids.reshape(-1)
    keep = (cols >= 0) & (rows != cols)
    pairs = np.sort(np.stack([rows[keep], cols[keep]], axis=1), axis=1)
    return np.unique(pairs, axis=0).astype(np.int64)


def _pca(sample: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean (D,), basis (D, dim)): the top principal directions of a sample, by randomized subspace
    iteration. Only (k, k) matrices are decomposed: LAPACK on a busy machine took 20 s for the full
    1,752 × 1,752 eigendecomposition and seconds for a QR or SVD of the tall matrices (faiss's PCAMatrix
    33 s); products are fast."""
    mean = sample.mean(axis=0)
    centred = (sample - mean).astype(np.float64)  # (m, D)
    q = _orthonormal(np.random.default_rng(0).standard_normal((sample.shape[1], dim + 16)))  # (D, k)
    for _ in range(3):  # power iterations sharpen the leading directions
        q = _orthonormal(centred.T @ (centred @ q))
    b = centred @ q  # (m, k)
    _, vectors = np.linalg.eigh(b.T @ b)  # (k, k), ascending
    return mean.astype(np.float32), np.ascontiguousarray(q @ vectors[:, ::-1][:, :dim], dtype=np.float32)


def _orthonormal(y: np.ndarray) -> np.ndarray:
    """Columns of y made orthonormal through the (k, k) Gram matrix."""
    w, v = np.linalg.eigh(y.T @ y)
    return (y @ v) / np.sqrt(np.maximum(w, 1e-12))


def connected_groups(n: int, pairs: np.ndarray) -> list[list[int]]:
    """Connected components (two or more members) of the graph on n nodes with these edges."""
    parent = np.arange(n)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]  # path halving
            i = int(parent[i])
        return i

    for i, j in pairs.tolist():
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    members: dict[int, list[int]] = {}
    for i in np.unique(pairs).tolist():
        members.setdefault(root(i), []).append(i)
    return sorted((sorted(m) for m in members.values() if len(m) > 1), key=lambda m: m[0])


def pick_keeper(members: Sequence[int], pixels: Sequence[int], mtimes: Sequence[float]) -> int:
    """The member with the most pixels, then the oldest (smallest mtime), then the first."""
    return min(members, key=lambda i: (-pixels[i], mtimes[i], i))


def duplicate_groups(
    vectors: np.ndarray,
    threshold: float = DEFAULT_THRESHOLD,
    *,
    pixels: Sequence[int] | None = None,
    mtimes: Sequence[float] | None = None,
) -> list[DuplicateGroup]:
    """Groups of near-duplicates among unit `vectors` (N, D), each with its suggested keeper."""
    n = len(vectors)
    pairs, sims = similar_pairs(vectors, threshold)
    groups = connected_groups(n, pairs)
    pixels = pixels if pixels is not None else [0] * n
    mtimes = mtimes if mtimes is not None else [0.0] * n
    least = _least_link(pairs, sims, groups)
    out = []
    for g, members in enumerate(groups):
        keeper = pick_keeper(members, pixels, mtimes)
        ordered = [keeper, *(m for m in members if m != keeper)]
        out.append(DuplicateGroup(ordered, keeper, least[g]))
    return out


def _least_link(pairs: np.ndarray, sims: np.ndarray, groups: list[list[int]]) -> list[float]:
    group_of = {m: g for g, members in enumerate(groups) for m in members}
    least = [1.0] * len(groups)
    for (i, _), s in zip(pairs.tolist(), sims.tolist(), strict=True):
        g = group_of[i]
        least[g] = min(least[g], round(float(s), 4))
    return least
