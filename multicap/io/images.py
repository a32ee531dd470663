"""Load one image file as RGB, whatever its format or mode, or fail with one `ImageLoadError`.

Every failure (missing file, not a regular file, not an image, empty, truncated, corrupt, too many
pixels, over the memory budget) raises `ImageLoadError(path, reason)`; batch APIs catch it, warn once and
go on.

Memory: an image is refused before decoding when decoding it would take more than the budget (the pixels
in their own mode, plus the copies that conversion makes), and the decodes under way in a process share
that budget (a thread waits for room), so decoding ahead of a batch is bounded too. Where a caller needs
only a smaller image (`min_short_side`), JPEGs are decoded at a reduced scale, and other formats are
shrunk by an integer factor in their own mode (band by band where the mode must be converted first)
before becoming RGB: a 13,000 x 13,000 1-bit PNG costs one byte a pixel, not nine.
"""

from __future__ import annotations

import math
import os
import re
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from multicap.errors import ConfigError, ImageLoadError
from multicap.io.paths import HEIF_UNREAD, IMAGE_EXTENSIONS, UNREAD_PHOTOS, open_regular

__all__ = [
    "DEFAULT_DECODE_BUDGET", "DEFAULT_MAX_PIXELS", "IMAGE_EXTENSIONS", "env_max_pixels", "load_image",
    "to_rgb", "upright_size",
]  # fmt: skip

# Decompression-bomb guard: images above this many pixels are refused before decoding.
# MULTICAP_MAX_PIXELS overrides it; `max_pixels=` overrides both.
DEFAULT_MAX_PIXELS = 178_956_970  # Pillow's own hard limit (2 × MAX_IMAGE_PIXELS)

# Memory budget of decoding, bytes: an image that needs more is refused, and the decodes under way in a
# process (the threads of `iter_batches`) share it, waiting for room. MULTICAP_DECODE_BUDGET_MB overrides
# it; `max_decode_bytes=` overrides both.
DEFAULT_DECODE_BUDGET = 512 * 2**20

# Never silently pad a truncated file with grey: it must be reported.
ImageFile.LOAD_TRUNCATED_IMAGES = False

# Pillow holds a large image in blocks of this size. Above malloc's mmap threshold (32 MB once
# `encoders.runtime` has tuned malloc), each block is its own mapping, handed back to the system when the
# image is freed; in 16 MB blocks (Pillow's default), a decoding thread's malloc arena kept the memory of
# the largest image it had ever decoded, for good, and each thread had its own.
_PILLOW_BLOCK = 64 * 2**20
Image.core.set_block_size(_PILLOW_BLOCK)

# Bytes a pixel takes in Pillow's memory, per mode (every other mode takes 4).
_BYTES_PER_PIXEL = {
    "1": 1,
    "L": 1,
    "P": 1,
    "LA": 2,
    "La": 2,
    "PA": 2,
    "I;16": 2,
    "I;16B": 2,
    "I;16L": 2,
    "I;16N": 2,
}
# Modes `Image.reduce` cannot shrink, and the mode each is converted to first.
_BEFORE_REDUCE = {"1": "L", "P": "RGBA", "I;16": "I", "I;16B": "I", "I;16L": "I", "I;16N": "I"}
# EXIF orientation -> the transposition that makes the image upright (as `ImageOps.exif_transpose`).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_ORIENTATION = 0x0112  # the EXIF tag
_BAND_ROWS = 64  # rows of the shrunk image made per band when a mode must be converted to be shrunk


def _max_pixels(max_pixels: int | None) -> int:
    """The pixel limit asked for; Pillow's own guard, which refuses an image over twice its
    `MAX_IMAGE_PIXELS` before ours is asked, is raised to it where it is higher (MULTICAP_MAX_PIXELS)."""
    limit = max_pixels if max_pixels is not None else env_max_pixels(DEFAULT_MAX_PIXELS)
    if Image.MAX_IMAGE_PIXELS is not None and limit > 2 * Image.MAX_IMAGE_PIXELS:
        Image.MAX_IMAGE_PIXELS = limit // 2 + 1
    return limit


def upright_size(img: Image.Image) -> tuple[int, int]:
    """(width, height) of an opened image as `load_image` shows it: turned upright by its EXIF orientation
    (a phone's portrait photo is stored landscape, tagged to be turned), from the header alone."""
    turned = img.getexif().get(_ORIENTATION) in (5, 6, 7, 8)
    return (img.height, img.width) if turned else (img.width, img.height)


