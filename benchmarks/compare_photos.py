"""`multicap compare` on real photos: does it group, label and single out what a person would?

    .venv/bin/python scripts/fetch_real_photos.py        # once: the photos, into data/real_photos
    .venv/bin/python benchmarks/compare_photos.py         # both splits, a table per split
    .venv/bin/python benchmarks/compare_photos.py --split heldout --json

Each set of benchmarks/real_photos/sets.json is a folder a user might compare, judged by looking at the
photos: groups of photos that belong together (with the words a label of each group may use) and,
for some, the one photo that does not belong. Every photo of a set comes from one split of the real-photo
benchmark (labels.json), so the held-out sets are never used for tuning. Each set is copied under neutral
names into a temporary folder and run as a user would: `multicap compare FOLDER --json`. Scores per split:

  together   per group: the share of its photos in the cluster that holds most of them
  alone      per group: the share of that cluster's photos that are of the group (1.0: nothing else)
  labelled   per group: whether that cluster's label (its `text`) says one of the group's words
  outlier    per set with a judged outlier: whether it is flagged as an outlier; "rank" is its place by
             distance to the nearest cluster (1: the farthest image of the set)
  false      the share of the other photos (not judged outliers) that are flagged as outliers

Then the whole folder (every photo of --data, a folder of varied photos as a user has one) is compared
once, and each split's judged groups are scored in it the same way (together, alone, labelled): do the
lakes, the streets, the animals and the flowers stay together among them, apart from the rest?

With --planted N, N more sets are drawn from GCompris's photos by the themes GCompris itself gives them
(the activity or the categorization folder each comes from: animals, monuments, fish, tools, renewable
energy), twelve photos of one theme each; the first half of the sets (of every ordered pair of themes in
turn) get one photo of the other theme planted, the rest none. Scored: the planted photos flagged as
outliers, and the other photos flagged (false outliers). These photos were seen while the rule that finds
the odd one out by what it shows (multicap/compare/sets.py) was made: a development figure, not a held-out
one.

With --several N, N sets of twelve photos of one theme are drawn with three photos planted, one of each
of three other themes (the themes in turn): how many of the three are flagged (an espresso, a hammer and a
rocket among zoo animals had been only the hammer, in a walkthrough), and the others flagged.

With --mixed N, N sets of 30 photos are drawn, ten of each of three themes (every three of GCompris's
five themes and people, the photos whose labelled main object is a person, in turn), each theme a group
to score (together, alone, labelled by a word of its theme): a folder of a few kinds of photo, between
the judged sets' 12-16 photos and the whole folder.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from statistics import mean
from typing import Any

from real_photos import REPO, BenchmarkError, json_lines, run_cli, words

SETS = Path(__file__).resolve().parent / "real_photos" / "sets.json"
LABELS = SETS.with_name("labels.json")
PEOPLE_NAMES = {"person", "people", "man", "woman", "child", "musician", "musicians", "player", "players"}
SPLITS = ("tune", "heldout")
# GCompris's own grouping of its photos (manifest.json's original_path): the activity or categorization folder
THEMES = {
    "animals": ("/erase/", "/explore_world_animals/", "/explore_farm_animals/"),
    "monuments": ("/explore_monuments/", "/categorization/resource/images/monuments/"),
    "fish": ("/categorization/resource/images/fishes/",),
    "tools": ("/categorization/resource/images/tools/",),
    "renewable energy": ("/categorization/resource/images/renewable/",),
}
PLANTED_SET = 12  # photos of one theme in a planted set
SEVERAL = 3  # photos of other themes planted in each set of --several
MIXED_PART = 10  # photos of each of the three themes of a mixed set
# what a mixed set's cluster label may say of each theme
THEME_WORDS = {
    "animals": ("animal", "mammal", "bird", "carnivore", "ungulate", "vertebrate", "insect"),
    "monuments": ("building", "structure", "monument", "castle", "palace", "church", "mosque", "tower"),
    "fish": ("fish", "aquatic vertebrate"),
    "tools": ("tool", "hand tool", "implement"),
    "renewable energy": ("windmill", "mill", "solar", "dam", "turbine", "energy"),
    "people": ("person", "people", "face", "portrait"),
}


def members(judged: dict[str, Any]) -> list[str]:
    """Every photo of a judged set: its groups', its other files and its outlier, in that order."""
    files = [f for g in judged.get("groups", []) for f in g["files"]] + judged.get("files", [])
    odd = ([judged["outlier"]] if "outlier" in judged else []) + judged.get("planted", [])
    return list(dict.fromkeys(files + odd))


