"""Draw a scene: a numpy-vectorised textured background and anti-aliased shapes, at any square size.

Backgrounds are computed on whole arrays (no per-pixel Python); each shape is drawn as a mask at 4x its own
size and reduced with a box filter, which anti-aliases its edges for the cost of one small image per object.
Everything random in a picture (texture angle and period, colour jitter, noise) comes from `seed`, so the
same facts and seed give the same pixels.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from multicap.data.scenes.sampler import stable_hash
from multicap.facts.scene import SceneFacts
from multicap.facts.scene_words import BACKGROUND_COLOURS, COLOURS, SHAPES

__all__ = ["SHAPE_OUTLINES", "render"]

_SUPERSAMPLE = 4  # mask resolution factor for anti-aliased edges
_COLOUR_JITTER = 10  # most a channel of a named colour moves, so two red circles are not identical


def _normalise(points: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """Stretch an outline so that it spans the unit square: the object box is then its tight box."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, y0, w, h = min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)
    return tuple(((x - x0) / w, (y - y0) / h) for x, y in points)


def _regular(n: int, phase: float = -math.pi / 2) -> tuple[tuple[float, float], ...]:
    return _normalise(
        [(math.cos(phase + 2 * math.pi * k / n), math.sin(phase + 2 * math.pi * k / n)) for k in range(n)]
    )


def _star(points: int = 5, inner: float = 0.45) -> tuple[tuple[float, float], ...]:
    pts = []
    for k in range(2 * points):
        r = 1.0 if k % 2 == 0 else inner
        a = -math.pi / 2 + math.pi * k / points
        pts.append((r * math.cos(a), r * math.sin(a)))
    return _normalise(pts)


def _heart(n: int = 48) -> tuple[tuple[float, float], ...]:
    pts = []
    for k in range(n):
        t = 2 * math.pi * k / n
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        pts.append((x, -y))
    return _normalise(pts)


_A, _B = 1 / 3, 2 / 3
# Unit-square outlines; the circle is drawn as an ellipse instead.
SHAPE_OUTLINES: dict[str, tuple[tuple[float, float], ...]] = {
    "square": ((0, 0), (1, 0), (1, 1), (0, 1)),
    "triangle": ((0.5, 0), (1, 1), (0, 1)),
    "diamond": ((0.5, 0), (1, 0.5), (0.5, 1), (0, 0.5)),
    "pentagon": _regular(5),
    "hexagon": _regular(6, phase=0.0),
    "star": _star(),
    "cross": (
        (_A, 0),
        (_B, 0),
        (_B, _A),
        (1, _A),
        (1, _B),
        (_B, _B),
        (_B, 1),
        (_A, 1),
        (_A, _B),
        (0, _B),
        (0, _A),
        (_A, _A),
    ),
    "heart": _heart(),
}
assert set(SHAPE_OUTLINES) | {"circle"} == set(SHAPES)


@lru_cache(maxsize=8)
def _axis(size: int) -> np.ndarray:
    return np.arange(size, dtype=np.float32)


def _projection(size: int, angle: float) -> np.ndarray:
    """(S, S) distance of each pixel along direction `angle`, shifted to start at 0.

    Built as an outer sum of two 1-D ramps: one broadcast add instead of full-image products.
    """
    ax = _axis(size)
    cos, sin = math.cos(angle), math.sin(angle)
    proj = (ax * sin)[:, None] + (ax * cos)[None, :]  # (S, 1) + (1, S) -> (S, S)
    return proj - min(0.0, cos * (size - 1)) - min(0.0, sin * (size - 1))


def _jitter(rng: np.random.Generator, rgb: tuple[int, int, int]) -> np.ndarray:
    shift = rng.integers(-_COLOUR_JITTER, _COLOUR_JITTER + 1, size=3)
    return np.clip(np.asarray(rgb, dtype=np.float32) + shift, 0, 255)


def _ramp(base: np.ndarray, levels: int) -> np.ndarray:
    """`levels` colours from a darker to a lighter tone of `base` (the lighter one shows even on black)."""
    lo, hi = base * 0.7, np.minimum(base * 1.3 + 22, 255)
    t = np.linspace(0.0, 1.0, levels, dtype=np.float32)[:, None]
    return np.round(lo + t * (hi - lo)).astype(np.uint8)  # (levels, 3)


