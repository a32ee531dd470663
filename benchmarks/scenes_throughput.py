"""Scenes generation throughput (images/s): render only, render + PNG save, and the whole dataset writer.

Baselines, run in the same process: the straightforward renderer (the whole picture drawn at 4x with
float numpy backgrounds and Pillow polygons, then downscaled with a Lanczos filter), and Pillow's PNG
encoder beside ours. Prints one line per measurement, medians of several runs.

    .venv/bin/python benchmarks/scenes_throughput.py [--n 300] [--repeats 5] [--dataset-n 2000] [--workers 2]
"""

from __future__ import annotations

import argparse
import io
import math
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from multicap.data.scenes import ScenesConfig, generate_dataset, render, sample_facts, scene_rng
from multicap.data.scenes.png import encode_png
from multicap.data.scenes.render import SHAPE_OUTLINES
from multicap.facts.scene import SceneFacts
from multicap.facts.scene_words import BACKGROUND_COLOURS, COLOURS


def baseline_render(facts: SceneFacts, size: int, seed: int) -> Image.Image:
    """The naive renderer: everything at 4x in float numpy and Pillow, then a Lanczos downscale."""
    k, rng = 4, np.random.default_rng(seed)
    big = size * k
    base = np.asarray(BACKGROUND_COLOURS[facts.image_attributes["background_colour"]], dtype=np.float32)
    y, x = np.mgrid[0:big, 0:big].astype(np.float32)
    angle = float(rng.uniform(0, math.pi))
    kind = facts.image_attributes["background"]
    t = (x * math.cos(angle) + y * math.sin(angle)) / (big * 1.5)
    if kind == "stripes":
        t = ((t * 10) % 1.0 > 0.5).astype(np.float32)
    elif kind == "checks":
        t = ((x // (big / 6) + y // (big / 6)) % 2).astype(np.float32)
    elif kind == "noise":
        t = rng.random((big, big), dtype=np.float32)
    elif kind == "flat":
        t = np.zeros_like(x)
    img = np.clip(base * 0.7 + t[..., None] * (base * 0.6 + 22), 0, 255).astype(np.uint8)
    canvas = Image.fromarray(img)
    draw = ImageDraw.Draw(canvas)
    for obj in facts.objects:
        x0, y0, x1, y1 = (v * big for v in obj.box)
        colour = COLOURS[obj.attributes["colour"]]
        if obj.label == "circle":
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.polygon(
                [(x0 + px * (x1 - x0), y0 + py * (y1 - y0)) for px, py in SHAPE_OUTLINES[obj.label]],
                fill=colour,
            )
    return canvas.resize((size, size), Image.Resampling.LANCZOS)


def _rate(fn: Callable[[int], None], n: int, repeats: int) -> float:
    """Median images/s over `repeats` runs of `n` images."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for i in range(n):
            fn(i)
        rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="images per timed run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs; the median is reported")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--dataset-n", type=int, default=2000, help="images for the end-to-end dataset run")
    parser.add_argument("--workers", type=int, default=2)
    # /tmp on the shared machine took ~0.95 ms to create a file, the repository's disk ~0.15 ms: write where
    # datasets are written (data/ under the repository), not to /tmp.
    parser.add_argument("--dir", default=".", help="folder for the temporary datasets (default: here)")
    args = parser.parse_args()

    scenes = [(sample_facts(scene_rng(0, i)), i) for i in range(args.n)]

    def ours(i: int) -> None:
        render(scenes[i][0], args.size, scenes[i][1])

    def baseline(i: int) -> None:
        baseline_render(scenes[i][0], args.size, scenes[i][1])

    def ours_png(i: int) -> None:
        encode_png(np.asarray(render(scenes[i][0], args.size, scenes[i][1])))

    def pillow_png(i: int) -> None:
        render(scenes[i][0], args.size, scenes[i][1]).save(io.BytesIO(), format="PNG", compress_level=1)

    r_ours = _rate(ours, args.n, args.repeats)
    r_base = _rate(baseline, max(args.n // 5, 20), args.repeats)
    r_png = _rate(ours_png, args.n, args.repeats)
    r_pillow = _rate(pillow_png, args.n, args.repeats)
    speedup = r_ours / r_base
    print(f"render only, 1 process:        {r_ours:7.1f} images/s (baseline {r_base:6.1f}, x{speedup:.1f})")
    print(f"render + PNG bytes, 1 process: {r_png:7.1f} images/s (with Pillow's PNG encoder {r_pillow:6.1f})")
    config = ScenesConfig(n=args.dataset_n, size=args.size)
    # Every run writes a fresh folder and nothing is deleted until the end: on this machine, creating files
    # right after deleting thousands cost up to ten times more (0.1 -> 1.5 ms per file), which would charge
    # one run for the clean-up of the one before.
    with tempfile.TemporaryDirectory(dir=args.dir) as parent:
        runs = iter(range(100))
        for workers in (1, args.workers):
            walls, cpus = [], []
            for _ in range(3):
                wall, cpu = _writer_run(config, workers, Path(parent) / str(next(runs)))
                walls.append(wall)
                cpus.append(cpu)
            wall, cpu = statistics.median(walls), statistics.median(cpus)
            n = args.dataset_n
            label = f"{workers} process" + ("es" if workers > 1 else "")
            print(
                f"dataset writer, {label}: {n / wall:7.1f} images/s wall; CPU {cpu / n * 1e3:.2f} ms per "
                f"image (user + system, all processes): at most {workers * n / cpu:.0f} images/s on "
                f"{workers} free core(s) (median of 3, n={n})"
            )
    print(f"load average after the run: {os.getloadavg()[0]:.2f} (other jobs on the machine share its cores)")


def _writer_run(config: ScenesConfig, workers: int, folder: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, this process and its workers) of one dataset write.

    CPU time leaves out the time other jobs on a shared machine take from us, so it gives the rate that
    free cores would deliver; wall time is what this run saw.
    """
    before, start = os.times(), time.perf_counter()
    generate_dataset(folder, config, workers=workers)  # the worker pool is joined inside
    after, wall = os.times(), time.perf_counter() - start
    cpu = sum(
        getattr(after, k) - getattr(before, k) for k in ("user", "system", "children_user", "children_system")
    )
    return wall, cpu


if __name__ == "__main__":
    main()
