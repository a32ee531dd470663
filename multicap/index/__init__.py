"""SQLite + FAISS index and hybrid search (docs/architecture.md, decision 6).

root = resolve_index("photos")                       # ./indexes/photos
index_paths(root, ["photos/"], open_model())          # incremental, resumable, one writer
search_index(root, "dog on beach", k=10).hits         # lexical + dense, fused
"""

from multicap.index.build import IndexReport, index_paths
from multicap.index.layout import IndexPreset, LayoutRules, choose_layout, list_presets, register_preset
from multicap.index.location import DEFAULT_INDEX, existing_index, indexes_dir, resolve_index, write_lock
from multicap.index.maintenance import index_info, model_for_index, rebuild_vectors
from multicap.index.models import (
    DEFAULT_MODEL,
    Described,
    IndexModel,
    QueryVectors,
    list_models,
    open_model,
    register_model,
)
from multicap.index.schema import SCHEMA_VERSION
from multicap.index.search import Hit, SearchResult, fts_expression, open_index_model, search_index

__all__ = [
    "DEFAULT_INDEX",
    "DEFAULT_MODEL",
    "SCHEMA_VERSION",
    "Described",
    "Hit",
    "IndexModel",
    "IndexPreset",
    "IndexReport",
    "LayoutRules",
    "QueryVectors",
    "SearchResult",
    "choose_layout",
    "existing_index",
    "fts_expression",
    "index_info",
    "index_paths",
    "indexes_dir",
    "list_models",
    "list_presets",
    "model_for_index",
    "open_index_model",
    "open_model",
    "rebuild_vectors",
    "register_model",
    "register_preset",
    "resolve_index",
    "search_index",
    "write_lock",
]
