"""A copy compared in its original's frame: a cropped, turned, rotated, resized or mirrored copy's objects
and pixels carried into the frame of the photo it was made from, so that what the crop kept is not said to
differ.

Two descriptions of one photo framed two ways disagree on every position and size (a crop makes a medium horse
large) and on whatever the describer read differently in the two framings; the pixel change map
(`multicap.compare.change`) compares the two images cell by cell, unaligned, so a crop changed every cell and
filtered nothing. With the similarity transform that carries a's keypoints onto b's (`verify.alignment`:
rotation, scale and shift, fitted by RANSAC, and a flip for a mirrored copy), b's pixels are warped into a's
frame and b's boxes carried there too; a's boxes are cut to what b shows, and both say their positions and
sizes again in a's frame. The change map then counts only the cells that both show; a thing of either that
lies mostly where the other shows nothing (a crop's cut-away border) is what that one left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np
from PIL import Image

from multicap.compare.change import GRID, SIDE, changed_cells, pixels
from multicap.describe.description import Description
from multicap.facts import SceneFacts, SceneObject
from multicap.facts.geometry import position_of, size_of

__all__ = ["Aligned", "align_pair", "frame_in_a", "shown_share"]

Box = tuple[float, float, float, float]
_SIDE = 320  # px: the long side both images are compared at (at most), before the change map squashes them
_SHOWN = 0.9  # a cell b shows at least this much of is compared; less, it is cut away
_STILL = 0.01  # a box moved less than this (a share of the frame) in every coordinate stays as described
_LEFT_OUT = 0.5  # a thing of a whose box b shows less of than this was left out of the copy


@dataclass
class Aligned:
    a: Description  # a, less what b does not show, its boxes cut to what b shows of them
    b: Description  # b, less what a does not show, its boxes carried into a's frame
    changed: np.ndarray  # (GRID, GRID) bool: where both show the photo and b's pixels differ from a's
    compared: np.ndarray  # (GRID, GRID) bool: the cells both show, where `changed` could be said
    only_a: list[SceneObject]  # a's things that lie mostly where b shows nothing (in a's frame)
    only_b: list[SceneObject]  # b's things that lie mostly where a shows nothing (in b's frame)


def align_pair(
    pair: tuple[Image.Image, Image.Image],
    descriptions: tuple[Description, Description],
    matrix: np.ndarray,
    *,
    grey: bool = False,
) -> Aligned:
    """Images a and b, one a copy of the other (`matrix`, (2, 3): a's points onto b's, both in units of
    their image's long side), and their descriptions → both in a's frame. A thing of either that the other
    image shows less than half of (a crop's cut-away border; two crops of one photo each show what the
    other cut) is set apart. `grey`: compare brightness alone (one is a grey copy: every cell lost its
    colour, which says nothing of what changed in it)."""
    a, b = pair
    desc_a, desc_b = descriptions
    side = min(_SIDE, max(a.size), max(b.size))  # the smaller one's detail: a half-size copy is no change
    small_a, small_b = _small(a, grey, side), _small(b, grey, side)
    moved = np.array(matrix, dtype=np.float64)
    moved[:, 2] *= side  # the shift, from long-side units to pixels at `side`
    (ha, wa), (hb, wb) = small_a.shape[:2], small_b.shape[:2]
    back = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP  # `moved` carries a's pixels onto b's
    warped = cv2.warpAffine(small_b, moved, (wa, ha), flags=back, borderValue=(0, 0, 0))
    in_a = cv2.warpAffine(np.full((hb, wb), 255, np.uint8), moved, (wa, ha), flags=back, borderValue=0)
    in_b = cv2.warpAffine(np.full((ha, wa), 255, np.uint8), moved, (wb, hb), borderValue=0)  # a's, in b
    compared = _cells(in_a) >= _SHOWN
    changed = changed_cells(pixels(Image.fromarray(small_a)), pixels(Image.fromarray(warped))) & compared
    only_a = [o for o in _objects(desc_a) if _shown_part(o.box, in_a) < _LEFT_OUT]
    only_b = [o for o in _objects(desc_b) if _shown_part(o.box, in_b) < _LEFT_OUT]
    frame = _box_in_a((0.0, 0.0, 1.0, 1.0), matrix, a.size, b.size)  # b's frame, in a's
    return Aligned(
        _boxes(_without(desc_a, only_a), lambda box: _cut(box, frame) or box),
        _boxes(_without(desc_b, only_b), lambda box: _box_in_a(box, matrix, a.size, b.size)),
        changed,
        compared,
        only_a,
        only_b,
    )


def shown_share(matrix: np.ndarray, size_a: tuple[int, int], size_b: tuple[int, int]) -> float:
    """The share of a's frame that b shows (1 for a copy of the whole, 0.64 for a crop to 80 % a side)."""
    x0, y0, x1, y1 = frame_in_a(matrix, size_a, size_b)
    return (x1 - x0) * (y1 - y0)


def frame_in_a(matrix: np.ndarray, size_a: tuple[int, int], size_b: tuple[int, int]) -> Box:
    """The box of a's frame (0..1) that holds b's whole frame, b a copy of a carried there by `matrix`."""
    return _box_in_a((0.0, 0.0, 1.0, 1.0), matrix, size_a, size_b)


def _small(image: Image.Image, grey: bool, side: int) -> np.ndarray:
    """(H, W, 3) uint8: the image (its grey, with `grey`), its long side at `side` px."""
    rgb = image.convert("L").convert("RGB") if grey else image.convert("RGB")
    scale = side / max(rgb.size)
    size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
    return np.asarray(rgb.resize(size, Image.Resampling.BILINEAR))


def _cells(mask: np.ndarray) -> np.ndarray:
    """(GRID, GRID) float: the mean of a 0/255 mask over each cell (as `change.pixels` squashes)."""
    squashed = cv2.resize(mask.astype(np.float32) / 255.0, (SIDE, SIDE), interpolation=cv2.INTER_AREA)
    cell = SIDE // GRID
    return squashed.reshape(GRID, cell, GRID, cell).mean(axis=(1, 3))


def _shown_part(box: Box, seen: np.ndarray) -> float:
    """How much of a box (0..1 of its image's frame) the other image shows: the mean of `seen` (that image
    warped into this one's frame, 255 where it shows it) over the box's pixels, at least one."""
    h, w = seen.shape
    c0, r0 = min(int(box[0] * w), w - 1), min(int(box[1] * h), h - 1)
    c1, r1 = max(int(np.ceil(box[2] * w)), c0 + 1), max(int(np.ceil(box[3] * h)), r0 + 1)
    return float(seen[r0:r1, c0:c1].mean()) / 255.0


def _box_in_a(box: Box, matrix: np.ndarray, size_a: tuple[int, int], size_b: tuple[int, int]) -> Box:
    """A box of b (0..1 of b's width and height) as the box, in a's 0..1, that holds its four corners."""
    (wa, ha), (wb, hb) = size_a, size_b
    long_a, long_b = max(wa, ha), max(wb, hb)
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], dtype=np.float64) * (
        wb / long_b,
        hb / long_b,
    )
    linear, shift = matrix[:, :2].astype(np.float64), matrix[:, 2].astype(np.float64)
    in_a = (corners - shift) @ np.linalg.inv(linear).T * (long_a / wa, long_a / ha)  # (4, 2), a's 0..1
    lo, hi = np.clip(in_a.min(axis=0), 0.0, 1.0), np.clip(in_a.max(axis=0), 0.0, 1.0)
    return (round(float(lo[0]), 4), round(float(lo[1]), 4), round(float(hi[0]), 4), round(float(hi[1]), 4))


