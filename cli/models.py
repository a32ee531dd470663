"""`multicap models`: the encoders, vision-language models and captioner bundles, whether each is here;
`multicap models pull NAME`: fetch a vision-language model's or a detector's pinned weights (the only
download)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer

from multicap.cli import console
from multicap.cli.app import app

models_app = typer.Typer(
    help="List the models this install can run; `multicap models pull NAME` fetches pinned weights.\n\n"
    "Example:\n\n  multicap models --json\n\n  multicap models pull clip-vit-b-32\n\n"
    "  multicap models pull open-images-ssd",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(models_app, name="models")


@models_app.callback()
def models_command(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="One JSON object per model on stdout."),
) -> None:
    """List the encoders with their input, features and whether their weights are on this machine.

    Example:

      multicap models --json
    """
    if ctx.invoked_subcommand is not None:
        return
    from multicap.catalog import model_catalog

    rows = model_catalog()
    if json_out:
        for row in rows:
            console.print_json_line(row)
        return
    for row in (r for r in rows if r["kind"] == "encoder"):
        name = f"{row['name']} (default)" if row["default"] else str(row["name"])
        state = "present" if row["weights_present"] else "MISSING"
        console.out.print(
            f"{name:<30} {row['input_px']:>4} px  dim {row['feature_dim']:<5} weights {state}", markup=False
        )
        console.out.print(f"    {row['description']}", markup=False)
        console.out.print(f"    weights: {row['weights']}", markup=False)
        if "fetch" in row and not row["extra_installed"]:
            extra = f"pip install -e '.[{row['extra']}]' in multicap's folder"
            console.out.print(f"    needs the clip extra: {extra}", markup=False)
        if "fetch" in row and not row["weights_present"]:
            console.out.print(f"    fetch: {row['fetch']}", markup=False)
        elif not row["weights_present"]:
            console.out.print(f"    source: {row['source']}", markup=False)
    for row in (r for r in rows if r["kind"] == "detector"):
        state = "present" if row["weights_present"] else "MISSING"
        console.out.print(f"{row['name']:<30} people detector  weights {state}", markup=False)
        console.out.print(f"    {row['description']}", markup=False)
        if row["weights_present"] or not str(row["source"]).startswith("multicap models pull"):
            console.out.print(f"    weights: {row['weights'] or row['source']}", markup=False)
        else:
            console.out.print(f"    fetch: {row['source']}", markup=False)
    bundles = [r for r in rows if r["kind"] == "bundle"]
    console.out.print(f"captioner bundles: {len(bundles) or 'none registered'}", markup=False)
    for row in bundles:
        console.out.print(
            f"{row['name']:<30} levels {', '.join(row['levels'])}  encoder {row['encoder']}", markup=False
        )
        console.out.print(f"    {row['path']}", markup=False)


@models_app.command("pull")
def pull_command(
    name: str = typer.Argument(
        ...,
        help="A vision-language model (clip-vit-b-32, siglip-vit-b-16, coca-vit-b-32), or open-images-ssd "
        "(the people detector's second opinion on faint figures).",
    ),
    sha256: str = typer.Option(
        None, "--sha256", help="The file's SHA-256, for a model whose entry pins none (from the file's page)."
    ),
) -> None:
    """Download a model's pinned weights file, resumable, verified by its SHA-256 before it is used.

    They go to $MULTICAP_WEIGHTS_DIR/NAME (default ~/.cache/multicap/weights/NAME). Nothing else in multicap
    downloads.

    Examples:

      multicap models pull clip-vit-b-32

      multicap models pull open-images-ssd
    """
    import re

    from multicap.catalog import pull_model

    sha256 = sha256.strip() if sha256 is not None else None
    if sha256 is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", sha256):  # bad usage: exit 2
        raise typer.BadParameter("give the 64 hexadecimal digits of a SHA-256", param_hint="--sha256")
    with _bytes_bar(f"pulling {name}") as progress:
        path = pull_model(name, sha256=sha256, progress=progress)
    console.out.print(f"{name}: {path} (SHA-256 verified)", markup=False)


@contextmanager
def _bytes_bar(description: str) -> Iterator[Callable[[int, int | None], None]]:
    """A transient download bar on stderr (bytes, speed, time left); silent when stderr is not a terminal."""
    if not console.progress_enabled():
        yield lambda done, total: None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console.err, transient=True) as bar:
        task = bar.add_task(description, total=None)

        def advance(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield advance
