"""How torch's OpenMP threads wait, chosen at start-up from what the machine is doing.

torch's threads spin while they wait for work (libgomp's default). Alone on its cores that is fastest; when
another process wants a core, the spinning threads take it from both, and multicap slowed 2-6x beside a
second `multicap index` (benchmarks/contention.py). Sleeping instead (OMP_WAIT_POLICY=PASSIVE) keeps it
within 1.0-1.2x of its quiet time there, but costs 5-10% on a quiet machine for loops of small operations
(beam search, the describer's per-image work). So, before torch is imported:

- the machine is busy (another process is runnable in each of `SAMPLES` looks at the run queue, a
  millisecond apart; not the load average, which counts multicap's own previous commands): threads sleep
  while they wait (PASSIVE);
- it is quiet: threads spin, but for at most `SPIN_COUNT` iterations (GOMP_SPINCOUNT; libgomp's default
  is 300,000), so that a competitor starting later costs 1.2-2.3x, not 2.5-5.5x, at no quiet cost.

Settings the user made (OMP_WAIT_POLICY, GOMP_SPINCOUNT) are kept. `multicap` calls `configure()` when it
starts; a library user may call it (this module imports nothing of multicap) before importing torch: later
it changes nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import MutableMapping
from pathlib import Path

__all__ = ["SAMPLES", "SPIN_COUNT", "configure", "machine_busy"]

SAMPLES = 3  # looks at the run queue; busy only if another process is runnable in every one
SPIN_COUNT = 10_000  # iterations a waiting thread spins before sleeping on a quiet machine


def _running(proc: Path) -> int:
    for line in (proc / "stat").read_text().splitlines():
        if line.startswith("procs_running"):
            return int(line.split()[1])
    raise ValueError("no procs_running line")


def machine_busy(proc: Path = Path("/proc")) -> bool:
    """Whether another process keeps a CPU busy now (Linux; elsewhere False)."""
    try:
        counts = []
        for k in range(SAMPLES):
            counts.append(_running(proc))  # counts this process too
            if k + 1 < SAMPLES:
                time.sleep(0.001)
    except (OSError, ValueError, IndexError):
        return False
    return min(counts) > 1


def configure(environ: MutableMapping[str, str] | None = None, busy: bool | None = None) -> str:
    """Set the wait policy in `environ` (default os.environ) unless the user did; returns what was chosen:
    "passive", "bounded spin" or "user"."""
    env = os.environ if environ is None else environ
    if "OMP_WAIT_POLICY" in env or "GOMP_SPINCOUNT" in env:
        return "user"
    if machine_busy() if busy is None else busy:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
        return "passive"
    env["GOMP_SPINCOUNT"] = str(SPIN_COUNT)
    return "bounded spin"
