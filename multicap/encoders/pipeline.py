"""Files on disk → `Features`, in batches, with decoding and resizing overlapped with inference."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import torch

from multicap.encoders.encoder import Encoder
from multicap.encoders.features import Features
from multicap.errors import ImageLoadError
from multicap.io import ErrorHandler, iter_loaded, load_image, log_error

__all__ = ["encode_paths"]

Progress = Callable[[int], None]  # called with the number of files just finished (encoded or skipped)


def encode_paths(
    encoder: Encoder,
    paths: Iterable[str | Path],
    *,
    batch_size: int = 32,
    on_error: ErrorHandler | None = None,
    progress: Progress | None = None,
    workers: int = 2,
    max_pixels: int | None = None,
) -> Iterator[tuple[list[Path], Features]]:
    """Yield `(paths, features)` per batch, in input order; unreadable files are skipped via `on_error`.

    Worker threads decode JPEGs at reduced scale (draft mode) and resize to the encoder's input while
    the backbone runs on the previous batch.
    """
    pre = encoder.preprocess

    def load(path: Path) -> torch.Tensor:
        # Draft-decode down to the crop size, not the resize target: the ≤ 1/0.875 upscale that may follow
        # costs no visible detail, while decoding at half or quarter scale is 3-4× cheaper.
        return pre.to_uint8(load_image(path, min_short_side=pre.size, max_pixels=max_pixels))

    def skipped(error: ImageLoadError) -> None:
        (on_error or log_error)(error)
        if progress is not None:
            progress(1)

    batch_paths: list[Path] = []
    batch: list[torch.Tensor] = []
    prefetch = max(2 * batch_size, 8)
    for path, pixels in iter_loaded(
        (Path(p) for p in paths), load, on_error=skipped, workers=workers, prefetch=prefetch
    ):
        batch_paths.append(path)
        batch.append(pixels)
        if len(batch) == batch_size:
            yield batch_paths, encoder.encode_batch(torch.stack(batch))
            if progress is not None:
                progress(len(batch))
            batch_paths, batch = [], []
    if batch:
        yield batch_paths, encoder.encode_batch(torch.stack(batch))
        if progress is not None:
            progress(len(batch))
