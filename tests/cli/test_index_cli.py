"""`multicap index` and `multicap search` as a user runs them: the real encoder on the example photos."""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, run_cli


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An index of the example photos under a MULTICAP_INDEX_DIR, built once for the module."""
    home = tmp_path_factory.mktemp("indexes")
    bad = home / "broken.jpg"
    bad.write_bytes(b"not a jpeg")
    env = {"MULTICAP_INDEX_DIR": str(home)}
    r = run_cli("index", str(EXAMPLES), str(bad), "--index", "demo", env=env)
    assert r.returncode == 0, r.stderr
    assert "5 images (5 added" in r.stdout and "1 failed" in r.stdout
    assert "warning: skipped" in r.stderr and "broken.jpg" in r.stderr  # one line per bad file
    assert (home / "demo" / "meta.sqlite").is_file()
    return env


def test_the_json_summary_names_the_files_skipped(demo: dict[str, str]) -> None:
    """It had given their count alone (describe, classify and compare write a record of each)."""
    bad = Path(demo["MULTICAP_INDEX_DIR"]) / "broken.jpg"
    r = run_cli("index", str(EXAMPLES), str(bad), "--index", "demo", "--json", env=demo)
    summary = json.loads(r.stdout)
    assert summary["failed"] == 1 and summary["unchanged"] == 5
    assert [s["path"] for s in summary["skipped"]] == [str(bad)] and summary["skipped"][0]["reason"]


def test_search_text_finds_the_photo(demo: dict[str, str]) -> None:
    r = run_cli("search", "espresso", "--index", "demo", "-k", "3", env=demo)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 3 and lines[0].endswith("coffee.jpg") and float(lines[0].split()[0]) > 0


def test_unquoted_words_are_one_query(demo: dict[str, str]) -> None:
    """`search cup of espresso` is what `search "cup of espresso"` is (it had been a usage error)."""
    quoted = run_cli("search", "cup of espresso", "--index", "demo", "-k", "3", env=demo)
    unquoted = run_cli("search", "cup", "of", "espresso", "--index", "demo", "-k", "3", env=demo)
    assert unquoted.returncode == 0 and unquoted.stdout == quoted.stdout and "coffee.jpg" in quoted.stdout


def test_search_says_when_no_image_shows_what_was_asked_for(demo: dict[str, str]) -> None:
    r = run_cli("search", "dog", "--index", "demo", "-k", "2", env=demo)  # five photos, no dog
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 2
    assert "no image here shows much of 'dog'; the nearest are shown" in r.stderr
    found = run_cli("search", "espresso", "--index", "demo", "-k", "2", env=demo)
    assert "no image here shows" not in found.stderr


def test_search_json_explain_and_image(demo: dict[str, str]) -> None:
    r = run_cli("search", "a rocket", "--index", "demo", "--json", "--explain", "-k", "2", env=demo)
    hits = [json.loads(line) for line in r.stdout.splitlines()]
    assert r.returncode == 0 and hits[0]["path"].endswith("rocket.jpg")
    assert all(hit["type"] == "hit" and isinstance(hit["id"], int) for hit in hits)  # typed
    assert (
        set(hits[0]["parts"]) == {"lexical", "image", "caption", "satisfied"} and "object" in hits[0]["texts"]
    )
    reading = hits[0]["query"]  # how the query was read, as the text form's first lines say it
    assert (
        "rocket" in reading["lexical"]
        and reading["spaces"]
        and any("rocket" in c for c in reading["understood"])
    )
    r = run_cli(
        "search", "-f", "--image", str(EXAMPLES / "chelsea.jpg"), "--index", "demo", "-k", "2", env=demo
    )
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and len(lines) == 2 and lines[0] == str(EXAMPLES / "chelsea.jpg")


def test_search_says_when_fewer_images_than_asked_say_a_word_alone(demo: dict[str, str]) -> None:
    """A word no class is near ("bright", "three") finds what says it and no nearest images: fewer than
    -k lines had come back unsaid."""
    r = run_cli("search", "bright", "--index", "demo", "-k", "5", env=demo)
    assert r.returncode == 0 and 0 < len(r.stdout.splitlines()) < 5
    n = len(r.stdout.splitlines())
    said = f"only {n} images match 'bright': no word of it names a thing the classifier sees"
    assert said in r.stderr


def test_search_refuses_an_unknown_level(demo: dict[str, str]) -> None:
    r = run_cli("search", "dog", "--level", "colour", "--index", "demo", env=demo)
    assert r.returncode == 2 and "'colour' is not one of object" in r.stderr and r.stdout == ""  # usage


def test_a_level_that_finds_nothing_is_blamed_not_the_images(demo: dict[str, str]) -> None:
    """ "white" at the object level had said "no image here shows it", though white things are there."""
    r = run_cli("search", "white", "--index", "demo", "--level", "object", env=demo)
    assert r.returncode == 1 and "at the object level" in r.stderr and "said at another level" in r.stderr
    assert "no image here shows it" not in r.stderr
    assert run_cli("search", "white", "--index", "demo", env=demo).returncode == 0


def test_an_option_of_one_value_given_twice_is_refused(demo: dict[str, str]) -> None:
    """ "--index a --index b" had searched b alone, unsaid (click keeps the last); a repeatable option
    (--level) stays repeatable, and "--" ends the options."""
    for args in (("--index", "demo", "-i", "demo"), ("--index=demo", "-k", "2", "--top-k", "3")):
        r = run_cli("search", "cat", *args, env=demo)
        assert (
            r.returncode == 2 and "is given more than once; it takes one value" in r.stderr and not r.stdout
        )
    assert run_cli("search", "cat", "--index", "demo", "-l", "object", "-l", "tags", env=demo).returncode == 0
    r = run_cli("search", "--index", "demo", "-k", "1", "--", "-k", env=demo)  # a query that reads "-k"
    assert "given more than once" not in r.stderr


def test_search_needs_a_query_or_an_image() -> None:
    r = run_cli("search", "--index", "demo")
    assert r.returncode == 2 and "QUERY / --image" in r.stderr and r.stdout == ""  # bad usage


def test_search_options_that_cannot_go_together_or_mean_nothing(demo: dict[str, str]) -> None:
    """-f with -0 (-0 had won), an empty --index (the default index, unsaid), --level with --image (ignored,
    unsaid)."""
    both = run_cli("search", "cat", "--index", "demo", "-f", "-0", env=demo)
    assert both.returncode == 2 and "one output form at a time" in both.stderr
    empty = run_cli("search", "cat", "--index", "", env=demo)
    assert empty.returncode == 2 and "give an index's name or folder" in empty.stderr
    r = run_cli(
        "search", "--image", str(EXAMPLES / "coffee.jpg"), "--index", "demo", "--level", "layout", env=demo
    )
    assert r.returncode == 0 and "--level: the levels a text query's words are matched at" in r.stderr


def test_a_missing_index_names_the_one_of_that_name_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--index idx` beside a ./idx that is an index had said "no index at indexes/idx" alone."""
    from multicap.index.location import no_index

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MULTICAP_INDEX_DIR", raising=False)
    (tmp_path / "idx").mkdir()
    (tmp_path / "idx" / "meta.sqlite").write_bytes(b"")
    said = no_index(Path("indexes") / "idx")
    assert said.startswith("no index at indexes/idx (./idx is one: give --index ./idx); build one with")
    assert "(./" not in no_index(Path("indexes") / "other")
    from multicap.index.location import index_here

    assert index_here(Path("indexes") / "idx") == Path("idx") and index_here(Path("./idx")) is None
    # the other way round: "--index idx/" is a path (the folder here), said in full, with the name beside
    (tmp_path / "indexes" / "named").mkdir(parents=True)
    (tmp_path / "indexes" / "named" / "meta.sqlite").write_bytes(b"")
    said = no_index(Path("named"))
    assert said.startswith(
        f"no index at ./named ({tmp_path / 'named'}) (the index named named is indexes/named:"
    )
    assert said.endswith("`multicap index PATHS --index ./named`")  # had said "--index named", the name


