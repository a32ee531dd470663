"""What an index is built with: an encoder (the image space), a describer (the texts), a text space.

Each model decodes files (`load`) and turns a batch into image vectors and `Described` items (`process`);
`embed_query` puts a text query into the same spaces. Registered models:

- `grounded` (default, no training): `multicap.describe`' grounded describer (objects from class-activation
  maps, colours, layout; texts at every level, WordNet tags). Caption space: the 1,000 ImageNet class
  probabilities of the whole image (square-rooted, unit norm); a query lands there as the classes its
  words reach through WordNet, each with its weight (`multicap.index.query`: ConSE-style, the image is its
  class probabilities and the query a weighted set of classes). Image space: the pooled features; a query
  lands there as the weighted mean of the classifier's weight rows ("class vectors") of those classes.
- `grounded-no-people`: the same without the people detector, about 7x faster to index.
- `labels`: the same spaces, with only the encoder's top ImageNet labels as the object-level text (one
  forward pass, no region analysis: the fastest; works with headless encoders such as `tiny`, vectors only).
- any other name: a trained captioner bundle (folder or registered name) through the neural describer.
  Caption space: the mean of the bundle's learned word embeddings over a text's content words (unit
  norm), for the captions and for the query alike. A text query is not put into the image space (the
  bundle's words need not be ImageNet's: on scenes that part only added noise); image queries use it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from multicap.data.feature_files import probe_identity
from multicap.describe import Describer, Description, create_describer
from multicap.describe.neural import NeuralDescriber
from multicap.encoders import Encoder, Features, create_encoder, imagenet_labels
from multicap.errors import ConfigError
from multicap.index.concepts import class_tags, content_terms, named_classes
from multicap.index.query import Part, Understanding, Unknown, understand
from multicap.io import load_image

__all__ = [
    "DEFAULT_MODEL",
    "Described",
    "IndexModel",
    "QueryVectors",
    "list_models",
    "open_model",
    "register_model",
    "unit",
]

DEFAULT_MODEL = "grounded"
_MIN_PROB = 0.10  # `labels`: a class is named in the object text when its probability reaches this
_MAX_LABELS = 3
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
class Described:
    """What a model says about one image for the index."""

    description: Description
    caption_vector: np.ndarray | None = None  # (E,) unit vector in the model's text space
    tags: str = ""  # WordNet tags of the objects named, for full-text search


@dataclass
class QueryVectors:
    """A text query in the index's spaces; a space is absent where the query cannot land in it."""

    vectors: dict[str, np.ndarray] = field(default_factory=dict)  # space -> (D,) unit vector
    concepts: list[str] = field(default_factory=list)  # what the query was understood as (for --explain)
    weights: dict[str, float] = field(default_factory=dict)  # space -> its weight in the fusion (default 1)
    meaning: Understanding | None = None  # the query's parts over ImageNet classes (grounded models)
    unknown: list[str] = field(default_factory=list)  # one line per word the model relates to nothing
    terms: list[str] = field(default_factory=list)  # words for the full-text search beside the typed ones


class IndexModel(Protocol):
    name: str
    encoder: Encoder
    levels: tuple[str, ...]

    def identity(self) -> dict[str, Any]: ...

    def load(self, path: Path) -> Any:
        """Decode one file (raises ImageLoadError)."""
        ...

    def process(self, paths: Sequence[Path], loaded: Sequence[Any]) -> tuple[np.ndarray, list[Described]]:
        """(image vectors (B, D) unit, what is said of each image)."""
        ...

    def embed_query(self, text: str) -> QueryVectors: ...


class _ClassVectors:
    """The ImageNet classifier's weight rows: a query's classes → a direction in the pooled space."""

    def __init__(self, encoder: Encoder) -> None:
        weight = getattr(getattr(encoder.backbone, "classifier", None), "weight", None)
        self.rows = unit(weight.detach().float().cpu().numpy()) if weight is not None else None  # (1000, D)

    def query(self, weights: dict[int, float], q: QueryVectors) -> None:
        if self.rows is not None and weights:
            classes = sorted(weights)
            w = np.array([weights[c] for c in classes], np.float32)
            q.vectors["image"] = unit(w @ self.rows[classes])


def _concept_vectors(feats: Features) -> list[np.ndarray | None]:
    """The caption-space vector of the grounded models: sqrt of the class probabilities, unit norm."""
    if feats.logits is None:
        return [None] * len(feats)
    return list(unit(np.sqrt(torch.softmax(feats.logits.float(), dim=-1).numpy())))


def _concept_query(text: str, class_vectors: _ClassVectors) -> QueryVectors:
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


