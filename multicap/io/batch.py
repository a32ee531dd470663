"""Load many images in order, decoding ahead in threads, skipping bad files with one warning each; and
group them into batches (`iter_batches`): the one loop that every batch job (encode, describe, index,
compare) runs.

While a batch job runs, the BLAS libraries loaded in the process (numpy's OpenBLAS; FAISS's) run on one
thread (threadpoolctl). The job's products are small (colour tables, 28 × 28 maps) and its own threads
already fill the cores: OpenBLAS's workers, waiting for the next product, spun for about 5 ms of CPU an
image in `describe` (16% of it) and took it from the decoding threads and the encoder
(benchmarks/describe_budget.py); the results are the same. torch's threads are not touched."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from threadpoolctl import threadpool_limits

from multicap.errors import ImageLoadError
from multicap.io.paths import ErrorHandler, log_error

__all__ = ["ErrorHandler", "iter_batches", "iter_loaded", "log_error"]

T = TypeVar("T")


def iter_loaded(
    paths: Iterable[Path],
    load: Callable[[Path], T],
    *,
    on_error: ErrorHandler | None = None,
    workers: int = 2,
    prefetch: int = 16,
) -> Iterator[tuple[Path, T]]:
    """Yield `(path, load(path))` in input order, skipping files whose `load` raises `ImageLoadError`.

    Pillow releases the GIL while decoding, so `workers` threads decode ahead of the consumer (the
    encoder), overlapping I/O and decoding with inference. At most `prefetch` results wait in memory.
    """
    handle = on_error or log_error
    if workers <= 0:
        for path in paths:
            try:
                yield path, load(path)
            except ImageLoadError as exc:
                handle(exc)
        return
    pending: deque[tuple[Path, Future[T]]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="multicap-load") as pool:
        try:
            for path in paths:
                pending.append((path, pool.submit(load, path)))
                if len(pending) >= prefetch:
                    yield from _take(pending, handle)
            while pending:
                yield from _take(pending, handle)
        finally:
            for _, fut in pending:
                fut.cancel()


def iter_batches(
    paths: Iterable[Path | str],
    load: Callable[[Path], T],
    *,
    batch_size: int,
    on_error: ErrorHandler | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int = 2,
    prefetch: int | None = None,
) -> Iterator[tuple[list[Path], list[T]]]:
    """Yield `(paths, loaded)` batches of up to `batch_size` readable files, in input order.

    Unreadable files go to `on_error` (default: one warning) and count to `progress` at once; a batch
    counts to `progress` when the consumer asks for the next one, that is once it has been processed.
    Until the last batch is taken (or the loop is left), BLAS runs on one thread (module docstring).
    `workers` threads decode ahead (see `iter_loaded`), at most `prefetch` (default 2 batches) waiting.
    """

    def skipped(error: ImageLoadError) -> None:
        (on_error or log_error)(error)
        if progress is not None:
            progress(1)

    batch: list[tuple[Path, T]] = []
    ahead = prefetch if prefetch is not None else max(2 * batch_size, 8)
    with threadpool_limits(limits=1, user_api="blas"):  # see the module's docstring
        for item in iter_loaded(
            (Path(p) for p in paths), load, on_error=skipped, workers=workers, prefetch=ahead
        ):
            batch.append(item)
            if len(batch) == batch_size:
                yield [p for p, _ in batch], [x for _, x in batch]
                if progress is not None:
                    progress(len(batch))
                batch = []
        if batch:
            yield [p for p, _ in batch], [x for _, x in batch]
            if progress is not None:
                progress(len(batch))


def _take(pending: deque[tuple[Path, Future[T]]], handle: ErrorHandler) -> Iterator[tuple[Path, T]]:
    path, fut = pending.popleft()
    try:
        yield path, fut.result()
    except ImageLoadError as exc:
        handle(exc)
