"""The one shared stderr console, result printing on stdout, and the error edge of the CLI.

File names reach people through `shown` (control characters and undecodable bytes escaped, as `ls -b`
does) and JSON through `print_json_line` (always valid UTF-8; see `json_safe`)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console


class PipeClosed(Exception):
    """stdout's reader stopped reading (`multicap ... | head`): what is left to print is nobody's."""


def close_stdout() -> None:
    """Point stdout at /dev/null, so that nothing written or flushed after a closed pipe fails."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


class _Out(Console):
    def on_broken_pipe(self) -> None:  # rich's own raises SystemExit(1), unsaid
        self.quiet = True
        close_stdout()
        raise PipeClosed


class _Err(Console):
    def on_broken_pipe(self) -> None:  # rich's own raises SystemExit(1): a job whose progress and warnings
        self.quiet = True  # nobody reads any more had stopped, unsaid, its work abandoned (`multicap index
        devnull = os.open(os.devnull, os.O_WRONLY)  # ... 2>&1 | head -1` left an empty index): it goes on
        os.dup2(devnull, sys.stderr.fileno())
        os.close(devnull)


# Progress and warnings go to stderr; results to stdout (docs/architecture.md, decision 7).
# emoji=False: rich would turn a file name holding ":smile:" into an emoji, even with markup off.
err = _Err(stderr=True, highlight=False, soft_wrap=True, emoji=False)
out = _Out(highlight=False, soft_wrap=True, emoji=False)

_state = {"verbose": False}


def set_verbose(verbose: bool) -> None:
    _state["verbose"] = verbose


def is_verbose() -> bool:
    return _state["verbose"]


def shown(name: object, *, lines: bool = False, exact: bool = False) -> str:
    """A file name (or a text holding names: a pair's differences, a summary) safe for a terminal; `lines`
    keeps the text's own line breaks. See `multicap.io.paths.shown`."""
    from multicap.io.paths import shown as escaped  # here, not above: `--help` stays fast

    return escaped(str(name), lines=lines, exact=exact)


def arg(path: object) -> str:
    """A path as a shell command line takes it, quoted where it must be ("'2017 backup/frames'": a hint
    holding a path with a space could not be pasted); a name a terminal must not print as it is, in bash's
    $'...' with its escapes (`shown`: "$'caf\\xe9 dir'" is those bytes again)."""
    import shlex

    text = str(path)
    safe = shown(text, exact=True)
    return shlex.quote(text) if safe == text else "$'" + safe.replace("'", "\\'") + "'"


def counted(n: int, noun: str) -> str:
    """ "1 image", "3 images": a count with its noun (regular plurals only)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def unread_said(failed: int, total: int, walked: list[Any]) -> str:
    """ "2 of 5 images could not be read": `failed` of the `total` paths named or walked, `walked` the
    walk's own errors (`ImageLoadError`s, counted in both). A folder that could not be walked is said as a
    folder ("1 of 2 images could not be read" had counted a folder it could not list as an image)."""
    folders = sum(1 for e in walked if getattr(e, "folder", False))
    images = failed - folders
    said = [f"{images} of {counted(total - folders, 'image')} could not be read"] if images else []
    if folders:
        said.append(f"{counted(folders, 'folder')} could not be walked")
    return "; ".join(said)


def level_word(text: str, choices: tuple[str, ...]) -> str:
    """The level a user typed, as the library names it where it is one of `choices`: "Object", "objects"
    and "OBJECTS" are "object" ("tags" stays "tags"); any other word lower-cased."""
    word = text.strip().lower()
    return word[:-1] if word not in choices and word[:-1] in choices else word


def level_named(text: str, choices: tuple[str, ...]) -> str:
    """`level_word`, and typer's usage error (exit 2) for a word that is not one of `choices`."""
    word = level_word(text, choices)
    if word not in choices:
        raise typer.BadParameter(f"{text!r} is not one of {', '.join(choices)}", param_hint="--level")
    return word


def device_named(text: str) -> str:
    """--device as the library names it, or typer's usage error (exit 2) for a name that is none of cpu,
    cuda, cuda:N and auto: refused before any model loads, as in every command (`search` had taken
    "gpu" for a text query, which loads none; `classify` had refused it with exit 1)."""
    word = text.strip().lower()
    if not re.fullmatch(r"cpu|auto|cuda(:\d+)?", word):
        raise typer.BadParameter(f"{text!r} is not one of cpu, cuda, cuda:N, auto", param_hint="--device")
    return word