def test_info_and_a_second_writer_refused(demo: dict[str, str]) -> None:
    r = run_cli("index", "--info", "--index", "demo", "--json", env=demo)
    info = json.loads(r.stdout)
    assert r.returncode == 0 and info["images"] == 5 and info["faiss"]["image"]["preset"] == "exact"
    assert (
        info["faiss"]["image"]["recall_at_10"] == 1.0 and info["identity"]["encoder"] == "efficientnet_lite0"
    )
    root = Path(demo["MULTICAP_INDEX_DIR"]) / "demo"
    with (root / "write.lock").open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another writer holds the index
        r = run_cli("index", "--rebuild", "--index", str(root), env=demo)
    assert r.returncode == 1 and "another process" in r.stderr and r.stdout == ""


def test_an_index_built_with_a_bundle_is_updated_without_naming_it_again(tmp_path: Path) -> None:
    """A bundle records its own encoder in the index; reopening the index must not pass that encoder to the
    bundle as if the user had asked for `--encoder` (it did, and every later run failed)."""
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    images = sorted((EXAMPLES.parent / "scenes" / "images").glob("*.png"))
    for p in images[:2]:
        (scenes / p.name).write_bytes(p.read_bytes())
    index = str(tmp_path / "idx")
    r = run_cli("index", str(scenes), "--index", index, "--model", "scenes-small")
    assert r.returncode == 0, r.stderr
    (scenes / images[2].name).write_bytes(images[2].read_bytes())
    r = run_cli("index", str(scenes), "--index", index)
    assert r.returncode == 0, r.stderr
    assert "1 added" in r.stdout and "2 unchanged" in r.stdout
    r = run_cli("search", "--image", str(scenes / images[2].name), "--index", index, "--json", "-k", "1")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.splitlines()[0])["path"].endswith(images[2].name)
    (tmp_path / "a.png").symlink_to(tmp_path / "b.png")  # a loop: "RuntimeError: Symlink loop" had escaped
    (tmp_path / "b.png").symlink_to(tmp_path / "a.png")
    r = run_cli("search", "--image", str(tmp_path / "a.png"), "--index", index)
    assert (
        r.returncode == 1
        and r.stderr.strip()
        == f"error: {tmp_path / 'a.png'}: a symbolic link loop (the link leads back to itself)"
    )


