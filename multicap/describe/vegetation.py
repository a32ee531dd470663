"""Grass, trees and foliage in a photo, from its pixels: ImageNet has no class for any of them, and they
are among the words users type most for outdoor photos.

Vegetation is taken to be what it looks like in daylight photos: green (CIELAB a* below -6, b* above -5:
the yellow-greens and greens of leaves and grass, not teal water) and textured (blades and leaves make a
high lightness gradient, where a green wall, a car or a smooth apple make a low one), over at least a
fifth of the image, or a tenth in a wide scene (a line of trees on a far shore). What it is called
follows the scene (`multicap.describe.grounded` says whether the classifier sees a wide scene): in a wide
scene it is trees where more of it lies above the image's bottom third than in it, else grass; in a
close-up it is grass where its strokes stand upright (blades), else foliage. On the tune photos of the
real-photo benchmark the green textured share was ≥ 0.23 on 12 of the 25 labelled with grass, trees,
leaves or moss, 0.10-0.17 on 3 wide scenes with a line of trees or a lawn (the rest hold less, or are
greyscale or autumnal), and ≤ 0.12 on every photo labelled with none but a green circuit board (0.80);
on the wide scenes labelled with none, ≤ 0.07.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from multicap.describe.colours import object_colours, srgb_to_lab
from multicap.facts.geometry import Box

__all__ = ["Vegetation", "find_vegetation", "green_texture"]

_CELL = 4  # px of the input per cell (56 × 56 cells at 224 px)
_GREEN_A = -6.0  # CIELAB a* below which a cell is green
_GREEN_B = -5.0  # ... and b* above which (below: blue-green water and glass)
_DARK_L = 15.0  # lightness above which (below: shadow, colour unreadable)
_ROUGH = 3.0  # mean |∇L| of a cell above which it is textured (the sky's smooth limit is 2.5)
_MIN_SHARE = 0.2  # of the image the green textured cells must cover
_MIN_SHARE_WIDE = 0.1  # ... in a wide scene, where trees far off are a band (tune photos without any: ≤ 0.07)
_BLADES = 5.0  # _upright above which a close-up's green texture is grass: a meadow seen close 12.9, leaves,
#                moss, ferns and a grass verge with flowers 0.35-3.1 (the tune and dev photos)
_Y = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)  # linear sRGB → luminance (D65)
_LEVELS = np.arange(256, dtype=np.float32) / 255.0
_LINEAR = np.where(_LEVELS <= 0.04045, _LEVELS / 12.92, ((_LEVELS + 0.055) / 1.055) ** 2.4)  # 8-bit → linear


@dataclass(frozen=True)
class Vegetation:
    label: str  # "grass", "trees" or "foliage"
    box: Box  # (x0, y0, x1, y1) in 0..1, y downwards: the green textured cells' extent
    share: float  # of the image it covers
    colour: str  # its colour name ("green"; a chromatic colour before the black of its shadows)


def green_texture(rgb: np.ndarray) -> np.ndarray | None:
    """The cells of an (H, W, 3) uint8 RGB photo that are green and textured, (H/8, W/8) bool; None where
    the photo has too few cells to tell. The costly half of `find_vegetation` (0.7 ms at 224 px), which
    needs nothing but the pixels: the describer runs it in the threads that decode ahead."""
    h, w = rgb.shape[:2]
    gh, gw = h // _CELL, w // _CELL
    if gh < 3 or gw < 3:
        return None
    px = rgb[: gh * _CELL, : gw * _CELL]
    lin = _LINEAR[px]  # (h, w, 3) linear RGB, by table: a fifth of the cost of srgb_to_lab on every pixel
    light = 116.0 * np.cbrt(lin @ _Y) - 16.0  # (h, w) CIELAB lightness, Y > 0.009 (and near enough below)
    grad = np.zeros_like(light)
    grad[:, 1:] += np.abs(np.diff(light, axis=1))
    grad[1:, :] += np.abs(np.diff(light, axis=0))
    # Cell means by OpenCV's area resize (exact for whole cells), a twentieth of numpy's mean over axes.
    rough = cv2.resize(grad, (gw, gh), interpolation=cv2.INTER_AREA)  # (gh, gw) mean gradient per cell
    mean = cv2.resize(np.ascontiguousarray(px), (gw, gh), interpolation=cv2.INTER_AREA)  # (gh, gw, 3)
    cells = srgb_to_lab(mean)  # (gh, gw, 3)
    green = (cells[..., 1] < _GREEN_A) & (cells[..., 2] > _GREEN_B) & (cells[..., 0] > _DARK_L)
    region: np.ndarray = green & (rough > _ROUGH)  # (gh, gw) bool
    return region


def _upright(rgb: np.ndarray, region: np.ndarray) -> float:
    """How much more the lightness changes across than along the image's height in the green textured cells
    (mean squared horizontal over vertical Sobel response): blades of grass seen close stand upright."""
    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY).astype(np.float32)
    across = cv2.Sobel(grey, cv2.CV_32F, 1, 0)
    along = cv2.Sobel(grey, cv2.CV_32F, 0, 1)
    gh, gw = region.shape
    cells = np.zeros(grey.shape, dtype=bool)
    cells[: gh * _CELL, : gw * _CELL] = np.kron(region, np.ones((_CELL, _CELL), dtype=bool))
    return float((across[cells] ** 2).mean() / max(float((along[cells] ** 2).mean()), 1e-6))


def find_vegetation(rgb: np.ndarray, *, wide: bool, region: np.ndarray | None = None) -> Vegetation | None:
    """The vegetation of an (H, W, 3) uint8 RGB photo, or None where green texture covers under a fifth.

    Args:
        rgb: the photo, (H, W, 3) uint8 (the encoder's 224 px input is enough).
        wide: whether the photo shows a wide scene (then it is grass or trees; else foliage).
        region: `green_texture(rgb)` where the caller has it already.
    """
    region = green_texture(rgb) if region is None else region
    if region is None:
        return None
    gh, gw = region.shape
    share = float(region.mean())
    if share < (_MIN_SHARE_WIDE if wide else _MIN_SHARE):
        return None
    rows, cols = np.nonzero(region)
    box = (cols.min() / gw, rows.min() / gh, (cols.max() + 1) / gw, (rows.max() + 1) / gh)
    if not wide:  # a close-up: grass where its strokes stand upright (blades), else leaves
        label = "grass" if _upright(rgb, region) >= _BLADES else "foliage"
    else:
        low = gh - gh // 3  # the bottom third's first row: the ground near the camera
        label = "trees" if float(region[:low].sum()) > float(region[low:].sum()) else "grass"
    colour = object_colours(rgb[: gh * _CELL, : gw * _CELL], region)[0][0]
    box4 = tuple(round(float(v), 4) for v in box)
    return Vegetation(label, box4, round(share, 4), colour)  # type: ignore[arg-type]
