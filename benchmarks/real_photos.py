"""Real-photo benchmark: what `multicap` says about and finds in real photographs, run as a user would.

    .venv/bin/python scripts/fetch_real_photos.py             # once: the photos, into data/real_photos
    .venv/bin/python benchmarks/real_photos.py                 # every split, a table per split
    .venv/bin/python benchmarks/real_photos.py --split tune --json

The photos (benchmarks/real_photos/labels.json, each labelled by looking at it) and the text queries with
their relevant photos (queries.json) each carry a split: "tune", "heldout", "fresh" (40 GCompris photos of
animals and monuments added as a second held-out part once the first had been seen), "fresh2" (40 GCompris
photos of tools, everyday things, fish, dams, windmills, solar panels and monuments, 320 px, added once
"fresh" had been seen), "fresh3" (the next 40 of those, added once "fresh2" had been seen), "fresh4" (the
next 30, added once "fresh3" had been seen), "fresh5" (the last 30, added once "fresh4" had been seen),
"fresh6" (40 more GCompris photos of animals and monuments, photos 41 to 80 in the order of "fresh") or
"fresh7" (the last 26 of those and nine photos of musicians), both added once "fresh5" had been seen; see
labels.json's split_rule. `--split both` runs tune and heldout, the default all nine. For each split the
photos are copied under neutral names (so a file name cannot give an answer away) into a temporary folder,
then the CLI runs in subprocesses: `multicap describe FILES --level all --json`, `multicap index DIR
--index TMP` and, per query, `multicap search QUERY --index TMP --json -k 5`. Scores per split:

  named          the first main object's name (any accepted synonym, plurals folded) is the head of a
                 noun phrase of the object-level text or of a described object's label or WordNet tags
                 ("water ouzel" names an ouzel, not water; "tiger cat" names a cat)
  ... as said    of those, the photos where the word said names it: the matched object's label itself is
                 an accepted name, not only one of its WordNet tags ("a tench" for a wrasse is named
                 through its tag "fish", but says a wrong kind; "a fish" names it as said)
  colour         of the named photos whose main object has a colour: the matched object's colour is it
                 (or one of a pair, "yellow and orange"), or an attribute-level phrase "<colour> ... <name>"
  position       of the named photos: the matched object's 3x3 position equals the label (exact) or is
                 at most one cell away (near)
  people         of the photos with people, the share whose texts (all levels) mention a person word;
                 invented: the share of photos without people whose texts do; counted: of the photos
                 with 1 to 9 people (not a crowd), the share whose described persons number as many
                 (exactly, and within one; the describer says at most 9 people)
  "perhaps"      the share of the photos whose main object is not named, and of those where it is, whose
                 object-level text is hedged ("perhaps a drumstick"): an honest describer hedges the first
                 far more often than the second
  P@5            per query, relevant photos of its split among the top 5 / min(5, relevant in split);
                 mean per query kind, and of a random ranking; "nothing": the share of queries that
                 return no image (the CLI exits 0 with no line, or 1 with a message); the kind "look"
                 asks how the whole image looks ("dark photo", "black and white photo", "blue photo")

Run over several held-out parts, it also scores them pooled (every photo and query of every split but
"tune" together), each share of 50 or more with its 95% Wilson interval: the parts are small (30-40 photos,
an interval ±0.15 wide) and differ in kind, so a target is read on each part and on the pool.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LABELS = HERE / "real_photos" / "labels.json"
QUERIES = HERE / "real_photos" / "queries.json"
SPLITS = ("tune", "heldout", "fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7")
KINDS = ("one-word", "attribute+object", "object+setting", "object+relation", "look")  # look: the whole image
PERSON_WORDS = {"person", "people", "man", "woman", "child", "boy", "girl", "face"}
_CROWD = 10  # people from which a photo's people are a crowd, not counted
_IRREGULAR = {"men": "man", "women": "woman", "children": "child", "persons": "person"}
_POSITIONS = (
    "top left",
    "top",
    "top right",
    "left",
    "center",
    "right",
    "bottom left",
    "bottom",
    "bottom right",
)


class BenchmarkError(Exception):
    """A step failed; the message says which."""


# --- words ------------------------------------------------------------------------------------------


def _singular(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Lowercase words with simple plurals folded: "Two Dogs" -> ["two", "dog"]."""
    return [_singular(w) for w in re.findall(r"[a-z]+", text.lower())]


