"""An IVF index built in shards: trained once on a sample, each shard added to its own copy of the trained
index (anywhere: a Ray task, this process), the shards' inverted lists merged into one.

The training is `multicap.index.vectors.build_index`'s (the same reservoir sample, size and k-means
iterations), so a sharded build puts every vector in the same list with the same code as a build in one
process, and searches alike. The building process holds the trained index, the merged codes (SQ8: one
byte a dimension, a quarter of the floats) and the shards in flight; never every vector.

The merge does not use `IndexIDMap2.merge_from`: faiss merges the inner IVF there without moving the
other shard's internal ids (0..n-1 again), so half the hits came back with the wrong id. The inner lists
are merged with the ids shifted by the rows already merged, and the id map is the shards' maps end to end.

Above `_ONDISK_BYTES` of lists the merge goes to disk instead: each filled shard is spooled to a scratch
file as it arrives and mapped (faiss's `IO_FLAG_MMAP`: its lists stay in the file), and the shards' lists are
written list by list into one list file beside the index file (`multicap.index.mapped_lists.write_lists`),
which the index then maps (`MappedLists`): the building process holds the trained index, the id map (8 bytes a
vector) and one shard in flight, never the codes. The list file is checksummed, recorded and checked with
the index file (`multicap.index.sync`). The file and its search are those of the in-memory merge: the same
lists, in the same order, with the same ids.

`sharded_sync` builds each space's file this way when the layout calls for IVF and the file must be built
afresh, records it as `multicap.index.sync` does, and leaves the rest (catch-up, checks) to `sync_vectors`.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from multicap.index.layout import LayoutRules, choose_layout
from multicap.index.mapped_lists import MappedLists, map_lists, write_lists
from multicap.index.store import SPACES, IndexStore
from multicap.index.sync import faiss_path, save_recorded, sync_vectors, tune_on_stored
from multicap.index.vectors import VectorIndex, trained_index

__all__ = ["ShardMap", "build_ivf_sharded", "fill_shard", "sharded_sync"]

_MIN_TRAIN = 2_000  # fewer vectors: build_index falls back to exact search, and so does sync_vectors
_SHARD_ROWS = 100_000  # vectors per shard: 500 MB of 1,280-d floats in flight per worker
_ONDISK_BYTES = 2 << 30  # lists (codes and ids) above 2 GB (1.6M SQ8 vectors of 1,280-d) are merged into a
#                          mapped list file, not in memory: the builder and each searcher hold only pages

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
    lists_beside: Path | None = None,
) -> VectorIndex:
    """Build an IVF index of `factory` from `(ids, vectors)` chunks (read twice: a sample, then shards of
    `shard_rows`), each shard filled by `map_shards` (default: here, one after another). With
    `lists_beside` (the index file it will be saved as), the lists are merged into a list file next to it
    and mapped, never held in memory."""
    start = time.perf_counter()
    inner, got = trained_index(chunks, factory, dim)  # trained as build_index trains: the same lists
    trained = faiss.serialize_index(inner).tobytes()
    blobs = (map_shards or _local_map)(fill_shard, trained, _shards(chunks(), shard_rows))
    if lists_beside is not None and "IVF" in got:  # (too few vectors to train on: an exact index)
        index, mapped = _merge_on_disk(trained, blobs, lists_beside)
    else:
        index, mapped = _merge_in_memory(trained, blobs), None
    return VectorIndex(index, factory, {}, build_seconds=time.perf_counter() - start, mapped=mapped)


def _merge_in_memory(trained: bytes, blobs: Iterable[bytes]) -> Any:
    """The shards' lists merged into the first shard's index, in memory."""
    merged: Any = None
    ids: list[np.ndarray] = []
    for blob in blobs:
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
    return merged


def _merge_on_disk(trained: bytes, blobs: Iterable[bytes], beside: Path) -> tuple[Any, MappedLists]:
    """The shards' lists written into one list file beside `beside`, through scratch list files (one a
    shard, mapped: the shard itself, with its copy of the coarse quantizer, is dropped), then mapped."""
    scratch = beside.with_name(beside.name + ".shards")  # left by a killed build: nothing in it is kept
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    index = faiss.IndexIDMap2(faiss.deserialize_index(np.frombuffer(trained, np.uint8)))
    ivf = faiss.extract_index_ivf(index.index)
    parts: list[tuple[Any, int]] = [(faiss.ArrayInvertedLists(ivf.nlist, ivf.code_size), 0)]  # (no shard)
    ids: list[np.ndarray] = []
    merged = 0
    try:
        for i, blob in enumerate(blobs):
            part: Any = faiss.deserialize_index(np.frombuffer(blob, np.uint8))  # an IndexIDMap2
            lists = faiss.extract_index_ivf(part.index).invlists
            path, _, sizes = write_lists([(lists, 0)], scratch / f"{i:06d}.faiss")
            parts.append((map_lists(path, ivf.nlist, ivf.code_size, sizes), merged))  # ids after those before
            ids.append(faiss.vector_to_array(part.id_map).astype(np.int64))
            merged += len(ids[-1])
        mapped = MappedLists.attach(ivf, *write_lists(parts, beside))
    finally:
        parts.clear()  # unmaps the scratch files before they go
        shutil.rmtree(scratch, ignore_errors=True)
    faiss.copy_array_to_vector(np.concatenate(ids) if ids else np.zeros(0, np.int64), index.id_map)
    index.index.ntotal = ivf.ntotal = index.ntotal = merged
    index.construct_rev_map()
    return index, mapped


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
    ondisk_bytes: int = _ONDISK_BYTES,
) -> dict[str, Any]:
    """`sync_vectors`, with each space that needs an IVF file built afresh built in shards first (the
    caller holds the writer lock), its lists in a mapped list file when they would take more than
    `ondisk_bytes`. Returns the `faiss` meta entry."""
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

        path = faiss_path(root, space)
        ondisk = n * (_code_size(chosen, dim) + 8) > ondisk_bytes  # (8: an id)
        vi = build_ivf_sharded(
            chunks,
            chosen,
            dim,
            shard_rows=shard_rows,
            map_shards=map_shards,
            lists_beside=path if ondisk else None,
        )
        tune_on_stored(store, space, vi)
        # recorded as multicap.index.sync records a file it built: the next sync checks and catches it up
        info[space] = save_recorded(vi, path, preset, chosen, wanted, dim)
        store.set_meta(faiss=info)
    return sync_vectors(root, store, factory=factory, rules=rules)


def _code_size(factory: str, dim: int) -> int:
    """Bytes a vector takes in the lists of an IVF index of `factory` (untrained: nothing allocated)."""
    index = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)  # (held: the IVF is a part of it)
    return int(faiss.extract_index_ivf(index).code_size)
