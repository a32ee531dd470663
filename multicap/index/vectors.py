"""FAISS files of an index: built from the vectors in SQLite, ids = SQLite row ids (`IndexIDMap2`).

A file is only ever replaced whole (written beside, flushed, renamed), and the SHA-256 of its bytes is
recorded in SQLite beside its layout (`multicap.index.sync`): a file is read only when its bytes still have
that checksum, so damage anywhere in it (vectors, id map, header) is found before FAISS parses it. It may
lag SQLite — a build killed before it saved, rows added since — and it is caught up on load: the ids it
holds are read back from the id map, and the live rows past its largest id are added. Rows deleted since
are filtered out at search.

A large IVF file may keep its inverted lists in a file of their own beside it, mapped read-only
(`multicap.index.mapped_lists`), recorded and checked as the index file is.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from multicap.errors import ConfigError
from multicap.index.mapped_lists import LISTS_SUFFIX, MappedLists, stream_sha256
from multicap.io.paths import removed_on_failure

__all__ = [
    "VectorIndex",
    "build_index",
    "check_factory",
    "exact_top_k",
    "file_checksum",
    "load_index",
    "measure_recall",
    "sample_vectors",
    "save_index",
    "trained_index",
    "tune_index",
]

_MIN_TRAIN = 2_000  # below this many vectors a trained index is not worth training: exact search instead
_TRAIN_SAMPLE = 40  # vectors per inverted list used to train the coarse quantizer (FAISS asks ≥ 39)
_KMEANS_ITERATIONS = 10  # of the coarse quantizer's k-means (FAISS's default is 25; 10 is near converged)
_RECALL_TARGET = 0.96  # tuned on a few hundred queries: the margin keeps unseen queries above 0.95
_NPROBE_LADDER = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)
_EF_LADDER = (16, 32, 64, 128, 256, 512)


@dataclass
class VectorIndex:
    """A loaded FAISS index with what is known about it."""

    index: Any  # a faiss.IndexIDMap2 around the chosen type
    factory: str  # the FAISS factory string of the inner index
    params: dict[str, int]  # search-time parameters (nprobe, efSearch)
    recall_at_10: float | None = None  # measured against exact search when it was built
    build_seconds: float | None = None
    mapped: MappedLists | None = None  # its inverted lists when they live in a file of their own, mapped

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def max_id(self) -> int:
        if self.index.ntotal == 0:
            return 0
        return int(self.ids().max())

    def ids(self) -> np.ndarray:
        """The ids it holds (its id map), (ntotal,) int64."""
        return faiss.vector_to_array(self.index.id_map).astype(np.int64, copy=False)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if self.mapped is not None:
            self.mapped.add(self.index, ids, vectors)
        else:
            self.index.add_with_ids(np.ascontiguousarray(vectors, np.float32), ids.astype(np.int64))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores (Q, k), ids (Q, k)); id -1 where fewer than k were found."""
        k = max(1, min(k, self.ntotal))
        scores, ids = self.index.search(np.ascontiguousarray(queries, np.float32), k)
        return scores, ids

    def describe(self) -> dict[str, Any]:
        info = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("index", "mapped")}
        info["params"] = dict(self.params)
        info["ntotal"] = self.ntotal
        if self.mapped is not None:  # recorded beside the index file's own checksum, checked alike
            info["lists"], info["lists_sha256"] = self.mapped.path.name, self.mapped.sha256
            info["lists_bytes"] = self.mapped.bytes
        return info


def build_index(
    chunks: Callable[[], Iterator[tuple[np.ndarray, np.ndarray]]], factory: str, dim: int
) -> VectorIndex:
    """Build an index from `(ids, vectors)` chunks, never holding them all: a type that needs training
    reads them twice, once for a uniform sample to train on and once to add each chunk in turn."""
    start = time.perf_counter()
    inner, factory = trained_index(chunks, factory, dim)
    index = faiss.IndexIDMap2(inner)
    for ids, vecs in chunks():
        index.add_with_ids(np.ascontiguousarray(vecs, np.float32), ids.astype(np.int64))
    out = VectorIndex(index, factory, {})
    out.build_seconds = time.perf_counter() - start
    return out


def check_factory(factory: str | None) -> None:
    """Raise ConfigError where FAISS cannot read `factory` ("IVF256,SQ8" reads; "Bogus" does not), before
    an index run spends its time encoding. Parsed for 1,024 dimensions, which every multicap space's
    factories divide; a factory the space's own size does not fit still fails where it is built."""
    if factory is None:
        return
    try:
        faiss.index_factory(1024, factory, faiss.METRIC_INNER_PRODUCT)
    except RuntimeError as exc:
        if "could not parse" not in str(exc):
            return
        raise ConfigError(
            f"--factory {factory!r} is no FAISS index factory string (e.g. Flat, HNSW32, IVF256,SQ8)"
        ) from None