ENGINES = (
    "local",
    "ray",
)  # multicap.scale.ENGINES, named here without importing it (FAISS): a test ties them


def engine_named(text: str) -> str:
    """--engine as given, or typer's usage error (exit 2) for an engine multicap has not (a missing ray
    extra is said later, with what to install: exit 1)."""
    if text not in ENGINES:
        raise typer.BadParameter(f"{text!r} is not one of {', '.join(ENGINES)}", param_hint="--engine")
    return text


def ray_address(value: str | None) -> str | None:
    """--address as HOST:PORT (or ray://HOST:PORT, auto, local); anything else a usage error (exit 2):
    "garbage" had reached Ray ("ValueError: Invalid address format", exit 1), a dashboard URL a name
    lookup."""
    if value is None or value in ("auto", "local"):  # Ray's own words: the cluster found here, a new one
        return value
    if value.startswith(("http://", "https://")):
        raise typer.BadParameter(
            f"{value} is a web address (the dashboard's?): give the cluster as HOST:PORT, as `ray start "
            "--head` prints it (port 6379 unless told otherwise)",
            param_hint="--address",
        )
    host, _, port = value.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise typer.BadParameter(
            f"{value!r}: give the cluster as HOST:PORT, as `ray start --head` prints it (10.0.0.1:6379)",
            param_hint="--address",
        )
    return value


def index_named(value: str | None) -> str | None:
    """--index as given; an empty one is a usage error (it had meant the default index, unsaid)."""
    if value is not None and not value.strip():
        raise typer.BadParameter("give an index's name or folder, or leave --index out", param_hint="--index")
    return value


def image_files(paths: Any, include_hidden: bool, on_error: Any) -> list[Path]:
    """The image files a command reads (`multicap.io.iter_image_paths`), and a note of the hidden files and
    folders holding images that were left out (they had been, unsaid: ".thumbnails", ".photo.jpg")."""
    from multicap.io import iter_image_paths

    hidden: list[Path] = []
    files = list(iter_image_paths(paths, include_hidden=include_hidden, on_error=on_error, hidden=hidden))
    if hidden:
        named = ", ".join(shown(h.name) for h in hidden[:3]) + (", ..." if len(hidden) > 3 else "")
        err.print(
            f"note: {len(hidden)} hidden {'file or folder' if len(hidden) == 1 else 'files or folders'} with "
            f"images left out ({named}): --hidden reads them",
            markup=False,
        )
    return files


def no_images(paths: Any, include_hidden: bool) -> str:
    """ "no images found in PATHS", with where hidden images are what the walk left out, how to read them
    (a folder of only hidden images had been said empty)."""
    from multicap.io import iter_image_paths

    said = f"no images found in {', '.join(map(str, paths))}"
    if not include_hidden and next(
        iter_image_paths(paths, include_hidden=True, on_error=lambda e: None), None
    ):
        said += " (only hidden ones: --hidden reads them)"
    return said


def warn(message: str) -> None:
    """One line on stderr, never markup-interpreted (paths may hold brackets), control characters and
    undecodable bytes of the file names in it escaped."""
    err.print(f"warning: {shown(message)}", markup=False)


def said(message: str) -> None:
    """One line on stderr of what the command is doing (not a warning), escaped as `warn` escapes."""
    err.print(shown(message), markup=False)


def cluster_lost(message: str) -> None:
    """Say that the Ray cluster stopped answering, and end the process at once, exit 1: the main thread
    waits inside Ray, which would end it itself a minute later with its own log lines. (What the run
    merged is committed: the index and its shards lose nothing to a driver ended mid-run.)"""
    for live in list(getattr(err, "_live_stack", ())):  # the progress bar: stopped, and the cursor it hid
        with contextlib.suppress(Exception):  # shown again (an exit that skips its context had left the
            live.stop()  # terminal's cursor hidden, and the bar redrawn after the error)
    err.show_cursor(True)
    err.print(f"error: {shown(message)}", markup=False)
    sys.stderr.flush()
    os._exit(1)


