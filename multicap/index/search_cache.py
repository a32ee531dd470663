"""`SearchCache`: what a process that answers many searches keeps between them (`multicap serve`).

    cache = SearchCache()
    search_index(root, "dog on beach", cache=cache)    # loads the FAISS files, reads candidates' facts
    search_index(root, "a red car", cache=cache)       # from memory, while the index has not changed

A command that searches once needs none: `search_index` then opens each FAISS file (SHA-256 of the whole
file, parse, ids checked against SQLite: about 125 ms on a 10,000-image index) and reads the candidates'
stored facts and caption vectors (about 7 ms a search) and the hits' texts. The cache keeps them, and a
faster exact search of each flat FAISS file (`FlatScan`: the same answers, 1.3 ms of CPU instead of 3.3
for both spaces of 10,000 images), while the index is in the state it read them in: the same SQLite file,
the same recorded checksum of every FAISS file, the same largest row id. Any `multicap index` run that
changes anything changes one of those (its FAISS files are saved with new checksums; `--reembed` clears
the rows and writes new files), so the next search finds the state changed and reads afresh: a running
`index` is picked up, and nothing stale is ever returned. Within one state a row's facts, vectors and
texts cannot change (rows are only ever added, or marked deleted, which the search checks in SQLite on
every call). A loaded FAISS index is never modified: a reload builds another, so searches under way keep
a consistent one. Safe to share between threads. `reads` looks the state up once for a whole search.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from multicap.index.flat_scan import FlatScan
from multicap.index.store import IndexStore
from multicap.index.sync import open_vectors
from multicap.index.vectors import VectorIndex

__all__ = ["CachedReads", "SearchCache"]

_State = tuple[Any, ...]


class _Entry:
    """Everything read from one index in one state."""

    def __init__(self, state: _State) -> None:
        self.state = state
        self.vectors: dict[str, VectorIndex | None] = {}
        self.scans: dict[str, FlatScan | None] = {}  # faster exact searches of the flat FAISS files
        self.facts: dict[int, dict[str, Any] | None] = {}
        self.rows: dict[str, dict[int, np.ndarray | None]] = {}
        self.texts: dict[int, dict[str, str]] = {}


class SearchCache:
    """Loaded FAISS files and candidates' stored facts, vectors and texts, per index, per state of the
    index."""

    def __init__(self, max_rows: int = 200_000) -> None:
        self.max_rows = max_rows  # facts and vectors kept per index before the oldest state is dropped
        self.loads = 0  # FAISS files (re)loaded: for tests and `multicap serve`'s info
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._local = threading.local()  # each thread's open databases: {path: ((dev, inode), store)}

    @contextmanager
    def store(self, db: Path) -> Iterator[IndexStore]:
        """The database `db` opened for this thread, kept open between its searches (opening one costs
        0.13 ms, and a fresh connection reads every page of a search through the OS again: 0.6 ms of a
        search's CPU in all); opened again when the file at `db` is another one, and closed when a search
        fails (no statement is left half read). Statements run in autocommit, so each reads the latest
        committed state, as a new connection would."""
        held: dict[str, tuple[tuple[int, int], IndexStore]] = self._local.__dict__.setdefault("stores", {})
        st = os.stat(db)
        found = held.get(str(db))
        if found is None or found[0] != (st.st_dev, st.st_ino):
            if found is not None:
                found[1].close()
            found = ((st.st_dev, st.st_ino), IndexStore(db, create=False))  # a reader makes none
            held[str(db)] = found
        try:
            yield found[1]
        except BaseException:
            del held[str(db)]
            found[1].close()
            raise

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

    def reads(self, root: Path, store: IndexStore) -> CachedReads:
        """What one search reads, through this cache: the index's state is looked up once, here."""
        return CachedReads(self, self.entry(root, store), root, store)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class CachedReads:
    """One search's reads of one index (open in `store`) through a `SearchCache`, in the state the
    cache found it in when the search began."""

    def __init__(self, cache: SearchCache, entry: _Entry, root: Path, store: IndexStore) -> None:
        self.cache, self.entry, self.root, self.store = cache, entry, root, store

    def faiss(self, space: str) -> VectorIndex | None:
        """As `multicap.index.sync.open_vectors`, from memory while the index has not changed."""
        entry = self.entry
        if space in entry.vectors:
            return entry.vectors[space]
        with self.cache._lock:  # one load at a time; the others wait for it rather than load it again
            if space not in entry.vectors:
                vi = open_vectors(self.root, self.store, space)
                entry.scans[space] = FlatScan.of(vi) if vi is not None else None
                entry.vectors[space] = vi
                self.cache.loads += 1
            return entry.vectors[space]

    def search(
        self, space: str, vi: VectorIndex, queries: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """`vi.search(queries, k)` (`vi`: this space's `faiss`), the same answer, through its `FlatScan`
        where it is one."""
        scan = self.entry.scans.get(space)
        return (scan or vi).search(queries, k)

    def facts_of(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """As `IndexStore.facts_of`, reading only the ids not read before in this state."""
        facts = self.entry.facts
        missing = [i for i in ids if i not in facts]
        if missing:
            found = self.store.facts_of(missing)
            facts.update((i, found.get(i)) for i in missing)
        return {i: f for i in ids if (f := facts[i]) is not None}

    def vectors_of(self, space: str, ids: Sequence[int]) -> dict[int, np.ndarray]:
        """As `IndexStore.vectors_of`, reading only the ids not read before in this state."""
        rows = self.entry.rows.setdefault(space, {})
        missing = [i for i in ids if i not in rows]
        if missing:
            found = self.store.vectors_of(space, missing)
            rows.update((i, found.get(i)) for i in missing)
        return {i: v for i in ids if (v := rows[i]) is not None}

    def texts_of(self, ids: Sequence[int]) -> dict[int, dict[str, str]]:
        """id -> `IndexStore.texts`, reading only the ids not read before in this state."""
        texts = self.entry.texts
        for i in ids:
            if i not in texts:
                texts[i] = self.store.texts(i)
        return {i: texts[i] for i in ids}


def _state(store: IndexStore) -> _State:
    """What changes whenever an `index` run changes the index: the SQLite file itself, the checksums
    recorded for the FAISS files, the largest row id (a few indexed reads)."""
    st = os.stat(store.path)
    recorded = store.get_meta("faiss", {}).items()  # (a list file's checksum too, where it has one)
    sums = tuple(sorted((space, str(v.get("sha256")), str(v.get("lists_sha256"))) for space, v in recorded))
    return (st.st_dev, st.st_ino, sums, store.max_id())
