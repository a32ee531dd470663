"""The bad-file corpus (tests/faults/bad_files.py) through `multicap describe`, `index`, `search` and
`compare`, as a user runs them (issue 27): no crash, no hang (every run has a timeout), every bad file
reported in one line, every good file processed, names shown escaped and JSON always valid UTF-8."""

from __future__ import annotations

import base64
import json
import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from multicap.io import shown
from tests.conftest import REPO, noise_image
from tests.faults.bad_files import Corpus, make_corpus

EXE = os.path.join(os.path.dirname(sys.executable), "multicap")
TIMEOUT = 120  # s: a hang fails the test instead of stalling the suite
# What a terminal must never receive from a file name: C0 controls but newline, DEL, U+009B (the C1 CSI)
# and U+202E (right-to-left override) as UTF-8. Undecodable bytes fail the strict decoding.
_RAW = [bytes([b]) for b in range(32) if b != 10] + [b"\x7f", b"\xc2\x9b", b"\xe2\x80\xae"]


def run(*args: str | bytes, timeout: int = TIMEOUT) -> subprocess.CompletedProcess[bytes]:
    """`multicap ARGS` in a subprocess; output kept as bytes, to check that it is valid UTF-8."""
    return subprocess.run([EXE, *args], capture_output=True, timeout=timeout, cwd=REPO)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    c = make_corpus(tmp_path_factory.mktemp("faults") / "corpus")
    yield c
    c.close()


def _escaped(c: Corpus, name: bytes) -> str:
    return shown(os.fsdecode(c.path(name)))


def _assert_terminal_safe(out: bytes) -> str:
    text = out.decode("utf-8")  # strict: raises on an undecodable byte
    assert not [raw for raw in _RAW if raw in out], out
    return text


def _assert_one_line_per_bad_file(c: Corpus, stderr: str) -> None:
    warnings = [line for line in stderr.splitlines() if line.startswith("warning: skipped")]
    assert len(warnings) == len(c.bad), warnings
    for name, word in c.bad.items():
        said = [w for w in warnings if f"{_escaped(c, name)}:" in w]
        assert len(said) == 1 and word in said[0], (name, word, warnings)


def _json_lines(out: bytes) -> list[dict]:
    return [json.loads(line) for line in out.decode("utf-8").splitlines()]


def _raw(doc: dict, field: str = "path") -> bytes:
    """The exact name a JSON object gives: from FIELD_bytes when the name is not UTF-8."""
    if f"{field}_bytes" in doc:
        return base64.b64decode(doc[f"{field}_bytes"])
    return os.fsencode(doc[field])


def test_describe_json_reads_every_good_file_and_reports_every_bad_one(corpus: Corpus) -> None:
    r = run("describe", os.fsencode(corpus.root), "--json", "--no-people", "--level", "object")
    assert r.returncode == 0, r.stderr
    docs = _json_lines(r.stdout)
    images = [d for d in docs if d["type"] == "image"]
    assert sorted(_raw(d) for d in images) == sorted(corpus.path(n) for n in corpus.good)
    skipped = [d for d in docs if d["type"] == "skipped"]  # a record of each, beside stderr's line
    assert sorted(_raw(d) for d in skipped) == sorted(corpus.path(n) for n in corpus.bad)
    assert all(d["reason"] for d in skipped)
    bad = next(d for d in images if _raw(d) == corpus.path(b"bad\xff.png"))
    assert bad["path"].endswith("/bad\\xff.png")  # the escaped form; path_bytes has the exact name
    stderr = _assert_terminal_safe(r.stderr)
    _assert_one_line_per_bad_file(corpus, stderr)
    files, folders = len(corpus.bad) - len(corpus.bad_folders), len(corpus.bad_folders)
    said = f"{files} of {files + len(corpus.good)} images could not be read; {folders} folder"  # not images
    assert said + ("" if folders == 1 else "s") + " could not be walked" in stderr


def test_describe_shows_hostile_names_escaped(corpus: Corpus) -> None:
    r = run("describe", os.fsencode(corpus.root), "--no-people", "--level", "object")
    assert r.returncode == 0, r.stderr
    stdout = _assert_terminal_safe(r.stdout)
    _assert_terminal_safe(r.stderr)
    for name in corpus.good:
        assert _escaped(corpus, name) + "\n" in stdout, name
    # the set's lines too: each of the twelve images they name is named escaped, then the rest counted
    named = [name for name in corpus.good if f"  only {_escaped(corpus, name)}: " in stdout]
    assert len(named) == min(12, len(corpus.good)) and stdout.count("\n  only ") == len(named), named
    assert "esc\\x1b[31mred\\x1b[0m.png" in stdout and "new\\nline.png" in stdout
    assert ":smile: emoji" in stdout and "[bold red]markup[link=x]" in stdout  # no emoji, no markup


