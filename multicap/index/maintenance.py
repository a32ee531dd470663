"""`index_info` (what `multicap index --info` shows) and `rebuild_vectors` (FAISS files from SQLite)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from multicap.errors import DataError
from multicap.index.layout import LayoutRules
from multicap.index.location import DB_NAME, write_lock
from multicap.index.models import DEFAULT_MODEL, IndexModel, open_model
from multicap.index.schema import SCHEMA_VERSION, schema_version
from multicap.index.store import IndexStore
from multicap.index.sync import sync_vectors

__all__ = ["index_info", "model_for_index", "rebuild_vectors"]


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


def model_for_index(
    root: Path,
    name: str | None = None,
    *,
    encoder: str | None = None,
    levels: Sequence[str] | None = None,
    device: str | None = None,
) -> IndexModel:
    """The model to index with: `name` when given, else the one the index at `root` was built with, else
    the default (grounded)."""
    if name is None and (root / DB_NAME).is_file():
        with IndexStore(root / DB_NAME) as store:
            identity = store.get_meta("identity")
        if identity is not None:
            name, encoder = identity["model"], encoder or identity.get("encoder")
    return open_model(name or DEFAULT_MODEL, encoder=encoder, levels=levels, device=device)
