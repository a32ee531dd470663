"""An index as its folders change: a folder missing or empty (held), a named file gone, a link into the
folder, a photo turned by its EXIF tag, a folder moved whole, a folder forgotten for good, a file edited
in place with its size and time kept. Real image files, real SQLite and FAISS, the `tiny` encoder."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

from multicap.errors import DataError
from multicap.index import index_info
from multicap.index.build import index_paths
from multicap.index.models import IndexModel, open_model
from tests.conftest import noise_image
from tests.unit.test_index_build import _images, _nearest, _rows


@pytest.fixture(scope="module")
def tiny() -> IndexModel:
    return open_model("labels", encoder="tiny")


def test_a_missing_or_empty_folder_retires_nothing(tmp_path: Path, tiny: IndexModel) -> None:
    """Indexing a folder that was not there (a drive not mounted, a typing slip) marked every image
    indexed from it deleted; an unreadable file was retired too. Its parent folder, indexed, retires them."""
    top = tmp_path / "drive"
    photos, root = top / "photos", tmp_path / "idx"
    paths = _images(photos, 3)
    index_paths(root, [photos], tiny)
    photos.rename(tmp_path / "elsewhere")
    r = index_paths(root, [photos], tiny, on_error=lambda e: None)
    assert (r.deleted, r.held, r.total, r.failed) == (0, 3, 3, 1)
    photos.mkdir()  # the mount point is there, the drive is not
    r = index_paths(root, [photos], tiny)
    assert (r.deleted, r.held, r.total) == (0, 3, 3)
    (tmp_path / "elsewhere").rename(photos / "back")  # gone from photos/, now under photos/back/
    paths = sorted((photos / "back").iterdir())
    if os.geteuid() != 0:  # root reads any file: nothing to deny
        paths[0].chmod(0)
        r = index_paths(root, [photos / "back"], tiny, on_error=lambda e: None)
        assert r.failed == 1 and paths[0].name not in {Path(p).name for p, d in _rows(root) if d}
        paths[0].chmod(0o644)
    (top / "other.png").write_bytes(paths[1].read_bytes())
    for p in paths:
        p.unlink()
    r = index_paths(root, [top], tiny)  # the parent: photos/ is empty within a folder that is there
    assert r.held == 0 and r.total == 1


def test_a_named_file_that_is_gone_is_retired(tmp_path: Path, tiny: IndexModel) -> None:
    """Held only for folders: `multicap index a.png` after a.png was deleted retires it, as before."""
    photos, root = tmp_path / "photos", tmp_path / "idx"
    paths = _images(photos, 2)
    index_paths(root, [photos], tiny)
    paths[0].unlink()
    r = index_paths(root, [paths[0]], tiny, on_error=lambda e: None)
    assert (r.deleted, r.held, r.total) == (1, 0, 1)


def test_a_link_to_a_file_of_the_folder_is_one_image(tmp_path: Path, tiny: IndexModel) -> None:
    """Both names were encoded, and the second row retired the first: "45 added" for 44 images, and a
    deleted row at once."""
    photos, root = tmp_path / "photos", tmp_path / "idx"
    paths = _images(photos, 2)
    (photos / "link.png").symlink_to(paths[0])
    r = index_paths(root, [photos], tiny)
    assert (r.added, r.total) == (2, 2) and all(not d for _, d in _rows(root))
    r = index_paths(root, [photos], tiny)
    assert (r.added, r.unchanged, r.deleted, r.total) == (0, 2, 0, 2)


def test_a_photo_turned_by_its_exif_tag_is_recorded_upright(tmp_path: Path, tiny: IndexModel) -> None:
    """A phone's portrait photo, stored landscape with orientation 6: its width and height as shown."""
    (tmp_path / "photos").mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6
    noise_image(1, 60, 40).save(tmp_path / "photos" / "turned.jpg", exif=exif.tobytes())
    index_paths(tmp_path / "idx", [tmp_path / "photos"], tiny)
    with sqlite3.connect(tmp_path / "idx" / "meta.sqlite") as db:
        assert db.execute("SELECT width, height FROM images").fetchall() == [(40, 60)]


