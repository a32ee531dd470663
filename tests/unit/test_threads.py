"""The wait policy chosen at start-up: passive on a busy machine, bounded spinning on a quiet one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from multicap.cli.threads import SPIN_COUNT, configure, machine_busy


def _proc(tmp_path: Path, running: int, load: float) -> Path:
    (tmp_path / "stat").write_text(f"cpu  1 2 3 4\nprocs_running {running}\nprocs_blocked 0\n")
    (tmp_path / "loadavg").write_text(f"{load:.2f} 0.50 0.40 1/200 4242\n")
    return tmp_path


def test_busy_is_another_runnable_process(tmp_path: Path) -> None:
    assert not machine_busy(_proc(tmp_path, 1, 0.1))
    assert machine_busy(_proc(tmp_path, 2, 0.1))  # a competitor running now
    assert not machine_busy(_proc(tmp_path, 1, 1.9))  # the load average (our own last command) is not it
    assert not machine_busy(tmp_path / "missing")  # not Linux: assume quiet


def test_configure_sets_the_policy_and_keeps_the_users() -> None:
    env: dict[str, str] = {}
    assert configure(env, busy=True) == "passive" and env == {"OMP_WAIT_POLICY": "PASSIVE"}
    env = {}
    assert configure(env, busy=False) == "bounded spin" and env == {"GOMP_SPINCOUNT": str(SPIN_COUNT)}
    env = {"OMP_WAIT_POLICY": "ACTIVE"}
    assert configure(env, busy=True) == "user" and env == {"OMP_WAIT_POLICY": "ACTIVE"}


def test_the_command_sets_it_before_torch_is_imported() -> None:
    code = (
        "import os, sys\n"
        "import multicap.cli.main\n"
        "assert 'torch' not in sys.modules\n"
        "print(os.environ.get('OMP_WAIT_POLICY', ''), os.environ.get('GOMP_SPINCOUNT', ''))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() in (["PASSIVE"], [str(SPIN_COUNT)])
