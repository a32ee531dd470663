"""An IVF index built in shards (trained once, each shard filled on its own, the lists merged) searches as
the one-process build does, keeps Recall@10 ≥ 0.95 against exact search, and is recorded so that the next
`sync_vectors` trusts and catches it up. Real FAISS over a real SQLite store of clustered vectors."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from multicap.index.layout import LayoutRules, choose_layout
from multicap.index.store import ImageRecord, IndexStore
from multicap.index.sync import faiss_path, sync_vectors
from multicap.index.vectors import build_index, exact_top_k, measure_recall
from multicap.scale.ivf import build_ivf_sharded, sharded_sync

N, DIM = 6_000, 64
RULES = LayoutRules(exact_below=2_000)  # IVF from 2,000 vectors instead of 20,000: a test-sized collection


def _clustered(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, DIM)).astype(np.float32)
    x = centres[rng.integers(0, 40, n)] + 0.35 * rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _fill(store: IndexStore, vectors: np.ndarray, start: int = 0) -> None:
    records = [
        ImageRecord(f"/photos/{start + i:05d}.png", 1, 1, f"h{start + i}", vectors={"image": v})
        for i, v in enumerate(vectors)
    ]
    for s in range(0, len(records), 1000):
        store.add(records[s : s + 1000])


@pytest.fixture
def store(tmp_path: Path):
    with IndexStore(tmp_path / "meta.sqlite") as s:
        _fill(s, _clustered(N))
        yield s


def test_sharded_build_searches_as_the_one_process_build(store: IndexStore) -> None:
    factory = choose_layout(N, DIM, RULES)[1]
    assert factory.startswith("IVF")
    one = build_index(lambda: store.iter_vectors("image"), factory, DIM)
    calls: list[int] = []

    def count_shards(fill, trained, shards):
        for ids, vectors in shards:
            calls.append(len(ids))
            yield fill(trained, ids, vectors)

    sharded = build_ivf_sharded(
        lambda: store.iter_vectors("image"), factory, DIM, shard_rows=2_000, map_shards=count_shards
    )
    assert len(calls) == 3 and sum(calls) == N  # three shards, every vector once
    assert sharded.ntotal == N and sorted(sharded.ids()) == sorted(one.ids())
    queries = _clustered(200, seed=1)
    for vi in (one, sharded):
        faiss.extract_index_ivf(vi.index.index).nprobe = 8
    s1, i1 = one.search(queries, 10)
    s2, i2 = sharded.search(queries, 10)
    np.testing.assert_array_equal(i1, i2)  # the same lists and codes: the same answers
    np.testing.assert_allclose(s1, s2)
    truth = exact_top_k(store.iter_vectors("image"), queries, 10)
    assert measure_recall(sharded, queries, truth) == measure_recall(one, queries, truth)


def test_sharded_sync_is_tuned_recorded_and_caught_up(store: IndexStore, tmp_path: Path) -> None:
    info = sharded_sync(tmp_path, store, rules=RULES, shard_rows=2_500)
    image = info["image"]
    assert image["factory"].startswith("IVF") and image["ntotal"] == N
    assert image["recall_at_10"] >= 0.95  # tuned against exact search on stored vectors
    written = faiss_path(tmp_path, "image").read_bytes()

    # the next writer trusts the file (checksum and ids agree with SQLite) and only adds the new rows
    _fill(store, _clustered(300, seed=2), start=N)
    again = sync_vectors(tmp_path, store, rules=RULES)
    assert again["image"]["ntotal"] == N + 300 and again["image"]["factory"] == image["factory"]
    assert again["image"]["build_seconds"] == image["build_seconds"]  # caught up, not built again
    assert faiss_path(tmp_path, "image").read_bytes() != written
    assert sharded_sync(tmp_path, store, rules=RULES)["image"]["sha256"] == again["image"]["sha256"]
