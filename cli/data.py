"""`multicap data`: generate the synthetic scenes dataset and show samples of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from multicap.cli import console
from multicap.cli.progress import progress_bar

data_app = typer.Typer(
    help="Datasets: generate synthetic scenes with exact ground truth and their set tasks, show samples.\n\n"
    "Example:\n\n  multicap data scenes --out data/scenes --n 8000 --size 160\n\n"
    "  multicap data show data/scenes --n 3",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_LEVEL_NAMES = ("object", "attribute", "layout", "caption")


def _print_stats(stats: dict[str, Any], rendered: int, skipped: int, out: Path) -> None:
    counts = stats["counts"]
    lines = [f"{out}: {stats['images']} images ({rendered} rendered, {skipped} already there)"]
    for key in ("split", "objects_per_scene", "shape", "colour", "size", "relation", "background"):
        lines.append(f"  {key:<18} " + ", ".join(f"{k} {v}" for k, v in counts[key].items()))
    for level, info in stats["levels"].items():
        length = info["length"]
        lines.append(
            f"  level {level:<12} {info['sentences']} sentences, words min {length['min']} "
            f"mean {length['mean']} max {length['max']}, vocabulary {info['vocabulary']}"
        )
    lines.append(f"  vocabulary size    {stats['vocabulary_size']}")
    for line in lines:
        console.out.print(line, markup=False)


@data_app.command("scenes")
def scenes(
    out: Path = typer.Option(
        Path("data/scenes"), "--out", "-o", file_okay=False, help="Dataset folder (created if missing)."
    ),
    n: int = typer.Option(20000, "--n", min=1, help="Number of images."),
    size: int = typer.Option(224, "--size", min=32, max=4096, help="Image side in pixels (square images)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Dataset seed; the same seed gives the same bytes."),
    workers: int = typer.Option(2, "--workers", "-j", min=1, help="Processes that render images."),
    force: bool = typer.Option(
        False, "--force", help="Delete the scenes dataset in --out and generate afresh."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as one JSON line."),
) -> None:
    """Generate synthetic multi-object scenes with exact facts and captions at every level.

    Resumable: rerunning the same command renders only missing images. A folder holding a
    different dataset is refused unless --force is given.

    Example:

      multicap data scenes --out data/scenes --n 8000 --size 160 --seed 0
    """
    from multicap.data.scenes import ScenesConfig, generate_dataset

    config = ScenesConfig(n=n, size=size, seed=seed)
    with progress_bar("scenes", n) as advance:
        done = [0]

        def report(finished: int, _total: int) -> None:
            advance(finished - done[0])
            done[0] = finished

        result = generate_dataset(out, config, workers=workers, force=force, progress=report)
    if as_json:
        console.print_json_line(
            {"out": str(out), "rendered": result.rendered, "skipped": result.skipped, **result.stats}
        )
    else:
        _print_stats(result.stats, result.rendered, result.skipped, out)


@data_app.command("sets")
def sets(
    out: Path = typer.Option(
        Path("data/scene-sets"), "--out", "-o", file_okay=False, help="Folder (created if missing)."
    ),
    pairs: int = typer.Option(200, "--pairs", min=0, help="Pairs with one change or a distractor."),
    duplicates: int = typer.Option(
        20, "--duplicates", min=0, help="Scenes written with 4 near-duplicates each."
    ),
    clusters: int = typer.Option(4, "--clusters", min=0, max=5, help="Clusters of scenes sharing facts."),
    per_cluster: int = typer.Option(
        10, "--per-cluster", min=2, help="Scenes per cluster (two or more: one alone shares all its facts)."
    ),
    pool: int = typer.Option(300, "--pool", min=1, help="Scenes the text queries search."),
    queries: int = typer.Option(100, "--queries", min=0, help="Text queries with exact relevant sets."),
    size: int = typer.Option(224, "--size", min=32, max=4096, help="Image side in pixels."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed; the same seed gives the same bytes."),
    force: bool = typer.Option(False, "--force", help="Delete set tasks already in --out and write afresh."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object: the folder and what it holds."),
) -> None:
    """Write set tasks with known answers: changed pairs, near-duplicates, clusters, text queries.

    Example:

      multicap data sets --out data/scene-sets --pairs 200 --queries 100
    """
    from multicap.data.scenes import SetTasksConfig, write_set_tasks

    config = SetTasksConfig(seed, size, pairs, duplicates, clusters, per_cluster, pool, queries)
    total = pairs + duplicates + clusters * per_cluster + pool
    with progress_bar("set tasks", total) as advance:
        counts = write_set_tasks(out, config, force=force, progress=lambda done, _: advance(1))
    if as_json:
        console.print_json_line({"out": str(out), **counts})
        return
    console.out.print(f"{out}: " + ", ".join(f"{v} {k}" for k, v in counts.items()), markup=False)


@data_app.command("show")
def show(
    dataset: Path = typer.Argument(Path("data/scenes"), help="A scenes dataset folder."),
    n: int = typer.Option(3, "--n", min=1, help="How many samples to print."),
    split: str | None = typer.Option(
        None, "--split", help="Only samples of this split (train, val, test, test_comp)."
    ),
    all_paraphrases: bool = typer.Option(False, "--all", help="Print every paraphrase, not only the first."),
    as_json: bool = typer.Option(False, "--json", help="One JSON line per sample."),
) -> None:
    """Print a few samples of a scenes dataset with their captions at every level.

    Example:

      multicap data show data/scenes --n 3 --split test_comp
    """
    from multicap.data.scenes import SPLITS, read_captions_jsonl
    from multicap.errors import ConfigError

    if split is not None and split not in SPLITS:  # bad usage: exit 2, as a bad option's value
        raise typer.BadParameter(
            f"{split!r} is no split; the splits are {', '.join(SPLITS)}", param_hint="--split"
        )
    records = read_captions_jsonl(dataset / "captions.jsonl", split=split, limit=n)
    if not records and split is not None:  # an empty answer had exited 0 in silence
        splits = sorted({r.split for r in read_captions_jsonl(dataset / "captions.jsonl")})
        raise ConfigError(f"no samples in split {split!r} of {dataset} (it has: {', '.join(splits)})")
    for rec in records:
        if as_json:
            console.print_json_line(rec.to_json())
            continue
        console.out.print(f"{dataset / rec.file}  [{rec.split}]", markup=False)
        for level in _LEVEL_NAMES:
            texts = rec.texts.get(level, [])
            for text in texts if all_paraphrases else texts[:1]:
                console.out.print(f"  {level:<10} {text}", markup=False)
