"""Retrieval metrics: Recall@K, median rank and mAP, for text->image and image->image search.

Definitions (per query, then averaged over the queries that have at least one relevant item):

- the gallery is ranked by decreasing similarity; ties keep gallery order (a stable sort), so a constant
  similarity ranks the gallery as given;
- rank: the 1-based position of the first relevant item (infinite when a ranked list misses them all);
- Recall@K: the fraction of queries whose first relevant item is within the top K;
- median rank: the median of those ranks;
- AP: the mean, over the query's relevant items, of the precision at each one's position (a relevant
  item that a ranked list never returns contributes 0); mAP is the mean AP.

For image->image search on a square similarity matrix, `exclude_self=True` takes each query out of its own
gallery, so an image does not find itself.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from multicap.errors import DataError

__all__ = ["RetrievalScores", "retrieval_from_lists", "retrieval_scores"]


@dataclass(frozen=True)
class RetrievalScores:
    recall_at: dict[int, float]  # K -> Recall@K
    median_rank: float  # of the first relevant item, 1-based
    mean_average_precision: float
    n_queries: int  # queries scored (those with at least one relevant item)
    n_skipped: int = 0  # queries with no relevant item at all

    def to_dict(self) -> dict[str, float | int]:
        out: dict[str, float | int] = {f"R@{k}": v for k, v in sorted(self.recall_at.items())}
        out.update(
            median_rank=self.median_rank,
            mAP=self.mean_average_precision,
            n_queries=self.n_queries,
            n_skipped=self.n_skipped,
        )
        return out


def retrieval_scores(
    similarity: np.ndarray,
    relevant: np.ndarray,
    ks: Sequence[int] = (1, 5, 10),
    exclude_self: bool = False,
) -> RetrievalScores:
    """Scores of ranking each query's gallery by similarity.

    Args:
        similarity: (Q, G) query-gallery similarities (higher is closer).
        relevant: (Q, G) booleans, True where the gallery item is a right answer for the query.
        ks: the K of Recall@K.
        exclude_self: for a square matrix of a set against itself: drop each item from its own gallery.

    Raises:
        DataError: shapes differ, or no query has a relevant item.
    """
    sim = np.asarray(similarity, dtype=np.float64)
    rel = np.asarray(relevant, dtype=bool)
    if sim.ndim != 2 or sim.shape != rel.shape:
        raise DataError(f"similarity {sim.shape} and relevance {rel.shape} must be matrices of one shape")
    if exclude_self:
        if sim.shape[0] != sim.shape[1]:
            raise DataError(f"exclude_self needs a square similarity matrix, got {sim.shape}")
        sim = sim.copy()
        rel = rel.copy()
        np.fill_diagonal(sim, -np.inf)  # ranked last ...
        np.fill_diagonal(rel, False)  # ... and never an answer
    order = np.argsort(-sim, axis=1, kind="stable")  # (Q, G) gallery indices, best first
    hits = np.take_along_axis(rel, order, axis=1)  # (Q, G) relevance in ranked order
    return _scores_from_hits(hits, rel.sum(axis=1), ks)


def retrieval_from_lists(
    ranked: Sequence[Sequence[Hashable]],
    relevant: Sequence[Collection[Hashable]],
    ks: Sequence[int] = (1, 5, 10),
) -> RetrievalScores:
    """Scores of ranked result lists (best first), one per query, against each query's relevant items."""
    if len(ranked) != len(relevant):
        raise DataError(f"{len(ranked)} ranked lists for {len(relevant)} relevance sets; give one per query")
    width = max((len(r) for r in ranked), default=0)
    hits = np.zeros((len(ranked), width), dtype=bool)
    for q, (items, answers) in enumerate(zip(ranked, relevant, strict=True)):
        hits[q, : len(items)] = [item in answers for item in items]
    n_relevant = np.array([len(set(a)) for a in relevant], dtype=np.int64)
    return _scores_from_hits(hits, n_relevant, ks)


def _scores_from_hits(hits: np.ndarray, n_relevant: np.ndarray, ks: Sequence[int]) -> RetrievalScores:
    """Metrics from (Q, L) relevance in ranked order and each query's number of relevant items."""
    keep = n_relevant > 0
    if not keep.any():
        raise DataError("no query has a relevant item: check the relevance labels")
    hits, n_rel = hits[keep], n_relevant[keep]
    found = hits.any(axis=1)
    first = np.where(found, hits.argmax(axis=1) + 1, np.inf)  # 1-based rank of the first hit
    positions = np.arange(1, hits.shape[1] + 1)  # (L,)
    precision_at = np.cumsum(hits, axis=1) / positions  # (Q, L)
    average_precision = (precision_at * hits).sum(axis=1) / n_rel
    return RetrievalScores(
        recall_at={int(k): float(np.mean(first <= k)) for k in ks},
        median_rank=float(np.median(first)),
        mean_average_precision=float(average_precision.mean()),
        n_queries=int(keep.sum()),
        n_skipped=int((~keep).sum()),
    )
