"""`FlatScan`: the exact top k of a flat (exact) FAISS index for less than its scan costs, with the very
same scores and ids its own search gives.

    scan = FlatScan.of(vi)                 # None unless vi is an exact inner-product index (`Flat`)
    scores, ids = scan.search(q[None], k)  # == vi.search(q[None], k), bit for bit, ties included

An exact scan of 10,000 × 1,280 float32 (51 MB) is bound by memory: about 2 ms on one core. Two cheaper
first looks find the rows that can be in the top k:

- a query with few non-zero dimensions (the caption space's, a handful of classes) is scored from those
  dimensions' columns alone (a copy of the rows stored column by column): 0.15 ms instead of 1.4;
- any other is scored on a copy in half precision (a FAISS `SQfp16` index, half the bytes), for its best
  `2k`: 1 ms instead of 2.

Either approximate score is within `|q| · bound` of the exact one (`bound`: the largest error of a row's
copy, measured when it is made, plus what float32 sums of `d` terms can lose, both FAISS's and these), so
every row of the exact top k scores, approximately, within twice that of the k-th approximate score (the
argument is in `_halved`). Those candidates, usually a few more than k, are then scored by the flat index
itself, restricted to them (`IDSelectorBitmap`): the same FAISS kernel over the same rows in the same
order, so the same numbers, in the same order among equal scores. Where more than `2k` rows are that
close, the half-precision look takes 4 times as many, and gives up (the flat search itself) past three
quarters of the rows. Checked against the flat search on the 10,000-row index of `benchmarks/serve_load.py`
(query, stored, random, sparse and duplicate vectors; k from 1 to all): no difference.
"""

from __future__ import annotations

from typing import Any

import faiss
import numpy as np

from multicap.index.vectors import VectorIndex

__all__ = ["FlatScan"]

_MIN_ROWS = 2_000  # below this an exact scan is cheap enough (under 0.5 ms) to keep as it is
_FIRST_LOOK = 2  # approximate neighbours looked at first, per neighbour asked for
_SPARSE = 8  # a query with at most 1/8 of its dimensions non-zero is scored from those dimensions alone
_UNIT_ROUNDOFF = 2.0**-24  # float32


class FlatScan:
    """An exact inner-product FAISS index with faster ways to its exact top k. Safe to share between
    threads (searches only read; a copy is made on first need, and two threads may both make it)."""

    def __init__(self, vi: VectorIndex, flat: Any) -> None:
        n, d = int(flat.ntotal), int(flat.d)
        self.vi, self.flat, self.ntotal, self.d = vi, flat, n, d
        self.rows = faiss.rev_swig_ptr(flat.get_xb(), n * d).reshape(n, d)  # (N, D) float32, FAISS's own
        self.ids = vi.ids()  # (N,) the row id at each position
        # what float32 sums of d terms can lose, both FAISS's and these, per unit of |q|
        self.rounding = 2.2 * d * _UNIT_ROUNDOFF * float(np.linalg.norm(self.rows, axis=1).max())
        self._half: tuple[Any, float] | None = None  # (SQfp16 copy, largest error of a row's copy)
        self._columns: np.ndarray | None = None  # (D, N) float32: the rows, one dimension after the other

    @classmethod
    def of(cls, vi: VectorIndex) -> FlatScan | None:
        """A scan of `vi` when it is an exact inner-product index of at least `_MIN_ROWS` finite rows."""
        flat = faiss.downcast_index(vi.index.index) if isinstance(vi.index, faiss.IndexIDMap) else None
        if not isinstance(flat, faiss.IndexFlat) or flat.metric_type != faiss.METRIC_INNER_PRODUCT:
            return None
        if flat.ntotal < _MIN_ROWS:
            return None
        scan = cls(vi, flat)
        return scan if np.isfinite(scan.rounding) else None

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """As `VectorIndex.search` of one query (`queries`: (1, D)): (scores (1, k), ids (1, k))."""
        q = np.ascontiguousarray(queries, np.float32)
        k = max(1, min(k, self.ntotal))
        norm = float(np.linalg.norm(q))
        if k < self.ntotal and np.isfinite(norm):
            used = np.flatnonzero(q[0])
            found: np.ndarray | None = None
            if len(used) * _SPARSE <= self.d:
                found = self._sparse(q[0], used, k, 2.0 * self.rounding * norm)
            else:
                found = self._halved(q, k, norm)
            if found is not None:
                return self._exact(q, found, k)
        return self.vi.search(q, k)

    def _sparse(self, q: np.ndarray, used: np.ndarray, k: int, slack: float) -> np.ndarray:
        """The positions that can be in the top k of a query with few non-zero dimensions (the caption
        space's class queries): its scores from those dimensions' columns alone, in float32."""
        if self._columns is None:
            self._columns = np.ascontiguousarray(self.rows.T)
        # (N,); einsum, not a BLAS product: OpenBLAS runs a large one on every core, and its threads then
        # spin for milliseconds (5 ms of CPU a search measured with 120 classes)
        approx = np.einsum("u,un->n", q[used], self._columns[used])
        kth = np.partition(approx, self.ntotal - k)[self.ntotal - k]
        return np.flatnonzero(approx >= kth - slack)

    def _halved(self, q: np.ndarray, k: int, norm: float) -> np.ndarray | None:
        """The positions that can be in the top k, from a scan of the half-precision copy; None where more
        than all but a quarter of the rows can be."""
        if self._half is None:
            half = faiss.IndexScalarQuantizer(
                self.d, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
            )
            half.add(self.rows)
            copy_error = float(np.linalg.norm(self.rows - half.reconstruct_n(0, self.ntotal), axis=1).max())
            self._half = (half, copy_error)
        half, copy_error = self._half
        slack = 2.0 * (copy_error + self.rounding) * norm
        look = _FIRST_LOOK * k
        while look * 4 <= self.ntotal * 3:
            approx, positions = half.search(q, look)  # (1, look) each, best first
            # Every row of the exact top k scores, approximately, at least (k-th approximate) - slack: at
            # most k - 1 rows score exactly above the exact k-th t, so the k-th approximate is at most
            # t + slack / 2, and a row of the top k scores approximately at least t - slack / 2.
            if approx[0, -1] < approx[0, k - 1] - slack:
                return positions[0][approx[0] >= approx[0, k - 1] - slack]
            look *= 4
        return None

    def _exact(self, q: np.ndarray, positions: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The flat index's own search of `q`, over the rows at `positions` only."""
        bitmap = np.zeros((self.ntotal + 7) // 8, np.uint8)
        np.bitwise_or.at(bitmap, positions >> 3, np.left_shift(1, positions & 7).astype(np.uint8))
        chosen = faiss.IDSelectorBitmap(self.ntotal, faiss.swig_ptr(bitmap))  # reads `bitmap`, kept alive
        params = faiss.SearchParameters()
        params.sel = chosen
        scores, found = self.flat.search(q, k, params=params)  # (1, k) each
        return scores, np.where(found >= 0, self.ids[np.maximum(found, 0)], -1)