def env_max_pixels(default: int) -> int:
    """MULTICAP_MAX_PIXELS where it is set, else `default`.

    Raises:
        ConfigError: it is set to something other than a positive whole number.
    """
    env = (os.environ.get("MULTICAP_MAX_PIXELS") or "").strip().replace("_", "")
    if not env:
        return default
    if not env.isdigit() or int(env) == 0:
        raise ConfigError(f"MULTICAP_MAX_PIXELS={env!r}: give a whole number of pixels (e.g. 200000000)")
    return int(env)


def _decode_budget(max_bytes: int | None) -> int:
    if max_bytes is not None:
        return max_bytes
    env = os.environ.get("MULTICAP_DECODE_BUDGET_MB")
    return int(float(env) * 2**20) if env else DEFAULT_DECODE_BUDGET


def load_image(
    path: str | Path,
    *,
    min_short_side: int | None = None,
    max_pixels: int | None = None,
    max_decode_bytes: int | None = None,
) -> Image.Image:
    """Read `path` as an RGB image with its EXIF orientation applied.

    Args:
        path: the image file; anything but a regular file (a FIFO, a device, a socket) is refused unopened.
        min_short_side: when given, the image may come back smaller, its shorter side at least this long:
            JPEGs are decoded at a reduced scale (Pillow's draft mode, a DCT-domain downscale), other
            formats shrunk by an integer factor (box filter) while the shorter side stays at least twice
            this long. Much faster and smaller for large images.
        max_pixels: refuse images with more pixels than this (default `DEFAULT_MAX_PIXELS`).
        max_decode_bytes: refuse images whose decoding would take more memory than this (default
            `DEFAULT_DECODE_BUDGET`); a JPEG over it is decoded at the largest reduced scale that fits.

    Raises:
        ImageLoadError: naming the path and the reason.
    """
    path = Path(path)
    limit, budget = _max_pixels(max_pixels), _decode_budget(max_decode_bytes)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with open_regular(path) as file, Image.open(file) as img:
                _check_size(path, img, limit)
                if img.format == "JPEG":
                    _draft(img, min_short_side, budget)
                need = _check_memory(path, img, min_short_side, budget)
                with _DECODING.hold(need, budget):
                    img.load()
                    orientation = img.getexif().get(_ORIENTATION)
                    small = _shrink(img, min_short_side)
                    upright = small.transpose(_UPRIGHT[orientation]) if orientation in _UPRIGHT else small
                    return to_rgb(upright)
    except ImageLoadError:
        raise
    except FileNotFoundError:
        raise ImageLoadError(path, "no such file") from None
    except PermissionError:
        raise ImageLoadError(path, "permission denied") from None
    except UnidentifiedImageError:
        if _is_empty(path):
            reason = "empty file (0 bytes)"
        elif Path(path).suffix.lower() in UNREAD_PHOTOS:
            reason = HEIF_UNREAD
        else:
            reason = "not an image, or a format Pillow cannot read"
        raise ImageLoadError(path, reason) from None
    except Image.DecompressionBombError as exc:  # Pillow's own guard, before ours: said in our words
        count = re.search(r"\((\d+) pixels\)", str(exc))
        many = f"{int(count.group(1)):,} pixels" if count else "too many pixels"
        raise ImageLoadError(
            path, f"{many}, over the limit (a decompression-bomb guard; raise it with MULTICAP_MAX_PIXELS if "
            "the file is trusted)"
        ) from None  # fmt: skip
    except MemoryError:
        raise ImageLoadError(path, "out of memory while decoding; lower MULTICAP_DECODE_BUDGET_MB") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow reports truncated and corrupt data as OSError/SyntaxError/ValueError; its count of bytes
        # "not processed" in a truncated file is of its decoder's buffer, not of what is missing: not said
        detail = "the file ends before its image does" if "truncated" in str(exc) else str(exc)
        raise ImageLoadError(path, f"truncated or corrupt image data ({detail})") from None


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


