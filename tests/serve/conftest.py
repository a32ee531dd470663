"""One small real index (the example photos, the example scenes, a copy of a photo under a hostile name),
built by the real `multicap index`, and one real `multicap serve` on a free loopback port, for the
API and browser tests of this folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, REPO, run_cli

pytest.importorskip("fastapi", reason="the serve extra is not installed (pip install 'multicap[serve]')")
httpx = pytest.importorskip("httpx", reason="httpx is not installed (pip install 'multicap[dev]')")

HOSTILE = "<img src=x onerror=alert(1)>.jpg"  # a copy of chelsea.jpg: a near-duplicate, and a name to escape
SCENES = REPO / "examples" / "scenes" / "images"


@dataclass
class Served:
    url: str
    home: Path  # MULTICAP_INDEX_DIR
    root: Path  # the index folder
    photos: Path  # the indexed folder
    process: subprocess.Popen
    ids: dict[str, int]  # file name -> image id

    def get(self, path: str, **kw) -> httpx.Response:
        return httpx.get(self.url + path, timeout=120, **kw)

    def post(self, path: str, **kw) -> httpx.Response:
        return httpx.post(self.url + path, timeout=120, **kw)


def make_collection(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for p in EXAMPLES.glob("*.jpg"):
        shutil.copy(p, folder / p.name)
    for p in sorted(SCENES.glob("*.png")):
        shutil.copy(p, folder / f"scene {p.name}")
    shutil.copy(EXAMPLES / "chelsea.jpg", folder / HOSTILE)
    (folder / "swap").mkdir()
    shutil.copy(EXAMPLES / "camera.jpg", folder / "swap" / "swapped.jpg")
    return folder


def start_server(home: Path, index: str, *extra: str) -> tuple[subprocess.Popen, str]:
    """`multicap serve --port 0` (a free port), waiting for the line that says where it listens."""
    exe = Path(sys.executable).parent / "multicap"
    env = {**os.environ, "MULTICAP_INDEX_DIR": str(home)}
    proc = subprocess.Popen(
        [str(exe), "serve", "--index", index, "--port", "0", *extra],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env, cwd=REPO,
    )  # fmt: skip
    assert proc.stderr is not None
    line = proc.stderr.readline()
    match = re.search(r"at (http://127\.0\.0\.1:\d+) ", line)
    if match is None:
        proc.kill()
        raise AssertionError(f"multicap serve did not start: {line}{proc.stderr.read()}")
    threading.Thread(target=proc.stderr.read, daemon=True).start()  # drain it: a full pipe would block
    return proc, match.group(1)


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    base = tmp_path_factory.mktemp("serve")
    yield from _index_and_serve(make_collection(base / "photos"), base / "indexes", "web")


def _index_and_serve(folder: Path, home: Path, index: str, *index_args: str) -> Iterator[Served]:
    """`multicap index FOLDER` into `home`/`index`, then `multicap serve` on it until the session ends."""
    r = run_cli("index", str(folder), "--index", index, *index_args, env={"MULTICAP_INDEX_DIR": str(home)})
    assert r.returncode == 0, r.stderr
    proc, url = start_server(home, index)
    listing = httpx.get(url + "/api/images", params={"limit": 500}, timeout=60).json()
    ids = {im["name"]: im["id"] for im in listing["images"]}
    yield Served(url, home, home / index, folder, proc, ids)
    stop_server(proc)


def wait_for(check, seconds: float = 120.0):  # type: ignore[no-untyped-def]
    """Poll `check()` until it returns a true value (or fail after `seconds`)."""
    end = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > end:
            assert value, "timed out"
            return value
        time.sleep(0.3)


@pytest.fixture(scope="session")
def bundle_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Four example scenes indexed with the shipped `scenes-small` captioner: a model with attention."""
    base = tmp_path_factory.mktemp("serve-bundle")
    scenes = base / "scenes"
    scenes.mkdir()
    for p in sorted(SCENES.glob("*.png"))[:4]:
        shutil.copy(p, scenes / p.name)
    yield from _index_and_serve(scenes, base / "indexes", "scenes", "--model", "scenes-small")
