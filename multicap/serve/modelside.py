"""What the server does with the index's model (torch): describe and search an upload, compare images,
attention overlays. The server imports this module by name from a background thread (`app.MODEL_SIDE`),
so that its first page never waits for torch (about 2.3 s of import).

Every function is one call into the library, its result put in JSON terms."""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from multicap.captioning.attention_maps import attention_overlay
from multicap.compare import (
    DEFAULT_THRESHOLD,
    ImageSet,
    SetComparison,
    collect_images,
    compare_copy,
    compare_in_set,
    compare_set,
    duplicate_groups,
)
from multicap.compare.run import judge_pair
from multicap.compare.verify import PairCheck
from multicap.describe import description_json, summarize_set
from multicap.errors import ConfigError
from multicap.index.models import IndexModel, open_index_model, tag_phrases
from multicap.io import json_name, load_image

__all__ = ["attention", "compare_paths", "compare_whole", "describe_file", "open_model"]

_LEVELS = ("object", "attribute", "layout")
_OVERLAY_SIDE = 224  # attention overlays are drawn at the size the encoder saw


def open_model(root: Path, device: str) -> IndexModel:
    """The model the index was built with (`multicap.index.models.open_index_model`)."""
    return open_index_model(root, device=device)


def describe_file(model: IndexModel, path: Path, name: str) -> dict[str, Any]:
    """`multicap describe --json` of one file, at every level the index's model says, named `name`.

    Raises:
        ImageLoadError: the file cannot be decoded (multicap.io's checks).
    """
    _, said = model.process([path], [model.load(path)])
    out = description_json(said[0].description)
    out.update(path=json_name(name), tags=tag_phrases(out.get("facts"), said[0].tags))
    return out


def compare_paths(
    model: Callable[[], IndexModel], root: Path, paths: Sequence[Path], names: Sequence[str], level: str
) -> dict[str, Any]:
    """Two or more images: what they share and what sets each apart (`summarize_set`), every pair's
    differences per level (`compare_in_set`; `compare_copy` for two of one duplicate group) and the
    near-duplicate groups, as `multicap compare` says."""
    images = collect_images(paths, index_root=root, model=model)
    if len(images) < 2:
        raise ConfigError("a comparison needs two readable images")
    named = dict(zip(map(str, paths), names, strict=True))
    same = PairCheck.of_paths(images.paths)
    groups = duplicate_groups(
        images.signatures, DEFAULT_THRESHOLD, embeddings=images.embeddings, same=same, share=same.share
    )  # as `multicap compare` groups a set (a copy turned a quarter or made grey too)
    group_of = {m: k for k, g in enumerate(groups) for m in g.members}
    cache: dict[int, np.ndarray | None] = {}
    pairs = []
    for i in range(len(images)):
        for j in range(i + 1, len(images)):
            if len(images) == 2:  # as `multicap compare A B` judges a pair (a copy turned or cropped too)
                compared, copy, copied, why_not = judge_pair(images)
            else:  # as the set's near-duplicate groups have them
                copy = i in group_of and group_of[i] == group_of.get(j)  # one photo: compared in one frame
                compared = (compare_copy if copy else compare_in_set)(images, i, j, cache)
                copied, why_not = compared.copied, ""
            pair = {**compared.to_dict(_LEVELS), "near_duplicate": copy, "copied": copied}
            pair |= {"why_not": why_not} if why_not else {}
            pairs.append({**pair, "a": named[str(images.paths[i])], "b": named[str(images.paths[j])]})
    said = summarize_set(images.descriptions, level)
    copies = {p for pair in pairs if pair["near_duplicate"] for p in (pair["a"], pair["b"])}
    for path in said.distinct:  # a copy shows nothing its photo does not: what it alone reads is misread
        said.distinct[path] = [] if named.get(path, path) in copies else said.distinct[path]
    summary = said.to_dict()
    summary["distinct"] = {named.get(p, p): f for p, f in summary["distinct"].items()}
    summary["text"] = said.render(lambda p: named.get(p, p))  # "only coffee.jpg (#3)": not its whole path
    return {
        "images": [named[str(p)] for p in images.paths],
        "set": summary,
        "pairs": pairs,
        "duplicates": (
            [[named[str(p)] for p in images.paths]]
            if len(images) == 2 and pairs[0]["near_duplicate"]
            else [[named[str(images.paths[m])] for m in g.members] for g in groups]
        ),  # two: by the pair's verdict, as `multicap compare A B`; more: the set's groups
        "failed": [json_name(f) for f in images.failed],
    }


def compare_whole(
    model: Callable[[], IndexModel], root: Path, paths: Sequence[Path], progress: Callable[[int], None]
) -> SetComparison:
    """`multicap compare` of every indexed file: duplicates, clusters, outliers (from the index's vectors
    and descriptions; the model only for a file changed since it was indexed)."""
    images: ImageSet = collect_images(paths, index_root=root, model=model, progress=progress)
    if not images.paths:
        raise ConfigError("none of the indexed files could be read")
    return compare_set(images)


def attention(model: IndexModel, path: Path, level: str) -> dict[str, Any]:
    """Where each word of the bundle's caption at `level` looked: per content word, its box and an
    overlay (PNG data URI: the image as the encoder saw it, darkened where the word did not look).

    Raises:
        ConfigError: the index's model gives no attention (the grounded describer).
    """
    if level not in model.levels:
        raise ConfigError(f"the index's model describes {', '.join(model.levels)}, not {level!r}")
    _, said = model.process([path], [model.load(path)])
    desc = said[0].description
    caption = desc.captions.get(level)
    if caption is None or caption.attention is None:
        raise ConfigError(f"the index's model ({model.name}) gives no attention maps: only a bundle does")
    side = math.isqrt(caption.attention.shape[1])
    grid = (side, caption.attention.shape[1] // side)
    seen = _encoder_view(path)
    # The content words in caption order, each with its own step's box: a word said twice ("a red cross
    # … a purple cross") is two entries, each paired with the step that said it.
    locations = iter(description_json(desc).get("locations", {}).get(level, []))
    pending = next(locations, None)
    words = []
    for word, alpha in zip(caption.tokens, caption.attention, strict=False):
        if pending is None or pending["word"] != word:
            continue  # function words and punctuation
        heat = attention_overlay(np.asarray(alpha), grid, seen.size)  # (H, W) in 0..1
        shaded = (np.asarray(seen, np.float32) * (0.25 + 0.75 * heat[..., None])).astype(np.uint8)
        words.append({**pending, "overlay": _png_uri(Image.fromarray(shaded))})
        pending = next(locations, None)
    return {"level": level, "caption": caption.text, "confidence": round(math.exp(caption.logprob), 4),
            "words": words}  # fmt: skip


def _encoder_view(path: Path) -> Image.Image:
    """The whole image, as the bundles' encoders see it (they squash it square), in its own shape, its
    long side `_OVERLAY_SIDE`: the attention spreads back over all of it, and a circle stays round (as
    `multicap attend` draws it)."""
    img = load_image(path, min_short_side=_OVERLAY_SIDE)
    scale = _OVERLAY_SIDE / max(img.size)
    shape = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img.convert("RGB").resize(shape, Image.Resampling.BICUBIC)


def _png_uri(img: Image.Image) -> str:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
