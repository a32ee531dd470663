"""A minimal PNG writer for RGB arrays: the "Up" filter in numpy and zlib level 1.

Pillow's PNG encoder tries every filter on every row; on scene images that took 1.4-1.8 ms per 224 px
image here, against 0.74 ms for one vectorised filter plus zlib (and files of the same size, ~10 KB).
Encoding was the largest single cost of dataset generation, so scenes are written with this. The output
is a standard 8-bit RGB PNG (tested by reading it back with Pillow).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

__all__ = ["encode_png"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_FILTER_UP = 2  # each byte minus the byte above it


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def encode_png(rgb: np.ndarray, level: int = 1) -> bytes:
    """PNG bytes of an (H, W, 3) uint8 array."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) uint8 array, got {rgb.shape} {rgb.dtype}")
    h, w, _ = rgb.shape
    rows = rgb.reshape(h, w * 3)
    filtered = np.empty((h, w * 3 + 1), dtype=np.uint8)  # (H, 1 + 3W): filter byte, then the row
    filtered[:, 0] = _FILTER_UP
    filtered[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])  # uint8 wraps modulo 256, as PNG wants
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB, deflate, no interlace
    return b"".join(
        [
            _SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(filtered.tobytes(), level)),
            _chunk(b"IEND", b""),
        ]
    )
