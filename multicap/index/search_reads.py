"""Where one search reads the index (its FAISS files, SQLite's facts, vectors and texts), and the nearest
neighbours in one space (`multicap.index.search`, `multicap.index.image_search`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from multicap.index.store import IndexStore
from multicap.index.sync import open_vectors

__all__ = ["Direct", "Reads", "dense"]


class Reads(Protocol):
    """Where one search reads the index: a `SearchCache`'s `CachedReads`, or `Direct`."""

    @property
    def root(self) -> Path: ...

    @property
    def store(self) -> IndexStore: ...

    def faiss(self, space: str) -> Any: ...

    def search(self, space: str, vi: Any, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def facts_of(self, ids: list[int]) -> dict[int, dict[str, Any]]: ...

    def vectors_of(self, space: str, ids: list[int]) -> dict[int, np.ndarray]: ...

    def texts_of(self, ids: list[int]) -> dict[int, dict[str, str]]: ...


@dataclass(frozen=True)
class Direct:
    """The reads of a search without a cache: from the files and SQLite, every time."""

    root: Path
    store: IndexStore

    def faiss(self, space: str) -> Any:
        return open_vectors(self.root, self.store, space)

    def search(self, space: str, vi: Any, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return vi.search(queries, k)

    def facts_of(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        return self.store.facts_of(ids)

    def vectors_of(self, space: str, ids: list[int]) -> dict[int, np.ndarray]:
        return self.store.vectors_of(space, ids)

    def texts_of(self, ids: list[int]) -> dict[int, dict[str, str]]:
        return {i: self.store.texts(i) for i in ids}


def dense(reads: Reads, space: str, vec: np.ndarray, depth: int) -> list[tuple[int, float]]:
    """(id, similarity) of the live nearest neighbours in one space, best first (at most `depth`)."""
    store = reads.store
    vi = reads.faiss(space)
    if vi is None or vi.ntotal == 0 or vec.shape[-1] != vi.index.d:
        return []
    fetch = depth
    while True:  # fetch more when deleted rows crowd the top
        scores, ids = reads.search(space, vi, vec[None, :], fetch)  # (1, fetch) each
        pairs = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
        live = store.live(i for i, _ in pairs)
        kept = [(i, s) for i, s in pairs if i in live]
        if len(kept) >= depth or fetch >= vi.ntotal:
            return kept[:depth]
        fetch = min(vi.ntotal, fetch * 4)
