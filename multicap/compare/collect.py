"""Gather what a comparison needs of each image: embedding, signature, description, size and age.

    images = collect_images(paths, index_root=resolve_index("photos"))

An image already in the index (same path, mtime and size) takes its stored embedding and description: no
forward pass. The others go through the index's model (or `model`, the grounded one by default) in
batches. Every image is decoded once more, small, for the pixel part of its near-duplicate signature (a
few milliseconds; see `signature`). Unreadable files go to `on_error` and are left out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from multicap.compare.signature import pixel_signature, signature, unit
from multicap.describe import Description
from multicap.errors import ImageLoadError
from multicap.index.held import description_of, held_records
from multicap.index.location import DB_NAME
from multicap.index.models import (
    IndexModel,
    model_for_index,
    open_index_model,
    open_model,
    recorded_identity,
)
from multicap.io import ErrorHandler, iter_batches, load_image, log_error
from multicap.io.paths import short_names

__all__ = ["ImageSet", "collect_images"]

_SIGNATURE_SIDE = 64  # JPEGs are decoded at a reduced scale for the signature, at least this short side
_BYTES_FACTOR = 1.5  # file sizes within this factor say nothing of which copy is less compressed


@dataclass
class ImageSet:
    paths: list[Path]
    embeddings: np.ndarray  # (N, D) unit: the model's pooled image vectors
    signatures: np.ndarray  # (N, D + PIXEL_DIM) unit: near-duplicate signatures
    descriptions: list[Description]
    pixels: list[int]  # width × height of each file
    mtimes: list[float]  # modification time of each file
    from_index: int = 0  # how many came from the index (not re-encoded)
    failed: list[str] = field(default_factory=list)  # "path: reason" of each file left out
    nbytes: list[int] = field(default_factory=list)  # size of each file (empty: not known)

    def __len__(self) -> int:
        return len(self.paths)

    @cached_property
    def names(self) -> list[str]:
        """Each image's file name, with as many of its folders as tell it from another of the set's
        (`multicap.io.paths.short_names`)."""
        return short_names(self.paths)

    def keep_order(self) -> list[tuple[int, bool, bool, bool, int, float]]:
        """How fit each image is to be kept of its duplicates, smallest first: the most pixels, then a file
        over a symbolic link (a link and the file it names had been a pair with the link kept: deleting
        the "copy" lost the photo and broke the link), then one the way up its sky says (the sky found at
        its top: an older copy turned upside down had been kept; before the bytes, whose bands of 1.5 a
        copy a few per cent larger can cross), then colour over black and white (a grey copy is made from
        a colour photo, never the reverse), then the most bytes by a factor of 1.5 at least (the least
        compressed: a copy re-encoded at half the size had been kept for being older; a turned copy's few
        bytes more or less say nothing), then the oldest."""
        nbytes = self.nbytes or [1] * len(self)
        grey = [
            d.facts is not None and d.facts.image_attributes.get("colourfulness") == "black and white"
            for d in self.descriptions
        ]
        links = [path.is_symlink() for path in self.paths]
        turned = [not _sky_on_top(d) for d in self.descriptions]
        compressed = [-math.floor(math.log(max(b, 1), _BYTES_FACTOR)) for b in nbytes]
        return list(zip([-p for p in self.pixels], links, turned, grey, compressed, self.mtimes, strict=True))


def _sky_on_top(description: Description) -> bool:
    """Whether the describer found the sky along the image's top edge (`multicap.describe.sky` looks for it
    there): a photo the right way up. A copy turned a quarter or upside down shows its sky elsewhere."""
    objects = description.facts.objects if description.facts is not None else []
    return any(
        o.label == "sky" and o.attributes.get("found_by") == "pixels" and o.box[1] <= 0.02 for o in objects
    )


@dataclass
class _Loaded:
    model_input: Any  # what the model's `load` returned; None for an image the index holds
    pixels: np.ndarray  # its pixel signature
    size: tuple[int, int]
    mtime: float
    nbytes: int


def _stored(index_root: Path | None, paths: Sequence[Path]) -> dict[Path, tuple[np.ndarray, Description]]:
    """path → (embedding, description) for the files the index holds unchanged."""
    records = held_records(index_root, paths)
    return {path: (r.vectors["image"], description_of(path, r)) for path, r in records.items()}


def collect_images(
    paths: Sequence[str | Path],
    *,
    index_root: Path | None = None,
    model: IndexModel | Callable[[], IndexModel] | None = None,
    batch_size: int = 16,
    progress: Callable[[int], None] | None = None,
    on_error: ErrorHandler | None = None,
) -> ImageSet:
    """Embeddings, signatures and descriptions of the readable `paths`, in their order.

    Args:
        index_root: an index to take stored vectors and descriptions from.
        model: the model for images not in the index (or a function that opens it, called only if one is
            needed); by default the index's own model, else the grounded one.
    """
    files = [Path(p) for p in paths]
    stored = _stored(index_root, files)
    opened: list[IndexModel] = []

    def get_model() -> IndexModel:
        if not opened:
            opened.append(_open(model, index_root))
        return opened[0]

    failed: list[str] = []

    def fail(error: ImageLoadError) -> None:
        failed.append(str(error))
        (on_error or log_error)(error)

    def load(path: Path) -> _Loaded:
        model_input = None if path in stored else get_model().load(path)
        img = load_image(path, min_short_side=_SIGNATURE_SIDE)
        with Image.open(path) as header:
            size = header.size
        st = path.stat()
        return _Loaded(model_input, pixel_signature(img), size, st.st_mtime, st.st_size)

    if any(p not in stored for p in files):
        get_model()  # open it here, not in a loader thread
    rows: dict[Path, tuple[np.ndarray, Description, _Loaded]] = {}
    for paths, items in iter_batches(files, load, batch_size=batch_size, on_error=fail, progress=progress):
        new = [(p, item) for p, item in zip(paths, items, strict=True) if p not in stored]
        rows.update((p, (*stored[p], item)) for p, item in zip(paths, items, strict=True) if p in stored)
        if new:
            _encode(get_model(), new, rows)
    return _assemble(files, rows, sum(p in rows for p in stored), failed)


def _open(model: IndexModel | Callable[[], IndexModel] | None, index_root: Path | None) -> IndexModel:
    if (
        model is None
        and index_root is not None
        and (index_root / DB_NAME).is_file()
        and recorded_identity(index_root)
    ):
        # the index's model, checked to be the weights its stored vectors came from: a fine-tune copied
        # over them had encoded the new files beside the old vectors, unsaid (search refused it)
        return open_index_model(index_root)
    if model is None:
        return model_for_index(index_root) if index_root is not None else open_model()
    return model() if callable(model) and not hasattr(model, "process") else model  # type: ignore[return-value]


def _encode(
    model: IndexModel,
    batch: list[tuple[Path, _Loaded]],
    rows: dict[Path, tuple[np.ndarray, Description, _Loaded]],
) -> None:
    paths = [p for p, _ in batch]
    vectors, said = model.process(paths, [item.model_input for _, item in batch])
    for (path, item), vec, described in zip(batch, vectors, said, strict=True):
        rows[path] = (vec, described.description, item)


def _assemble(
    files: list[Path],
    rows: dict[Path, tuple[np.ndarray, Description, _Loaded]],
    from_index: int,
    failed: list[str],
) -> ImageSet:
    kept = [p for p in dict.fromkeys(files) if p in rows]
    if not kept:
        return ImageSet([], np.zeros((0, 0), np.float32), np.zeros((0, 0), np.float32), [], [], [], 0, failed)
    embeddings = unit(np.stack([rows[p][0] for p in kept]))
    pixels = np.stack([rows[p][2].pixels for p in kept])
    return ImageSet(
        paths=kept,
        embeddings=embeddings,
        signatures=signature(embeddings, pixels),
        descriptions=[rows[p][1] for p in kept],
        pixels=[rows[p][2].size[0] * rows[p][2].size[1] for p in kept],
        mtimes=[rows[p][2].mtime for p in kept],
        from_index=from_index,
        failed=failed,
        nbytes=[rows[p][2].nbytes for p in kept],
    )
