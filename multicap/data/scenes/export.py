"""Write scenes in the formats other captioners read (docs/architecture.md, decision 8).

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
from multicap.facts.scene import SceneFacts

__all__ = [
    "DatasetExporter",
    "SceneRecord",
    "export_records",
    "read_captions_jsonl",
    "tokenize_words",
    "write_json_atomic",
]


_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")  # the words of parse.tokenize, without punctuation
_SENTENCE_STRIDE = 100  # sentence and annotation ids: image index * 100 + k


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


def tokenize_words(text: str) -> list[str]:
    """Karpathy-style tokens: lower-case words without punctuation (hyphenated words kept whole)."""
    return _WORD.findall(text.lower())


def _sentences(rec: SceneRecord) -> list[tuple[int, str, str]]:
    """(id, level, text) of every sentence; ids are index * 100 + k, unique whatever order records come in."""
    flat = [(level, raw) for level, texts in rec.texts.items() for raw in texts]
    if len(flat) >= _SENTENCE_STRIDE:
        raise ValueError(f"scene {rec.index} has {len(flat)} sentences; at most {_SENTENCE_STRIDE - 1} fit")
    return [(rec.index * _SENTENCE_STRIDE + k, level, raw) for k, (level, raw) in enumerate(flat)]


class DatasetExporter:
    """Collects records in any order (as worker processes finish them) and writes every format at the end.

    The per-record work (JSON lines, tokens, annotations) happens in `add`, so it overlaps with rendering;
    `finish` only sorts and joins.
    """

    def __init__(self, out: Path, size: int, dataset: str = "scenes") -> None:
        self.out, self.size, self.dataset = out, size, dataset
        self._lines: dict[int, str] = {}
        self._karpathy: dict[int, dict[str, Any]] = {}
        self._coco: dict[int, tuple[str, dict[str, Any], list[dict[str, Any]]]] = {}

    def add(self, rec: SceneRecord) -> None:
        self._lines[rec.index] = json.dumps(rec.to_json(), ensure_ascii=False)
        sentences = _sentences(rec)
        self._karpathy[rec.index] = {
            "filepath": "images",
            "filename": rec.file.rsplit("/", 1)[-1],
            "split": rec.split,
            "imgid": rec.index,
            "sentids": [sid for sid, _, _ in sentences],
            "sentences": [
                {"raw": raw, "tokens": tokenize_words(raw), "level": level, "sentid": sid, "imgid": rec.index}
                for sid, level, raw in sentences
            ],
        }
        image = {"id": rec.index, "file_name": rec.file, "width": self.size, "height": self.size}
        annotations = [
            {"id": sid, "image_id": rec.index, "caption": raw, "level": level}
            for sid, level, raw in sentences
        ]
        self._coco[rec.index] = (rec.split, image, annotations)

    def finish(self) -> list[Path]:
        """Write captions.jsonl, karpathy.json and coco_captions_{split}.json; returns the paths written."""
        order = sorted(self._lines)
        jsonl = self.out / "captions.jsonl"
        tmp = jsonl.with_name(jsonl.name + ".tmp")
        tmp.write_text("".join(self._lines[i] + "\n" for i in order), encoding="utf-8")
        os.replace(tmp, jsonl)
        karpathy = self.out / "karpathy.json"
        write_json_atomic(karpathy, {"dataset": self.dataset, "images": [self._karpathy[i] for i in order]})
        written = [jsonl, karpathy]
        splits: dict[str, list[int]] = {}
        for i in order:
            splits.setdefault(self._coco[i][0], []).append(i)
        for split, ids in splits.items():
            doc = {
                "info": {"description": f"multicap synthetic scenes, split {split}"},
                "licenses": [],
                "images": [self._coco[i][1] for i in ids],
                "annotations": [a for i in ids for a in self._coco[i][2]],
            }
            written.append(self.out / f"coco_captions_{split}.json")
            write_json_atomic(written[-1], doc)
        return written


def export_records(
    records: Iterable[SceneRecord], out: Path, size: int, dataset: str = "scenes"
) -> list[Path]:
    """captions.jsonl, Karpathy JSON and COCO captions JSON of `records` in `out`."""
    exporter = DatasetExporter(out, size, dataset)
    for rec in records:
        exporter.add(rec)
    return exporter.finish()


def read_captions_jsonl(
    path: str | Path, split: str | None = None, limit: int | None = None
) -> list[SceneRecord]:
    """Records from a scenes `captions.jsonl`, optionally only one split and only the first `limit`.

    Raises:
        DataError: the file is missing or a line is not a scene record.
    """
    path = Path(path)
    if not path.exists():
        if _unfinished(path.parent):  # a generation stopped before its end writes captions.jsonl last
            raise DataError(
                f"{path.parent}: its generation was stopped before the end; run the `multicap data scenes"
                f" --out {path.parent}` that made it again (the same options) to finish it"
            )
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


def _unfinished(folder: Path) -> bool:
    """Whether `folder`'s metadata.json says a scenes dataset's generation began and did not end."""
    try:
        return (
            json.loads((folder / "metadata.json").read_text(encoding="utf-8")).get("status") == "incomplete"
        )
    except (OSError, ValueError, AttributeError):
        return False
