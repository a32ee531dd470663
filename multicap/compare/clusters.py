"""Clusters of a set (FAISS spherical k-means), a representative per cluster, and the outliers.

The number of clusters, unless given, is the k in 2..`MAX_K` (at most half a set under 12 images, a third
of one under `JOINED_FROM`, a quarter from there: `_most_clusters`) with the highest mean silhouette
(cosine distance) on a sample of at most `SILHOUETTE_SAMPLE` images, each k fitted on that sample; if no
k reaches `MIN_SILHOUETTE` the set is one cluster (it has no grouping worth stating).
The chosen k is then fitted on the whole set (FAISS subsamples 256 points per centroid).

A large folder of varied photos has no k that reaches it in the full vectors: each photo differs from
every other in a thousand ways, and the silhouettes of 111 real photos (benchmarks/real_photos.py's and
the people photos) stayed at 0.05-0.07 for every k, so `compare` said "1 cluster" of a folder of
landscapes, portraits, streets, flowers and still lifes. Such a set (of at least `PCA_FROM` images) is
looked at again in its `PCA_DIMS` principal components, where the themes that vary most across the set
lie: each k's silhouette there is set against that of structureless data with the same spread along
each component (Gaussian draws, the gap statistic's idea with a silhouette), and the k that beats it
most, by at least `MIN_GAP`, is fitted there, at most one cluster per `JOINED_GROUP` images (as below: a
walkthrough's 51 varied photos, whose gap only rose with k, had come out as 20 clusters, mostly pairs and
threes; now 8: buildings, animals, people, cats, ...). The 111 photos fall into 15 clusters (portraits,
streets, buildings, mountains, water, flowers and insects, fruit, animals, the Moon with coins and the deep
field, ...); six portraits alone stay one cluster (their gap is below zero). A smaller set cannot use that
null: with few images its spread is learnt from the very groups it should not have (36 photos of animals
and people came out as 17 clusters, mostly pairs). One of `JOINED_FROM` images or more is looked at again
with what each photo shows (`cluster_vectors(shown=)`: the concepts its describer named, rarer ones
weighing more) joined to its vector, each half of the whole, by the first criterion with at most one
cluster per `JOINED_GROUP` images: a walkthrough's 36 photos of animals and people, one cluster before,
were people, farm animals, pets and small mammals, and the rest; 24 of its animals, one cluster too,
insects, farm animals, carnivores and the rest. Where no silhouette reaches `MIN_SILHOUETTE` there either (23
things of every kind), the set stays one cluster. Smaller sets keep the first criterion alone.

A cluster's representative is its member closest to the centroid. An image's distance from the set is
its mean cosine distance to its `NEIGHBOURS` nearest other images (exact, for sets up to `KNN_MAX`
images; above that, to the nearest centroid of a cluster of two or more). On real photos the neighbours
rank the odd one out first where the centroid did not: the Moon among 12 nature photos was 12th of 13 by
its cluster's centroid (k-means had paired it with a kite in the sky), 1st by its neighbours
(benchmarks/compare_photos.py). An image is an outlier when its distance is more than `OUTLIER_Z` robust
standard deviations (1.4826 × the median absolute deviation) above the median distance of the set, and
at least `OUTLIER_MARGIN` above it (so a very tight set does not call every small deviation an outlier).
Sets under 5 images have no outliers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import faiss
import numpy as np

__all__ = [
    "MAX_K",
    "Clustering",
    "choose_k",
    "choose_k_by_gap",
    "cluster_vectors",
    "joined",
    "principal_components",
]

MAX_K = 20  # the most clusters the criterion considers
MIN_SILHOUETTE = 0.1  # below this for every k, the set is one cluster
SILHOUETTE_SAMPLE = 1000  # images the criterion is computed on
NEIGHBOURS = 2  # an image's distance from the set is its mean distance to this many nearest images
KNN_MAX = 20_000  # exact neighbours up to this many images (a FAISS flat search, O(N²) work)
OUTLIER_Z = 3.5  # robust z-score of the distance from the set (Iglewicz and Hoaglin's cut)
OUTLIER_MARGIN = 0.1  # and at least this much cosine distance above the median (0.05 flagged the cat among
#                      the five unrelated photos of examples/photos, 0.84 against a median of 0.76)
PCA_DIMS = 16  # principal components a large set the full vectors cannot split is clustered in
PCA_FROM = 3 * PCA_DIMS  # ... from this many images: the null's spread needs many more images than dims
MIN_GAP = 0.05  # least silhouette above the structureless null's there (17 landscapes: 0.049, one cluster)
JOINED_FROM = 18  # a set from this many images (to PCA_FROM) the vectors do not split: what they show too
JOINED_GROUP = 6  # ... in at most one cluster per this many images (else pairs: 17 clusters of 36 photos)
_NULL_DRAWS = 3  # Gaussian draws the null's silhouettes are averaged over
_NITER = 25  # k-means iterations
_REDO = 5  # k-means starts
_BLOCK = 16384  # images assigned per matrix product (memory stays linear in N)


@dataclass
class Clustering:
    k: int
    labels: np.ndarray  # (N,) cluster of each image
    centroids: np.ndarray  # (k, D) unit
    representatives: list[int]  # per cluster, the member closest to its centroid
    distances: np.ndarray  # (N,) distance from the set: to the nearest images (module docstring)
    outliers: list[int]  # indices, farthest first
    silhouettes: dict[int, float] = field(default_factory=dict)  # k → mean silhouette (the criterion)
    principal: int = 0  # principal components the clusters were found in (0: the vectors themselves)
    gaps: dict[int, float] = field(default_factory=dict)  # k → silhouette above the null's, there
    with_shown: bool = False  # found in the vectors joined to what each image shows (`joined`)


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run FAISS k-means on one thread: its inputs here are small (a sample, or 256 points per centroid),
    and on two busy cores OpenMP's synchronisation made it 2-10× slower (measured: 0.39 s → 0.04 s for
    the criterion on 100 points, 3.2 s → 1.4 s on 1,000 × 1,280)."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _kmeans(x: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Spherical k-means, the best of `_REDO` random starts (one start often merges two true clusters)."""
    km = faiss.Kmeans(
        x.shape[1], k, niter=_NITER, nredo=_REDO, seed=seed, spherical=True,
        max_points_per_centroid=256, min_points_per_centroid=1,
    )  # fmt: skip
    with _one_thread():
        km.train(np.ascontiguousarray(x, dtype=np.float32))
    return np.asarray(km.centroids, dtype=np.float32)


