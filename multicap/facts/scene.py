"""Structured scene facts: the one definition of what an image holds, shared by every describer.

Boxes are `(x0, y0, x1, y1)` in 0..1 image coordinates, y growing downwards.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["LEVELS", "Relation", "SceneFacts", "SceneObject"]

# The levels of description (docs/architecture.md, decision 3); `caption` is the plain sentence of datasets.
LEVELS: tuple[str, ...] = ("object", "attribute", "layout", "caption")


@dataclass
class SceneObject:
    label: str  # readable name: "circle", "golden retriever"
    confidence: float = 1.0  # 1.0 for ground truth
    box: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)  # (x0, y0, x1, y1) in 0..1
    attributes: dict[str, str] = field(default_factory=dict)  # {"colour": "red", "size": "large"}
    read_confidence: float | None = None  # read from a caption: the least probability the decoder gave the
    #                                       words that name and qualify it ("large", "cyan", "circle")


@dataclass
class Relation:
    subject: int  # index into SceneFacts.objects
    predicate: str  # "left of", "right of", "above", "below", "next to", "around"
    object: int  # index into SceneFacts.objects


@dataclass
class SceneFacts:
    objects: list[SceneObject] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    image_attributes: dict[str, str] = field(default_factory=dict)  # {"background": "stripes", ...}

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for obj in out["objects"]:
            if obj["read_confidence"] is None:
                del obj["read_confidence"]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SceneFacts:
        objects = [
            SceneObject(
                label=o["label"],
                confidence=float(o.get("confidence", 1.0)),
                box=tuple(o.get("box", (0.0, 0.0, 1.0, 1.0))),
                attributes=dict(o.get("attributes", {})),
                read_confidence=o.get("read_confidence"),
            )
            for o in data.get("objects", [])
        ]
        relations = [Relation(r["subject"], r["predicate"], r["object"]) for r in data.get("relations", [])]
        return cls(objects, relations, dict(data.get("image_attributes", {})))
