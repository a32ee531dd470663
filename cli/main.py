"""The command's entry point: registers every command on the app and maps errors to exit codes 0/1/2/130."""

from __future__ import annotations

import errno
import inspect
import logging
import sys
import traceback

import typer

from multicap.cli import console
from multicap.cli.app import app
from multicap.cli.threads import configure

configure()  # before any command imports torch: how its threads wait, from what the machine is doing


def _register() -> None:
    # Each module adds its command(s) to `app`; imports stay light so `--help` is fast.
    import multicap.cli.index
    import multicap.cli.search  # noqa: F401
    from multicap.cli import attend, classify, compare, describe, evaluate, models, serve, train  # noqa: F401
    from multicap.cli import data as _data

    app.add_typer(_data.data_app, name="data")
    _reflow_all(app)


def _reflow_all(typed: typer.Typer) -> None:
    """`reflowed` help for every command of `typed` and of the groups under it (`models pull`)."""
    for info in typed.registered_commands:
        info.help = reflowed(info.help or inspect.getdoc(info.callback) or "")
    for group in typed.registered_groups:
        if group.typer_instance is not None:
            _reflow_all(group.typer_instance)


def reflowed(doc: str) -> str:
    """A command's docstring with each paragraph of prose on one line, for the help to wrap at the
    terminal's width: its lines broken at the source's 110 columns had been wrapped again at 80 (a long
    line, a short one: "matched against / the descriptions and"). A paragraph with an indented line (an
    example, a list) is kept as written."""
    paragraphs = doc.split("\n\n")
    return "\n\n".join(
        p if any(line.startswith(" ") for line in p.splitlines()) else " ".join(p.split("\n"))
        for p in paragraphs
    )


_register()


class _Said(logging.Handler):
    """The library's warnings on stderr as the commands' own: "warning: ..." (Python's last-resort handler
    printed them bare, unlike every other warning)."""

    def emit(self, record: logging.LogRecord) -> None:
        console.err.print(f"{record.levelname.lower()}: {record.getMessage()}", markup=False)


if not logging.getLogger().handlers:
    logging.getLogger().addHandler(_Said(logging.WARNING))


def _given_twice(argv: list[str]) -> str | None:
    """An option of the command named in `argv` that takes one value and is given more than once (click
    keeps the last, unsaid), by its long name; None when there is none."""
    import typer.main

    if not isinstance(app, typer.Typer):  # replaced (a test's stand-in)
        return None
    command = typer.main.get_command(app)
    rest = list(argv)
    while rest and rest[0] in getattr(command, "commands", {}):
        command = command.commands[rest.pop(0)]  # type: ignore[attr-defined]
    if "--" in rest:
        rest = rest[: rest.index("--")]
    for param in command.params:  # typer's options are click's by duck type, not by class
        if param.param_type_name != "option" or param.multiple or getattr(param, "is_flag", True):
            continue
        names = [*param.opts, *param.secondary_opts]
        longs = tuple(n + "=" for n in names if n.startswith("--"))
        if sum(t in names or t.startswith(longs) for t in rest) > 1:
            return max(names, key=len)
    return None


def run() -> None:
    """Console-script entry point: exit 0 ok, 1 a failure in one line, 2 bad usage, 130 interrupted."""
    code = _run(sys.argv[1:])
    try:
        sys.stdout.flush()  # here, not at the interpreter's exit, where a closed pipe is an unsaid error
    except BrokenPipeError:
        console.close_stdout()
    sys.exit(code)


def _run(argv: list[str]) -> int:
    from multicap.errors import MulticapError

    stdout = sys.stdout
    twice = _given_twice(argv)
    if twice is not None:  # the last had silently won ("--index a --index b" searched b alone): bad usage
        console.err.print(f"error: {twice} is given more than once; it takes one value", markup=False)
        return 2
    try:
        rv = app(argv, standalone_mode=False)
    except SystemExit:
        if sys.stdout is not stdout:  # click met a closed pipe (`multicap ... | head`), wrapped stdout so
            return 0  # that nothing more fails, and exits 1 unsaid: the reader has all it wanted
        raise
    except MulticapError as exc:
        return _fail(f"error: {exc}")
    except (KeyboardInterrupt, typer.Abort):
        with console.uninterrupted():
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
    except (BrokenPipeError, console.PipeClosed):
        return 0  # `multicap ... | head`: the reader has all it wanted
    except Exception as exc:
        if _disk_full(exc):  # "OSError: [Errno 28] ..." or "OperationalError: database or disk is full"
            where = f" writing {exc.filename}" if isinstance(exc, OSError) and exc.filename else ""
            return _fail(
                f"error: the disk is full{where}: free some space and run the same command again (what an "
                "index or a training run had saved is kept; it goes on from there)"
            )
        hint = "" if console.is_verbose() else " (`multicap --verbose COMMAND ...` prints the traceback)"
        kind = type(exc).__name__
        kind = f"{type(exc).__module__}.{kind}" if kind == "error" else kind  # OpenCV's: not "error: error:"
        return _fail(f"error: {kind}: {exc}{hint}")
    if rv == 130:  # typer turns Ctrl-C inside a command into the return value 130
        console.err.print("interrupted", markup=False)
    return rv if isinstance(rv, int) else 0


def _disk_full(exc: BaseException) -> bool:
    """Whether `exc` (or what it was raised from) says the disk is full, in the words of the OS or SQLite."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if type(exc).__name__ == "OperationalError" and "disk is full" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def _fail(line: str) -> int:
    if console.is_verbose():
        traceback.print_exc()
    console.err.print(console.shown(line), markup=False)  # one line, whatever the file names in it
    return 1


if __name__ == "__main__":
    run()