def _paletted(index: np.ndarray, palette: np.ndarray) -> Image.Image:
    """An RGB image from an (H, W) uint8 index map and a (K, 3) palette: the colouring runs in Pillow's C."""
    image = Image.frombytes("P", (index.shape[1], index.shape[0]), np.ascontiguousarray(index).tobytes())
    image.putpalette(palette.tobytes())
    return image.convert("RGB")


def _background(kind: str, base: np.ndarray, size: int, rng: np.random.Generator) -> Image.Image:
    """A `size` x `size` RGB texture of `kind` around colour `base`.

    Each kind is an index map (S, S) into a small palette of tones, computed on whole arrays.
    """
    angle = float(rng.uniform(0, math.pi))
    if kind == "flat":
        return Image.new("RGB", (size, size), tuple(int(c) for c in base))
    if kind == "gradient":
        proj = _projection(size, angle)
        index = (proj * (255.0 / max(float(proj.max()), 1e-6))).astype(np.uint8)
        return _paletted(index, _ramp(base, 256))
    if kind == "stripes":
        period = size * float(rng.uniform(1 / 14, 1 / 7))
        # Half-periods counted from 0 (the projection is never negative): odd ones take the lighter tone.
        half_periods = (_projection(size, angle) * (2.0 / period)).astype(np.int32)  # (S, S)
        return _paletted((half_periods & 1).astype(np.uint8), _ramp(base, 2))
    if kind == "checks":
        cell = size * float(rng.uniform(1 / 10, 1 / 5))
        bands = (_axis(size) // cell).astype(np.uint8) & 1  # (S,)
        return _paletted(bands[:, None] ^ bands[None, :], _ramp(base, 2))
    if kind == "noise":
        # Grain of 2x2 pixels in 7 tones: visible texture that still compresses in a PNG.
        half = (size + 1) // 2
        grain = _paletted(rng.integers(0, 7, size=(half, half), dtype=np.uint8), _ramp(base, 7))
        return grain.resize((2 * half, 2 * half), Image.Resampling.NEAREST).crop((0, 0, size, size))
    raise ValueError(f"unknown background kind {kind!r}")


def _shape_mask(shape: str, w: int, h: int) -> Image.Image:
    """An anti-aliased (w, h) 'L' mask of the shape filling its box."""
    k = _SUPERSAMPLE
    mask = Image.new("L", (w * k, h * k), 0)
    draw = ImageDraw.Draw(mask)
    if shape == "circle":
        draw.ellipse((0, 0, w * k - 1, h * k - 1), fill=255)
    else:
        draw.polygon([(px * (w * k - 1), py * (h * k - 1)) for px, py in SHAPE_OUTLINES[shape]], fill=255)
    return mask.reduce(k)


def render(facts: SceneFacts, size: int = 224, seed: int = 0, brightness: float = 1.0) -> Image.Image:
    """Draw `facts` as an RGB image of `size` x `size` pixels.

    Args:
        facts: a scene from the sampler (labels are shape names; attributes hold "colour").
        size: the image side in pixels.
        seed: picks texture angle and period, noise and colour jitter.
        brightness: a multiplier on every pixel (1.0 leaves the picture as drawn).
    """
    rng = np.random.default_rng(seed)
    attrs = facts.image_attributes
    base = _jitter(rng, BACKGROUND_COLOURS[attrs.get("background_colour", "gray")])
    image = _background(attrs.get("background", "flat"), base, size, rng)
    for obj in facts.objects:
        x0, y0 = round(obj.box[0] * size), round(obj.box[1] * size)
        w = max(round(obj.box[2] * size) - x0, 2)
        h = max(round(obj.box[3] * size) - y0, 2)
        # Jitter drawn from the object's own place, so adding or removing another object leaves it as it was.
        hashed = stable_hash(seed, round(obj.box[0] * 1e4), round(obj.box[1] * 1e4))
        shift = [(hashed >> (8 * k) & 0xFF) % (2 * _COLOUR_JITTER + 1) - _COLOUR_JITTER for k in range(3)]
        colour = tuple(
            min(max(c + d, 0), 255) for c, d in zip(COLOURS[obj.attributes["colour"]], shift, strict=True)
        )
        image.paste(colour, (x0, y0), _shape_mask(obj.label, w, h))
    if brightness != 1.0:
        arr = np.asarray(image, dtype=np.float32) * brightness
        image = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    return image
