"""How far two lookers agree on a main object's colour: the ceiling the colour target is measured under.

    .venv/bin/python benchmarks/colour_agreement.py
    .venv/bin/python benchmarks/real_photos.py --describe-only --json > /tmp/described.json
    .venv/bin/python benchmarks/colour_agreement.py --described /tmp/described.json

Issue 26 asks that the main object's colour be right in ≥ 0.8 of the photos where `describe` names it. If
people named those colours differently from one another as often as `describe` misses them, the target
would measure the labels. `real_photos/colour_second_look.json` holds a second look at 90 of the 174
photos the benchmark scores colour on (drawn at random), by a looker who saw only the photo, the object's
names and its position, never the labels. This prints how often the second look agrees with the labels:
its first colour is the label's, and the label is one of its one or two names (the rule `describe` is
scored by: "yellow and orange" is right for either). Given `real_photos.py --describe-only --json`'s
output, it prints `describe`'s score on the same photos beside it, and checks that the 90 are the draw
(`draw`: seed 20261206 among the photos scored on colour, in the output's order) of that output.

The second looker, like the labellers before it, was a helper session (a language model looking at each
photo), not a person: the figure is how far two such lookers agree, which bounds how much of `describe`'s
misses the labels' wording can explain; the agreement of people may differ.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
LABELS = HERE / "real_photos" / "labels.json"
SECOND = HERE / "real_photos" / "colour_second_look.json"


SEED, DRAWN = 20261206, 90


def draw(described: dict) -> list[str]:
    """The photos the second look was drawn from and how: `DRAWN` of those scored on colour (in the order
    of `real_photos.py --json`'s splits and photos), with `random.Random(SEED).sample`."""
    scored = [
        r["file"]
        for split in described["splits"].values()
        for r in split["per_photo"]
        if r["colour"] is not None
    ]
    return random.Random(SEED).sample(scored, min(DRAWN, len(scored)))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--described", type=Path, help="`real_photos.py --describe-only --json` output")
    args = parser.parse_args()
    labels = {p["file"]: p["main_objects"][0]["colour"] for p in json.loads(LABELS.read_text())["photos"]}
    second = json.loads(SECOND.read_text())["photos"]
    first = sum(s["colour"] == labels[s["file"]] for s in second)
    either = sum(labels[s["file"]] in (s["colour"], s["second"]) for s in second)
    unsure = [s for s in second if s["unsure"]]
    unsure_either = sum(labels[s["file"]] in (s["colour"], s["second"], s["alternative"]) for s in unsure)
    n = len(second)
    print(f"{n} photos; the second look against the labels:")
    print(f"  its first colour is the label's        {first}/{n} = {first / n:.2f}")
    print(f"  the label is one of its names          {either}/{n} = {either / n:.2f}")
    print(
        f"  unsure on {len(unsure)}; of those the label is its colour or the alternative on {unsure_either}"
    )
    apart = Counter(
        (labels[s["file"]], s["colour"])
        for s in second
        if labels[s["file"]] not in (s["colour"], s["second"])
    )
    if apart:
        print(
            "  where they differ (label, second look): "
            + ", ".join(f"{a}/{b} {k}" for (a, b), k in apart.items())
        )
    if args.described:
        described = json.loads(args.described.read_text())
        rows = {r["file"]: r for split in described["splits"].values() for r in split["per_photo"]}
        same = draw(described) == [s["file"] for s in second]
        print(f"the 90 photos are {'' if same else 'not '}the draw from that output (seed {SEED})")
        scored = [s for s in second if rows.get(s["file"], {}).get("colour") is not None]
        right = sum(rows[s["file"]]["colour"] for s in scored)
        print(f"`describe` on the same photos (colour right, its scoring): {right}/{len(scored)}")
        if len(scored) < n:
            print(f"  ({n - len(scored)} photos not scored there: main object not named, or not in the run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