def test_forget_drops_a_folder_gone_for_good(tmp_path: Path, tiny: IndexModel) -> None:
    """A folder moved away is held by every index run (as a drive not mounted): its images had stayed in
    search results for ever, the hints saying to index a folder that no longer exists."""
    from multicap.index import forget_paths

    trip, other, root = tmp_path / "trip", tmp_path / "other", tmp_path / "idx"
    _images(trip, 3)
    kept = _images(other, 2, start=10)
    index_paths(root, [trip, other], tiny)
    trip.rename(tmp_path / "elsewhere")
    r = index_paths(root, [trip, other], tiny, on_error=lambda exc: None)
    assert (r.held, r.total) == (3, 5)
    (other / "img010.png").rename(other / "renamed.png")  # a retired row under `other`, kept for now
    index_paths(root, [trip, other], tiny, on_error=lambda exc: None)
    (other / "renamed.png").rename(other / "img010.png")
    index_paths(root, [trip, other], tiny, on_error=lambda exc: None)
    done = forget_paths(root, [trip])
    assert (done["forgotten"], done["purged"], done["total"]) == (3, 3, 2)
    assert sorted(_nearest(root, kept[0], k=5)) == ["img010.png", "img011.png"]
    # deleted for good, not marked: no row, vector or text of the trip is left in the database
    with sqlite3.connect(root / "meta.sqlite") as db:
        paths = [row[0] for row in db.execute("SELECT path FROM images")]
        assert not any("trip" in p for p in paths) and any("renamed.png" in p for p in paths)
        described = {row[0] for row in db.execute("SELECT image_id FROM descriptions")}
        assert described <= {row[0] for row in db.execute("SELECT id FROM images")}
    assert not index_info(root, check_files=True)["faiss_problems"]
    done = forget_paths(root, [other])  # its retired rows go too: img010's first and renamed.png's
    assert (done["forgotten"], done["purged"], done["total"]) == (2, 4, 0)
    _images(other, 2, start=10)
    index_paths(root, [other], tiny)
    assert forget_paths(root, [kept[1]])["forgotten"] == 1  # a single file too
    assert forget_paths(root, [tmp_path / "never"])["by_path"] == {str(tmp_path / "never"): 0}
    with pytest.raises(DataError, match="no index at"):
        forget_paths(tmp_path / "nowhere", [trip])


