"""`FlatScan`: the same top k as the flat FAISS index's own search, bit for bit, ties and all, by either
first look (the columns of a sparse query, the half-precision copy of a dense one). Real FAISS."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from multicap.index.flat_scan import FlatScan
from multicap.index.vectors import VectorIndex


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _index(rows: np.ndarray, ids: np.ndarray, factory: str = "Flat") -> VectorIndex:
    index = faiss.IndexIDMap2(faiss.index_factory(rows.shape[1], factory, faiss.METRIC_INNER_PRODUCT))
    index.add_with_ids(rows, ids)
    return VectorIndex(index, factory, {})


@pytest.fixture(scope="module")
def clustered() -> tuple[VectorIndex, np.ndarray]:
    """3,000 rows near 6 centres (many close scores), with exact copies (ties) and ids with gaps."""
    rng = np.random.default_rng(0)
    centres = _unit(rng.normal(size=(6, 96)))
    rows = _unit(centres[rng.integers(6, size=3000)] + rng.normal(0, 0.05, (3000, 96)))
    rows[2000:2050] = rows[:50]  # the same vectors twice: equal scores, FAISS orders them its way
    rows[2100:2300, 40:] = 0.0  # rows with few dimensions used
    ids = np.arange(3000, dtype=np.int64) * 3 + 7
    return _index(rows, ids), rows


def _queries(rows: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    dense = [rows[0], rows[2000], rows[7] * 3.0, *_unit(rng.normal(size=(4, 96)))]
    sparse = []
    for used in (1, 3, 12):  # at most 1/8 of 96 dimensions: the column look
        for _ in range(3):
            q = np.zeros(96, np.float32)
            q[rng.choice(96, used, replace=False)] = rng.random(used)
            sparse.append(q)
    copy = rows[5].copy()
    copy[10:] = 0.0  # a stored row cut to its first dimensions: many near-equal scores
    return [*dense, *sparse, copy, np.abs(rng.normal(size=96)).astype(np.float32)]


def test_every_top_k_equals_the_flat_search(clustered: tuple[VectorIndex, np.ndarray]) -> None:
    vi, rows = clustered
    scan = FlatScan.of(vi)
    assert scan is not None
    rng = np.random.default_rng(1)
    for q in _queries(rows, rng):
        for k in (1, 2, 10, 100, 700, 2999, 3000, 5000):
            want_scores, want_ids = vi.search(q[None, :], k)
            scores, ids = scan.search(q[None, :], k)
            assert np.array_equal(scores, want_scores) and np.array_equal(ids, want_ids), k


def test_only_large_exact_inner_product_indexes_get_a_scan() -> None:
    rng = np.random.default_rng(2)
    rows = _unit(rng.normal(size=(2500, 32)))
    ids = np.arange(2500, dtype=np.int64)
    assert FlatScan.of(_index(rows, ids)) is not None
    assert FlatScan.of(_index(rows[:500], ids[:500])) is None  # a scan of 500 rows is cheap already
    assert FlatScan.of(_index(rows, ids, "HNSW8,Flat")) is None  # approximate: searched as it is
