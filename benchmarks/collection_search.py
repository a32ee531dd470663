"""Search over the whole real-photo collection: one index of every photo of `benchmarks/real_photos.py`,
asked for each thing its labels name in several photos, relevance taken from those labels.

    .venv/bin/python scripts/fetch_real_photos.py          # once: the photos, into data/real_photos
    .venv/bin/python benchmarks/collection_search.py
    .venv/bin/python benchmarks/collection_search.py --json
    .venv/bin/python benchmarks/collection_search.py --settings   # where: "indoors", "forest", "outdoors"

`real_photos.py` indexes each split alone (30 to 61 photos), where a query's few relevant photos have
few rivals: how the ranking weighs a sure reading against an unsure one hardly shows there. Here the 171
photos are one index, as a user's folder is. The queries are every name (an accepted synonym included)
that the labels give to a main object of at least `--least` photos, and a photo is relevant to a query
when one of its labelled main objects has that name (the labels were written by looking, so a photo
where the thing is present but was not labelled a main object counts against the search). The photos are
copied under neutral names; `multicap index` builds the index, and the searches run in this process
through `search_index`, as `multicap search` does. With `--settings` the queries are the settings the
labels give each photo ("indoors", "city", "underwater", "forest"; one a photo, so "city" finding a photo
labelled "street" counts against it) and "outdoors", relevant: every photo of a setting out of doors.

Scores per query: P@5 (relevant among the top 5 / min(5, relevant)), P@10 likewise, and the average
precision of the top 20 (each relevant hit's precision at its rank, over min(20, relevant)); their means,
over all queries and over the queries whose every relevant photo is in the held-out splits' photos too.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from multicap.errors import MulticapError  # noqa: E402
from multicap.index.search import search_index  # noqa: E402

LABELS = HERE / "real_photos" / "labels.json"
_DEPTH = 20  # hits read per query (average precision is of these)


def queries_from(photos: list[dict[str, Any]], least: int) -> dict[str, set[str]]:
    """name → the files with a main object of that name, for the names of at least `least` photos."""
    relevant: dict[str, set[str]] = defaultdict(set)
    for photo in photos:
        for obj in photo["main_objects"]:
            for name in obj["names"]:
                relevant[name.lower()].add(photo["file"])
    return {name: files for name, files in sorted(relevant.items()) if len(files) >= least}


_NOT_OUTDOORS = frozenset({"indoors", "underwater", "aquarium"})  # settings that are no "outdoors"


def queries_from_settings(photos: list[dict[str, Any]], least: int) -> dict[str, set[str]]:
    """setting → the files labelled with it (each photo has one: "indoors", "city", "forest"), for the
    settings of at least `least` photos, and "outdoors" → every photo of a setting out of doors."""
    relevant: dict[str, set[str]] = defaultdict(set)
    for photo in photos:
        setting = photo.get("setting")
        if setting:
            relevant[setting.lower()].add(photo["file"])
            if setting.lower() not in _NOT_OUTDOORS:
                relevant["outdoors"].add(photo["file"])
    return {name: files for name, files in sorted(relevant.items()) if len(files) >= least}


def precision(top: list[str], relevant: set[str], n: int) -> float:
    return sum(f in relevant for f in top[:n]) / min(n, len(relevant))


def average_precision(top: list[str], relevant: set[str]) -> float:
    hits, total = 0, 0.0
    for rank, f in enumerate(top[:_DEPTH], start=1):
        if f in relevant:
            hits += 1
            total += hits / rank
    return total / min(_DEPTH, len(relevant))


def run(data: Path, least: int, splits: set[str] | None = None, *, settings: bool = False) -> dict[str, Any]:
    photos = [
        p
        for p in json.loads(LABELS.read_text())["photos"]
        if (data / p["file"]).is_file() and (splits is None or p["split"] in splits)
    ]
    if not photos:
        raise SystemExit(f"no labelled photos in {data}: run scripts/fetch_real_photos.py first")
    held = {p["file"] for p in photos if p["split"] != "tune"}
    queries = queries_from_settings(photos, least) if settings else queries_from(photos, least)
    with tempfile.TemporaryDirectory(prefix="mc-collection-") as tmp:
        folder, index = Path(tmp) / "photos", Path(tmp) / "index"
        folder.mkdir()
        names = {}
        for k, photo in enumerate(photos):  # neutral names: a file's name gives nothing away
            neutral = f"photo{k:04d}{Path(photo['file']).suffix}"
            shutil.copy(data / photo["file"], folder / neutral)
            names[neutral] = photo["file"]
        t0 = time.perf_counter()
        subprocess.run(
            [str(Path(sys.executable).parent / "multicap"), "index", str(folder), "--index", str(index)],
            check=True,
            capture_output=True,
        )
        seconds_index = time.perf_counter() - t0
        rows = []
        t0 = time.perf_counter()
        for query, relevant in queries.items():
            try:
                hits = search_index(index, query, k=_DEPTH).hits
            except MulticapError as e:  # a word the index cannot answer: no hits
                print(f"  {query!r}: {e}", file=sys.stderr)
                hits = []
            top = [names[Path(h.path).name] for h in hits]
            rows.append(
                {
                    "query": query,
                    "relevant": len(relevant),
                    "held_out": relevant <= held,
                    "p_at_5": round(precision(top, relevant, 5), 3),
                    "p_at_10": round(precision(top, relevant, 10), 3),
                    "ap_at_20": round(average_precision(top, relevant), 3),
                    "top": top[:5],
                }
            )
        seconds_search = time.perf_counter() - t0

    def means(selected: list[dict[str, Any]]) -> dict[str, float | int]:
        out: dict[str, float | int] = {"queries": len(selected)}
        for key in ("p_at_5", "p_at_10", "ap_at_20"):
            out[key] = round(statistics.fmean(r[key] for r in selected), 3) if selected else 0.0
        return out

    return {
        "photos": len(photos),
        "least": least,
        "all": means(rows),
        "held_out": means([r for r in rows if r["held_out"]]),
        "seconds": {"index": round(seconds_index, 1), "search": round(seconds_search, 1)},
        "per_query": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=REPO / "data" / "real_photos", help="folder of the photos"
    )
    parser.add_argument("--least", type=int, default=3, help="photos a name must label to be a query")
    parser.add_argument("--splits", help="only the photos of these splits, comma-separated (default: all)")
    parser.add_argument(
        "--settings",
        action="store_true",
        help='ask for the labels\' settings ("indoors", "forest", "outdoors"), not the objects\' names',
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    splits = set(args.splits.split(",")) if args.splits else None
    result = run(args.data, args.least, splits, settings=args.settings)
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    what = "settings" if args.settings else "names"
    print(f"{result['photos']} photos in one index; queries: {what} labelling at least {args.least} photos")
    print(f"{'query':<16} {'relevant':>8} {'P@5':>6} {'P@10':>6} {'AP@20':>6}")
    for r in result["per_query"]:
        mark = " (held out)" if r["held_out"] else ""
        print(
            f"{r['query']:<16} {r['relevant']:>8} {r['p_at_5']:>6} {r['p_at_10']:>6} {r['ap_at_20']:>6}{mark}"
        )
    for part in ("all", "held_out"):
        m = result[part]
        scores = f"P@5 {m['p_at_5']}  P@10 {m['p_at_10']}  AP@20 {m['ap_at_20']}"
        print(f"mean, {part} ({m['queries']} queries): {scores}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
