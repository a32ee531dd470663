"""The sky of an outdoor photo, from its pixels: ImageNet has no sky class, and "sky" is among the words
users type most for landscapes.

Sky is taken to be what it looks like in daylight photos (as in Luo and Etz's sky detection, 2002): a
smooth region, blue, or white to gray (overcast), or the pale yellow to pink of a sunset's light, that
touches the top edge of the image and lies in its upper part. Smoothness is what sets it apart from blue
walls of texture, water with waves and white buildings: the mean lightness gradient of its cells is low.
The caller asks only of photos the classifier sees as wide scenes (`multicap.describe.grounded`), so a
product shot on a white background is never asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from multicap.describe.colours import dominant_colours, srgb_to_lab
from multicap.facts.geometry import Box

__all__ = ["CELL", "Sky", "find_sky"]

CELL = 4  # px of the input per cell of the map the sky is found on (56 × 56 cells at 224 px)
_SMOOTH = 2.5  # mean |∇L| (CIELAB lightness per pixel) of a cell below which it counts as smooth
_BLUE_B = -6.0  # CIELAB b* below which a cell is blue enough
_BLUE_L = 15.0  # ... and lightness above which (a dusk sky is dark)
_PALE_L = 70.0  # lightness above which a grayish cell (chroma below _PALE_CHROMA) can be overcast sky
_PALE_CHROMA = 14.0
_MIN_SHARE = 0.08  # of the image the sky must cover


@dataclass(frozen=True)
class Sky:
    box: Box  # (x0, y0, x1, y1) in 0..1, y downwards
    share: float  # of the image it covers
    colour: str  # its dominant colour name ("blue", "white", "gray")
    cells: np.ndarray = field(compare=False, repr=False)  # (h/4, w/4) bool: where it is, a cell per 4 × 4 px
    # every cell's mean CIELAB colour (h/4, w/4, 3) and mean |∇L| (h/4, w/4): what a sunset is found from
    lab: np.ndarray = field(compare=False, repr=False)
    rough: np.ndarray = field(compare=False, repr=False)


def find_sky(rgb: np.ndarray, *, pale_ok: bool = True) -> Sky | None:
    """The sky of an (H, W, 3) uint8 RGB photo, or None when no smooth sky-coloured region touches its top.

    Args:
        rgb: the photo, (H, W, 3) uint8.
        pale_ok: whether a white to gray region may be (overcast) sky; a white wall, paper or a studio's
            backdrop look the same, so the caller allows it only with more evidence of the outdoors.
    """
    h, w = rgb.shape[:2]
    gh, gw = h // CELL, w // CELL
    if gh < 4 or gw < 4:
        return None
    lab = srgb_to_lab(rgb[: gh * CELL, : gw * CELL])  # (h, w, 3)
    light = lab[..., 0]
    grad = np.zeros_like(light)
    grad[:, 1:] += np.abs(np.diff(light, axis=1))
    grad[1:, :] += np.abs(np.diff(light, axis=0))
    cells = lab.reshape(gh, CELL, gw, CELL, 3).mean(axis=(1, 3))  # (gh, gw, 3) mean colour per cell
    rough = grad.reshape(gh, CELL, gw, CELL).mean(axis=(1, 3))  # (gh, gw) mean gradient per cell
    cl, ca, cb = cells[..., 0], cells[..., 1], cells[..., 2]
    chroma = np.hypot(ca, cb)
    # A pale sky is the brightest part of an outdoor photo; a gray studio backdrop is not.
    pale = (cl > _PALE_L) & (chroma < _PALE_CHROMA) & pale_ok  # white to gray: overcast, if allowed
    coloured = ((cb < _BLUE_B) & (cl > _BLUE_L)) | pale
    candidate = (coloured & (rough < _SMOOTH)).astype(np.uint8)
    count, labels = cv2.connectedComponents(candidate, connectivity=4)
    touching = set(np.unique(labels[0][candidate[0] > 0]).tolist()) - {0}
    if count < 2 or not touching:
        return None
    region = np.isin(labels, list(touching))  # (gh, gw) bool
    share = float(region.mean())
    rows, cols = np.nonzero(region)
    if share < _MIN_SHARE:
        return None
    box = (cols.min() / gw, 0.0, (cols.max() + 1) / gw, (rows.max() + 1) / gh)
    pixels = np.repeat(np.repeat(region, CELL, 0), CELL, 1)  # (h, w) the region at pixel resolution
    colour = dominant_colours(rgb[: gh * CELL, : gw * CELL][pixels], most=1)[0][0]
    box4 = tuple(round(float(v), 4) for v in box)
    return Sky(box4, round(share, 4), colour, region, cells, rough)  # type: ignore[arg-type]
