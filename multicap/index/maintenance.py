"""`index_info` (what `multicap index --info` shows), `rebuild_vectors` (FAISS files from SQLite),
`forget_paths` (what `multicap index --forget` drops) and `older_descriptions` (what `multicap search`
notes of an index that an older multicap described).

Neither loads a model (nor torch): the model side is `multicap.index.models` (`model_for_index`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from multicap.errors import DataError
from multicap.facts.versions import current_said_by, release
from multicap.index.layout import LayoutRules
from multicap.index.location import DB_NAME, given_as, no_index, write_lock
from multicap.index.schema import SCHEMA_VERSION, check_intact, schema_version
from multicap.index.store import IndexStore
from multicap.index.sync import check_vectors, drop_vectors, sync_vectors
from multicap.index.vectors import check_factory

__all__ = ["forget_paths", "index_info", "older_descriptions", "rebuild_vectors"]


def index_info(root: Path, *, check_files: bool = False) -> dict[str, Any]:
    """The index's location, schema, model identity, image counts and FAISS layouts (with measured recall);
    with `check_files`, what is wrong with each FAISS file now (`check_vectors`: it reads them whole), after
    SQLite's check of the database (IndexDamagedError where it finds damage)."""
    db = root / DB_NAME
    if not db.is_file():
        raise DataError(no_index(root))
    with IndexStore(db) as store:
        if check_files:  # (every page read: not for each of a server's /api/info requests)
            check_intact(store.db, db)
        return {
            "index": str(root),
            "schema": schema_version(store.db),
            "schema_supported": SCHEMA_VERSION,
            "images": store.count(),
            "deleted": store.count(deleted=True),
            "described_by": store.said_by_counts(),  # describer version → live images it described
            "identity": store.get_meta("identity"),
            "faiss": store.get_meta("faiss", {}),
            "bytes": sum(p.stat().st_size for p in root.iterdir() if p.is_file()),
        } | ({"faiss_problems": _problems(root, store)} if check_files else {})


def _problems(root: Path, store: IndexStore) -> dict[str, str]:
    return {space: why for space, why in check_vectors(root, store).items() if why}


def older_descriptions(root: Path) -> str | None:
    """One line when some of the index's images were described by an older version of its built-in model's
    describer than this multicap's (as counted by the last `multicap index` run; counted here, once, for an
    index that no run of this multicap has written), else None."""
    db = root / DB_NAME
    if not db.is_file():
        return None
    with IndexStore(db) as store:
        model = (store.get_meta("identity") or {}).get("model", "")
        current = current_said_by(str(model))
        if current is None:
            return None
        counts: dict[str, int] = store.get_meta("described_by") or store.said_by_counts()
    older = sum(n for version, n in counts.items() if release(version) != current)
    if not older:
        return None
    return (
        f"{older} of {sum(counts.values())} images in {root} were described by an older multicap: "
        f"`multicap index FOLDER --index {given_as(root)}` describes a folder's images again"
    )


def rebuild_vectors(
    root: Path, *, factory: str | None = None, rules: LayoutRules | None = None
) -> dict[str, Any]:
    """Rebuild every FAISS file from the vectors in SQLite (layout chosen again unless `factory`).

    Raises:
        IndexLockedError: another process is writing this index.
    """
    db = root / DB_NAME
    if not db.is_file():
        raise DataError(no_index(root))
    check_factory(factory)
    with write_lock(root), IndexStore(db) as store:
        return sync_vectors(root, store, factory=factory, rules=rules, rebuild=True)


def forget_paths(root: Path, paths: list[Path]) -> dict[str, Any]:
    """Delete every image recorded under `paths` (files, or folders and all below them), whether they
    exist now or not: a folder moved away or a drive gone for good. `multicap index` itself keeps the
    images of a folder that is missing or empty now (a drive not mounted), so they had stayed for ever.
    Their rows go for good, retired ones too (paths, vectors, facts, texts; `IndexStore.purge` overwrites
    them on disk): they had only been marked deleted, which a user forgetting a folder for privacy or
    space does not expect.

    Returns:
        {"index", "forgotten": live images deleted, "purged": rows deleted (retired ones too), "by_path":
        {path: live images under it}, "total": live images left, "faiss": the layout}.

    Raises:
        DataError: no index at `root`.
        IndexLockedError: another process is writing this index.
    """
    db = root / DB_NAME
    if not db.is_file():
        raise DataError(f"no index at {root}; nothing to forget")
    with write_lock(root), IndexStore(db) as store:
        tops = {str(p): sorted(_spellings(p)) for p in paths}
        rows = store.rows_under([t for spelled in tops.values() for t in spelled])
        by_path = {
            p: sum(live and any(_within(f, t) for t in spelled) for _, f, live in rows)
            for p, spelled in tops.items()
        }
        forgotten = store.retire(sorted({f for _, f, live in rows if live}))
        sync_vectors(root, store)  # the files agree with SQLite, the forgotten rows retired; then their
        ids = [image_id for image_id, _, _ in rows]  # vectors leave the files, and the rows go
        left = drop_vectors(root, store, ids)
        purged = store.purge(ids)
        faiss = sync_vectors(root, store, rebuild=True) if left else store.get_meta("faiss", {})
        store.set_meta(described_by=store.said_by_counts())  # as `index_paths` keeps it, for search's note
        return {"index": str(root), "forgotten": forgotten, "purged": purged, "by_path": by_path,
                "total": store.count(), "faiss": faiss}  # fmt: skip


def _spellings(path: Path) -> set[str]:
    """The absolute forms a recorded file under `path` may start with (as given, and through its links)."""
    return {os.path.abspath(path), str(Path(path).resolve())}


def _within(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)
