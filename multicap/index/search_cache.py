"""`SearchCache`: what a process that answers many searches keeps between them (`multicap serve`).

    cache = SearchCache()
    search_index(root, "dog on beach", cache=cache)    # loads the FAISS files, reads candidates' facts
    search_index(root, "a red car", cache=cache)       # from memory, while the index has not changed

A command that searches once needs none: `search_index` then opens each FAISS file (SHA-256 of the whole
file, parse, ids checked against SQLite: about 125 ms on a 10,000-image index) and reads the candidates'
stored facts and caption vectors (about 7 ms a search). The cache keeps all three while the index is in
the state it read them in: the same SQLite file, the same recorded checksum of every FAISS file, the same
largest row id. Any `multicap index` run that changes anything changes one of those (its FAISS files are
saved with new checksums; `--reembed` clears the rows and writes new files), so the next search finds the
state changed and reads afresh: a running `index` is picked up, and nothing stale is ever returned. Within
one state a row's facts and vectors cannot change (rows are only ever added, or marked deleted, which the
search checks in SQLite on every call). A loaded FAISS index is never modified: a reload builds another,
so searches under way keep a consistent one. Safe to share between threads.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from multicap.index.store import IndexStore
from multicap.index.sync import open_vectors
from multicap.index.vectors import VectorIndex

__all__ = ["SearchCache"]

_State = tuple[Any, ...]


class _Entry:
    """Everything read from one index in one state."""

    def __init__(self, state: _State) -> None:
        self.state = state
        self.vectors: dict[str, VectorIndex | None] = {}
        self.facts: dict[int, dict[str, Any] | None] = {}
        self.rows: dict[str, dict[int, np.ndarray | None]] = {}


class SearchCache:
    """Loaded FAISS files and candidates' stored facts and vectors, per index, per state of the index."""

    def __init__(self, max_rows: int = 200_000) -> None:
        self.max_rows = max_rows  # facts and vectors kept per index before the oldest state is dropped
        self.loads = 0  # FAISS files (re)loaded: for tests and `multicap serve`'s info
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def entry(self, root: Path, store: IndexStore) -> _Entry:
        """The entry of `root` in its current state (a fresh one when the index changed)."""
        key = str(root.resolve())
        state = _state(store)
        entry = self._entries.get(key)
        if entry is None or entry.state != state or len(entry.facts) > self.max_rows:
            entry = _Entry(state)
            with self._lock:
                self._entries[key] = entry
        return entry

    def open_vectors(self, root: Path, store: IndexStore, space: str) -> VectorIndex | None:
        """As `multicap.index.sync.open_vectors`, from memory while the index has not changed."""
        entry = self.entry(root, store)
        if space in entry.vectors:
            return entry.vectors[space]
        with self._lock:  # one load at a time; the others wait for it rather than load it again
            if space not in entry.vectors:
                entry.vectors[space] = open_vectors(root, store, space)
                self.loads += 1
            return entry.vectors[space]

    def facts_of(self, root: Path, store: IndexStore, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """As `IndexStore.facts_of`, reading only the ids not read before in this state."""
        entry = self.entry(root, store)
        missing = [i for i in ids if i not in entry.facts]
        if missing:
            found = store.facts_of(missing)
            entry.facts.update((i, found.get(i)) for i in missing)
        return {i: f for i in ids if (f := entry.facts[i]) is not None}

    def vectors_of(
        self, root: Path, store: IndexStore, space: str, ids: Sequence[int]
    ) -> dict[int, np.ndarray]:
        """As `IndexStore.vectors_of`, reading only the ids not read before in this state."""
        rows = self.entry(root, store).rows.setdefault(space, {})
        missing = [i for i in ids if i not in rows]
        if missing:
            found = store.vectors_of(space, missing)
            rows.update((i, found.get(i)) for i in missing)
        return {i: v for i in ids if (v := rows[i]) is not None}

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _state(store: IndexStore) -> _State:
    """What changes whenever an `index` run changes the index: the SQLite file itself, the checksums
    recorded for the FAISS files, the largest row id (a few indexed reads)."""
    st = os.stat(store.path)
    sums = tuple(sorted((space, str(v.get("sha256"))) for space, v in store.get_meta("faiss", {}).items()))
    return (st.st_dev, st.st_ino, sums, store.max_id())
