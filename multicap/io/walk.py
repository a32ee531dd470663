"""Turn files and folders named by a user into a stable list of image paths."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from multicap.io.images import IMAGE_EXTENSIONS

__all__ = ["iter_image_paths"]


def iter_image_paths(
    inputs: Iterable[str | Path],
    *,
    recursive: bool = True,
    include_hidden: bool = False,
    extensions: frozenset[str] = IMAGE_EXTENSIONS,
) -> Iterator[Path]:
    """Yield image paths from files and folders, in a stable order.

    Files named explicitly are yielded as they are, whatever their extension and even when missing, so
    that loading reports them; folders are walked (recursively by default) for files with an image
    extension, sorted by path. Hidden files and folders (a leading dot) are skipped unless
    `include_hidden`. Symbolic links to folders are followed once: a link that leads back into a folder
    already visited (a loop) is never followed again. Each path is yielded at most once.
    """
    seen: set[Path] = set()
    visited_dirs: set[tuple[int, int]] = set()
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for found in _walk(path, recursive, include_hidden, extensions, visited_dirs):
                if found not in seen:
                    seen.add(found)
                    yield found
        elif path not in seen:
            seen.add(path)
            yield path


def _walk(
    root: Path,
    recursive: bool,
    include_hidden: bool,
    extensions: frozenset[str],
    visited_dirs: set[tuple[int, int]],
) -> Iterator[Path]:
    try:
        st = root.stat()
    except OSError:
        return
    key = (st.st_dev, st.st_ino)
    if key in visited_dirs:
        return  # a symlink loop, or a folder reached twice
    visited_dirs.add(key)
    try:
        with os.scandir(root) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return
    subdirs: list[Path] = []
    for entry in entries:
        if not include_hidden and entry.name.startswith("."):
            continue
        try:
            is_dir = entry.is_dir()  # follows symlinks
        except OSError:
            continue
        if is_dir:
            subdirs.append(Path(entry.path))
        elif os.path.splitext(entry.name)[1].lower() in extensions:
            yield Path(entry.path)
    if recursive:
        for sub in subdirs:
            yield from _walk(sub, recursive, include_hidden, extensions, visited_dirs)
