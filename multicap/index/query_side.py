"""A text query in an index's spaces, without loading its model (no torch).

For the grounded and labels models a text query needs only its meaning over the ImageNet classes
(`multicap.index.query`, WordNet) and the classifier's weight rows (the "class vectors" that put those
classes into the image space). `index` stores the rows with the index (`query.npy`, written atomically);
`search` then answers a text query from them and the stored vectors alone: `multicap search` imports
neither torch nor the encoder (about 0.3 s instead of 3 s, benchmarks/search_startup.py). A bundle's
index, or one written before the file existed, needs its model for a text query (`needs_model`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from multicap.errors import ConfigError
from multicap.index.concepts import named_classes
from multicap.index.query import Part, Understanding, Unknown, understand
from multicap.text.imagenet import imagenet_labels

__all__ = [
    "CONCEPT_MODELS",
    "QUERY_FILE",
    "ClassVectors",
    "QueryVectors",
    "StoredQueryModel",
    "concept_query",
    "save_class_vectors",
    "stored_query_model",
    "unit",
]

QUERY_FILE = "query.npy"  # (1000, D) float32: the unit class vectors of the index's encoder
CONCEPT_MODELS = ("grounded", "grounded-no-people", "labels")  # models whose text query is concepts only


def unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero), as float32."""
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)


@dataclass
class QueryVectors:
    """A text query in the index's spaces; a space is absent where the query cannot land in it."""

    vectors: dict[str, np.ndarray] = field(default_factory=dict)  # space -> (D,) unit vector
    concepts: list[str] = field(default_factory=list)  # what the query was understood as (for --explain)
    weights: dict[str, float] = field(default_factory=dict)  # space -> its weight in the fusion (default 1)
    meaning: Understanding | None = None  # the query's parts over ImageNet classes (grounded models)
    unknown: list[str] = field(default_factory=list)  # one line per word the model relates to nothing
    terms: list[str] = field(default_factory=list)  # words for the full-text search beside the typed ones


class ClassVectors:
    """The ImageNet classifier's weight rows (unit): a query's classes → a direction in the pooled space."""

    def __init__(self, rows: np.ndarray | None) -> None:
        self.rows = None if rows is None else unit(rows)  # (1000, D)

    def query(self, weights: dict[int, float], q: QueryVectors) -> None:
        if self.rows is not None and weights:
            classes = sorted(weights)
            w = np.array([weights[c] for c in classes], np.float32)
            q.vectors["image"] = unit(w @ self.rows[classes])


def concept_query(text: str, class_vectors: ClassVectors) -> QueryVectors:
    """A query for the grounded models: its meaning over the ImageNet classes in both spaces."""
    try:
        meaning = understand(text)
    except ConfigError as exc:  # no WordNet database here: the class names and their hypernyms only
        meaning = _names_only(text, str(exc))
    weights = meaning.classes
    q = QueryVectors(meaning=meaning, unknown=[u.message() for u in meaning.unknown])
    q.concepts = meaning.explain()
    q.terms = _expansion_terms(meaning)
    class_vectors.query(weights, q)
    if weights:
        vector = np.zeros(len(imagenet_labels()), np.float32)
        vector[list(weights)] = list(weights.values())
        q.vectors["caption"] = unit(vector)
    return q


def _names_only(text: str, why: str) -> Understanding:
    """The query's phrases that name ImageNet classes or their hypernyms, each a part of weight 1."""
    named = named_classes(text)
    parts = [
        Part(p, "thing", dict.fromkeys(classes, 1.0), how="a class name or hypernym")
        for p, classes in named.items()
    ]
    return Understanding(parts=parts, unknown=[Unknown("(WordNet)", why)])


def _expansion_terms(meaning: Understanding, per_part: int = 3) -> list[str]:
    """Words the full-text search adds for each part: what it stands for ("person" for "woman") and the
    names of its strongest classes ("stupa" for "temple")."""
    terms: list[str] = []
    for part in meaning.parts:
        terms += part.terms
        terms += [name for name, _ in part.top(per_part)]
    return list(dict.fromkeys(terms))


@dataclass
class StoredQueryModel:
    """The text side of a grounded or labels index, from its stored class vectors."""

    name: str
    class_vectors: ClassVectors

    def embed_query(self, text: str) -> QueryVectors:
        return concept_query(text, self.class_vectors)


def save_class_vectors(root: Path, rows: np.ndarray | None) -> None:
    """Store the class vectors beside the index, replaced atomically; an encoder without a classifier
    stores an empty (0, 0) array (its text queries land in the caption space only)."""
    path = root / QUERY_FILE
    tmp = path.with_name(f".{QUERY_FILE}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        np.save(f, np.zeros((0, 0), np.float32) if rows is None else unit(rows), allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def stored_query_model(root: Path, identity: dict[str, Any]) -> StoredQueryModel | None:
    """The model-free text side of the index at `root` (its stored `identity`), or None where the query
    needs the model itself: a bundle's index, or class vectors missing, unreadable or of another size."""
    name = identity.get("model")
    if name not in CONCEPT_MODELS:
        return None
    try:
        rows = np.load(root / QUERY_FILE, allow_pickle=False)
    except (OSError, ValueError):
        return None
    dim = identity.get("D")
    if (
        rows.ndim != 2
        or rows.shape[0] != len(imagenet_labels())
        or (dim is not None and rows.shape[1] != dim)
    ):
        return None
    return StoredQueryModel(str(name), ClassVectors(rows))
