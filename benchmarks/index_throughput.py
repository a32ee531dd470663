"""Indexing throughput: images/s of `index_paths` on a folder of JPEGs, as a ratio of the encoder's own
tensors-only throughput measured in the same process.

    python benchmarks/index_throughput.py --jpegs 192
    python benchmarks/index_throughput.py --photos          # the real-photo benchmark's 91 photos
    python benchmarks/index_throughput.py --scenes 500      # generated scenes (224 px PNGs)

The `labels` model is the encoder-only part of the work: decode, resize, encode, hash, store the vectors
and the top labels in SQLite, build the FAISS files (target: ≥ 0.7 of tensors-only). The `grounded` model
adds the describer's region analysis, colours and layout per image; its ratio is printed for information.
A second run over the unchanged folder measures the incremental skip (files/s, nothing decoded).
Tensors-only throughput is measured before and after each indexing run; their mean is the baseline. The
script starts as `multicap` does: `multicap.cli.threads.configure()` chooses how torch's threads wait.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from multicap.cli.threads import configure

configure()  # as the command does before torch loads: how its threads wait, from what the machine is doing

import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from encoder_throughput import make_jpegs, ours_only  # noqa: E402

from multicap.data.scenes import ScenesConfig, generate_dataset  # noqa: E402
from multicap.index.build import index_paths  # noqa: E402
from multicap.index.models import open_model  # noqa: E402

REAL_PHOTOS = Path(__file__).resolve().parent.parent / "data" / "real_photos"


def run(name: str, folder: Path, work: Path, batch: int, seconds: float) -> dict[str, float]:
    model = open_model(name)
    before = ours_only(seconds, batch)
    t, cpu = time.perf_counter(), time.process_time()
    report = index_paths(work / f"idx-{name}", [folder], model, batch_size=batch)
    index_s, cpu_s = time.perf_counter() - t, time.process_time() - cpu
    after = ours_only(seconds, batch)
    t = time.perf_counter()
    again = index_paths(work / f"idx-{name}", [folder], model, batch_size=batch)
    skip_s = time.perf_counter() - t
    tensors = (before + after) / 2
    rate = report.added / index_s
    assert again.unchanged == report.added
    return {
        "index_images_per_s": round(rate, 1),
        "tensors_only_images_per_s": round(tensors, 1),
        "ratio": round(rate / tensors, 3),
        "cpu_ms_per_image": round(cpu_s / report.added * 1000, 1),  # all threads of the process
        "cores_busy": round(cpu_s / index_s / (os.cpu_count() or 1), 2),
        "unchanged_files_per_s": round(again.unchanged / skip_s, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jpegs", type=int, default=192)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=4.0, help="seconds per tensors-only measurement")
    ap.add_argument("--models", nargs="+", default=["labels", "grounded"])
    what = ap.add_mutually_exclusive_group()
    what.add_argument("--photos", action="store_true", help=f"index the photos in {REAL_PHOTOS}")
    what.add_argument("--scenes", type=int, help="index this many generated scenes (224 px PNGs)")
    args = ap.parse_args()
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parent) as tmp:
        work = Path(tmp)
        folder, source = work / "jpegs", {"jpegs": args.jpegs}
        if args.photos:
            folder, source = REAL_PHOTOS, {"photos": len(list(REAL_PHOTOS.glob("*.jpg")))}
            if not source["photos"]:
                sys.exit(f"no photos in {REAL_PHOTOS}: run scripts/fetch_real_photos.py first")
        elif args.scenes:
            folder, source = work / "scenes", {"scenes": args.scenes}
            generate_dataset(folder, ScenesConfig(n=args.scenes), workers=1)
        else:
            folder.mkdir()
            make_jpegs(folder, args.jpegs)
        results = {name: run(name, folder, work, args.batch, args.seconds) for name in args.models}
    print(json.dumps({**source, "batch": args.batch, **results}, indent=2))


if __name__ == "__main__":
    main()
