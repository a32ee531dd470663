"""The Typer app and its global options; command modules add themselves to `app` (see main.py)."""

from __future__ import annotations

import typer

from multicap._version import __version__
from multicap.cli import console

app = typer.Typer(
    name="multicap",
    help=(
        "Describe, search and compare image collections, offline.\n\n"
        "Examples:\n\n"
        "  multicap classify examples/photos --top-k 3\n\n"
        "  multicap models"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"multicap {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show tracebacks on errors."),
) -> None:
    """Describe, search and compare image collections, offline."""
    console.set_verbose(verbose)