def test_a_folder_without_images_is_said_so(tmp_path: Path) -> None:
    """Into a new index: an error, and no empty index left behind (a typing slip); into a built one: a
    warning, and nothing retired (a drive not mounted)."""
    import shutil

    (tmp_path / "empty").mkdir()
    idx = str(tmp_path / "idx")
    r = run_cli("index", str(tmp_path / "empty"), "--index", idx, "--model", "labels")
    assert r.returncode == 1 and "no images found in" in r.stderr and "no index is created" in r.stderr
    r = run_cli("index", str(tmp_path / "emptyy"), "--index", idx, "--model", "labels")
    assert r.returncode == 1 and "no such file or folder" in r.stderr and not Path(idx).exists()
    (tmp_path / "p").mkdir()
    shutil.copy(EXAMPLES / "coffee.jpg", tmp_path / "p" / "coffee.jpg")
    assert run_cli("index", str(tmp_path / "p"), "--index", idx, "--model", "labels").returncode == 0
    r = run_cli("index", str(tmp_path / "empty"), "--index", idx)
    assert r.returncode == 0 and "no images found in" in r.stderr and "nothing retired" in r.stderr
    shutil.rmtree(tmp_path / "p")  # gone for good: held by `index`, dropped by --forget
    r = run_cli("index", str(tmp_path / "p"), "--index", idx)
    assert r.returncode == 1 and f"`multicap index --forget FOLDER --index {idx}` drops them" in r.stderr
    r = run_cli("index", "--forget", str(tmp_path / "p"), "--index", idx)
    assert (
        r.returncode == 0
        and r.stdout.strip() == f"{idx}: 1 image under {tmp_path / 'p'} forgotten, 0 images left"
    )
    r = run_cli("index", "--forget", str(tmp_path / "pp"), "--index", idx)  # a slip: forgot nothing, unsaid
    assert r.returncode == 0 and f"warning: nothing indexed under {tmp_path / 'pp'}" in r.stderr
    r = run_cli("index", "--forget", "--info", str(tmp_path / "p"), "--index", idx)  # --forget was dropped
    assert r.returncode == 2 and "one at a time" in r.stderr


def test_arguments_are_checked_before_an_index_is_written(tmp_path: Path) -> None:
    """A level no describer has failed after the index had recorded it, and refused every later run (now
    bad usage, exit 2, as describe's, search's and compare's); an --index naming the photo folder itself
    wrote the index among the photos."""
    import shutil

    (tmp_path / "p").mkdir()
    shutil.copy(EXAMPLES / "coffee.jpg", tmp_path / "p" / "coffee.jpg")
    idx = str(tmp_path / "idx")
    r = run_cli("index", str(tmp_path / "p"), "--index", idx, "--level", "objekt")
    assert r.returncode == 2 and "'objekt' is not one of object" in r.stderr and not Path(idx).exists()
    r = run_cli("index", str(tmp_path / "p"), "--index", str(tmp_path / "p") + "/")
    assert r.returncode == 1 and "is a folder of images, not an index" in r.stderr
    assert sorted(f.name for f in (tmp_path / "p").iterdir()) == ["coffee.jpg"]


