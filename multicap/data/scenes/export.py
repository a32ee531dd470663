"""Write scenes in the formats other captioners read (DESIGN.md decision 8).

- `captions.jsonl`: one line per image: file, split, facts, every paraphrase at every level.
- `karpathy.json`: Karpathy split JSON; each sentence carries its `level`.
- `coco_captions_{split}.json`: COCO captions JSON per split; each annotation carries its `level`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from multicap.errors import DataError
from multicap.levels.facts import SceneFacts

__all__ = [
    "SceneRecord",
    "read_captions_jsonl",
    "write_captions_jsonl",
    "write_coco",
    "write_json_atomic",
    "write_karpathy",
]


_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")  # the words of parse.tokenize, without punctuation


@dataclass
class SceneRecord:
    """One image of a scenes dataset and all that is known about it."""

    index: int
    split: str
    facts: SceneFacts
    render_seed: int
    texts: dict[str, list[str]]  # level -> every paraphrase
    held_out: dict[str, list[list[str]]] | None = None  # the held-out combinations a test_comp scene holds

    @property
    def file(self) -> str:
        return f"images/{self.index:06d}.png"

    def to_json(self) -> dict[str, Any]:
        out = {
            "index": self.index,
            "file": self.file,
            "split": self.split,
            "render_seed": self.render_seed,
            "facts": _facts_json(self.facts),
            "texts": self.texts,
        }
        if self.held_out is not None:
            out["held_out"] = self.held_out
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SceneRecord:
        return cls(
            index=int(data["index"]),
            split=str(data["split"]),
            facts=SceneFacts.from_dict(data["facts"]),
            render_seed=int(data["render_seed"]),
            texts={k: list(v) for k, v in data["texts"].items()},
            held_out=data.get("held_out"),
        )


def _facts_json(facts: SceneFacts) -> dict[str, Any]:
    """`facts.to_dict()` built directly: dataclasses.asdict was the largest cost of writing the records."""
    objects = [
        {"label": o.label, "confidence": o.confidence, "box": list(o.box), "attributes": dict(o.attributes)}
        for o in facts.objects
    ]
    relations = [
        {"subject": r.subject, "predicate": r.predicate, "object": r.object} for r in facts.relations
    ]
    return {"objects": objects, "relations": relations, "image_attributes": dict(facts.image_attributes)}


def write_json_atomic(path: Path, obj: Any, indent: int | None = None) -> None:
    """Write JSON to a temporary file and rename it, so a reader never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=indent, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write_captions_jsonl(records: Iterable[SceneRecord], path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec.to_json(), ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def write_karpathy(records: Iterable[SceneRecord], path: Path, dataset: str = "scenes") -> None:
    """Karpathy split JSON; `filepath` is relative to the folder that holds the JSON file."""
    images, sent_id = [], 0
    for rec in records:
        sentences = []
        for level, texts in rec.texts.items():
            for raw in texts:
                sentences.append(
                    {
                        "raw": raw,
                        "tokens": tokenize_words(raw),
                        "level": level,
                        "sentid": sent_id,
                        "imgid": rec.index,
                    }
                )
                sent_id += 1
        images.append(
            {
                "filepath": "images",
                "filename": rec.file.rsplit("/", 1)[-1],
                "split": rec.split,
                "imgid": rec.index,
                "sentids": [s["sentid"] for s in sentences],
                "sentences": sentences,
            }
        )
    write_json_atomic(path, {"dataset": dataset, "images": images})


def tokenize_words(text: str) -> list[str]:
    """Karpathy-style tokens: lower-case words without punctuation (hyphenated words kept whole)."""
    return _WORD.findall(text.lower())


def write_coco(records: list[SceneRecord], folder: Path, size: int, splits: Iterable[str]) -> list[Path]:
    """One `coco_captions_{split}.json` per split; `file_name` is relative to `folder`."""
    written = []
    for split in splits:
        chosen = [r for r in records if r.split == split]
        annotations, ann_id = [], 0
        for rec in chosen:
            for level, texts in rec.texts.items():
                for raw in texts:
                    annotations.append({"id": ann_id, "image_id": rec.index, "caption": raw, "level": level})
                    ann_id += 1
        doc = {
            "info": {"description": f"multicap synthetic scenes, split {split}"},
            "licenses": [],
            "images": [{"id": r.index, "file_name": r.file, "width": size, "height": size} for r in chosen],
            "annotations": annotations,
        }
        path = folder / f"coco_captions_{split}.json"
        write_json_atomic(path, doc)
        written.append(path)
    return written


def read_captions_jsonl(
    path: str | Path, split: str | None = None, limit: int | None = None
) -> list[SceneRecord]:
    """Records from a scenes `captions.jsonl`, optionally only one split and only the first `limit`.

    Raises:
        DataError: the file is missing or a line is not a scene record.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file; generate a dataset with `multicap data scenes --out FOLDER`")
    records: list[SceneRecord] = []
    with path.open(encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if limit is not None and len(records) >= limit:
                break
            try:
                rec = SceneRecord.from_json(json.loads(line))
            except (ValueError, KeyError, TypeError) as exc:
                raise DataError(f"{path}:{line_no}: not a scene record ({exc})") from None
            if split is None or rec.split == split:
                records.append(rec)
    return records