def _silhouette(dist: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Mean silhouette from a (m, m) distance matrix (m ≤ SILHOUETTE_SAMPLE); singletons score 0."""
    onehot = np.eye(k, dtype=np.float32)[labels]  # (m, k)
    counts = onehot.sum(axis=0)  # (k,)
    sums = dist @ onehot  # (m, k) total distance of each point to each cluster
    own = counts[labels]
    a = sums[np.arange(len(labels)), labels] / np.maximum(own - 1, 1)
    mean_to = np.where(counts > 0, sums / np.maximum(counts, 1), np.inf)
    mean_to[np.arange(len(labels)), labels] = np.inf
    b = mean_to.min(axis=1)
    s = np.where(own > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)
    return float(s.mean())


def _sample(x: np.ndarray, seed: int) -> np.ndarray:
    n = len(x)
    if n <= SILHOUETTE_SAMPLE:
        return x
    return x[np.sort(np.random.default_rng(seed).choice(n, SILHOUETTE_SAMPLE, replace=False))]


def _silhouettes(sample: np.ndarray, seed: int, most: int = MAX_K) -> dict[int, float]:
    """k → the mean silhouette of spherical k-means on unit vectors `sample`, k in 2..`most` (≤ m / 2)."""
    dist = np.clip(1.0 - sample @ sample.T, 0.0, 2.0)  # (m, m), m ≤ SILHOUETTE_SAMPLE
    scores: dict[int, float] = {}
    for k in range(2, min(most, MAX_K, len(sample) // 2) + 1):
        centroids = _kmeans(sample, k, seed)
        labels = (sample @ centroids.T).argmax(axis=1)
        scores[k] = round(_silhouette(dist, labels, k), 4)
    return scores


def _most_clusters(n: int) -> int:
    """The most clusters the first criterion may choose for `n` images: half of them under 12, a third
    under `JOINED_FROM`, a quarter from there (a silhouette creeps up as k nears n / 2 on photos with no
    grouping: 25 varied photos had come out as 12 clusters, mostly pairs, 13 as 6; now 3 and 4, and
    `benchmarks/compare_photos.py`'s figures the same, its mixed sets' groups together 0.75 → 0.78)."""
    return max(2, n // 4 if n >= JOINED_FROM else n // 3 if n >= 12 else n // 2)


def choose_k(x: np.ndarray, seed: int = 0, most: int = MAX_K) -> tuple[int, dict[int, float]]:
    """The documented criterion (module docstring), k at most `most`: (k, {k: silhouette})."""
    if len(x) < 3:
        return 1, {}
    scores = _silhouettes(_sample(x, seed), seed, most)
    if not scores or max(scores.values()) < MIN_SILHOUETTE:
        return 1, scores
    return max(scores, key=lambda k: (scores[k], -k)), scores


def principal_components(x: np.ndarray, dims: int = PCA_DIMS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(N, D) vectors → (N, dims) unit vectors of their coordinates along the set's `dims` principal
    components (found on a sample of `SILHOUETTE_SAMPLE`), and the spread (standard deviation) along each."""
    sample = _sample(x, seed)
    mean = sample.mean(axis=0)
    _, singular, basis = np.linalg.svd(sample - mean, full_matrices=False)  # basis: (r, D), r ≤ m
    dims = min(dims, len(basis))
    y = np.concatenate([(x[s : s + _BLOCK] - mean) @ basis[:dims].T for s in range(0, len(x), _BLOCK)])
    return _unit(y), (singular[:dims] / np.sqrt(len(sample))).astype(np.float32)


def choose_k_by_gap(
    y: np.ndarray, spread: np.ndarray, seed: int = 0, most: int = MAX_K
) -> tuple[int, dict[int, float]]:
    """The principal-components criterion (module docstring): (k, {k: silhouette above the null's}), k at
    most `most`."""
    sample = _sample(y, seed)
    real = _silhouettes(sample, seed, most)
    rng = np.random.default_rng(seed)
    null = dict.fromkeys(real, 0.0)
    for _ in range(_NULL_DRAWS):
        draw = _unit(rng.standard_normal(sample.shape).astype(np.float32) * spread)
        for k, score in _silhouettes(draw, seed, most).items():
            null[k] += score / _NULL_DRAWS
    gaps = {k: round(real[k] - null[k], 4) for k in real}
    if not gaps or max(gaps.values()) < MIN_GAP:
        return 1, gaps
    return max(gaps, key=lambda k: (gaps[k], -k)), gaps


def cluster_vectors(
    x: np.ndarray,
    k: int | None = None,
    *,
    seed: int = 0,
    stands_for: np.ndarray | None = None,
    shown: np.ndarray | None = None,
) -> Clustering:
    """Cluster unit vectors (N, D): k given, or chosen by `choose_k`.

    `stands_for` (N,): the image each one is a copy of (its near-duplicate group's keeper), or itself.
    Copies are clustered as the image they copy: five copies of one photo had made a cluster of their own
    and changed the number of clusters (a folder of 30 varied photos was 1 cluster, with 5 copies 16),
    and a photo's copy, at distance 0, had kept it from the outliers.

    `shown` (N, V): what each image shows, as unit vectors (or zero rows), where known: a set of
    `JOINED_FROM` to `PCA_FROM` images that the vectors alone do not split is looked at again in both,
    each vector joined to its own (`joined`; module docstring). The distances, and so the outliers, stay
    the vectors' own."""
    if stands_for is not None and (stands_for != np.arange(len(x))).any():
        kept = np.unique(stands_for)
        inner = cluster_vectors(x[kept], k, seed=seed, shown=None if shown is None else shown[kept])
        return _as_copies(inner, stands_for)
    x = np.ascontiguousarray(x, dtype=np.float32)
    n = len(x)
    scores: dict[int, float] = {}
    gaps: dict[int, float] = {}
    space, principal, with_shown = x, 0, False  # where the clusters are found
    if k is None:
        k, scores = choose_k(x, seed, most=_most_clusters(n))
        if k == 1 and shown is not None and JOINED_FROM <= n < PCA_FROM:  # too few for the null: and shown
            both = joined(x, shown)
            k_both, both_scores = choose_k(both, seed, most=n // JOINED_GROUP)
            if k_both > 1:
                k, scores, space, with_shown = k_both, both_scores, both, True
        elif k == 1 and n >= PCA_FROM:  # a large set with no grouping in the full vectors: its main themes
            y, spread = principal_components(x, PCA_DIMS, seed)
            k_gap, gaps = choose_k_by_gap(y, spread, seed, most=max(2, n // JOINED_GROUP))
            if k_gap > 1:
                k, space, principal = k_gap, y, y.shape[1]
    k = max(1, min(k, n))
    centroids = _kmeans(space, k, seed) if k > 1 else _unit(space.mean(axis=0, keepdims=True))
    labels = np.empty(n, np.int64)
    best = np.empty(n, np.float32)
    for start in range(0, n, _BLOCK):
        sims = space[start : start + _BLOCK] @ centroids.T  # (b, k)
        labels[start : start + _BLOCK] = sims.argmax(axis=1)
        best[start : start + _BLOCK] = sims.max(axis=1)
    counts = np.bincount(labels, minlength=k)
    representatives = [_representative(labels, best, c) for c in range(k)]
    if n <= KNN_MAX:
        distances = _distance_to_neighbours(x)
    else:  # to the centroids in the vectors' own space, wherever the clusters were found
        distances = _distance_to_clusters(x, centroids if space is x else _means(x, labels, k), counts)
    return Clustering(
        k, labels, centroids, representatives, distances, _outliers(distances), scores, principal, gaps,
        with_shown,
    )  # fmt: skip


def _as_copies(inner: Clustering, stands_for: np.ndarray) -> Clustering:
    """The clustering of the distinct images (`np.unique(stands_for)`, in order) spread to every image:
    a copy takes the cluster, the distance and the outlier's mark of the image it copies."""
    kept = np.unique(stands_for)
    row = np.searchsorted(kept, stands_for)  # (N,) each image's row among the distinct ones
    copies = {int(k): [int(i) for i in np.flatnonzero(stands_for == k) if i != k] for k in kept}
    return Clustering(
        inner.k,
        inner.labels[row],
        inner.centroids,
        [int(kept[r]) if r >= 0 else -1 for r in inner.representatives],
        inner.distances[row],
        [i for o in inner.outliers for i in (int(kept[o]), *copies[int(kept[o])])],  # a copy of one is one
        inner.silhouettes,
        inner.principal,
        inner.gaps,
        inner.with_shown,
    )


def joined(x: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """(N, D) unit vectors and (N, V) unit (or zero) vectors of what each image shows → (N, D + V) unit
    vectors where both weigh alike: the space a set's clusters are found in (`cluster_vectors`)."""
    return _unit(np.concatenate([x, np.asarray(shown, np.float32)], axis=1))


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def _means(x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """(k, D) unit mean of each cluster's vectors, in blocks (memory linear in N)."""
    sums = np.zeros((k, x.shape[1]), np.float32)
    for start in range(0, len(x), _BLOCK):
        onehot = np.eye(k, dtype=np.float32)[labels[start : start + _BLOCK]]  # (b, k)
        sums += onehot.T @ x[start : start + _BLOCK]
    return _unit(sums)


def _representative(labels: np.ndarray, best: np.ndarray, c: int) -> int:
    members = np.flatnonzero(labels == c)
    return int(members[best[members].argmax()]) if len(members) else -1


def _distance_to_clusters(x: np.ndarray, centroids: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cosine distance of each image to the nearest centroid of a cluster of two or more."""
    real = centroids[counts >= 2] if (counts >= 2).any() else centroids
    out = np.empty(len(x), np.float32)
    for start in range(0, len(x), _BLOCK):
        out[start : start + _BLOCK] = 1.0 - (x[start : start + _BLOCK] @ real.T).max(axis=1)
    return out


def _distance_to_neighbours(x: np.ndarray) -> np.ndarray:
    """Mean cosine distance of each image to its `NEIGHBOURS` nearest other images (exact search)."""
    n = len(x)
    if n < 2:
        return np.zeros(n, np.float32)
    k = min(NEIGHBOURS, n - 1)
    index = faiss.IndexFlatIP(x.shape[1])
    index.add(x)
    sims, ids = index.search(x, k + 1)  # (N, k + 1): each image finds itself (or an exact copy) first
    own = ids == np.arange(n)[:, None]
    others = np.where(own.any(axis=1, keepdims=True), ~own, np.arange(k + 1) < k)  # drop self, else the last
    near = sims[others].reshape(n, k)
    return np.clip(1.0 - near.mean(axis=1), 0.0, 2.0).astype(np.float32)


def _outliers(distances: np.ndarray) -> list[int]:
    if len(distances) < 5:
        return []
    median = float(np.median(distances))
    spread = 1.4826 * float(np.median(np.abs(distances - median)))
    cut = max(median + OUTLIER_Z * spread, median + OUTLIER_MARGIN)
    found = np.flatnonzero(distances > cut)
    return [int(i) for i in found[np.argsort(-distances[found])]]
