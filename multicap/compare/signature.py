"""The near-duplicate signature of an image: what it shows, where its light and its colours fall, and which.

Measured on generated scene groups (benchmarks/compare_duplicates.py): the encoder's pooled embedding
alone puts crops and rotations of one scene further apart than two different scenes (best F1 at P 0.85,
R 0.68), because pooling forgets where things are. Four unit-norm parts, concatenated with weights
`WEIGHTS` (so the cosine of two signatures is the weighted mean of four cosines), separate them:

- the encoder's pooled embedding (what the image shows; the vector an index stores);
- a 16×16 grey thumbnail, blurred, mean-subtracted and unit-scaled (the layout of light and dark; survives
  rescaling, JPEG and exposure, and small crops and rotations through the blur);
- a hue × saturation × value histogram (12 × 3 × 2 bins) of the image with its exposure undone (scaled
  so that the 99th percentile of max(R, G, B) is white), each pixel weighted by its chroma squared (max -
  min of its RGB, in 0..1) and square-rooted: which colours, wherever they are.
  - Unweighted, a large plain background dominated it, and two different one-object scenes on the same
    background matched (held-out pair precision 0.92); chroma weighting counts the coloured things
    instead (1.00 on the same data).
  - An RGB-cube histogram (6 × 6 × 6) missed exposure edits: a copy ×0.7 or ×1.3 shares few bins with
    its original (cosine 0.1-0.7; pair recall 0.73-0.80 with them on the tuning seeds). Undoing the
    exposure fixes darker copies; brighter ones clip, which moves RGB bins but hardly hue and saturation
    (recall 0.96-0.97, same thresholds and weights).
- an 8×8 colour layout: the exposure-undone image in two opponent channels (red - green, yellow - blue),
  blurred, each mean-subtracted: where the colours are. Without it, two scenes with a red and a green shape
  on one olive gradient matched (the grey thumbnail saw the gradient, the histogram the same two colours);
  of the single parts it kept true pairs best (1st percentile 0.66 against 0.47-0.54) with the fewest
  close strangers.

The weights and the parts were chosen on scene groups of seeds 1-13 (benchmarks/compare_duplicates.py);
benchmarks/RESULTS.md reports held-out seeds.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from PIL import Image, ImageFilter

__all__ = ["PIXEL_DIM", "WEIGHTS", "pixel_signature", "signature", "turned_pixels", "unit", "without_colours"]

_THUMB = 16  # thumbnail side, pixels
_BLUR = 1.0  # Gaussian radius on the thumbnail, pixels
_HUES, _SATURATIONS, _VALUES = 12, 3, 2  # histogram bins
_HIST_SIDE = 64  # the histogram counts the pixels of a 64×64 copy
_PEAK_PERCENTILE = 99  # exposure: this percentile of max(R, G, B) is scaled to white
_CHROMA_FLOOR = 0.005  # a grey pixel still counts a little (a grey image keeps a histogram)
_LAYOUT = 8  # colour layout side, cells
WEIGHTS = (1.0, 0.8, 1.2, 1.0)  # pooled embedding, thumbnail, colour histogram, colour layout
_HIST_DIM = _HUES * _SATURATIONS * _VALUES
PIXEL_DIM = _THUMB * _THUMB + _HIST_DIM + 2 * _LAYOUT * _LAYOUT


def unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero), as float32."""
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)


def pixel_signature(image: Image.Image) -> np.ndarray:
    """(PIXEL_DIM,) float32: the unit thumbnail, the unit colour histogram, the unit colour layout."""
    rgb = image.convert("RGB")
    grey = rgb.convert("L").resize((_THUMB, _THUMB), Image.Resampling.BOX)
    thumb = np.asarray(grey.filter(ImageFilter.GaussianBlur(_BLUR)), np.float32).reshape(-1)
    small = np.asarray(rgb.resize((_HIST_SIDE, _HIST_SIDE), Image.Resampling.BOX), np.float32)
    exposed = _undo_exposure(small.reshape(-1, 3))  # (P, 3) in 0..1
    parts = [thumb - thumb.mean(), _colour_histogram(exposed), _colour_layout(exposed.reshape(small.shape))]
    return np.concatenate([unit(p) for p in parts]).astype(np.float32)