def test_search_says_what_is_no_longer_on_disk(tmp_path: Path) -> None:
    import shutil

    (tmp_path / "p").mkdir()
    for name in ("coffee.jpg", "chelsea.jpg", "rocket.jpg"):
        shutil.copy(EXAMPLES / name, tmp_path / "p" / name)
    idx = str(tmp_path / "idx")
    assert run_cli("index", str(tmp_path / "p"), "--index", idx, "--model", "labels").returncode == 0
    (tmp_path / "p" / "coffee.jpg").unlink()
    r = run_cli("search", "espresso", "--index", idx, "-k", "2")
    assert r.returncode == 0 and "1 result is no longer on disk" in r.stderr and "--forget" not in r.stderr
    assert r.stdout.splitlines()[0].endswith("coffee.jpg  (gone)")
    # a list for the next command leaves it out (`xargs` had failed on it), and the next result takes its
    # place (-k 2 had listed one path)
    for flag, sep in (("-f", "\n"), ("-0", "\0")):
        listed = run_cli("search", "espresso", "--index", idx, "-k", "2", flag)
        paths = [p for p in listed.stdout.split(sep) if p]
        assert sorted(paths) == [str(tmp_path / "p" / n) for n in ("chelsea.jpg", "rocket.jpg")], paths
        assert "left out of -f and -0, the next results in their place" in listed.stderr
    # the folder moved away: the warning names it for --forget, and --json marks each result gone
    (tmp_path / "p").rename(tmp_path / "elsewhere")
    r = run_cli("search", "cat", "--index", idx, "-k", "2", "--json")
    assert "its folder is gone too: `multicap index --forget " + str(tmp_path / "p") + " --index" in r.stderr
    assert all(json.loads(line)["gone"] for line in r.stdout.splitlines())


def test_the_librarys_warnings_are_said_as_warnings(tmp_path: Path) -> None:
    """A damaged FAISS file's note came from the library's log, printed bare by Python's last resort."""
    import shutil

    (tmp_path / "p").mkdir()
    shutil.copy(EXAMPLES / "coffee.jpg", tmp_path / "p" / "coffee.jpg")
    built = run_cli("index", str(tmp_path / "p"), "--index", str(tmp_path / "i"), "--model", "labels")
    assert built.returncode == 0, built.stderr
    with open(tmp_path / "i" / "image.faiss", "ab") as f:
        f.write(b"x")
    r = run_cli("search", "espresso", "--index", str(tmp_path / "i"))
    assert r.returncode == 0 and r.stderr.startswith("warning: ") and "--rebuild" in r.stderr, r.stderr


def test_files_described_again_by_a_newer_describer_are_not_said_added(tmp_path: Path) -> None:
    import shutil
    import sqlite3

    (tmp_path / "p").mkdir()
    shutil.copy(EXAMPLES / "coffee.jpg", tmp_path / "p" / "coffee.jpg")
    idx = str(tmp_path / "idx")
    r = run_cli("index", str(tmp_path / "p"), "--index", idx, "--model", "labels")
    assert r.returncode == 0 and ": 1 image (1 added," in r.stdout and "1 vector," in r.stdout
    with sqlite3.connect(tmp_path / "idx" / "meta.sqlite") as db:
        db.execute("UPDATE images SET said_by = 'labels 0'")
    r = run_cli("index", str(tmp_path / "p"), "--index", idx)
    assert (
        r.returncode == 0
        and "(0 added, 1 described again by a newer describer, 0 copies (vectors reused)" in r.stdout
    )


