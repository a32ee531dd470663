"""SQLite + FAISS index and hybrid search (docs/architecture.md, decision 6).

    from multicap.index import resolve_index, search_index
    from multicap.index.build import index_paths
    from multicap.index.models import open_model

    root = resolve_index("photos")                       # ./indexes/photos
    index_paths(root, ["photos/"], open_model())          # incremental, resumable, one writer
    search_index(root, "dog on beach", k=10).hits         # lexical + dense, fused

This package's own names load no model and no torch, so that `multicap search` answers a text query from
the index alone (`query_side`); building (`build`) and the models (`models`) are imported from their
modules by whoever needs them.
"""

from multicap.index.layout import IndexPreset, LayoutRules, choose_layout, list_presets, register_preset
from multicap.index.location import DEFAULT_INDEX, existing_index, indexes_dir, resolve_index, write_lock
from multicap.index.maintenance import forget_paths, index_info, older_descriptions, rebuild_vectors
from multicap.index.query_side import QueryVectors
from multicap.index.schema import SCHEMA_VERSION
from multicap.index.search import (
    Hit,
    SearchResult,
    fts_expression,
    nearest_only_note,
    needs_model,
    search_index,
)

__all__ = [
    "DEFAULT_INDEX",
    "SCHEMA_VERSION",
    "Hit",
    "IndexPreset",
    "LayoutRules",
    "QueryVectors",
    "SearchResult",
    "choose_layout",
    "existing_index",
    "forget_paths",
    "fts_expression",
    "index_info",
    "indexes_dir",
    "list_presets",
    "nearest_only_note",
    "needs_model",
    "older_descriptions",
    "rebuild_vectors",
    "register_preset",
    "resolve_index",
    "search_index",
    "write_lock",
]
