"""Fetch the drawings benchmark's clip art from Debian's openclipart-png, without installing it.

The package (Open Clip Art Library 0.18, every image dedicated to the public domain: its Debian copyright
file) is downloaded with `apt-get download openclipart-png=VERSION` and unpacked with `dpkg-deb -x` into a
temporary folder. The drawings of the categories that show things (animals, food, people, plants,
transportation, ...; not shapes, flags, icons or patterns) are copied to `--out` under their category
path, and `manifest.json` records the package, its version, the licence and each file's sha256. A second
run with every file present downloads nothing.

Usage:
    .venv/bin/python scripts/fetch_drawings.py                  # into data/drawings
    .venv/bin/python scripts/fetch_drawings.py --out /tmp/drawings
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

from fetch_real_photos import FetchError, Package, unpack

REPO = Path(__file__).resolve().parents[1]
PACKAGE, VERSION = "openclipart-png", "1:0.18+dfsg-19"
ROOT = "usr/share/openclipart/png"
LICENCE = "Creative Commons Public Domain Dedication; Debian copyright file of openclipart-png"
# Folders (under ROOT) of drawings that show things; benchmarks/drawings.py says what each may be named.
CATEGORIES = (
    "animals", "buildings", "containers", "electronics", "food", "people", "plants", "recreation/music",
    "recreation/sports", "recreation/toys", "science/astronomy", "tools", "transportation",
)  # fmt: skip
MANIFEST = "manifest.json"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def present(out: Path) -> bool:
    """Whether `out` holds every file its manifest lists, unchanged."""
    manifest = out / MANIFEST
    if not manifest.is_file():
        return False
    files = json.loads(manifest.read_text())["files"]
    return bool(files) and all((out / f).is_file() and _sha256(out / f) == h for f, h in files.items())


def fetch(out: Path) -> int:
    """Download, unpack and copy; returns the number of drawings written."""
    with tempfile.TemporaryDirectory(prefix="fetch_drawings_") as tmp:
        root = unpack(Package("deb", PACKAGE, VERSION), Path(tmp))
        files: dict[str, str] = {}
        for category in CATEGORIES:
            folder = root / ROOT / category
            if not folder.is_dir():
                raise FetchError(f"{PACKAGE} {VERSION} has no folder {category}")
            for src in sorted(folder.rglob("*.png")):
                rel = src.relative_to(root / ROOT).as_posix()
                dest = out / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest)
                files[rel] = _sha256(dest)
    manifest = {"package": PACKAGE, "version": VERSION, "licence": LICENCE, "files": files}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return len(files)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "data" / "drawings", help="where to write them")
    args = ap.parse_args(argv)
    if present(args.out):
        print(f"{args.out}: every drawing present")
        return 0
    try:
        n = fetch(args.out)
    except (FetchError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{args.out}: {n} drawings from {PACKAGE} {VERSION}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
