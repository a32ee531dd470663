"""The zero-shot describer: a vision-language model (CLIP, SigLIP, CoCa) names what the grounded describer
finds, by comparing image and text embeddings over a vocabulary (no training).

- Vocabulary: the 1,000 ImageNet classes (with their WordNet synsets and hypernym tags) and common nouns
  of everyday photos that ImageNet lacks ("person", "beach", "sky"; their synsets from WordNet where it is
  installed), colour words and material words, each said in a prompt ("a photo of a dog.") and embedded
  once by the model's text tower (cached beside the pulled weights, keyed by the weights file).
- `regions=True` (`multicap describe --model clip-…`): the grounded describer's regions, people and layout
  (`multicap.describe.grounded`); each region's crop is named by the nearest noun, its colour and material
  by the nearest colour and material words. Nothing found: the whole image's nearest noun, as a guess.
- `regions=False` (the index and compare, where speed matters): the whole image only, one forward pass of
  the vision-language model; its most probable nouns are the objects.
- CoCa: the caption level is the model's own sentence (greedy decoding); other models say the caption
  from the facts, as the grounded describer does.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from multicap.describe.colours import image_colour_attributes
from multicap.describe.description import DescribedBatch, Description
from multicap.describe.grounded import GroundedDescriber, LoadedImage, grounded_describer
from multicap.describe.verbalize import GUESS, verbalize
from multicap.encoders.clip_models import weights_dir
from multicap.encoders.vision_language import create_vision_language
from multicap.errors import ConfigError
from multicap.facts.geometry import position_of, size_of
from multicap.facts.scene import SceneFacts, SceneObject
from multicap.facts.versions import ZERO_SHOT
from multicap.io import load_image
from multicap.text.imagenet import imagenet_concepts
from multicap.text.wordnet import open_wordnet

__all__ = ["COLOURS", "MATERIALS", "Noun", "ZeroShotDescriber", "nouns", "zeroshot_describer"]

COLOURS = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white", "grey")
MATERIALS = (
    "wood",
    "metal",
    "glass",
    "plastic",
    "stone",
    "fabric",
    "paper",
    "leather",
    "ceramic",
    "concrete",
)
# Everyday things and places of photos that are not among the ImageNet classes.
_EVERYDAY = (
    "person", "man", "woman", "child", "baby", "crowd", "face", "hand", "beach", "sky", "sea", "lake",
    "river", "mountain", "hill", "forest", "tree", "grass", "field", "garden", "flower", "snow", "sand",
    "road", "street", "city", "building", "house", "bridge", "tower", "church", "room", "kitchen",
    "bedroom", "office", "table", "chair", "bed", "window", "door", "wall", "floor", "car", "bus", "bicycle",
    "motorcycle", "train", "boat", "airplane", "horse", "cow", "sheep", "bird", "cat", "dog", "fish", "food",
    "fruit", "cake", "bread", "coffee", "cup", "bottle", "plate", "book", "phone", "computer", "screen",
    "sign", "painting", "statue", "toy", "ball", "bag", "shoe", "hat", "clothing", "sunset", "cloud",
)  # fmt: skip
_PROMPT = "a photo of a {}."
_COLOUR_PROMPT = "a photo of something {}."
_MATERIAL_PROMPT = "a photo of something made of {}."
_MAX_OBJECTS = 3  # whole-image naming: at most this many nouns
_MIN_PROB = 0.1  # whole-image naming: a noun after the first needs this probability
# A region the grounded describer only guessed at keeps its "perhaps" when renamed, unless the model gives
# its own name more than this probability (likelier than all others together): a review's finding.
_SURE_NAME = 0.5
_HYPERNYM_TAGS = 4  # WordNet hypernyms kept as tags of an everyday noun


@dataclass(frozen=True)
class Noun:
    name: str
    wnid: str  # WordNet 3.0 synset ("" where WordNet is not installed)
    tags: tuple[str, ...]  # hypernyms a user would search by, nearest first


@lru_cache(maxsize=1)
def nouns() -> tuple[Noun, ...]:
    """The vocabulary of things: the ImageNet classes, then the everyday nouns they lack."""
    out = [Noun(c.name, c.wnid, c.tags) for c in imagenet_concepts()]
    known = {n.name for n in out}
    try:
        wn: Any = open_wordnet()
    except ConfigError:
        wn = None
    for word in (w for w in _EVERYDAY if w not in known):
        synsets = wn.synsets(word) if wn is not None else []
        if not synsets:
            out.append(Noun(word, "", ()))
            continue
        tags, node = [], synsets[0]
        for _ in range(_HYPERNYM_TAGS):
            up = wn.related(node, "@")
            if not up:
                break
            node = up[0]
            tags.append(node.name)
        out.append(Noun(word, synsets[0].wnid, tuple(tags)))
    return tuple(out)


@dataclass
class _Texts:
    nouns: np.ndarray  # (V, E) unit prompt embeddings
    colours: np.ndarray  # (C, E)
    materials: np.ndarray  # (M, E)


def _text_side(encoder: Any) -> _Texts:
    """The vocabulary's embeddings, from the cache where the same weights made them before."""
    prompts = (
        [_PROMPT.format(n.name) for n in nouns()]
        + [_COLOUR_PROMPT.format(c) for c in COLOURS]
        + [_MATERIAL_PROMPT.format(m) for m in MATERIALS]
    )
    cache = _cache_file(encoder, prompts)
    emb = None
    if cache is not None and cache.is_file():
        loaded = np.load(cache, allow_pickle=False)
        emb = loaded if loaded.shape[0] == len(prompts) else None
    if emb is None:
        emb = np.asarray(encoder.embed_text(prompts), np.float32)
        if cache is not None:
            _keep(cache, emb)
    v, c = len(nouns()), len(COLOURS)
    return _Texts(emb[:v], emb[v : v + c], emb[v + c :])


