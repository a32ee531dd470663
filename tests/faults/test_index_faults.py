"""Index faults (issue 27) in its FAISS files: damaged and foreign ones, a reader that must not take the
writer lock (the database's: test_index_database_faults.py). Real image files, real SQLite and FAISS, the
`tiny` encoder (`conftest.py`)."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path

import faiss
import numpy as np
import pytest

from multicap.errors import DataError, IndexLockedError
from multicap.index import rebuild_vectors, search_index, sync, write_lock
from multicap.index.build import index_paths
from multicap.index.models import IndexModel
from multicap.index.store import IndexStore
from multicap.index.sync import faiss_path
from multicap.index.vectors import VectorIndex, load_index, save_index
from tests.conftest import REPO, write_noise_images
from tests.faults.conftest import N


def _found_by_self(root: Path, photos: Path, names: list[str]) -> list[str]:
    """The names whose own image query ranks themselves first."""
    out = []
    for name in names:
        hits = search_index(root, image=photos / name, k=1).hits
        if hits and Path(hits[0].path).name == name:
            out.append(name)
    return out


def _agrees(root: Path, space: str = "image") -> bool:
    """The file has the checksum recorded for it and holds exactly SQLite's live ids."""
    with IndexStore(root / "meta.sqlite") as store:
        entry = store.get_meta("faiss")[space]
        live = {int(i) for (i,) in store.db.execute("SELECT id FROM images WHERE deleted = 0")}
    vi = load_index(faiss_path(root, space), entry["dim"], entry["factory"], {}, entry["sha256"])
    return vi is not None and set(vi.ids().tolist()) == live


def _all_names() -> list[str]:
    return [f"img{i:03d}.png" for i in range(N)]


