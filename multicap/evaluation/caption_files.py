"""Read captions to score: COCO result files, COCO caption annotations and Karpathy split JSON.

- Predictions, the COCO result format: `[{"image_id": 42, "caption": "a dog on a beach"}, ...]`, with an
  optional `"level"` per entry ("object", "attribute", "layout"; "caption" when absent).
- References, either a COCO captions annotation file (`{"annotations": [{"image_id", "caption"}, ...]}`,
  level "caption") or a Karpathy split JSON (read by `multicap.data.karpathy`; sentences keep their level,
  images are keyed by cocoid or imgid, or by file name when a file has neither).

Image ids that are integers, or strings of digits, become ints; others stay strings; so 42 and "42" match.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from multicap.data.karpathy import read_karpathy
from multicap.errors import DataError
from multicap.evaluation.captions import DEFAULT_METRICS, CaptionScores, evaluate_levels

__all__ = ["evaluate_files", "image_key", "read_predictions", "read_references"]

DEFAULT_LEVEL = "caption"


def read_predictions(path: str | Path) -> dict[str, dict[Any, str]]:
    """level -> image id -> caption, from a COCO result file.

    Raises:
        DataError: the file is missing or not JSON, an entry lacks image_id or caption, or an image has two
            captions at the same level.
    """
    doc = _load_json(path)
    if not isinstance(doc, list):
        raise DataError(
            f"{path}: expected a JSON list of {{'image_id', 'caption'}} objects (COCO result format)"
        )
    out: dict[str, dict[Any, str]] = {}
    duplicates = []
    for i, entry in enumerate(doc):
        if (
            not isinstance(entry, dict)
            or "image_id" not in entry
            or not isinstance(entry.get("caption"), str)
        ):
            raise DataError(
                f"{path}: entry {i} needs an 'image_id' and a 'caption' string (COCO result format)"
            )
        level = str(entry.get("level") or DEFAULT_LEVEL)  # null: no level, as absent
        key = image_key(entry["image_id"])
        if key in out.setdefault(level, {}):
            duplicates.append(key)
        out[level][key] = entry["caption"]
    if duplicates:
        shown = ", ".join(repr(d) for d in duplicates[:5])
        raise DataError(f"{path}: {len(duplicates)} image(s) have more than one caption, e.g. {shown}")
    if not out:
        raise DataError(f"{path}: no predictions in the file")
    return out


def read_references(path: str | Path, split: str | None = None) -> dict[str, dict[Any, list[str]]]:
    """level -> image id -> reference captions, from COCO caption annotations or Karpathy split JSON.

    Args:
        path: the annotation file.
        split: for Karpathy JSON, keep only this split ("test", "val", ...); None keeps all images.

    Raises:
        DataError: the file is missing, not JSON, in neither format, or `split` selects nothing.
    """
    doc = _load_json(path)
    if isinstance(doc, dict) and isinstance(doc.get("annotations"), list):
        if split is not None:
            raise DataError(
                f"{path}: a COCO annotation file has no splits; drop --split or use Karpathy JSON"
            )
        return _coco_references(doc["annotations"], path)
    if isinstance(doc, dict) and isinstance(doc.get("images"), list):
        return _karpathy_references(path, split)
    raise DataError(f"{path}: neither COCO caption annotations ('annotations') nor Karpathy JSON ('images')")


def image_key(value: Any) -> Any:
    """An image id as multicap compares them: ints (or digit strings) as int, anything else as str."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return value
    text = str(value)
    return int(text) if text.isdigit() else text


def _coco_references(annotations: list[Any], path: str | Path) -> dict[str, dict[Any, list[str]]]:
    """level -> image id -> captions: an annotation's optional "level" (the scenes' `coco_captions_*.json`
    write one: object, attribute, layout, caption) keeps the levels apart, as Karpathy JSON does; without
    it every caption is of the caption level (the levels had been merged: a caption scored against the
    references of all four)."""
    refs: dict[str, dict[Any, list[str]]] = {}
    for i, ann in enumerate(annotations):
        if not isinstance(ann, dict) or "image_id" not in ann or not isinstance(ann.get("caption"), str):
            raise DataError(f"{path}: annotation {i} needs an 'image_id' and a 'caption' string")
        level = str(ann.get("level") or DEFAULT_LEVEL)  # null: no level, as absent
        refs.setdefault(level, {}).setdefault(image_key(ann["image_id"]), []).append(ann["caption"])
    if not refs:
        raise DataError(f"{path}: the annotation file holds no captions")
    return refs


def _karpathy_references(path: str | Path, split: str | None) -> dict[str, dict[Any, list[str]]]:
    dataset = read_karpathy(path, splits=None if split is None else {split})
    if not dataset.images:
        raise DataError(f"{path}: no images in split {split!r}" if split else f"{path}: no images")
    out: dict[str, dict[Any, list[str]]] = {}
    for im in dataset.images:
        key = image_key(im.image_id if im.image_id is not None else im.path.name)
        for sentence in im.sentences:
            out.setdefault(sentence.level, {}).setdefault(key, []).append(sentence.raw)
    return out


def _load_json(path: str | Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder; give a JSON file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None


def evaluate_files(
    predictions: str | Path,
    references: str | Path,
    split: str | None = None,
    metrics: Sequence[str] = DEFAULT_METRICS,
) -> dict[str, CaptionScores]:
    """Score a COCO result file against COCO caption annotations or Karpathy JSON, level by level.

    Raises:
        DataError: a file cannot be read, or the two files do not hold the same images at a level.
    """
    return evaluate_levels(read_predictions(predictions), read_references(references, split), metrics=metrics)
