"""The sharded IVF build with its lists merged on disk (a threshold of a few thousand vectors forces it): it
answers exactly as the in-memory merge, keeps Recall@10 ≥ 0.95, and its list file is recorded, checked and
found beside the index file: a damaged one is named and rebuilt from, never mapped; a moved folder loads; rows
added later are searched (a reader) and written into a new list file (a writer); `multicap search` answers.
Real FAISS over a real SQLite store of clustered vectors, and a real index of image files for the command."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import faiss
import numpy as np
import pytest

from multicap.index.build import index_paths
from multicap.index.mapped_lists import LISTS_SUFFIX
from multicap.index.models import open_model
from multicap.index.store import ImageRecord, IndexStore
from multicap.index.sync import faiss_path, open_vectors, sync_vectors
from multicap.index.vectors import exact_top_k, file_checksum, measure_recall
from multicap.scale.ivf import build_ivf_sharded, sharded_sync
from tests.conftest import REPO, write_noise_images
from tests.ray.test_ivf_shards import DIM, RULES, N, _clustered, _fill

ONDISK = 100_000  # bytes of lists: 6,000 SQ8 vectors of 64-d take 432,000, so they go to disk


@pytest.fixture
def store(tmp_path: Path):
    with IndexStore(tmp_path / "meta.sqlite") as s:
        _fill(s, _clustered(N))
        yield s


def _lists(root: Path) -> list[Path]:
    return sorted(root.glob(f"image.*{LISTS_SUFFIX}"))


def _same_answers(a, b, queries: np.ndarray) -> None:
    s1, i1 = a.search(queries, 10)
    s2, i2 = b.search(queries, 10)
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_allclose(s1, s2)


def test_the_on_disk_merge_answers_as_the_in_memory_merge(store: IndexStore, tmp_path: Path) -> None:
    factory = "IVF64,SQ8"

    def chunks():
        return store.iter_vectors("image")

    memory = build_ivf_sharded(chunks, factory, DIM, shard_rows=2_000)
    disk = build_ivf_sharded(chunks, factory, DIM, shard_rows=2_000, lists_beside=tmp_path / "image.faiss")
    assert disk.mapped is not None and memory.mapped is None
    assert [p.name for p in _lists(tmp_path)] == [disk.mapped.path.name]
    assert disk.mapped.sha256 == file_checksum(disk.mapped.path)
    assert not (tmp_path / "image.faiss.shards").exists()  # the scratch shards are gone
    assert disk.ntotal == N and np.array_equal(disk.ids(), memory.ids())
    queries = _clustered(200, seed=1)
    for vi in (memory, disk):
        faiss.extract_index_ivf(vi.index.index).nprobe = 8
    _same_answers(memory, disk, queries)
    truth = exact_top_k(store.iter_vectors("image"), queries, 10)
    assert measure_recall(disk, queries, truth) == measure_recall(memory, queries, truth) >= 0.9


def test_an_on_disk_build_is_tuned_recorded_and_caught_up(store: IndexStore, tmp_path: Path) -> None:
    info = sharded_sync(tmp_path, store, rules=RULES, shard_rows=2_500, ondisk_bytes=ONDISK)["image"]
    (lists,) = _lists(tmp_path)
    assert info["lists"] == lists.name and info["lists_sha256"] == file_checksum(lists)
    assert info["factory"].startswith("IVF") and info["ntotal"] == N and info["recall_at_10"] >= 0.95
    vi = open_vectors(tmp_path, store, "image")
    assert vi is not None and vi.mapped is not None and vi.mapped.path == lists
    queries = _clustered(N + 200)[N:]  # unseen vectors around the same centres
    truth = exact_top_k(store.iter_vectors("image"), queries, 10)
    assert measure_recall(vi, queries, truth) >= 0.95

    # rows committed since the save: a reader searches them beside the mapped lists, in memory
    new = _clustered(300, seed=2)
    _fill(store, new, start=N)
    reader = open_vectors(tmp_path, store, "image")
    assert reader is not None and reader.ntotal == N + 300
    assert _lists(tmp_path) == [lists]  # the list file is never written by a reader
    _, ids = reader.search(new[:20], 10)
    assert all(N + 1 + i in ids[i] for i in range(20))  # each new row is found by its own vector

    # the next writer writes them into a new list file, records it, drops the old one
    again = sync_vectors(tmp_path, store, rules=RULES)["image"]
    (newer,) = _lists(tmp_path)
    assert newer != lists and again["lists"] == newer.name and again["lists_sha256"] == file_checksum(newer)
    assert again["ntotal"] == N + 300 and again["build_seconds"] == info["build_seconds"]  # not rebuilt
    _same_answers(reader, open_vectors(tmp_path, store, "image"), np.vstack([queries, new]))


@pytest.mark.parametrize("damage", ["flip", "truncate", "remove"])
def test_a_damaged_list_file_is_named_and_rebuilt_from_sqlite(
    damage: str, store: IndexStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sharded_sync(tmp_path, store, rules=RULES, ondisk_bytes=ONDISK)
    (lists,) = _lists(tmp_path)
    data = bytearray(lists.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
        lists.write_bytes(bytes(data))
    elif damage == "truncate":  # mapped as it is, a read past its end would kill the process
        lists.write_bytes(bytes(data[: len(data) // 2]))
    else:
        lists.unlink()
    caplog.set_level(logging.WARNING)
    vi = open_vectors(tmp_path, store, "image")  # a reader: an exact copy in memory, with one line
    assert vi is not None and vi.factory == "Flat" and vi.ntotal == N
    assert "inverted-list file is missing or differs from the checksum recorded" in caplog.text
    assert f"when it was written ({lists})" in caplog.text
    caplog.clear()
    info = sync_vectors(tmp_path, store, rules=RULES)["image"]  # the writer: rebuilt, recorded
    assert "rebuilding it from meta.sqlite" in caplog.text
    assert info["ntotal"] == N and "lists" not in info  # (built in one process: in memory)
    assert _lists(tmp_path) == []  # the damaged file is gone with the index that named it


def test_a_moved_index_folder_still_finds_its_list_file(tmp_path: Path) -> None:
    first, moved = tmp_path / "first", tmp_path / "moved"
    first.mkdir()
    queries = _clustered(50, seed=4)
    with IndexStore(first / "meta.sqlite") as store:
        _fill(store, _clustered(N))
        sharded_sync(first, store, rules=RULES, ondisk_bytes=ONDISK)
        vi = open_vectors(first, store, "image")
        assert vi is not None
        before = vi.search(queries, 10)
    first.rename(moved)
    with IndexStore(moved / "meta.sqlite") as store:
        vi = open_vectors(moved, store, "image")
        assert vi is not None and vi.mapped is not None and vi.mapped.path.parent == moved
        after = vi.search(queries, 10)
    np.testing.assert_array_equal(before[1], after[1])


def test_multicap_search_on_an_index_with_its_lists_on_disk(tmp_path: Path) -> None:
    root, photos = tmp_path / "ix", tmp_path / "photos"
    write_noise_images(photos, 6)
    index_paths(root, [photos], open_model("labels", encoder="tiny"))
    with IndexStore(root / "meta.sqlite") as store:
        dim = len(next(iter(store.vectors_of("image", [1]).values())))
        rng = np.random.default_rng(5)
        filler = rng.standard_normal((3_000, dim)).astype(np.float32)
        filler /= np.linalg.norm(filler, axis=1, keepdims=True)
        records = [
            ImageRecord(f"/elsewhere/{i:05d}.png", 1, 1, f"filler{i}", vectors={"image": v})
            for i, v in enumerate(filler)
        ]
        store.add(records)
        info = sharded_sync(root, store, rules=RULES, ondisk_bytes=0)
    assert "lists" in info["image"] and faiss_path(root, "image").with_name(info["image"]["lists"]).is_file()
    moved = tmp_path / "moved"
    root.rename(moved)
    argv = [sys.executable, "-m", "multicap.cli.main", "search", "--image", str(photos / "img003.png")]
    run = subprocess.run(
        [*argv, "--index", str(moved), "--json", "-k", "3"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    hits = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(hits) == 3 and hits[0]["path"] == str((photos / "img003.png").resolve())
    assert "rebuilding" not in run.stderr and "differs" not in run.stderr
