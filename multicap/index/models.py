"""What an index is built with: an encoder (the image space), a describer (the texts), a text space.

Each model decodes files (`load`) and turns a batch into image vectors and `Described` items (`process`);
`embed_query` puts a text query into the same spaces (`save_query_side` stores what `query_side` needs to
answer text queries without the model). Registered models:

- `grounded` (default, no training): `multicap.describe`' grounded describer (objects from class-activation
  maps, colours, layout; texts at every level, WordNet tags). Caption space: the 1,000 ImageNet class
  probabilities of the whole image (square-rooted, unit norm); a query lands there as the classes its
  words reach through WordNet, each with its weight (`multicap.index.query`: ConSE-style, the image is its
  class probabilities and the query a weighted set of classes). Image space: the pooled features; a query
  lands there as the weighted mean of the classifier's weight rows ("class vectors") of those classes.
- `grounded-no-people`: the same without the people detector, about 1.5x faster to index.
- `labels`: the same spaces, with only the encoder's top ImageNet labels as the object-level text (one
  forward pass, no region analysis: the fastest; works with headless encoders such as `tiny`, vectors only).
- a vision-language model (`clip-vit-b-32`, `siglip-vit-b-16`, `coca-vit-b-32`, or an open_clip folder; the
  clip extra): `multicap.describe.zeroshot` on the whole image (its nearest nouns, colour and material;
  CoCa's own caption). Image space: the model's image embeddings; a text query lands there through the
  model's text tower (so the query needs the model: nothing is stored beside the index for it), fused
  with the full-text list as for every model.
- any other name: a trained captioner bundle (folder or registered name) through the neural describer.
  Caption space: the mean of the bundle's learned word embeddings over a text's content words (unit
  norm), for the captions and for the query alike. A text query is not put into the image space (the
  bundle's words need not be ImageNet's: on scenes that part only added noise); image queries use it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from multicap.data.feature_files import probe_identity
from multicap.describe import DescribedBatch, Describer, Description, create_describer
from multicap.describe.describer import check_levels, described_batches
from multicap.describe.grounded import GroundedDescriber
from multicap.describe.neural import NeuralDescriber
from multicap.encoders import Encoder, Features, create_encoder, imagenet_labels
from multicap.encoders.clip_models import CLIP_MODELS, folder_weights, is_open_clip_folder
from multicap.encoders.efficientnet_lite import EfficientNetLite
from multicap.errors import ConfigError, DataError
from multicap.facts.versions import LABELS
from multicap.index.concepts import class_tags, content_terms
from multicap.index.image_side import save_image_side
from multicap.index.location import DB_NAME, given_as, no_index
from multicap.index.query_side import (
    ClassVectors,
    QueryVectors,
    WordVectors,
    concept_query,
    save_class_vectors,
    save_word_vectors,
    unit,
    word_query,
)
from multicap.index.store import IndexStore
from multicap.io import load_image

__all__ = [
    "DEFAULT_MODEL",
    "Described",
    "IndexModel",
    "list_models",
    "model_for_index",
    "open_index_model",
    "open_model",
    "register_model",
    "tag_phrases",
]

DEFAULT_MODEL = "grounded"
_MIN_PROB = 0.10  # `labels`: a class is named in the object text when its probability reaches this
_MAX_LABELS = 3


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
    said_by: str  # the version of what it says (Describer.version): a file said by another is said again

    def identity(self) -> dict[str, Any]: ...

    def load(self, path: Path) -> Any:
        """Decode one file (raises ImageLoadError)."""
        ...

    def process(self, paths: Sequence[Path], loaded: Sequence[Any]) -> tuple[np.ndarray, list[Described]]:
        """(image vectors (B, D) unit, what is said of each image)."""
        ...

    def embed_query(self, text: str) -> QueryVectors: ...

    def save_query_side(self, root: Path) -> None:
        """Store beside the index at `root` what a text query needs without this model (query_side)."""
        ...


def _classifier_rows(encoder: Encoder) -> np.ndarray | None:
    """The ImageNet classifier's weight rows, (1000, D), or None for an encoder without one."""
    weight = getattr(getattr(encoder.backbone, "classifier", None), "weight", None)
    return None if weight is None else weight.detach().float().cpu().numpy()