def compare(files: list[str], data: Path, folder: Path) -> dict[str, Any]:
    """Run `multicap compare` on the photos staged under neutral names; results keyed by original name."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    names = {f"photo-{i:03d}.jpg": f for i, f in enumerate(files)}
    for neutral, original in names.items():
        shutil.copyfile(data / original, folder / neutral)
    records = json_lines(run_cli(["compare", str(folder), "--json"]).stdout)
    images = {names[Path(r["path"]).name]: r for r in records if r["type"] == "image"}
    clusters = {r["cluster"]: r for r in records if r["type"] == "cluster"}
    summary = next(r for r in records if r["type"] == "summary")
    return {"images": images, "clusters": clusters, "k": summary["clusters"]}


def score_set(judged: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    images, clusters = result["images"], result["clusters"]
    groups = []
    for group in judged.get("groups", []):
        where = Counter(images[f]["cluster"] for f in group["files"])
        cluster, held = where.most_common(1)[0]
        size = sum(1 for r in images.values() if r["cluster"] == cluster)
        label = clusters[cluster]["text"]
        said = set(words(label))
        groups.append({
            "together": round(held / len(group["files"]), 3),
            "alone": round(held / size, 3),
            "labelled": any(all(p in said for p in words(w)) for w in group["words"]),
            "label": label,
        })  # fmt: skip
    row: dict[str, Any] = {"name": judged["name"], "k": result["k"], "groups": groups}
    order = sorted(images, key=lambda f: -images[f]["distance"])
    if "outlier" in judged:
        row["outlier"] = bool(images[judged["outlier"]]["outlier"])
        row["outlier_rank"] = order.index(judged["outlier"]) + 1
    if "planted" in judged:  # several photos of other themes: how many are flagged
        row["planted_found"] = sum(bool(images[f]["outlier"]) for f in judged["planted"])
        row["planted_n"] = len(judged["planted"])
    others = [f for f in images if f != judged.get("outlier") and f not in judged.get("planted", [])]
    row["false_outliers"] = sorted(f for f in others if images[f]["outlier"])
    row["n_others"] = len(others)
    return row


def planted_sets(data: Path, n: int, seed: int = 0) -> list[dict[str, Any]]:
    """`n` sets of `PLANTED_SET` photos of one theme, the first half with one photo of another planted."""
    themes = _theme_photos(data, PLANTED_SET)
    pairs = [(a, b) for a in themes for b in themes if a != b]
    rng = random.Random(seed)
    sets = []
    for j in range(n):
        a, b = pairs[j % len(pairs)]
        files = rng.sample(themes[a], PLANTED_SET)
        judged: dict[str, Any] = {"name": f"{a}" + (f" and one of {b}" if j < n // 2 else ""), "files": files}
        if j < n // 2:
            judged["outlier"] = rng.choice(themes[b])
        sets.append(judged)
    return sets


def several_sets(data: Path, n: int, seed: int = 0) -> list[dict[str, Any]]:
    """`n` sets of `PLANTED_SET` photos of one theme, each with `SEVERAL` photos of as many other themes."""
    themes = _theme_photos(data, PLANTED_SET)
    rng = random.Random(seed)
    sets = []
    for j in range(n):
        a = list(themes)[j % len(themes)]
        others = rng.sample([t for t in themes if t != a], SEVERAL)
        planted = [rng.choice(themes[b]) for b in others]
        files = rng.sample(themes[a], PLANTED_SET)
        sets.append({"name": f"{a} and one each of {', '.join(others)}", "files": files, "planted": planted})
    return sets


def _theme_photos(data: Path, least: int) -> dict[str, list[str]]:
    """GCompris's photos of each theme (manifest.json's original_path), each theme at least `least`."""
    manifest = json.loads((data / "manifest.json").read_text())
    themes = {
        t: [r["file"] for r in manifest if any(m in r["original_path"] for m in marks)]
        for t, marks in THEMES.items()
    }
    short = [t for t, files in themes.items() if len(files) < least]
    if short:
        raise BenchmarkError(
            f"too few GCompris photos of {', '.join(short)} in {data}; run scripts/fetch_real_photos.py"
        )
    return themes


def mixed_sets(data: Path, n: int, seed: int = 0) -> list[dict[str, Any]]:
    """`n` sets of three themes, `MIXED_PART` photos of each (every three of the six themes in turn: the
    five GCompris gives and people, the photos whose labelled main object is a person): each theme a group
    that should be a cluster of its own."""
    themes = _theme_photos(data, MIXED_PART)
    labels = json.loads(LABELS.read_text())["photos"]
    elsewhere = {f for files in themes.values() for f in files}  # a musician is not also an animal's photo
    themes["people"] = [
        p["file"]
        for p in labels
        if p["main_objects"] and set(p["main_objects"][0]["names"]) & PEOPLE_NAMES
        if p["file"] not in elsewhere
    ]
    if len(themes["people"]) < MIXED_PART:
        raise BenchmarkError(f"too few people photos in {LABELS} for --mixed (at least {MIXED_PART})")
    triples = list(itertools.combinations(themes, 3))
    rng = random.Random(seed)
    sets = []
    for j in range(n):
        chosen = triples[j % len(triples)]
        groups = [{"files": rng.sample(themes[t], MIXED_PART), "words": list(THEME_WORDS[t])} for t in chosen]
        sets.append({"name": ", ".join(chosen), "groups": groups})
    return sets


def split_metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    groups = [g for r in rows for g in r["groups"]]
    judged = [r for r in rows if "outlier" in r]
    others = sum(r["n_others"] for r in rows)
    planted = sum(r.get("planted_found", 0) for r in rows), sum(r.get("planted_n", 0) for r in rows)
    return {
        "sets": len(rows),
        "groups": len(groups),
        "together": round(mean(g["together"] for g in groups), 3) if groups else None,
        "alone": round(mean(g["alone"] for g in groups), 3) if groups else None,
        "labelled": f"{sum(g['labelled'] for g in groups)}/{len(groups)}",
        "outliers": f"{sum(r['outlier'] for r in judged)}/{len(judged)}",
        "outlier_ranks": [r["outlier_rank"] for r in judged],
        "planted": f"{planted[0]}/{planted[1]}",
        "false": round(sum(len(r["false_outliers"]) for r in rows) / others, 3) if others else None,
    }


def table(split: str, rows: list[dict[str, Any]], m: dict[str, Any]) -> str:
    lines = [f"\n{split}: {m['sets']} sets, {m['groups']} groups"]
    for r in rows:
        found = "found" if r.get("outlier") else "missed"
        extra = f", outlier {found} (rank {r['outlier_rank']})" if "outlier" in r else ""
        extra += f", planted flagged {r['planted_found']}/{r['planted_n']}" if "planted_n" in r else ""
        lines.append(f"  {r['name']}: k={r['k']}{extra}, false outliers {len(r['false_outliers'])}")
        for g in r["groups"]:
            lines.append(
                f"    together {g['together']:.2f}  alone {g['alone']:.2f}  "
                f"labelled {'yes' if g['labelled'] else 'no '}  «{g['label']}»"
            )
    lines.append(
        f"  together {m['together']}  alone {m['alone']}  labelled {m['labelled']}  "
        f"outliers {m['outliers']} (ranks {m['outlier_ranks']})  planted flagged {m['planted']}  "
        f"false outliers {m['false']}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO / "data" / "real_photos", help="folder of the photos")
    ap.add_argument("--split", choices=[*SPLITS, "both"], default="both")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument(
        "--planted", type=int, default=0, metavar="N", help="also N sets with a planted outlier or none"
    )
    ap.add_argument(
        "--several", type=int, default=0, metavar="N", help="also N sets with three planted photos each"
    )
    ap.add_argument(
        "--mixed", type=int, default=0, metavar="N", help="also N sets of 30 photos of three themes each"
    )
    args = ap.parse_args(argv)
    sets = json.loads(SETS.read_text())["sets"]
    splits = SPLITS if args.split == "both" else (args.split,)
    out: dict[str, Any] = {}
    try:
        missing = sorted({f for s in sets for f in members(s) if not (args.data / f).is_file()})
        if missing:
            raise BenchmarkError(
                f"{len(missing)} photo(s) missing from {args.data}; run scripts/fetch_real_photos.py"
            )
        with tempfile.TemporaryDirectory(prefix="compare_photos_") as tmp:
            for split in splits:
                rows = [
                    score_set(s, compare(members(s), args.data, Path(tmp) / f"set{i}"))
                    for i, s in enumerate(sets)
                    if s["split"] == split
                ]
                out[split] = {"rows": rows, "metrics": split_metrics(rows)}
            if args.planted:
                drawn = planted_sets(args.data, args.planted)
                rows = [score_set(s, compare(members(s), args.data, Path(tmp) / "planted")) for s in drawn]
                out["planted"] = {"rows": rows, "metrics": split_metrics(rows)}
            if args.several:
                drawn = several_sets(args.data, args.several)
                rows = [score_set(s, compare(members(s), args.data, Path(tmp) / "several")) for s in drawn]
                out["several"] = {"rows": rows, "metrics": split_metrics(rows)}
            if args.mixed:
                drawn = mixed_sets(args.data, args.mixed)
                rows = [score_set(s, compare(members(s), args.data, Path(tmp) / "mixed")) for s in drawn]
                out["mixed"] = {"rows": rows, "metrics": split_metrics(rows)}
            every = sorted(p.name for p in args.data.glob("*.jpg"))
            result = compare(every, args.data, Path(tmp) / "whole")
            for split in splits:
                groups = [g for s in sets if s["split"] == split for g in s.get("groups", [])]
                row = score_set({"name": f"whole folder ({len(every)} photos)", "groups": groups}, result)
                out[f"{split}, in the whole folder"] = {"rows": [row], "metrics": split_metrics([row])}
    except (BenchmarkError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"splits": out}))
    else:
        print("\n".join(table(s, r["rows"], r["metrics"]) for s, r in out.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
