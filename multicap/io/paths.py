"""Paths as the file system gives them: which files to read, what kind each is, how its name is shown.

Walking (`iter_image_paths`). What cannot be read is said, never passed over in silence: a FIFO, socket
or device file with an image's name, a broken symbolic link, a symbolic link loop, a folder that cannot
be listed. Each goes to `on_error` as one `ImageLoadError` (default: one warning) and is left out.

Kinds (`stat_regular`, `open_regular`). A FIFO named `x.jpg` blocks the first `open` until a writer comes
(forever, and a thread stuck there keeps the process from exiting on Ctrl-C); a device file may never
end. Only regular files are ever opened: the kind is checked with `stat`, then the file is opened with
`O_NONBLOCK` and checked again on the descriptor, so one swapped for a FIFO in between cannot block.

Names. On Linux a file name is bytes: it need not be valid UTF-8 and may hold control characters. Python
hands such a name over as a `str` with each undecodable byte as a lone surrogate (U+DC80..U+DCFF,
PEP 383); that string cannot be encoded as UTF-8, so it must never reach a terminal, a JSON file or SQLite
as it is.

- `shown(name)`: for people. Undecodable bytes as `\\xff`, control characters as `\\n`, `\\t`, `\\r` or
  `\\x1b` (like `ls -b`, in Python's notation), bidirectional overrides as `\\u202e`: a name can no longer
  move the cursor, recolour the terminal, start a new line or reorder the text around it.
- `json_name(name)`: for JSON. Valid Unicode; only undecodable bytes are written as `\\xff` (control
  characters stay: JSON escapes them faithfully). `raw_name(name)` is the base64 of the name's bytes when
  they are not valid UTF-8 (None otherwise): with it the exact name can always be recovered.
- `db_name` / `from_db_name`: for SQLite. A valid name is stored as TEXT; any other as a BLOB of its raw
  bytes. A BLOB never equals a TEXT, so the two can never collide, and reading gives back the same `str`.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import importlib.metadata
import logging
import os
import re
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from multicap.errors import ImageLoadError

__all__ = [
    "HEIF_UNREAD",
    "IMAGE_EXTENSIONS",
    "UNREAD_PHOTOS",
    "ErrorHandler",
    "db_name",
    "file_hash",
    "file_kind",
    "from_db_name",
    "is_utf8",
    "iter_image_paths",
    "json_name",
    "json_names",
    "log_error",
    "open_regular",
    "package_file",
    "raw_name",
    "removed_on_failure",
    "short_names",
    "shown",
    "stat_error",
    "stat_regular",
    "walk_order",
]

ErrorHandler = Callable[[ImageLoadError], None]

_log = logging.getLogger("multicap")

# Extensions picked up when walking folders; files named explicitly are tried whatever their name.
# AVIF: recent Pillow reads it (13 here; a folder's .avif photos had been left out unsaid, though one named
# was read); with a Pillow that cannot, each is skipped with its own warning.
IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".avif"}
)
# Photo formats Pillow does not decode: a folder's file so named is read where its bytes are a format
# multicap reads, else said, never left out unsaid.
UNREAD_PHOTOS = frozenset({".heic", ".heif"})
HEIF_UNREAD = (
    "a HEIC/HEIF photo, which multicap cannot decode: convert it to JPEG first (libheif's heif-convert)"
)


def log_error(error: ImageLoadError) -> None:
    """The default handler of files that cannot be read: one warning through `logging` (the file's name
    shown escaped, see `shown`), then the batch goes on."""
    _log.warning("skipped %s", shown(str(error)))


def iter_image_paths(
    inputs: Iterable[str | Path],
    *,
    recursive: bool = True,
    include_hidden: bool = False,
    extensions: frozenset[str] = IMAGE_EXTENSIONS,
    on_error: ErrorHandler | None = None,
    hidden: list[Path] | None = None,
) -> Iterator[Path]:
    """Yield image paths from files and folders, in a stable order.

    Files named explicitly are yielded whatever their extension, and even when missing, so that loading
    reports them; but a named FIFO, socket or device is reported to `on_error` and left out. Folders are
    walked (recursively by default) for files with an image extension, or with none and an image file's
    first bytes (a recovered drive's "f12345"), sorted by name. Hidden files and
    folders (a leading dot) are skipped unless `include_hidden`. Symbolic links to folders are followed;
    a link back to a folder being walked (a loop) is reported and not followed, and a folder reached a
    second time through another link is walked once: at its own path where the walk reaches it so (linked
    folders are walked last). Each path is yielded at most once. `hidden`, where
    given, collects the hidden files and folders left out that are images or hold one (a folder's own
    files only), for the caller to say so.
    """
    handle = on_error or log_error
    seen: set[str] = set()  # absolute: a file named relatively and absolutely had been read twice
    visited: set[tuple[int, int]] = set()
    for item in inputs:
        path = Path(item)
        try:
            st = path.stat()
        except OSError:
            st = None  # missing, a broken link, a loop: loading says which
        if st is not None and stat.S_ISDIR(st.st_mode):
            found_all = _walk_tree(path, recursive, include_hidden, extensions, visited, handle, hidden)
        elif st is not None and not stat.S_ISREG(st.st_mode):
            handle(ImageLoadError(path, f"{file_kind(st.st_mode)}, not a regular file: not opened"))
            continue
        else:
            found_all = iter((path,))
        for found in found_all:
            key = os.path.abspath(found)
            if key not in seen:
                seen.add(key)
                yield found


def _walk_tree(
    folder: Path,
    recursive: bool,
    include_hidden: bool,
    extensions: frozenset[str],
    visited: set[tuple[int, int]],
    handle: ErrorHandler,
    hidden: list[Path] | None = None,
) -> Iterator[Path]:
    """A folder's walk, its linked subfolders last: a folder reached both through a link and as itself is
    walked at its own path (`photos/bad/misc_link -> ../misc` had named every photo of `misc` by the link,
    which sorts first, in `compare` and `describe`, while the index records the real path)."""
    links: list[tuple[Path, list[tuple[tuple[int, int], Path]]]] = []
    yield from _walk(folder, recursive, include_hidden, extensions, visited, [], handle, hidden, links)
    while links:
        sub, above = links.pop(0)
        yield from _walk(sub, recursive, include_hidden, extensions, visited, above, handle, hidden, links)


def _walk(
    folder: Path,
    recursive: bool,
    include_hidden: bool,
    extensions: frozenset[str],
    visited: set[tuple[int, int]],
    ancestors: list[tuple[tuple[int, int], Path]],
    handle: ErrorHandler,
    hidden: list[Path] | None,
    links: list[tuple[Path, list[tuple[tuple[int, int], Path]]]],
) -> Iterator[Path]:
    try:
        st = folder.stat()
    except OSError as exc:
        error = stat_error(folder, exc)
        handle(ImageLoadError(folder, error.reason, folder=True))
        return
    key = (st.st_dev, st.st_ino)
    loop = next((where for k, where in ancestors if k == key), None)
    if loop is not None:
        handle(ImageLoadError(folder, f"a symbolic link loop (back to {loop}): not followed", folder=True))
        return
    if key in visited:
        return  # reached again through another link: walked once already
    visited.add(key)
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        reason = "permission denied" if isinstance(exc, PermissionError) else exc.strerror or str(exc)
        handle(
            ImageLoadError(
                folder, f"cannot list this folder ({reason}); its images are left out", folder=True
            )
        )
        return
    subdirs: list[Path] = []
    linked: list[Path] = []  # subfolders reached through a link: walked after the rest of the tree
    for entry in entries:
        if not include_hidden and entry.name.startswith("."):
            if hidden is not None and _holds_images(entry, extensions):
                hidden.append(Path(entry.path))
            continue
        ending = os.path.splitext(entry.name)[1].lower()
        wanted = ending in extensions
        kind = _kind(entry)
        sniff = not ending and extensions is IMAGE_EXTENSIONS  # no extension: an image by its first bytes
        if kind == "dir":
            (linked if entry.is_symlink() else subdirs).append(Path(entry.path))
        elif kind == "file" and (wanted or (sniff and _sniffed(entry))):
            yield Path(entry.path)
        elif kind == "file" and ending in UNREAD_PHOTOS and extensions is IMAGE_EXTENSIONS:
            if _sniffed(entry):  # a JPEG named .HEIC, as phones and converters leave them
                yield Path(entry.path)
            else:  # a phone's photo had been left out of a folder's walk, unsaid
                handle(ImageLoadError(entry.path, HEIF_UNREAD))
        elif isinstance(kind, OSError) and (wanted or kind.errno == errno.ELOOP):
            handle(stat_error(entry.path, kind))  # a loop is said whatever its name: it may be a folder
        elif isinstance(kind, str) and wanted:
            handle(ImageLoadError(entry.path, kind))
    if recursive:
        inside = [*ancestors, (key, folder)]
        links.extend((sub, inside) for sub in linked)
        for sub in subdirs:
            yield from _walk(
                sub, recursive, include_hidden, extensions, visited, inside, handle, hidden, links
            )


def walk_order(path: str | Path) -> tuple[tuple[int, str], ...]:
    """A sort key that puts paths in the order `iter_image_paths` walks a folder: a folder's files by name,
    then its subfolders by name, each walked in turn. Anything that lists a set of indexed images (the
    web app's whole-index comparison) in this order is given the images as `multicap compare FOLDER` is,
    so the two cluster them alike (k-means starts from the rows' order). The index records resolved
    paths: where a subfolder was reached through a link, or the index holds several folders, the order
    is that of the real paths, which a walk of the link (or of one folder) does not follow."""
    parts = Path(path).parts
    return (*((1, part) for part in parts[:-1]), (0, parts[-1] if parts else ""))


# The first bytes of the image formats multicap reads: a file with no extension that starts so is an image
# (a recovered drive's files have none: "f12345" had been left out of a folder's walk, unsaid, though
# `multicap describe f12345` read it). WebP and AVIF are checked further on (`_sniffed`).
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
_BMP_HEADERS = frozenset({12, 40, 52, 56, 64, 108, 124})  # the sizes a BMP's DIB header has


def _holds_images(entry: os.DirEntry[str], extensions: frozenset[str], depth: int = 2) -> bool:
    """Whether a hidden entry is an image file, or a folder holding one within `depth` levels (a desktop's
    ".thumbnails/normal/*.png"). A macOS resource fork ("._photo.jpg") is no image: `--hidden` would only
    fail on each."""

    def image(e: os.DirEntry[str]) -> bool:
        return not e.name.startswith("._") and os.path.splitext(e.name)[1].lower() in extensions

    try:
        if not entry.is_dir():
            return image(entry)
        if depth <= 0:
            return False
        with os.scandir(entry.path) as inside:
            return any(
                _holds_images(e, extensions, depth - 1) if e.is_dir(follow_symlinks=False) else image(e)
                for e in inside
            )
    except OSError:
        return False


def _sniffed(entry: os.DirEntry[str]) -> bool:
    """Whether a file without an extension starts as an image file does (opened as `open_regular` opens:
    a file swapped for a FIFO does not block the walk)."""
    try:
        with open_regular(entry.path) as f:
            head = f.read(18)
    except (OSError, ImageLoadError):
        return False
    if head[:2] == b"BM":  # two letters a text may start with: a BMP's header size must follow
        return int.from_bytes(head[14:18], "little") in _BMP_HEADERS
    webp = head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    return head.startswith(_MAGIC) or webp or head[4:12] in (b"ftypavif", b"ftypavis")


def _kind(entry: os.DirEntry[str]) -> str | OSError:
    """'dir', 'file' (regular), the reason another kind is not read, or the error its stat gave."""
    try:
        if entry.is_dir():  # follows symlinks; needs no stat on most file systems
            return "dir"
        if entry.is_file():
            return "file"
        return f"{file_kind(entry.stat().st_mode)}, not a regular file: not opened"
    except OSError as exc:
        return exc


# ------------------------------------------------------------------------------------------ kinds
_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a directory"),
)


def file_kind(mode: int) -> str:
    """'a FIFO (named pipe)', 'a socket', ... for `st_mode`; 'a regular file' for one."""
    return next(
        (name for test, name in _KINDS if test(mode)),
        "a regular file" if stat.S_ISREG(mode) else "a special file",
    )


def stat_error(path: str | Path, exc: OSError) -> ImageLoadError:
    """The one-line error for a failed stat or open."""
    if exc.errno == errno.ENOENT:
        reason = (
            "no such file or folder"
            if not os.path.islink(path)
            else "a broken symbolic link (its target is missing)"
        )
    elif exc.errno == errno.ELOOP:
        reason = "a symbolic link loop (the link leads back to itself)"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        reason = "permission denied"
    else:
        reason = exc.strerror or str(exc)
    return ImageLoadError(path, reason)


def _refuse(path: str | Path, mode: int) -> ImageLoadError:
    if stat.S_ISDIR(mode):
        return ImageLoadError(path, "is a directory, not an image file")
    return ImageLoadError(path, f"{file_kind(mode)}, not a regular file: not opened")


def stat_regular(path: str | Path) -> os.stat_result:
    """`os.stat(path)` when it names a regular file (through symlinks).

    Raises:
        ImageLoadError: missing, a broken link or a link loop, unreadable, or not a regular file.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        raise stat_error(path, exc) from None
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(path, st.st_mode)
    return st


def open_regular(path: str | Path) -> BinaryIO:
    """Open a regular file for reading, never blocking on a FIFO or a device (see the module docstring).

    Raises:
        ImageLoadError: as `stat_regular`.
    """
    stat_regular(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise stat_error(path, exc) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _refuse(path, mode)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


# ------------------------------------------------------------------------------------------ names
_SURROGATE = re.compile("[\udc80-\udcff]")
# C0 controls, DEL, C1 controls (U+009B is a one-character CSI on some terminals), undecodable bytes,
# and the bidirectional embeddings, overrides and isolates that reorder the text after them.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\udc80-\udcff\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_OR_BACKSLASH = re.compile(f"{_UNSAFE.pattern[:-1]}\\\\]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\\": "\\\\"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if ch in _NAMED:
        return _NAMED[ch]
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"  # the undecodable byte itself
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def shown(name: str | Path, *, lines: bool = False, exact: bool = False) -> str:
    """The name (or any text holding names) made safe to print on a terminal, on one line; with `lines`,
    a text's own line breaks are kept (each line made safe). With `exact`, a backslash is doubled too, as
    `ls -b` writes it, so that every name reads back as one name only (a name holding the two characters
    "\\n" had been printed as one holding a line break is)."""
    if exact:
        return _UNSAFE_OR_BACKSLASH.sub(_escape, str(name))
    if lines:
        return "\n".join(_UNSAFE.sub(_escape, line) for line in str(name).split("\n"))
    return _UNSAFE.sub(_escape, str(name))


def is_utf8(name: str | Path) -> bool:
    """Whether the name's bytes are valid UTF-8 (no undecodable byte)."""
    return _SURROGATE.search(str(name)) is None


def json_name(name: str | Path) -> str:
    """Valid Unicode for JSON: each undecodable byte written as `\\xNN`; everything else as it is."""
    return _SURROGATE.sub(_escape, str(name))


def json_names(**names: str | Path) -> dict[str, str]:
    """Names as JSON fields: each as `json_name` writes it, and beside one that is not valid UTF-8 the
    base64 of its bytes as FIELD_bytes (`raw_name`), as `--json` gives them: two files whose names differ
    only in how an undecodable byte is written ("bad\\xffname.jpg" typed, and one holding the byte) are
    told apart."""
    out: dict[str, str] = {}
    for field, name in names.items():
        out[field] = json_name(name)
        raw = raw_name(name)
        if raw is not None:
            out[f"{field}_bytes"] = raw
    return out


def raw_name(name: str | Path) -> str | None:
    """The base64 of the name's bytes when they are not valid UTF-8; None for a valid name."""
    text = str(name)
    return None if is_utf8(text) else base64.b64encode(os.fsencode(text)).decode("ascii")


def db_name(name: str | Path) -> str | bytes:
    """What SQLite stores for a name: TEXT when valid UTF-8, else a BLOB of its bytes (lossless)."""
    text = str(name)
    return text if is_utf8(text) else os.fsencode(text)


def from_db_name(value: str | bytes) -> str:
    """The name `db_name` stored, as the `str` Python uses for it."""
    return os.fsdecode(value) if isinstance(value, bytes) else value


def package_file(distribution: str, relative: str) -> Path | None:
    """A file an installed distribution (a wheel) ships, found through its metadata without importing it;
    None when the distribution is not installed or lacks the file."""
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    path = Path(str(dist.locate_file(relative)))
    return path if path.is_file() else None


@contextmanager
def removed_on_failure(tmp: Path) -> Iterator[Path]:
    """A file written beside its place, then renamed over it: removed where the writing fails (a full disk
    had left a 3 MB `query_image.npz.tmp.npz` in the index folder until the next run)."""
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def short_names(paths: Sequence[Path]) -> list[str]:
    """Each path by its file name, with as many of its folders before it as tell it from another of the
    same name ("A/gorilla.jpg", "B/gorilla.jpg"): a walkthrough's copies across two folders had both been
    captioned "gorilla.jpg", the folder only in a tooltip."""
    parts = [p.parts[1:] if p.anchor else p.parts for p in paths]  # "/a/x.jpg": never "//a/x.jpg"
    depth = [1] * len(paths)
    while True:
        names = ["/".join(q[-d:]) for q, d in zip(parts, depth, strict=True)]
        seen = Counter(names)
        clash = [i for i, n in enumerate(names) if seen[n] > 1 and depth[i] < len(parts[i])]
        if not clash:
            return names
        for i in clash:
            depth[i] += 1


def file_hash(path: Path) -> str:
    """sha1 of the file's bytes (what an index and a feature cache know a file's content by)."""
    h = hashlib.sha1()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
