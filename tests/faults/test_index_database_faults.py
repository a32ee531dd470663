"""Index faults (issue 27) in its database: a damaged or foreign SQLite file, one this user may not write,
damaged vectors inside it, a damaged query side, what a killed writer leaves (its FAISS files:
test_index_faults.py). Real image files, real SQLite and FAISS, the `tiny` encoder (`conftest.py`)."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from multicap.errors import ConfigError, DataError, IndexDamagedError
from multicap.index import index_info, rebuild_vectors, search_index, sync
from multicap.index.build import index_paths
from multicap.index.models import IndexModel
from multicap.index.store import IndexStore
from multicap.index.sync import faiss_path
from multicap.index.vectors import load_index
from tests.conftest import REPO, write_noise_images
from tests.faults.conftest import N


@pytest.mark.parametrize("version", [0, -1])
def test_a_wrong_schema_version_is_one_clear_line(built: tuple[Path, Path], version: int) -> None:
    """Issue 27, item 7: `PRAGMA user_version` 0 or -1 gave "table meta already exists"."""
    photos, root = built
    with sqlite3.connect(root / "meta.sqlite") as db:
        db.execute(f"PRAGMA user_version = {version}")
    with pytest.raises(DataError) as err:
        search_index(root, image=photos / "img000.png")
    said = str(err.value)
    assert "\n" not in said and "not a readable multicap index" in said and "multicap index" in said
    assert str(root / "meta.sqlite") in said


@pytest.mark.parametrize("damage", ["garbage", "truncated", "header", "pages"])
def test_a_damaged_sqlite_file_is_one_clear_line(
    built: tuple[Path, Path], tiny: IndexModel, damage: str
) -> None:
    """Damage met when the file is opened, or later by any statement (`pages`: scribbles over every
    other page past the first, found by whichever query reads one)."""
    photos, root = built
    db = root / "meta.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    if damage == "garbage":
        data = bytearray(os.urandom(len(data)))
    elif damage == "truncated":
        data = data[:100]
    elif damage == "header":
        data[:100] = bytes(100)
    else:
        rng = np.random.default_rng(0)
        for page in range(1, len(data) // 4096, 2):
            data[page * 4096 : page * 4096 + 64] = rng.integers(0, 256, 64, dtype=np.uint8).tobytes()
    db.write_bytes(bytes(data))
    refused = 0
    for call in (
        lambda: search_index(root, image=photos / "img000.png"),
        lambda: search_index(root, "dog", model=tiny),
        lambda: index_paths(root, [photos], tiny),
    ):
        try:
            call()
        except DataError as exc:
            assert "\n" not in str(exc) and str(db) in str(exc) and "move it away" in str(exc)
            refused += 1
    assert refused == 3 if damage != "pages" else refused >= 1


def test_damage_an_index_run_would_not_read_is_found_before_it_adds_anything(
    built: tuple[Path, Path], tiny: IndexModel
) -> None:
    """A walkthrough overwrote a page of the database that `index` does not read: the run had said "30
    unchanged", exit 0; `index --info` too. SQLite's own check now refuses both, in one line."""
    photos, root = built
    db = root / "meta.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    last = len(data) // 4096 - 1  # the last page: a leaf the runs below would not all read
    data[last * 4096 + 8 : last * 4096 + 64] = bytes(range(56))
    db.write_bytes(bytes(data))
    for call in (lambda: index_paths(root, [photos], tiny), lambda: index_info(root, check_files=True)):
        with pytest.raises(IndexDamagedError) as err:
            call()
        said = str(err.value)
        assert "\n" not in said and str(db) in said and "SQLite's check" in said and "move it away" in said


def test_a_text_column_of_bytes_that_are_no_text_is_said_as_damage(built: tuple[Path, Path]) -> None:
    """Python's sqlite3 had raised "Could not decode to UTF-8 column 'said_by' with text '<bytes>'", the
    bytes and all, as an OperationalError (and `serve` answered 503, "moved, or being built again?")."""
    _, root = built
    with sqlite3.connect(root / "meta.sqlite") as conn:
        conn.execute("UPDATE images SET said_by = CAST(x'fffe41c3' AS TEXT) WHERE id = 1")
    with pytest.raises(IndexDamagedError) as err:
        index_info(root)
    said = str(err.value)
    assert "its column said_by holds bytes that are no text" in said and "\ufffd" not in said, said