def trained_index(
    chunks: Callable[[], Iterator[tuple[np.ndarray, np.ndarray]]], factory: str, dim: int
) -> tuple[Any, str]:
    """An empty index of `factory`, trained where the type needs it on a uniform sample of the chunks
    (`_TRAIN_SAMPLE` vectors per inverted list, at least 10,000; `_KMEANS_ITERATIONS`), and the factory
    it is: "Flat" (exact) when there are fewer than `_MIN_TRAIN` vectors to train on."""
    inner = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
    if inner.is_trained:
        return inner, factory
    nlist = 256
    if "IVF" in factory:
        ivf = faiss.extract_index_ivf(inner)
        nlist, ivf.cp.niter = ivf.nlist, _KMEANS_ITERATIONS
    count, _, sample = sample_vectors(chunks(), max(nlist * _TRAIN_SAMPLE, 10_000))
    if count < _MIN_TRAIN:
        return faiss.index_factory(dim, "Flat", faiss.METRIC_INNER_PRODUCT), "Flat"
    inner.train(sample)
    return inner, factory


def sample_vectors(
    chunks: Iterable[tuple[np.ndarray, np.ndarray]], n: int, seed: int = 0
) -> tuple[int, np.ndarray, np.ndarray]:
    """A uniform sample of at most `n` rows from chunks read once (reservoir sampling, Vitter's algorithm
    R, a chunk at a time): (rows seen, sample ids (m,), sample vectors (m, D)). Memory: the sample and one
    chunk."""
    rng = np.random.default_rng(seed)
    seen = 0
    ids = np.zeros(0, np.int64)
    vecs = np.zeros((0, 0), np.float32)
    for chunk_ids, chunk in chunks:
        m = len(chunk_ids)
        if m == 0:
            continue
        if seen == 0:
            ids, vecs = np.zeros(n, np.int64), np.zeros((n, chunk.shape[1]), np.float32)
        fill = max(0, min(m, n - seen))  # rows that go straight in while the reservoir fills
        ids[seen : seen + fill], vecs[seen : seen + fill] = chunk_ids[:fill], chunk[:fill]
        # Row t (0-based, over all chunks) replaces a random slot j < n when j drawn from 0..t falls there;
        # a later row drawing the same slot overwrites an earlier one, as the sequential algorithm does.
        t = np.arange(seen + fill, seen + m)
        slots = rng.integers(0, t + 1) if len(t) else t
        hit = slots < n
        ids[slots[hit]], vecs[slots[hit]] = chunk_ids[fill:][hit], chunk[fill:][hit]
        seen += m
    kept = min(seen, n)
    return seen, ids[:kept], np.ascontiguousarray(vecs[:kept])


def tune_index(vi: VectorIndex, sample: np.ndarray, truth: np.ndarray, k: int = 10) -> None:
    """Raise the search parameter (nprobe / efSearch) until Recall@k against exact search reaches the
    target (or the ladder ends), and record the recall measured."""
    name, ladder = _search_knob(vi)
    if name is None:
        vi.recall_at_10 = measure_recall(vi, sample, truth, k)
        return
    for value in ladder:
        _set_param(vi, name, value)
        vi.recall_at_10 = measure_recall(vi, sample, truth, k)
        if vi.recall_at_10 >= _RECALL_TARGET:
            break


def measure_recall(vi: VectorIndex, queries: np.ndarray, truth: np.ndarray, k: int = 10) -> float:
    """Mean fraction of the exact top-k ids (truth, (Q, k)) that the index returns in its top k."""
    if len(queries) == 0:
        return 1.0
    _, found = vi.search(queries, k)
    hits = [
        len(set(f[f >= 0]) & set(t[t >= 0])) / max(1, int((t >= 0).sum()))
        for f, t in zip(found, truth, strict=True)
    ]
    return float(np.mean(hits))


def exact_top_k(chunks: Iterable[tuple[np.ndarray, np.ndarray]], queries: np.ndarray, k: int) -> np.ndarray:
    """(Q, k) ids of the exact inner-product top k over `(ids, vectors)` chunks read once (in blocks, so
    a million rows never need to be in memory together)."""
    best_s = np.full((len(queries), 0), -np.inf, np.float32)
    best_i = np.zeros((len(queries), 0), np.int64)
    for chunk_ids, chunk in chunks:
        for start in range(0, len(chunk), 65_536):
            s = queries @ chunk[start : start + 65_536].T  # (Q, block)
            block_ids = np.broadcast_to(chunk_ids[start : start + 65_536], s.shape)
            if s.shape[1] > k:  # the block's own top k first (linear time), then merge with the best so far
                part = np.argpartition(-s, k, axis=1)[:, :k]
                s, block_ids = np.take_along_axis(s, part, 1), np.take_along_axis(block_ids, part, 1)
            cat_s, cat_i = np.concatenate([best_s, s], axis=1), np.concatenate([best_i, block_ids], axis=1)
            top = np.argsort(-cat_s, axis=1, kind="stable")[:, :k]
            best_s, best_i = np.take_along_axis(cat_s, top, 1), np.take_along_axis(cat_i, top, 1)
    return best_i