def test_null_separated_paths_are_the_names_own_bytes(tmp_path: Path) -> None:
    """-f escapes odd names as ls -b does, so a pipe could not open them; -0 gives each name's bytes."""
    import os
    import shutil
    import subprocess
    import sys

    (tmp_path / "p").mkdir()
    odd = os.fsencode(tmp_path / "p") + b"/caf\xe9 \x1b[31m.jpg"  # not UTF-8, a space, an escape sequence
    shutil.copy(EXAMPLES / "coffee.jpg", odd)
    idx = str(tmp_path / "idx")
    assert run_cli("index", str(tmp_path / "p"), "--index", idx, "--model", "labels").returncode == 0
    exe = Path(sys.executable).parent / "multicap"
    r = subprocess.run([str(exe), "search", "espresso", "--index", idx, "-0"], capture_output=True)
    assert r.returncode == 0 and r.stdout == odd + b"\0"
    shutil.copy(EXAMPLES / "coffee.jpg", tmp_path / "p" / "a\\nb.jpg")  # a backslash, an n: not a line break
    shutil.copy(EXAMPLES / "coffee.jpg", tmp_path / "p" / "a\nb.jpg")  # a line break
    assert run_cli("index", str(tmp_path / "p"), "--index", idx, "--model", "labels").returncode == 0
    listed = run_cli("search", "espresso", "--index", idx, "-f").stdout.splitlines()
    names = sorted(line.rsplit("/", 1)[1] for line in listed if line.endswith("nb.jpg"))
    assert names == ["a\\\\nb.jpg", "a\\nb.jpg"], listed  # as ls -b: the two had read alike


def test_info_says_when_faiss_is_behind_the_images(tmp_path: Path) -> None:
    """A run stopped between its SQLite commits and its FAISS sync leaves fewer vectors than images;
    --info showed both numbers and said nothing."""
    import shutil
    import sqlite3

    (tmp_path / "p").mkdir()
    for name in ("coffee.jpg", "chelsea.jpg"):
        shutil.copy(EXAMPLES / name, tmp_path / "p" / name)
    idx = str(tmp_path / "idx")
    assert run_cli("index", str(tmp_path / "p"), "--index", idx, "--model", "labels").returncode == 0
    assert "FAISS holds" not in run_cli("index", "--info", "--index", idx).stderr
    with sqlite3.connect(tmp_path / "idx" / "meta.sqlite") as db:  # as the stopped run leaves it
        layouts = json.loads(db.execute("SELECT value FROM meta WHERE key = 'faiss'").fetchone()[0])
        layouts["image"]["ntotal"] = 1
        db.execute("UPDATE meta SET value = ? WHERE key = 'faiss'", (json.dumps(layouts),))
    r = run_cli("index", "--info", "--index", idx)
    assert r.returncode == 0 and "image: FAISS holds 1 of 2 images; the next `multicap index` run" in r.stderr


def test_a_stopped_run_says_what_it_kept(tmp_path: Path) -> None:
    """Ctrl-C had printed a bare "interrupted" (64 of 144 images were kept, and the next run finished the
    rest): the count is said, and that running again finishes it. (What a Ctrl-C runs, called as it is.)"""
    import shutil
    import subprocess
    import sys

    (tmp_path / "p").mkdir()
    shutil.copy(EXAMPLES / "coffee.jpg", tmp_path / "p" / "coffee.jpg")
    idx = tmp_path / "idx"
    assert run_cli("index", str(tmp_path / "p"), "--index", str(idx), "--model", "labels").returncode == 0
    said = "from pathlib import Path; from multicap.cli.index import _say_kept; _say_kept(Path({!r}))"
    r = subprocess.run([sys.executable, "-c", said.format(str(idx))], capture_output=True, text=True)
    assert "1 image is in" in r.stderr and "run the same command again to finish" in r.stderr
    r = subprocess.run(
        [sys.executable, "-c", said.format(str(tmp_path / "none"))], capture_output=True, text=True
    )
    assert r.returncode == 0 and r.stderr == "" and not (tmp_path / "none").exists()  # nothing made


def test_info_checks_the_faiss_files_as_they_are_now(tmp_path: Path) -> None:
    """A deleted caption.faiss and an emptied image.faiss had been listed as healthy: --info repeated the
    layouts recorded at the last write. Search already rebuilt them in memory, and said so."""
    import shutil

    (tmp_path / "p").mkdir()
    shutil.copy(EXAMPLES / "coffee.jpg", tmp_path / "p" / "coffee.jpg")
    idx = str(tmp_path / "idx")
    assert run_cli("index", str(tmp_path / "p"), "--index", idx, "--model", "labels").returncode == 0
    assert "warning" not in run_cli("index", "--info", "--index", idx).stderr
    (tmp_path / "idx" / "caption.faiss").unlink()
    (tmp_path / "idx" / "image.faiss").write_bytes(b"")
    r = run_cli("index", "--info", "--index", idx)
    assert r.returncode == 0 and "caption.faiss: missing; searches rebuild it in memory" in r.stderr
    assert "image.faiss: its bytes differ from the checksum recorded" in r.stderr
    assert "--rebuild" in r.stderr
    info = json.loads(run_cli("index", "--info", "--index", idx, "--json").stdout)
    assert set(info["faiss_problems"]) == {"caption", "image"}