def _concept_vectors(feats: Features) -> list[np.ndarray | None]:
    """The caption-space vector of the grounded models: sqrt of the class probabilities, unit norm."""
    if feats.logits is None:
        return [None] * len(feats)
    return list(unit(np.sqrt(torch.softmax(feats.logits.float(), dim=-1).numpy())))


class DescriberModel:
    """A `multicap.describe` describer (grounded or neural) with the text space that suits it."""

    def __init__(self, name: str, describer: Describer, levels: Sequence[str] | None) -> None:
        self.name = name
        self.describer = describer
        self.encoder: Encoder = describer.encoder
        self.levels = tuple(levels or describer.levels)
        check_levels(describer, self.levels)  # before an index records them as its own
        self.said_by = describer.version
        self._class_vectors = ClassVectors(_classifier_rows(self.encoder))
        bundle = describer.bundle if isinstance(describer, NeuralDescriber) else None
        self._words: WordVectors | None = None
        if bundle is not None:  # its learned word embeddings: its text space
            self._words = WordVectors(*bundle.word_vectors())

    def identity(self) -> dict[str, Any]:
        out: dict[str, Any] = {"model": self.name, "levels": list(self.levels)}
        stamp = self.stamp()
        if stamp is not None:
            out["model_stamp"] = stamp
        return {**out, **probe_identity(self.encoder)}

    def stamp(self) -> int | str | None:
        """When the model's own weights file was written (a bundle's): other weights at the same path are
        another model, whose vectors an index must not mix with the old ones."""
        weights = Path(self.name) / "model.safetensors"
        return weights.stat().st_mtime_ns if weights.is_file() else None

    def load(self, path: Path) -> Any:
        return self.describer.load(path)

    def process(self, paths: Sequence[Path], loaded: Sequence[Any]) -> tuple[np.ndarray, list[Described]]:
        return self._vectors(self.describer.describe_batch(paths, loaded, self.levels))

    def process_batches(
        self, batches: Iterable[tuple[list[Path], list[Any]]]
    ) -> Iterator[tuple[list[Path], np.ndarray, list[Described]]]:
        """`process` of each `(paths, loaded)` batch, in order, described in a pipeline where the describer
        has two stages (`multicap.describe.describer.described_batches`)."""
        for described in described_batches(self.describer, batches, self.levels):
            yield [d.path for d in described.descriptions], *self._vectors(described)

    def _vectors(self, described: DescribedBatch) -> tuple[np.ndarray, list[Described]]:
        feats, descs = described.features, described.descriptions
        words = self._words
        vectors = (
            _concept_vectors(feats)
            if words is None
            else [words.vector(content_terms(" ".join(d.texts.values()))) for d in descs]
        )
        said = [Described(d, v, _tags(d)) for d, v in zip(descs, vectors, strict=True)]
        return unit(feats.pooled.numpy()), said

    def save_query_side(self, root: Path) -> None:
        if self._words is None:
            save_class_vectors(root, self._class_vectors.rows)
        else:
            save_word_vectors(root, list(self._words.rows), self._words.vectors)
        if isinstance(self.describer, GroundedDescriber):  # its image vector: the encoder's pooled map
            _save_image_side(root, self.identity(), self.encoder, self.describer.decode_side)

    def embed_query(self, text: str) -> QueryVectors:
        if self._words is None:  # grounded: ImageNet concepts in both spaces
            return concept_query(text, self._class_vectors)
        return word_query(text, self._words)  # a bundle: its learned text side only


_STAMP_BYTES = 1 << 20  # of a vision-language model's weights file, read at each end for its stamp


