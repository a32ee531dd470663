"""What `multicap compare A B` says differs between a photo and a copy of it: in the original's frame
(`multicap.compare.align`) against the two images compared as they are, in the same process.

    .venv/bin/python scripts/fetch_real_photos.py          # once: the photos, into data/real_photos
    .venv/bin/python benchmarks/compare_copies.py                  # the held-out split's 30 photos
    .venv/bin/python benchmarks/compare_copies.py --split fresh --json

Each photo of a split of the real-photo benchmark (benchmarks/real_photos/labels.json) is copied ten ways:
cropped to its middle 80 % of each side ("cropped") or 50 % ("halved"), turned a quarter, made grey, made half
as large, rotated 5° (the corners filled black), flipped left to right, and squashed to a square (a
thumbnail: "squashed"; a square photo to 4:3), and made 1.3 times brighter or 0.7 times as bright
("brighter", "darker"; a walkthrough's brightened ladybird had read "green and yellow in a, yellow in b").
Each (photo, copy) pair is
compared as `multicap compare photo copy` does (`compare_files(..., pair=True)`), and the same two
descriptions are compared again unaligned (`compare_in_set`: the pair as it was compared before the
alignment). Per copy kind: the pairs found near-duplicates, and of those, the differences stated per pair
(object, colour, size, position and relation changes; the whole image's attributes left out) and the share of
pairs that state none. A copy changes nothing in what it shows, so every difference in what it kept is a
misreading; a crop also cuts its border away, and what was only there may rightly differ. Also per kind:
the near pairs where `compare` said how the copy was made (`SAID`: "cropped", "turned a quarter", ...), and
those where it said something the copy is not ("rotated 7°" for a squashed one).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageEnhance

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from multicap.compare.run import compare_files  # noqa: E402
from multicap.compare.sets import compare_in_set  # noqa: E402

LABELS = HERE / "real_photos" / "labels.json"
KINDS = (
    "cropped", "halved", "turned", "grey", "smaller", "rotated", "mirrored", "squashed", "brighter", "darker"
)  # fmt: skip
# how `compare` may say each copy was made (`how_copied`): the first phrase must be said, the rest may be
SAID = {
    "cropped": ("cropped", "smaller"),
    "halved": ("cropped", "smaller"),
    "turned": ("turned a quarter",),
    "grey": ("made grey",),
    "smaller": ("smaller",),
    "rotated": ("rotated 5°",),
    "mirrored": ("flipped left to right",),
    "squashed": ("stretched out of shape", "smaller"),
    "brighter": ("brighter",),
    "darker": ("darker",),
}
_IMAGE_LEVEL = frozenset({"background", "brightness", "colourfulness", "palette", "orientation", "setting"})


def copies(photo: Image.Image) -> dict[str, Image.Image]:
    """The ten copies of a photo, by kind."""
    w, h = photo.size
    square = (min(w, h), min(w, h))  # a thumbnail; a square photo is squashed to 4:3
    return {
        "cropped": photo.crop((w // 10, h // 10, w - w // 10, h - h // 10)),
        "halved": photo.crop((w // 4, h // 4, w - w // 4, h - h // 4)),
        "turned": photo.transpose(Image.Transpose.ROTATE_90),
        "grey": photo.convert("L").convert("RGB"),
        "smaller": photo.resize((max(1, w // 2), max(1, h // 2)), Image.Resampling.LANCZOS),
        "rotated": photo.rotate(5, resample=Image.Resampling.BICUBIC),
        "mirrored": photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        "squashed": photo.resize(square if square != (w, h) else (w, h * 3 // 4), Image.Resampling.LANCZOS),
        "brighter": ImageEnhance.Brightness(photo).enhance(1.3),
        "darker": ImageEnhance.Brightness(photo).enhance(0.7),
    }


def said_right(kind: str, copied: list[str]) -> tuple[bool, bool]:
    """Whether `compare` said how the copy was made (its kind's first phrase), and whether it said
    anything the copy is not (a phrase none of its kind's begins)."""
    allowed = SAID[kind]
    return (
        any(c.startswith(allowed[0]) for c in copied),
        any(not c.startswith(allowed) for c in copied),
    )


def _stated(differences: list[Any]) -> int:
    """The differences a pair states about things (not the whole image's look, which a grey copy changes)."""
    return sum(1 for d in differences if d.label not in _IMAGE_LEVEL)


def run(data: Path, split: str, kinds: tuple[str, ...] = KINDS) -> dict[str, Any]:
    photos = [p for p in json.loads(LABELS.read_text())["photos"] if p["split"] == split]
    photos = [p for p in photos if (data / p["file"]).is_file()]
    if not photos:
        raise SystemExit(
            f"no photos of the split {split!r} in {data}: run scripts/fetch_real_photos.py first"
        )
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mc-copies-") as tmp:
        for k, label in enumerate(photos):
            photo = Image.open(data / label["file"]).convert("RGB")
            original = Path(tmp) / f"photo{k:03d}.png"
            photo.save(original)
            for kind, copy in copies(photo).items():
                if kind not in kinds:
                    continue
                path = Path(tmp) / f"photo{k:03d}-{kind}.png"
                copy.save(path)
                outcome = compare_files([original, path], pair=True)
                aligned = _stated(outcome.pair.differences)  # type: ignore[union-attr]
                plain = _stated(compare_in_set(outcome.images, 0, 1).differences)
                near = bool(outcome.near_duplicate)  # type: ignore[union-attr]
                copied = list(outcome.copied)  # type: ignore[union-attr]
                right, wrong = said_right(kind, copied)
                rows.append(
                    {"photo": label["file"], "kind": kind, "near": near, "aligned": aligned, "plain": plain,
                     "copied": copied, "said": right, "said_wrongly": wrong}
                )  # fmt: skip
    seconds = time.perf_counter() - t0
    table = {}
    for kind in kinds:
        mine = [r for r in rows if r["kind"] == kind]
        near = [r for r in mine if r["near"]]
        table[kind] = {
            "pairs": len(mine),
            "near_duplicates": len(near),
            "differences_aligned": round(statistics.fmean(r["aligned"] for r in near), 2) if near else None,
            "differences_plain": round(statistics.fmean(r["plain"] for r in near), 2) if near else None,
            "none_aligned": round(sum(r["aligned"] == 0 for r in near) / len(near), 2) if near else None,
            "none_plain": round(sum(r["plain"] == 0 for r in near) / len(near), 2) if near else None,
            "how_said": sum(r["said"] for r in near),
            "how_said_wrongly": sum(r["said_wrongly"] for r in near),
        }
    return {
        "split": split,
        "photos": len(photos),
        "seconds": round(seconds, 1),
        "kinds": table,
        "pairs": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=REPO / "data" / "real_photos", help="folder of the photos"
    )
    parser.add_argument(
        "--split", default="heldout", help="the real-photo benchmark's split (default heldout)"
    )
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=KINDS, help="the copies made (all)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    result = run(args.data, args.split, tuple(args.kinds))
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(
        f"{result['photos']} photos of {result['split']}, {len(args.kinds)} copies each "
        f"({result['seconds']} s)"
    )
    print(
        f"{'copy':<9} {'near-dup':>9} {'differences a pair':>22} {'pairs stating none':>22} "
        f"{'how it was made':>18}"
    )
    print(
        f"{'':<9} {'':>9} {'aligned':>11} {'plain':>10} {'aligned':>11} {'plain':>10} "
        f"{'said':>8} {'wrongly':>9}"
    )
    for kind, m in result["kinds"].items():
        near = f"{m['near_duplicates']}/{m['pairs']}"
        print(
            f"{kind:<9} {near:>9} {m['differences_aligned']!s:>11} {m['differences_plain']!s:>10} "
            f"{m['none_aligned']!s:>11} {m['none_plain']!s:>10} {m['how_said']:>8} {m['how_said_wrongly']:>9}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
