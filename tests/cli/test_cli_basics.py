"""The `multicap` command as a user runs it: a real subprocess, exit codes, stdout and stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from multicap import __version__
from tests.conftest import EXAMPLES, REPO, run_cli


def test_version_and_help() -> None:
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"multicap {__version__}"
    r = run_cli("--help")
    assert r.returncode == 0 and "classify" in r.stdout and "models" in r.stdout
    r = run_cli("classify", "--help")
    assert r.returncode == 0 and "Example" in r.stdout


def test_usage_errors_exit_2() -> None:
    r = run_cli("classify")
    assert r.returncode == 2 and "Missing argument" in r.stderr and r.stdout == ""
    r = run_cli("classify", "x.jpg", "--top-k", "0")
    assert r.returncode == 2
    for args in (("search", "--index", "nowhere"), ("search", "dog", "--image", "x.jpg"), ("index",)):
        r = run_cli(*args)  # neither or both of a query and an image; nothing to index
        assert r.returncode == 2 and "Invalid value" in r.stderr and r.stdout == "", (args, r.stderr)
    for command in ("classify", "describe", "search"):  # one answer for a device no command knows
        r = run_cli(command, "x.jpg", "--device", "gpu")
        assert r.returncode == 2 and "'gpu' is not one of cpu, cuda, cuda:N, auto" in r.stderr, command


def test_models_lists_encoders_and_weight_status() -> None:
    r = run_cli("models", "--json")
    assert r.returncode == 0, r.stderr
    rows = {row["name"]: row for row in map(json.loads, r.stdout.splitlines())}
    assert rows["efficientnet_lite0"]["default"] and rows["efficientnet_lite0"]["weights_present"]
    assert rows["efficientnet_lite0"]["feature_dim"] == 1280
    assert {"resnet50", "resnet101", "vgg16", "mobilenet_v3_large", "tiny"} <= rows.keys()
    r = run_cli("models")
    assert r.returncode == 0 and "efficientnet_lite0 (default)" in r.stdout


def test_classify_examples_json() -> None:
    r = run_cli("classify", str(EXAMPLES), "--top-k", "2", "--json")
    assert r.returncode == 0, r.stderr
    rows = {Path(row["path"]).name: row for row in map(json.loads, r.stdout.splitlines())}
    assert rows["coffee.jpg"]["labels"][0]["label"] == "espresso"
    assert len(rows["coffee.jpg"]["labels"]) == 2
    assert r.stderr == ""  # no progress bar when stderr is not a terminal


def test_classify_says_small_shares_and_a_missing_weights_file_plainly(tmp_path: Path) -> None:
    """ "0.0%" for classes it had; "install them with pip ... or pass a weights file" when one was passed."""
    r = run_cli("classify", str(EXAMPLES / "coffee.jpg"), "--top-k", "30")
    assert r.returncode == 0 and "<0.1%" in r.stdout and " 0.0%" not in r.stdout and " 0%" not in r.stdout
    r = run_cli("classify", str(EXAMPLES / "coffee.jpg"), "--weights", str(tmp_path / "none.pt"))
    assert r.returncode == 1 and f"weights file {tmp_path / 'none.pt'} not found: check the path" in r.stderr
    assert "pip install" not in r.stderr


def test_classify_bad_inputs_warn_once_each_and_go_on(bad_files: dict[str, Path]) -> None:
    good = EXAMPLES / "coffee.jpg"
    bad = list(bad_files.values())
    r = run_cli("classify", str(bad[0]), str(good), *map(str, bad[1:]), "--json")
    assert r.returncode == 0  # one was read: as describe, index and compare
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["path"] for row in rows if row["type"] == "image"] == [str(good)]
    skipped = {row["path"]: row["reason"] for row in rows if row["type"] == "skipped"}  # a record each
    assert set(skipped) == set(map(str, bad)) and all(skipped.values())
    warnings = [line for line in r.stderr.splitlines() if line.startswith("warning: skipped")]
    assert len(warnings) == len(bad)
    for path in bad:
        assert sum(str(path) in w for w in warnings) == 1
    assert "5 of 6 images could not be read" in r.stderr
    assert "Traceback" not in r.stderr
    assert run_cli("classify", *map(str, bad)).returncode == 1  # none could be read


def test_classify_errors_are_one_line() -> None:
    r = run_cli("classify", str(EXAMPLES), "--encoder", "nope")
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "error: unknown encoder 'nope'; choose one of: clip-vit-b-32, coca-vit-b-32, efficientnet_lite0, "
        "efficientnet_lite0_fine, efficientnet_lite0_ms, efficientnet_lite1, efficientnet_lite2, "
        "mobilenet_v3_large, resnet101, resnet50, siglip-vit-b-16, tiny, vgg16"
    ]
    r = run_cli("classify", str(EXAMPLES), "--encoder", "tiny")
    assert r.returncode == 1 and "no ImageNet head" in r.stderr
    r = run_cli("classify", "/nonexistent-folder/")
    assert r.returncode == 1 and "could not be read" in r.stderr


def test_a_level_is_read_in_any_case_and_in_the_plural() -> None:
    """ "--level objects" was refused ("'objects' is not one of object, ...")."""
    import typer

    from multicap.cli.console import level_named

    levels = ("object", "attribute", "layout", "caption", "all")
    assert [level_named(t, levels) for t in ("objects", "Object", "LAYOUTS", " all ")] == [
        "object", "object", "layout", "all"
    ]  # fmt: skip
    with pytest.raises(typer.BadParameter, match="'colour' is not one of object"):
        level_named("colour", levels)


def test_a_reader_that_stops_reading_ends_the_command_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    """`multicap models | head -0`: the pipe closes under the command; it exits 0 (rich and click had
    exited 1, unsaid), as text and as JSON."""
    import contextlib
    import os

    from multicap.cli.main import _run

    for args in (["models"], ["models", "--json"]):
        read, write = os.pipe()
        os.close(read)  # nobody reads: the first write that reaches the pipe fails with EPIPE
        closed = os.fdopen(write, "w", buffering=1)
        monkeypatch.setattr("sys.stdout", closed)
        assert _run(args) == 0, args
        with contextlib.suppress(BrokenPipeError):  # what the command left in its buffer
            closed.close()


def test_a_reader_of_stderr_that_stops_reading_does_not_stop_the_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`multicap index DIR 2>&1 | head -1`: the first warning read, the pipe closed; the run had exited 1,
    unsaid, leaving an empty index (rich's stderr console exits on a broken pipe). It goes on, exit 0 (a
    docs check)."""
    import os
    import shutil

    from multicap.cli import console
    from multicap.cli.main import _run
    from multicap.index import index_info

    monkeypatch.setattr(console.err, "quiet", False)  # (set quiet by the closed pipe: put back after)
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("a-bad.jpg", "b-bad.jpg"):  # warnings first (files are read in name order)
        (photos / name).write_bytes(b"not an image")
    for name in ("coffee.jpg", "rocket.jpg"):
        shutil.copy(REPO / "examples" / "photos" / name, photos / name)
    read, write = os.pipe()
    os.close(read)  # nobody reads: the first warning that reaches the pipe fails with EPIPE
    closed = os.fdopen(write, "w", buffering=1)
    monkeypatch.setattr("sys.stderr", closed)
    index = tmp_path / "idx"
    assert _run(["index", str(photos), "--index", str(index), "--model", "grounded-no-people"]) == 0
    assert index_info(index)["images"] == 2