def test_special_files_named_explicitly_are_refused_unopened(corpus: Corpus) -> None:
    good = corpus.path(b"-rf.png")
    r = run(
        "describe", "--json", "--no-people", "--level", "object", "--",
        corpus.path(b"fifo.jpg"), corpus.path(b"zero.jpg"), corpus.path(b"socket.png"), good,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert [_raw(d) for d in _json_lines(r.stdout) if d["type"] == "image"] == [good]
    lines = r.stderr.decode().splitlines()
    assert [ln.split(": ", 2)[-1] for ln in lines if ln.startswith("warning")] == [
        "a FIFO (named pipe), not a regular file: not opened",
        "a character device, not a regular file: not opened",
        "a socket, not a regular file: not opened",
    ]


def test_index_stores_every_name_losslessly_and_search_shows_them_escaped(
    corpus: Corpus, tmp_path: Path
) -> None:
    idx = tmp_path / "idx"
    args = ("index", os.fsencode(corpus.root), "--index", str(idx), "--model", "labels", "--encoder", "tiny")
    first = run(*args)
    assert first.returncode == 0, first.stderr
    n_good, n_bad = len(corpus.good), len(corpus.bad)
    said = _assert_terminal_safe(first.stdout)
    assert (
        f"{n_good} images ({n_good} added, 0 copies (vectors reused), 0 touched (same content), 0 unchanged, "
        f"0 deleted, {n_bad} failed)" in said
    )
    _assert_one_line_per_bad_file(corpus, _assert_terminal_safe(first.stderr))
    assert (idx / "image.faiss").is_file()
    again = run(*args)  # a rerun neither fails nor re-reads anything
    assert again.returncode == 0, again.stderr
    assert (
        f"(0 added, 0 copies (vectors reused), 0 touched (same content), {n_good} unchanged, 0 deleted, "
        f"{n_bad} failed)" in again.stdout.decode()
    )
    with sqlite3.connect(idx / "meta.sqlite") as db:
        blobs = sorted(p for (p,) in db.execute("SELECT path FROM images WHERE typeof(path) = 'blob'"))
    assert blobs == sorted(corpus.path(n) for n in corpus.good if not _utf8(n))

    query = ("search", "--image", corpus.path(b"bad\xff.png"), "--index", str(idx), "-k", str(n_good))
    listed = run(*query, "-f")
    assert listed.returncode == 0, listed.stderr
    lines = _assert_terminal_safe(listed.stdout).splitlines()
    assert sorted(lines) == sorted(_escaped(corpus, n) for n in corpus.good)
    hits = _json_lines(run(*query, "--json").stdout)
    assert sorted(_raw(h) for h in hits) == sorted(corpus.path(n) for n in corpus.good)


def test_compare_with_a_report_reads_every_good_file(corpus: Corpus, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    r = run("compare", os.fsencode(corpus.root), "--json", "--report", str(report))
    assert r.returncode == 0, r.stderr
    docs = _json_lines(r.stdout)
    images = [d for d in docs if d["type"] == "image"]
    assert sorted(_raw(d) for d in images) == sorted(corpus.path(n) for n in corpus.good)
    assert docs[-1]["type"] == "summary" and docs[-1]["failed"] == len(corpus.bad)
    _assert_one_line_per_bad_file(corpus, _assert_terminal_safe(r.stderr))
    page = report.read_bytes().decode("utf-8")
    assert "bad\\xff.png" in page and "esc\\x1b[31mred" in page and "\x1b" not in page
    assert f"{len(corpus.bad)} unreadable)" in page  # as the summary counts them, the walk's left out too


def test_compare_pair_shows_hostile_names_escaped_in_its_differences(corpus: Corpus) -> None:
    a, b = corpus.path(b"esc\x1b[31mred\x1b[0m.png"), corpus.path(b"bad\xff.png")
    r = run("compare", a, b)
    assert r.returncode == 0, r.stderr
    stdout = _assert_terminal_safe(r.stdout)
    assert stdout.startswith(f"{shown(os.fsdecode(a))}  vs  {shown(os.fsdecode(b))}\n")


def _ctrl_c_as_at_a_terminal() -> None:
    """SIGINT back to its default in the child: a shell ignores it in the jobs it starts in the background
    (`make test &`), the child inherits that, and then Python never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_describe_even_beside_a_fifo(tmp_path: Path) -> None:
    """Before issue 27's fix a decoding thread blocked on the FIFO, and Ctrl-C left the process hanging."""
    os.mkfifo(tmp_path / "0_fifo.jpg")  # first in the walk's order
    for i in range(80):  # more than are described before the signal comes
        noise_image(i, 64, 48).save(tmp_path / f"img{i:03d}.png")
    proc = subprocess.Popen(
        [EXE, "describe", str(tmp_path), "--batch-size", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=_ctrl_c_as_at_a_terminal,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "no image described in 60 s: stuck on the FIFO?"
        proc.stdout.readline()  # the first image described: the loop is running
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert b"interrupted" in err and b"FIFO" in err


def _utf8(name: bytes) -> bool:
    try:
        name.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
