"""Structured scene facts: the one definition of what an image holds, shared by every describer.

Boxes are `(x0, y0, x1, y1)` in 0..1 image coordinates, y growing downwards.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["LEVELS", "Relation", "SceneFacts", "SceneObject"]

# The levels of description (DESIGN.md decision 3); `caption` is the plain sentence of datasets.
LEVELS: tuple[str, ...] = ("object", "attribute", "layout", "caption")


@dataclass
class SceneObject:
    label: str  # readable name: "circle", "golden retriever"
    confidence: float = 1.0  # 1.0 for ground truth
    box: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)  # (x0, y0, x1, y1) in 0..1
    attributes: dict[str, str] = field(default_factory=dict)  # {"colour": "red", "size": "large"}


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
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SceneFacts:
        objects = [
            SceneObject(
                label=o["label"],
                confidence=float(o.get("confidence", 1.0)),
                box=tuple(o.get("box", (0.0, 0.0, 1.0, 1.0))),
                attributes=dict(o.get("attributes", {})),
            )
            for o in data.get("objects", [])
        ]
        relations = [Relation(r["subject"], r["predicate"], r["object"]) for r in data.get("relations", [])]
        return cls(objects, relations, dict(data.get("image_attributes", {})))