def _undo_exposure(pixels: np.ndarray) -> np.ndarray:
    """(P, 3) RGB in 0..255 → 0..1, scaled so that the 99th percentile of max(R, G, B) is white."""
    peak = float(np.percentile(pixels.max(axis=1), _PEAK_PERCENTILE))
    return np.clip(pixels / max(peak, 1.0), 0.0, 1.0)


def _colour_layout(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB in 0..1 → (2 · _LAYOUT²,): red - green, then yellow - blue, blurred, mean-subtracted."""
    cells = Image.fromarray((rgb * 255).astype(np.uint8)).resize((_LAYOUT, _LAYOUT), Image.Resampling.BOX)
    r, g, b = np.moveaxis(np.asarray(cells.filter(ImageFilter.GaussianBlur(_BLUR)), np.float32) / 255, -1, 0)
    opponents = np.stack([r - g, (r + g) / 2 - b]).reshape(2, -1)  # (2, _LAYOUT²)
    return (opponents - opponents.mean(axis=1, keepdims=True)).reshape(-1)


def _colour_histogram(rgb: np.ndarray) -> np.ndarray:
    """(P, 3) RGB in 0..1 → square-rooted, chroma²-weighted hue × saturation × value histogram."""
    top, chroma = rgb.max(axis=1), np.ptp(rgb, axis=1)  # HSV value; max - min
    r, g, b = rgb.T
    c = np.maximum(chroma, 1e-6)
    sector = np.where(top == r, ((g - b) / c) % 6, np.where(top == g, (b - r) / c + 2, (r - g) / c + 4))
    hue = np.where(chroma > 0, sector / 6, 0.0)  # 0..1
    saturation = np.where(top > 0, chroma / np.maximum(top, 1e-6), 0.0)
    h = np.minimum((hue * _HUES).astype(np.int64), _HUES - 1)
    s = np.minimum((saturation * _SATURATIONS).astype(np.int64), _SATURATIONS - 1)
    v = np.minimum((top * _VALUES).astype(np.int64), _VALUES - 1)
    bins = (h * _SATURATIONS + s) * _VALUES + v
    counts = np.bincount(bins, weights=chroma**2 + _CHROMA_FLOOR, minlength=_HIST_DIM)
    return np.sqrt(counts / counts.sum())


def without_colours(pixels: np.ndarray) -> np.ndarray:
    """The pixel parts (N, PIXEL_DIM) with the colour histogram zeroed: what turning an image changes (a
    histogram, alike in any two photos of one palette and in any two grey ones, is not)."""
    out = np.array(pixels, dtype=np.float32)
    out[:, _THUMB * _THUMB : _THUMB * _THUMB + _HIST_DIM] = 0.0
    return out


def turned_pixels(pixels: np.ndarray) -> Iterator[np.ndarray]:
    """The pixel parts (N, PIXEL_DIM) of a signature (as `pixel_signature` gives them, or weighted as in
    `signature`'s last columns) as they would be of each image turned a quarter, a half and three quarters,
    mirrored left to right, and mirrored and turned: the thumbnail's and the colour layout's grids turned
    and flipped, the histogram as it is (a squashed image turned is the turned image squashed)."""
    n = len(pixels)
    thumb, hist, layout = np.split(pixels, np.cumsum([_THUMB * _THUMB, _HIST_DIM]), axis=1)
    grey = thumb.reshape(n, _THUMB, _THUMB)
    colours = layout.reshape(n, 2, _LAYOUT, _LAYOUT)
    for mirrored in (False, True):
        for quarters in range(4):
            if not mirrored and not quarters:
                continue  # the image as it is
            g = np.flip(grey, axis=2) if mirrored else grey
            c = np.flip(colours, axis=3) if mirrored else colours
            g, c = np.rot90(g, quarters, axes=(1, 2)), np.rot90(c, quarters, axes=(2, 3))
            yield np.concatenate([g.reshape(n, -1), hist, c.reshape(n, -1)], axis=1)


def signature(pooled: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """(N, D + PIXEL_DIM) unit rows from pooled embeddings (N, D) and pixel signatures (N, PIXEL_DIM)."""
    pooled = unit(np.atleast_2d(pooled))
    pixels = np.atleast_2d(pixels)
    cuts = np.cumsum([_THUMB * _THUMB, _HIST_DIM])
    parts = [pooled, *(unit(p) for p in np.split(pixels, cuts, axis=1))]
    return unit(np.concatenate([w * p for w, p in zip(WEIGHTS, parts, strict=True)], axis=1))