class VisionLanguageModel(DescriberModel):
    """A vision-language model's zero-shot describer; a text query is embedded by its text tower."""

    def stamp(self) -> int | str | None:
        """What its weights file holds (an open_clip folder's or a pulled one): its size and a digest of its
        first and last MiB (a fine-tune's tensors differ there; the whole of a 600 MB file would take a
        second each run). A fine-tune copied over the old file had been taken for the same model, its
        vectors mixed with the old ones; the old file put back is the old model again."""
        source = Path(str(getattr(self.encoder, "weights", "")))
        weights = folder_weights(source) if source.is_dir() else source if source.is_file() else None
        if weights is None:
            return None
        size = weights.stat().st_size
        with weights.open("rb") as f:
            head = f.read(_STAMP_BYTES)
            f.seek(max(0, size - _STAMP_BYTES))
            tail = f.read(_STAMP_BYTES)
        return f"{size}:{hashlib.sha256(head + tail).hexdigest()[:16]}"

    def save_query_side(self, root: Path) -> None:
        """Nothing to store: a text query needs the model's text tower (`search` loads the model)."""

    def embed_query(self, text: str) -> QueryVectors:
        if not content_terms(text):  # "", "the": what the text tower makes of them matches arbitrary images
            return QueryVectors(vectors={})
        q = QueryVectors(vectors={"image": unit(self.encoder.embed_text([text]))[0]})  # type: ignore[attr-defined]
        q.concepts = [f"{text!r} in the text space of {Path(self.name).name}"]
        return q


def _vision_language(name: str, levels: Sequence[str] | None, device: str) -> IndexModel:
    """Whole-image naming (no regions): one forward pass an image, as fast as the model's encoder."""
    return VisionLanguageModel(name, create_describer(name, device=device, regions=False), levels)


def tag_phrases(facts: dict[str, Any] | None, stored: str = "") -> list[str]:
    """An image's tags as people read them: each object's WordNet tags whole ("domestic cat", "source of
    illumination"), each once, from its facts (JSON form); the stored words (space-separated, for full-text
    search) where it has none."""
    if facts:
        objects = facts.get("objects") or []
        tags = (
            t.strip() for o in objects for t in str((o.get("attributes") or {}).get("tags", "")).split(",")
        )
        return list(dict.fromkeys(t for t in tags if t))
    return list(dict.fromkeys(stored.split()))


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
        self.said_by = LABELS
        self._class_vectors = ClassVectors(_classifier_rows(encoder))

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

    def save_query_side(self, root: Path) -> None:
        save_class_vectors(root, self._class_vectors.rows)
        _save_image_side(root, self.identity(), self.encoder, self.encoder.preprocess.size)

    def embed_query(self, text: str) -> QueryVectors:
        return concept_query(text, self._class_vectors)


def _save_image_side(root: Path, identity: dict[str, Any], encoder: Encoder, decode_side: int) -> None:
    """What `multicap.index.image_side` needs to embed a file without torch, where it can: an
    EfficientNet-Lite whose pooled final map is the image vector."""
    if not isinstance(encoder.backbone, EfficientNetLite):
        return
    pre = encoder.preprocess
    reading = {
        "identity": identity,
        "min_short_side": decode_side,
        "size": pre.size,
        "resize": pre.resize,
        "squash": pre.squash,
        "mean": list(pre.mean),
        "std": list(pre.std),
    }
    save_image_side(root, encoder.backbone.feature_arrays(), reading)


ModelFactory = Callable[[str | None, Sequence[str] | None, str], IndexModel]
_MODELS: dict[str, ModelFactory] = {}
_TAKE_ENCODER = ("grounded", "grounded-no-people", "labels")  # the models --encoder chooses the encoder of


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
    if encoder is not None and name not in _TAKE_ENCODER:  # a CLIP model's had been ignored, unsaid
        raise ConfigError(
            f"--encoder applies to the grounded and labels models; {name} encodes with its own encoder"
        )
    factory = _MODELS.get(name)
    if factory is not None:
        return factory(encoder, levels, device or "cpu")
    if is_open_clip_folder(name):  # recorded as an absolute path, so the index reopens from anywhere
        return _vision_language(str(Path(name).resolve()), levels, device or "cpu")
    if Path(name).is_dir():  # recorded as an absolute path, so the index reopens from anywhere
        name = str(Path(name).resolve())
    return DescriberModel(name, create_describer(name, device=device or "cpu"), levels)