class DescriberModel:
    """A `multicap.describe` describer (grounded or neural) with the text space that suits it."""

    def __init__(self, name: str, describer: Describer, levels: Sequence[str] | None) -> None:
        self.name = name
        self.describer = describer
        self.encoder: Encoder = describer.encoder
        self.levels = tuple(levels or describer.levels)
        self._class_vectors = _ClassVectors(self.encoder)
        self._bundle = describer.bundle if isinstance(describer, NeuralDescriber) else None

    def identity(self) -> dict[str, Any]:
        out: dict[str, Any] = {"model": self.name, "levels": list(self.levels)}
        weights = Path(self.name) / "model.safetensors"
        if weights.is_file():
            out["model_stamp"] = weights.stat().st_mtime_ns
        return {**out, **probe_identity(self.encoder)}

    def load(self, path: Path) -> Any:
        return self.describer.load(path)

    def process(self, paths: Sequence[Path], loaded: Sequence[Any]) -> tuple[np.ndarray, list[Described]]:
        described = self.describer.describe_batch(paths, loaded, self.levels)
        feats, descs = described.features, described.descriptions
        vectors = _concept_vectors(feats) if self._bundle is None else [self._words(d) for d in descs]
        said = [Described(d, v, _tags(d)) for d, v in zip(descs, vectors, strict=True)]
        return unit(feats.pooled.numpy()), said

    def _words(self, desc: Description) -> np.ndarray | None:
        return self._text_vector(" ".join(desc.texts.values()))

    def _text_vector(self, text: str) -> np.ndarray | None:
        if self._bundle is None:
            return None
        vector = self._bundle.word_vector(content_terms(text))
        return None if vector is None else unit(vector)

    def embed_query(self, text: str) -> QueryVectors:
        q = QueryVectors()
        if self._bundle is None:  # grounded: ImageNet concepts in both spaces
            return _concept_query(text, self._class_vectors)
        else:  # a bundle: its learned text side only (its words need not be ImageNet's)
            vec = self._text_vector(text)
            if vec is not None:
                q.vectors["caption"] = vec
                q.weights["caption"] = BUNDLE_CAPTION_WEIGHT
            q.concepts = [w for w in content_terms(text) if w in self._bundle.vocab.stoi]
            q.unknown = [
                f'"{w}" is not a word this bundle knows'
                for w in content_terms(text)
                if w not in self._bundle.vocab.stoi
            ]
        return q


def _tags(desc: Description) -> str:
    if desc.facts is None:
        return ""
    tags = (t.strip() for o in desc.facts.objects for t in o.attributes.get("tags", "").split(","))
    return " ".join(dict.fromkeys(t for t in tags if t))


class LabelsModel:
    """The encoder's top ImageNet labels as the object-level text; see the module docstring."""

    def __init__(self, encoder: Encoder) -> None:
        self.name = "labels"
        self.encoder = encoder
        self.levels: tuple[str, ...] = ("object",)
        self._class_vectors = _ClassVectors(encoder)

    def identity(self) -> dict[str, Any]:
        return {"model": self.name, **probe_identity(self.encoder)}

    def load(self, path: Path) -> torch.Tensor:
        pre = self.encoder.preprocess
        return pre.to_uint8(load_image(path, min_short_side=pre.size))

    def process(self, paths: Sequence[Path], loaded: Sequence[Any]) -> tuple[np.ndarray, list[Described]]:
        feats = self.encoder.encode_batch(torch.stack(list(loaded)))
        vectors = _concept_vectors(feats)
        if feats.logits is None:  # no head (the `tiny` test encoder): vectors only
            return unit(feats.pooled.numpy()), [Described(Description(p)) for p in paths]
        probs = torch.softmax(feats.logits.float(), dim=-1).numpy()  # (B, 1000)
        names, tags = imagenet_labels(), class_tags()
        out = []
        for path, p, vec in zip(paths, probs, vectors, strict=True):
            top = [int(c) for c in np.argsort(-p)[:_MAX_LABELS] if p[c] >= _MIN_PROB] or [int(p.argmax())]
            desc = Description(path, texts={"object": ", ".join(names[c] for c in top)})
            desc.confidence["object"] = float(p[top[0]])
            out.append(Described(desc, vec, " ".join(dict.fromkeys(t for c in top for t in tags[c]))))
        return unit(feats.pooled.numpy()), out

    def embed_query(self, text: str) -> QueryVectors:
        return _concept_query(text, self._class_vectors)


ModelFactory = Callable[[str | None, Sequence[str] | None, str], IndexModel]
_MODELS: dict[str, ModelFactory] = {}


def register_model(name: str, factory: ModelFactory) -> None:
    """Make `name` usable as `--model`: factory(encoder name or None, levels or None, device)."""
    _MODELS[name] = factory


def list_models() -> list[str]:
    return sorted(_MODELS)


def open_model(
    name: str = DEFAULT_MODEL,
    *,
    encoder: str | None = None,
    levels: Sequence[str] | None = None,
    device: str | None = None,
) -> IndexModel:
    """A registered model by name; any other name is a captioner bundle (a folder or a registered name)."""
    factory = _MODELS.get(name)
    if factory is not None:
        return factory(encoder, levels, device or "cpu")
    if encoder is not None:
        raise ConfigError(
            f"--encoder applies to the grounded and labels models; {name} encodes with its own encoder"
        )
    if Path(name).is_dir():  # recorded as an absolute path, so the index reopens from anywhere
        name = str(Path(name).resolve())
    return DescriberModel(name, create_describer(name, device=device or "cpu"), levels)


register_model(
    "grounded",
    lambda enc, levels, device: DescriberModel(
        "grounded", create_describer("grounded", device=device, encoder=enc), levels
    ),
)
register_model(  # the same without the people detector (about 0.1 s an image): 7x faster to index
    "grounded-no-people",
    lambda enc, levels, device: DescriberModel(
        "grounded-no-people", create_describer("grounded", device=device, encoder=enc, people=False), levels
    ),
)
register_model(
    "labels",
    lambda enc, levels, device: LabelsModel(create_encoder(enc or "efficientnet_lite0", device=device)),
)
