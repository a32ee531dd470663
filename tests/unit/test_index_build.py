"""Indexing: incremental add / modify / move / delete, resume after kill -9, one writer at a time,
FAISS files rebuilt from SQLite, model changes refused. Real image files, real SQLite and FAISS, the
`tiny` encoder (no ImageNet head: image vectors only)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from multicap.errors import ConfigError, DataError, IndexLockedError
from multicap.index import index_info, older_descriptions, rebuild_vectors, search_index, write_lock
from multicap.index.build import index_paths
from multicap.index.models import IndexModel, model_for_index, open_model
from multicap.index.search import REFUSALS
from multicap.index.store import IndexStore
from multicap.index.sync import faiss_path
from tests.conftest import REPO, noise_image, write_noise_images


@pytest.fixture(scope="module")
def tiny() -> IndexModel:
    return open_model("labels", encoder="tiny")


def _image(seed: int) -> Image.Image:
    return noise_image(seed, 48, 48)


def _images(folder: Path, n: int, start: int = 0) -> list[Path]:
    return write_noise_images(folder, n, start, 48, 48)


def _rows(root: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(root / "meta.sqlite") as db:
        return db.execute("SELECT path, deleted FROM images ORDER BY id").fetchall()


def _nearest(root: Path, path: Path, k: int = 3) -> list[str]:
    return [Path(h.path).name for h in search_index(root, image=path, k=k).hits]


def test_add_skip_modify_move_delete(tmp_path: Path, tiny: IndexModel) -> None:
    photos, root = tmp_path / "photos", tmp_path / "idx"
    paths = _images(photos, 6)
    r = index_paths(root, [photos], tiny, batch_size=4, commit_every=4)
    assert (r.added, r.total, r.failed) == (6, 6, 0)
    r = index_paths(root, [photos], tiny)
    assert (r.added, r.unchanged, r.total) == (0, 6, 6)

    _image(100).save(paths[0])  # new content at the same path
    os.utime(paths[1], ns=(1, 1))  # same content, new mtime
    paths[2].rename(photos / "moved.png")  # a move: same content, new path
    paths[3].unlink()  # gone
    r = index_paths(root, [photos], tiny)
    assert (r.added, r.updated, r.reused, r.deleted, r.unchanged) == (1, 1, 1, 2, 2)
    assert r.edited == 1  # the one added is a recorded file whose content changed
    assert r.total == 5  # img003 and img002 (under its old name) left; moved.png came
    live = sorted(Path(p).name for p, d in _rows(root) if not d)
    assert live == ["img000.png", "img001.png", "img004.png", "img005.png", "moved.png"]
    assert _nearest(root, photos / "moved.png", 1) == ["moved.png"]
    found = [Path(h.path).name for h in search_index(root, image=photos / "img004.png", k=10).hits]
    assert "img003.png" not in found and "img002.png" not in found and len(found) == 5


def test_a_file_renamed_and_copied_is_one_move_and_one_copy(tmp_path: Path, tiny: IndexModel) -> None:
    """Both new paths had counted as moves: "2 moved or renamed ... -1 deleted"."""
    import shutil

    photos, root = tmp_path / "photos", tmp_path / "idx"
    [first] = _images(photos, 1)
    index_paths(root, [photos], tiny)
    first.rename(photos / "b.png")
    shutil.copy(photos / "b.png", photos / "c.png")
    r = index_paths(root, [photos], tiny)
    assert (r.reused, r.moved, r.deleted, r.total) == (2, 1, 1, 2)


def test_a_moved_photo_with_a_copy_elsewhere_is_counted_as_moved(tmp_path: Path, tiny: IndexModel) -> None:
    """A moved photo whose content also stays at another path reused that copy's row, and had read
    "deleted" and "reused", not "moved" (a walkthrough's 11 moved files: "9 moved or renamed")."""
    import shutil

    photos, root = tmp_path / "photos", tmp_path / "idx"
    [first] = _images(photos, 1)
    shutil.copy(first, photos / "zcopy.png")  # indexed after it: the latest row of that content
    index_paths(root, [photos], tiny)
    (photos / "sub").mkdir()
    first.rename(photos / "sub" / "moved.png")
    r = index_paths(root, [photos], tiny)
    assert (r.reused, r.moved, r.deleted, r.total) == (1, 1, 1, 2), r


def test_an_edited_file_that_cannot_be_read_now_leaves_search(tmp_path: Path, tiny: IndexModel) -> None:
    """A file emptied since indexing had been counted "edited" but not added (the summary said "-1 added")
    and stayed in search results for the content it no longer holds."""
    photos, root = tmp_path / "photos", tmp_path / "idx"
    paths = _images(photos, 3)
    index_paths(root, [photos], tiny)
    paths[0].write_bytes(b"")
    r = index_paths(root, [photos], tiny, on_error=lambda exc: None)
    assert (r.added, r.edited, r.failed, r.unchanged, r.total) == (0, 0, 1, 2, 2)
    assert "img000.png" not in _nearest(root, paths[1], k=3)
    _image(0).save(paths[0])  # its content back: found again by its stored vectors
    r = index_paths(root, [photos], tiny)
    assert (r.added, r.reused, r.total) == (0, 1, 3)


def test_moved_file_reuses_vectors_without_encoding(tmp_path: Path, tiny: IndexModel) -> None:
    photos, root = tmp_path / "photos", tmp_path / "idx"
    _images(photos, 3)
    index_paths(root, [photos], tiny)
    (photos / "img001.png").rename(photos / "renamed.png")
    r = index_paths(root, [photos], tiny)
    assert (r.added, r.reused, r.deleted, r.moved) == (0, 1, 1, 1)  # the reuse and the deletion: one move
    with IndexStore(root / "meta.sqlite") as store:
        rows = store.db.execute("SELECT hash, image_vec FROM images ORDER BY id").fetchall()
    assert rows[1][0] == rows[3][0] and rows[1][1] == rows[3][1]  # same content, same stored vector


def test_bad_files_are_skipped_and_counted(tmp_path: Path, tiny: IndexModel, bad_files: dict) -> None:
    photos, root = tmp_path / "photos", tmp_path / "idx"
    _images(photos, 2)
    errors: list[Exception] = []
    r = index_paths(root, [photos, *bad_files.values()], tiny, on_error=errors.append)
    assert r.added == 2 and r.failed == len(bad_files) == len(errors)


def test_a_second_writer_is_refused(tmp_path: Path, tiny: IndexModel) -> None:
    photos, root = tmp_path / "photos", tmp_path / "idx"
    _images(photos, 2)
    index_paths(root, [photos], tiny)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(root)], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(IndexLockedError, match="another process"):
            index_paths(root, [photos], tiny)
        assert len(search_index(root, image=photos / "img000.png", k=2).hits) == 2  # readers go on
    finally:
        holder.kill()
        holder.wait()
    assert index_paths(root, [photos], tiny).unchanged == 2  # the lock dies with its holder


