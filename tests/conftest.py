"""Shared fixtures: real image files of every supported kind, made on the fly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.cli_zygote import Zygote

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "photos"


def gradient_rgb(w: int = 96, h: int = 64) -> Image.Image:
    """A deterministic colourful image: red grows left→right, green top→bottom."""
    x = np.linspace(0, 255, w, dtype=np.float32)[None, :].repeat(h, 0)
    y = np.linspace(0, 255, h, dtype=np.float32)[:, None].repeat(w, 1)
    arr = np.stack([x, y, np.full_like(x, 64)], axis=-1).astype(np.uint8)
    return Image.fromarray(arr, "RGB")


def noise_image(seed: int, w: int = 80, h: int = 72) -> Image.Image:
    """A seeded random-noise RGB image: distinct content (and content hash) per seed."""
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "RGB")


def write_noise_images(folder: Path, n: int, start: int = 0, w: int = 80, h: int = 72) -> list[Path]:
    """`n` noise PNGs `img{seed:03d}.png` for seeds start..start+n-1, in `folder` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + n):
        path = folder / f"img{i:03d}.png"
        noise_image(i, w, h).save(path)
        paths.append(path)
    return paths


@pytest.fixture
def image_dir(tmp_path: Path) -> Path:
    """A folder with one valid file per format."""
    img = gradient_rgb()
    img.save(tmp_path / "a.jpg", quality=90)
    img.save(tmp_path / "b.png")
    img.save(tmp_path / "c.webp")
    img.save(tmp_path / "d.bmp")
    img.convert("P").save(tmp_path / "e.gif")
    img.save(tmp_path / "f.tiff")
    return tmp_path


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[str, Path]:
    """One file per kind of bad input."""
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.jpg").write_bytes(b"")
    (bad / "text.png").write_text("this is not an image\n")
    buf = bad / "full.jpg"
    gradient_rgb(256, 256).save(buf, quality=95)
    data = buf.read_bytes()
    (bad / "truncated.jpg").write_bytes(data[: len(data) // 2])
    buf.unlink()
    png = bad / "corrupt.png"
    gradient_rgb(256, 256).save(png)
    corrupt = bytearray(png.read_bytes())
    start = corrupt.index(b"IDAT") + 40
    corrupt[start : start + 400] = bytes(range(200)) * 2  # scribble over the compressed pixels
    png.write_bytes(bytes(corrupt))
    return {
        "missing": bad / "missing.jpg",
        "empty": bad / "empty.jpg",
        "not_image": bad / "text.png",
        "truncated": bad / "truncated.jpg",
        "corrupt": bad / "corrupt.png",
    }


_ZYGOTE: list[Zygote] = []  # this test process's fork server, started by the first run


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    """Run the installed `multicap` command in a process of its own, as a user would: forked from a
    server that has imported torch already (`cli_zygote`), or else (MULTICAP_TEST_FORK=0, or an
    environment that the interpreter reads otherwise at start-up) a new interpreter."""
    exe = Path(sys.executable).parent / "multicap"
    full_env = {**os.environ, **(env or {})}
    if os.environ.get("MULTICAP_TEST_FORK", "1") != "0":
        if not _ZYGOTE:
            _ZYGOTE.append(Zygote(exe))
        if _ZYGOTE[0].takes(full_env):
            return _ZYGOTE[0].run(args, full_env, REPO, timeout)
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, env=full_env, timeout=timeout, cwd=REPO
    )