register_model(
    "grounded",
    lambda enc, levels, device: DescriberModel(
        "grounded", create_describer("grounded", device=device, encoder=enc), levels
    ),
)
register_model(  # the same without the people detector: about 1.5x faster to index
    "grounded-no-people",
    lambda enc, levels, device: DescriberModel(
        "grounded-no-people", create_describer("grounded", device=device, encoder=enc, people=False), levels
    ),
)
register_model(
    "labels",
    lambda enc, levels, device: LabelsModel(create_encoder(enc or "efficientnet_lite0", device=device)),
)


def _vision_language_factory(name: str) -> ModelFactory:
    return lambda enc, levels, device: _vision_language(name, levels, device)


for _name in CLIP_MODELS:  # the model is its own encoder: --encoder does not apply
    register_model(_name, _vision_language_factory(_name))


def open_index_model(root: Path, device: str | None = None) -> IndexModel:
    """The model the index at `root` was built with."""
    db = root / DB_NAME
    if not db.is_file():
        raise DataError(no_index(root))
    with IndexStore(db) as store:
        identity = store.get_meta("identity")
    if identity is None:
        raise DataError(f"{root} holds no images yet; run `multicap index PATHS --index {root}` first")
    model = open_model(_still_there(root, identity), encoder=_recorded_encoder(identity), device=device)
    stamp = getattr(model, "stamp", lambda: None)()
    if "model_stamp" in identity and stamp != identity["model_stamp"]:  # a query embedded by other weights
        raise DataError(
            f"the weights of {identity['model']} changed since {root} was built with them: `multicap index "
            f"FOLDER --index {given_as(root)} --reembed` encodes its images again with them (or put the old "
            "weights back)"
        )
    return model


def recorded_model(root: Path) -> str | None:
    """The model the index at `root` records it was built with (as `open_model` records a name: a folder
    as its absolute path), or None for an index with none yet."""
    identity = recorded_identity(root)
    return None if identity is None else str(identity["model"])


def recorded_identity(root: Path) -> dict[str, Any] | None:
    """What the index at `root` records of how it was built (its model, the grounded describer's encoder,
    its levels), or None for an index with none yet."""
    with IndexStore(root / DB_NAME, create=False) as store:
        return store.get_meta("identity")


def as_recorded(name: str) -> str:
    """The name an index records for the `--model` value `name` (a folder: its absolute path)."""
    return name if name in _MODELS or not Path(name).is_dir() else str(Path(name).resolve())


def _still_there(root: Path, identity: dict[str, Any]) -> str:
    """The model the index at `root` recorded, where it still is: a bundle or open_clip folder moved or
    deleted had been said as "no bundle folder or registered name"."""
    name = str(identity["model"])
    if Path(name).is_absolute() and not Path(name).exists():
        raise DataError(
            f"the model {root} was built with, {name}, is not there (moved or deleted): put it back, or "
            f"say where it is now: `multicap index FOLDER --index {given_as(root)} --model NEW_PLACE` (the "
            "same weights moved are taken as they are; other ones need --reembed)"
        )
    return name


def _recorded_encoder(identity: dict[str, Any]) -> str | None:
    """The encoder an index recorded, where its model takes one: a bundle records its own encoder too,
    and `open_model` refuses an encoder for a bundle."""
    return identity.get("encoder") if identity["model"] in _TAKE_ENCODER else None


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
            name, encoder = _still_there(root, identity), encoder or _recorded_encoder(identity)
    return open_model(name or DEFAULT_MODEL, encoder=encoder, levels=levels, device=device)