def _reduction(size: tuple[int, int], min_short_side: int | None) -> int:
    """The integer factor `_shrink` divides both sides by (1: none); keeps the short side ≥ 2 × target."""
    if min_short_side is None or min_short_side <= 0:
        return 1
    return max(1, min(size) // (2 * min_short_side))


def _decode_bytes(mode: str, size: tuple[int, int], min_short_side: int | None) -> int:
    """About the most memory decoding takes: the pixels in their own mode, plus, when the image is not
    shrunk, the full-size copies that conversion to RGB makes."""
    pixels = size[0] * size[1]
    native = pixels * _BYTES_PER_PIXEL.get(mode, 4)
    if _reduction(size, min_short_side) > 1:
        return native  # shrunk in its own mode, or converted band by band (`_shrink`)
    return native + (0 if mode == "RGB" else 2 * 4 * pixels)


def _check_memory(path: Path, img: Image.Image, min_short_side: int | None, budget: int) -> int:
    """The bytes decoding will take; refuses an image over the budget."""
    need = _decode_bytes(img.mode, img.size, min_short_side)
    if need > budget:
        w, h = img.size
        raise ImageLoadError(
            path,
            f"decoding this {w}x{h} image (mode {img.mode}) would take about {need / 2**20:,.0f} MB, "
            f"over the budget of {budget / 2**20:,.0f} MB per image (raise MULTICAP_DECODE_BUDGET_MB if "
            "the machine has the memory)",
        )
    return need


class _DecodeMemory:
    """The bytes of the decodes under way in this process, all threads together, kept within the budget:
    a decode waits until the others leave it room (one alone always may start). So the threads decoding
    ahead of a batch hold at most one budget between them, however large the images."""

    def __init__(self) -> None:
        self._used = 0
        self._changed = threading.Condition()

    @contextmanager
    def hold(self, need: int, budget: int) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: self._used == 0 or self._used + need <= budget)
            self._used += need
        try:
            yield
        finally:
            with self._changed:
                self._used -= need
                self._changed.notify_all()


_DECODING = _DecodeMemory()


def _draft(img: Image.Image, min_short_side: int | None, budget: int) -> None:
    """Ask the JPEG decoder for the smallest power-of-two reduction that keeps the short side ≥ target;
    when that is over the memory budget, the largest of 1/2, 1/4, 1/8 that fits (`_check_memory` then
    refuses what still does not)."""
    w, h = img.size
    wanted = min(1.0, min_short_side / min(w, h)) if min_short_side else 1.0
    mode = img.mode if img.mode in ("RGB", "L") else "RGB"
    scales = [wanted, *(s for s in (1 / 2, 1 / 4, 1 / 8) if s < wanted)]

    def size(scale: float) -> tuple[int, int]:
        return math.ceil(w * scale), math.ceil(h * scale)

    scale = next((s for s in scales if _decode_bytes(mode, size(s), min_short_side) <= budget), scales[-1])
    if scale < 1:
        # Pillow picks the largest reduction with both sides ≥ the requested size.
        img.draft(mode, size(scale))


def _shrink(img: Image.Image, min_short_side: int | None) -> Image.Image:
    """Divide both sides by `_reduction` (box filter). The modes `reduce` cannot shrink (1-bit, palette,
    16-bit) are converted band by band (to L, RGB(A), 32-bit), so no full-size copy is ever made."""
    factor = _reduction(img.size, min_short_side)
    if factor == 1:
        return img
    if img.mode not in _BEFORE_REDUCE:
        return img.reduce(factor)
    target = _BEFORE_REDUCE[img.mode]
    if img.mode == "P" and "transparency" not in img.info:
        target = "RGB"
    w, h = img.size
    out = Image.new(target, (math.ceil(w / factor), math.ceil(h / factor)))
    step = factor * _BAND_ROWS
    for top in range(0, h, step):
        band = img.crop((0, top, w, min(top + step, h))).convert(target)
        out.paste(band.reduce(factor), (0, top // factor))
    return _high_depth_to_rgb(out, sixteen_bit=True) if img.mode.startswith("I;16") else out


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


def _high_depth_to_rgb(img: Image.Image, sixteen_bit: bool = False) -> Image.Image:
    """16-bit and 32-bit greyscale: scale the full range of the format (not the data's) to 0..255.
    `sixteen_bit`: an "I" image that holds 16-bit data (a 16-bit image shrunk by `_shrink`)."""
    arr = np.asarray(img)
    if img.mode.startswith("I;16") or sixteen_bit:
        scaled = arr.astype(np.float32) / 257.0  # 65535 → 255
    elif img.mode == "F":
        lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
        scaled = (arr - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(arr)
    else:  # "I": 32-bit ints, most often 16-bit data stored wide
        top = 65535.0 if arr.max(initial=0) > 255 else 255.0
        scaled = arr.astype(np.float32) / top * 255.0
    grey = np.clip(np.nan_to_num(scaled), 0, 255).astype(np.uint8)
    return Image.fromarray(grey, mode="L").convert("RGB")
