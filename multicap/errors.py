"""Domain errors. Each message says what failed and how to fix it; the CLI maps them to exit code 1."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ConfigError",
    "DataError",
    "ImageLoadError",
    "IndexDamagedError",
    "IndexLockedError",
    "IndexVersionError",
    "MulticapError",
    "UnknownNameError",
    "WeightsNotFoundError",
]


class MulticapError(Exception):
    """Base of every error multicap raises on purpose; `str(err)` is one line fit for a user."""


class ImageLoadError(MulticapError):
    """An image file could not be read: the path and the reason are both in the message. `folder`: the path
    is a folder that could not be walked (its images are left out; it is not itself an unread image)."""

    def __init__(self, path: str | Path, reason: str, *, folder: bool = False) -> None:
        self.path = Path(path)
        self.reason = reason
        self.folder = folder
        super().__init__(f"{path}: {reason}")


class WeightsNotFoundError(MulticapError):
    """Pretrained weights are not on this machine (nothing downloads at run time)."""


class UnknownNameError(MulticapError, KeyError):
    """A registry was asked for a name it does not hold."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ConfigError(MulticapError):
    """A configuration file or flag is invalid; the message names the key."""


class DataError(MulticapError):
    """A dataset on disk is missing, malformed or not the one expected."""


class IndexDamagedError(DataError):
    """The index's database is damaged (a page overwritten, truncated): it must be built again."""


class IndexLockedError(MulticapError):
    """Another process is writing the index (one writer at a time; readers need no lock)."""


class IndexVersionError(MulticapError):
    """The index was written by a newer multicap (its schema is ahead of this version)."""
