"""The colour of what people wear: is "a person in black" right?

People found by `describe` are said with the colour of their clothes ("a person in red"). This scores that
colour against labels made by looking (benchmarks/worn_colours/labels.json: a helper session named, in
the eleven basic colour terms, the one or two colours of what each clearly seen person wears, the main one
first, before multicap's output on the labelled people was looked at; a person whose clothes cannot be
seen, a face filling the frame, is labelled with no colour). The photos are those of the people
benchmarks and the real-photo benchmark that show someone large enough to see what they wear:

    .venv/bin/python scripts/fetch_real_photos.py     # once (the people photos are fetched here)
    .venv/bin/python benchmarks/worn_colours.py        # both parts, a table each
    .venv/bin/python benchmarks/worn_colours.py --split tune --list
    .venv/bin/python benchmarks/worn_colours.py --search        # and "person in red" in an index of them

A third of the photos is held out by the hash of their file name (`split_of`) and never tuned on. The CLI
runs as a user would: `multicap describe FILES --level all --json`. A labelled person is matched to the
described person whose box centre lies nearest theirs across the image (within 0.15 of its width; each
described person matched once, nearest pairs first). The labels give no height in the image, so two
people one behind the other (16 pairs of the labels lie within 0.15 across) may be matched the wrong way
round. A photo `describe` cannot read counts its people as not found. Scores:

  found        labelled people matched to a described person
  first right  of those with clothes labelled, the first colour said is one of the labelled colours
               ("a person in brown and black" for black clothes is wrong: brown is said first)
  any right    one of the colours said is one of the labelled colours
  said, unseen of the people whose clothes cannot be seen, those said with a colour (which then came from
               their skin, hair or the background)
  sure         "first right" of the people whose colour the labeller marked sure (not navy or black,
               cream or white, dim light, a pattern)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import people_more
import people_photos
from package_photos import fetch

REPO = Path(__file__).resolve().parents[1]
LABELS = Path(__file__).resolve().parent / "worn_colours" / "labels.json"
NEAR = 0.15  # of the image's width: the most a described person's centre may lie from the labelled one


def split_of(file: str) -> str:
    """The part a photo is in: "heldout" for a third (the first hex digit of its name's SHA-256 below 5),
    else "tune"; fixed before any output was seen."""
    return "heldout" if int(hashlib.sha256(file.encode()).hexdigest()[0], 16) < 5 else "tune"


@dataclass(frozen=True)
class Scored:
    photo: str
    x: float  # the labelled person's centre, 0..1 of the width
    labelled: tuple[str, ...]  # () where the clothes cannot be seen
    said: tuple[str, ...] | None  # None: not matched to a described person
    sure: bool  # the labeller's colour is not borderline


def _said_people(doc: dict[str, Any] | None) -> list[tuple[float, tuple[str, ...]]]:
    """(centre x, colours said) of each described person (none for a photo `describe` could not read)."""
    out = []
    for obj in (doc or {}).get("facts", {}).get("objects", []):
        if obj["label"] == "person":
            colour = obj["attributes"].get("colour", "")
            out.append(((obj["box"][0] + obj["box"][2]) / 2, tuple(c for c in colour.split(" and ") if c)))
    return out


def _matched(labelled: list[dict], said: list[tuple[float, tuple[str, ...]]]) -> list[tuple[str, ...] | None]:
    """For each labelled person, the colours of the described person matched to them (nearest pairs first,
    each once, within NEAR), or None."""
    pairs = sorted(
        (abs(person["x"] - x), i, j) for i, person in enumerate(labelled) for j, (x, _) in enumerate(said)
    )
    out: list[tuple[str, ...] | None] = [None] * len(labelled)
    used: set[int] = set()
    for distance, i, j in pairs:
        if distance <= NEAR and out[i] is None and j not in used:
            out[i] = said[j][1]
            used.add(j)
    return out


def describe(files: list[Path], extra: list[str]) -> tuple[str, dict[str, dict[str, Any]]]:
    """The command as shown, and per file name its `describe --json` record."""
    multicap = str(Path(sys.executable).parent / "multicap")
    cmd = [multicap, "describe", *map(str, files), "--level", "all", "--json", *extra]
    run = subprocess.run(cmd, capture_output=True, text=True, check=True)
    docs = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    shown = "multicap describe FILES --level all --json " + " ".join(extra)
    return shown.strip(), {Path(d["path"]).name: d for d in docs if d.get("type") == "image"}


def _first(said: tuple[str, ...] | None) -> str:
    """The colour said first ("" where none is: never a labelled colour)."""
    return said[0] if said else ""


def scores(rows: list[Scored]) -> dict[str, tuple[int, int]]:
    seen = [r for r in rows if r.labelled]
    found = [r for r in seen if r.said is not None]
    unseen = [r for r in rows if not r.labelled and r.said is not None]
    return {
        "found": (len(found), len(seen)),
        "first right": (sum(_first(r.said) in r.labelled for r in found), len(found)),
        "any right": (sum(bool(set(r.said or ()) & set(r.labelled)) for r in found), len(found)),
        "said, unseen": (sum(bool(r.said) for r in unseen), len(unseen)),
        "sure": (
            sum(_first(r.said) in r.labelled for r in found if r.sure),
            sum(r.sure for r in found),
        ),
    }


def fetched_folders() -> dict[str, Path]:
    folders = {
        "people_photos": REPO / "data" / "people_photos",
        "people_more": REPO / "data" / "people_more",
        "real_photos": REPO / "data" / "real_photos",
    }
    people_photos.fetch(folders["people_photos"])
    fetch(people_more.PHOTOS, folders["people_more"])
    if not any(folders["real_photos"].glob("*.jpg")):
        sys.exit("no real photos: run `.venv/bin/python scripts/fetch_real_photos.py` first")
    return folders


def search(photos: list[dict[str, Any]], folders: dict[str, Path]) -> dict[str, float]:
    """P@5 of "person in <colour>" in an index of the photos, for each colour the clothes of people in two
    or more photos have (relevant: a photo with a person labelled in it), as a user runs it."""
    multicap = str(Path(sys.executable).parent / "multicap")
    relevant: dict[str, set[str]] = {}
    for photo in photos:
        for person in photo["people"]:
            for colour in person["clothes"] or ():
                relevant.setdefault(colour, set()).add(photo["file"])
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "photos"
        staged.mkdir()
        for photo in photos:
            shutil.copy(folders[photo["folder"]] / photo["file"], staged / photo["file"])
        index = str(Path(tmp) / "index")
        subprocess.run([multicap, "index", str(staged), "--index", index], capture_output=True, check=True)
        for colour, files in sorted(relevant.items()):
            if len(files) < 2:
                continue
            query = [multicap, "search", f"person in {colour}", "--index", index, "--json", "-k", "5"]
            run = subprocess.run(query, capture_output=True, text=True)
            top = [Path(json.loads(line)["path"]).name for line in run.stdout.splitlines() if line.strip()]
            out[f"person in {colour}"] = round(len(set(top) & files) / min(5, len(files)), 3)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=("tune", "heldout", "both"), default="both")
    ap.add_argument("--list", action="store_true", help="each labelled person's colours and what was said")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--search", action="store_true", help='also P@5 of "person in <colour>" queries')
    args, extra = ap.parse_known_args(argv)  # anything else goes to `multicap describe`
    folders = fetched_folders()
    photos = json.loads(LABELS.read_text())["photos"]
    splits = ("tune", "heldout") if args.split == "both" else (args.split,)
    photos = [p for p in photos if split_of(p["file"]) in splits]
    command, docs = describe([folders[p["folder"]] / p["file"] for p in photos], extra)
    rows: dict[str, list[Scored]] = {split: [] for split in splits}
    for photo in photos:
        labelled = photo["people"]
        said = _matched(labelled, _said_people(docs.get(photo["file"])))
        for person, colours in zip(labelled, said, strict=True):
            clothes = tuple(person["clothes"] or ())
            scored = Scored(photo["file"], person["x"], clothes, colours, bool(person.get("sure")))
            rows[split_of(photo["file"])].append(scored)
    table = {split: scores(r) for split, r in rows.items()}
    p_at_5 = search(photos, folders) if args.search else {}
    if args.json:
        print(json.dumps({"command": command, "scores": table, "p_at_5": p_at_5}, indent=2))
        return 0
    print(f"$ {command}")
    for split, score in table.items():
        print(f"{split} ({len({r.photo for r in rows[split]})} photos)")
        for key, (n, of) in score.items():
            print(f"  {key:14} {n:3d}/{of:<3d} {n / max(of, 1):.2f}")
        if args.list:
            for r in rows[split]:
                shown = "not found" if r.said is None else " and ".join(r.said) or "no colour"
                labelled = " and ".join(r.labelled) or "unseen"
                print(f"    {r.photo[:40]:40} x {r.x:.2f}  {labelled:16} said {shown}")
    if p_at_5:
        mean = sum(p_at_5.values()) / len(p_at_5)
        print(
            f"search P@5 (the photos of --split), mean {mean:.2f}: "
            + ", ".join(f'"{q}" {v:.2f}' for q, v in p_at_5.items())
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
