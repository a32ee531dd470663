"""Where an index lives (docs/architecture.md, decision 6) and the one-writer lock.

`resolve_index(None)` is `./indexes/default`; a bare name is a folder under the indexes directory
(`MULTICAP_INDEX_DIR`, else `./indexes`); anything with a path separator, or starting with `.` or `~`, is a
path as given.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from multicap.errors import ConfigError, DataError, IndexLockedError

__all__ = [
    "DB_NAME",
    "DEFAULT_INDEX",
    "existing_index",
    "index_here",
    "indexes_dir",
    "no_index",
    "resolve_index",
    "write_lock",
]

DEFAULT_INDEX = "default"
DB_NAME = "meta.sqlite"
_LOCK_NAME = "write.lock"


def indexes_dir() -> Path:
    return Path(os.environ.get("MULTICAP_INDEX_DIR") or "indexes")


def resolve_index(name: str | Path | None = None) -> Path:
    """The folder of the index called `name` (a name under `indexes_dir()`, or a path)."""
    if name is None or str(name) == "":
        return indexes_dir() / DEFAULT_INDEX
    text = str(name)
    if isinstance(name, Path) or os.sep in text or "/" in text or text.startswith((".", "~")):
        return Path(text).expanduser()
    return indexes_dir() / text


def existing_index(name: str | Path | None = None) -> Path:
    """The folder of an index that has been built (`resolve_index`).

    Raises:
        ConfigError: there is no index there; the message names the command that builds it.
    """
    root = resolve_index(name)
    if not (root / DB_NAME).is_file():
        raise ConfigError(no_index(root, "" if name is None else f" --index {name}"))
    return root


def index_here(root: Path) -> Path | None:
    """./NAME where a bare name led to `root` under the indexes folder and the current folder holds an
    index of that name (which `--index ./NAME` names); else None."""
    local = Path(root.name)
    return local if root == indexes_dir() / root.name and (local / DB_NAME).is_file() else None


def given_as(root: Path) -> str:
    """What `--index` names `root` by: its name where it is under the indexes folder, else its path (a
    relative one from "./": "--index wt/" had been said "wt", which names the index of that name)."""
    if root.parent == indexes_dir():
        return root.name
    text = str(root)
    return text if root.is_absolute() or text.startswith("..") else f"./{text}"


def no_index(root: Path, flag: str | None = None) -> str:
    """ "no index at ROOT; build one with ...", naming the index of that name in the current folder
    (`index_here`; `--index idx` had said no more beside a ./idx that is one)."""
    local = index_here(root)
    named = indexes_dir() / root.name
    here = f" (./{local} is one: give --index ./{local})" if local is not None else ""
    if local is None and root != named and (named / DB_NAME).is_file():  # "--index wt/": a path, not the name
        here = f" (the index named {root.name} is {named}: give --index {root.name})"
    where, given = str(root), given_as(root)
    if given.startswith("."):  # a relative path: the folder it names, in full
        where = f"{given} ({os.path.abspath(root)})"
    flag = f" --index {given}" if flag is None else flag
    return f"no index at {where}{here}; build one with `multicap index PATHS{flag}`"


def _locked(f: Any, blocking: bool, tries: int = 10, pause: float = 0.02) -> bool:
    """Take the writer lock on the open file `f`: waiting for it (`blocking`), or trying a few times over
    0.2 s, as a reader's look (`being_written`) holds it shared for a moment."""
    for attempt in range(1 if blocking else tries):
        try:
            fcntl.flock(f, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            return True
        except BlockingIOError:
            if attempt + 1 < tries:
                time.sleep(pause)
    return False


def being_written(root: Path) -> bool:
    """Whether a process holds the index's writer lock now (`multicap index` running into it)."""
    try:
        with (root / _LOCK_NAME).open("r") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(f, fcntl.LOCK_UN)
    except OSError:  # no lock file (never written), or one this user may not read
        return False
    return False


@contextlib.contextmanager
def write_lock(root: Path, *, blocking: bool = False) -> Iterator[None]:
    """Hold the index's writer lock (an OS file lock: released when the process dies, even by kill -9).

    Raises:
        IndexLockedError: another process holds it (only when not `blocking`).
        DataError: this user may not write there (read-only media, another user's folder).
    """
    try:
        root.mkdir(parents=True, exist_ok=True)
        db = root / DB_NAME
        if db.exists() and not os.access(db, os.W_OK):  # a read-only database in a folder one may write
            raise PermissionError(errno.EACCES, "its database file is read-only")
        f = (root / _LOCK_NAME).open("a+")
    except OSError as exc:  # a read-only index, or one where this user may not write: a bare PermissionError
        readable = "searching it needs no writing; " if (root / DB_NAME).is_file() else ""
        raise DataError(
            f"cannot write the index at {root} ({exc.strerror or exc}): {readable}to index, give an --index "
            "folder this user may write"
        ) from None
    with f:
        if not _locked(f, blocking):
            raise IndexLockedError(
                f"{root} is being written by another process (one writer at a time); wait for it to "
                "finish, or index into another --index"
            )
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
