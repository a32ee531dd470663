"""Datasets: caption readers, feature caches, and the synthetic scenes generator.

The feature cache needs torch and the readers reach the scenes generator's formats; their names load on
first use, so that importing `multicap.data` (the index does, for feature files) stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from multicap.data.corpus import Corpus, CorpusImage

if TYPE_CHECKING:
    from multicap.data.feature_cache import BuildReport, FeatureDataset, FeatureStore
    from multicap.data.loading import load_corpus

__all__ = ["BuildReport", "Corpus", "CorpusImage", "FeatureDataset", "FeatureStore", "load_corpus"]

_LAZY = {
    "BuildReport": "multicap.data.feature_cache",
    "FeatureDataset": "multicap.data.feature_cache",
    "FeatureStore": "multicap.data.feature_cache",
    "load_corpus": "multicap.data.loading",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
