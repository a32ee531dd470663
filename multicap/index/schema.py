"""The SQLite schema of an index (`meta.sqlite`), its version and its forward migrations.

`PRAGMA user_version` holds the schema version. Opening an older index applies the missing migrations in
order, each in its own transaction; an index written by a newer multicap is refused. The database runs in
WAL mode, so any number of readers see a consistent state while one writer commits.

Tables:
  meta          key -> JSON value: the model and encoder identity, the FAISS layout chosen, its recall
  images        one row per (path, content) ever indexed; `id` is the FAISS id. A file that disappears or
                changes keeps its row with `deleted = 1`, so its vectors can serve a file with the same
                content later (a move or a copy); at most one live row per path.
                `said_by` is the version of the describer that wrote its facts and texts (schema 2): an
                index run describes a file again when the model's describer has changed since.
  descriptions  the text per level of each image, with the describer's confidence
  fts           FTS5 over the description texts (one column per level) and the WordNet tags
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

from multicap.errors import DataError, IndexDamagedError, IndexVersionError
from multicap.io.paths import file_kind

__all__ = ["FTS_COLUMNS", "SCHEMA_VERSION", "check_intact", "connect", "schema_version"]

# Text columns of the FTS table: one per level, then the hypernym tags of the objects named.
FTS_COLUMNS: tuple[str, ...] = ("object", "attribute", "layout", "caption", "tags")

_V1 = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE images (
    id INTEGER PRIMARY KEY,          -- the FAISS id
    path TEXT NOT NULL,              -- absolute, resolved
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    hash TEXT NOT NULL,              -- sha1 of the file's bytes
    width INTEGER,
    height INTEGER,
    deleted INTEGER NOT NULL DEFAULT 0,
    facts TEXT,                      -- SceneFacts as JSON, where the describer gives them
    image_vec BLOB,                  -- float32, L2-normalised, in the encoder's pooled-feature space
    caption_vec BLOB                 -- float32, L2-normalised, in the model's text space
);
CREATE UNIQUE INDEX images_live_path ON images(path) WHERE deleted = 0;
CREATE INDEX images_hash ON images(hash);
CREATE TABLE descriptions (
    image_id INTEGER NOT NULL REFERENCES images(id),
    level TEXT NOT NULL,
    text TEXT NOT NULL,
    confidence REAL,
    PRIMARY KEY (image_id, level)
);
CREATE VIRTUAL TABLE fts USING fts5({", ".join(FTS_COLUMNS)}, tokenize = 'porter unicode61');
"""

_V2 = """
ALTER TABLE images ADD COLUMN said_by TEXT NOT NULL DEFAULT '';  -- the describer's version; '' before
"""

# MIGRATIONS[i] takes a database from version i to version i + 1.
MIGRATIONS: tuple[str, ...] = (_V1, _V2)
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path, *, timeout: float = 30.0, create: bool = True) -> sqlite3.Connection:
    """Open (creating if needed, unless not to `create`) an index database in WAL mode, migrated to the
    current schema.

    Raises:
        FileNotFoundError: not to `create`, and no database at `path`.
        IndexVersionError: the database was written by a newer multicap.
        DataError: the file is not an SQLite database, is damaged, or holds a schema version multicap never
            writes.
    """
    if os.path.lexists(path) and not path.is_file():  # a folder or a FIFO: "unable to open database file"
        kind = file_kind(os.stat(path).st_mode) if path.exists() else "a broken link"
        raise DataError(
            f"{path} is {kind}, not the index's database: move it away and run `multicap index` again"
        )
    if path.is_file() and path.stat().st_size == 0 and any(path.parent.glob("*.faiss")):
        raise DataError(  # it had read as a new index ("holds no images yet"), and a search wrote one in it
            f"{path} is empty (0 bytes), though the index's vector files are beside it: its records are "
            f"lost; move {path.parent} away and run `multicap index` again"
        )
    if not create and not (path.is_file() and path.stat().st_size > 0):  # none, or one not yet written
        raise FileNotFoundError(errno.ENOENT, "no index database", str(path))
    if path.exists() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        return _read_only(path, timeout)  # read-only media, another's index: "attempt to write" had failed
    # transactions made explicit; damage found by any later statement is a DataError too (_Connection)
    target = path if create else f"{path.resolve().as_uri()}?mode=rw"  # rw: never made where it is gone
    try:
        db = sqlite3.connect(
            target, uri=not create, timeout=timeout, isolation_level=None, factory=_Connection
        )
    except sqlite3.OperationalError as exc:  # gone since looked for
        if create or path.is_file():
            raise
        raise FileNotFoundError(errno.ENOENT, "no index database", str(path)) from exc
    db.path = path
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")  # WAL stays consistent on power loss; fsync on checkpoint
        _migrate(db, path)
    except BaseException:
        db.close()
        raise
    return db


