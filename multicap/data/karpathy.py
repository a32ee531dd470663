"""Read Karpathy split JSON (COCO, Flickr8k, Flickr30k, and the scenes generator's export).

The format: `{"dataset": name, "images": [{"filename", "filepath"?, "split", "sentences": [{"raw",
"tokens"?, "level"?}], "imgid"|"cocoid"?, "level"?}]}`. A sentence's `level` wins over its image's; without
either the level is "caption" (docs/architecture.md, decision 3).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from multicap.errors import DataError

__all__ = ["KarpathyDataset", "KarpathyImage", "Sentence", "read_karpathy"]


@dataclass(frozen=True)
class Sentence:
    level: str  # "object", "attribute", "layout" or "caption"
    raw: str  # the sentence as written
    tokens: tuple[str, ...]  # the file's own tokens, lower case; () if none (`loading`: when they count)


@dataclass
class KarpathyImage:
    path: Path  # the image file: root / filepath / filename
    split: str  # "train", "val", "test" (restval merged into train unless asked otherwise), or the file's own
    sentences: list[Sentence]
    image_id: int | None = None  # imgid, or cocoid where there is one

    def texts(self, level: str | None = None) -> list[str]:
        return [s.raw for s in self.sentences if level is None or s.level == level]


@dataclass
class KarpathyDataset:
    name: str
    images: list[KarpathyImage] = field(default_factory=list)

    def split(self, name: str) -> list[KarpathyImage]:
        return [im for im in self.images if im.split == name]

    def levels(self) -> list[str]:
        return sorted({s.level for im in self.images for s in im.sentences})


def _tokens(sentence: dict[str, Any]) -> tuple[str, ...]:
    toks = sentence.get("tokens")
    return tuple(str(t).lower() for t in toks) if isinstance(toks, list) else ()


def _image(entry: Any, pos: int, root: Path, merge_restval: bool) -> KarpathyImage:
    if not isinstance(entry, dict) or "filename" not in entry or "sentences" not in entry:
        raise DataError(f"image {pos} has no 'filename' or no 'sentences'; is this Karpathy split JSON?")
    if not isinstance(entry["sentences"], list) or not all(isinstance(s, dict) for s in entry["sentences"]):
        raise DataError(f"image {pos}: 'sentences' must be a list of objects ({{\"raw\": ...}})")
    image_level = str(entry.get("level", "caption"))
    sentences = [
        Sentence(level=str(s.get("level", image_level)), raw=_raw(s, pos, j), tokens=_tokens(s))
        for j, s in enumerate(entry["sentences"])
    ]
    split = str(entry.get("split", "train"))
    if merge_restval and split == "restval":
        split = "train"
    return KarpathyImage(
        path=root / str(entry.get("filepath", "")) / str(entry["filename"]),
        split=split,
        sentences=sentences,
        image_id=_image_id(entry, pos),
    )


def _raw(sentence: dict[str, Any], pos: int, j: int) -> str:
    """The sentence as written: its "raw", else its "tokens" joined (a reference without either had been
    scored as an empty caption, 0 in silence)."""
    raw = sentence.get("raw")
    if raw is None and isinstance(sentence.get("tokens"), list) and sentence["tokens"]:
        return " ".join(str(t) for t in sentence["tokens"])
    if not isinstance(raw, str):
        raise DataError(f"image {pos}: sentence {j} has no 'raw' text (got {raw!r})")
    return raw


def _image_id(entry: dict[str, Any], pos: int) -> int | None:
    """cocoid, or else imgid: a whole number (an int, or its digits as a string); None without either."""
    name = "cocoid" if "cocoid" in entry else "imgid"
    value = entry.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.isascii() and value.isdigit() and str(int(value)) == value:
        return int(value)  # "42"; not "042" or " 42", which predictions would hold as other images
    raise DataError(f"image {pos}: {name} {value!r} is not a whole number written plainly")


def read_karpathy(
    path: str | Path,
    image_root: str | Path | None = None,
    splits: set[str] | None = None,
    merge_restval: bool = True,
) -> KarpathyDataset:
    """Load a Karpathy split JSON file.

    Args:
        path: the JSON file (dataset_coco.json, dataset_flickr8k.json, karpathy.json of scenes...).
        image_root: the folder image paths are relative to; by default the folder holding `path`.
        splits: keep only these splits (after restval is merged); None keeps all.
        merge_restval: count COCO's "restval" images as "train", as Karpathy's own training code does.

    Raises:
        DataError: the file is missing, not JSON, or not in Karpathy's format.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise DataError(f"{path}: no such file; give the path of a Karpathy split JSON file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("images"), list):
        raise DataError(f"{path}: no 'images' list; is this Karpathy split JSON?")
    root = Path(image_root) if image_root is not None else path.parent
    try:
        images = [_image(e, i, root, merge_restval) for i, e in enumerate(doc["images"])]
    except DataError as exc:  # which file: the entry's own message names only its place
        raise DataError(f"{path}: {exc}") from None
    if splits is not None:
        images = [im for im in images if im.split in splits]
    return KarpathyDataset(name=str(doc.get("dataset", path.stem)), images=images)
