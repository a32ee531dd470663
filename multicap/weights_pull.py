"""The one place multicap downloads: `multicap models pull NAME` fetches a pinned file (docs/architecture.md,
decision 11).

    path = pull_file(url, sha256, dest, progress=lambda done, total: ...)

The file is written to `dest.part`, resumed from where a cut download stopped (an HTTP Range request, with
If-Range so that a file changed on the server since is sent whole; a server that ignores it starts again
from zero), and its SHA-256 checked over the whole file before it is
renamed to `dest`: a file whose checksum differs is deleted and refused, so nothing unverified is ever
used. One pull of a file runs at a time (a lock file beside it: two had written one `.part` at once); a
second waits, then finds the first's verified file. `MULTICAP_PULL_MIRROR` replaces the scheme and host of
every URL, its path (if any) going before the file's (a mirror, or a test's loopback).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.client
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from multicap.errors import DataError

__all__ = ["mirrored", "pull_file", "sha256_of"]

_BLOCK = 1 << 20
_TIMEOUT_S = 60

Progress = Callable[[int, int | None], None]  # (bytes on disk, total bytes or None)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def mirrored(url: str) -> str:
    """`url` with its scheme and host replaced by `$MULTICAP_PULL_MIRROR`, where that is set; a mirror's own
    path comes before the file's ("https://host/hf" → https://host/hf/org/model/...: it had been dropped)."""
    mirror = os.environ.get("MULTICAP_PULL_MIRROR")
    if not mirror:
        return url
    base, parts = urllib.parse.urlsplit(mirror), urllib.parse.urlsplit(url)
    path = base.path.rstrip("/") + parts.path
    return urllib.parse.urlunsplit((base.scheme, base.netloc, path, parts.query, ""))


def pull_file(url: str, sha256: str, dest: Path, *, progress: Progress | None = None) -> Path:
    """Download `url` to `dest` unless a verified copy is there; resume a `.part` left by a cut download.

    Raises:
        DataError: the server has no such file, the connection failed (the part stays, to resume), or the
            checksum differs (the part is deleted).
    """
    want = sha256.lower()
    if dest.is_file() and sha256_of(dest) == want:
        return dest
    made = not dest.parent.exists()
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        lock = dest.with_name(dest.name + ".lock").open("a")
    except OSError as exc:
        raise DataError(
            f"cannot write weights under {dest.parent} ({exc.strerror or exc}): set MULTICAP_WEIGHTS_DIR "
            "to a folder you can write"
        ) from None
    with lock:  # one pull of a file at a time: two had written one .part at once, and verified the mix
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # the second waits, then finds the first's file
        try:
            if not (dest.is_file() and sha256_of(dest) == want):
                _pull(url, want, dest, progress)
        except DataError:
            if made and not dest.with_name(dest.name + ".part").exists():  # no empty folder left behind
                with contextlib.suppress(OSError):
                    dest.with_name(dest.name + ".lock").unlink()
                    dest.with_name(dest.name + ".part.etag").unlink(missing_ok=True)
                    dest.parent.rmdir()
            raise
        with contextlib.suppress(OSError):  # the file is verified: a later pull returns before locking
            dest.with_name(dest.name + ".lock").unlink()  # (an empty .lock had stayed beside each file)
    return dest


def _pull(url: str, want: str, dest: Path, progress: Progress | None = None) -> None:
    part = dest.with_name(dest.name + ".part")
    source = mirrored(url)
    _fetch(source, part, progress)
    got = sha256_of(part)
    if got != want:
        part.unlink()
        _validator_file(part).unlink(missing_ok=True)
        raise DataError(
            f"{source}: SHA-256 {got} is not the expected {want}; the file was deleted and is not used"
        )
    os.replace(part, dest)
    _validator_file(part).unlink(missing_ok=True)


def _validator_file(part: Path) -> Path:
    """Where the part's server validator is kept: its strong ETag, else its Last-Modified date."""
    return part.with_name(part.name + ".etag")


def _headers(part: Path, have: int) -> dict[str, str]:
    """A resume's headers: the bytes still missing, and only if the file is still the one the part began
    as (If-Range: a server whose file changed sends it whole; a part of another version had been completed
    with the new one's tail, and refused by its checksum only after the whole download)."""
    if not have:
        return {}
    headers = {"Range": f"bytes={have}-"}
    with contextlib.suppress(OSError, UnicodeDecodeError):
        if validator := _validator_file(part).read_text().strip():
            headers["If-Range"] = validator
    return headers


def _keep_validator(part: Path, response: http.client.HTTPResponse) -> None:
    etag = response.headers.get("ETag") or ""
    validator = etag if etag and not etag.startswith("W/") else response.headers.get("Last-Modified") or ""
    with contextlib.suppress(OSError):
        if validator:
            _validator_file(part).write_text(validator)
        else:
            _validator_file(part).unlink(missing_ok=True)


def _fetch(url: str, part: Path, progress: Progress | None) -> None:
    have = part.stat().st_size if part.is_file() else 0
    try:
        request = urllib.request.Request(url, headers=_headers(part, have))
        response = urllib.request.urlopen(request, timeout=_TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the part is already whole: the checksum decides
            return
        hint = " (no such file there)" if exc.code in (404, 410) else ""
        raise DataError(f"{url}: the server answered {exc.code} {exc.reason}{hint}") from None
    except ValueError as exc:  # "notaurl": MULTICAP_PULL_MIRROR or a URL that is no URL
        raise DataError(f"{url}: not a URL ({exc}); check MULTICAP_PULL_MIRROR") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DataError(f"{url}: cannot connect ({exc}); run the same command again to retry") from None
    with response:
        resumed = response.status == 206
        if not resumed:  # a whole file: what a later resume checks it is still the same
            _keep_validator(part, response)
        length = response.headers.get("Content-Length")
        total = (have if resumed else 0) + int(length) if length is not None else None
        done = have if resumed else 0
        try:
            with part.open("ab" if resumed else "wb") as f:
                while block := response.read(_BLOCK):
                    f.write(block)
                    done += len(block)
                    if progress is not None:
                        progress(done, total)
        except (
            OSError,
            http.client.HTTPException,
        ) as exc:  # a cut connection: what arrived stays in the part, to resume
            raise DataError(
                f"{url}: the download stopped at {done:,} bytes ({exc}); run the same command again to resume"
            ) from None
    if total is not None and done < total:
        raise DataError(
            f"{url}: the download stopped at {done:,} of {total:,} bytes; "
            "run the same command again to resume"
        )
