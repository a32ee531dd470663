"""`multicap compare`: how two images differ, or the duplicates, clusters and outliers of a set.

Two image files: the pair's similarity and its differences at each level. Anything else (folders, or
three or more files): the set's near-duplicate groups (with a suggested keeper; nothing is moved), its
clusters (shared and distinguishing facts, a representative), its outliers and, with --report, a
self-contained HTML report.

JSON output (`--json`), one object per line:

- pair: {"type": "pair", "a", "b", "similarity", "fact_similarity", "signature_similarity",
  "near_duplicate", "copied" (how b was made from a, for a near-duplicate: "turned a quarter clockwise",
  "made grey", ...), "why_not"? (alike by the signature, yet not one photo: why), "differences": {level:
  [{"kind", "label", "subject", "before", "after", "text"}]},
  "texts": {level: text}, "report"?} ("report" with --report: a report of the two as a set)
- set, in this order: {"type": "image", "path", "cluster", "outlier", "outlier_by" ("distance": far from
  the other images; "what it shows": nothing any other photo shows; null), "distance", "distinct",
  "texts"} per image; {"type": "duplicates", "keeper", "members", "similarity" (the least signature
  similarity of a pair that joined the group, as a pair's "signature_similarity")} per group; {"type":
  "cluster", "cluster" (numbered from 1, as the text and the report number them), "size", "representative"
  (its member nearest the others that shows what its text names first), "members", "shared", "distinguishing",
  "text"} per cluster; given two or more folders that hold images, {"type": "folder", "folder", "size",
  "distinguishing", "text"} per folder (a photo is in the deepest folder given that holds it); the pairs
  (as above); last {"type": "summary", "n_images", "from_index", "failed", "threshold",
  "duplicate_groups", "duplicates", "clusters", "silhouettes", "principal_components", "gaps",
  "with_what_they_show", "outliers", "folders", "duplicate_groups_across_folders", "report"}.
- a file name that is not valid UTF-8 has its undecodable bytes written as `\\xNN`; a field that holds one
  ("path", "a", "b", "folder") comes with FIELD_bytes, the base64 of the exact name.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from multicap.cli import console
from multicap.cli.app import app
from multicap.cli.progress import progress_bar

if TYPE_CHECKING:
    from multicap.errors import ImageLoadError

_LEVELS = ("object", "attribute", "layout")
_LEVEL_CHOICES = (*_LEVELS, "all")


@app.command("compare")
def compare_command(
    paths: list[Path] = typer.Argument(  # not readable=True: an unreadable file is skipped, said in a line
        ..., readable=False, help="Two image files (a pair), or folders and/or files (a set)."
    ),
    level: str = typer.Option("all", "--level", "-l", help="object, attribute, layout or all."),
    model: str = typer.Option(
        None,
        "--model",
        "-m",
        help="grounded (default), a captioner bundle folder or name, a vision-language model (`multicap "
        "models`) or an open_clip folder.",
    ),
    index: str = typer.Option(
        None,
        "--index",
        "-i",
        callback=console.index_named,
        help="Reuse the vectors and descriptions of this index where it has them.",
    ),
    report: Path = typer.Option(
        None, "--report", "-r", dir_okay=False, help="Write a self-contained HTML report here."
    ),
    json_out: bool = typer.Option(
        False, "--json", help="JSON lines: a pair; or images, duplicates, clusters, pairs, a summary."
    ),
    clusters: int = typer.Option(
        None, "--clusters", "-k", min=1, help="Number of clusters (default: chosen)."
    ),
    threshold: float = typer.Option(
        None,
        "--threshold",
        "-t",
        min=0.0,
        max=1.0,
        help=(
            "Near-duplicate cosine threshold, of two images and of two groups on average (default 0.78). "
            "A pair at or above it is a candidate: unless nearly identical, its pixels (shared keypoints, "
            "where both images have enough) and embeddings are checked before it is joined; flat images "
            "are joined on similarity alone. In sets up to 5,000 images, copies turned, flipped or made grey "
            "that shared keypoints "
            "confirm are grouped whatever it is (their group's similarity is then under it)."
        ),
    ),
    batch_size: int = typer.Option(16, "--batch-size", min=1, help="Images per forward pass."),
    device: str = typer.Option(
        "cpu", "--device", callback=console.device_named, help="cpu, cuda, cuda:N or auto."
    ),
    include_hidden: bool = typer.Option(False, "--hidden", help="Also read hidden files and folders."),
    engine: str = typer.Option(
        "local",
        "--engine",
        callback=console.engine_named,
        help="local, or ray: the embedding step on a Ray cluster (the ray extra).",
    ),
    address: str = typer.Option(
        None,
        "--address",
        callback=console.ray_address,
        help="--engine ray: the cluster, HOST:PORT (default: RAY_ADDRESS, or the one `ray start` runs "
        "on this machine, else one started here).",
    ),
    workers: int = typer.Option(
        None, "--workers", min=1, help="--engine ray: model actors (default: one per CPU of the cluster)."
    ),
) -> None:
    """Compare two images (differences per level) or a set (duplicates, clusters, outliers, report).

    Unreadable images are skipped with a warning each; the rest goes on. A path where nothing is (a
    mistyped name) stops it before any work, as it would change what is compared.

    Examples:

      multicap compare a.jpg b.jpg --level layout

      multicap compare examples/photos --report compare.html

      multicap compare photos/ --index photos --json --clusters 5

      multicap compare holiday-2023/ holiday-2024/   # and what sets each folder apart
    """
    from multicap.compare.run import PairOutcome, compare_files, is_pair
    from multicap.errors import ConfigError

    level = console.level_named(level, _LEVEL_CHOICES)  # "--level Objects" as "object"
    console.ray_options_alone(engine, address, workers)
    if engine != "local":
        from multicap.scale import check_engine

        check_engine(engine)  # one line saying what to install, exit 1

    _all_there(paths)
    # a warning, and with --json a {"type": "skipped"} line, as describe and classify write
    on_error = console.skipper([], json_out)
    files, left_out = _files(paths, include_hidden, on_error)
    if report is not None:  # before the work, not after it; never over a photo compared (it had been)
        console.output_place(report, "--report", {"image being compared": list(files)})
        _not_over_another_file(report)
    if not files:
        raise ConfigError(console.no_images(paths, include_hidden))
    if is_pair(paths) and len(files) < 2 and left_out:  # a FIFO or a device named: not the same file twice
        raise ConfigError("a pair needs two readable images")

    for empty in (p for p in paths if p.is_dir() and not _holds(p, files)):  # (had been dropped unsaid)
        console.warn(f"{console.shown(empty)} holds no images: compared without it")
    asked = {
        "pair": is_pair(paths), "index": index, "model": model, "device": device, "threshold": threshold,
        "clusters": clusters, "level": _set_level(level), "report": report, "batch_size": batch_size,
        "on_error": on_error, "folders": _folders(paths),  # two or more: what sets each apart, too
        "unread": [str(e) for e in left_out],
    }  # fmt: skip
    total = len(files) if len(files) >= 5 else 0
    if engine == "ray":  # imports ray: only when asked for
        from multicap.scale.ray_engine import ray_cluster
        from multicap.scale.ray_jobs import compare_on_ray

        cluster = ray_cluster(address, workers=workers, say=console.said, lost=console.cluster_lost)
        with cluster, progress_bar("comparing", total=total, then=_GROUPING) as advance:
            outcome = compare_on_ray(files, progress=advance, workers=workers, **asked)
    else:
        with progress_bar("comparing", total=total, then=_GROUPING) as advance:
            outcome = compare_files(files, progress=advance, **asked)
    if outcome.images.failed:  # the walk's left out among them
        failed, total = len(outcome.images.failed), len(files) + len(left_out)
        console.err.print(console.unread_said(failed, total, left_out), markup=False)
    if clusters is not None and not isinstance(outcome, PairOutcome):
        _say_fewer_clusters(clusters, outcome.result.clustering.k)
    if isinstance(outcome, PairOutcome):
        _render_pair(outcome, _LEVELS if level == "all" else (level,), json_out)
    else:
        _render_set(outcome, json_out)


def _files(
    paths: list[Path], include_hidden: bool, on_error: Callable[[ImageLoadError], None]
) -> tuple[list[Path], list[ImageLoadError]]:
    """The image files under `paths`, and what the walk left out (FIFOs, devices, link loops, unlistable
    folders: said through `on_error`, never opened)."""
    left_out: list[ImageLoadError] = []

    def walk_error(error: ImageLoadError) -> None:
        left_out.append(error)
        on_error(error)

    return console.image_files(paths, include_hidden, walk_error), left_out


def _all_there(paths: list[Path]) -> None:
    """Refuse, before any work, a path where nothing is: a mistyped name changes what is compared (two
    folders had been compared as one set, the missing one counted as an unreadable image, exit 0)."""
    from multicap.errors import ConfigError

    missing = [p for p in paths if _missing(p)]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise ConfigError(f"no such file or folder: {console.shown(missing[0])}{more}; nothing was compared")


def _say_fewer_clusters(asked: int, made: int) -> None:
    if made < asked:
        console.warn(f"--clusters {asked}: {made} made (one an image at most, a photo's copies counted once)")


def _missing(path: Path) -> bool:
    """Whether nothing is at `path` (one that cannot be reached for permission is there: said when read)."""
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False


def _holds(folder: Path, files: list[Path]) -> bool:
    """Whether any of `files` is in `folder`, as named or where a link leads (the walk reads a folder given
    twice once, under one of its names; a folder of links to photos elsewhere holds them)."""
    real = os.path.realpath(folder)
    return any(f.is_relative_to(folder) or Path(os.path.realpath(f)).is_relative_to(real) for f in files)


def _folders(paths: list[Path]) -> list[Path]:
    """The folders given, each once ("A", "./A/" and a link to A are one), where two or more are; one given
    again is said (`compare A A` had silently compared A with nothing)."""
    seen: dict[str, Path] = {}
    for p in paths:
        if p.is_dir():
            if os.path.realpath(p) in seen:  # "A", "./A/" or a link to A
                console.warn(f"{p} is given twice: read once, as one folder")
            seen.setdefault(os.path.realpath(p), p)
    return list(seen.values()) if len(seen) > 1 else []


def _render_pair(outcome: Any, levels: tuple[str, ...], json_out: bool) -> None:
    pair, written = outcome.pair, str(outcome.report) if outcome.report else None
    if json_out:
        out = {
            **pair.to_dict(levels),
            "a": str(outcome.a),
            "b": str(outcome.b),
            "near_duplicate": outcome.near_duplicate,
            "copied": outcome.copied,
            **({"why_not": outcome.why_not} if outcome.why_not else {}),
        }
        console.print_json_line({**out, "report": written} if written else out)
        return
    shown = console.shown
    console.out.print(f"{shown(outcome.a)}  vs  {shown(outcome.b)}", markup=False)
    console.out.print(
        f"  similarity {pair.similarity:.3f}; near-duplicate: {'yes' if outcome.near_duplicate else 'no'} "
        f"(signature {pair.signature_similarity:.3f}{'; ' + outcome.why_not if outcome.why_not else ''})"
        + (f": b {', '.join(outcome.copied)}" if outcome.copied else ""),
        markup=False,
    )
    for lv in levels:
        console.out.print(f"  {lv + ':':<10} {shown(pair.text(lv), lines=True)}", markup=False)
    if written:
        console.out.print(f"report: {shown(written)}", markup=False)


def _render_set(outcome: Any, json_out: bool) -> None:
    result, written = outcome.result, str(outcome.report) if outcome.report else None
    if json_out:
        lines = result.json_lines()
        lines[-1]["report"] = written
        for line in lines:
            console.print_json_line(line)
        return
    _print_set(result)
    if written:
        console.out.print(f"report: {console.shown(written)}", markup=False)


_GROUPING = "grouping copies and clusters"  # the bar's words once every image is read


def _not_over_another_file(report: Path) -> None:
    """Refuse a --report that would overwrite a file other than an HTML page (a report of an earlier run is
    written over): a photo outside the set, named by a slip, had become an HTML document, unsaid.

    Raises:
        ConfigError: the file is there and holds no HTML.
    """
    from multicap.errors import ConfigError

    try:
        if not stat.S_ISREG(report.stat().st_mode):  # a pipe, /dev/stdout, /dev/null: written as before (a
            return  # pipe had been opened to be read, and waited for ever)
        with report.open("rb") as held:
            start = held.read(1024).lower()
    except OSError:  # not there (or unreadable: writing it says why)
        return
    if start.strip() and b"<html" not in start and b"<!doctype html" not in start:
        raise ConfigError(
            f"--report {report}: is a file that holds no HTML report, which it would overwrite; give another "
            "file (a .html), or remove it first"
        )


_NAMED = 10  # copies a duplicate group's line names (--json and the report's Images table list them all)


def _copies_of(i: int, outliers: list[int], copies: dict[int, int]) -> int:
    return sum(1 for o in outliers if copies.get(o) == i)


def _outlier_note(result: Any, i: int, copies: int) -> str:
    """What an outlier's line says of it: " (and 2 copies; shows what no other image does: a bubble)", " (far
    from the other images)"."""
    notes = ["and 1 copy" if copies == 1 else f"and {copies} copies"] if copies else []
    if result.outlier_by(i) == "what it shows":
        said = result.images.descriptions[i].texts.get("object")
        notes.append(f"shows what no other image does{': ' + said if said else ''}")
    elif result.outlier_by(i) == "distance":
        notes.append("far from the other images")
    return f" ({'; '.join(notes)})" if notes else ""