_READER = """
import sys
from pathlib import Path
from multicap.errors import DataError
from multicap.index import search_index
from multicap.index.build import index_paths
from multicap.index.models import open_model
root, photos = Path(sys.argv[1]), Path(sys.argv[2])
model = open_model("labels", encoder="tiny")
hits = search_index(root, image=photos / "img000.png", k=3, model=model).hits  # a copy: found by content
print("found", Path(hits[0].path).name)
try:
    index_paths(root, [photos], model)
except DataError as exc:
    print("refused", exc)
"""


def test_an_index_this_user_may_not_write_is_searched_and_refuses_writes_in_one_line(
    built: tuple[Path, Path],
) -> None:
    """Read-only media or another user's index: every search had failed with "attempt to write a readonly
    database" (the WAL pragma), and `index` with a bare PermissionError. As another user where the tests
    run as root (SQLite then reads the file as immutable: no shared-memory file can be made beside it)."""
    import shutil
    import tempfile

    photos, root = built
    with sqlite3.connect(root / "meta.sqlite") as conn:  # as a writer leaves it: no -wal or -shm file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for leftover in root.glob("meta.sqlite-*"):
        leftover.unlink()
    place = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        shutil.copytree(root, place / "idx")
        shutil.copytree(photos, place / "photos")
        command = [sys.executable, "-c", _READER, str(place / "idx"), str(place / "photos")]
        if os.geteuid() == 0:  # root may write anything: read as nobody
            if shutil.which("setpriv") is None:
                pytest.skip("running as root without setpriv to read as another user")
            subprocess.run(["chmod", "-R", "a+rX", str(place)], check=True)
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        else:
            subprocess.run(["chmod", "-R", "a-w", str(place / "idx")], check=True)
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.strip().splitlines()
        assert lines[0] == "found img000.png", done.stdout
        assert lines[1].startswith(f"refused cannot write the index at {place / 'idx'} (")
        assert "searching it needs no writing" in lines[1] and len(lines) == 2
        assert sorted(p.name for p in (place / "idx").iterdir()) == sorted(p.name for p in root.iterdir())
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(place)], check=False)
        shutil.rmtree(place, ignore_errors=True)


def test_a_damaged_query_side_is_said_and_written_again_by_the_next_index_run(
    built: tuple[Path, Path], tiny: IndexModel, caplog: pytest.LogCaptureFixture
) -> None:
    """A truncated query_image.npz failed every search of an image outside the index ("BadZipFile"), a
    truncated query.npy made text searches load the model unsaid, and no index run wrote either again."""
    from multicap.index.image_side import load_image_side, save_image_side
    from multicap.index.query_side import save_class_vectors, stored_query_model

    photos, root = built
    whole = (root / "query.npy").read_bytes()
    identity = {"model": "grounded", "D": 4}
    save_class_vectors(root, np.ones((1000, 4), np.float32))
    save_image_side(root, {"L0.w": np.ones((4, 3, 1, 1), np.float32)}, {"identity": identity})
    assert stored_query_model(root, identity) is not None and load_image_side(root, identity) is not None
    for name in ("query.npy", "query_image.npz"):
        (root / name).write_bytes((root / name).read_bytes()[:100])
    with caplog.at_level(logging.WARNING):
        assert stored_query_model(root, identity) is None and load_image_side(root, identity) is None
    said = [r.getMessage() for r in caplog.records]
    assert any("query.npy cannot be read" in m and "multicap index" in m for m in said), said
    assert any("query_image.npz cannot be read (BadZipFile" in m for m in said), said
    (root / "query.npy").write_bytes(whole[:100])
    index_paths(root, [photos], tiny)  # nothing to add: the text side is written again all the same
    assert (root / "query.npy").read_bytes() == whole


def test_a_fifo_in_place_of_the_query_side_hangs_nothing(
    built: tuple[Path, Path], tiny: IndexModel, caplog: pytest.LogCaptureFixture
) -> None:
    """A FIFO put where query.npy was had hung every search and every index run for ever (open() blocks
    until a writer comes): it is said, never opened, and the next index run writes the file again."""
    from multicap.index.query_side import stored_query_model

    photos, root = built
    whole = (root / "query.npy").read_bytes()
    (root / "query.npy").unlink()
    os.mkfifo(root / "query.npy")
    with caplog.at_level(logging.WARNING):
        assert stored_query_model(root, {"model": "grounded", "D": 4}) is None
    said = [r.getMessage() for r in caplog.records]
    assert any("query.npy cannot be read" in m and "FIFO" in m for m in said), said
    index_paths(root, [photos], tiny)
    assert (root / "query.npy").read_bytes() == whole