@pytest.mark.parametrize("factory", ["IVF2,Flat", "HNSW8"])
def test_forgetting_from_an_ivf_or_hnsw_index_keeps_every_hit_its_image(
    tmp_path: Path, tiny: IndexModel, factory: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """faiss's remove_ids through the id map of an IVF left the lists' ids as they were (every hit after
    `--forget` named another image, and no check noticed); HNSW cannot remove at all (a RuntimeError after
    the rows were retired): such files are built again."""
    from multicap.index import forget_paths
    from multicap.index import vectors as vectors_module

    monkeypatch.setattr(vectors_module, "_MIN_TRAIN", 4)  # a trained layout for a few images
    few, many, root = tmp_path / "few", tmp_path / "many", tmp_path / "idx"
    _images(few, 3)
    kept = _images(many, 14, start=10)
    index_paths(root, [few, many], tiny, factory=factory)
    forget_paths(root, [few])
    assert not index_info(root, check_files=True)["faiss_problems"]
    assert [_nearest(root, photo, k=1)[0] for photo in kept] == [p.name for p in kept]


def test_forgetting_a_few_images_leaves_faiss_files_that_agree(tmp_path: Path, tiny: IndexModel) -> None:
    """Forgetting under a fifth of an index (its ids kept in the files as tombstones, then their rows
    purged) had left files holding ids with no row: every search rebuilt an exact copy, saying so."""
    from multicap.index import forget_paths

    few, many, root = tmp_path / "few", tmp_path / "many", tmp_path / "idx"
    _images(few, 2)
    _images(many, 12, start=10)
    index_paths(root, [few, many], tiny)
    done = forget_paths(root, [few])
    assert (done["forgotten"], done["total"]) == (2, 12)
    assert not index_info(root, check_files=True)["faiss_problems"]


def test_a_folder_moved_whole_is_a_move_not_a_second_copy(tmp_path: Path, tiny: IndexModel) -> None:
    """`mv photos photos_2024` then `index photos_2024` had kept every old row live ("6 images (3 reused)"):
    each search found the photo twice, once at a path that no longer exists. A named folder that is missing
    (a drive not mounted) still holds its rows, and a copy whose original is still there stays a copy."""
    import shutil

    photos, root = tmp_path / "photos", tmp_path / "idx"
    _images(photos, 3)
    index_paths(root, [photos], tiny)
    photos.rename(tmp_path / "photos_2024")
    r = index_paths(root, [tmp_path / "photos_2024"], tiny)
    assert (r.reused, r.moved, r.deleted, r.total) == (3, 3, 3, 3)
    assert all("photos_2024" in p for p, d in _rows(root) if not d)
    # content seen again whose stored row is a retired one (deleted long ago): no move, nothing deleted
    lost = tmp_path / "photos_2024" / "img000.png"
    data = lost.read_bytes()
    lost.unlink()
    assert index_paths(root, [tmp_path / "photos_2024"], tiny).deleted == 1
    (tmp_path / "found").mkdir()
    (tmp_path / "found" / "again.png").write_bytes(data)
    r = index_paths(root, [tmp_path / "found"], tiny)
    assert (r.reused, r.moved, r.deleted, r.total) == (1, 0, 0, 3)
    lost.write_bytes(data)  # back where it was
    index_paths(root, [tmp_path / "photos_2024"], tiny)
    shutil.rmtree(tmp_path / "found")
    index_paths(root, [tmp_path], tiny)
    shutil.copytree(tmp_path / "photos_2024", tmp_path / "copy")  # a copy: both stay
    r = index_paths(root, [tmp_path / "copy"], tiny)
    assert (r.reused, r.moved, r.deleted, r.total) == (3, 0, 0, 6)
    # a drive not mounted, named beside a folder holding copies of its photos: its rows are held, not moved
    drive = tmp_path / "drive"
    _images(drive, 2)
    index_paths(root, [drive], tiny)
    shutil.copytree(drive, tmp_path / "local")
    drive.rename(tmp_path / "unmounted")
    r = index_paths(root, [drive, tmp_path / "local"], tiny)
    assert (r.reused, r.moved, r.held, r.total) == (2, 0, 2, 10)


def test_a_folder_of_identical_files_moved_whole_leaves_no_old_path(tmp_path: Path, tiny: IndexModel) -> None:
    """Two identical files and another, their folder moved: both copies reused the one row found by their
    content, and the other copy's old path stayed live ("4 images" for 3 files; a search hit "gone")."""
    import shutil

    photos, root, drive = tmp_path / "p", tmp_path / "idx", tmp_path / "drive"
    a, _ = _images(photos, 2)
    shutil.copy(a, photos / "copy.png")
    drive.mkdir()
    shutil.copy(a, drive / "on_drive.png")  # a copy on a drive, indexed, then not mounted: it stays
    index_paths(root, [drive], tiny)
    index_paths(root, [photos], tiny)
    drive.rename(tmp_path / "unmounted")
    photos.rename(tmp_path / "p2")
    r = index_paths(root, [tmp_path / "p2"], tiny)
    assert (r.moved, r.deleted, r.total) == (3, 3, 4)
    live = sorted(Path(p).name for p, d in _rows(root) if not d)
    assert live == ["copy.png", "img000.png", "img001.png", "on_drive.png"]
    assert all("p2" in Path(p).parts or "drive" in Path(p).parts for p, d in _rows(root) if not d)
    assert index_paths(root, [tmp_path / "p2"], tiny).total == 4


@pytest.mark.parametrize("newest", ["backup", "retired"])
def test_a_folder_moved_whole_goes_whichever_stored_row_its_files_reuse(
    tmp_path: Path, tiny: IndexModel, newest: str
) -> None:
    """The moved folder's rows went only where they were the newest of their content (a review): a backup
    on a drive indexed after the photos, then not mounted, had been retired in their place and the old
    paths left live; a copy indexed later and deleted (a retired row, newest) had left them all live."""
    import shutil

    photos, root, drive = tmp_path / "p", tmp_path / "idx", tmp_path / "drive"
    a, b = _images(photos, 2)
    shutil.copy(a, photos / "copy.png")
    index_paths(root, [photos], tiny)
    _images(drive / "backup", 1, start=7)  # an image of its own, which stays
    for f in (a, b):
        shutil.copy(f, drive / "backup" / f.name)
    index_paths(root, [drive], tiny)
    if newest == "backup":
        drive.rename(tmp_path / "unmounted")
        kept = ["drive/backup/img000.png", "drive/backup/img001.png", "drive/backup/img007.png"]
    else:
        for f in (a, b):
            (drive / "backup" / f.name).unlink()
        index_paths(root, [drive], tiny)  # their rows retired: the newest of their contents
        kept = ["drive/backup/img007.png"]
    photos.rename(tmp_path / "p2")
    r = index_paths(root, [tmp_path / "p2"], tiny)
    live = sorted(str(Path(p).relative_to(tmp_path)) for p, d in _rows(root) if not d)
    assert live == sorted(["p2/copy.png", "p2/img000.png", "p2/img001.png", *kept])
    assert (r.moved, r.deleted) == (3, 3)


def test_rehash_finds_an_edit_that_kept_the_size_and_time(tmp_path: Path, tiny: IndexModel) -> None:
    """A file replaced by another picture of the same size, its time restored, was never seen again
    ("unchanged"; --reembed neither): --rehash reads every file and finds it."""
    photos, root = tmp_path / "photos", tmp_path / "idx"
    paths = _images(photos, 3)
    index_paths(root, [photos], tiny)
    st = paths[0].stat()
    data = bytearray(paths[0].read_bytes())
    data[-3] ^= 0xFF  # another content, the same size
    paths[0].write_bytes(bytes(data))
    os.utime(paths[0], ns=(st.st_atime_ns, st.st_mtime_ns))
    assert index_paths(root, [photos], tiny).unchanged == 3
    r = index_paths(root, [photos], tiny, rehash=True, on_error=lambda exc: None)
    assert (r.unchanged, r.edited + r.failed) == (2, 1)
    assert index_paths(root, [photos], tiny, rehash=True).unchanged == 3  # read, and all as recorded


def test_a_folder_move_cut_short_leaves_no_second_copy(
    tmp_path: Path, tiny: IndexModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run killed while it recorded a moved folder (its new rows committed a batch at a time, the old
    ones retired at the end) had left both live for good: "800 images" for 480 files, each search finding
    a photo twice. Each batch now retires the old paths of its files with it."""
    from multicap.index.store import IndexStore

    photos, root = tmp_path / "photos", tmp_path / "idx"
    _images(photos, 4)
    index_paths(root, [photos], tiny)
    photos.rename(tmp_path / "moved")
    real_add, calls = IndexStore.add, []

    def killed_on_the_second_batch(self: IndexStore, records, **kw):  # type: ignore[no-untyped-def]
        calls.append(len(records))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_add(self, records, **kw)

    monkeypatch.setattr(IndexStore, "add", killed_on_the_second_batch)
    with pytest.raises(KeyboardInterrupt):
        index_paths(root, [tmp_path / "moved"], tiny, commit_every=2)
    live = [p for p, d in _rows(root) if not d]
    assert len(live) == 4 and sum("moved" in p for p in live) == 2  # the first batch moved, whole
    monkeypatch.setattr(IndexStore, "add", real_add)
    r = index_paths(root, [tmp_path / "moved"], tiny)
    assert (r.total, r.moved, r.unchanged) == (4, 2, 2) and all("moved" in p for p, d in _rows(root) if not d)


def test_an_index_folder_whose_name_has_an_undecodable_byte(tmp_path: Path, tiny: IndexModel) -> None:
    """faiss's own file writer takes a path as UTF-8: every `index` run into a folder named with the byte
    0xFF had failed in write_index, and the FAISS files were never written."""
    photos, root = tmp_path / "photos", Path(os.fsdecode(os.fsencode(tmp_path) + b"/idx_\xff"))
    _images(photos, 2)
    r = index_paths(root, [photos], tiny)
    assert r.total == 2 and (root / "image.faiss").is_file()
    assert index_info(root, check_files=True)["faiss_problems"] == {}
    assert _nearest(root, photos / "img000.png", k=1) == ["img000.png"]