# The writer lock's protocol (an flock on write.lock), held by another process without importing torch.
_HOLD_LOCK = """
import fcntl, sys, time
with open(sys.argv[1] + "/write.lock", "a+") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    print("locked", flush=True)
    time.sleep(60)
"""

_SLOW_INDEX = """
import sys, time
from pathlib import Path
from multicap.index.build import index_paths
from multicap.index.models import open_model
model = open_model("labels", encoder="tiny")
index_paths(Path(sys.argv[1]), [Path(sys.argv[2])], model, batch_size=4, commit_every=4,
            progress=lambda n: time.sleep(0.05 * n))
"""


def test_kill_9_then_resume_loses_and_duplicates_nothing(tmp_path: Path, tiny: IndexModel) -> None:
    photos, root = tmp_path / "photos", tmp_path / "idx"
    _images(photos, 60)
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_INDEX, str(root), str(photos)], cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until some batches are committed, then kill mid-run
            if (root / "meta.sqlite").exists() and 8 <= len(_safe_rows(root)) < 60:
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    committed = len(_safe_rows(root))
    assert 0 < committed < 60, "the kill should land mid-run"
    r = index_paths(root, [photos], tiny)
    assert r.unchanged == committed and r.added == 60 - committed and r.total == 60
    rows = _rows(root)
    assert len(rows) == 60 and len({p for p, _ in rows}) == 60 and not any(d for _, d in rows)
    assert _nearest(root, photos / "img059.png", 1) == ["img059.png"]


def _safe_rows(root: Path) -> list[tuple[str, int]]:
    try:
        return _rows(root)
    except sqlite3.OperationalError:  # the schema is being created
        return []


