"""The Ray engine on a real local Ray cluster (2 CPUs on 127.0.0.1, started once for the module): its index
equals the local engine's (same rows, same vectors, same search results), a worker killed mid-run is
restarted and its batch retried, a driver killed mid-run loses and duplicates nothing on the rerun, and
`describe` and `compare` on Ray say what they say locally; the command runs with `--engine ray`.
Real scenes rendered to PNG, real SQLite and FAISS; the `tiny` encoder and EfficientNet-Lite0 (`labels`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from multicap.compare.run import compare_files  # noqa: E402
from multicap.describe.describer import create_describer, describe_paths  # noqa: E402
from multicap.index import search_index  # noqa: E402
from multicap.index.build import index_paths  # noqa: E402
from multicap.index.models import IndexModel, open_model  # noqa: E402
from multicap.scale.ray_engine import ModelSpec, RayEngine, ray_cluster  # noqa: E402
from multicap.scale.ray_jobs import compare_on_ray, describe_on_ray  # noqa: E402
from tests.conftest import REPO  # noqa: E402
from tests.ray.scenes import rows, safe_rows, texts, vectors, write_scenes  # noqa: E402

N_LABELS = 96  # scenes indexed with EfficientNet-Lite0 (the kill tests: a few seconds of work to land in)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    ray.init(
        num_cpus=2,
        address="local",
        include_dashboard=False,
        log_to_driver=False,
        _node_ip_address="127.0.0.1",
    )
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
    deadline = time.monotonic() + 20
    while _actor_pids() and time.monotonic() < deadline:  # the workers exit a moment after shutdown
        time.sleep(0.1)
    assert not _actor_pids(), "no Ray worker outlives the module"


@pytest.fixture(scope="module")
def labels() -> IndexModel:
    return open_model("labels")


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory, labels: IndexModel) -> tuple[Path, Path]:
    """(a folder of N_LABELS scenes, its index built by the local engine)."""
    base = tmp_path_factory.mktemp("labels")
    photos, local = base / "photos", base / "local"
    write_scenes(photos, N_LABELS)
    index_paths(local, [photos], labels)
    return photos, local


def _engine(model: IndexModel, shard_size: int = 8) -> RayEngine:
    return RayEngine(ModelSpec.of(model), workers=2, batch_size=8, shard_size=shard_size)


def _actor_pids() -> list[int]:
    """The Ray Data actors of the index pipeline running on this machine (by their process title)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"_IndexWorker" in cmdline:
            found.append(int(entry.name))
    return found


def _assert_same_index(a: Path, b: Path, photos: Path, queries: list[str]) -> None:
    ra, rb = rows(a), rows(b)
    assert [r[1:] for r in ra] == [r[1:] for r in rb]  # paths, stats, hashes, sizes, facts, in the same order
    assert [r[0] for r in ra] == [r[0] for r in rb]  # and the same ids
    assert texts(a) == texts(b)
    for space in ("image", "caption"):
        va, vb = vectors(a, space), vectors(b, space)
        assert va.keys() == vb.keys()
        for path, vec in va.items():
            np.testing.assert_allclose(vec, vb[path], atol=1e-5)
    for name in queries:
        hits = [
            [(h.path, round(h.score, 4)) for h in search_index(r, image=photos / name, k=10).hits]
            for r in (a, b)
        ]
        assert hits[0] == hits[1]