def _read_only(path: Path, timeout: float) -> sqlite3.Connection:
    """An index this process may not write, opened to read. Where the WAL's shared-memory file is absent
    and cannot be made beside it, SQLite reads the file as immutable (no writer has it open then: a writer
    makes that file). A schema older than this multicap's cannot be migrated here.

    Raises:
        DataError: the file cannot be read, or needs a migration.
    """
    error: sqlite3.Error | None = None
    for mode in ("mode=ro", "immutable=1"):
        wal = path.with_name(path.name + "-wal")
        if mode == "immutable=1" and wal.exists() and wal.stat().st_size > 0:  # immutable reads skip it
            raise DataError(
                f"cannot read {path} as it stands: {wal.name} holds changes not yet merged, and this user "
                "may not merge them; run `multicap index --info` on it once as a user who may write it"
            )
        uri = f"{path.resolve().as_uri()}?{mode}"
        db = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None, factory=_Connection)
        db.path = path
        try:
            version = schema_version(db)
        except sqlite3.OperationalError as exc:  # "unable to open database file": no -shm, none can be made
            db.close()
            error = exc
            continue
        except BaseException:
            db.close()
            raise
        if version == SCHEMA_VERSION:
            return db
        try:
            if version < 0 or version > SCHEMA_VERSION:
                _migrate(db, path)  # says "damaged" or "written by a newer multicap", before any write
            if version == 0:
                raise DataError(f"{path} holds no multicap index yet, and this user may not write one there")
            raise DataError(
                f"{path} was written by an older multicap and this one may not write it to bring it up to"
                " date: run `multicap index` on it once where it can be written"
            )
        finally:
            db.close()
    raise DataError(f"cannot read {path} ({error}): check that this user may read the index folder")


class _Connection(sqlite3.Connection):
    """A connection whose statements turn SQLite's "file is not a database" and "database disk image is
    malformed" (plain `sqlite3.DatabaseError`, wherever the damage is met: at the statement or at a later
    row) into one DataError naming the file and what to do."""

    path: Path

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        return self.cursor(_Cursor).execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        return self.cursor(_Cursor).executemany(sql, parameters)


class _Cursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> _Cursor:
        try:
            super().execute(sql, parameters)
        except sqlite3.DatabaseError as exc:
            raise self._damage(exc) from None
        return self

    def executemany(self, sql: str, parameters: Any, /) -> _Cursor:
        try:
            super().executemany(sql, parameters)
        except sqlite3.DatabaseError as exc:
            raise self._damage(exc) from None
        return self

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.DatabaseError as exc:
            raise self._damage(exc) from None

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.DatabaseError as exc:
            raise self._damage(exc) from None

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.DatabaseError as exc:
            raise self._damage(exc) from None

    def _damage(self, exc: sqlite3.DatabaseError) -> Exception:
        """An IndexDamagedError for damage; any other error (locked, busy, a constraint) as it is. A text
        column that holds bytes no UTF-8 reads is damage too (an overwritten page; Python's sqlite3 says
        it as an OperationalError quoting the bytes, which had reached the user as they were)."""
        path = getattr(self.connection, "path", Path("?"))
        undecodable = re.match(r"Could not decode to UTF-8 column '(\w+)'", str(exc))
        if undecodable is not None:
            return _damaged(path, f"its column {undecodable[1]} holds bytes that are no text")
        if type(exc) is not sqlite3.DatabaseError:
            return exc
        return _damaged(path, str(exc))


def check_intact(db: sqlite3.Connection, path: Path) -> None:
    """Raise IndexDamagedError where SQLite's own check (`PRAGMA quick_check`: every page read, 0.3 ms a
    MB from the page cache, 4 from disk) finds the database damaged: damage in rows a command does not
    read is otherwise met only by the command that reads them (an `index` run had said "30 unchanged"
    of an overwritten page)."""
    found = [str(row[0]) for row in db.execute("PRAGMA quick_check(1)").fetchall()]
    if found != ["ok"]:
        first = next((line for line in found[0].splitlines() if not line.startswith("***")), found[0])
        raise _damaged(path, f"SQLite's check: {first[:120]}")


def schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    version = schema_version(db)
    if version < 0:
        raise _damaged(path, f"schema version {version}, which multicap never writes")
    if version == 0 and db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
        raise _damaged(path, "it holds tables but no schema version")
    if version > SCHEMA_VERSION:
        raise IndexVersionError(
            f"{path} was written by a newer multicap (schema {version}, this one reads up to "
            f"{SCHEMA_VERSION}): upgrade multicap, or index into another folder"
        )
    while version < SCHEMA_VERSION:
        db.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(db) == version:  # another process may have migrated meanwhile
                for statement in _statements(MIGRATIONS[version]):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {version + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        version = schema_version(db)


def _damaged(path: Path, why: str) -> IndexDamagedError:
    return IndexDamagedError(
        f"{path} is not a readable multicap index ({why}): move it away and run `multicap index` on the "
        "images again to rebuild it"
    )


def _statements(script: str) -> list[str]:
    """Split a migration into statements (`executescript` would commit the open transaction)."""
    out: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        current += line.split("--", 1)[0].rstrip() + "\n" if "--" in line else line
        if sqlite3.complete_statement(current):
            out.append(current.strip())
            current = ""
    return [s for s in out if s]
