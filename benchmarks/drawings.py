"""Drawings: does `multicap describe` name clip art for what it is, or pile a few labels onto all of it?

    .venv/bin/python scripts/fetch_drawings.py          # once: 2,016 drawings into data/drawings
    .venv/bin/python benchmarks/drawings.py              # both splits, a table per split
    .venv/bin/python benchmarks/drawings.py --split heldout --json

The drawings (Open Clip Art Library, public domain, from Debian's openclipart-png) sit in folders by what
they show: animals, food, people, transportation... Each folder names the WordNet concepts a right
description reaches (CONCEPTS: a described object's synset or any of its hypernyms; for people, a person
object or a person word). A third of the drawings (by the sha256 of their path) is held out and never
used for tuning or for calibrating the class priors (scripts/class_priors.py). Each split is copied into
a temporary folder and described as a user would: `multicap describe FOLDER --level object --json`.

  named     the share of drawings with a described object in their folder's concepts
  top-4     the share of drawings whose first object is one of the split's four most frequent first
            labels (the pile-up: a fifth of the drawings were an analog clock, a digital clock, a hook or
            a loupe before class priors)
  labels    distinct first labels, per 100 drawings
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from real_photos import PERSON_WORDS, REPO, BenchmarkError, json_lines, run_cli, words

from multicap.text.wordnet import WordNet, open_wordnet

SPLITS = ("tune", "heldout")
# folder (longest prefix wins) → words whose noun senses, and everything below them, name its drawings
CONCEPTS: dict[str, tuple[str, ...]] = {
    "animals": ("animal",),
    "buildings": ("building", "structure"),
    "containers": ("container", "vessel"),
    "electronics": ("electronic equipment", "electrical device", "computer", "circuit"),
    "food": ("food", "foodstuff", "dish", "fruit", "vegetable", "beverage", "baked goods"),
    "people": ("person",),
    "plants": ("plant", "flower", "tree", "fruit", "vegetable"),
    "recreation/music": ("musical instrument",),
    "recreation/sports": ("sports equipment", "game equipment", "ball", "person"),
    "recreation/toys": ("toy", "plaything", "doll"),
    "science/astronomy": ("celestial body", "heavenly body", "planet", "star", "telescope"),
    "tools": ("tool", "implement", "weapon", "device"),
    "transportation": ("conveyance", "vehicle", "craft", "vessel", "aircraft"),
}


def category(rel: str) -> str:
    return max((c for c in CONCEPTS if rel == c or rel.startswith(c + "/")), key=len)


def split_of(rel: str) -> str:
    return "heldout" if int(hashlib.sha256(rel.encode()).hexdigest(), 16) % 3 == 0 else "tune"


def drawings(data: Path) -> dict[str, list[str]]:
    """split → the relative paths of its drawings (the manifest's, so that only fetched files count)."""
    manifest = data / "manifest.json"
    if not manifest.is_file():
        raise BenchmarkError(f"no drawings in {data}; run scripts/fetch_drawings.py")
    files = sorted(json.loads(manifest.read_text())["files"])
    out: dict[str, list[str]] = {s: [] for s in SPLITS}
    for rel in files:
        out[split_of(rel)].append(rel)
    return out


def concept_offsets(wn: WordNet) -> dict[str, frozenset[int]]:
    return {c: frozenset(s.offset for w in ws for s in wn.synsets(w)) for c, ws in CONCEPTS.items()}


def score(rel: str, record: dict[str, Any] | None, wn: WordNet, offsets: dict[str, frozenset[int]]) -> dict:
    cat = category(rel)
    objects = ((record or {}).get("facts") or {}).get("objects", [])
    reached = set()
    for obj in objects:
        wnid = obj.get("attributes", {}).get("wnid", "")
        if wnid.startswith("n") and wnid[1:].isdigit():
            reached |= wn.ancestors(int(wnid[1:]))
    text = " ".join((record or {}).get("texts", {}).values())
    person = cat in ("people", "recreation/sports") and bool(PERSON_WORDS & set(words(text)))
    return {
        "file": rel,
        "category": cat,
        "named": bool(reached & offsets[cat]) or person,
        "first_label": objects[0]["label"] if objects else None,
    }


def run_split(files: list[str], data: Path, folder: Path, model: list[str], wn: WordNet) -> dict[str, Any]:
    shutil.rmtree(folder, ignore_errors=True)
    for rel in files:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data / rel, folder / rel)
    out = run_cli(["describe", str(folder), "--level", "object", "--json", *model]).stdout
    records = {
        Path(r["path"]).relative_to(folder).as_posix(): r for r in json_lines(out) if r.get("type") == "image"
    }
    offsets = concept_offsets(wn)
    rows = [score(rel, records.get(rel), wn, offsets) for rel in files]
    firsts = Counter(r["first_label"] for r in rows if r["first_label"])
    top4 = sum(n for _, n in firsts.most_common(4))
    per_cat: dict[str, list[bool]] = {}
    for r in rows:
        per_cat.setdefault(r["category"], []).append(r["named"])
    return {
        "drawings": len(rows),
        "described": len(records),
        "named": round(sum(r["named"] for r in rows) / len(rows), 3),
        "top4": round(top4 / len(rows), 3),
        "most_common": firsts.most_common(6),
        "labels_per_100": round(100 * len(firsts) / len(rows), 1),
        "named_by_category": {c: f"{sum(v)}/{len(v)}" for c, v in sorted(per_cat.items())},
    }


def table(split: str, m: dict[str, Any]) -> str:
    common = ", ".join(f"{label} {n}" for label, n in m["most_common"])
    by_cat = "  ".join(f"{c} {v}" for c, v in m["named_by_category"].items())
    return (
        f"\n{split}: {m['drawings']} drawings ({m['described']} described)\n"
        f"  named {m['named']:.3f}   top-4 labels {m['top4']:.3f}   distinct first labels per 100: "
        f"{m['labels_per_100']}\n  most common first labels: {common}\n  named by folder: {by_cat}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO / "data" / "drawings", help="folder of the drawings")
    ap.add_argument("--split", choices=[*SPLITS, "both"], default="both")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--model", help="passed to `multicap describe`")
    args = ap.parse_args(argv)
    model = ["--model", args.model] if args.model else []
    splits = SPLITS if args.split == "both" else (args.split,)
    try:
        wn = open_wordnet()
        files = drawings(args.data)
        with tempfile.TemporaryDirectory(prefix="drawings_") as tmp:
            results = {s: run_split(files[s], args.data, Path(tmp) / s, model, wn) for s in splits}
    except (BenchmarkError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"model": args.model or "default", "splits": results}))
    else:
        print("\n".join(table(s, r) for s, r in results.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
