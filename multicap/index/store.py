"""`IndexStore`: the SQLite side of an index (images, descriptions, vectors, full-text search).

SQLite is the source of truth: the FAISS files are derived from the vectors kept here and can be rebuilt
at any time. Every write is one transaction, so a process killed at any moment leaves either the whole
batch or none of it.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from multicap.facts.versions import said_enough
from multicap.index.schema import FTS_COLUMNS, connect
from multicap.io import db_name, from_db_name

__all__ = ["SPACES", "ImageRecord", "IndexStore", "KnownFile"]

SPACES: tuple[str, ...] = ("image", "caption")  # the vector spaces kept per image
_CHUNK = 4096  # rows read per query when streaming vectors
_UNIT_SLACK = 1e-3  # how far from 1 a stored unit vector's length may be (float32 rounding: about 1e-7)
_log = logging.getLogger("multicap")


@dataclass
class ImageRecord:
    """Everything stored for one indexed file."""

    path: str  # absolute, resolved; stored as a BLOB of its bytes when not valid UTF-8 (io.paths)
    mtime_ns: int
    size: int
    hash: str  # sha1 of the bytes
    width: int | None = None
    height: int | None = None
    texts: dict[str, str] = field(default_factory=dict)  # level -> text
    confidence: dict[str, float] = field(default_factory=dict)  # level -> confidence
    facts: dict[str, Any] | None = None  # SceneFacts.to_dict()
    tags: str = ""  # hypernym tags of the objects named, space-separated
    vectors: dict[str, np.ndarray] = field(default_factory=dict)  # space -> (D,) float32
    said_by: str = ""  # the version of the describer that said the texts and facts (Describer.version)


@dataclass(frozen=True)
class KnownFile:
    id: int
    mtime_ns: int
    size: int
    hash: str
    said_by: str = ""


class IndexStore:
    """One index's `meta.sqlite`. Readers and the (single) writer each open their own."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        """Open the database at `path`, made there where there is none unless not to `create` (a reader:
        `multicap serve` never writes the index).

        Raises:
            FileNotFoundError: not to `create`, and no database at `path`.
        """
        self.path = path
        self.db = connect(path, create=create)
        self._said_damaged: set[str | tuple[str, str]] = set()  # the spaces whose damaged vectors were said
        self._dims: dict[tuple[str, int], int | None] = {}  # (space, total_changes) → `vector_dim`

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> IndexStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------ meta
    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def set_meta(self, **values: Any) -> None:
        with self._transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [(k, json.dumps(v)) for k, v in values.items()],
            )

    # ------------------------------------------------------------------------------------------ files
    def live_files(self) -> dict[str, KnownFile]:
        """path -> what was recorded for each live (not deleted) image."""
        rows = self.db.execute("SELECT path, id, mtime_ns, size, hash, said_by FROM images WHERE deleted = 0")
        return {from_db_name(p): KnownFile(i, m, s, h, b) for p, i, m, s, h, b in rows}

    def live_among(self, paths: Iterable[str]) -> list[str]:
        """Those of `paths` that have a live row (by the index of live paths: one lookup each)."""
        query = "SELECT 1 FROM images WHERE path = ? AND deleted = 0"
        return [p for p in paths if self.db.execute(query, (db_name(p),)).fetchone() is not None]

    def live_hashes(self, paths: Iterable[str]) -> list[str]:
        """The content hash of each of `paths` that has a live row."""
        query = "SELECT hash FROM images WHERE path = ? AND deleted = 0"
        rows = (self.db.execute(query, (db_name(p),)).fetchone() for p in paths)
        return [row[0] for row in rows if row is not None]

    def live_paths_of(self, digests: Iterable[str]) -> list[tuple[str, str]]:
        """(path, hash) of the live rows holding each content of `digests` (identical copies: several)."""
        query = "SELECT path FROM images WHERE hash = ? AND deleted = 0 ORDER BY id"
        return [(from_db_name(r[0]), d) for d in dict.fromkeys(digests) for r in self.db.execute(query, (d,))]

    def record_by_hash(
        self, digest: str, said_by: str | None = None, *, whole: bool = False
    ) -> ImageRecord | None:
        """The latest stored record (live or deleted) of this content, with its vectors and texts; only
        one whose describer version need not be said again by `said_by` (`versions.said_enough`), when
        given. A damaged vector (`vectors_of`) is left out of its record, and said; with `whole`, a record
        with one is passed over (a copy had been given it, and `compare` had used it unsaid)."""
        rows = self.db.execute(
            "SELECT id, path, mtime_ns, size, hash, width, height, facts, image_vec, caption_vec, said_by "
            "FROM images WHERE hash = ? AND image_vec IS NOT NULL ORDER BY id DESC",
            (digest,),
        )
        for row in rows:
            if said_by is not None and not said_enough(row[-1], said_by):
                continue
            image_id, path, mtime, size, h, width, height, facts, image_vec, caption_vec, said = row
            vectors: dict[str, np.ndarray] = {}
            for space, blob in zip(SPACES, (image_vec, caption_vec), strict=True):
                if blob:  # (no live row to tell the dimension by: every file moved away, one back now)
                    dim = self.vector_dim(space) or len(blob) // 4
                    sound, damaged = _sound([(image_id, blob)], dim)
                    vectors |= {space: sound[image_id]} if sound else {}
                    if damaged and (space, "record") not in self._said_damaged:
                        self._said_damaged.add((space, "record"))  # once: asked of many images in a run
                        self._say_damaged(space, damaged, "read again where the image is")
            if whole and len(vectors) < sum(bool(b) for b in (image_vec, caption_vec)):
                continue
            texts, confidence = self._texts(image_id)
            tags = self.db.execute("SELECT tags FROM fts WHERE rowid = ?", (image_id,)).fetchone()
            return ImageRecord(
                from_db_name(path), mtime, size, h, width, height, texts, confidence,
                json.loads(facts) if facts else None, tags[0] if tags else "", vectors, said,
            )  # fmt: skip
        return None

    def _texts(self, image_id: int) -> tuple[dict[str, str], dict[str, float]]:
        rows = self.db.execute(
            "SELECT level, text, confidence FROM descriptions WHERE image_id = ?", (image_id,)
        ).fetchall()
        return {lv: t for lv, t, _ in rows}, {lv: c for lv, _, c in rows if c is not None}

    # ------------------------------------------------------------------------------------------ writes
    def add(self, records: Sequence[ImageRecord], *, retire: Sequence[str] = ()) -> list[int]:
        """Store a batch in one transaction; a live row at the same path is retired first, and the live
        rows of `retire` (the paths the batch's files moved from) with it. Returns ids."""
        ids: list[int] = []
        with self._transaction():
            self._retire_paths(retire)
            for rec in records:
                self._retire_paths([rec.path])
                ids.append(self._insert(rec))
        return ids

    def _insert(self, rec: ImageRecord) -> int:
        vec = [_blob(rec.vectors.get(s)) for s in SPACES]
        cur = self.db.execute(
            "INSERT INTO images (path, mtime_ns, size, hash, width, height, facts, image_vec, caption_vec, "
            "said_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (db_name(rec.path), rec.mtime_ns, rec.size, rec.hash, rec.width, rec.height,
             json.dumps(rec.facts) if rec.facts is not None else None, *vec, rec.said_by),
        )  # fmt: skip
        image_id = int(cur.lastrowid or 0)
        self.db.executemany(
            "INSERT INTO descriptions (image_id, level, text, confidence) VALUES (?, ?, ?, ?)",
            [(image_id, lv, text, rec.confidence.get(lv)) for lv, text in rec.texts.items()],
        )
        columns = [rec.texts.get(c, "") for c in FTS_COLUMNS[:-1]] + [rec.tags]
        self.db.execute(
            f"INSERT INTO fts (rowid, {', '.join(FTS_COLUMNS)}) VALUES (?{', ?' * len(FTS_COLUMNS)})",
            (image_id, *columns),
        )
        return image_id

    def touch(self, updates: Iterable[tuple[int, int, int]]) -> None:
        """Record new (mtime_ns, size) for rows whose content did not change: (id, mtime_ns, size)."""
        with self._transaction():
            self.db.executemany(
                "UPDATE images SET mtime_ns = ?, size = ? WHERE id = ?", [(m, s, i) for i, m, s in updates]
            )

    def retire(self, paths: Sequence[str]) -> int:
        """Mark the live rows of these paths deleted (they leave search results). Returns how many."""
        with self._transaction():
            return self._retire_paths(paths)

    def _retire_paths(self, paths: Sequence[str]) -> int:
        n = 0
        for path in paths:
            row = self.db.execute(
                "SELECT id FROM images WHERE path = ? AND deleted = 0", (db_name(path),)
            ).fetchone()
            if row is not None:
                self.db.execute("UPDATE images SET deleted = 1 WHERE id = ?", (row[0],))
                self.db.execute("DELETE FROM fts WHERE rowid = ?", (row[0],))
                n += 1
        return n

    def purge(self, ids: Sequence[int]) -> int:
        """Delete these rows (live or retired) for good: their paths, vectors, facts and texts, overwritten
        on disk (SQLite's secure_delete), not only marked deleted. Returns how many rows went."""
        self.db.execute("PRAGMA secure_delete = ON")  # freed pages zeroed: what a file was is not left
        with self._transaction():
            for start in range(0, len(ids), 500):
                chunk = [int(i) for i in ids[start : start + 500]]
                marks = ", ".join("?" * len(chunk))
                self.db.execute(f"DELETE FROM descriptions WHERE image_id IN ({marks})", chunk)
                self.db.execute(f"DELETE FROM fts WHERE rowid IN ({marks})", chunk)
                self.db.execute(f"DELETE FROM images WHERE id IN ({marks})", chunk)
        return len(ids)

    def rows_under(self, tops: Sequence[str]) -> list[tuple[int, str, bool]]:
        """(id, path, live) of every row, live or retired, whose path is one of `tops` or below one."""
        out = []
        for image_id, name, deleted in self.db.execute("SELECT id, path, deleted FROM images"):
            path = from_db_name(name)
            if any(path == top or path.startswith(top.rstrip(os.sep) + os.sep) for top in tops):
                out.append((int(image_id), path, not deleted))
        return out

    def clear(self) -> None:
        """Forget every image (for --reembed: vectors of another model are useless)."""
        with self._transaction():
            for table in ("descriptions", "fts", "images"):
                self.db.execute(f"DELETE FROM {table}")

    # ------------------------------------------------------------------------------------------ reads
    def any_live(self) -> bool:
        """Whether the index holds an image (`count() > 0` without counting a million rows)."""
        return self.db.execute("SELECT 1 FROM images WHERE deleted = 0 LIMIT 1").fetchone() is not None

    def count(self, *, deleted: bool = False) -> int:
        """Live images, or retired rows. `deleted = 0` is written out, not bound: SQLite then counts the
        partial index of live paths (0.24 ms at 10,000 rows) instead of reading every row (5 ms, twice
        in each request of the web app, which checks whether the index changed); the retired are the
        rest of all rows, which it counts from an index."""
        live = int(self.db.execute("SELECT COUNT(*) FROM images WHERE deleted = 0").fetchone()[0])
        if not deleted:
            return live
        return int(self.db.execute("SELECT COUNT(*) FROM images").fetchone()[0]) - live

    def said_by_counts(self) -> dict[str, int]:
        """Live images per describer version that described them ('' for rows older than the column)."""
        rows = self.db.execute("SELECT said_by, COUNT(*) FROM images WHERE deleted = 0 GROUP BY said_by")
        return {str(v): int(n) for v, n in rows}

    def max_id(self) -> int:
        return int(self.db.execute("SELECT COALESCE(MAX(id), 0) FROM images").fetchone()[0])

    def iter_vectors(self, space: str, after_id: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Live vectors of one space in id order, in chunks: (ids (n,) int64, vectors (n, D) float32). A
        damaged vector (see `vectors_of`) is left out of the FAISS file built from them, and said once a
        space (a blob of another length had stopped a rebuild with numpy's "all input arrays must have the
        same shape")."""
        column = f"{_space(space)}_vec"
        last = after_id
        while True:
            rows = self.db.execute(
                f"SELECT id, {column} FROM images WHERE id > ? AND deleted = 0 AND {column} IS NOT NULL "
                "ORDER BY id LIMIT ?",
                (last, _CHUNK),
            ).fetchall()
            if not rows:
                return
            last = int(rows[-1][0])
            sound, damaged = _sound(rows, self.vector_dim(space))
            if damaged and space not in self._said_damaged:
                self._said_damaged.add(space)
                self._say_damaged(space, damaged, "left out of its vector file")
            if sound:
                yield np.fromiter(sound, np.int64, len(sound)), np.stack(list(sound.values()))

    def vectors_of(self, space: str, ids: Sequence[int]) -> dict[int, np.ndarray]:
        """id -> the stored vector in `space`. A vector that is not of unit length (or zero), or not of
        the space's dimension, is damage in the file (bytes overwritten inside a page SQLite does not
        checksum: a walkthrough's search ranked a pig second for "dog", with an overflow warning): it is
        left out, and said (once a connection: a search had said it twice)."""
        out: dict[int, np.ndarray] = {}
        damaged: list[int] = []
        for sound, bad in self._sound_chunks(space, ids):
            out.update(sound)
            damaged += bad
        if damaged and (space, "search") not in self._said_damaged:
            self._said_damaged.add((space, "search"))
            self._say_damaged(space, damaged, "left out of this search")
        return out

    def sound_vectors(self, space: str, ids: Sequence[int] | np.ndarray) -> int:
        """How many of `ids` are rows (live or deleted) with a whole vector in `space`: those a FAISS file
        built from `iter_vectors` holds (a rebuild that had left a damaged one out was judged to lack it,
        and rebuilt at every run)."""
        return sum(len(sound) for sound, _ in self._sound_chunks(space, ids))

    def _sound_chunks(
        self, space: str, ids: Sequence[int] | np.ndarray
    ) -> Iterator[tuple[dict[int, np.ndarray], list[int]]]:
        """`_sound` of the rows of `ids` with a vector in `space`, 500 ids a query."""
        column = f"{_space(space)}_vec"
        for start in range(0, len(ids), 500):
            chunk = [int(i) for i in ids[start : start + 500]]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT id, {column} FROM images WHERE id IN ({marks}) AND {column} IS NOT NULL", chunk
            ).fetchall()
            yield _sound(rows, self.vector_dim(space))

    def vector_dim(self, space: str) -> int | None:
        """The dimension of the space's vectors: the most common among the first 101 live rows (one
        damaged row first had set it), or None when no live row has one. Read again after this
        connection writes."""
        key = (space, self.db.total_changes)
        if key not in self._dims:
            row = self.db.execute(
                f"SELECT n FROM (SELECT length({_space(space)}_vec) / 4 AS n FROM images WHERE deleted = 0 "
                f"AND {space}_vec IS NOT NULL LIMIT 101) GROUP BY n ORDER BY COUNT(*) DESC LIMIT 1"
            ).fetchone()
            kept = {k: v for k, v in self._dims.items() if k[0] != space}  # one entry a space (a record
            self._dims = kept | {key: None if row is None else int(row[0])}  # asks for both, in turn)
        return self._dims[key]

    def _say_damaged(self, space: str, damaged: list[int], where: str) -> None:
        _log.warning(
            "%s: the %s vectors of %d image(s) are damaged (e.g. row %d), %s: move the index away and run "
            "`multicap index` again",
            self.path, space, len(damaged), damaged[0], where,
        )  # fmt: skip

    def facts_of(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """id -> SceneFacts.to_dict() for the ids whose describer gave facts."""
        out: dict[int, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            chunk = [int(i) for i in ids[start : start + 500]]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT id, facts FROM images WHERE id IN ({marks}) AND facts IS NOT NULL", chunk
            )
            out.update((int(i), json.loads(f)) for i, f in rows)
        return out

    def live(self, ids: Iterable[int]) -> dict[int, str]:
        """id -> path for the ids that are live."""
        wanted = [int(i) for i in ids]
        out: dict[int, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT id, path FROM images WHERE deleted = 0 AND id IN ({marks})", chunk
            )
            out.update((int(i), from_db_name(p)) for i, p in rows)
        return out

    def path_of(self, image_id: int) -> str | None:
        """The path an id was recorded under, live or retired (a retired row keeps its path)."""
        row = self.db.execute("SELECT path FROM images WHERE id = ?", (int(image_id),)).fetchone()
        return None if row is None else from_db_name(row[0])

    def id_of_path(self, path: str) -> int | None:
        known = self.file_of_path(path)
        return None if known is None else known.id

    def file_of_path(self, path: str) -> KnownFile | None:
        """What was recorded of the live image at `path` (None: the index holds none there)."""
        query = "SELECT id, mtime_ns, size, hash, said_by FROM images WHERE path = ? AND deleted = 0"
        row = self.db.execute(query, (db_name(path),)).fetchone()
        return None if row is None else KnownFile(int(row[0]), int(row[1]), int(row[2]), row[3], row[4] or "")

    def texts(self, image_id: int) -> dict[str, str]:
        return self._texts(image_id)[0]

    def indexed_text(self, image_id: int, columns: Sequence[str] = FTS_COLUMNS) -> str:
        """What the full-text search holds of an image in `columns` (by default its texts at every level and
        its tags) as one string."""
        kept = [c for c in FTS_COLUMNS if c in columns]  # named from the schema's own, never from input
        row = self.db.execute(f"SELECT {', '.join(kept)} FROM fts WHERE rowid = ?", (image_id,)).fetchone()
        return " ".join(v for v in row or () if v)

    def full_text(self, match: str, columns: Sequence[str], limit: int) -> list[tuple[int, float]]:
        """(id, bm25 score, higher is better) of the rows matching an FTS5 expression, best first."""
        weights = ", ".join("1.0" if c in columns else "0.0" for c in FTS_COLUMNS)
        rows = self.db.execute(
            f"SELECT rowid, -bm25(fts, {weights}) AS s FROM fts WHERE fts MATCH ? ORDER BY s DESC LIMIT ?",
            (match, limit),
        ).fetchall()
        return [(int(i), float(s)) for i, s in rows if s > 0]

    # ------------------------------------------------------------------------------------------ txn
    def _transaction(self) -> _Transaction:
        return _Transaction(self.db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (KeyboardInterrupt included)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.db.execute("ROLLBACK" if exc_type is not None else "COMMIT")


def _sound(rows: Sequence[tuple[int, bytes]], dim: int | None) -> tuple[dict[int, np.ndarray], list[int]]:
    """The rows' vectors that are whole: id -> vector, and the ids of the damaged ones (not `dim` float32s,
    or not of unit length and not zero; NaN included)."""
    sound: dict[int, np.ndarray] = {}
    damaged: list[int] = []
    for i, blob in rows:
        if dim is None or len(blob) != 4 * dim:
            damaged.append(int(i))
            continue
        v = np.frombuffer(blob, np.float32)
        with np.errstate(over="ignore", invalid="ignore"):  # damage may hold any float, NaN included
            squared = float(np.dot(v, v))  # float32: ~1 µs
        if squared == 0.0 or abs(squared - 1.0) < _UNIT_SLACK:
            sound[int(i)] = v
        else:
            damaged.append(int(i))
    return sound, damaged


def _space(space: str) -> str:
    if space not in SPACES:
        raise ValueError(f"unknown vector space {space!r}; one of {SPACES}")
    return space


def _blob(vec: np.ndarray | None) -> bytes | None:
    return None if vec is None else np.ascontiguousarray(vec, dtype=np.float32).tobytes()