def test_corrupt_faiss_file_is_rebuilt_from_sqlite(tmp_path: Path, tiny: IndexModel) -> None:
    photos, root = tmp_path / "photos", tmp_path / "idx"
    _images(photos, 8)
    index_paths(root, [photos], tiny)
    before = _nearest(root, photos / "img003.png", 5)
    faiss_path(root, "image").write_bytes(b"\x00garbage" * 100)
    assert _nearest(root, photos / "img003.png", 5) == before
    faiss_path(root, "image").unlink()
    assert _nearest(root, photos / "img003.png", 5) == before
    assert not faiss_path(root, "image").exists()  # a reader takes no lock, so it saves nothing
    assert index_paths(root, [photos], tiny).unchanged == 8
    assert faiss_path(root, "image").stat().st_size > 1000  # the next writer saved it


def test_file_behind_sqlite_is_caught_up(tmp_path: Path, tiny: IndexModel) -> None:
    """A FAISS file older than SQLite (a writer killed before saving it) still finds the new rows."""
    photos, root = tmp_path / "photos", tmp_path / "idx"
    _images(photos, 4)
    index_paths(root, [photos], tiny)
    old = faiss_path(root, "image").read_bytes()
    _images(photos, 3, start=10)
    index_paths(root, [photos], tiny)
    faiss_path(root, "image").write_bytes(old)
    assert _nearest(root, photos / "img011.png", 1) == ["img011.png"]


def test_model_change_needs_reembed(tmp_path: Path, tiny: IndexModel) -> None:
    photos, root = tmp_path / "photos", tmp_path / "idx"
    _images(photos, 2)
    index_paths(root, [photos], tiny)

    class Other:  # the same encoder under another model name
        name, encoder, levels, said_by = "other", tiny.encoder, ("object",), tiny.said_by

        def identity(self) -> dict:
            return {**tiny.identity(), "model": "other"}

        load = tiny.load
        process = tiny.process
        embed_query = tiny.embed_query
        save_query_side = tiny.save_query_side

    with pytest.raises(DataError, match=r"model 'labels' -> 'other'; 2 images\); pass --reembed"):
        index_paths(root, [photos], Other())  # type: ignore[arg-type]
    r = index_paths(root, [photos], Other(), reembed=True)  # type: ignore[arg-type]
    assert (r.added, r.total) == (2, 2)
    assert index_info(root)["identity"]["model"] == "other"
    # an index that holds nothing (a first run stopped before its first batch) takes any model: it had
    # been refused as "built with another model"
    empty = tmp_path / "empty"
    (tmp_path / "none").mkdir()
    index_paths(empty, [tmp_path / "none"], tiny)
    assert index_info(empty)["identity"]["model"] == "labels" and index_info(empty)["images"] == 0
    r = index_paths(empty, [photos], Other())  # type: ignore[arg-type]
    assert (r.added, r.total) == (2, 2) and index_info(empty)["identity"]["model"] == "other"


def test_lock_is_not_needed_to_read(tmp_path: Path, tiny: IndexModel) -> None:
    photos, root = tmp_path / "photos", tmp_path / "idx"
    _images(photos, 3)
    index_paths(root, [photos], tiny)
    with write_lock(root):
        assert index_info(root)["images"] == 3
        assert _nearest(root, photos / "img000.png", 1) == ["img000.png"]


def test_rebuild_and_the_index_own_model(tmp_path: Path, tiny: IndexModel) -> None:
    photos, root = tmp_path / "photos", tmp_path / "idx"
    _images(photos, 3)
    index_paths(root, [photos], tiny)
    faiss_path(root, "image").write_bytes(b"junk")
    info = rebuild_vectors(root)
    assert info["image"]["ntotal"] == 3 and faiss_path(root, "image").stat().st_size > 100
    assert model_for_index(root).identity() == tiny.identity()  # no --model: the index's own
    with pytest.raises(ConfigError, match="no ImageNet classifier"):  # --encoder is honoured, or refused
        model_for_index(tmp_path / "new", encoder="tiny")


@pytest.mark.parametrize("query", ["dog AND (", '"NEAR(a b)', "'; DROP TABLE images; --", "", "🐶*"])
def test_hostile_text_queries_search_safely(tmp_path: Path, tiny: IndexModel, query: str) -> None:
    photos, root = tmp_path / "photos", tmp_path / "idx"
    _images(photos, 2)
    index_paths(root, [photos], tiny)
    try:  # any string is safe: results, or one clear error when no word of it means anything
        assert len(search_index(root, query, model=tiny).hits) <= 2
    except ConfigError as exc:
        assert str(exc).startswith(tuple(f"{refusal} {query!r}" for refusal in REFUSALS))
    assert index_info(root)["images"] == 2


