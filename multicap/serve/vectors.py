"""A search process's FAISS files, loaded once and kept while the index's checksums say they are current.

`multicap.index.search` opens each space's file for every search (`sync.open_vectors`: SHA-256 of the
whole file, parse, ids checked against SQLite): right for a command that searches once, 125 ms of each
search on a 10,000-image index in a process that answers many. `VectorCache.open_vectors` has the same
contract and calls it only when the file the index records changed (another checksum in the `faiss` meta
entry) or rows were added (a larger largest row id): a running `multicap index` is picked up by the next
search, and a cached object is never changed (a reload builds a new one), so searches under way keep a
consistent index. Deleted rows need no reload: the search filters them out against SQLite.

`install` puts it in the place the search module calls; the library has no parameter for it yet
(docs/architecture.md, the serve layer).
"""

from __future__ import annotations

import threading
from pathlib import Path

from multicap.index import search as _search
from multicap.index.store import IndexStore
from multicap.index.sync import open_vectors
from multicap.index.vectors import VectorIndex

__all__ = ["VectorCache", "install"]

_Key = tuple[str | None, int]  # (the file's recorded SHA-256, the index's largest row id)


class VectorCache:
    """Loaded FAISS indexes per (index folder, space), each with the state of the index it matches."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], tuple[_Key, VectorIndex | None]] = {}
        self._lock = threading.Lock()
        self.loads = 0  # how many times a file was (re)loaded: for tests and the info endpoint

    def open_vectors(self, root: Path, store: IndexStore, space: str) -> VectorIndex | None:
        """As `multicap.index.sync.open_vectors`, from memory while the index has not changed."""
        key = (str(root.resolve()), space)
        state = self._state(store, space)
        entry = self._entries.get(key)
        if entry is not None and entry[0] == state:
            return entry[1]
        with self._lock:  # one reload at a time; the others wait for it rather than load it again
            entry = self._entries.get(key)
            if entry is not None and entry[0] == state:
                return entry[1]
            vi = open_vectors(root, store, space)
            self._entries[key] = (state, vi)
            self.loads += 1
            return vi

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    @staticmethod
    def _state(store: IndexStore, space: str) -> _Key:
        recorded = store.get_meta("faiss", {}).get(space) or {}
        return recorded.get("sha256"), store.max_id()


def install(cache: VectorCache) -> None:
    """Make `multicap.index.search` open its FAISS files through `cache` (this process only)."""
    _search.open_vectors = cache.open_vectors
