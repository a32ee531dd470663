"""Load one image file as RGB, whatever its format or mode, or fail with one `ImageLoadError`.

Every failure (missing file, not an image, empty, truncated, corrupt, too many pixels) raises
`ImageLoadError(path, reason)`; batch APIs catch it, warn once and go on.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from multicap.errors import ImageLoadError

__all__ = ["DEFAULT_MAX_PIXELS", "IMAGE_EXTENSIONS", "load_image", "to_rgb"]

# Extensions picked up when walking folders; files named explicitly are tried whatever their name.
IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
)

# Decompression-bomb guard: images above this many pixels are refused before decoding.
# MULTICAP_MAX_PIXELS overrides it; `max_pixels=` overrides both.
DEFAULT_MAX_PIXELS = 178_956_970  # Pillow's own hard limit (2 × MAX_IMAGE_PIXELS)

# Never silently pad a truncated file with grey: it must be reported.
ImageFile.LOAD_TRUNCATED_IMAGES = False


def _max_pixels(max_pixels: int | None) -> int:
    if max_pixels is not None:
        return max_pixels
    env = os.environ.get("MULTICAP_MAX_PIXELS")
    return int(env) if env else DEFAULT_MAX_PIXELS


def load_image(
    path: str | Path,
    *,
    min_short_side: int | None = None,
    max_pixels: int | None = None,
) -> Image.Image:
    """Read `path` as an RGB image with its EXIF orientation applied.

    Args:
        path: the image file.
        min_short_side: when given, JPEGs are decoded at a reduced scale (Pillow's draft mode, a DCT-domain
            downscale) as long as the shorter side stays at least this long. Much faster for large photos.
        max_pixels: refuse images with more pixels than this (default `DEFAULT_MAX_PIXELS`).

    Raises:
        ImageLoadError: naming the path and the reason.
    """
    path = Path(path)
    limit = _max_pixels(max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                _check_size(path, img, limit)
                if min_short_side is not None and img.format == "JPEG":
                    _draft(img, min_short_side)
                img.load()
                upright = ImageOps.exif_transpose(img) or img
                return to_rgb(upright)
    except ImageLoadError:
        raise
    except FileNotFoundError:
        raise ImageLoadError(path, "no such file") from None
    except IsADirectoryError:
        raise ImageLoadError(path, "is a directory, not an image file") from None
    except PermissionError:
        raise ImageLoadError(path, "permission denied") from None
    except UnidentifiedImageError:
        reason = "empty file (0 bytes)" if _is_empty(path) else "not an image, or a format Pillow cannot read"
        raise ImageLoadError(path, reason) from None
    except Image.DecompressionBombError as exc:
        raise ImageLoadError(path, f"too many pixels ({exc})") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow reports truncated and corrupt data as OSError/SyntaxError/ValueError.
        raise ImageLoadError(path, f"truncated or corrupt image data ({exc})") from None


def _is_empty(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except OSError:
        return False


def _check_size(path: Path, img: Image.Image, limit: int) -> None:
    w, h = img.size
    if w <= 0 or h <= 0:
        raise ImageLoadError(path, f"invalid image size {w}x{h}")
    if w * h > limit:
        raise ImageLoadError(
            path,
            f"image is {w}x{h} = {w * h:,} pixels, over the limit of {limit:,} "
            "(a decompression-bomb guard; raise it with MULTICAP_MAX_PIXELS if the file is trusted)",
        )


def _draft(img: Image.Image, min_short_side: int) -> None:
    """Ask the JPEG decoder for the smallest power-of-two reduction that keeps the short side ≥ target."""
    w, h = img.size
    scale = min_short_side / min(w, h)
    if scale >= 1:
        return
    # Pillow picks the largest reduction with both sides ≥ the requested size.
    img.draft("RGB", (math.ceil(w * scale), math.ceil(h * scale)))


def to_rgb(img: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB; transparency is composited on white."""
    mode = img.mode
    if mode == "RGB":
        return img
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return _high_depth_to_rgb(img)
    if mode == "P" and "transparency" in img.info:
        img, mode = img.convert("RGBA"), "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode == "1":
        return img.convert("L").convert("RGB")
    return img.convert("RGB")  # L, P, CMYK, YCbCr, LAB, HSV


def _high_depth_to_rgb(img: Image.Image) -> Image.Image:
    """16-bit and 32-bit greyscale: scale the full range of the format (not the data's) to 0..255."""
    arr = np.asarray(img)
    if img.mode.startswith("I;16"):
        scaled = arr.astype(np.float32) / 257.0  # 65535 → 255
    elif img.mode == "F":
        lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
        scaled = (arr - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(arr)
    else:  # "I": 32-bit ints, most often 16-bit data stored wide
        top = 65535.0 if arr.max(initial=0) > 255 else 255.0
        scaled = arr.astype(np.float32) / top * 255.0
    grey = np.clip(np.nan_to_num(scaled), 0, 255).astype(np.uint8)
    return Image.fromarray(grey, mode="L").convert("RGB")
