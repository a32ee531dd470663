"""The on-disk layout of a feature store: metadata and identity, the row files, the committed row count.

`multicap.data.feature_cache` builds on these; nothing here knows about encoding.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from multicap.encoders import Encoder
from multicap.errors import DataError
from multicap.io.paths import file_hash

_log = logging.getLogger(__name__)

__all__ = [
    "DTYPE",
    "FORMAT",
    "FORMAT_VERSION",
    "SCHEMA",
    "as_rows",
    "build_lock",
    "check_finite",
    "check_identity",
    "committed",
    "committed_rows",
    "encoder_identity",
    "file_hash",
    "open_maps",
    "probe_identity",
    "read_meta",
    "write_rows",
]

FORMAT = "multicap-features"  # meta.json "format"
FORMAT_VERSION = 1  # meta.json "version"; a store written by a newer version is refused
DTYPE = np.float16
_GROW_ROWS = 1024  # the data files grow by at least this many rows at a time
SCHEMA = """
CREATE TABLE IF NOT EXISTS rows (hash TEXT PRIMARY KEY, row INTEGER NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, mtime_ns INTEGER, size INTEGER, hash TEXT);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


def as_rows(rows: Sequence[int] | np.ndarray, count: int) -> np.ndarray:
    idx = np.asarray(rows, dtype=np.int64).reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= count):
        raise IndexError(f"feature rows must lie in 0..{count - 1}; got {idx.min()}..{idx.max()}")
    return idx


def committed(db: sqlite3.Connection) -> int:
    found = db.execute("SELECT value FROM state WHERE key = 'count'").fetchone()
    return 0 if found is None else int(found[0])


def committed_rows(root: Path) -> int:
    """The committed row count of the store in `root`, read without opening a `FeatureStore`."""
    with contextlib.closing(sqlite3.connect(root / "index.sqlite", timeout=30.0)) as db:
        try:
            return committed(db)
        except sqlite3.OperationalError:  # no table yet: nothing committed
            return 0
        except sqlite3.DatabaseError as exc:  # "file is not a database" (not locked nor read-only: those are
            #                                   OperationalErrors)
            raise DataError(
                f"{root / 'index.sqlite'}: unreadable feature store ({exc}); delete the folder to rebuild"
            ) from None


def open_maps(root: Path, count: int, grid_shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Read-only memory maps of the first `count` rows: grid (count, N, D), pooled (count, D)."""
    n, d = grid_shape
    if count == 0:
        return np.zeros((0, n, d), DTYPE), np.zeros((0, d), DTYPE)
    for name, row_values in (("grid.f16", n * d), ("pooled.f16", d)):
        path = root / name
        need = count * row_values * np.dtype(DTYPE).itemsize
        have = path.stat().st_size if path.is_file() else 0
        if have < need:  # truncated: numpy had said only "mmap length is greater than file size"
            raise _damaged(path, have, count, need)
    grid = np.memmap(root / "grid.f16", dtype=DTYPE, mode="r", shape=(count, n, d))
    pooled = np.memmap(root / "pooled.f16", dtype=DTYPE, mode="r", shape=(count, d))
    return grid, pooled


def _damaged(path: Path, have: int, count: int, need: int) -> DataError:
    return DataError(
        f"{path}: the feature cache is damaged ({have:,} bytes, its {count} rows need {need:,}); "
        f"delete the folder {path.parent} to build it again"
    )


def check_finite(values: np.ndarray, root: Path) -> np.ndarray:
    """`values` read from the store at `root`, or DataError where some are no numbers (bytes overwritten:
    a captioner had been trained and scored on them unsaid, every caption "the")."""
    if not np.isfinite(values).all():
        raise DataError(
            f"{root}: the feature cache is damaged (its rows hold values that are no numbers); delete the "
            "folder to build it again"
        )
    return values


def write_rows(path: Path, start: int, data: np.ndarray) -> None:
    """Write rows at `start`, growing the file in steps of `_GROW_ROWS` rows, and flush them to disk. A file
    shorter than its `start` rows already committed is damaged (truncated): DataError, nothing written (it
    had been grown back with zeros in place of the lost rows, and a captioner trained and scored on them)."""
    row_bytes = data[0].nbytes
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        end = (start + len(data)) * row_bytes
        have = os.fstat(fd).st_size
        if have < start * row_bytes:
            raise _damaged(path, have, start, start * row_bytes)
        if have < end:
            rows = -(-(start + len(data)) // _GROW_ROWS) * _GROW_ROWS
            os.ftruncate(fd, rows * row_bytes)  # preallocate (sparse) room for the next chunks
        os.pwrite(fd, np.ascontiguousarray(data).tobytes(), start * row_bytes)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_meta(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(
            f"{path}: unreadable feature store metadata ({exc}); delete the folder to rebuild"
        ) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise DataError(f"{path} is not a feature store's; choose another folder")
    if int(meta.get("version", 0)) > FORMAT_VERSION:
        raise DataError(f"{path}: feature store version {meta['version']} is newer; upgrade multicap")
    return meta


def check_identity(root: Path, meta: dict[str, Any], identity: dict[str, Any]) -> None:
    diff = [k for k, v in identity.items() if meta.get(k) != v]
    if diff:
        shown = "; ".join(f"{k} {meta.get(k)!r} -> {identity[k]!r}" for k in diff[:3])
        raise DataError(
            f"{root} holds features of another encoder ({shown}); use another folder for this encoder"
        )


@contextlib.contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """One builder at a time per store (readers need no lock); a second one waits for the first, then
    finds its images stored: two trainings started on one corpus at once share one encoding."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock; builds must not overlap
        yield
        return
    with (root / ".build.lock").open("w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _log.warning("%s: another process is building this feature store; waiting for it", root)
            fcntl.flock(f, fcntl.LOCK_EX)  # released by the other process's exit at the latest
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def encoder_identity(encoder: Encoder, grid_hw: tuple[int, int], dim: int) -> dict[str, Any]:
    """What makes two encoders' features interchangeable: name, weights, preprocessing and grid shape."""
    pre = encoder.preprocess
    preprocess = dataclasses.asdict(pre) if dataclasses.is_dataclass(pre) else repr(pre)
    return {
        "encoder": encoder.name,
        "weights": encoder.weights,
        "preprocess": json.loads(json.dumps(preprocess)),  # tuples -> lists, as they read back
        "grid_hw": list(grid_hw),
        "N": grid_hw[0] * grid_hw[1],
        "D": dim,
    }


def probe_identity(encoder: Encoder) -> dict[str, Any]:
    """Encode one blank image to learn the grid shape, then build the identity."""
    size = encoder.preprocess.size
    feats = encoder.encode_batch(torch.zeros(1, 3, size, size, dtype=torch.uint8))
    return encoder_identity(encoder, feats.grid_hw, int(feats.grid.shape[-1]))
