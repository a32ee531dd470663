"""A copy compared in its original's frame: a cropped, turned, rotated or resized copy's objects and pixels
carried into the frame of the photo it was made from, so that what the crop kept is not said to differ.

Two descriptions of one photo framed two ways disagree on every position and size (a crop makes a
medium horse large) and on whatever the describer read differently in the two framings; the pixel
change map (`multicap.compare.change`) compares the two images cell by cell, unaligned, so a crop changed
every cell and filtered nothing. With the similarity transform that carries a's keypoints onto b's
(`verify.alignment`: rotation, scale and shift, fitted by RANSAC), b's pixels are warped into a's frame
(where b shows nothing of a, a crop's cut-away border, the cells changed: what was cut away differs) and
b's boxes are carried there too; a's boxes are cut to what b shows, and both say their positions and
sizes again in a's frame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import cv2
import numpy as np
from PIL import Image

from multicap.compare.change import changed_cells, pixels
from multicap.describe.description import Description
from multicap.facts import SceneFacts, SceneObject
from multicap.facts.geometry import position_of, size_of

__all__ = ["aligned_changes", "in_frame_of", "shown_share"]

Box = tuple[float, float, float, float]
_SIDE = 320  # px: the long side both images are compared at before the change map squashes them


def in_frame_of(
    a: Description, b: Description, matrix: np.ndarray, size_a: tuple[int, int], size_b: tuple[int, int]
) -> tuple[Description, Description]:
    """a's and b's descriptions in a's frame, where both show it: b's boxes carried into a's frame
    (`matrix`, (2, 3): a's points onto b's, both in units of their image's long side; `size_a`, `size_b`:
    the images' (width, height)), a's cut to what b shows of it (a crop makes nothing smaller), and the
    positions and sizes of both said again. An object of a that b does not show at all stays as it was."""
    shown = _box_in_a((0.0, 0.0, 1.0, 1.0), matrix, size_a, size_b)  # b's frame, in a's
    return (
        _boxes(a, lambda box: _cut(box, shown) or box),
        _boxes(b, lambda box: _box_in_a(box, matrix, size_a, size_b)),
    )


def shown_share(matrix: np.ndarray, size_a: tuple[int, int], size_b: tuple[int, int]) -> float:
    """The share of a's frame that b shows (1 for a copy of the whole, 0.67 for a crop of two thirds)."""
    x0, y0, x1, y1 = _box_in_a((0.0, 0.0, 1.0, 1.0), matrix, size_a, size_b)
    return (x1 - x0) * (y1 - y0)


def aligned_changes(a: Image.Image, b: Image.Image, matrix: np.ndarray, *, grey: bool = False) -> np.ndarray:
    """(GRID, GRID) bool (`change.changed_cells`): where b, warped into a's frame, differs from a; what b
    does not show of a (a crop's border) differs. `grey`: compare brightness alone (b is a grey copy:
    every cell lost its colour, which says nothing of what changed in it)."""
    small_a, small_b = _small(a, grey), _small(b, grey)
    moved = np.array(matrix, dtype=np.float64)
    moved[:, 2] *= _SIDE  # the shift, from long-side units to pixels at `_SIDE`
    h, w = small_a.shape[:2]
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    warped = cv2.warpAffine(small_b, moved, (w, h), flags=flags, borderValue=(0, 0, 0))
    return changed_cells(pixels(Image.fromarray(small_a)), pixels(Image.fromarray(warped)))


def _small(image: Image.Image, grey: bool) -> np.ndarray:
    """(H, W, 3) uint8: the image (its grey, with `grey`), its long side at `_SIDE` px (as
    `verify.keypoints` sees it)."""
    rgb = image.convert("L").convert("RGB") if grey else image.convert("RGB")
    scale = _SIDE / max(rgb.size)
    size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
    return np.asarray(rgb.resize(size, Image.Resampling.BILINEAR))


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


def _boxes(desc: Description, move: Callable[[Box], Box]) -> Description:
    """`desc` with every object's box moved by `move`, its position and size said again."""
    if desc.facts is None:
        return desc
    objects = [_moved(o, move(o.box)) for o in desc.facts.objects]
    facts = SceneFacts(objects, list(desc.facts.relations), dict(desc.facts.image_attributes))
    return replace(desc, facts=facts)


def _moved(obj: SceneObject, box: Box) -> SceneObject:
    attributes = dict(obj.attributes)
    if "position" in attributes:
        attributes["position"] = position_of(box)
    if "size" in attributes:
        attributes["size"] = size_of(box)
    return replace(obj, box=box, attributes=attributes)
