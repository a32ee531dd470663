"""Keep each space's FAISS file in step with SQLite: catch up, rebuild when the layout or size calls for it.

The chosen layout lives in the `faiss` meta entry: per space, the preset, the factory string, the search
parameters, the Recall@10 measured against exact search at build time, the build time and the size.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import numpy as np

from multicap.errors import IndexLockedError
from multicap.index.layout import LayoutRules, choose_layout
from multicap.index.location import write_lock
from multicap.index.store import SPACES, IndexStore
from multicap.index.vectors import VectorIndex, build_index, exact_top_k, load_index, save_index, tune_index

__all__ = ["faiss_path", "open_vectors", "sync_vectors"]

_RECALL_QUERIES = 200  # stored vectors used as queries to measure recall at build time
_MAX_TOMBSTONES = 0.2  # rebuild when this fraction of the file's vectors has been deleted


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
        dim = _dim(store, space)
        if dim is None:
            faiss_path(root, space).unlink(missing_ok=True)
            info.pop(space, None)
            continue
        n = store.count()
        wanted = factory or info.get(space, {}).get("user_factory")
        preset, chosen = ("user", wanted) if wanted else choose_layout(n, dim, rules)
        old = info.get(space)
        fresh = rebuild or old is None or old["factory_wanted"] != chosen
        vi = None if fresh or old is None else _load(root, space, old, dim)
        if vi is not None and _tombstones(store, space, vi) > _MAX_TOMBSTONES * max(vi.ntotal, 1):
            vi = None
        if vi is None:
            vi = _build(store, space, chosen, dim)
        elif not _catch_up(store, space, vi):
            continue  # nothing new: the file stands
        save_index(vi, faiss_path(root, space))
        info[space] = {
            **vi.describe(),
            "preset": preset,
            "factory_wanted": chosen,
            "user_factory": wanted,
            "bytes": faiss_path(root, space).stat().st_size,
            "dim": dim,
        }
    store.set_meta(faiss=info)
    return info


def open_vectors(root: Path, store: IndexStore, space: str) -> VectorIndex | None:
    """The space's index for searching, caught up with SQLite; rebuilt from SQLite when the file is
    missing or unreadable (and saved when no writer holds the index). None when the space is empty."""
    dim = _dim(store, space)
    if dim is None:
        return None
    old = store.get_meta("faiss", {}).get(space)
    vi = _load(root, space, old, dim) if old else None
    if vi is not None:
        _catch_up(store, space, vi)
        return vi
    _, chosen = choose_layout(store.count(), dim)
    vi = _build(store, space, old["factory_wanted"] if old else chosen, dim)
    with contextlib.suppress(IndexLockedError), write_lock(root):
        save_index(vi, faiss_path(root, space))
    return vi


def _dim(store: IndexStore, space: str) -> int | None:
    """The dimension of the space's vectors (one row read), or None when no live row has one."""
    row = store.db.execute(
        f"SELECT length({space}_vec) / 4 FROM images WHERE deleted = 0 AND {space}_vec IS NOT NULL LIMIT 1"
    ).fetchone()
    return None if row is None else int(row[0])


def _load(root: Path, space: str, old: dict[str, Any], dim: int) -> VectorIndex | None:
    vi = load_index(faiss_path(root, space), dim, old["factory"], old.get("params", {}))
    if vi is not None:
        vi.recall_at_10, vi.build_seconds = old.get("recall_at_10"), old.get("build_seconds")
    return vi


def _build(store: IndexStore, space: str, factory: str, dim: int) -> VectorIndex:
    vi = build_index(lambda: store.iter_vectors(space), factory, dim)
    if vi.factory == "Flat":
        vi.recall_at_10 = 1.0  # exact by construction
        return vi
    ids, vecs = _all(store, space)
    rows = np.random.default_rng(0).choice(len(ids), min(_RECALL_QUERIES, len(ids)), replace=False)
    queries = vecs[np.sort(rows)]
    tune_index(vi, queries, exact_top_k(ids, vecs, queries, 10))
    return vi


def _all(store: IndexStore, space: str) -> tuple[np.ndarray, np.ndarray]:
    parts = list(store.iter_vectors(space))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


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
