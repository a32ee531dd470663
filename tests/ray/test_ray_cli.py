"""`--engine ray` without the ray extra says in one line what to install (exit 1), and the default commands
never import ray."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from multicap.cli.main import _run
from tests.conftest import REPO, write_noise_images


@pytest.mark.parametrize("command", ["index", "describe", "compare"])
def test_engine_ray_without_the_extra_says_how_to_install_it(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_noise_images(tmp_path / "photos", 3)
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a)
    )
    argv = [command, str(tmp_path / "photos"), "--engine", "ray"]
    assert _run(argv + (["--index", str(tmp_path / "ix")] if command == "index" else [])) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: --engine ray needs the ray extra: pip install -e '.[ray]' in multicap's folder"]
    assert _run([command, str(tmp_path / "photos"), "--engine", "spark"]) == 2  # bad usage, before any work
    from multicap.cli.console import ENGINES
    from multicap.scale import ENGINES as SCALE_ENGINES

    assert ENGINES == SCALE_ENGINES
    assert "'spark' is not one of local, ray" in capsys.readouterr().err


def test_the_local_engine_never_imports_ray(tmp_path: Path) -> None:
    write_noise_images(tmp_path / "photos", 3)
    code = (
        "import sys\n"
        "from multicap.cli.main import _run\n"
        f"code = _run(['index', {str(tmp_path / 'photos')!r}, '--index', {str(tmp_path / 'ix')!r},\n"
        "             '--model', 'labels', '--encoder', 'tiny'])\n"
        "print(code, 'ray' in sys.modules, 'multicap.scale' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.stdout.strip().splitlines()[-1] == "0 False False", run.stderr


def test_an_unreachable_cluster_is_said_in_one_line_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ray retries an address that takes no connection for minutes, printing its own log lines: multicap
    tries the port first."""
    import socket

    pytest.importorskip("ray")
    with socket.socket() as probe:  # a port nobody listens on: bound, never listening
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
        write_noise_images(tmp_path / "photos", 2)
        argv = ["index", str(tmp_path / "photos"), "--index", str(tmp_path / "ix"), "--engine", "ray"]
        assert _run([*argv, "--address", address]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: no Ray cluster at {address}: connection refused")
    assert not (tmp_path / "ix").exists()


@pytest.mark.parametrize("address", ["garbage", "", "localhost:abc", "http://127.0.0.1:8265", "host:70000"])
def test_an_address_that_is_no_host_and_port_is_a_usage_error(
    address: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "garbage" had reached Ray ("ValueError: Invalid address format", exit 1); a dashboard URL a name
    lookup ("name or service not known")."""
    write_noise_images(tmp_path / "photos", 1)
    assert _run(["describe", str(tmp_path / "photos"), "--engine", "ray", "--address", address]) == 2
    assert "give the cluster as HOST:PORT" in capsys.readouterr().err


def test_a_port_of_another_service_or_an_unreachable_ray_address_is_said_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A web server's port (the dashboard's) and an unreachable RAY_ADDRESS had kept Ray retrying for
    minutes, printing its own log lines."""
    import http.server
    import socket
    import threading

    pytest.importorskip("ray")
    write_noise_images(tmp_path / "photos", 1)
    argv = ["describe", str(tmp_path / "photos"), "--engine", "ray"]
    web = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        assert _run([*argv, "--address", f"127.0.0.1:{web.server_port}"]) == 1
    finally:
        web.shutdown()
    assert "answers as another service, not a Ray cluster" in capsys.readouterr().err
    with socket.socket() as probe:  # bound, never listening
        probe.bind(("127.0.0.1", 0))
        monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{probe.getsockname()[1]}")
        assert _run(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "connection refused" in err[0] and "leave out RAY_ADDRESS" in err[0], err


def test_an_address_that_never_answers_a_connection_is_said_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A firewalled host drops the connection attempt (a connect timeout): it had been left to Ray, which
    retries for minutes."""
    pytest.importorskip("ray")
    from multicap.errors import ConfigError
    from multicap.scale import ray_engine

    def dropped(*args: object, **kwargs: object) -> None:
        raise TimeoutError("timed out")

    monkeypatch.setattr(ray_engine.socket, "create_connection", dropped)
    with pytest.raises(ConfigError, match=r"no Ray cluster at 10\.1\.2\.3:6379: timed out"):
        ray_engine._reachable("10.1.2.3:6379")


def test_a_cluster_that_stops_answering_mid_run_is_said_and_the_run_ends_exit_1(tmp_path: Path) -> None:
    """A cluster's head stopped (`ray stop --force`) during `multicap index --engine ray` had left the
    driver waiting inside Ray, which ended it 60 s later with its own log lines and no word of multicap's.
    The watch calls `lost` once the cluster's port has taken no connection for a while (and never after
    the block ends); the CLI's `lost` says why in one line and exits 1 at once."""
    pytest.importorskip("ray")
    from multicap.scale.ray_engine import watch_cluster

    said: list[str] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    address = f"127.0.0.1:{server.getsockname()[1]}"
    watching = watch_cluster(address, said.append, every=0.05, after=0.3)
    ended = watch_cluster(address, said.append, every=0.05, after=0.3)
    time.sleep(0.5)
    assert not said  # answering: nothing said
    ended.set()  # the block is over: this one says nothing
    server.close()
    deadline = time.monotonic() + 10
    while not said and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    assert len(said) == 1 and said[0].startswith(f"the Ray cluster at {address} stopped answering mid-run")
    assert said[0].endswith("run the command again once the cluster is back, or without --engine ray")
    watching.set()
    from multicap.scale.ray_engine import _host_port

    assert _host_port("[::1]:6379") == ("::1", 6379) and _host_port("ray://10.0.0.1:10001") == (
        "10.0.0.1",
        10001,
    )
    with socket.socket() as never:  # bound, never listening: an address that never answered is not watched
        never.bind(("127.0.0.1", 0))  # (a `ray://` client's head may give one this machine cannot reach)
        quiet = watch_cluster(f"127.0.0.1:{never.getsockname()[1]}", said.append, every=0.05, after=0.2)
        time.sleep(0.6)
        quiet.set()
    assert len(said) == 1
    code = "from multicap.cli import console\nconsole.cluster_lost('the cluster stopped')\nprint('on')"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and not run.stdout, run
    assert run.stderr == "error: the cluster stopped\n"
