"""The feature store: read-back equals direct encoding, incremental and resumable builds, identity checks,
and a DataLoader with worker processes reading the right rows. Real image files, the `tiny` encoder."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from multicap.data.feature_cache import FeatureDataset, FeatureStore
from multicap.data.feature_files import build_lock
from multicap.encoders import Encoder, create_encoder
from multicap.errors import DataError, ImageLoadError
from tests.conftest import noise_image, write_noise_images


@pytest.fixture(scope="module")
def tiny() -> Encoder:
    return create_encoder("tiny")


def _image(seed: int) -> Image.Image:
    return noise_image(seed, 80, 72)


def _images(folder: Path, n: int, start: int = 0) -> list[Path]:
    return write_noise_images(folder, n, start, 80, 72)


def _direct(encoder: Encoder, paths: list[Path]) -> np.ndarray:
    imgs = [Image.open(p).convert("RGB") for p in paths]
    return encoder.encode_images(imgs).grid.numpy()  # (B, N, D) float32


def test_build_reads_back_direct_encoding(tmp_path: Path, tiny: Encoder) -> None:
    paths = _images(tmp_path / "imgs", 5)
    store = FeatureStore.open(tmp_path / "store", tiny)
    report = store.build(paths, tiny, batch_size=2)
    assert (report.added, report.reused, report.failed) == (5, 0, 0)
    assert len(store) == 5 and store.grid_shape == (16, 64) and store.grid_hw == (4, 4)
    rows = store.rows_of(paths)
    assert sorted(rows) == [0, 1, 2, 3, 4]  # type: ignore[type-var]
    grid = store.grid(rows)  # type: ignore[arg-type]
    assert grid.dtype == np.float16 and grid.shape == (5, 16, 64)
    want = _direct(tiny, paths)
    np.testing.assert_allclose(grid.astype(np.float32), want, rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(store.pooled(rows).astype(np.float32), want.mean(1), rtol=2e-3, atol=2e-3)  # type: ignore[arg-type]
    meta = json.loads((tmp_path / "store" / "meta.json").read_text())
    assert meta["encoder"] == "tiny" and meta["N"] == 16 and meta["D"] == 64 and meta["dtype"] == "float16"


def test_rebuild_skips_changed_file_reencoded_renamed_reused(tmp_path: Path, tiny: Encoder) -> None:
    paths = _images(tmp_path / "imgs", 4)
    store = FeatureStore.open(tmp_path / "store", tiny)
    store.build(paths, tiny)
    again = FeatureStore.open(tmp_path / "store", tiny).build(paths, tiny)
    assert (again.added, again.reused, again.failed) == (0, 4, 0)

    _image(99).save(paths[0])  # new content under the same name
    os.utime(paths[0], ns=(1, 1))  # and a different mtime whatever the clock's resolution
    old_row = store.row_of(paths[2])
    renamed = paths[2].rename(paths[2].with_name("renamed.png"))
    report = store.build([paths[0], renamed, paths[1]], tiny)
    assert (report.added, report.reused) == (1, 2)
    assert store.row_of(renamed) == old_row and store.row_of(paths[2]) is None
    assert store.row_of(paths[0]) == 4 and len(store) == 5
    np.testing.assert_allclose(store.grid([4])[0].astype(np.float32), _direct(tiny, [paths[0]])[0], atol=2e-3)


def test_crash_mid_build_then_resume_completes_without_duplicates(tmp_path: Path, tiny: Encoder) -> None:
    paths = _images(tmp_path / "imgs", 7)
    dup = tmp_path / "imgs" / "copy.png"
    dup.write_bytes(paths[3].read_bytes())  # same content, another name: one row for both
    store = FeatureStore.open(tmp_path / "store", tiny)
    calls = []

    def crash(n: int) -> None:
        calls.append(n)
        if len(calls) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.build([*paths, dup], tiny, batch_size=2, commit_every=2, progress=crash)
    done = len(store)
    assert 0 < done < 7  # some chunks committed, not all

    resumed = FeatureStore.open(tmp_path / "store", tiny)
    seen: list[int] = []
    report = resumed.build([*paths, dup], tiny, batch_size=2, progress=seen.append)
    assert report.added == 7 - done and report.reused == done + 1 and sum(seen) == 8
    rows = resumed.rows_of([*paths, dup])
    assert sorted(rows[:7]) == list(range(7)) and rows[7] == rows[3] and len(resumed) == 7  # type: ignore[type-var]
    np.testing.assert_allclose(resumed.grid(rows[:7]).astype(np.float32), _direct(tiny, paths), atol=2e-3)  # type: ignore[arg-type]


def test_unreadable_files_are_reported_and_skipped(tmp_path: Path, tiny: Encoder) -> None:
    paths = _images(tmp_path / "imgs", 2)
    bad = tmp_path / "imgs" / "bad.png"
    bad.write_text("not an image")
    errors: list[ImageLoadError] = []
    store = FeatureStore.open(tmp_path / "store", tiny)
    report = store.build([paths[0], bad, tmp_path / "missing.png", paths[1]], tiny, on_error=errors.append)
    assert (report.added, report.failed) == (2, 2)
    assert set(report.failed_paths) == {bad, tmp_path / "missing.png"} and len(errors) == 2
    assert store.row_of(bad) is None and store.row_of(tmp_path / "missing.png") is None
    # three empty downloads share their (empty) content: each is named, not the first alone
    empties = [tmp_path / "imgs" / f"empty{i}.jpg" for i in range(3)]
    for empty in empties:
        empty.write_bytes(b"")
    errors.clear()
    again = store.build([*empties, paths[0]], tiny, on_error=errors.append)
    assert again.failed == 3 and set(again.failed_paths) == set(empties) and again.reused == 1
    assert sorted(e.path for e in errors) == empties


def test_other_encoder_and_bad_folders_are_refused(tmp_path: Path, tiny: Encoder) -> None:
    FeatureStore.open(tmp_path / "store", tiny).build(_images(tmp_path / "imgs", 1), tiny)
    other = create_encoder("tiny")
    other.weights = "another checkpoint"
    with pytest.raises(DataError, match="another encoder"):
        FeatureStore.open(tmp_path / "store", other)
    reopened = FeatureStore.open(tmp_path / "store")  # no encoder: read-only use
    with pytest.raises(DataError, match="another encoder"):
        reopened.build(_images(tmp_path / "imgs", 1, start=5), other)
    with pytest.raises(DataError, match="no feature store"):
        FeatureStore.open(tmp_path / "nothing")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    with pytest.raises(DataError, match="not empty"):
        FeatureStore.open(tmp_path / "full", tiny)
    # a file where the folder should be: one line, not NotADirectoryError's words
    with pytest.raises(DataError, match=r"x.txt is a file, not a folder"):
        FeatureStore.open(tmp_path / "full" / "x.txt" / "cache", tiny)
    # its database overwritten: named, with what to do (it had been "DatabaseError: file is not a database")
    (tmp_path / "store" / "index.sqlite").write_bytes(b"junk" * 1000)
    with pytest.raises(
        DataError, match=r"index.sqlite: unreadable feature store .*delete the folder to rebuild"
    ):
        FeatureStore.open(tmp_path / "store", tiny)


def test_dataset_with_worker_processes_reads_the_right_rows(tmp_path: Path, tiny: Encoder) -> None:
    paths = _images(tmp_path / "imgs", 6)
    store = FeatureStore.open(tmp_path / "store", tiny)
    store.build(paths, tiny)
    rows = [store.row_of(p) for p in reversed(paths)]
    data = FeatureDataset(tmp_path / "store", rows, extras=[f"cap{i}" for i in range(6)])  # type: ignore[arg-type]
    grid0, extra0 = data[0]
    assert grid0.dtype == torch.float32 and grid0.shape == (16, 64) and extra0 == "cap0"
    loader = torch.utils.data.DataLoader(data, batch_size=4, num_workers=2, shuffle=False)
    batches = list(loader)
    grids = torch.cat([g for g, _ in batches])
    extras = [e for _, es in batches for e in es]
    want = store.grid(rows).astype(np.float32)  # type: ignore[arg-type]
    assert extras == [f"cap{i}" for i in range(6)]
    np.testing.assert_array_equal(grids.numpy(), want)
    fast = torch.utils.data.DataLoader(
        data, batch_size=4, num_workers=2, shuffle=True, collate_fn=FeatureDataset.collate
    )
    seen = {e: g for grid, es in fast for g, e in zip(grid, es, strict=True)}
    assert sorted(seen) == sorted(extras)
    for i, e in enumerate(extras):
        np.testing.assert_array_equal(seen[e].numpy(), want[i])
    half = FeatureDataset(tmp_path / "store", rows[:3], dtype=torch.float16)  # type: ignore[arg-type]
    batch, idx = FeatureDataset.collate(half.__getitems__([2, 0]))
    assert batch.dtype == torch.float16 and idx.tolist() == [2, 0]
    np.testing.assert_array_equal(batch.numpy(), store.grid([rows[2], rows[0]]))  # type: ignore[list-item]
    assert FeatureDataset.collate([half[1], half[0]])[0].shape == (2, 16, 64)  # separate items: stacked
    pooled = FeatureDataset(tmp_path / "store", [2, 0], pooled=True)
    items = pooled.__getitems__([0, 1])
    assert items[0][0].shape == (64,) and [e for _, e in items] == [0, 1]
    np.testing.assert_array_equal(items[1][0].numpy(), store.pooled([0])[0].astype(np.float32))


def test_a_second_builder_waits_for_the_first_instead_of_failing(tmp_path: Path) -> None:
    """Two trainings started on one corpus at once: the second build waits, then finds the images stored."""
    fcntl = pytest.importorskip("fcntl")
    entered = threading.Event()

    def second() -> None:
        with build_lock(tmp_path):
            entered.set()

    with (tmp_path / ".build.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # the first builder
        thread = threading.Thread(target=second)
        thread.start()
        assert not entered.wait(0.3)  # blocked while the first holds the lock
        fcntl.flock(held, fcntl.LOCK_UN)
    assert entered.wait(5)
    thread.join(5)


@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_a_damaged_cache_is_one_line_naming_it_and_how_to_rebuild(
    tmp_path: Path, tiny: Encoder, damage: str
) -> None:
    """A walkthrough's truncated grid.f16 had stopped `evaluate` with numpy's "mmap length is greater than
    file size" (no file named); bytes overwritten with 0xFF (NaN) had been read unsaid: every caption
    "the", every BLEU 0."""
    paths = _images(tmp_path / "imgs", 3)
    root = tmp_path / "store"
    FeatureStore.open(root, tiny).build(paths, tiny, batch_size=2)
    grid = root / "grid.f16"
    if damage == "truncated":
        os.truncate(grid, 100)
    else:
        grid.write_bytes(b"\xff" * grid.stat().st_size)
    for read in (
        lambda: FeatureStore.open(root, tiny).grid([0, 1, 2]),
        lambda: FeatureDataset(root, [0, 1, 2]).__getitems__([0, 1, 2]),
        lambda: FeatureDataset(root, [0, 1, 2])[1],
    ):
        with pytest.raises(DataError) as err:
            read()
        said = str(err.value)
        assert "\n" not in said and "the feature cache is damaged" in said and "delete the folder" in said
        assert str(root) in said


def test_a_truncated_cache_is_not_grown_back_with_zeros_when_rows_are_added(
    tmp_path: Path, tiny: Encoder
) -> None:
    """A walkthrough's truncated grid.f16 had been grown back by the next images' rows, the lost rows zeros,
    unsaid: a captioner was then trained and scored on them ("score 0.0000")."""
    paths = _images(tmp_path / "imgs", 4)
    root = tmp_path / "store"
    FeatureStore.open(root, tiny).build(paths[:3], tiny, batch_size=2)
    os.truncate(root / "grid.f16", 100)
    with pytest.raises(DataError, match="the feature cache is damaged") as err:
        FeatureStore.open(root, tiny).build(paths, tiny, batch_size=2)  # a fourth image to add
    assert str(root) in str(err.value) and (root / "grid.f16").stat().st_size == 100  # nothing written