def test_damaged_id_map_is_found_and_rebuilt(
    built: tuple[Path, Path], tiny: IndexModel, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 27, item 2: the last KB of image.faiss (its id map) overwritten."""
    photos, root = built
    path = faiss_path(root, "image")
    data = bytearray(path.read_bytes())
    data[-1024:] = np.random.default_rng(0).integers(0, 256, 1024, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING):
        assert len(search_index(root, image=photos / "img000.png", k=100).hits) == N
    notes = [r.getMessage() for r in caplog.records]
    assert any("checksum" in m and "in memory" in m for m in notes), notes
    assert all("\n" not in m for m in notes)
    assert path.read_bytes() == bytes(data)  # the reader saved nothing
    write_noise_images(photos, 3, 100, 48, 48)
    r = index_paths(root, [photos], tiny)
    assert (r.added, r.total) == (3, N + 3)
    assert _agrees(root)
    assert _found_by_self(root, photos, ["img100.png", "img101.png", "img102.png"]) == [
        "img100.png", "img101.png", "img102.png",
    ]  # fmt: skip


def test_huge_floats_in_the_vectors_are_found(built: tuple[Path, Path], tiny: IndexModel) -> None:
    """Issue 27, item 2: large floats written into the vector data gave a score of 1.9e7 that survived
    `index`; the checksum finds them, and scores stay cosines."""
    photos, root = built
    path = faiss_path(root, "image")
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = np.full(16, 1e30, np.float32).tobytes()
    path.write_bytes(bytes(data))
    hits = search_index(root, image=photos / "img005.png", k=N).hits
    assert len(hits) == N and max(h.score for h in hits) <= 1.0 + 1e-4
    index_paths(root, [photos], tiny)  # nothing new to add: the damage alone makes it rebuild
    assert _agrees(root)
    assert _found_by_self(root, photos, _all_names()) == _all_names()


def _plant(root: Path, ids: np.ndarray, vectors: np.ndarray) -> None:
    """Write a FAISS file with these ids and record its checksum, as a writer would: its bytes vouch for it,
    so only the id checks can find it wrong."""
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(vectors.shape[1]))
    index.add_with_ids(np.ascontiguousarray(vectors, np.float32), ids.astype(np.int64))
    digest = save_index(VectorIndex(index, "Flat", {}), faiss_path(root, "image"))
    with IndexStore(root / "meta.sqlite") as store:
        info = store.get_meta("faiss")
        info["image"]["sha256"] = digest
        store.set_meta(faiss=info)


@pytest.mark.parametrize("fault", ["stray", "missing", "twice"])
def test_a_file_whose_ids_disagree_is_rebuilt(
    built: tuple[Path, Path], fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    photos, root = built
    with IndexStore(root / "meta.sqlite") as store:
        ids, vecs = next(store.iter_vectors("image"))
    if fault == "stray":  # rows of another index besides its own: ids SQLite never had
        ids, vecs = np.concatenate([ids, ids + 1000]), np.concatenate([vecs, vecs])
    elif fault == "missing":  # a live image left out below the largest id
        ids, vecs = np.delete(ids, 3), np.delete(vecs, 3, axis=0)
    else:
        ids, vecs = np.concatenate([ids, ids[:2]]), np.concatenate([vecs, vecs[:2]])
    _plant(root, ids, vecs)
    words = {"stray": "has no vector", "missing": "lacks 1 live", "twice": "twice"}[fault]
    with caplog.at_level(logging.WARNING):
        assert _found_by_self(root, photos, _all_names()) == _all_names()
    assert any(words in r.getMessage() for r in caplog.records)


def test_a_missing_file_is_rebuilt_in_memory_then_saved_by_the_writer(
    built: tuple[Path, Path], tiny: IndexModel
) -> None:
    photos, root = built
    faiss_path(root, "image").unlink()
    assert _found_by_self(root, photos, ["img007.png"]) == ["img007.png"]
    assert not faiss_path(root, "image").exists()
    index_paths(root, [photos], tiny)
    assert _agrees(root)


def test_the_states_a_killed_save_leaves_are_recovered(
    built: tuple[Path, Path], tiny: IndexModel, caplog: pytest.LogCaptureFixture
) -> None:
    """A writer killed while saving leaves a partial `image.faiss.tmp`, or a new file renamed in whose
    checksum it had not recorded yet: searches stay right, and the next `index` leaves the file agreeing."""
    photos, root = built
    with IndexStore(root / "meta.sqlite") as store:
        recorded = store.get_meta("faiss")
    write_noise_images(photos, 2, 200, 48, 48)
    index_paths(root, [photos], tiny)
    with IndexStore(root / "meta.sqlite") as store:
        store.set_meta(faiss=recorded)  # killed between the rename and the meta update
    faiss_path(root, "image").with_name("image.faiss.tmp").write_bytes(b"half a file")
    with caplog.at_level(logging.WARNING):
        assert _found_by_self(root, photos, ["img200.png", "img201.png"]) == ["img200.png", "img201.png"]
    assert any("checksum" in r.getMessage() for r in caplog.records)
    index_paths(root, [photos], tiny)
    assert _agrees(root)


def test_a_file_written_before_checksums_is_rebuilt_once(
    built: tuple[Path, Path], tiny: IndexModel, caplog: pytest.LogCaptureFixture
) -> None:
    photos, root = built
    with IndexStore(root / "meta.sqlite") as store:
        info = store.get_meta("faiss")
        del info["image"]["sha256"]
        store.set_meta(faiss=info)
    with caplog.at_level(logging.WARNING):
        assert _found_by_self(root, photos, ["img009.png"]) == ["img009.png"]
        index_paths(root, [photos], tiny)
    notes = [r.getMessage() for r in caplog.records]
    assert len(notes) == 2 and all("older multicap" in n for n in notes), notes
    assert _agrees(root)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert _found_by_self(root, photos, ["img009.png"]) == ["img009.png"]
    assert not caplog.records


def test_a_damaged_file_too_large_to_rebuild_per_search_says_to_rebuild_it(
    built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    photos, root = built
    faiss_path(root, "image").write_bytes(b"\x00" * 4096)
    monkeypatch.setattr(sync, "_READER_REBUILD_BYTES", 1000)  # as if the index held millions of images
    with pytest.raises(DataError) as err:
        search_index(root, image=photos / "img000.png")
    said = str(err.value)
    assert "\n" not in said and f"multicap index --rebuild --index {root}" in said and "40 vectors" in said
    rebuild_vectors(root)
    assert _found_by_self(root, photos, ["img000.png"]) == ["img000.png"]


_SEARCH_LOOP = """
import sys, time
from pathlib import Path
from multicap.index import search_index
root, photo, stop = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
print("ready", flush=True)
n = 0
while not stop.exists():
    assert search_index(root, image=photo, k=3).hits
    n += 1
print(n, flush=True)
"""


def test_readers_rebuilding_a_missing_file_never_hold_the_writer_lock(built: tuple[Path, Path]) -> None:
    """Issue 27, item 4: a search rebuilding a missing FAISS file took the writer lock, so an `index`
    started meanwhile was refused with no writer running. Two readers search in a loop (each one
    rebuilding the missing file) while this process takes and drops the lock as a writer would."""
    photos, root = built
    faiss_path(root, "image").unlink()
    stop = root.parent / "stop"
    argv = [sys.executable, "-c", _SEARCH_LOOP, str(root), str(photos / "img001.png"), str(stop)]
    readers = [
        subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO)
        for _ in range(2)
    ]
    try:
        for p in readers:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        tries = refusals = 0
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            tries += 1
            try:
                with write_lock(root):
                    pass
            except IndexLockedError:
                refusals += 1
            faiss_path(root, "image").unlink(missing_ok=True)  # keep every search rebuilding
            time.sleep(0.002)
        stop.touch()
        searches = [int(p.communicate(timeout=30)[0].strip() or 0) for p in readers]
    finally:
        for p in readers:
            p.kill()
            p.wait()
    assert min(searches) > 3, searches  # the readers did search (and rebuild) while the lock was tried
    assert tries > 100 and refusals == 0, f"{refusals} of {tries} writer locks refused"
