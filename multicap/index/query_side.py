"""A text query in an index's spaces, without loading its model (no torch).

For the grounded and labels models a text query needs only its meaning over the ImageNet classes
(`multicap.index.query`, WordNet) and the classifier's weight rows (the "class vectors" that put those
classes into the image space); for a captioner bundle, its learned word embeddings (a query lands in its
caption space as the mean of its known words' vectors). `index` stores them with the index (`query.npy`,
`query_words.npz`, written atomically); `search` then answers a text query from them and the stored
vectors alone: `multicap search` imports neither torch nor the encoder (0.48 s instead of 2.25 s,
benchmarks/search_startup.py). An index written before these files existed needs its model for a text
query until its next `index` run (`needs_model`).
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from multicap.errors import ConfigError, ImageLoadError
from multicap.index.concepts import content_terms, named_classes
from multicap.index.image_side import said_unreadable
from multicap.index.query import Understanding, Unknown, understand
from multicap.index.query_parts import Part
from multicap.io.paths import open_regular, removed_on_failure
from multicap.text.imagenet import imagenet_labels

__all__ = [
    "BUNDLE_CAPTION_WEIGHT",
    "CONCEPT_MODELS",
    "QUERY_FILE",
    "WORDS_FILE",
    "ClassVectors",
    "QueryVectors",
    "StoredQueryModel",
    "WordVectors",
    "concept_query",
    "save_class_vectors",
    "save_word_vectors",
    "stored_query_model",
    "unit",
    "word_query",
]

QUERY_FILE = "query.npy"  # (1000, D) float32: the unit class vectors of the index's encoder
WORDS_FILE = "query_words.npz"  # a bundle's words and their learned embeddings (special tokens left out)
CONCEPT_MODELS = ("grounded", "grounded-no-people", "labels")  # models whose text query is concepts only
# A bundle's query embedding (the mean of its learned word vectors) ranks worse than the full-text match of
# its own captions; at equal weight it pulled the fused ranking below the lexical one. Scenes search R@5 at
# weights 1 / 0.5 / 0.25: 0.89 / 0.95 / 0.96 on pool seed 0, 0.87 / 0.90 / 0.92 on seed 1, and 0.86 / - / 0.94
# on seed 2, held out from the choice (benchmarks/RESULTS.md).
BUNDLE_CAPTION_WEIGHT = 0.25


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
    unknown: list[str] = field(default_factory=list)  # words it relates to nothing, or only loosely
    notes: list[str] = field(default_factory=list)  # words searched as less than they say ("woman": anyone)
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
    said = [u.message() for u in meaning.unknown]  # a word typed twice: said once
    q = QueryVectors(
        meaning=meaning, unknown=list(dict.fromkeys(said)), notes=list(dict.fromkeys(meaning.notes))
    )
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
    names of its strongest classes ("stupa" for "temple"), but none of a tie of many: three of an
    animal's 398 classes, first by index, had been tench, goldfish and great white shark, and fish had
    filled the results for "animals" (the typed word finds the tags that every class of it carries)."""
    terms: list[str] = []
    for part in meaning.parts:
        if part.absent:  # asked not to be there: not searched for
            continue
        terms += part.terms
        top = part.top(per_part + _MANY_TIED)
        tied = len(top) > per_part and sum(w == top[per_part - 1][1] for _, w in top) > _MANY_TIED
        terms += [name for name, w in top[:per_part] if not (tied and w == top[per_part - 1][1])]
    return list(dict.fromkeys(terms))


_MANY_TIED = 10  # classes at one weight past which none of them is named to the full-text search


class WordVectors:
    """A bundle's words and their learned embeddings: a text → the mean of its known words' vectors."""

    def __init__(self, words: list[str], vectors: np.ndarray) -> None:
        self.rows = {w: i for i, w in enumerate(words)}
        self.vectors = np.asarray(vectors, dtype=np.float32)  # (V, E)

    def __contains__(self, word: str) -> bool:
        return word in self.rows

    def vector(self, words: list[str]) -> np.ndarray | None:
        """The unit mean of the vectors of the `words` it knows; None when it knows none."""
        ids = [self.rows[w] for w in words if w in self.rows]
        return unit(self.vectors[ids].mean(axis=0)) if ids else None


def word_query(text: str, words: WordVectors) -> QueryVectors:
    """A query for a bundle's index: its learned text side only (its words need not be ImageNet's)."""
    q = QueryVectors()
    terms = content_terms(text)
    vec = words.vector(terms)
    if vec is not None:
        q.vectors["caption"] = vec
        q.weights["caption"] = BUNDLE_CAPTION_WEIGHT
    q.concepts = [w for w in terms if w in words]
    q.unknown = [f'"{w}" is not a word this bundle knows' for w in terms if w not in words]
    return q


@dataclass
class StoredQueryModel:
    """The text side of an index from what is stored with it: class vectors, or a bundle's words."""

    name: str
    class_vectors: ClassVectors | None = None
    words: WordVectors | None = None

    def embed_query(self, text: str) -> QueryVectors:
        if self.words is not None:
            return word_query(text, self.words)
        return concept_query(text, self.class_vectors or ClassVectors(None))


def save_class_vectors(root: Path, rows: np.ndarray | None) -> None:
    """Store the class vectors beside the index, replaced atomically; an encoder without a classifier
    stores an empty (0, 0) array (its text queries land in the caption space only)."""
    path = root / QUERY_FILE
    with removed_on_failure(path.with_name(f".{QUERY_FILE}.{os.getpid()}.tmp")) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, np.zeros((0, 0), np.float32) if rows is None else unit(rows), allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)


def save_word_vectors(root: Path, words: list[str], vectors: np.ndarray) -> None:
    """Store a bundle's words and embeddings beside the index, replaced atomically."""
    path = root / WORDS_FILE
    with removed_on_failure(path.with_name(f".{WORDS_FILE}.{os.getpid()}.tmp")) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, words=np.array(words, dtype=str), vectors=np.asarray(vectors, np.float32))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)


def stored_query_model(root: Path, identity: dict[str, Any]) -> StoredQueryModel | None:
    """The model-free text side of the index at `root` (its stored `identity`), or None where the query
    needs the model itself: what it needs is missing, unreadable or of another size."""
    name = identity.get("model")
    if name not in CONCEPT_MODELS:
        return _stored_words(root, str(name))
    if not os.path.lexists(root / QUERY_FILE):
        return None
    try:
        with open_regular(root / QUERY_FILE) as f:  # a FIFO put in its place had hung every search
            rows = np.load(f, allow_pickle=False)
    except (OSError, ValueError, EOFError, ImageLoadError) as exc:  # truncated: searches had loaded the model
        said_unreadable(root / QUERY_FILE, exc)
        return None
    dim = identity.get("D")
    if (
        rows.ndim != 2
        or rows.shape[0] != len(imagenet_labels())
        or (dim is not None and rows.shape[1] != dim)
    ):
        return None
    return StoredQueryModel(str(name), class_vectors=ClassVectors(rows))


def _stored_words(root: Path, name: str) -> StoredQueryModel | None:
    if not os.path.lexists(root / WORDS_FILE):
        return None
    try:
        with open_regular(root / WORDS_FILE) as f, np.load(f, allow_pickle=False) as data:
            words, vectors = [str(w) for w in data["words"]], data["vectors"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, ImageLoadError) as exc:
        said_unreadable(root / WORDS_FILE, exc)
        return None
    if vectors.ndim != 2 or len(words) != len(vectors):
        return None
    return StoredQueryModel(name, words=WordVectors(words, vectors))