def test_ray_index_equals_the_local_index(cluster: str, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    write_scenes(photos, 200)
    tiny = open_model("labels", encoder="tiny")
    local = index_paths(tmp_path / "local", [photos], tiny)
    with ray_cluster(cluster):  # the module's connection is used and kept
        far = index_paths(tmp_path / "ray", [photos], tiny, engine=_engine(tiny, shard_size=32))
    assert (far.added, far.total, far.failed) == (local.added, local.total, 0) == (200, 200, 0)
    assert far.faiss["image"]["sha256"] == local.faiss["image"]["sha256"]  # the very same FAISS file
    _assert_same_index(tmp_path / "local", tmp_path / "ray", photos, ["scene0000.png", "scene0123.png"])
    assert not (tmp_path / "ray" / "shards").exists()  # every shard merged, then deleted

    # incremental and rename-aware as a local run: a move reuses, a new file is encoded, a gone one retired
    # (the moved file's old path and the removed one are both `deleted`)
    (photos / "scene0007.png").rename(photos / "moved.png")
    write_scenes(tmp_path / "more", 1, seed=99)[0].rename(photos / "new.png")
    (photos / "scene0008.png").unlink()
    again = index_paths(tmp_path / "ray", [photos], tiny, engine=_engine(tiny))
    assert (again.added, again.reused, again.deleted, again.unchanged, again.total) == (1, 1, 2, 198, 200)


def test_a_worker_killed_mid_run_is_restarted_and_its_batch_retried(
    cluster: str, scenes: tuple[Path, Path], labels: IndexModel, tmp_path: Path
) -> None:
    photos, local = scenes
    killed: list[int] = []

    def kill_a_worker(n: int) -> None:  # once the first shard is merged: the pipeline is mid-run
        if not killed and (pids := _actor_pids()):
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    report = index_paths(tmp_path / "ray", [photos], labels, engine=_engine(labels), progress=kill_a_worker)
    assert killed, "a worker should have been killed mid-run"
    assert (report.added, report.total, report.failed) == (N_LABELS, N_LABELS, 0)
    _assert_same_index(local, tmp_path / "ray", photos, ["scene0003.png", "scene0077.png"])


_DRIVER = """
import sys
from pathlib import Path
from multicap.index.build import index_paths
from multicap.index.models import open_model
from multicap.scale.ray_engine import ModelSpec, RayEngine, ray_cluster
model = open_model("labels")
with ray_cluster(sys.argv[3]):
    engine = RayEngine(ModelSpec.of(model), workers=2, batch_size=8, shard_size=8)
    index_paths(Path(sys.argv[1]), [Path(sys.argv[2])], model, engine=engine)
"""


def test_a_driver_killed_mid_run_then_rerun_loses_and_duplicates_nothing(
    cluster: str, scenes: tuple[Path, Path], labels: IndexModel, tmp_path: Path
) -> None:
    photos, local = scenes
    root = tmp_path / "ray"
    driver = subprocess.Popen([sys.executable, "-c", _DRIVER, str(root), str(photos), cluster], cwd=REPO)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and driver.poll() is None:
            if 8 <= len(safe_rows(root)) < N_LABELS - 16:  # some shards merged, most to come
                break
            time.sleep(0.02)
        os.kill(driver.pid, signal.SIGKILL)
    finally:
        driver.wait()
    committed = len(safe_rows(root))
    assert 0 < committed < N_LABELS, "the kill should land mid-run"
    report = index_paths(root, [photos], labels, engine=_engine(labels))
    assert report.unchanged == committed and report.added == N_LABELS - committed
    all_rows = rows(root)
    assert len(all_rows) == N_LABELS and len({r[1] for r in all_rows}) == N_LABELS  # once each
    assert not any(r[-1] for r in all_rows)  # none retired: nothing was written twice
    va, vb = vectors(local), vectors(root)
    assert va.keys() == vb.keys()
    assert max(float(np.abs(va[p] - vb[p]).max()) for p in va) < 1e-5


def test_describe_and_compare_on_ray_say_what_they_say_locally(
    cluster: str, scenes: tuple[Path, Path]
) -> None:
    photos, _ = scenes
    files = sorted(photos.iterdir())[:24]
    local = create_describer("grounded", people=False)
    here = list(describe_paths(local, files, ["object", "attribute", "layout"]))
    far = list(describe_on_ray(files, "grounded", None, options={"people": False}, workers=2))
    assert [d.path for d in far] == [d.path for d in here] == files  # in the files' order
    assert [d.texts for d in far] == [d.texts for d in here]

    mine = compare_files(files, model="labels", clusters=3)
    theirs = compare_on_ray(files, model="labels", clusters=3, workers=2)
    np.testing.assert_allclose(theirs.images.embeddings, mine.images.embeddings, atol=1e-5)
    assert theirs.result.json_lines()[-1] == mine.result.json_lines()[-1]  # none from an index: both encode


def test_the_command_with_engine_ray(cluster: str, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    write_scenes(photos, 20)
    (photos / "broken.png").write_bytes(b"not a png")
    argv = [sys.executable, "-m", "multicap.cli.main", "index", str(photos), "--index", str(tmp_path / "ix")]
    argv += ["--model", "labels", "--encoder", "tiny", "--engine", "ray", "--address", cluster, "--json"]
    run = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert (summary["added"], summary["failed"], summary["total"]) == (20, 1, 20)
    assert "broken.png" in run.stderr
    assert f"Ray: the cluster at {cluster}, 2 CPUs on 1 node; 2 model actors at most" in run.stderr


def test_the_cluster_used_is_said_by_its_origin(cluster: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no address, a cluster started for the run and one already running had read the same."""
    from multicap.scale.ray_engine import _cluster_said

    assert _cluster_said(2).startswith(f"Ray: a cluster started for this run at {cluster} (none was running")
    assert _cluster_said(2, "--address").startswith(f"Ray: the cluster at {cluster}, 2 CPUs on 1 node")
    assert _cluster_said(2, "RAY_ADDRESS").startswith(f"Ray: the cluster at {cluster} (RAY_ADDRESS), 2 CPUs")
    monkeypatch.setattr(ray._private.worker._global_node, "head", False)  # as a driver joining one is
    assert _cluster_said(2).startswith(f"Ray: the cluster already running on this machine, at {cluster}, 2")


def test_a_shard_a_worker_described_without_a_detector_the_driver_has_is_refused(tmp_path: Path) -> None:
    """A node without the Open Images SSD writes "... without open-images-ssd": merged, its rows would be
    described again by every later run; said in one line, as another model's shard is (a leftover one is
    dropped and its files encoded again)."""
    from multicap.errors import DataError
    from multicap.index.plan import IndexReport
    from multicap.index.store import ImageRecord, IndexStore
    from multicap.scale.ray_engine import _Merger
    from multicap.scale.shards import Shard, write_shard

    identity = {"model": "grounded", "encoder": "efficientnet_lite0"}
    record = ImageRecord(
        str(tmp_path / "a.jpg"), 1, 2, "h", 4, 3, {"object": "a dog"}, {}, None, "",
        {"image": np.ones(4, np.float32)}, "grounded 2026-12-07.3 without open-images-ssd",
    )  # fmt: skip
    with IndexStore(tmp_path / "meta.sqlite") as store:
        merge = _Merger(store, {record.path: (1, 2, "h")}, (identity, "grounded 2026-12-07.3"),
                        IndexReport(), lambda error: None, None)  # fmt: skip
        write_shard(tmp_path / "s.npz", Shard(identity, [record]))
        with pytest.raises(DataError, match=r"without open-images-ssd.*on every node"):
            merge(tmp_path / "s.npz", leftover=False)
        merge(tmp_path / "s.npz", leftover=True)
        assert not (tmp_path / "s.npz").exists() and not store.live_files()
