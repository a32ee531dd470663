"""What the files of two copies with the same picture tell that their pixels do not: the same bytes, the same
pixels saved again (other metadata), a re-encoding, a conversion to another format; and which of a photo
and its lossless conversion is the one to keep.

A JPEG saved again as PNG keeps every pixel and takes five times the bytes: the keeper's rule "the most
bytes, the least compressed" (`ImageSet.keep_order`) had kept the PNG and called the original JPEG
"recompressed", so that a user following it would delete the original. A lossy format cannot be made from a
lossless file without changing its pixels, so where a lossless file's pixels equal a lossy file's, the
lossless one was made from it (`prefer_originals`). Where their pixels differ, the lossless one is the
better copy and is kept, as before (a screenshot and its JPEG).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from multicap.compare.duplicates import DuplicateGroup
from multicap.errors import ImageLoadError
from multicap.io import load_image, open_regular
from multicap.io.paths import file_hash

__all__ = ["file_format", "made_by_file", "prefer_originals", "same_pixels"]

RECOMPRESSED = 1.1  # a copy's bytes this many times fewer (or more), its pixels the same: re-encoded
_LOSSY = frozenset({"JPEG", "MPO"})  # every save changes the pixels (MPO: a phone's JPEG with a second view)
_MOST_COMPARED = 16_000_000  # pixels: larger pairs are not decoded whole to be compared (two decodings)


def file_format(path: Path) -> str | None:
    """The image format Pillow reads the file as ("JPEG", "PNG", ...), from its header; None if unreadable."""
    try:
        with open_regular(path) as f, Image.open(f) as im:
            return im.format
    except (ImageLoadError, OSError, UnidentifiedImageError, ValueError):
        return None


def same_pixels(a: Path, b: Path, pixels: int) -> bool:
    """Whether the two files decode to exactly the same `pixels` pixels (a JPEG of quality 100 made from a
    PNG differs by a few tenths of a level: a tolerance had taken the PNG original for its conversion)."""
    if pixels > _MOST_COMPARED:
        return False
    try:
        x, y = (load_image(p) for p in (a, b))
    except ImageLoadError:
        return False
    if x.size != y.size or x.width * x.height != pixels:  # shrunk to fit the memory budget: not compared
        return False
    return bool(np.array_equal(np.asarray(x), np.asarray(y)))


def _kilobytes(n: int) -> str:
    return f"{n / 1024:,.0f} KB"


def made_by_file(a: Path, b: Path, nbytes: tuple[int, int], pixels: int) -> list[str]:
    """How b was made from a where their pixels tell nothing (`verify.how_copied` said nothing): "identical
    (the same bytes)", "another format (JPEG → PNG, 1,150 KB → 5,900 KB)" (which was made from which, the
    files alone do not tell), "recompressed (44 KB → 12 KB)", "the same pixels saved again (other
    metadata)"; empty where the files tell nothing either."""
    before, after = nbytes
    formats = file_format(a), file_format(b)
    if None not in formats and formats[0] != formats[1]:
        return [f"another format ({formats[0]} → {formats[1]}, {_kilobytes(before)} → {_kilobytes(after)})"]
    if max(before, after) >= RECOMPRESSED * min(before, after):
        return [f"recompressed ({_kilobytes(before)} → {_kilobytes(after)})"]
    try:
        if before == after and file_hash(a) == file_hash(b):
            return ["identical (the same bytes)"]
    except OSError:
        return []
    if same_pixels(a, b, pixels):  # an EXIF block removed, a comment added: said, as every copy is
        return ["the same pixels saved again (other metadata)"]
    return []


def prefer_originals(
    groups: Sequence[DuplicateGroup],
    paths: Sequence[Path],
    pixels: Sequence[int],
    keep_order: Sequence[Any],
) -> list[DuplicateGroup]:
    """The groups with a lossless keeper made from a lossy member replaced by that member: where the keeper
    is not JPEG and a JPEG of the group has its pixel count and decodes to its pixels, the JPEG is the
    original (see the module's docstring); of several, the first in `keep_order` (`ImageSet.keep_order`)."""
    out = []
    for g in groups:
        keeper = g.keeper
        if file_format(paths[keeper]) not in _LOSSY:
            lossy = sorted(
                (m for m in g.members if m != keeper and pixels[m] == pixels[keeper]),
                key=lambda m: (keep_order[m], m),
            )
            original = next(
                (
                    m
                    for m in lossy
                    if file_format(paths[m]) in _LOSSY and same_pixels(paths[m], paths[keeper], pixels[m])
                ),
                None,
            )
            if original is not None:
                members = [original, *(m for m in g.members if m != original)]
                g = replace(g, members=members, keeper=original)
        out.append(g)
    return out
