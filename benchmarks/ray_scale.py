"""The Ray engine against the local engine on the same images, in the same run.

    python benchmarks/ray_scale.py --n 240 --kills 5

Renders `--n` synthetic scenes, indexes them with the local engine, then with the Ray engine on a local Ray
cluster (started here, 127.0.0.1) with 1 and with 2 workers, and prints per engine:

- images/s end to end (Ray: from the call to the FAISS files written; its workers start and load the model
  inside that time) and in the steady state (from the first shard merged to the last: the per-image rate
  that a long run converges to), and their ratio to the local engine's;
- the Ray overhead per image (steady seconds per image minus the local engine's) and the fixed start
  (cluster start; workers' start and model load);
- whether searches on the Ray-built index return what the local index returns (20 image queries);
- with `--kills K`: K runs whose driver is killed (SIGKILL) at a random point and then rerun, and the
  images lost or indexed twice over them.

The model is opened once per engine before timing starts (the local engine's load is not counted; each Ray
worker's is, in the end-to-end figure).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from multicap.cli.threads import configure

configure()  # as the command does before torch loads: how its threads wait, from what the machine is doing

import ray  # noqa: E402

from multicap.data.scenes import render, sample_facts, scene_rng  # noqa: E402
from multicap.index import search_index  # noqa: E402
from multicap.index.build import index_paths  # noqa: E402
from multicap.index.models import IndexModel, open_model  # noqa: E402
from multicap.scale.ray_engine import ModelSpec, RayEngine  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

_DRIVER = """
import sys
from pathlib import Path
from multicap.index.build import index_paths
from multicap.index.models import open_model
from multicap.scale.ray_engine import ModelSpec, RayEngine, ray_cluster
model = open_model(sys.argv[4], encoder=sys.argv[5] or None)
with ray_cluster(sys.argv[3]):
    engine = RayEngine(ModelSpec.of(model), workers=2, shard_size=8)
    index_paths(Path(sys.argv[1]), [Path(sys.argv[2])], model, engine=engine)
