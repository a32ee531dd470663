"""Datasets: caption readers, feature caches, and the synthetic scenes generator.

The feature cache needs torch; its names load on first use so that the caption readers (and the
scenes generator) stay quick to import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from multicap.data.corpus import Corpus, CorpusImage, load_corpus

if TYPE_CHECKING:
    from multicap.data.feature_cache import BuildReport, FeatureDataset, FeatureStore

__all__ = ["BuildReport", "Corpus", "CorpusImage", "FeatureDataset", "FeatureStore", "load_corpus"]

_LAZY = {
    "BuildReport": "multicap.data.feature_cache",
    "FeatureDataset": "multicap.data.feature_cache",
    "FeatureStore": "multicap.data.feature_cache",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