def test_search_without_an_index_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no index at .*multicap index"):
        search_index(tmp_path / "none", "cat")


def test_the_fast_grounded_model_is_recorded_and_reopened(tmp_path: Path) -> None:
    """`--model grounded-no-people`: the grounded index without the people detector, reopened as such."""
    photos, root = tmp_path / "photos", tmp_path / "idx"
    _images(photos, 2)
    model = open_model("grounded-no-people")
    assert model.describer.config.people is False  # type: ignore[attr-defined]
    index_paths(root, [photos], model)
    assert model_for_index(root).name == "grounded-no-people"


class _Newer:
    """`tiny` under a newer describer version: what an upgraded multicap says of the same files."""

    def __init__(self, inner: IndexModel) -> None:
        self.inner, self.said_by = inner, inner.said_by + " (newer)"
        self.name, self.encoder, self.levels = inner.name, inner.encoder, inner.levels
        self.seen: list[str] = []

    def identity(self) -> dict:
        return self.inner.identity()

    def load(self, path: Path):
        return self.inner.load(path)

    def process(self, paths, loaded):
        self.seen.extend(p.name for p in paths)
        return self.inner.process(paths, loaded)

    def embed_query(self, text: str):
        return self.inner.embed_query(text)

    def save_query_side(self, root: Path) -> None:
        self.inner.save_query_side(root)


def test_a_newer_describer_says_the_indexed_files_again_and_keeps_other_folders(
    tmp_path: Path, tiny: IndexModel
) -> None:
    """After an upgrade changed what the describer says, `index FOLDER` describes that folder's unchanged
    files again (no --reembed, nothing cleared); files of other folders keep their rows until indexed."""
    a, b, root = tmp_path / "a", tmp_path / "b", tmp_path / "idx"
    _images(a, 3)
    _images(b, 2, start=3)
    index_paths(root, [a, b], tiny)
    newer = _Newer(tiny)
    r = index_paths(root, [a], newer)  # type: ignore[arg-type]
    assert (r.added, r.redescribed, r.unchanged, r.total) == (3, 3, 0, 5)
    assert index_info(root)["described_by"] == {newer.said_by: 3, tiny.said_by: 2}
    assert sorted(newer.seen) == ["img000.png", "img001.png", "img002.png"]
    with sqlite3.connect(root / "meta.sqlite") as db:
        said = dict(db.execute("SELECT path, said_by FROM images WHERE deleted = 0").fetchall())
    assert sorted(Path(p).parent.name + ":" + s for p, s in said.items()) == [
        *(f"a:{newer.said_by}",) * 3,
        *(f"b:{tiny.said_by}",) * 2,
    ]
    assert _nearest(root, a / "img001.png", 1) == ["img001.png"]  # the FAISS files follow the new rows
    newer.seen.clear()
    again = index_paths(root, [a], newer)  # type: ignore[arg-type]
    assert (again.added, again.redescribed, again.unchanged, newer.seen) == (0, 0, 3, [])
    moved = b / "img003.png"
    moved.rename(a / "moved.png")  # a copy of content said by the older describer is not reused
    r = index_paths(root, [a, b], newer)  # type: ignore[arg-type]
    assert (r.reused, r.deleted) == (0, 1) and sorted(newer.seen) == ["img004.png", "moved.png"]


def test_an_index_of_the_first_schema_gains_said_by_and_is_described_again(
    tmp_path: Path, tiny: IndexModel
) -> None:
    """Schema 1 had no `said_by`: opening migrates it (rows say ''), a search notes it, and the next run
    describes again."""
    photos, root = tmp_path / "photos", tmp_path / "idx"
    _images(photos, 2)
    index_paths(root, [photos], tiny)
    assert older_descriptions(root) is None
    with sqlite3.connect(root / "meta.sqlite") as db:  # back to schema 1, as the first version wrote it
        db.execute("ALTER TABLE images DROP COLUMN said_by")
        db.execute("DELETE FROM meta WHERE key = 'described_by'")
        db.execute("PRAGMA user_version = 1")
    with IndexStore(root / "meta.sqlite") as store:
        assert {k.said_by for k in store.live_files().values()} == {""}
    note = older_descriptions(root)
    assert note is not None and note.startswith("2 of 2 images") and "multicap index FOLDER" in note
    r = index_paths(root, [photos], tiny)
    assert (r.added, r.redescribed, r.total) == (2, 2, 2)
    assert index_paths(root, [photos], tiny).unchanged == 2
    assert older_descriptions(root) is None
