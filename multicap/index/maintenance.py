"""`index_info` (what `multicap index --info` shows) and `rebuild_vectors` (FAISS files from SQLite).

Neither loads a model (nor torch): the model side is `multicap.index.models` (`model_for_index`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from multicap.errors import DataError
from multicap.index.layout import LayoutRules
from multicap.index.location import DB_NAME, write_lock
from multicap.index.schema import SCHEMA_VERSION, schema_version
from multicap.index.store import IndexStore
from multicap.index.sync import sync_vectors

__all__ = ["index_info", "rebuild_vectors"]


def index_info(root: Path) -> dict[str, Any]:
    """The index's location, schema, model identity, image counts and FAISS layouts (with measured recall)."""
    db = root / DB_NAME
    if not db.is_file():
        raise DataError(f"no index at {root}; build one with `multicap index PATHS --index {root}`")
    with IndexStore(db) as store:
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
        }


def rebuild_vectors(
    root: Path, *, factory: str | None = None, rules: LayoutRules | None = None
) -> dict[str, Any]:
    """Rebuild every FAISS file from the vectors in SQLite (layout chosen again unless `factory`).

    Raises:
        IndexLockedError: another process is writing this index.
    """
    db = root / DB_NAME
    if not db.is_file():
        raise DataError(f"no index at {root}; build one with `multicap index PATHS --index {root}`")
    with write_lock(root), IndexStore(db) as store:
        return sync_vectors(root, store, factory=factory, rules=rules, rebuild=True)
