"""multicap on a busy machine: each job's wall time quiet and beside a competitor, per thread policy.

    .venv/bin/python benchmarks/contention.py                       # every job, condition and policy
    .venv/bin/python benchmarks/contention.py --jobs decode --policies torch,multicap --json

Jobs (each a fresh `multicap` process on the same generated scenes, `--n` of them):
  decode    `multicap describe --model scenes-small` (beam search: loops of small ops)
  describe  `multicap describe --no-people --level all` (the grounded describer)
  index     `multicap index --model grounded-no-people` into a new index
  train     `multicap train --config scenes`, 2 epochs on the same scenes (features cached beforehand),
            a fresh run folder each time
Conditions, each competitor started by this script and stopped after the job:
  quiet     nothing else running
  index     a second `multicap index` process, indexing other scenes again and again
  loop      a one-thread numeric loop (numpy matrix products, one BLAS thread)
Policies (the environment the job starts with):
  torch     OMP_WAIT_POLICY=ACTIVE, OMP_NUM_THREADS = the cores: torch's own defaults, forced (multicap
            leaves the threads alone when these are set)
  multicap  the command as shipped (`multicap.threads`: the policy it picks at start-up)
  passive   OMP_WAIT_POLICY=PASSIVE with every core
  one       OMP_WAIT_POLICY=PASSIVE, one thread
Rounds alternate policies; medians are printed per job, condition and policy, with the slowdown against
the same policy's quiet median, the CPU, the core count and the load.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from search_startup import cpu

JOBS = ("decode", "describe", "index", "train")
CONDITIONS = ("quiet", "index", "loop")
POLICIES = ("torch", "multicap", "passive", "one")
_LOOP = (
    "import numpy as np\n"
    "a = np.random.default_rng(0).standard_normal((256, 256))\n"
    "while True:\n"
    "    a = np.tanh(a @ a.T / 256)\n"
)


def _multicap() -> str:
    beside = Path(sys.executable).with_name("multicap")
    return str(beside) if beside.exists() else (shutil.which("multicap") or "multicap")


def policy_env(policy: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "GOMP_SPINCOUNT")
    }
    cores = str(len(os.sched_getaffinity(0)))
    if policy == "torch":
        env.update(OMP_WAIT_POLICY="ACTIVE", OMP_NUM_THREADS=cores)
    elif policy == "passive":
        env.update(OMP_WAIT_POLICY="PASSIVE", OMP_NUM_THREADS=cores)
    elif policy.startswith("spin"):  # e.g. spin10000: the default policy with libgomp's spinning bounded
        env.update(GOMP_SPINCOUNT=policy[4:], OMP_NUM_THREADS=cores)
    elif policy == "one":
        env.update(OMP_WAIT_POLICY="PASSIVE", OMP_NUM_THREADS="1")
    return env


def job_command(job: str, scenes: Path, work: Path) -> list[str]:
    if job == "train":
        shutil.rmtree(work / "run", ignore_errors=True)
        sets = [
            f"data.corpus={scenes.parent}",
            "data.val_images=8",
            "train.epochs=2",
            f"train.out={work / 'run'}",
        ]
        return [_multicap(), "train", "--config", "scenes", *(a for kv in sets for a in ("--set", kv))]
    if job == "decode":
        return [_multicap(), "describe", str(scenes), "--model", "scenes-small", "--json"]
    if job == "describe":
        return [_multicap(), "describe", str(scenes), "--no-people", "--level", "all", "--json"]
    shutil.rmtree(work / "job-index", ignore_errors=True)
    return [
        _multicap(),
        "index",
        str(scenes),
        "--index",
        str(work / "job-index"),
        "--model",
        "grounded-no-people",
    ]


def start_competitor(condition: str, other: Path, work: Path) -> subprocess.Popen | None:
    if condition == "quiet":
        return None
    if condition == "loop":
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        return subprocess.Popen([sys.executable, "-c", _LOOP], env=env, stdout=subprocess.DEVNULL)
    script = (
        "import subprocess, sys, shutil\n"
        "while True:\n"
        f"    shutil.rmtree({str(work / 'rival-index')!r}, ignore_errors=True)\n"
        f"    subprocess.run([{_multicap()!r}, 'index', {str(other)!r}, '--index', "
        f"{str(work / 'rival-index')!r}, '--model', 'grounded-no-people'], capture_output=True)\n"
    )
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL, start_new_session=True)


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, 9) if proc.pid == os.getpgid(proc.pid) else proc.kill()
    proc.wait()


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    run = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} exited {run.returncode}: {run.stderr.strip()[-300:]}")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=120, help="scenes per job")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", default=",".join(JOBS))
    ap.add_argument("--conditions", default=",".join(CONDITIONS))
    ap.add_argument("--policies", default=",".join(POLICIES))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    jobs, conditions, policies = (a.split(",") for a in (args.jobs, args.conditions, args.policies))
    times: dict[str, dict[str, dict[str, list[float]]]] = {
        j: {c: {p: [] for p in policies} for c in conditions} for j in jobs
    }
    with tempfile.TemporaryDirectory(prefix="contention_") as tmp:
        work = Path(tmp)
        for name, seed in (("scenes", 1), ("other", 2)):
            gen = [
                _multicap(),
                "data",
                "scenes",
                "--out",
                str(work / name),
                "--n",
                str(args.n),
                "--seed",
                str(seed),
            ]
            subprocess.run(gen, check=True, capture_output=True)
        scenes, other = work / "scenes" / "images", work / "other" / "images"
        if "train" in jobs:  # cache the features once, so that each timed run trains
            subprocess.run(job_command("train", scenes, work), check=True, capture_output=True)
        for condition in conditions:
            rival = start_competitor(condition, other, work)
            time.sleep(2.0 if rival else 0.0)  # let it get going
            try:
                for _ in range(args.rounds):
                    for job in jobs:
                        for policy in policies:
                            times[job][condition][policy].append(
                                timed(job_command(job, scenes, work), policy_env(policy))
                            )
            finally:
                stop(rival)
    medians = {
        j: {c: {p: round(statistics.median(v), 2) for p, v in ps.items()} for c, ps in cs.items()}
        for j, cs in times.items()
    }
    result = {
        "n": args.n, "rounds": args.rounds, "cpu": cpu(), "cores": len(os.sched_getaffinity(0)),
        "load_after": round(os.getloadavg()[0], 2), "median_s": medians,
    }  # fmt: skip
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{args.n} scenes, {args.rounds} rounds, {result['cpu']}, {result['cores']} cores")
    print(f"{'job':9} {'condition':9} " + " ".join(f"{p:>22}" for p in policies))
    for j in jobs:
        for c in conditions:
            cells = []
            for p in policies:
                quiet = medians[j].get("quiet", {}).get(p)
                slow = f" ({medians[j][c][p] / quiet:.1f}x)" if quiet and c != "quiet" else ""
                cells.append(f"{medians[j][c][p]:>14.2f} s{slow:>7}")
            print(f"{j:9} {c:9} " + " ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