def _set_level(level: str) -> str:
    return "caption" if level == "all" else level


def _print_set(result: Any) -> None:
    s, say, shown = result.summary(), console.out.print, console.shown
    paths = [shown(p) for p in result.images.paths]
    held = f" ({s['from_index']} from the index)" if s["from_index"] else ""  # ("0 from the index" had
    say(f"{console.counted(s['n_images'], 'image')}{held}", markup=False)  # been said without --index)
    n = s["duplicates"]  # ("0 in 0 groups", "3 in 3 groups": 3 what)
    copies = "1 copy" if n == 1 else f"{n} copies"
    groups = console.counted(s["duplicate_groups"], "photo")
    said = f"{copies} of {groups}" if n else "none"
    say(f"near-duplicates: {said}", markup=False)
    made = {(i, j): pair.copied for i, j, pair in result.pairs if pair.copied}  # "b.jpg turned upside down"
    for g in result.duplicates:
        copies = [  # _NAMED at most: 300 frames had made a 16,000-char line
            f"{paths[m]} {' and '.join(made[g.keeper, m])}" if (g.keeper, m) in made else str(paths[m])
            for m in g.members
            if m != g.keeper
        ]
        more = f" and {len(copies) - _NAMED} more" if len(copies) > _NAMED else ""
        others = ", ".join(copies[:_NAMED]) + more
        how = "" if g.similarity >= s["threshold"] else ": a copy joined by shared keypoints"  # grey, flipped
        least = f"least signature similarity {g.similarity:.3f}{how}"  # a pair's "similarity": embeddings'
        say(f"  keep {paths[g.keeper]}  ({others}; {least})", markup=False)
    where = (
        f" (found in the set's {s['principal_components']} principal components)"
        if s["principal_components"]
        else " (found with what the images show)"
        if s["with_what_they_show"]
        else ""
    )
    tried = s["gaps"] if s["principal_components"] else s["silhouettes"]  # k → score, where k was chosen
    if tried and s["clusters"] > 2 and s["clusters"] == max(map(int, tried)):  # a walkthrough's 51 photos
        where += "; the most it tries for this set: no smaller number stands out (give --clusters N)"
    if tried and s["clusters"] == 1:  # eleven varied photos had read "clusters: 1", as if they were alike
        where += " (no split of the set stands out: give --clusters N to split it anyway)"
    say(f"clusters: {s['clusters']}{where}", markup=False)
    for cl in result.clusters:
        say(f"  {cl.index + 1}. {shown(cl.text, lines=True)}  e.g. {paths[cl.representative]}", markup=False)
    copies = {m: g.keeper for g in result.duplicates for m in g.members if m != g.keeper}
    outliers = result.clustering.outliers
    folded = [  # a copy of an outlier is one too: said once, with its photo
        f"{paths[i]}{_outlier_note(result, i, _copies_of(i, outliers, copies))}"
        for i in outliers
        if copies.get(i) not in outliers
    ]
    say(f"outliers: {', '.join(folded) or 'none'}", markup=False)
    if result.folders:
        across = f"; near-duplicate groups across them: {result.across}"
        say(f"folders: {len(result.folders)}{across}", markup=False)
        for f in result.folders:
            say(f"  {shown(f.folder)}  {shown(f.text, lines=True)}", markup=False)