def test_a_rename_is_said_moved_not_reused_and_deleted(tmp_path: Path) -> None:
    """ "1 reused, 1 deleted" had read as a photo lost."""
    import shutil

    (tmp_path / "p").mkdir()
    shutil.copy(EXAMPLES / "coffee.jpg", tmp_path / "p" / "coffee.jpg")
    idx = str(tmp_path / "idx")
    assert run_cli("index", str(tmp_path / "p"), "--index", idx, "--model", "labels").returncode == 0
    (tmp_path / "p" / "coffee.jpg").rename(tmp_path / "p" / "espresso.jpg")
    r = run_cli("index", str(tmp_path / "p"), "--index", idx)
    assert (
        r.returncode == 0
        and "(0 added, 1 moved or renamed, 0 copies (vectors reused), 0 touched (same content), 0 unchanged, "
        "0 deleted"
        in r.stdout
    )
    info = run_cli(
        "index", "--info", "--index", idx
    ).stdout  # the renamed file's old row is retired, not lost
    assert "retired (deleted, moved or replaced) 1" in info and "deleted 1" not in info.replace(
        "(deleted", ""
    )


def test_a_hint_with_a_path_quotes_it_for_the_shell(tmp_path: Path) -> None:
    """ "`multicap index dump/2017 backup/frames` would add its images again": a hint that could not be
    pasted."""
    import shutil

    folder = tmp_path / "2017 backup"
    folder.mkdir()
    shutil.copy(EXAMPLES / "coffee.jpg", folder / "coffee.jpg")
    idx = str(tmp_path / "idx")
    assert run_cli("index", str(folder), "--index", idx, "--model", "labels").returncode == 0
    r = run_cli("index", "--forget", str(folder), "--index", idx)
    assert f"`multicap index '{folder}'` would add its images again" in r.stderr, r.stderr


def test_a_missing_path_added_to_an_index_is_said_missing(tmp_path: Path) -> None:
    """A typing slip against an existing index had ended "the image could not be read"."""
    index, missing = str(tmp_path / "idx"), tmp_path / "nothere"
    made = run_cli("index", str(EXAMPLES / "coffee.jpg"), "--index", index, "--model", "labels")
    assert made.returncode == 0, made.stderr
    r = run_cli("index", str(missing), "--index", index)
    assert r.returncode == 1
    assert r.stderr.splitlines()[-1] == f"error: no such file or folder: {missing}; nothing was added"


def test_an_index_described_without_the_second_opinion_is_described_again_once_it_is_pulled(
    tmp_path: Path,
) -> None:
    """The grounded describer's version names the people detectors it ran without: an index built before
    `multicap models pull open-images-ssd` records that, a search does not call it "older" (the release is
    the same), the next `index` with the model describes its files again, and one without it keeps them."""
    import shutil
    import sqlite3

    from multicap.describe.open_images import open_images_ssd_file
    from multicap.facts.versions import GROUNDED

    (tmp_path / "p").mkdir()
    shutil.copy(EXAMPLES / "astronaut.jpg", tmp_path / "p" / "astronaut.jpg")
    idx = str(tmp_path / "idx")
    without = {"MULTICAP_WEIGHTS_DIR": str(tmp_path / "no-weights")}
    r = run_cli("index", str(tmp_path / "p"), "--index", idx, env=without)
    assert r.returncode == 0, r.stderr
    with sqlite3.connect(tmp_path / "idx" / "meta.sqlite") as db:
        (said_by,) = db.execute("SELECT said_by FROM images").fetchone()
    assert said_by.startswith(GROUNDED + " without ") and said_by.endswith("open-images-ssd"), said_by
    r = run_cli("search", "astronaut", "--index", idx, env=without)
    assert r.returncode == 0 and "older" not in r.stderr, r.stderr
    if open_images_ssd_file() is None:  # the Makefile pulls it; where the registry was unreachable it warned
        pytest.skip("open-images-ssd not pulled: multicap models pull open-images-ssd")
    r = run_cli("index", str(tmp_path / "p"), "--index", idx)
    assert r.returncode == 0 and "1 described again by a newer describer" in r.stdout, r.stdout
    r = run_cli("index", str(tmp_path / "p"), "--index", idx, env=without)  # a machine without it keeps
    assert r.returncode == 0 and "described again" not in r.stdout, r.stdout  # what was said with it
