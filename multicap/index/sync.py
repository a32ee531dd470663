"""Keep each space's FAISS file in step with SQLite: catch up, rebuild when the layout or size calls for it.

The chosen layout lives in the `faiss` meta entry: per space, the preset, the factory string, the search
parameters, the Recall@10 measured against exact search at build time, the build time, the size and the
SHA-256 of the file written.

A file is trusted only when it agrees with SQLite (`_verified`): its bytes (and those of its list file,
when its inverted lists live in one: `multicap.index.mapped_lists.MappedLists`) have the checksums recorded
when they were written, it holds no id twice, every id it holds is a row of SQLite with a vector, and every
live row up to its largest id is in it. Anything else (damage, a file from elsewhere, a missing file) and
it is rebuilt from SQLite, with a one-line note. The writer saves the rebuilt file; a reader never takes
the writer lock: it rebuilds in memory for its own search and leaves the saving to the next writer.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from multicap.errors import DataError
from multicap.index.layout import LayoutRules, choose_layout
from multicap.index.store import SPACES, IndexStore
from multicap.index.vectors import (
    VectorIndex,
    build_index,
    exact_top_k,
    file_checksum,
    load_index,
    sample_vectors,
    save_index,
    tune_index,
)

__all__ = ["check_vectors", "faiss_path", "open_vectors", "sync_vectors"]

_RECALL_QUERIES = 200  # stored vectors used as queries to measure recall at build time
_MAX_TOMBSTONES = 0.2  # rebuild when this fraction of the file's vectors has been deleted
_RECHECKS = (0.05, 0.15)  # a reader that finds a file and its checksum apart looks again after these many
#                           seconds: a writer renames its new file and records its checksum a moment apart
_READER_REBUILD_BYTES = 1 << 30  # a search rebuilds a damaged file in memory up to this many bytes of
#                                  vectors (200,000 of 1,280 dims, a few seconds); beyond, it says to rebuild
_MISSING = "missing"
_CHANGED = "its bytes differ from the checksum recorded when it was written"
_LISTS_CHANGED = "its inverted-list file is missing or differs from the checksum recorded when it was written"

_log = logging.getLogger(__name__)


def faiss_path(root: Path, space: str) -> Path:
    return root / f"{space}.faiss"


def sync_vectors(
    root: Path,
    store: IndexStore,
    *,
    factory: str | None = None,
    rules: LayoutRules | None = None,
    rebuild: bool = False,
) -> dict[str, Any]:
    """Bring every space's FAISS file up to date with SQLite (the caller holds the writer lock).

    Returns the `faiss` meta entry written.
    """
    info: dict[str, Any] = dict(store.get_meta("faiss", {}))
    for space in SPACES:
        dim = store.vector_dim(space)
        if dim is None:
            faiss_path(root, space).unlink(missing_ok=True)
            info.pop(space, None)
            continue
        n = store.count()
        wanted = factory or info.get(space, {}).get("user_factory")
        preset, chosen = ("user", wanted) if wanted else choose_layout(n, dim, rules)
        old = info.get(space)
        fresh = rebuild or old is None or old["factory_wanted"] != chosen
        vi = None
        if not fresh and old is not None:
            vi, problem = _verified(root, store, space, old, dim)
            if problem is not None:
                note = "%s: %s; rebuilding it from %s"
                _log.warning(note, faiss_path(root, space), problem, store.path.name)
        if vi is not None and _tombstones(store, space, vi) > _MAX_TOMBSTONES * max(vi.ntotal, 1):
            vi = None
        if vi is None:
            vi = _build(store, space, chosen, dim)
        elif not _catch_up(store, space, vi):
            continue  # nothing new: the file stands, and so does its checksum
        info[space] = save_recorded(vi, faiss_path(root, space), preset, chosen, wanted, dim)
        store.set_meta(faiss=info)  # at once: readers compare the file they find with this checksum
    store.set_meta(faiss=info)
    return info


def drop_vectors(root: Path, store: IndexStore, ids: list[int]) -> list[str]:
    """Take the vectors of `ids` (retired rows about to be purged: `forget_paths`) out of each FAISS file
    that agrees with SQLite now, and save it (the caller holds the writer lock): once their rows were
    gone, a file still holding them had been judged broken at every search until a rebuild. Returns the
    spaces whose file could not be changed so (missing, not flat, or its lists mapped from a file of their
    own): a `sync_vectors(rebuild=True)` after the purge rebuilds those."""
    info: dict[str, Any] = dict(store.get_meta("faiss", {}))
    gone = np.asarray(sorted(ids), dtype=np.int64)
    left: list[str] = []
    for space, old in list(info.items()):
        dim = store.vector_dim(space)
        vi = None if dim is None else _verified(root, store, space, old, dim)[0]
        if vi is None or dim is None or vi.mapped is not None or not _flat(vi):
            left.append(space)
            continue
        vi.index.remove_ids(faiss.IDSelectorBatch(gone))
        path, chosen, wanted = faiss_path(root, space), old["factory_wanted"], old.get("user_factory")
        info[space] = save_recorded(vi, path, old["preset"], chosen, wanted, dim)
        store.set_meta(faiss=info)  # at once: readers compare the file they find with this checksum
    return left


def _flat(vi: VectorIndex) -> bool:
    """Whether the index inside the id map is a flat one, whose `remove_ids` shifts the positions the id
    map's compaction expects (an IVF keeps its lists' ids: every hit after a removal named another image,
    a review found; HNSW cannot remove at all)."""
    return isinstance(faiss.downcast_index(vi.index.index), faiss.IndexFlat)


def open_vectors(root: Path, store: IndexStore, space: str) -> VectorIndex | None:
    """The space's index for searching, caught up with SQLite. A file that is missing or does not agree
    with SQLite is rebuilt from SQLite in memory as an exact (Flat) index, with a one-line note; it is
    never saved here (a reader takes no lock: the next writer saves it). None when the space is empty.

    Raises:
        DataError: the file needs rebuilding and holds more vectors than a search should rebuild.
    """
    dim = store.vector_dim(space)
    if dim is None:
        return None
    old = store.get_meta("faiss", {}).get(space)
    vi, problem = _verified(root, store, space, old, dim) if old else (None, "not written yet")
    for pause in _RECHECKS if old else ():
        if problem not in (_MISSING, _CHANGED) and not (problem or "").startswith(_LISTS_CHANGED):
            break
        time.sleep(pause)  # a writer may be between renaming its file and recording its checksum
        again = store.get_meta("faiss", {}).get(space)
        if again is None:
            break
        old = again
        vi, problem = _verified(root, store, space, old, dim)
    if vi is not None:
        _catch_up(store, space, vi)
        return vi
    n = store.count()
    if n * dim * 4 > _READER_REBUILD_BYTES:
        raise DataError(
            f"{faiss_path(root, space)}: {problem}; its {n:,} vectors are too many to rebuild for every "
            f"search: run `multicap index --rebuild --index {root}` once"
        )
    saves = (  # a file never written: an `index` run holds the lock, or was stopped before writing it
        "the next `multicap index` run writes it"
        if old is None
        else f"`multicap index --rebuild --index {root}` saves the file"
    )
    _log.warning(
        "%s: %s; searching an exact copy rebuilt from %s in memory (%s)",
        faiss_path(root, space), problem, store.path.name, saves,
    )  # fmt: skip
    return _build(store, space, "Flat", dim)  # exact: no training, nothing to tune


def check_vectors(root: Path, store: IndexStore) -> dict[str, str | None]:
    """Each recorded space → what is wrong with its FAISS file now (missing, its bytes changed, ids that
    disagree with SQLite's rows), or None where it agrees: what a search would find (`multicap index
    --info` had repeated the layout recorded at the last write over a missing or emptied file)."""
    out: dict[str, str | None] = {}
    for space, old in store.get_meta("faiss", {}).items():
        dim = store.vector_dim(space)
        out[space] = None if dim is None else _verified(root, store, space, old, dim)[1]
    return out


def _verified(
    root: Path, store: IndexStore, space: str, old: dict[str, Any], dim: int
) -> tuple[VectorIndex | None, str | None]:
    """(the space's file, None) when it agrees with SQLite; else (None, what is wrong, in a few words)."""
    path = faiss_path(root, space)
    if not path.is_file():
        return None, _MISSING
    checksum, lists = old.get("sha256"), old.get("lists")
    vi = load_index(
        path, dim, old["factory"], old.get("params", {}), checksum, lists, old.get("lists_sha256")
    )
    if vi is None:
        if lists and checksum and file_checksum(path) == checksum:  # (a second read, on failure only)
            return None, f"{_LISTS_CHANGED} ({path.with_name(lists)})"
        return None, _CHANGED if checksum else "unreadable"
    if checksum is None:  # written before checksums were recorded: its bytes cannot be vouched for
        return None, "no checksum recorded for it (written by an older multicap)"
    problem = _disagreement(store, space, vi.ids())
    if problem is not None:
        return None, problem
    vi.recall_at_10, vi.build_seconds = old.get("recall_at_10"), old.get("build_seconds")
    return vi, None


def _disagreement(store: IndexStore, space: str, ids: np.ndarray) -> str | None:
    """How the ids a file holds disagree with SQLite's rows, or None. The live ids come from the index of
    live paths (a million in about 0.3 s, no row read); only the ids where file and live rows differ (the
    deleted rows it still holds, usually few) are looked up one by one."""
    unique = np.unique(ids)
    if len(unique) != len(ids):
        return f"it holds {len(ids) - len(unique)} id(s) twice"
    top = int(unique[-1]) if len(unique) else 0
    rows = store.db.execute("SELECT id FROM images WHERE deleted = 0").fetchall()  # (an id bound: a row scan)
    live = np.sort(np.array(rows, dtype=np.int64).reshape(-1))
    live = live[live <= top]
    absent = store.sound_vectors(space, np.setdiff1d(live, unique, assume_unique=True))
    if absent:
        return f"it lacks {absent} live image(s) of {store.path.name}"
    extra = np.setdiff1d(unique, live, assume_unique=True)  # deleted since, or strays
    stray = len(extra) - store.sound_vectors(space, extra)
    if stray:
        return f"it holds {stray} id(s) that {store.path.name} has no vector for"
    return None


def _build(store: IndexStore, space: str, factory: str, dim: int) -> VectorIndex:
    """Build, then tune on stored vectors as queries; the vectors are read in chunks, a pass at a time
    (a sample to train on, every chunk to add, every chunk again for the exact answers to tune against)."""
    vi = build_index(lambda: store.iter_vectors(space), factory, dim)
    if vi.factory == "Flat":
        vi.recall_at_10 = 1.0  # exact by construction
        return vi
    tune_on_stored(store, space, vi)
    return vi


def tune_on_stored(store: IndexStore, space: str, vi: VectorIndex) -> None:
    """Raise the search setting of a built index until it finds the exact top 10 of 200 stored vectors."""
    _, _, queries = sample_vectors(store.iter_vectors(space), _RECALL_QUERIES)
    tune_index(vi, queries, exact_top_k(store.iter_vectors(space), queries, 10))


def save_recorded(
    vi: VectorIndex, path: Path, preset: str, chosen: str, wanted: str | None, dim: int
) -> dict[str, Any]:
    """Save a built file (whole, then renamed) and return its record for the `faiss` meta entry: its
    layout, what was asked for, its size and the SHA-256 readers check it against (and its list file's,
    from `vi.describe()`, when its lists are mapped)."""
    digest = save_index(vi, path)
    return {
        **vi.describe(),
        "preset": preset,
        "factory_wanted": chosen,
        "user_factory": wanted,
        "bytes": path.stat().st_size,
        "dim": dim,
        "sha256": digest,
    }


def _catch_up(store: IndexStore, space: str, vi: VectorIndex) -> bool:
    """Add the live rows past the file's largest id; True when any was added."""
    added = False
    for ids, vecs in store.iter_vectors(space, after_id=vi.max_id()):
        vi.add(ids, vecs)
        added = True
    return added


def _tombstones(store: IndexStore, space: str, vi: VectorIndex) -> int:
    """Vectors in the file whose rows are no longer live."""
    live = store.db.execute(
        f"SELECT COUNT(*) FROM images WHERE deleted = 0 AND id <= ? AND {space}_vec IS NOT NULL",
        (vi.max_id(),),
    )
    return vi.ntotal - int(live.fetchone()[0])
