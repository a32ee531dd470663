"""Read captions to score: COCO result files, COCO caption annotations and Karpathy split JSON.

- Predictions, the COCO result format: `[{"image_id": 42, "caption": "a dog on a beach"}, ...]`, with an
  optional `"level"` per entry ("object", "attribute", "layout"; "caption" when absent).
- References, either a COCO captions annotation file (`{"annotations": [{"image_id", "caption"}, ...]}`,
  level "caption") or a Karpathy split JSON (read by `multicap.data.karpathy`; sentences keep their level,
  images are keyed by cocoid or imgid, or by file name when a file has neither).

Image ids that are integers (42, 42.0), or strings of an integer's digits ("42", not "042"), become ints;
others stay strings; so 42, 42.0 and "42" match, and "042" and "42" stay two images.

As coco-caption scores the images of the result file (`params['image_id'] = cocoRes.getImgIds()`), the
references' images without a prediction are left out (said through `left_out`), and captions are tokenised
in the order of the references' images (its lexer reads across captions).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from multicap.data.karpathy import read_karpathy
from multicap.errors import DataError
from multicap.evaluation.captions import DEFAULT_METRICS, CaptionScores, evaluate_levels, image_key

__all__ = [
    "coco_split_of",
    "evaluate_files",
    "image_key",
    "only_predicted",
    "read_predictions",
    "read_references",
]

DEFAULT_LEVEL = "caption"


def read_predictions(path: str | Path, unlabelled: str = DEFAULT_LEVEL) -> dict[str, dict[Any, str]]:
    """level -> image id -> caption, from a COCO result file, an object of image id → caption, or the
    per-image scores `multicap evaluate --out` writes (its captions, level by level, to score again against
    other references). An entry without a level is of the level `unlabelled`.

    Raises:
        DataError: the file is missing or not JSON, an entry lacks image_id or caption, or an image has two
            captions at the same level.
    """
    doc = _load_json(path, lines=True)
    if isinstance(doc, dict) and isinstance(doc.get("levels"), dict):  # `evaluate --out`'s document
        doc = [
            {**row, "level": level}
            for level, entry in doc["levels"].items()
            for row in (entry.get("images") or [] if isinstance(entry, dict) else [])
            if not isinstance(row, dict) or row.get("caption") != ""  # "": an image with no caption
        ]
    if isinstance(doc, dict) and doc and all(isinstance(v, str) for v in doc.values()):  # {id: caption}
        doc = [{"image_id": k, "caption": v} for k, v in doc.items()]  # (had been refused)
    if not isinstance(doc, list):
        raise DataError(
            f"{path}: expected a JSON list of {{'image_id', 'caption'}} objects (COCO result format) or an "
            "object of image id → caption"
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
        level = str(entry.get("level") or unlabelled)  # null: no level, as absent
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


def coco_split_of(path: str | Path) -> str | None:
    """The split a COCO caption annotation file is, by its name: the word after "captions_"
    (captions_val2014.json: val2014; coco_captions_test_comp.json: test_comp), or None."""
    stem = Path(path).stem
    return stem.split("captions_", 1)[1] or None if "captions_" in stem else None


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
        own = coco_split_of(path)
        if split is not None and split != own:  # its own split named is no error (the help says so)
            said = f"is one split ({own}, from its name)" if own else "has no splits"
            raise DataError(f"{path}: a COCO annotation file {said}; drop --split or use Karpathy JSON")
        images = doc.get("images")
        return _coco_references(doc["annotations"], images if isinstance(images, list) else [], path)
    if isinstance(doc, dict) and isinstance(doc.get("images"), list):
        return _karpathy_references(path, split)
    raise DataError(f"{path}: neither COCO caption annotations ('annotations') nor Karpathy JSON ('images')")


def _coco_references(
    annotations: list[Any], images: list[Any], path: str | Path
) -> dict[str, dict[Any, list[str]]]:
    """level -> image id -> captions: an annotation's optional "level" (the scenes' `coco_captions_*.json`
    write one: object, attribute, layout, caption) keeps the levels apart, as Karpathy JSON does; without
    it every caption is of the caption level (the levels had been merged: a caption scored against the
    references of all four). Images come in the order of the file's "images" list, as pycocotools lists
    them (and coco-caption tokenises them), then any others in the order their captions come."""
    refs: dict[str, dict[Any, list[str]]] = {}
    for i, ann in enumerate(annotations):
        if not isinstance(ann, dict) or "image_id" not in ann or not isinstance(ann.get("caption"), str):
            raise DataError(f"{path}: annotation {i} needs an 'image_id' and a 'caption' string")
        level = str(ann.get("level") or DEFAULT_LEVEL)  # null: no level, as absent
        refs.setdefault(level, {}).setdefault(image_key(ann["image_id"]), []).append(ann["caption"])
    if not refs:
        raise DataError(f"{path}: the annotation file holds no captions")
    listed = [image_key(im["id"]) for im in images if isinstance(im, dict) and "id" in im]
    for level, by_image in refs.items():
        ordered = {k: by_image[k] for k in listed if k in by_image}
        refs[level] = ordered | {k: v for k, v in by_image.items() if k not in ordered}
    return refs


def _karpathy_references(path: str | Path, split: str | None) -> dict[str, dict[Any, list[str]]]:
    """level -> image id -> captions of a Karpathy file's split. "restval" is a split of its own here (it
    counts as train for training); an id two images share is refused (their captions had been merged)."""
    dataset = read_karpathy(path, splits=None if split is None else {split}, merge_restval=split != "restval")
    if not dataset.images:
        raise DataError(f"{path}: no images in split {split!r}" if split else f"{path}: no images")
    out: dict[str, dict[Any, list[str]]] = {}
    seen: dict[Any, str] = {}
    for im in dataset.images:
        key = image_key(im.image_id if im.image_id is not None else im.path.name)
        if key in seen:
            raise DataError(
                f"{path}: {seen[key]} and {im.path.name} have the same id {key!r}; each image needs its own"
            )
        seen[key] = im.path.name
        for sentence in im.sentences:
            out.setdefault(sentence.level, {}).setdefault(key, []).append(sentence.raw)
    return out


def only_predicted(
    predictions: dict[str, dict[Any, str]], references: dict[str, dict[Any, list[str]]]
) -> tuple[dict[str, dict[Any, list[str]]], dict[str, int]]:
    """The references of the predicted images only, level by level (in the references' order), and how
    many images each level left out: coco-caption scores the result file's images."""
    kept: dict[str, dict[Any, list[str]]] = {}
    left: dict[str, int] = {}
    for level, by_image in references.items():
        predicted = predictions.get(level, {})
        kept[level] = {k: v for k, v in by_image.items() if k in predicted}
        if not kept[level]:  # no prediction matches: kept whole, to be said a mismatch (or not scored)
            kept[level] = by_image
        elif len(kept[level]) < len(by_image):
            left[level] = len(by_image) - len(kept[level])
    return kept, left


def _load_json(path: str | Path, lines: bool = False) -> Any:
    """The file's JSON; with `lines`, a JSON Lines file of objects is read as their list."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # a byte-order mark (Windows' editors) had failed
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder; give a JSON file") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if lines and exc.msg == "Extra data":
            try:
                rows = [json.loads(line) for line in text.splitlines() if line.strip()]
            except json.JSONDecodeError:
                rows = []
            if rows and all(isinstance(r, dict) for r in rows):
                return rows
        raise DataError(f"{path}: not valid JSON ({exc})") from None


def evaluate_files(
    predictions: str | Path,
    references: str | Path,
    split: str | None = None,
    metrics: Sequence[str] = DEFAULT_METRICS,
    left_out: Callable[[str, int, int], None] | None = None,
) -> dict[str, CaptionScores]:
    """Score a COCO result file against COCO caption annotations or Karpathy JSON, level by level.

    The references' images without a prediction are left out, as coco-caption leaves them; `left_out` is
    called with (level, images left out, images scored) for each level that leaves any. A prediction with
    no level is of the caption level, or of the references' only level.

    Raises:
        DataError: a file cannot be read, or a predicted image has no references.
    """
    references_read = read_references(references, split)
    # predictions that name no level are of the references' one where they have only one (a file of object
    # references had refused them: "no references at level caption")
    only = next(iter(references_read)) if len(references_read) == 1 else DEFAULT_LEVEL
    predicted = read_predictions(predictions, unlabelled=only)
    refs, left = only_predicted(predicted, references_read)
    scores = evaluate_levels(predicted, refs, metrics=metrics)
    for level, n in left.items():  # said once scored (it had been said before a mismatch failed)
        if left_out is not None:
            left_out(level, n, len(refs[level]))
    return scores
