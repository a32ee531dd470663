"""Peak memory of decoding worst-case images (issue 27): one at a time, and a batch through `describe`.

Claim: decoding honours a per-image memory budget, and the peak RSS of a batch of 32 worst-case images
through the grounded describer stays ≤ 2 GB. Each figure comes from a fresh process (`ru_maxrss`), so no
run inherits another's peak. Baseline: the decoding before issue 27 (the whole image decoded, oriented
and converted to RGB at full size, then shrunk), run the same way on the same files.

    .venv/bin/python benchmarks/decode_memory.py             # 32 images in the batch
    .venv/bin/python benchmarks/decode_memory.py --n 8       # quicker

The worst cases: the issue's 13,000 x 13,000 1-bit PNG (a few KB on disk), an 11,000 x 11,000 palette
PNG, an 8,000 x 8,000 16-bit PNG, an 11,000 x 11,000 RGB PNG (121 MP: just within the default budget of
512 MB) and a 12,000 x 12,000 JPEG.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from PIL import Image, ImageDraw, ImageOps

KINDS = ("bilevel.png", "palette.png", "grey16.png", "rgb.png", "photo.jpg")
_SIDE = 360  # the grounded describer's least short side (people need the detail)


def _make(folder: Path) -> list[Path]:
    """Write the worst cases (compressible content: small files, huge images)."""
    made = []
    for name, mode, side in (
        ("bilevel.png", "1", 13_000),
        ("palette.png", "P", 11_000),
        ("grey16.png", "I;16", 8_000),
        ("rgb.png", "RGB", 11_000),
        ("photo.jpg", "RGB", 12_000),
    ):
        path = folder / name
        img = Image.new(mode, (side, side), 0)
        if mode == "P":
            img.putpalette([(i * 37) % 256 for i in range(768)])
        fill = {"1": 1, "P": 7, "I;16": 40_000, "RGB": (200, 120, 40)}[mode]
        ImageDraw.Draw(img).rectangle((side // 4, side // 4, 3 * side // 4, 3 * side // 4), fill=fill)
        img.save(path, quality=85) if name.endswith(".jpg") else img.save(path, compress_level=1)
        del img
        made.append(path)
    return made


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child_one(path: str, how: str) -> dict[str, float]:
    """One image, decoded the new way (`load_image`) or the old way; the peak above the process's own."""
    from multicap.encoders.preprocess import Preprocess
    from multicap.io import load_image, to_rgb

    pre = Preprocess()
    base = _rss_mb()
    start = time.perf_counter()
    if how == "new":
        pixels = pre.to_uint8(load_image(path, min_short_side=_SIDE))
    else:
        Image.MAX_IMAGE_PIXELS = None  # the old guard refused only above 179 MP, like `load_image`
        with warnings.catch_warnings(), Image.open(path) as img:
            warnings.simplefilter("ignore")
            if img.format == "JPEG":
                img.draft("RGB", (_SIDE, _SIDE))
            img.load()
            pixels = pre.to_uint8(to_rgb(ImageOps.exif_transpose(img) or img))
    return {
        "added_mb": _peak_mb() - base,
        "seconds": time.perf_counter() - start,
        "shape": list(pixels.shape),
    }


def _child_batch(paths: list[str]) -> dict[str, float]:
    """The batch through the grounded describer (people on, as `multicap describe`), batch = all."""
    from multicap.describe.describer import create_describer, describe_paths

    describer = create_describer("grounded")
    levels = [lv for lv in describer.levels if lv != "caption"]
    base = _rss_mb()
    start = time.perf_counter()
    n = sum(1 for _ in describe_paths(describer, [Path(p) for p in paths], levels, batch_size=len(paths)))
    return {"n": n, "base_mb": base, "peak_mb": _peak_mb(), "seconds": time.perf_counter() - start}


def _run_child(*args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=32, help="Images in the batch (cycling through the kinds).")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        print(json.dumps(_child_one(rest[0], rest[1]) if kind == "one" else _child_batch(rest)))
        return
    with tempfile.TemporaryDirectory(prefix="decode-memory-") as tmp:
        folder = Path(tmp)
        made = _make(folder)
        print(f"{'image':<12} {'decoded now':>22} {'before issue 27':>22}")
        for path in made:
            new, old = _run_child("one", str(path), "new"), _run_child("one", str(path), "old")
            print(
                f"{path.name:<12} {new['added_mb']:>9.0f} MB {new['seconds']:>6.2f} s "
                f"{old['added_mb']:>11.0f} MB {old['seconds']:>6.2f} s"
            )
        batch = []
        for i in range(args.n):  # hard links: the same bytes, 32 distinct paths
            link = folder / f"{i:02d}_{made[i % len(made)].name}"
            link.hardlink_to(made[i % len(made)])
            batch.append(str(link))
        got = _run_child("batch", *batch)
        ok = "met" if got["peak_mb"] <= 2048 else "NOT met"
        print(
            f"batch of {got['n']:.0f} worst-case images through the grounded describer: peak RSS "
            f"{got['peak_mb']:.0f} MB (model loaded: {got['base_mb']:.0f} MB), {got['seconds']:.1f} s; "
            f"target ≤ 2048 MB {ok}"
        )


if __name__ == "__main__":
    main()
