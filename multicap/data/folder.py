"""Caption folders: a folder of images with `captions.jsonl`, and scenes datasets (which are such folders).

`captions.jsonl` holds one JSON object per line (blank lines are skipped; lines naming the same file are
merged, so one caption per line works as well as one image per line):

    {"file": "dogs/1.jpg", "captions": ["a dog on a beach", "a brown dog runs"]}
    {"file": "dogs/2.jpg", "captions": {"object": ["two dogs"], "layout": ["a dog on the left"]}}
    {"file": "dogs/3.jpg", "caption": "two dogs and a ball", "level": "object", "split": "val"}

Keys: `file` (required; relative to the folder, or to `image_root`); `captions` (a list at level
"caption", or level -> list) or `texts` (the same, as the scenes generator writes it) or `caption` with an
optional `level`; `split` (default "train"); `image_id` (default `file`); `facts` (a `SceneFacts` dict).

A scenes dataset folder (`metadata.json` with format "multicap-scenes/1") is read from its own
`captions.jsonl`: every level, facts, the scene index as image id, and the dataset named
`scenes-seed{seed}` as its `karpathy.json` is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from multicap.data.corpus import Corpus, CorpusImage
from multicap.data.scenes.export import read_captions_jsonl
from multicap.data.scenes.generate import FORMAT as SCENES_FORMAT
from multicap.errors import DataError
from multicap.facts.scene import SceneFacts

__all__ = ["is_scenes_folder", "read_caption_folder", "read_scenes"]

CAPTIONS_FILE = "captions.jsonl"


def is_scenes_folder(folder: Path) -> bool:
    """Whether `folder/metadata.json` says it holds a scenes dataset."""
    return _scenes_meta(folder) is not None


def _scenes_meta(folder: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and meta.get("format") == SCENES_FORMAT else None


def read_scenes(folder: str | Path, *, image_root: Path | None = None) -> Corpus:
    """A scenes dataset folder written by `multicap data scenes`.

    Raises:
        DataError: the folder holds no scenes dataset, or its generation did not finish.
    """
    folder = Path(folder)
    meta = _scenes_meta(folder)
    if meta is None:
        raise DataError(
            f"{folder}/metadata.json: not a scenes dataset; generate one with `multicap data scenes`"
        )
    if meta.get("status") != "complete" or not (folder / CAPTIONS_FILE).exists():
        raise DataError(
            f"{folder}: the scenes dataset is incomplete; rerun `multicap data scenes` with the same options"
        )
    root = image_root if image_root is not None else folder
    images = [
        CorpusImage(
            root / rec.file, rec.split, {k: list(v) for k, v in rec.texts.items()}, rec.facts, str(rec.index)
        )
        for rec in read_captions_jsonl(folder / CAPTIONS_FILE)
    ]
    seed = meta.get("config", {}).get("seed", 0)
    return Corpus(f"scenes-seed{seed}", images)


def read_caption_folder(path: str | Path, *, image_root: Path | None = None) -> Corpus:
    """A folder with `captions.jsonl`, or that file itself (see the module docstring for its lines).

    Raises:
        DataError: the file is missing, or a line is not JSON or lacks `file` or captions.
    """
    path = Path(path)
    jsonl = path / CAPTIONS_FILE if path.is_dir() else path
    if not jsonl.exists():
        raise DataError(
            f"{path}: no {CAPTIONS_FILE} here; give a folder with {CAPTIONS_FILE}, "
            "a Karpathy or COCO caption JSON file, or a scenes dataset folder"
        )
    root = image_root if image_root is not None else jsonl.parent
    merged: dict[str, _Entry] = {}
    with jsonl.open(encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                _merge(merged, json.loads(line))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise DataError(
                    f"{jsonl}:{line_no}: not a caption record ({exc}); see multicap.data.folder"
                ) from None
    images = [
        CorpusImage(root / file, e.split, e.captions, e.facts, e.image_id) for file, e in merged.items()
    ]
    return Corpus(jsonl.parent.name, images)


class _Entry:
    """One image's record while lines are merged."""

    def __init__(self, split: str, image_id: str) -> None:
        self.split = split
        self.image_id = image_id
        self.captions: dict[str, list[str]] = {}
        self.facts: SceneFacts | None = None


def _merge(merged: dict[str, _Entry], line: dict[str, Any]) -> None:
    if not isinstance(line, dict) or not isinstance(line.get("file"), str):
        raise ValueError("each line needs a 'file' string")
    file = line["file"]
    entry = merged.get(file)
    if entry is None:
        entry = merged[file] = _Entry(str(line.get("split", "train")), str(line.get("image_id", file)))
    for level, texts in _captions_of(line).items():
        entry.captions.setdefault(level, []).extend(texts)
    if line.get("facts") is not None:
        entry.facts = SceneFacts.from_dict(line["facts"])


def _captions_of(line: dict[str, Any]) -> dict[str, list[str]]:
    """level -> sentences from `captions`, `texts` or `caption` (+ `level`)."""
    if "caption" in line:
        if not isinstance(line["caption"], str):
            raise ValueError("'caption' must be a string")
        return {str(line.get("level", "caption")): [line["caption"]]}
    found = line.get("captions", line.get("texts"))
    if isinstance(found, list):
        found = {str(line.get("level", "caption")): found}
    if not isinstance(found, dict):
        raise ValueError("give 'captions' (a list, or level -> list), 'texts' or 'caption'")
    out = {}
    for level, texts in found.items():
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise ValueError(f"captions at level {level!r} must be a list of strings")
        out[str(level)] = list(texts)
    return out
