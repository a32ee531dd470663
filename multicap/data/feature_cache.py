"""A store of encoder features computed once per (image content, encoder) and read back by row.

The folder:
  meta.json      encoder identity (name, weights, preprocessing, grid shape), dtype and format version
  index.sqlite   content hash -> row, path -> (mtime, size, hash), and the committed row count
  grid.f16       float16 rows of (N, D) grid cells, row-major; read through a memory map
  pooled.f16     float16 rows of (D,) pooled vectors

Writes go to the rows just past the committed count, are flushed to disk, and only then does one SQLite
transaction record their hashes and the new count; a build that is killed loses at most its last chunk and
leaves nothing half-written in view. Readers map only the committed rows, so a `FeatureDataset` can read
while a build appends. The content hash is sha1 of the file bytes; the (path, mtime, size) -> hash cache
avoids rehashing files that did not change, and a renamed or copied file reuses its row.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from multicap.data.feature_files import (
    DTYPE,
    FORMAT,
    FORMAT_VERSION,
    SCHEMA,
    as_rows,
    build_lock,
    check_finite,
    check_identity,
    committed,
    committed_rows,
    file_hash,
    open_maps,
    probe_identity,
    read_meta,
    write_rows,
)
from multicap.encoders import Encoder, Features
from multicap.encoders.pipeline import encode_paths
from multicap.errors import DataError, ImageLoadError
from multicap.io import ErrorHandler, log_error

__all__ = ["BuildReport", "FeatureDataset", "FeatureStore"]


@dataclass(frozen=True)
class BuildReport:
    added: int  # images encoded and stored by this build
    reused: int  # images whose content was already stored (or repeated within the build)
    failed: int  # files that could not be read or decoded
    failed_paths: tuple[Path, ...] = ()  # those files, in input order


class FeatureStore:
    """Encoder features on disk, one row per distinct image content. Open with `FeatureStore.open`."""

    def __init__(self, root: Path, meta: dict[str, Any]) -> None:
        self.root = root
        self.meta = meta
        self.grid_hw: tuple[int, int] = (int(meta["grid_hw"][0]), int(meta["grid_hw"][1]))
        self.grid_shape: tuple[int, int] = (int(meta["N"]), int(meta["D"]))
        self._db = sqlite3.connect(root / "index.sqlite", timeout=30.0)
        try:
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:  # "file is not a database": had named no file and no way out
            self._db.close()
            if isinstance(exc, sqlite3.OperationalError):  # locked, read-only, I/O: no reason to delete it
                raise DataError(f"{root / 'index.sqlite'}: {exc}") from None
            raise DataError(
                f"{root / 'index.sqlite'}: unreadable feature store ({exc}); delete the folder to rebuild"
            ) from None
        self._maps: tuple[int, np.ndarray, np.ndarray] | None = None  # (count, grid, pooled) memmaps

    # ------------------------------------------------------------------------------------------ open
    @classmethod
    def open(cls, root: str | Path, encoder: Encoder | None = None) -> FeatureStore:
        """Create the store in `root`, or reopen it.

        Args:
            root: the store's folder.
            encoder: the encoder whose features the store holds; needed to create a store, and checked
                against the store's identity when reopening one.

        Raises:
            DataError: `root` holds no store and no encoder was given, holds a store made by another
                encoder (or by a newer multicap), or holds files that are not a store.
        """
        root = Path(root)
        meta_path = root / "meta.json"
        meta: dict[str, Any]
        if meta_path.exists():
            meta = read_meta(meta_path)
            if encoder is not None:
                check_identity(root, meta, probe_identity(encoder))
            return cls(root, meta)
        if encoder is None:
            raise DataError(f"{root}: no feature store here; open it with an encoder to create one")
        try:
            if root.exists() and any(root.iterdir()):
                raise DataError(f"{root} is not empty and holds no feature store; choose an empty folder")
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a file where the folder should be, /proc, a folder it may not write
            files = [p for p in (root, *root.parents) if p.exists() and not p.is_dir()]
            why = f"{files[-1]} is a file, not a folder" if files else exc.strerror or str(exc)
            raise DataError(
                f"{root}: no feature cache can be kept there ({why}); give a folder it may write"
            ) from None
        meta = {"format": FORMAT, "version": FORMAT_VERSION, "dtype": "float16"}
        meta.update(probe_identity(encoder))
        tmp = meta_path.with_name("meta.json.tmp")  # written whole, then renamed
        tmp.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, meta_path)
        return cls(root, meta)

    def close(self) -> None:
        self._db.close()
        self._maps = None

    def __enter__(self) -> FeatureStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------ read
    def __len__(self) -> int:
        return committed(self._db)

    def row_of(self, path: str | Path) -> int | None:
        """The row holding the features of this file's content; None when not stored or unreadable."""
        return self.rows_of([path])[0]

    def rows_of(self, paths: Sequence[str | Path]) -> list[int | None]:
        """`row_of` for many files (one lookup per file; unchanged files are not rehashed)."""
        out: list[int | None] = []
        for p in paths:
            try:
                digest = self._hash(Path(p), remember=False)
            except OSError:  # exists but cannot be read
                digest = None
            out.append(None if digest is None else self._row_of_hash(digest))
        return out

    def grid(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """(len(rows), N, D) float16 grid features of these rows (a copy)."""
        grid, _ = self._views()
        return check_finite(np.asarray(grid[as_rows(rows, len(grid))]), self.root)

    def pooled(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """(len(rows), D) float16 pooled features of these rows (a copy)."""
        _, pooled = self._views()
        return check_finite(np.asarray(pooled[as_rows(rows, len(pooled))]), self.root)

    def _views(self) -> tuple[np.ndarray, np.ndarray]:
        count = len(self)
        if self._maps is None or self._maps[0] != count:
            grid, pooled = open_maps(self.root, count, self.grid_shape)
            self._maps = (count, grid, pooled)
        return self._maps[1], self._maps[2]

    # ------------------------------------------------------------------------------------------ build
    def build(
        self,
        paths: Sequence[str | Path],
        encoder: Encoder,
        *,
        batch_size: int = 32,
        progress: Callable[[int], None] | None = None,
        on_error: ErrorHandler | None = None,
        commit_every: int = 256,
    ) -> BuildReport:
        """Encode the files whose content is not stored yet and append their features.

        Args:
            paths: image files; repeats and files with identical content are encoded once.
            encoder: must have the store's identity.
            batch_size: images per forward pass.
            progress: called with the number of files just finished (stored, reused or failed).
            on_error: called with each unreadable file's error (default: one logged warning).
            commit_every: images per commit; a killed build loses at most this many.

        Raises:
            DataError: the encoder is not the store's. (Another build of the store is waited for.)
        """
        check_identity(self.root, self.meta, probe_identity(encoder))
        handle = on_error or log_error
        failed: list[Path] = []
        twins: dict[Path, list[Path]] = {}  # a file to encode → the other files of its content

        def fail(error: ImageLoadError) -> None:  # each file of that content is named: three empty
            for path in dict.fromkeys((error.path, *twins.get(error.path, ()))):  # downloads had been one
                failed.append(path)
                handle(error if path == error.path else ImageLoadError(path, error.reason))

        with build_lock(self.root):
            todo, reused = self._plan([Path(p) for p in paths], fail, twins)
            if progress is not None and reused:
                progress(reused)
            added = self._encode(todo, encoder, batch_size, progress, fail, commit_every)
        reused -= sum(len(twins.get(p, ())) for p in set(failed))  # a file's twins failed with it
        return BuildReport(added, reused, len(failed), tuple(failed))

    def _plan(
        self, paths: list[Path], fail: Callable[[ImageLoadError], None], twins: dict[Path, list[Path]]
    ) -> tuple[dict[str, Path], int]:
        """Hash every file; return (hash -> one path to encode) for new content, and how many are reused
        (stored, or the same content as a file to encode: those are listed in `twins`)."""
        todo: dict[str, Path] = {}
        reused = 0
        for path in paths:
            try:
                digest = self._hash(path, remember=True)
            except OSError as exc:
                fail(ImageLoadError(path, exc.strerror or str(exc)))
                continue
            assert digest is not None
            if digest in todo:  # the same content (or the same file named again): it shares that file's fate
                reused += 1
                twins.setdefault(todo[digest], []).append(path)
            elif self._row_of_hash(digest) is not None:
                reused += 1
            else:
                todo[digest] = path
        self._db.commit()
        return todo, reused

    def _encode(
        self,
        todo: dict[str, Path],
        encoder: Encoder,
        batch_size: int,
        progress: Callable[[int], None] | None,
        fail: Callable[[ImageLoadError], None],
        commit_every: int,
    ) -> int:
        """Encode `todo` in batches and commit every `commit_every` images; return how many were stored."""
        hash_of = {path: digest for digest, path in todo.items()}
        pending: list[tuple[str, Features]] = []
        added = 0
        batches = encode_paths(
            encoder, list(todo.values()), batch_size=batch_size, on_error=fail, progress=progress
        )
        for batch_paths, feats in batches:
            pending += [(hash_of[p], feats[i]) for i, p in enumerate(batch_paths)]
            if len(pending) >= commit_every:
                added += self._commit(pending)
                pending = []
        if pending:
            added += self._commit(pending)
        return added

    def _commit(self, items: list[tuple[str, Features]]) -> int:
        """Write rows past the committed count, flush them, then record hashes and the new count."""
        start = len(self)
        grid = torch.cat([f.grid for _, f in items]).numpy().astype(DTYPE)  # (B, N, D)
        pooled = torch.cat([f.pooled for _, f in items]).numpy().astype(DTYPE)  # (B, D)
        if grid.shape[1:] != self.grid_shape:
            raise DataError(f"{self.root}: encoder gave grid {grid.shape[1:]}, store holds {self.grid_shape}")
        write_rows(self.root / "grid.f16", start, grid)
        write_rows(self.root / "pooled.f16", start, pooled)
        with self._db:  # one transaction: the rows become visible together with the count
            self._db.executemany(
                "INSERT INTO rows (hash, row) VALUES (?, ?)",
                [(digest, start + i) for i, (digest, _) in enumerate(items)],
            )
            self._db.execute(
                "INSERT OR REPLACE INTO state (key, value) VALUES ('count', ?)", (start + len(items),)
            )
        return len(items)

    # ------------------------------------------------------------------------------------------ index
    def _row_of_hash(self, digest: str) -> int | None:
        found = self._db.execute("SELECT row FROM rows WHERE hash = ?", (digest,)).fetchone()
        return None if found is None else int(found[0])

    def _hash(self, path: Path, *, remember: bool) -> str | None:
        """The file's content hash, from the cache when path, mtime and size are unchanged.

        Returns None for a missing file when `remember` is False; raises OSError otherwise.
        """
        key = str(path.resolve())
        try:
            st = path.stat()
        except OSError:
            if not remember:
                return None
            raise
        found = self._db.execute(
            "SELECT hash FROM files WHERE path = ? AND mtime_ns = ? AND size = ?",
            (key, st.st_mtime_ns, st.st_size),
        ).fetchone()
        if found is not None:
            return str(found[0])
        digest = file_hash(path)
        if remember:
            self._db.execute(
                "INSERT OR REPLACE INTO files (path, mtime_ns, size, hash) VALUES (?, ?, ?, ?)",
                (key, st.st_mtime_ns, st.st_size, digest),
            )
        return digest


class FeatureDataset(torch.utils.data.Dataset):
    """Items `(features, extra)` read from a store: a grid (N, D) (or pooled (D,)) and `extras[i]`.

    Holds only the store's folder and the rows; each process (DataLoader worker, fork or spawn) opens its
    own read-only memory map on first use. `__getitems__`, which the DataLoader calls when it batches,
    reads a whole batch with one gather in file order into one block; with `collate_fn=FeatureDataset.collate`
    that block becomes the batch without another copy (and in a worker it is already in shared memory).

    Args:
        root: the store's folder.
        rows: the store row of each item.
        extras: one value per item returned beside its features (token ids, an image index...); the item's
            index when omitted.
        pooled: return the pooled vector instead of the grid.
        dtype: torch.float32, or torch.float16 to skip the conversion (e.g. to convert on the GPU).
    """

    def __init__(
        self,
        root: str | Path,
        rows: Sequence[int] | np.ndarray,
        extras: Sequence[Any] | None = None,
        *,
        pooled: bool = False,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        self.root = Path(root)
        meta = read_meta(self.root / "meta.json")
        self.grid_shape: tuple[int, int] = (int(meta["N"]), int(meta["D"]))
        self.count = committed_rows(self.root)
        self.rows = as_rows(rows, self.count)
        if extras is not None and len(extras) != len(self.rows):
            raise ValueError(f"extras has {len(extras)} items for {len(self.rows)} rows")
        if dtype not in (torch.float32, torch.float16):
            raise ValueError(f"dtype must be torch.float32 or torch.float16, not {dtype}")
        self.extras = extras
        self.use_pooled = pooled
        self.dtype = dtype
        self._map: np.ndarray | None = None
        self._pid = -1

    def __len__(self) -> int:
        return len(self.rows)

    def _source(self) -> np.ndarray:
        if self._map is None or self._pid != os.getpid():  # a forked child maps the file afresh
            grid, pooled = open_maps(self.root, self.count, self.grid_shape)
            self._map, self._pid = (pooled if self.use_pooled else grid), os.getpid()
        return self._map

    def _extra(self, i: int) -> Any:
        return i if self.extras is None else self.extras[i]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, Any]:
        feats = torch.from_numpy(check_finite(np.array(self._source()[self.rows[i]]), self.root))  # (N, D)
        return feats.to(self.dtype), self._extra(i)

    def __getitems__(self, indices: Sequence[int]) -> list[tuple[torch.Tensor, Any]]:
        src = self._source()
        rows = self.rows[np.asarray(indices, dtype=np.int64)]
        order = np.argsort(rows, kind="stable")  # read the file front to back
        block = torch.empty((len(rows), *src.shape[1:]), dtype=self.dtype)  # (B, N, D) or (B, D)
        if torch.utils.data.get_worker_info() is not None:
            block.share_memory_()  # the batch goes to the main process: no copy on the way
        block.numpy()[order] = src[rows[order]]
        check_finite(block.numpy(), self.root)  # (about 1 ms a batch of 32 grids)
        return [(f, self._extra(int(i))) for f, i in zip(block.unbind(0), indices, strict=True)]

    @staticmethod
    def collate(items: Sequence[tuple[torch.Tensor, Any]]) -> tuple[torch.Tensor, Any]:
        """(features (B, ...), extras collated as the DataLoader would): the block `__getitems__` filled
        when the items are its rows in order (no copy), a stack otherwise."""
        feats = [f for f, _ in items]
        base = feats[0]._base  # the block that unbind() cut the items from, if any
        if (
            base is not None
            and base.shape[0] == len(feats)
            and all(f._base is base and f.data_ptr() == base[k].data_ptr() for k, f in enumerate(feats))
        ):
            batch = base
        else:
            batch = torch.stack(feats)
        return batch, torch.utils.data.default_collate([e for _, e in items])

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_map"], state["_pid"] = None, -1  # never send a memory map to another process
        return state
