"""Where things are: 3×3 position words, pairwise relations between boxes, sizes, and settings.

Position words and the left/right/above/below/next-to rule are those of the synthetic scenes
(multicap.data.scenes), so grounded facts and scene facts compare directly; "around" is added for a box
that holds another.
"""

from __future__ import annotations

from multicap.levels.facts import Relation, SceneObject

__all__ = [
    "POSITIONS",
    "SETTINGS",
    "chain_relations",
    "position_of",
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

# ImageNet classes that name a place rather than a thing → how a sentence says the image is there.
SETTINGS: dict[str, str] = {
    "seashore": "on a seashore", "lakeside": "by a lake", "sandbar": "on a sandbar",
    "promontory": "on a headland", "cliff": "on a cliff", "alp": "in the mountains",
    "valley": "in a valley", "volcano": "by a volcano", "coral reef": "on a coral reef",
    "geyser": "by a geyser", "breakwater": "by a breakwater", "dock": "at a dock",
    "boathouse": "by a boathouse", "library": "in a library", "restaurant": "in a restaurant",
    "grocery store": "in a grocery store", "bakery": "in a bakery", "bookshop": "in a bookshop",
    "toyshop": "in a toyshop", "barbershop": "in a barbershop", "butcher shop": "in a butcher shop",
    "confectionery": "in a sweet shop", "shoe shop": "in a shoe shop", "tobacco shop": "in a tobacco shop",
    "cinema": "at a cinema", "home theater": "in a home theatre", "planetarium": "at a planetarium",
    "church": "at a church", "monastery": "at a monastery", "palace": "at a palace",
    "greenhouse": "in a greenhouse", "patio": "on a patio", "prison": "at a prison",
    "fountain": "by a fountain", "stage": "on a stage", "bell cote": "by a church",
    "steel arch bridge": "by a bridge", "suspension bridge": "by a bridge", "pier": "by a pier",
    "picket fence": "by a fence", "worm fence": "by a fence",
}  # fmt: skip

_NEXT_TO_GAP = (
    0.05  # boxes closer than this along the dominant axis, and overlapping across it, are "next to"
)


def position_of(box: Box) -> str:
    """The 3×3 cell of the box's centre: "top left" … "center" … "bottom right"."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    col, row = min(int(cx * 3), 2), min(int(cy * 3), 2)
    return POSITIONS[3 * row + col]


def size_of(box: Box) -> str:
    """Relative size from the box's share of the image: small (< 10%), medium, large (> 40%)."""
    area = (box[2] - box[0]) * (box[3] - box[1])
    return "small" if area < 0.1 else "large" if area > 0.4 else "medium"


def _area(b: Box) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _intersection(a: Box, b: Box) -> float:
    return _area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def relation_between(a: Box, b: Box) -> str:
    """Where box `a` lies relative to box `b`: "around" when `a` holds most of a much smaller `b`;
    otherwise the synthetic scenes' rule (the dominant axis of the centre offset), with a photo's gap."""
    from multicap.data.scenes.sampler import relation_between as scene_relation  # lazy: no import cycle

    if _area(b) > 0 and _intersection(a, b) / _area(b) > 0.9 and _area(a) > 2 * _area(b):
        return "around"
    return scene_relation(a, b, next_to_gap=_NEXT_TO_GAP)


def chain_relations(objects: list[SceneObject]) -> list[Relation]:
    """Each object relative to the one before it: the relations a layout sentence states."""
    return [
        Relation(k, relation_between(objects[k].box, objects[k - 1].box), k - 1)
        for k in range(1, len(objects))
    ]