def test_a_file_the_user_may_not_read_is_skipped_not_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """click's readable check of a named path had stopped the whole batch with exit 2; now the file is
    skipped in one line (as inside a folder) and the rest goes on. Tests run as root, whom permissions do
    not stop: the check is what would refuse, so it is made to."""
    import os
    import shutil

    from multicap.cli.main import _run

    shutil.copy(EXAMPLES / "coffee.jpg", tmp_path / "locked.jpg")
    shutil.copy(EXAMPLES / "chelsea.jpg", tmp_path / "ok.jpg")
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **k: "locked" not in str(p) and real(p, mode))
    assert _run(["classify", str(tmp_path / "locked.jpg"), str(tmp_path / "ok.jpg"), "--json"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2


def test_a_second_ctrl_c_while_the_first_is_said_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """A second Ctrl-C while "interrupted" (or what a training run saved) was being said printed a
    traceback in its middle: SIGINT is ignored for those lines, and restored after."""
    import signal

    from multicap.cli import console
    from multicap.cli.main import _run

    before = signal.getsignal(signal.SIGINT)
    seen = []

    def says(*args: object, **kwargs: object) -> None:
        seen.append(signal.getsignal(signal.SIGINT))

    def ctrl_c(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(console.err, "print", says)
    monkeypatch.setattr("multicap.cli.main.app", ctrl_c)
    assert _run(["models"]) == 130
    assert seen == [signal.SIG_IGN] and signal.getsignal(signal.SIGINT) is before


def test_a_full_disk_is_one_line_that_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A full disk had read "error: OSError: [Errno 28] No space left on device" or "OperationalError:
    database or disk is full", with no word of what to do; a file written beside its place was left."""
    import errno
    import sqlite3

    from multicap.cli.main import _run
    from multicap.io.paths import removed_on_failure

    for raised in (
        OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "idx" / "image.faiss.tmp")),
        sqlite3.OperationalError("database or disk is full"),
    ):

        def full(*args: object, raised: Exception = raised, **kwargs: object) -> None:
            raise raised

        monkeypatch.setattr("multicap.cli.main.app", full)
        assert _run(["index", "x"]) == 1
        said = " ".join(capsys.readouterr().err.split())
        assert said.startswith("error: the disk is full") and "free some space and run the same" in said
    tmp = tmp_path / "beside.tmp"
    with pytest.raises(OSError), removed_on_failure(tmp):
        tmp.write_bytes(b"part of it")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert not tmp.exists()


def test_help_prose_is_one_line_a_paragraph_and_examples_stay() -> None:
    """Lines broken at the source's 110 columns had been wrapped again at the terminal's 80 (a long line,
    a short one: "matched against / the descriptions and")."""
    from multicap.cli.main import reflowed

    examples = "Example:\n\n  multicap x\n  multicap y"
    doc = f"First line.\n\nA paragraph broken\nat the source.\n\n{examples}"
    assert reflowed(doc) == f"First line.\n\nA paragraph broken at the source.\n\n{examples}"
    for command, joined in (
        (("search",), "descriptions and embedded into"),
        (("models", "pull"), "in multicap downloads"),
    ):
        said = run_cli(*command, "--help", env={"COLUMNS": "1000"}).stdout  # a group's commands too
        assert any(joined in line for line in said.splitlines()), said


def test_hidden_images_left_out_are_said(tmp_path: Path) -> None:
    """A folder's ".thumbnails" and ".photo.jpg" had been left out of every command, unsaid."""
    import shutil

    (tmp_path / ".thumbnails").mkdir()
    shutil.copy(EXAMPLES / "coffee.jpg", tmp_path / "coffee.jpg")
    shutil.copy(EXAMPLES / "coffee.jpg", tmp_path / ".thumbnails" / "t.jpg")
    r = run_cli("classify", str(tmp_path), "--top-k", "1")
    assert r.returncode == 0 and "coffee.jpg" in r.stdout and "t.jpg" not in r.stdout
    said = "note: 1 hidden file or folder with images left out (.thumbnails): --hidden reads them"
    assert said in r.stderr, r.stderr


def test_a_bar_says_what_follows_once_every_image_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """compare's bar had stood at 100% for 19 of a run's 23 seconds (its copies grouped), saying nothing."""
    import io

    from rich.console import Console

    from multicap.cli import console
    from multicap.cli.progress import progress_bar

    out = io.StringIO()
    monkeypatch.setattr(console, "err", Console(file=out, force_terminal=True, width=120))
    with progress_bar("comparing", total=3, then="grouping copies and clusters") as advance:
        advance(2)
        assert "grouping" not in out.getvalue()
        advance(1)
    assert "grouping copies and clusters" in out.getvalue()


def test_a_path_in_a_hint_pastes_back_as_the_same_bytes() -> None:
    """A hint's path was quoted from its escaped form: "caf\\xe9 dir" pasted as another name."""
    import os
    import subprocess

    from multicap.cli.console import arg

    for raw in (b"2017 backup", b"caf\xe9 dir", b"new\nline", b"it's", b"back\\slash", b"\xe2\x80\xaeevil"):
        pasted = subprocess.run(["bash", "-c", f"printf %s {arg(os.fsdecode(raw))}"], capture_output=True)
        assert pasted.stdout == raw, (raw, arg(os.fsdecode(raw)))