def save_index(vi: VectorIndex, path: Path) -> str:
    """Write the index whole beside `path`, flush it, then rename it over `path`; returns the SHA-256 of
    the bytes written, to be recorded where readers will check it. An index with mapped lists has them
    written first (`MappedLists.settle`: `vi.describe()` then gives their file and checksum); list files
    of `path` that it no longer names are removed (a reader still mapping one keeps its pages)."""
    if os.path.lexists(path) and not path.is_file():  # a folder had failed in os.replace, a .tmp left
        raise ConfigError(f"{path} is not a file: move it away and run `multicap index` again")
    with removed_on_failure(path.with_name(path.name + ".tmp")) as tmp:
        if vi.mapped is not None:
            vi.mapped.settle(path)
            vi.mapped.write_header(vi.index, tmp)
        else:  # through a Python file: faiss's own open takes a path as UTF-8, which a name with an
            # undecodable byte is not (every `index` run into such a folder had failed in write_index)
            with tmp.open("wb") as out:
                writer = faiss.PyCallbackIOWriter(out.write)  # type: ignore[attr-defined]
                faiss.write_index(vi.index, writer)
                del writer  # flushed to `out` before it closes
        with tmp.open("rb") as f:
            digest = stream_sha256(f)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    for old in path.parent.glob(f"{path.stem}.*{LISTS_SUFFIX}"):
        if vi.mapped is None or old != vi.mapped.path:
            old.unlink(missing_ok=True)
    return digest


def file_checksum(path: Path) -> str | None:
    """The SHA-256 of a file's bytes, or None when it cannot be read."""
    try:
        with path.open("rb") as f:
            return stream_sha256(f)
    except OSError:
        return None


def load_index(
    path: Path,
    dim: int,
    factory: str,
    params: dict[str, int],
    checksum: str | None = None,
    lists: str | None = None,
    lists_checksum: str | None = None,
) -> VectorIndex | None:
    """The index in `path`, or None when it is missing, unreadable, of another dimension, or (with
    `checksum`) when its bytes are not the ones recorded. The bytes checked are the bytes parsed: the file
    is hashed and read through one open handle, so a writer renaming a new file over it meanwhile does not
    mix two files. With `lists`, its inverted lists are mapped from that file beside it, which must hold
    `lists_checksum`'s bytes (`MappedLists.adopt`)."""
    try:
        with path.open("rb") as f:
            if checksum is not None and stream_sha256(f) != checksum:
                return None
            f.seek(0)  # then parse the very bytes hashed (of its concrete type: never downcast it again)
            flags = faiss.IO_FLAG_SKIP_IVF_DATA if lists else 0  # the lists are mapped below, checked
            index = faiss.read_index(faiss.PyCallbackIOReader(f.read), flags)  # type: ignore[attr-defined]
        if not isinstance(index, faiss.IndexIDMap2) or index.d != dim:
            return None
        mapped = None
        if lists:
            ivf = faiss.extract_index_ivf(index.index)
            mapped = MappedLists.adopt(ivf, path.with_name(lists), lists_checksum)
            if mapped is None:
                return None
    except (OSError, RuntimeError, MemoryError, ValueError):
        return None
    vi = VectorIndex(index, factory, {}, mapped=mapped)
    for name, value in params.items():
        _set_param(vi, name, value)
    return vi


# ---------------------------------------------------------------------------------------------- private
def _search_knob(vi: VectorIndex) -> tuple[str | None, tuple[int, ...]]:
    inner = faiss.downcast_index(vi.index.index)
    if isinstance(inner, faiss.IndexHNSW):
        return "efSearch", _EF_LADDER
    if "IVF" in vi.factory:
        nlist = faiss.extract_index_ivf(inner).nlist
        return "nprobe", tuple(p for p in _NPROBE_LADDER if p <= nlist) or (nlist,)
    return None, ()


def _set_param(vi: VectorIndex, name: str, value: int) -> None:
    inner = faiss.downcast_index(vi.index.index)
    if name == "efSearch" and isinstance(inner, faiss.IndexHNSW):
        inner.hnsw.efSearch = int(value)
    elif name == "nprobe" and "IVF" in vi.factory:
        faiss.extract_index_ivf(inner).nprobe = int(value)
    else:
        return
    vi.params[name] = int(value)