def output_place(path: Any, option: str, inputs: dict[str, Any] | None = None) -> None:
    """Make the folder an output file goes to, before any work (a report to /proc had failed after the
    whole comparison, in a FileNotFoundError's words). `inputs`: the command's input files (one or a list)
    by option or role, which the output must not be (`evaluate --out` had overwritten its own predictions,
    `attend --out` its image, `compare --report` a photo compared).

    Raises:
        ConfigError: the output is an input, the folder cannot be made, or this user may not write there.
    """
    import tempfile
    from pathlib import Path

    from multicap.errors import ConfigError

    out = Path(path)
    for role, given in (inputs or {}).items():
        for one in given if isinstance(given, list) else [given]:
            with contextlib.suppress(OSError):  # an input not there is said by its own check
                if one is not None and out.exists() and os.path.samefile(out, one):
                    raise ConfigError(
                        f"{option} {out}: is the {role}, which it would overwrite; give another file"
                    )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        files = [p for p in out.parents if p.exists() and not p.is_dir()]
        why = f"{files[-1]} is a file, not a folder" if files else exc.strerror or str(exc)
        raise ConfigError(f"{option} {out}: its folder cannot be made ({why})") from None
    if out.is_dir():
        raise ConfigError(f"{option} {out}: is a folder; give a file's name")
    try:  # a file made and removed: permissions alone do not say (root, /proc, a read-only mount)
        with tempfile.TemporaryFile(dir=out.parent):
            pass
    except OSError as exc:
        raise ConfigError(
            f"{option} {out}: nothing can be written in {out.parent} ({exc.strerror or exc})"
        ) from None


@contextmanager
def _handled(signum: int, handler: Any) -> Iterator[None]:
    """Signal `signum` handled by `handler` within, the handler before put back after. Only the main thread
    can set one; elsewhere nothing changes."""
    try:
        before = signal.signal(signum, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signum, before)


def uninterrupted() -> AbstractContextManager[None]:
    """Ctrl-C ignored while the lines after a first one are said (what is saved, "interrupted"): a second
    had printed a traceback in their middle."""
    return _handled(signal.SIGINT, signal.SIG_IGN)


class Terminated(KeyboardInterrupt):
    """A SIGTERM (a service manager's or `kill`'s stop) taken as a Ctrl-C is, so that a long job says what
    it saved (it had ended by the signal, saying nothing of it); the command then exits 143."""


def terminated_as_interrupt() -> AbstractContextManager[None]:
    """Within: a SIGTERM raises `Terminated` in the main thread."""

    def stop(signum: int, frame: Any) -> None:
        raise Terminated

    return _handled(signal.SIGTERM, stop)


def skipper(failures: list[Any], json_out: bool) -> Callable[[Any], None]:
    """The handler of a file that cannot be read (an `ImageLoadError`): kept in `failures`, a warning on
    stderr, and with `json_out` a record {"type": "skipped", "path", "reason"} too, so that a reader of the
    lines knows every file named."""

    def on_error(error: Any) -> None:
        failures.append(error)
        warn(f"skipped {error}")
        if json_out:
            print_json_line({"type": "skipped", "path": str(error.path), "reason": error.reason})

    return on_error


def ray_options_alone(engine: str, address: str | None, workers: int | None) -> None:
    """Warn where --address or --workers is given without --engine ray, which alone reads them."""
    given = [name for name, value in (("--address", address), ("--workers", workers)) if value is not None]
    if given and engine != "ray":
        warn(
            f"{' and '.join(given)} {'applies' if len(given) == 1 else 'apply'} to --engine ray only: ignored"
        )


def print_json_line(obj: Any) -> None:
    """One JSON object a line on stdout: UTF-8, or ASCII (\\u escapes) where stdout has another encoding."""
    utf8 = (sys.stdout.encoding or "").lower().replace("-", "") == "utf8"
    sys.stdout.write(json.dumps(json_safe(obj), ensure_ascii=not utf8) + "\n")


def json_safe(obj: Any) -> Any:
    """`obj` with every string valid Unicode: an undecodable byte of a file name becomes `\\xNN`, and a
    string field that held one gains a sibling `FIELD_bytes`, the base64 of its raw bytes ("path" →
    "path_bytes"), from which the exact name is recovered; a list of strings so, a list of them (null for a
    name that needs none: `attend --json`'s "files" had given only the escaped text). Control characters
    stay (JSON escapes them)."""
    from multicap.io.paths import json_name, raw_name

    if isinstance(obj, str):
        return json_name(obj)
    if isinstance(obj, dict):
        safe: dict[Any, Any] = {}
        for key, value in obj.items():
            name = json_name(key) if isinstance(key, str) else key
            safe[name] = json_safe(value)
            raw = raw_name(value) if isinstance(value, str) else None
            if raw is not None:
                safe[f"{name}_bytes"] = raw
            elif isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
                raws = [raw_name(v) for v in value]
                if any(r is not None for r in raws):
                    safe[f"{name}_bytes"] = raws
        return safe
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    return obj


def progress_enabled() -> bool:
    return err.is_terminal