# Where one noun phrase of a description ends: "a dog on the grass, a red ball and a cup of tea".
_BREAK = re.compile(
    r"[,;]|\b(?:in front of|next to|and|on|in|at|of|with|near|by|behind|under|over|above|beside)\b"
)


def phrases(text: str) -> list[list[str]]:
    """The noun phrases of a text, as words: "a brown cat and a dog" -> [[a, brown, cat], [a, dog]]."""
    return [w for w in (words(p) for p in _BREAK.split(text.lower())) if w]


def heads(text: str, name: str) -> list[list[str]]:
    """The phrases of `text` whose head (last words) is `name`: "water ouzel" names an ouzel, not water."""
    n = words(name)
    return [p for p in phrases(text) if n and p[-len(n) :] == n]


def colours(value: str | None) -> set[str]:
    """The colour words of a described colour: "yellow and orange" -> {"yellow", "orange"}."""
    return set(words(value or "")) - {"and"}


def cells_apart(a: str, b: str) -> int:
    """Chebyshev distance between two 3x3 position words ("top left" and "center" are 1 apart)."""
    (ra, ca), (rb, cb) = (divmod(_POSITIONS.index(p), 3) for p in (a, b))
    return max(abs(ra - rb), abs(ca - cb))


# --- the CLI ----------------------------------------------------------------------------------------


def _multicap() -> str:
    beside = Path(sys.executable).with_name("multicap")
    found = str(beside) if beside.exists() else shutil.which("multicap")
    if not found:
        raise BenchmarkError("no `multicap` command: install the package (make demo) or activate .venv")
    return found


def run_cli(args: list[str], ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([_multicap(), *args], capture_output=True, text=True)
    if proc.returncode not in ok:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise BenchmarkError(f"multicap {args[0]} exited {proc.returncode}: {last}")
    return proc


def json_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip().startswith("{")]


def describe(files: list[Path], model: list[str]) -> dict[str, dict[str, Any]]:
    """Per file name: the `describe --json` record of type "image"."""
    out = run_cli(["describe", *map(str, files), "--level", "all", "--json", *model]).stdout
    return {Path(r["path"]).name: r for r in json_lines(out) if r.get("type") == "image"}


def search(query: str, index: Path) -> tuple[list[str], str]:
    """The file names of the top 5 and the CLI's message when it returned nothing."""
    proc = run_cli(["search", query, "--index", str(index), "--json", "-k", "5"], ok=(0, 1))
    names = [Path(r["path"]).name for r in json_lines(proc.stdout)]
    if proc.returncode == 1 and names:
        raise BenchmarkError(f"multicap search {query!r} exited 1 after printing results")
    return names, "" if names else (proc.stderr.strip().splitlines() or [""])[-1]


# --- scoring ----------------------------------------------------------------------------------------


def _matched_object(names: list[str], record: dict[str, Any]) -> tuple[bool, dict[str, Any] | None]:
    """Whether the photo's main object is named, and the described object that names it (if any)."""
    for obj in (record.get("facts") or {}).get("objects", []):
        said = [obj["label"], *obj.get("attributes", {}).get("tags", "").split(", ")]
        if any(heads(s, n) for s in said for n in names):
            return True, obj
    return any(heads(record["texts"].get("object", ""), n) for n in names), None


def _colour_right(main: dict[str, Any], obj: dict[str, Any] | None, attribute_text: str) -> bool:
    """The matched object's colour includes the label's, or a phrase naming the object carries it."""
    said = colours((obj or {}).get("attributes", {}).get("colour"))
    in_text = any(main["colour"] in p for n in main["names"] for p in heads(attribute_text, n))
    return main["colour"] in said or in_text