def _keep(cache: Path, emb: np.ndarray) -> None:
    """Write the vocabulary's embeddings to `cache` for the next run; where that cannot be written (weights
    shared read-only, no home) the next run embeds them again: it had failed every command."""
    tmp = cache.with_name(cache.name + ".tmp")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            np.save(f, emb, allow_pickle=False)
        tmp.replace(cache)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _cache_file(encoder: Any, prompts: list[str]) -> Path | None:
    """Keyed by the weights file (path, size, mtime) and the prompts; None for random weights."""
    source = Path(encoder.weights)
    if not source.exists():
        return None
    st = source.stat()
    key = hashlib.sha256(f"{source.resolve()}|{st.st_size}|{st.st_mtime_ns}|{'|'.join(prompts)}".encode())
    return weights_dir() / ".vocabulary" / f"{key.hexdigest()[:24]}.npy"


class ZeroShotDescriber:
    """Images → `Description`s named by a vision-language model; see the module docstring."""

    def __init__(
        self,
        model: str,
        *,
        device: str = "cpu",
        regions: bool = True,
        people: bool = True,
        top_k: int | None = None,
        min_confidence: float | None = None,
    ) -> None:
        self.encoder: Any = create_vision_language(model, device=device)
        self.name = self.encoder.name
        self.grounded: GroundedDescriber | None = (
            grounded_describer(device=device, people=people, top_k=top_k, min_confidence=min_confidence)
            if regions
            else None
        )
        self.levels: tuple[str, ...] = (
            ("object", "attribute", "layout", "caption") if regions else ("object", "attribute", "caption")
        )
        self.version = ZERO_SHOT + (f" over {self.grounded.version}" if self.grounded else "")
        self._texts = _text_side(self.encoder)
        self._scale = float(self.encoder.model.logit_scale.detach().exp())

    def load(self, path: Path) -> Any:
        """Decode one file (raises ImageLoadError): the grounded describer's input, or the model's."""
        if self.grounded is not None:
            return self.grounded.load(path)
        pre = self.encoder.preprocess
        img = load_image(path, min_short_side=pre.size)
        return LoadedImage(pre.to_uint8(img), img.size)

    def describe_batch(
        self, paths: Sequence[Path], loaded: Sequence[Any], levels: Sequence[str]
    ) -> DescribedBatch:
        if self.grounded is None:
            pixels = torch.stack([im.pixels for im in loaded])  # (B, 3, S, S)
            feats = self.encoder.encode_batch(pixels)
            facts = [self._whole(emb, im) for emb, im in zip(feats.pooled.numpy(), loaded, strict=True)]
        else:
            pixels = torch.stack([self._clip_pixels(im, (0.0, 0.0, 1.0, 1.0)) for im in loaded])
            feats = self.encoder.encode_batch(pixels)
            grounded = self.grounded.describe_batch(paths, loaded, ())
            facts = [
                self._named(d.facts or SceneFacts([], [], {}), im, emb)
                for d, im, emb in zip(grounded.descriptions, loaded, feats.pooled.numpy(), strict=True)
            ]
        captions = (
            self.encoder.caption(pixels)
            if "caption" in levels and self.encoder.captions
            else [None] * len(paths)
        )
        out = []
        for path, f, caption in zip(paths, facts, captions, strict=True):
            texts = {lv: caption if lv == "caption" and caption else verbalize(f, lv) for lv in levels}
            conf = round(float(np.mean([o.confidence for o in f.objects])), 4) if f.objects else None
            out.append(Description(Path(path), f, texts, {lv: conf for lv in levels} if conf else {}))
        return DescribedBatch(feats, out)

    def _probs(self, emb: np.ndarray, rows: np.ndarray) -> np.ndarray:
        logits = self._scale * (rows @ emb)  # (K,)
        logits = logits - logits.max()
        p = np.exp(logits)
        return p / p.sum()

    def _object(
        self, emb: np.ndarray, box: tuple[float, float, float, float], noun: int | None = None
    ) -> SceneObject:
        """An object in `box` whose embedding is `emb`: its nearest noun (or `noun`), colour and material."""
        p = self._probs(emb, self._texts.nouns)
        best = int(p.argmax()) if noun is None else noun
        said = nouns()[best]
        attributes = {
            "colour": COLOURS[int(self._probs(emb, self._texts.colours).argmax())],
            "material": MATERIALS[int(self._probs(emb, self._texts.materials).argmax())],
            "size": size_of(box),
            "position": position_of(box),
            "wnid": said.wnid,
            "tags": ", ".join(said.tags),
        }
        return SceneObject(said.name, round(float(p[best]), 4), box, attributes)

    def _whole(self, emb: np.ndarray, image: LoadedImage) -> SceneFacts:
        """Whole-image naming: the most probable nouns, each said of the whole image."""
        p = self._probs(emb, self._texts.nouns)
        top = [int(i) for i in np.argsort(-p)[:_MAX_OBJECTS]]
        top = [top[0]] + [i for i in top[1:] if p[i] >= _MIN_PROB]
        objects = [self._object(emb, (0.0, 0.0, 1.0, 1.0), i) for i in top]
        attrs = image_colour_attributes(image.pixels.permute(1, 2, 0).numpy())  # of the (S, S, 3) input
        ratio = image.size[0] / image.size[1]  # as the grounded describer says it
        attrs["orientation"] = "landscape" if ratio > 1.05 else "portrait" if ratio < 1 / 1.05 else "square"
        return SceneFacts(objects, [], attrs)

    def _named(self, facts: SceneFacts, image: LoadedImage, emb: np.ndarray) -> SceneFacts:
        """The grounded facts with each region (people aside) renamed by the model, from its crop."""
        regions = [i for i, o in enumerate(facts.objects) if o.label != "person"]
        if regions:
            crops = torch.stack([self._clip_pixels(image, facts.objects[i].box) for i in regions])
            embs = self.encoder.encode_batch(crops).pooled.numpy()  # (R, E)
            for i, crop_emb in zip(regions, embs, strict=True):
                old = facts.objects[i]
                new = self._object(crop_emb, old.box)
                if old.attributes.get("certainty") == GUESS and new.confidence < _SURE_NAME:
                    new.attributes["certainty"] = GUESS
                facts.objects[i] = new
        if not facts.objects:  # nothing found: the whole image's nearest noun, as a guess
            obj = self._object(emb, (0.0, 0.0, 1.0, 1.0))
            obj.attributes["certainty"] = GUESS
            facts.objects.append(obj)
        return facts

    def _clip_pixels(self, image: LoadedImage, box: tuple[float, float, float, float]) -> torch.Tensor:
        """The model's input for a box of the image (0..1 coordinates), from the largest copy loaded."""
        rgb = image.photo if image.photo is not None else image.pixels.permute(1, 2, 0).numpy()
        h, w = rgb.shape[:2]
        x0, y0, x1, y1 = box
        crop = Image.fromarray(np.ascontiguousarray(rgb)).crop(
            (
                round(x0 * w),
                round(y0 * h),
                max(round(x1 * w), round(x0 * w) + 1),
                max(round(y1 * h), round(y0 * h) + 1),
            )
        )
        return self.encoder.preprocess.to_uint8(crop)


def zeroshot_describer(model: str, *, device: str = "cpu", **options: Any) -> ZeroShotDescriber:
    """The zero-shot describer of `model` (a registered vision-language name or an open_clip folder)."""
    return ZeroShotDescriber(model, device=device, **options)
