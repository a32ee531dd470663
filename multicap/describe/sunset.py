"""A sunset (or a sunrise, or dusk's afterglow) from the pixels of a photo of a wide scene: ImageNet has
no class for it, "sunset" is among the words users type most for landscapes, and the sky finder
(`multicap.describe.sky`) takes only blue to gray cells, so its warm light was said "a gray sky".

What sets a low sun's sky apart is its glow: cells smooth or softly clouded, warm (orange, gold, red or
pink), in the upper part of the photo, joined to the sky the sky finder found, reaching a side of the frame
(a horizon's light spans it), and brighter than the land below, which the low light leaves dark or in
silhouette. A sandstone monument lit by the midday sun is as warm, but it stands within the sky, and it is
textured (its carvings and joints) and no darker than the ground before it; an orange wall, fruit or fur
is not joined to any sky. The thresholds were chosen on two thirds of `benchmarks/sunsets.py`'s photos and
the real-photo benchmark's wide scenes, from three grids of 1,224 settings in all (at the one chosen, 6 of
their 10 sunsets found and 1 of 160 wide scenes without one said to have one, the pink Hawa Mahal; a
lake's pink dusk, left out as borderline, said to have one); the last third is held out.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from multicap.describe.colours import dominant_colours
from multicap.describe.sky import CELL, Sky
from multicap.facts.geometry import Box

__all__ = ["Sunset", "find_sunset"]

_UPPER = 0.7  # of the image's height: where the glow may be
_SMOOTH = 6.0  # mean |∇L| of a cell below which it is smooth enough to be lit sky (or soft cloud)
_WARM_CHROMA = 15.0  # CIELAB chroma from which a cell is coloured ...
_WARM_B = 12.0  # ... and b* above which it is orange to gold
_PINK_A = 8.0  # a* above which a cell (b* > _PINK_B) is pink to red
_PINK_B = -5.0
_GLOW_L = 35.0  # lightness from which a warm cell glows
_JOIN = 6  # cells (24 px) between the sky and the glow, whose meeting colours (or clouds) are neither
_LOWER = 0.3  # the bottom share of the image the glow must outshine
_MIN_SHARE = 0.04  # of the image the glow must cover
_CONTRAST = 10.0  # CIELAB lightness by which the glow must outshine the bottom of the image
_LIGHT = {"brown": "orange"}  # a glow's colour names: brown is a dark orange, which light is not said to be
_UNLIT = frozenset({"black", "gray", "white"})  # no colour said


@dataclass(frozen=True)
class Sunset:
    box: Box  # (x0, y0, x1, y1) in 0..1 of the glow
    share: float  # of the image the glow covers
    colour: str  # its dominant colour name ("orange", "yellow", "pink"), or "" where it has none


def find_sunset(rgb: np.ndarray, sky: Sky | None) -> Sunset | None:
    """The warm glow of a low sun in an (H, W, 3) uint8 RGB photo of a wide scene, or None.

    Args:
        rgb: the photo, (H, W, 3) uint8 (the encoder's squashed input).
        sky: what the sky finder found in it (its cells, and every cell's colour and texture), or None
            (then there is no sunset either: the glow must join the sky).
    """
    if sky is None:  # no sky: an orange wall over a dark floor is none either
        return None
    gh, gw = sky.cells.shape
    cl, ca, cb = sky.lab[..., 0], sky.lab[..., 1], sky.lab[..., 2]
    rough = sky.rough
    upper = np.zeros((gh, gw), bool)
    upper[: int(gh * _UPPER)] = True
    warm = (np.hypot(ca, cb) >= _WARM_CHROMA) & (cb > _WARM_B) & (ca > -4.0)
    pink = (ca > _PINK_A) & (cb > _PINK_B)
    lit = (warm | pink) & (cl >= _GLOW_L) & (rough < _SMOOTH) & upper
    count, labels = cv2.connectedComponents(lit.astype(np.uint8), connectivity=4)
    if count < 2:
        return None
    near = cv2.dilate(sky.cells.astype(np.uint8), np.ones((2 * _JOIN + 1,) * 2, np.uint8)) > 0
    joined = set(np.unique(labels[near & lit]).tolist()) - {0}
    if not joined:
        return None
    glow = np.isin(labels, list(joined))
    if not (glow[:, 0].any() or glow[:, -1].any()):  # a horizon's light spans the frame; a lit tower
        return None  #                                   stands within the sky
    share = float(glow.mean())
    if share < _MIN_SHARE or cl[glow].mean() - cl[int(gh * (1 - _LOWER)) :].mean() < _CONTRAST:
        return None
    rows, cols = np.nonzero(glow)
    box = (cols.min() / gw, rows.min() / gh, (cols.max() + 1) / gw, (rows.max() + 1) / gh)
    pixels = np.repeat(np.repeat(glow, CELL, 0), CELL, 1)  # the glow's cells at pixel resolution
    colour = dominant_colours(rgb[: gh * CELL, : gw * CELL][pixels], most=1)[0][0]
    colour = _LIGHT.get(colour, colour) if colour not in _UNLIT else ""
    return Sunset(tuple(round(float(v), 4) for v in box), round(share, 4), colour)  # type: ignore[arg-type]
