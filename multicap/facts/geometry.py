"""Where things are: boxes, 3×3 position words, sizes, and the relation between two boxes.

One definition for every describer and dataset: the grounded describer places what it finds with it, the
neural describer places the cells a word attended to, and the synthetic scenes generator draws its ground
truth with it, so facts from any of them compare directly. Boxes are `(x0, y0, x1, y1)` in 0..1 image
coordinates, y growing downwards.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from multicap.facts.scene import Relation, SceneObject

__all__ = [
    "CANONICAL_PREDICATES",
    "INVERSE_PREDICATE",
    "NEXT_TO_GAP",
    "POSITIONS",
    "PREDICATES",
    "Box",
    "canonical_relation",
    "chain_relations",
    "orient",
    "position_of",
    "reading_order",
    "relation_between",
    "size_of",
]

Box = tuple[float, float, float, float]

# The cell of a 3×3 grid holding a box's centre, row-major from the top left.
POSITIONS: tuple[str, ...] = (
    "top left", "top", "top right",
    "left", "center", "right",
    "bottom left", "bottom", "bottom right",
)  # fmt: skip

PREDICATES: tuple[str, ...] = ("left of", "right of", "above", "below", "next to")
INVERSE_PREDICATE: dict[str, str] = {
    "left of": "right of",
    "right of": "left of",
    "above": "below",
    "below": "above",
    "next to": "next to",
}
# One direction of each inverse pair, used to compare relations whichever way a sentence states them.
CANONICAL_PREDICATES: tuple[str, ...] = ("right of", "below", "next to")

NEXT_TO_GAP = 0.06  # side by side and closer than this (a fraction of the image side): "next to"


def position_of(box: Box) -> str:
    """The 3×3 cell of the box's centre: "top left" … "center" … "bottom right"."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    col, row = min(int(cx * 3), 2), min(int(cy * 3), 2)
    return POSITIONS[3 * row + col]


def size_of(box: Box) -> str:
    """Relative size from the box's share of the image: small (< 10%), medium, large (> 40%)."""
    area = (box[2] - box[0]) * (box[3] - box[1])
    return "small" if area < 0.1 else "large" if area > 0.4 else "medium"


def reading_order(obj: SceneObject) -> tuple[int, float, float]:
    """Sort key: the row of the 3×3 grid that holds the box centre, then the centre's x, then its y."""
    x0, y0, x1, y1 = obj.box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return min(int(cy * 3), 2), cx, cy


def _area(b: Box) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _intersection(a: Box, b: Box) -> float:
    return _area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def relation_between(a: Box, b: Box, *, next_to_gap: float = NEXT_TO_GAP, around: bool = False) -> str:
    """Where box `a` lies relative to box `b`: the dominant axis of the centre offset decides ("left of",
    "right of", "above", "below"), and two boxes side by side closer than `next_to_gap` are "next to".

    With `around` (photos, where boxes nest), `a` is "around" `b` when it holds most of a much smaller `b`.
    """
    if around and _area(b) > 0 and _intersection(a, b) / _area(b) > 0.9 and _area(a) > 2 * _area(b):
        return "around"
    dx = (a[0] + a[2] - b[0] - b[2]) / 2
    dy = (a[1] + a[3] - b[1] - b[3]) / 2
    if abs(dx) >= abs(dy):
        h_gap = max(a[0], b[0]) - min(a[2], b[2])
        v_overlap = min(a[3], b[3]) - max(a[1], b[1])
        if h_gap < next_to_gap and v_overlap > 0:
            return "next to"
        return "right of" if dx > 0 else "left of"
    return "below" if dy > 0 else "above"


def chain_relations(objects: list[SceneObject], *, next_to_gap: float = NEXT_TO_GAP) -> list[Relation]:
    """Each object relative to the one before it (boxes may nest): the relations a layout sentence states."""
    return [
        Relation(k, relation_between(a.box, b.box, next_to_gap=next_to_gap, around=True), k - 1)
        for k, (b, a) in enumerate(pairwise(objects), start=1)
    ]


def orient(relation: Relation, objects: list[SceneObject]) -> Relation:
    """The same relation in canonical direction ("right of", "below" or "next to"; the ends of a "next to"
    ordered by label), so relation tuples keyed by labels compare directly."""
    s, p, o = relation.subject, relation.predicate, relation.object
    if p not in CANONICAL_PREDICATES:
        s, p, o = o, INVERSE_PREDICATE[p], s
    if p == "next to" and (objects[o].label, o) < (objects[s].label, s):
        s, o = o, s
    return Relation(s, p, o)


def canonical_relation(subject: Any, predicate: str, obj: Any) -> tuple[Any, str, Any]:
    """The same relation stated in one canonical direction ("a left of b" becomes "b right of a").

    `subject` and `obj` are object indices as strings or descriptions (tuples whose parts may be None,
    where a parsed sentence left an attribute unsaid).
    """
    if predicate not in CANONICAL_PREDICATES:
        subject, predicate, obj = obj, INVERSE_PREDICATE[predicate], subject
    if predicate == "next to" and _order_key(obj) < _order_key(subject):  # symmetric: order the two ends
        subject, obj = obj, subject
    return subject, predicate, obj


def _order_key(end: Any) -> Any:
    """A sortable key for a relation's end: None (an attribute not stated) sorts before any word."""
    if isinstance(end, tuple):
        return tuple((part is not None, part or "") for part in end)
    return end