def test_an_emptied_database_beside_vector_files_is_said_not_taken_for_a_new_index(tmp_path: Path) -> None:
    """A 0-byte meta.sqlite beside the FAISS files read as a new index ("holds no images yet"), and a
    search, which only reads, wrote a schema into it."""
    from multicap.index.schema import connect

    (tmp_path / "image.faiss").write_bytes(b"x")
    (tmp_path / "meta.sqlite").write_bytes(b"")
    with pytest.raises(DataError, match=r"meta\.sqlite is empty \(0 bytes\).*records are lost"):
        connect(tmp_path / "meta.sqlite")
    assert (tmp_path / "meta.sqlite").stat().st_size == 0


def test_vectors_damaged_inside_the_database_are_left_out_and_said(
    built: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """Bytes overwritten inside a page of meta.sqlite (which SQLite does not checksum) gave vectors of any
    length: a search ranked a pig second for "dog" and leaked numpy's "overflow encountered in square"."""
    import sqlite3
    import warnings

    from multicap.index.store import IndexStore

    _, root = built
    with sqlite3.connect(root / "meta.sqlite") as db:
        first, n = db.execute("SELECT MIN(id), LENGTH(image_vec) FROM images").fetchone()
        garbage = np.full(n // 4, 3e30, np.float32).tobytes()
        db.execute("UPDATE images SET image_vec = ? WHERE id = ?", (garbage, first))
        db.execute("UPDATE images SET image_vec = ? WHERE id = ?", (b"\x00\x01\x02", first + 1))
    ids = [first, first + 1, first + 2]
    store = IndexStore(root / "meta.sqlite")
    with store, caplog.at_level(logging.WARNING), warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow leaks
        assert set(store.vectors_of("image", ids)) == {first + 2}
    said = [r.getMessage() for r in caplog.records]
    assert any("image vectors of 2 image(s) are damaged" in m and "index` again" in m for m in said), said


def test_a_damaged_vector_is_not_taken_from_the_index_by_compare_nor_given_to_a_copy(
    built: tuple[Path, Path], tiny: IndexModel, caplog: pytest.LogCaptureFixture
) -> None:
    """`compare --index` had taken a damaged vector as it was (an overflow warning, and a kitten called
    the set's outlier), and a copy of the file indexed later would have been given it."""
    import shutil
    import warnings

    from multicap.compare.collect import collect_images

    photos, root = built
    with sqlite3.connect(root / "meta.sqlite") as db:
        first, path, n = db.execute("SELECT id, path, LENGTH(image_vec) FROM images ORDER BY id").fetchone()
        db.execute(
            "UPDATE images SET image_vec = ? WHERE id = ?",
            (np.full(n // 4, 3e30, np.float32).tobytes(), first),
        )
    files = sorted(photos.iterdir())
    with caplog.at_level(logging.WARNING), warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow leaks
        images = collect_images(files, index_root=root, model=tiny)
    damaged = files.index(Path(path))
    vectors = np.asarray(images.embeddings)
    assert np.isfinite(vectors).all() and abs(float(vectors[damaged] @ vectors[damaged]) - 1) < 1e-3
    assert any("read again where the image is" in r.getMessage() for r in caplog.records)
    shutil.copy(path, photos / "copy.png")
    report = index_paths(root, [photos], tiny)
    assert report.added == 1 and report.reused == 0, report  # read, not given the damaged vector


def test_a_file_back_in_an_index_with_no_live_row_reuses_its_vectors_unwarned(
    tmp_path: Path, tiny: IndexModel, caplog: pytest.LogCaptureFixture
) -> None:
    """With no live row to tell the vectors' dimension by (the one file moved away, then back), its stored
    vectors had been said damaged, a rebuild advised, and the file read again (a review)."""
    photos, root = tmp_path / "photos", tmp_path / "idx"
    write_noise_images(photos, 1, 0, 48, 48)
    (only,) = photos.iterdir()
    index_paths(root, [only], tiny)  # the file named: gone, it is retired (a folder's would be kept)
    only.rename(tmp_path / "away.png")
    assert index_paths(root, [only], tiny).deleted == 1  # no live row left
    (tmp_path / "away.png").rename(only)
    with caplog.at_level(logging.WARNING):
        report = index_paths(root, [only], tiny)
    assert report.reused == 1 and report.added == 0, report
    assert not any("damaged" in r.getMessage() for r in caplog.records)


def test_a_rebuild_leaves_damaged_vectors_out_of_the_faiss_file(
    built: tuple[Path, Path], tiny: IndexModel, caplog: pytest.LogCaptureFixture
) -> None:
    """A vector blob of another length had stopped `--rebuild` with numpy's "all input arrays must have the
    same shape", and a non-unit one went into the FAISS file unchecked."""
    photos, root = built
    with sqlite3.connect(root / "meta.sqlite") as db:
        first, n, total = db.execute("SELECT MIN(id), LENGTH(image_vec), COUNT(*) FROM images").fetchone()
        db.execute("UPDATE images SET image_vec = ? WHERE id = ?", (b"\x00\x01\x02\x03", first))
        db.execute(
            "UPDATE images SET image_vec = ? WHERE id = ?",
            (np.full(n // 4, 3e30, np.float32).tobytes(), first + 1),
        )
    with caplog.at_level(logging.WARNING):
        rebuild_vectors(root)
    said = [r.getMessage() for r in caplog.records if "damaged" in r.getMessage()]
    assert len(said) == 1 and "image vectors of 2 image(s)" in said[0] and "vector file" in said[0], said
    with IndexStore(root / "meta.sqlite") as store:
        entry = store.get_meta("faiss")["image"]
    vi = load_index(faiss_path(root, "image"), entry["dim"], entry["factory"], {}, entry["sha256"])
    assert vi is not None and sorted(vi.ids().tolist()) == list(range(first + 2, first + total))
    caplog.clear()  # and the file stands: the rows left out are not missed (it had been rebuilt at every
    with caplog.at_level(logging.WARNING):  # search and run, "it lacks 1 live image(s)")
        search_index(root, image=photos / sorted(os.listdir(photos))[-1], k=3, model=tiny)
        with IndexStore(root / "meta.sqlite") as store:
            assert sync.check_vectors(root, store)["image"] is None
            assert store.vectors_of("image", [first]) == {}  # one short blob alone is damage too
    assert not [r for r in caplog.records if "lacks" in r.getMessage()], caplog.records


def test_a_folder_in_place_of_an_index_file_is_one_line(built: tuple[Path, Path], tiny: IndexModel) -> None:
    """A folder where image.faiss was failed in os.replace ("IsADirectoryError") and left its .tmp; a folder
    or a FIFO where meta.sqlite was read "unable to open database file"."""
    from multicap.index.schema import connect

    photos, root = built
    (root / "image.faiss").unlink()
    (root / "image.faiss").mkdir()
    write_noise_images(photos, 1, N, 48, 48)  # something to add: the file is written again
    with pytest.raises(ConfigError, match=r"image\.faiss is not a file: move it away"):
        index_paths(root, [photos], tiny)
    assert not list(root.glob("*.tmp"))
    (root / "elsewhere").mkdir()
    os.mkfifo(root / "elsewhere" / "meta.sqlite")
    with pytest.raises(DataError, match=r"meta\.sqlite is a FIFO \(named pipe\), not the index's database"):
        connect(root / "elsewhere" / "meta.sqlite")


def test_temporary_files_a_killed_writer_left_are_removed_by_the_next_run(
    built: tuple[Path, Path], tiny: IndexModel
) -> None:
    """A run killed while writing the class vectors left `.query.npy.<pid>.tmp` (5 MB) through every
    later run (a walkthrough)."""
    photos, root = built
    left = [root / ".query.npy.27186.tmp", root / "image.faiss.tmp", root / "query_image.npz.tmp.npz"]
    left.append(root / "caption.ivfdata.tmp")
    for path in left:
        path.write_bytes(b"half written")
    others = [root / "notes.txt", root / "draft.tmp", root / ".~lock.report.odt.tmp", root / "a.jpg.tmp"]
    for path in others:  # not the index's (a review: an index kept among other files): never touched
        path.write_text("mine")
    index_paths(root, [photos], tiny)
    assert not any(path.exists() for path in left)
    assert all(path.read_text() == "mine" for path in others)
