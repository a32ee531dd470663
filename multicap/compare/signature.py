"""The near-duplicate signature of an image: what it shows, where its light falls, and its colours.

Measured on generated scene groups (benchmarks/compare_duplicates.py): the encoder's pooled embedding
alone puts crops and rotations of one scene further apart than two different scenes (best F1 at P 0.85,
R 0.68), because pooling forgets where things are. Three unit-norm parts, concatenated with weights
`WEIGHTS` (so the cosine of two signatures is the weighted mean of three cosines), separate them:

- the encoder's pooled embedding (what the image shows; the vector an index stores);
- a 16×16 grey thumbnail, blurred and mean-subtracted (the layout of light and dark; survives rescaling and
  JPEG, and small crops and rotations through the blur);
- a 6×6×6 RGB colour histogram, each pixel weighted by its chroma squared (max - min of its RGB, in 0..1)
  and square-rooted: which colours, wherever they are. Unweighted, a large plain background dominated it,
  and two different one-object scenes on the same background matched (held-out pair precision 0.92);
  chroma weighting counts the coloured things instead (1.00 on the same data).

The weights and the histogram's weighting were chosen on scene groups of seeds 1-3
(benchmarks/compare_duplicates.py); benchmarks/RESULTS.md reports a held-out seed.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

__all__ = ["PIXEL_DIM", "WEIGHTS", "pixel_signature", "signature", "unit"]

_THUMB = 16  # thumbnail side, pixels
_BLUR = 1.0  # Gaussian radius on the thumbnail, pixels
_BINS = 6  # histogram bins per RGB channel
_HIST_SIDE = 64  # the histogram counts the pixels of a 64×64 copy
_CHROMA_FLOOR = 0.005  # a grey pixel still counts a little (a grey image keeps a histogram)
WEIGHTS = (1.0, 0.8, 1.2)  # pooled embedding, thumbnail, colour histogram
PIXEL_DIM = _THUMB * _THUMB + _BINS**3


def unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero), as float32."""
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)


def pixel_signature(image: Image.Image) -> np.ndarray:
    """(PIXEL_DIM,) float32: the unit thumbnail, then the unit colour histogram."""
    rgb = image.convert("RGB")
    grey = rgb.convert("L").resize((_THUMB, _THUMB), Image.Resampling.BOX)
    thumb = np.asarray(grey.filter(ImageFilter.GaussianBlur(_BLUR)), np.float32).reshape(-1)
    small = np.asarray(rgb.resize((_HIST_SIDE, _HIST_SIDE), Image.Resampling.BOX)).reshape(-1, 3)
    rgb_int = small.astype(np.int64)
    q = rgb_int * _BINS // 256  # (P, 3) bin of each channel
    chroma = (rgb_int.max(axis=1) - rgb_int.min(axis=1)) / 255.0  # (P,)
    bins = (q[:, 0] * _BINS + q[:, 1]) * _BINS + q[:, 2]
    counts = np.bincount(bins, weights=chroma**2 + _CHROMA_FLOOR, minlength=_BINS**3)
    hist = np.sqrt(counts / counts.sum())
    return np.concatenate([unit(thumb - thumb.mean()), unit(hist)]).astype(np.float32)


def signature(pooled: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """(N, D + PIXEL_DIM) unit rows from pooled embeddings (N, D) and pixel signatures (N, PIXEL_DIM)."""
    pooled = unit(np.atleast_2d(pooled))
    pixels = np.atleast_2d(pixels)
    thumb, hist = unit(pixels[:, : _THUMB * _THUMB]), unit(pixels[:, _THUMB * _THUMB :])
    w_pooled, w_thumb, w_hist = WEIGHTS
    return unit(np.concatenate([w_pooled * pooled, w_thumb * thumb, w_hist * hist], axis=1))
