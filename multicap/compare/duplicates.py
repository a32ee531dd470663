"""Near-duplicate groups: a FAISS range search for pairs above a cosine threshold, then group-average linkage.

No N×N matrix is formed: an exact `IndexFlatIP` answers the range search block by block up to
`EXACT_UNTIL` vectors. Above that, each vector's `NEIGHBOURS` nearest are found in a `PCA_DIM`-d PCA
projection by an `IndexIVFFlat` (about √N lists, `NPROBE` searched) and each candidate pair is checked on
the full vectors: a near-duplicate is missed only if more than `NEIGHBOURS` other images project closer
to it (a group larger than that still joins up through chains). Memory is the vectors plus N ×
`NEIGHBOURS` candidates: linear in N. At 100,000 signatures the range search on the full 1,752-d vectors
took 172 s on two busy cores; see benchmarks/RESULTS.md for this path. A caller may pass `same(i, j)`
(`multicap.compare.verify.PairCheck`: the pair's keypoints under one similarity transform), asked of each
pair above the threshold but under `SURE`; a pair it says are two photos is dropped before linkage.

The pairs are joined most similar first, as union-find would, but two groups join only when their
group-average cosine (the mean over every cross pair: the dot product of the two groups' vector sums,
divided by the pair count) is at or above the threshold too, and, when the pooled embeddings are given,
their group-average embedding cosine at least `EMBEDDING_FLOOR`. Plain connected components let one
close pair chain two different scenes into one group (one such merge of two groups of six costs 36 false
pairs: precision 0.96); the average check refuses a join that only a few pairs vouch for, and the floor
refuses two images the encoder sees as different things, however alike their pixels (a yellow square on
purple stripes and a yellow pentagon on grey: pixel parts 0.94-0.96, embedding 0.50). Each merge costs
one dot product of two sums; the sums of merged groups are the only extra memory.

The default threshold (`DEFAULT_THRESHOLD`, cosine of `signature`s) and the floor were chosen on scene
groups of seeds 1-13 and measured on seeds 14-19 (benchmarks/compare_duplicates.py, benchmarks/RESULTS.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np

from multicap.compare.signature import PIXEL_DIM, turned_pixels, unit, without_colours

__all__ = [
    "DEFAULT_THRESHOLD",
    "EMBEDDING_FLOOR",
    "EXACT_UNTIL",
    "SURE",
    "DuplicateGroup",
    "connected_groups",
    "duplicate_groups",
    "pick_keeper",
    "similar_pairs",
]

DEFAULT_THRESHOLD = 0.78  # cosine of two signatures (and of two groups, on average) to be near-duplicates
SURE = 0.93  # a pair this alike is not asked of `same` (flat synthetic images keep few true keypoints)
EMBEDDING_FLOOR = 0.55  # two groups join only if their pooled embeddings agree this much, on average
EXACT_UNTIL = 5_000  # vectors searched exactly (range search); above, nearest neighbours by IVF
NEIGHBOURS = 16  # above EXACT_UNTIL: candidates per vector, each checked on the full vectors
PCA_DIM = 128  # above EXACT_UNTIL: the candidates are searched in this many PCA dimensions
_PCA_SAMPLE = 4096  # vectors the PCA is fitted on
NPROBE = 8  # IVF lists searched per query
_BLOCK = 2048  # queries per range search call (bounds the results held at once)
TURNED_NEIGHBOURS = 3  # each image's nearest by embedding checked for a copy turned or made grey
TURNED_EMBEDDING = EMBEDDING_FLOOR  # ... at this embedding cosine or more (as two groups must agree)
TURNED_SHARE = 0.4  # ... which is one by keypoints: this share carried by one similarity transform
TURNED_PIXELS = 0.85  # ... and each image's nearest whose pixel signature, turned or mirrored, is this alike
_SLACK = 1e-6  # a pair found at the threshold in float32 is not refused by its float64 average


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
    # at the threshold less float32's error: identical images read 0.99999994, and --threshold 1 lost them
    threshold -= _SLACK
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


def pick_keeper(members: Sequence[int], keep_order: Sequence[Any] | None = None) -> int:
    """The member first in `keep_order` (`ImageSet.keep_order`: the most pixels, colour, the most bytes,
    the oldest), then the first."""
    return min(members, key=lambda i: (keep_order[i] if keep_order is not None else (), i))


def duplicate_groups(
    vectors: np.ndarray,
    threshold: float = DEFAULT_THRESHOLD,
    *,
    embeddings: np.ndarray | None = None,
    keep_order: Sequence[Any] | None = None,
    same: Callable[[int, int], bool] | None = None,
    share: Callable[[int, int], float | None] | None = None,
) -> list[DuplicateGroup]:
    """Groups of near-duplicates among unit `vectors` (N, D), each with its suggested keeper.

    `embeddings` (N, E), the images' unit pooled embeddings, add the `EMBEDDING_FLOOR` check; `same(i, j)`
    (`multicap.compare.verify.PairCheck`) is asked of each pair above the threshold, and a pair it says
    are different photos is not linked (alike portraits of different people). `share(i, j)` (the same
    check's keypoint share), with the embeddings, finds the copies the signature misses (`_turned`)."""
    n = len(vectors)
    pairs, sims = similar_pairs(vectors, threshold)
    if same is not None and len(pairs):
        asked = zip(pairs.tolist(), sims.tolist(), strict=True)
        keep = np.array([s >= SURE or same(i, j) for (i, j), s in asked], dtype=bool)
        pairs, sims = pairs[keep], sims[keep]
    groups, least = _linked_groups(vectors, pairs, sims, threshold, embeddings)
    if share is not None and embeddings is not None and n <= EXACT_UNTIL:
        turned = _turned(vectors, embeddings, groups, share, threshold)
        groups, least = _with_turned(groups, least, turned)
    out = []
    for members, link in zip(groups, least, strict=True):
        keeper = pick_keeper(members, keep_order)
        ordered = [keeper, *(m for m in members if m != keeper)]
        out.append(DuplicateGroup(ordered, keeper, link))
    return out


def _turned(
    vectors: np.ndarray,
    embeddings: np.ndarray,
    groups: list[list[int]],
    share: Callable[[int, int], float | None],
    threshold: float,
) -> list[tuple[int, int, float]]:
    """Copies the signature cannot see: a photo turned a quarter, made grey or flipped left to right (its
    layout of colours changes: the signature cosine of a dam and its copy turned 90° is 0.51, of a
    butterfly and its grey copy 0.44). Among each image's `TURNED_NEIGHBOURS` nearest by embedding
    (cosine at least `TURNED_EMBEDDING`) and under the signature's `threshold`, a pair not grouped whose
    keypoints (or those of one's mirror image: `verify.PairCheck.share`) one similarity transform carries
    at `TURNED_SHARE` or more (those two: 0.83 and 0.97; frames of one fixed camera 0.16-0.23, different
    photos at most 0.07): (i, j, their signature cosine)."""
    n = len(embeddings)
    if n < 2:
        return []
    index = faiss.IndexFlatIP(embeddings.shape[1])
    index.add(np.ascontiguousarray(embeddings, dtype=np.float32))
    sims, ids = index.search(
        np.ascontiguousarray(embeddings, dtype=np.float32), min(n, TURNED_NEIGHBOURS + 1)
    )
    group_of = {m: g for g, members in enumerate(groups) for m in members}
    candidates = {
        (min(a, int(b)), max(a, int(b)))
        for a in range(n)
        for b, s in zip(ids[a].tolist(), sims[a].tolist(), strict=True)
        if b >= 0 and b != a and s >= TURNED_EMBEDDING
    } | _turned_by_pixels(vectors)
    found = []
    for i, j in sorted(candidates):
        signed = float(vectors[i] @ vectors[j])
        if signed >= threshold or group_of.get(i, -1) == group_of.get(j, -2):
            continue  # the signature saw the pair (and the linkage judged it), or one group holds both
        seen = share(i, j)
        if seen is not None and seen >= TURNED_SHARE:
            found.append((i, j, signed))
    return sorted(found)


def _turned_by_pixels(vectors: np.ndarray) -> set[tuple[int, int]]:
    """Pairs (i, j), i < j, whose layouts of light and colour agree (cosine at least `TURNED_PIXELS`, and
    more than as they are) once one of the two is turned a quarter, a half or three quarters, or mirrored
    (`signature.turned_pixels`): a copy turned a quarter moves its embedding far (a cathedral and its copy:
    cosine 0.35), so the embedding's nearest had missed it in a set, where a pair named alone was found.
    The colour histogram, which turning does not change, is left out: with it any two grey photos had been
    candidates (20 an image), each a keypoint check."""
    n = len(vectors)
    if vectors.shape[1] <= PIXEL_DIM:  # not signatures with pixel parts (a test's own vectors)
        return set()
    pixels = unit(without_colours(vectors[:, -PIXEL_DIM:]))
    index = faiss.IndexFlatIP(PIXEL_DIM)
    index.add(np.ascontiguousarray(pixels, dtype=np.float32))
    found: set[tuple[int, int]] = set()
    for turned in turned_pixels(pixels):
        sims, ids = index.search(np.ascontiguousarray(unit(turned)), min(n, TURNED_NEIGHBOURS + 1))
        for a in range(n):
            for b, s in zip(ids[a].tolist(), sims[a].tolist(), strict=True):
                if b >= 0 and b != a and s >= TURNED_PIXELS and s > float(pixels[a] @ pixels[b]):
                    found.add((min(a, b), max(a, b)))
    return found


def _with_turned(
    groups: list[list[int]], least: list[float], turned: list[tuple[int, int, float]]
) -> tuple[list[list[int]], list[float]]:
    """The groups with the turned copies added: to the group of the photo they copy, or as a new group.
    Two groups that such a pair links are one photo (the signature grouped a grey copy with a mirrored
    one, apart from the photo they were both made from): they become one group. The pairs are taken most
    similar first, as the linkage takes its pairs, so that a copy joins by its closest link and a group's
    least similarity does not hang on the files' names (a grey copy renamed had read 0.374, not 0.558)."""
    groups, least = [list(g) for g in groups], list(least)
    for i, j, sim in sorted(turned, key=lambda t: (-t[2], t[0], t[1])):
        gi = next((k for k, g in enumerate(groups) if i in g), None)
        gj = next((k for k, g in enumerate(groups) if j in g), None)
        if gi is not None and gj is not None:
            if gi != gj:
                groups[gi] = sorted([*groups[gi], *groups[gj]])
                least[gi] = round(min(least[gi], least[gj], sim), 4)
                del groups[gj], least[gj]
            continue
        if gi is None and gj is None:
            groups.append([i, j])
            least.append(round(sim, 4))
            continue
        k, other = (gi, j) if gi is not None else (gj, i)
        assert k is not None  # one of the two is grouped
        groups[k] = sorted([*groups[k], other])
        least[k] = round(min(least[k], sim), 4)
    order = sorted(range(len(groups)), key=lambda k: groups[k][0])
    return [groups[k] for k in order], [least[k] for k in order]


def _linked_groups(
    x: np.ndarray, pairs: np.ndarray, sims: np.ndarray, threshold: float, embeddings: np.ndarray | None
) -> tuple[list[list[int]], list[float]]:
    """Group-average linkage over the pairs, most similar first: (groups of two or more, each group's
    least joining similarity)."""
    parent = np.arange(len(x))
    merged: dict[int, _Sums] = {}  # root → the sums of a group of two or more

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]  # path halving
            i = int(parent[i])
        return i

    def sums(r: int) -> _Sums:
        return merged.get(r) or _Sums(x[r].astype(np.float64), None if embeddings is None else embeddings[r])

    for k in np.argsort(-sims, kind="stable").tolist():
        ri, rj = root(int(pairs[k, 0])), root(int(pairs[k, 1]))
        if ri != rj and (joined := sums(ri).join(sums(rj), threshold, float(sims[k]))) is not None:
            keep, gone = min(ri, rj), max(ri, rj)
            parent[gone] = keep
            merged[keep] = joined
            merged.pop(gone, None)
    members: dict[int, list[int]] = {}
    for i in np.unique(pairs).tolist():
        members.setdefault(root(i), []).append(i)
    groups = sorted((sorted(m) for m in members.values() if len(m) > 1), key=lambda m: m[0])
    return groups, [round(merged[root(g[0])].least, 4) for g in groups]


@dataclass
class _Sums:
    vectors: np.ndarray  # (D,) float64: the sum of the group's vectors
    embeddings: np.ndarray | None  # (E,) the sum of their pooled embeddings, when given
    size: int = 1
    least: float = 1.0  # the least similarity of a pair that joined the group

    def join(self, other: _Sums, threshold: float, link: float) -> _Sums | None:
        """The two groups as one, or None when their group-average cosine or embedding cosine is too low."""
        count = self.size * other.size
        if self.vectors @ other.vectors / count < threshold - _SLACK:
            return None
        e, f = self.embeddings, other.embeddings
        if e is not None and f is not None and e @ f / count < EMBEDDING_FLOOR - _SLACK:
            return None
        both = None if e is None or f is None else e.astype(np.float64) + f
        least = min(self.least, other.least, link)
        return _Sums(self.vectors + other.vectors, both, self.size + other.size, least)
