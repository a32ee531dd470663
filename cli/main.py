"""The Typer app: global options, command registration and the error edge (exit codes 0/1/2/130)."""

from __future__ import annotations

import sys
import traceback

import typer
from multicap.cli import console

from multicap._version import __version__

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


def _register() -> None:
    # Each module adds its command(s) to `app`; imports stay light so `--help` is fast.
    from multicap.cli import classify, evaluate, models  # noqa: F401
    from multicap.cli import data as _data

    app.add_typer(_data.data_app, name="data")


_register()


def run() -> None:
    """Console-script entry point: exit 0 ok, 1 a failure in one line, 2 bad usage, 130 interrupted."""
    sys.exit(_run(sys.argv[1:]))


def _run(argv: list[str]) -> int:
    from multicap.errors import MulticapError

    try:
        rv = app(argv, standalone_mode=False)
    except MulticapError as exc:
        return _fail(f"error: {exc}")
    except (KeyboardInterrupt, typer.Abort):
        console.err.print("interrupted", markup=False)
        return 130
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.TyperException as exc:  # click's usage errors: message + usage hint, exit 2
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            console.err.print(f"error: {exc}", markup=False)
        return int(getattr(exc, "exit_code", 2))
    except BrokenPipeError:
        return 0  # `multicap ... | head`
    except Exception as exc:
        return _fail(f"error: {type(exc).__name__}: {exc} (run with --verbose for the traceback)")
    return rv if isinstance(rv, int) else 0


def _fail(line: str) -> int:
    if console.is_verbose():
        traceback.print_exc()
    console.err.print(line, markup=False)
    return 1


if __name__ == "__main__":
    run()