"""


def _scenes(folder: Path, n: int, size: int) -> Path:
    folder.mkdir(parents=True)
    for i in range(n):
        render(sample_facts(scene_rng(31, i)), size=size, seed=i).save(folder / f"scene{i:05d}.png")
    return folder


class _Clock:
    """Progress callback: the time of each merged batch, for the steady-state rate."""

    def __init__(self) -> None:
        self.marks: list[tuple[float, int]] = []

    def __call__(self, n: int) -> None:
        self.marks.append((time.perf_counter(), n))

    def steady(self) -> float:
        if len(self.marks) < 3:
            return float("nan")
        (t0, _), (t1, _) = self.marks[0], self.marks[-1]
        return sum(n for _, n in self.marks[1:]) / (t1 - t0)


def _run(root: Path, photos: Path, model: IndexModel, engine: RayEngine | None) -> dict[str, float]:
    clock = _Clock()
    start = time.perf_counter()
    report = index_paths(root, [photos], model, engine=engine, progress=clock)
    seconds = time.perf_counter() - start
    first = clock.marks[0][0] - start if clock.marks else float("nan")
    return {"n": report.added, "seconds": seconds, "rate": report.added / seconds, "steady": clock.steady(),
            "first": first}  # fmt: skip


def _same_search(a: Path, b: Path, photos: Path, k: int = 10, queries: int = 20) -> int:
    names = sorted(p.name for p in photos.iterdir())[:: max(1, len(list(photos.iterdir())) // queries)][
        :queries
    ]
    same = 0
    for name in names:
        hits = [[h.path for h in search_index(r, image=photos / name, k=k).hits] for r in (a, b)]
        same += hits[0] == hits[1]
    return same


def _kill_and_resume(
    base: Path, photos: Path, args: argparse.Namespace, model: IndexModel, seed: int
) -> dict:
    root = base / f"killed{seed}"
    n = len(list(photos.iterdir()))
    gcs = ray.get_runtime_context().gcs_address
    argv = [sys.executable, "-c", _DRIVER, str(root), str(photos), gcs, args.model, args.encoder or ""]
    driver = subprocess.Popen(argv, cwd=REPO)
    target = random.Random(seed).randint(1, n - 16)  # kill once this many rows are committed
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and driver.poll() is None and _rows(root) < target:
            time.sleep(0.01)
        os.kill(driver.pid, signal.SIGKILL)
    finally:
        driver.wait()
    at_kill = _rows(root)
    report = index_paths(root, [photos], model, engine=RayEngine(ModelSpec.of(model), workers=2))
    with sqlite3.connect(root / "meta.sqlite") as db:
        paths = [p for (p,) in db.execute("SELECT path FROM images")]
    live = set(paths)
    return {"at_kill": at_kill, "total": report.total, "lost": n - len(live), "twice": len(paths) - len(live)}


def _rows(root: Path) -> int:
    try:
        with sqlite3.connect(root / "meta.sqlite") as db:
            return int(db.execute("SELECT COUNT(*) FROM images").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=240, help="images")
    parser.add_argument("--size", type=int, default=128, help="side of each scene, pixels")
    parser.add_argument("--model", default="labels", help="index model (labels: one encoder pass)")
    parser.add_argument("--encoder", default=None, help="its encoder (default: EfficientNet-Lite0)")
    parser.add_argument("--shard", type=int, default=16, help="images per shard (a Ray Data batch)")
    parser.add_argument("--kills", type=int, default=0, help="killed-and-resumed driver runs")
    args = parser.parse_args()
    print(f"cpu: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"load average before: {os.getloadavg()[0]:.2f}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="ray-scale-") as tmp:
        base = Path(tmp)
        photos = _scenes(base / "photos", args.n, args.size)
        model = open_model(args.model, encoder=args.encoder)
        local = _run(base / "local", photos, model, None)
        start = time.perf_counter()
        ray.init(num_cpus=os.cpu_count(), address="local", include_dashboard=False, log_to_driver=False,
                 _node_ip_address="127.0.0.1")  # fmt: skip
        cluster_start = time.perf_counter() - start
        try:
            shown = f"{args.n} scenes of {args.size} px, model {args.model}, shards of {args.shard}"
            print(f"{shown}; Ray cluster start {cluster_start:.1f} s")
            print(f"{'engine':<14}{'images/s':>10}{'ratio':>8}{'steady/s':>10}{'ratio':>8}{'start s':>9}"
                  f"{'overhead ms/img':>17}{'same search':>13}")  # fmt: skip
            print(
                f"{'local':<14}{local['rate']:>10.1f}{1:>8.2f}{local['rate']:>10.1f}{1:>8.2f}{0:>9.1f}{0:>17.1f}"
            )
            spec = ModelSpec.of(model)
            for workers in (1, 2):
                root = base / f"ray{workers}"
                far = _run(root, photos, model, RayEngine(spec, workers=workers, shard_size=args.shard))
                overhead = 1000 * (1 / far["steady"] - 1 / local["rate"])
                same = _same_search(base / "local", root, photos)
                print(
                    f"{f'ray x{workers}':<14}{far['rate']:>10.1f}{far['rate'] / local['rate']:>8.2f}"
                    f"{far['steady']:>10.1f}{far['steady'] / local['rate']:>8.2f}{far['first']:>9.1f}"
                    f"{overhead:>17.1f}{f'{same}/20':>13}"
                )
            lost = twice = 0
            for seed in range(args.kills):
                r = _kill_and_resume(base, photos, args, model, seed)
                lost, twice = lost + r["lost"], twice + r["twice"]
                print(f"killed run {seed + 1}: {r['at_kill']} rows at the kill, {r['total']} after the "
                      f"rerun, lost {r['lost']}, twice {r['twice']}")  # fmt: skip
            if args.kills:
                print(f"over {args.kills} killed-and-resumed runs: lost {lost}, indexed twice {twice}")
        finally:
            ray.shutdown()
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