def _cut(box: Box, frame: Box) -> Box | None:
    """The part of `box` inside `frame`, or None where they do not meet."""
    x0, y0, x1, y1 = (
        max(box[0], frame[0]),
        max(box[1], frame[1]),
        min(box[2], frame[2]),
        min(box[3], frame[3]),
    )
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def _objects(desc: Description) -> list[SceneObject]:
    return list(desc.facts.objects) if desc.facts is not None else []


def _without(desc: Description, left_out: list[SceneObject]) -> Description:
    """`desc` less the objects `left_out` (and the relations that name them)."""
    if desc.facts is None or not left_out:
        return desc
    kept = [k for k, o in enumerate(desc.facts.objects) if not any(o is x for x in left_out)]
    index = {old: new for new, old in enumerate(kept)}
    relations = [
        replace(r, subject=index[r.subject], object=index[r.object])
        for r in desc.facts.relations
        if r.subject in index and r.object in index
    ]
    facts = SceneFacts([desc.facts.objects[k] for k in kept], relations, dict(desc.facts.image_attributes))
    return replace(desc, facts=facts)


def _boxes(desc: Description, move: Callable[[Box], Box]) -> Description:
    """`desc` with every object's box moved by `move`, its position and size said again."""
    if desc.facts is None:
        return desc
    objects = [_moved(o, move(o.box)) for o in desc.facts.objects]
    facts = SceneFacts(objects, list(desc.facts.relations), dict(desc.facts.image_attributes))
    return replace(desc, facts=facts)


def _moved(obj: SceneObject, box: Box) -> SceneObject:
    """`obj` at `box`, its position and size said there; as it was where the box hardly moved (a copy of
    the whole: the describer's own words stay)."""
    if max(abs(p - q) for p, q in zip(box, obj.box, strict=True)) < _STILL:
        return obj
    attributes = dict(obj.attributes)
    if "position" in attributes:
        attributes["position"] = position_of(box)
    if "size" in attributes:
        attributes["size"] = size_of(box)
    return replace(obj, box=box, attributes=attributes)
