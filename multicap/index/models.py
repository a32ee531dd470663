"""What an index is built with: an encoder (the image space), a describer (the texts), a text space.

Two kinds, one interface (`IndexModel`):

- `grounded` (default, no training): the encoder's ImageNet head. Texts: the recognised classes (object
  level) and their WordNet tags. Caption space: the 1,000 class probabilities (square-rooted, unit norm);
  a query lands there as the classes it names. Image space: the pooled features; a query lands there as
  the mean of the classifier's weight rows ("class vectors") of the classes it names.
- a trained captioner bundle (any other name, or a bundle folder): texts are its captions per level.
  Caption space: the mean of the bundle's learned word embeddings over a text's words (unit norm), for
  the captions and for the query alike. Image space as above when the encoder has an ImageNet head.

Any other describer that fills `Description`s can be plugged in through `register_model`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from multicap.data.feature_files import probe_identity
from multicap.encoders import Encoder, Features, create_encoder, imagenet_labels
from multicap.index.concepts import class_tags, named_classes, query_terms
from multicap.levels import Description

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
_MIN_PROB = 0.10  # a class is named in the object text when its probability reaches this
_MAX_LABELS = 3


def unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero), as float32."""
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)


@dataclass
class QueryVectors:
    """A text query in the index's spaces; None where the query cannot land in a space."""

    vectors: dict[str, np.ndarray] = field(default_factory=dict)  # space -> (D,) unit vector
    concepts: list[str] = field(default_factory=list)  # what the query was understood as (for --explain)


@dataclass
class Described:
    """What a model says about one image for the index."""

    description: Description
    caption_vector: np.ndarray | None = None  # (E,) unit vector in the model's text space
    tags: str = ""  # WordNet tags of the objects named, for full-text search


class IndexModel(Protocol):
    name: str
    encoder: Encoder
    levels: tuple[str, ...]

    def identity(self) -> dict[str, Any]: ...

    def describe(self, paths: Sequence[Path], feats: Features) -> list[Described]: ...

    def embed_query(self, text: str) -> QueryVectors: ...


def image_vectors(feats: Features) -> np.ndarray:
    return unit(feats.pooled.numpy())  # (B, D)


class _ClassVectors:
    """The ImageNet classifier's weight rows: a query's classes → a direction in the pooled space."""

    def __init__(self, encoder: Encoder) -> None:
        head = getattr(encoder.backbone, "classifier", None)
        weight = getattr(head, "weight", None) if head is not None else None
        self.rows = unit(weight.detach().float().cpu().numpy()) if weight is not None else None  # (1000, D)

    def query(self, classes: set[int]) -> np.ndarray | None:
        if self.rows is None or not classes:
            return None
        return unit(self.rows[sorted(classes)].mean(axis=0))


class GroundedModel:
    """The encoder's ImageNet head as describer; see the module docstring."""

    def __init__(self, encoder: Encoder, levels: Sequence[str] = ("object",)) -> None:
        self.name = DEFAULT_MODEL
        self.encoder = encoder
        self.levels = tuple(levels)
        self._class_vectors = _ClassVectors(encoder)

    def identity(self) -> dict[str, Any]:
        return {"model": self.name, **probe_identity(self.encoder)}

    def describe(self, paths: Sequence[Path], feats: Features) -> list[Described]:
        if feats.logits is None:  # no head (the `tiny` test encoder): vectors only
            return [Described(Description(p)) for p in paths]
        probs = torch.softmax(feats.logits.float(), dim=-1).numpy()  # (B, 1000)
        names, tags = imagenet_labels(), class_tags()
        out = []
        for path, p in zip(paths, probs, strict=True):
            top = [int(c) for c in np.argsort(-p)[:_MAX_LABELS] if p[c] >= _MIN_PROB] or [int(p.argmax())]
            desc = Description(path, texts={"object": ", ".join(names[c] for c in top)})
            desc.confidence["object"] = float(p[top[0]])
            tag_text = " ".join(dict.fromkeys(t for c in top for t in tags[c]))
            out.append(Described(desc, unit(np.sqrt(p)), tag_text))
        return out

    def embed_query(self, text: str) -> QueryVectors:
        named = named_classes(text)
        classes = set().union(*named.values()) if named else set()
        q = QueryVectors(concepts=sorted(named))
        if classes:
            indicator = np.zeros(len(imagenet_labels()), np.float32)
            indicator[sorted(classes)] = 1.0
            q.vectors["caption"] = unit(indicator)
        image = self._class_vectors.query(classes)
        if image is not None:
            q.vectors["image"] = image
        return q


class BundleModel:
    """A trained captioner bundle as describer; its word embeddings are the text space."""

    def __init__(self, name: str, levels: Sequence[str] | None, device: str | None) -> None:
        from multicap.captioning.bundle import load_bundle

        self.bundle = load_bundle(name, device=device)
        self.name = str(self.bundle.path or name)
        self.encoder = self.bundle.encoder.create(device=device)
        self.levels = tuple(levels or self.bundle.levels)
        self._class_vectors = _ClassVectors(self.encoder)
        self._embed = self.bundle.model.embed.weight.detach().float().cpu().numpy()  # (V, E)

    def identity(self) -> dict[str, Any]:
        weights = Path(self.name) / "model.safetensors"
        stamp = weights.stat().st_mtime_ns if weights.is_file() else None
        return {"model": self.name, "model_stamp": stamp, **probe_identity(self.encoder)}

    def text_vector(self, text: str) -> np.ndarray | None:
        ids = [i for i in self.bundle.vocab.encode(query_terms(text)) if i >= self.bundle.vocab.num_special]
        return unit(self._embed[ids].mean(axis=0)) if ids else None

    def describe(self, paths: Sequence[Path], feats: Features) -> list[Described]:
        descs = [Description(p) for p in paths]
        for level in self.levels:
            for desc, cap in zip(descs, self.bundle.caption(feats.grid, [level] * len(paths)), strict=True):
                desc.texts[level] = cap.text
                desc.confidence[level] = float(np.exp(cap.logprob))
        return [Described(d, self.text_vector(" ".join(d.texts.values()))) for d in descs]

    def embed_query(self, text: str) -> QueryVectors:
        named = named_classes(text)
        q = QueryVectors(concepts=[w for w in query_terms(text) if w in self.bundle.vocab.stoi])
        caption = self.text_vector(text)
        if caption is not None:
            q.vectors["caption"] = caption
        image = self._class_vectors.query(set().union(*named.values()) if named else set())
        if image is not None:
            q.vectors["image"] = image
        return q


ModelFactory = Callable[[str | None, Sequence[str] | None, str | None], IndexModel]
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
        return factory(encoder, levels, device)
    return BundleModel(name, levels, device)


register_model(
    DEFAULT_MODEL,
    lambda enc, levels, device: GroundedModel(
        create_encoder(enc or "efficientnet_lite0", device=device), levels or ("object",)
    ),
)
