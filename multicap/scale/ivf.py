"""An IVF index built in shards: trained once on a sample, each shard added to its own copy of the trained
index (anywhere: a Ray task, this process), the shards' inverted lists merged into one.

The training is `multicap.index.vectors.build_index`'s (the same reservoir sample, size and k-means
iterations), so a sharded build puts every vector in the same list with the same code as a build in one
process, and searches alike. The building process holds the trained index, the merged codes (SQ8: one
byte a dimension, a quarter of the floats) and the shards in flight; never every vector.

The merge does not use `IndexIDMap2.merge_from`: faiss merges the inner IVF there without moving the
other shard's internal ids (0..n-1 again), so half the hits came back with the wrong id. The inner lists
are merged with the ids shifted by the rows already merged, and the id map is the shards' maps end to end.

`sharded_sync` builds each space's file this way when the layout calls for IVF and the file must be built
afresh, records it as `multicap.index.sync` does, and leaves the rest (catch-up, checks) to `sync_vectors`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from multicap.index.layout import LayoutRules, choose_layout
from multicap.index.store import SPACES, IndexStore
from multicap.index.sync import faiss_path, save_recorded, sync_vectors, tune_on_stored
from multicap.index.vectors import VectorIndex, trained_index

__all__ = ["ShardMap", "build_ivf_sharded", "fill_shard", "sharded_sync"]

_MIN_TRAIN = 2_000  # fewer vectors: build_index falls back to exact search, and so does sync_vectors
_SHARD_ROWS = 100_000  # vectors per shard: 500 MB of 1,280-d floats in flight per worker

# fill(trained index bytes, shards of (ids, vectors)) -> each shard's filled index bytes, in order
ShardMap = Callable[[Callable[[bytes, np.ndarray, np.ndarray], bytes], bytes, Iterable[Any]], Iterator[bytes]]


def fill_shard(trained: bytes | np.ndarray, ids: np.ndarray, vectors: np.ndarray) -> bytes:
    """One shard: the trained (empty) index with these vectors added, serialized (an `IndexIDMap2`)."""
    index = faiss.IndexIDMap2(faiss.deserialize_index(np.frombuffer(trained, np.uint8)))
    index.add_with_ids(np.ascontiguousarray(vectors, np.float32), ids.astype(np.int64))
    return faiss.serialize_index(index).tobytes()


def _local_map(
    fill: Callable[[bytes, np.ndarray, np.ndarray], bytes], trained: bytes, shards: Iterable[Any]
) -> Iterator[bytes]:
    for ids, vectors in shards:
        yield fill(trained, ids, vectors)


def build_ivf_sharded(
    chunks: Callable[[], Iterator[tuple[np.ndarray, np.ndarray]]],
    factory: str,
    dim: int,
    *,
    shard_rows: int = _SHARD_ROWS,
    map_shards: ShardMap | None = None,
) -> VectorIndex:
    """Build an IVF index of `factory` from `(ids, vectors)` chunks (read twice: a sample, then shards of
    `shard_rows`), each shard filled by `map_shards` (default: here, one after another)."""
    start = time.perf_counter()
    inner, _ = trained_index(chunks, factory, dim)  # trained as build_index trains: the same lists
    trained = faiss.serialize_index(inner).tobytes()
    merged: Any = None
    ids: list[np.ndarray] = []
    for blob in (map_shards or _local_map)(fill_shard, trained, _shards(chunks(), shard_rows)):
        part: Any = faiss.deserialize_index(np.frombuffer(blob, np.uint8))  # an IndexIDMap2
        ids.append(faiss.vector_to_array(part.id_map).astype(np.int64))
        if merged is None:
            merged = part
        else:
            merged.index.merge_from(part.index, merged.index.ntotal)  # its ids follow the rows merged so far
    if merged is None:
        merged = faiss.IndexIDMap2(faiss.deserialize_index(np.frombuffer(trained, np.uint8)))
    elif len(ids) > 1:
        faiss.copy_array_to_vector(np.concatenate(ids), merged.id_map)
        merged.ntotal = merged.index.ntotal
        merged.construct_rev_map()
    out = VectorIndex(merged, factory, {})
    out.build_seconds = time.perf_counter() - start
    return out


def _shards(
    chunks: Iterable[tuple[np.ndarray, np.ndarray]], rows: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Chunks regrouped into shards of `rows` vectors (the last may be smaller)."""
    held_ids: list[np.ndarray] = []
    held: list[np.ndarray] = []
    count = 0
    for ids, vectors in chunks:
        held_ids.append(ids)
        held.append(vectors)
        count += len(ids)
        while count >= rows:
            all_ids, all_vectors = np.concatenate(held_ids), np.concatenate(held)
            yield all_ids[:rows], all_vectors[:rows]
            held_ids, held, count = [all_ids[rows:]], [all_vectors[rows:]], count - rows
    if count:
        yield np.concatenate(held_ids), np.concatenate(held)


def sharded_sync(
    root: Path,
    store: IndexStore,
    *,
    factory: str | None = None,
    rules: LayoutRules | None = None,
    shard_rows: int = _SHARD_ROWS,
    map_shards: ShardMap | None = None,
) -> dict[str, Any]:
    """`sync_vectors`, with each space that needs an IVF file built afresh built in shards first (the
    caller holds the writer lock). Returns the `faiss` meta entry."""
    info: dict[str, Any] = dict(store.get_meta("faiss", {}))
    for space in SPACES:
        first = next(store.iter_vectors(space), None)
        if first is None:
            continue
        dim, n = int(first[1].shape[1]), store.count()
        wanted = factory or info.get(space, {}).get("user_factory")
        preset, chosen = ("user", wanted) if wanted else choose_layout(n, dim, rules)
        old = info.get(space)
        if n < _MIN_TRAIN or "IVF" not in chosen or (old is not None and old.get("factory_wanted") == chosen):
            continue  # exact search, or a file that only needs catching up: sync_vectors does it

        def chunks(space: str = space) -> Iterator[tuple[np.ndarray, np.ndarray]]:
            return store.iter_vectors(space)

        vi = build_ivf_sharded(chunks, chosen, dim, shard_rows=shard_rows, map_shards=map_shards)
        tune_on_stored(store, space, vi)
        # recorded as multicap.index.sync records a file it built: the next sync checks and catches it up
        info[space] = save_recorded(vi, faiss_path(root, space), preset, chosen, wanted, dim)
        store.set_meta(faiss=info)
    return sync_vectors(root, store, factory=factory, rules=rules)