def score_photo(label: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    main = label["main_objects"][0]
    named, obj = _matched_object(main["names"], record)
    attrs = (obj or {}).get("attributes", {})
    colour = None
    if named and main["colour"]:
        colour = _colour_right(main, obj, record["texts"].get("attribute", ""))
    where = attrs.get("position") if named else None
    objects = (record.get("facts") or {}).get("objects", [])
    all_text = " ".join(record["texts"].values())
    return {
        "file": label["file"],
        "named": named,
        "named_as_said": named and (obj is None or any(heads(obj["label"], n) for n in main["names"])),
        "first_label": objects[0]["label"] if objects else None,
        "matched_label": obj["label"] if obj else None,
        "colour": colour,
        "said_colour": attrs.get("colour"),
        "position_exact": where == main["position"] if named else None,
        "position_near": (where in _POSITIONS and cells_apart(where, main["position"]) <= 1)
        if named
        else None,
        "said_position": where,
        "people": label["people"],
        "mentions_people": bool(PERSON_WORDS & set(words(all_text))),
        "people_said": sum(o["label"] == "person" for o in objects),
        "object_text": record["texts"].get("object", ""),
        "hedged": record["texts"].get("object", "").lower().startswith("perhaps"),
    }


def _share(flags: list[bool | None]) -> dict[str, Any]:
    scored = [f for f in flags if f is not None]
    return {
        "n": sum(scored),
        "of": len(scored),
        "share": round(sum(scored) / len(scored), 3) if scored else None,
        "ci95": wilson(sum(scored), len(scored)),
    }


def wilson(n: int, of: int, z: float = 1.96) -> list[float] | None:
    """The Wilson score interval of a share n/of at 95%: where a split of `of` photos leaves the truth."""
    if of == 0:
        return None
    p = n / of
    centre = (p + z * z / (2 * of)) / (1 + z * z / of)
    half = z * math.sqrt(p * (1 - p) / of + z * z / (4 * of * of)) / (1 + z * z / of)
    return [round(max(0.0, centre - half), 3), round(min(1.0, centre + half), 3)]


def photo_metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    firsts = Counter(r["first_label"] or "-" for r in rows)
    return {
        "named": _share([r["named"] for r in rows]),
        "named_as_said": _share([r["named_as_said"] for r in rows]),
        "colour": _share([r["colour"] for r in rows]),
        "position_exact": _share([r["position_exact"] for r in rows]),
        "position_near": _share([r["position_near"] for r in rows]),
        "people_mentioned": _share([r["mentions_people"] for r in rows if r["people"] > 0]),
        "people_invented": _share([r["mentions_people"] for r in rows if r["people"] == 0]),
        "people_counted": _share([r["people_said"] == r["people"] for r in rows if 0 < r["people"] < _CROWD]),
        "people_counted_near": _share(
            [abs(r["people_said"] - r["people"]) <= 1 for r in rows if 0 < r["people"] < _CROWD]
        ),
        "hedged_unnamed": _share([r["hedged"] for r in rows if not r["named"]]),
        "hedged_named": _share([r["hedged"] for r in rows if r["named"]]),
        "most_common_first_labels": firsts.most_common(4),
    }


def score_query(query: dict[str, Any], top: list[str], in_split: set[str]) -> tuple[float, float]:
    """P@5 of the ranking, and of a random ranking of the split (5 * R / N expected hits in the top 5)."""
    relevant = set(query["relevant"]) & in_split
    best = min(5, len(relevant))
    return len(relevant & set(top[:5])) / best, 5 * len(relevant) / len(in_split) / best


def query_metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_kind = {k: [r["p_at_5"] for r in rows if r["kind"] == k] for k in KINDS}
    return {
        "p_at_5": {k: round(sum(v) / len(v), 3) if v else None for k, v in by_kind.items()},
        "p_at_5_all": round(sum(r["p_at_5"] for r in rows) / len(rows), 3) if rows else None,
        "p_at_5_chance": round(sum(r["chance"] for r in rows) / len(rows), 3) if rows else None,
        "n_queries": {k: len(v) for k, v in by_kind.items()},
        "nothing": _share([not r["top"] for r in rows]),
    }


# --- one split --------------------------------------------------------------------------------------


def stage(photos: list[dict[str, Any]], data: Path, folder: Path) -> dict[str, str]:
    """Copy the photos under neutral names; returns neutral name -> labelled file name."""
    shutil.rmtree(folder, ignore_errors=True)  # a kept --index-dir must not hold photos of an older run
    folder.mkdir(parents=True)
    names = {f"photo-{i:03d}.jpg": p["file"] for i, p in enumerate(photos)}
    for neutral, original in names.items():
        shutil.copyfile(data / original, folder / neutral)
    return names


def run_split(
    split: str,
    labels: list[dict],
    queries: list[dict],
    data: Path,
    work: Path,
    model: list[str],
    with_search: bool = True,
) -> dict:
    photos = [p for p in labels if p["split"] == split]
    names = stage(photos, data, work / f"photos-{split}")
    files = sorted((work / f"photos-{split}").glob("photo-*.jpg"))
    t = time.perf_counter()
    described = {names[n]: r for n, r in describe(files, model).items()}
    describe_s = time.perf_counter() - t
    missing = [p["file"] for p in photos if p["file"] not in described]
    if missing:
        raise BenchmarkError(f"describe gave no record for {len(missing)} photo(s), e.g. {missing[0]}")
    index = work / f"index-{split}"
    t = time.perf_counter()
    if with_search:
        run_cli(["index", str(work / f"photos-{split}"), "--index", str(index), "--json", *model])
    index_s = time.perf_counter() - t
    photo_rows = [score_photo(p, described[p["file"]]) for p in photos]
    in_split = {p["file"] for p in photos}
    query_rows = []
    t = time.perf_counter()
    for q in (q for q in queries if q["split"] == split):
        found, note = search(q["query"], index)
        top = [names.get(n, n) for n in found]
        p_at_5, chance = (round(x, 3) for x in score_query(q, top, in_split))
        row = {"query": q["query"], "kind": q["kind"], "p_at_5": p_at_5, "chance": chance}
        query_rows.append(row | {"top": top, "note": note})
    search_s = time.perf_counter() - t
    return {
        "photos": len(photos),
        "with_people": sum(p["people"] > 0 for p in photos),
        "seconds": {
            "describe": round(describe_s, 1),
            "index": round(index_s, 1),
            "search": round(search_s, 1),
        },
        **photo_metrics(photo_rows),
        **query_metrics(query_rows),
        "per_photo": photo_rows,
        "per_query": query_rows,
    }


def pool(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The held-out parts as one: every photo and query of them scored together (each query was searched
    in its own part's index). The parts differ in kind (animals, tools, monuments), so a target is read on
    each part and on the pool: the pool says where the truth lies, the parts how it varies."""
    photos = [row for r in parts for row in r["per_photo"]]
    queries = [row for r in parts for row in r["per_query"]]
    seconds = {k: round(sum(r["seconds"][k] for r in parts), 1) for k in ("describe", "index", "search")}
    return {
        "photos": sum(r["photos"] for r in parts),
        "with_people": sum(r["with_people"] for r in parts),
        "seconds": seconds,
        **photo_metrics(photos),
        **query_metrics(queries),
        "per_query": queries,
    }


# --- output -----------------------------------------------------------------------------------------


def _fmt(m: dict[str, Any]) -> str:
    share = "-" if m["share"] is None else f"{m['share']:.2f}"
    ci = m.get("ci95")
    interval = f" [{ci[0]:.2f}-{ci[1]:.2f}]" if ci and m["of"] >= 50 else ""  # pooled parts: room for it
    return f"{m['n']:>3}/{m['of']:<3} {share}{interval}"


def table(split: str, r: dict[str, Any]) -> str:
    s = r["seconds"]
    kinds = "  ".join(f"{k} {r['p_at_5'][k]:.2f} ({r['n_queries'][k]})" for k in KINDS if r["n_queries"][k])
    piles = ", ".join(f"{label} {n}" for label, n in r["most_common_first_labels"])
    return "\n".join(
        [
            f"{split}: {r['photos']} photos ({r['with_people']} with people), {len(r['per_query'])} queries",
            f"  wall time: describe {s['describe']} s, index {s['index']} s, search {s['search']} s",
            f"  main object named          {_fmt(r['named'])}",
            f"  ... by the word said       {_fmt(r['named_as_said'])}",
            f"  colour right (named)       {_fmt(r['colour'])}",
            f"  position exact (named)     {_fmt(r['position_exact'])}",
            f"  position within one cell   {_fmt(r['position_near'])}",
            f"  people mentioned           {_fmt(r['people_mentioned'])}",
            f"  people invented            {_fmt(r['people_invented'])}",
            f"  people counted (±1)        {_fmt(r['people_counted'])} ({_fmt(r['people_counted_near'])})",
            f"  'perhaps' where not named  {_fmt(r['hedged_unnamed'])}",
            f"  'perhaps' where named      {_fmt(r['hedged_named'])}",
            f"  most common first labels   {piles}",
        ]
        + (
            [
                f"  query P@5 {r['p_at_5_all']:.2f} (random {r['p_at_5_chance']:.2f}): {kinds}",
                f"  queries returning nothing  {_fmt(r['nothing'])}",
            ]
            if r["p_at_5_all"] is not None
            else ["  queries: not run (--describe-only)"]
        )
    )


def load(data: Path) -> tuple[list[dict], list[dict]]:
    labels = json.loads(LABELS.read_text())["photos"]
    queries = json.loads(QUERIES.read_text())["queries"]
    absent = [p["file"] for p in labels if not (data / p["file"]).is_file()]
    if absent:
        raise BenchmarkError(f"{len(absent)} photo(s) missing from {data}; run scripts/fetch_real_photos.py")
    return labels, queries


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO / "data" / "real_photos", help="folder of the photos")
    ap.add_argument("--split", choices=[*SPLITS, "both", "all"], default="all", help="both: tune and heldout")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument(
        "--index-dir", type=Path, help="keep the staged photos and indexes here (default: a temp dir)"
    )
    ap.add_argument("--model", help="passed to `multicap describe` and `multicap index`")
    ap.add_argument("--encoder", help="the grounded describer's encoder, passed to describe and index")
    ap.add_argument(
        "--describe-only", action="store_true", help="score the descriptions; no index, no search"
    )
    args = ap.parse_args(argv)
    model = ["--model", args.model] if args.model else []
    model += ["--encoder", args.encoder] if args.encoder else []
    splits = {"all": SPLITS, "both": SPLITS[:2]}.get(args.split, (args.split,))
    python = os.path.relpath(sys.executable) if sys.executable.startswith(os.getcwd()) else sys.executable
    command = " ".join([python, *(sys.argv if argv is None else [__file__, *argv])])
    try:
        labels, queries = load(args.data)
        with tempfile.TemporaryDirectory(prefix="real_photos_") as tmp:
            work = args.index_dir or Path(tmp)
            queries = [] if args.describe_only else queries
            results = {
                s: run_split(s, labels, queries, args.data, work, model, with_search=not args.describe_only)
                for s in splits
            }
    except (BenchmarkError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    held = [s for s in results if s != "tune"]
    pooled = pool([results[s] for s in held]) if len(held) > 1 else None
    if args.json:
        doc = {"command": command, "model": args.model or "default", "splits": results}
        print(json.dumps(doc | ({"held_out_pooled": pooled | {"splits": held}} if pooled else {})))
    else:
        print(f"$ {command}   (model: {args.model or 'default'})")
        print("\n".join(table(s, r) for s, r in results.items()))
        if pooled:
            print(table(f"held out, pooled ({', '.join(held)}; 95% Wilson intervals)", pooled))
    return 0


if __name__ == "__main__":
    sys.exit(main())
