"""Where the CPU of `describe` (and so of `index`) goes, stage by stage, and the ratio it allows.

    .venv/bin/python benchmarks/describe_budget.py            # 100 JPEGs (640×480) cut from examples/photos
    .venv/bin/python benchmarks/describe_budget.py --real     # the real-photo benchmark's 91 photos
    .venv/bin/python benchmarks/describe_budget.py --no-people

The describer runs as `describe` runs it (batches of 32, the decoding threads ahead), with torch and
OpenCV on one thread each, so that each stage's CPU is the CPU time of the thread that ran it
(`time.thread_time`, summed over calls; the stages are wrapped, nothing else changes). Per image:

  decode        load_image: the JPEG decoded (draft-scaled where it is large)
  encoder input the photo squashed to 224 px (Pillow)
  people photo  its long side shrunk to 640 px for the face and body detectors
  faces         BlazeFace, both models (`describe.people.detect_people` in the decoding threads)
  green, looks  the vegetation's green texture and the image's colour attributes
  encoder       the forward pass (one thread; a batch of 32)
  bodies        the person SSD, on the photos the classifier's gate sends it (their share is printed)
  facts         regions, object colours, people's clothes, sky, vegetation and the texts

`ceiling` is the encoder's share of all of it: the ratio to the tensors-only encoder that `describe` would
reach if both cores were always busy and nothing but these stages ran (the tensors-only baseline spends
its CPU on the encoder alone). `describe_quality.py --speed` measures the ratio itself.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from multicap.cli.threads import configure

configure()

import cv2  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from encoder_throughput import make_jpegs  # noqa: E402

import multicap.describe.grounded as grounded  # noqa: E402
from multicap.describe import describe_paths  # noqa: E402
from multicap.encoders.encoder import Encoder  # noqa: E402
from multicap.encoders.preprocess import Preprocess  # noqa: E402
from multicap.encoders.runtime import tune_malloc  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
LEVELS = ["object", "attribute", "layout", "caption"]


class Clock:
    """CPU seconds per stage, from the threads that ran it, and calls per stage."""

    def __init__(self) -> None:
        self.cpu: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def wrap(self, owner: Any, name: str, stage: str, count: Callable[..., int] | None = None) -> None:
        inner = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.thread_time()
            try:
                return inner(*args, **kwargs)
            finally:
                with self._lock:
                    self.cpu[stage] += time.thread_time() - start
                    self.calls[stage] += count(*args, **kwargs) if count else 1

        setattr(owner, name, timed)


def budget(paths: list[Path], people: bool) -> dict[str, Any]:
    tune_malloc()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    clock = Clock()
    clock.wrap(grounded, "load_image", "decode")
    clock.wrap(Preprocess, "to_uint8", "encoder input")
    clock.wrap(grounded, "shrink_long_side", "people photo")
    clock.wrap(grounded, "detect_people", "faces")
    clock.wrap(grounded, "green_texture", "green texture")
    clock.wrap(grounded, "image_colour_attributes", "image looks")
    clock.wrap(Encoder, "encode_batch", "encoder")
    clock.wrap(grounded, "add_bodies_batch", "bodies", count=lambda photos, faces: len(photos))
    clock.wrap(grounded.GroundedDescriber, "facts", "facts")
    describer = grounded.GroundedDescriber(grounded.GroundedConfig(people=people))
    list(describe_paths(describer, paths[:8], LEVELS, batch_size=32))  # warm up: models loaded, caches made
    clock.cpu.clear()
    clock.calls.clear()
    start = time.process_time()
    n = sum(1 for _ in describe_paths(describer, paths, LEVELS, batch_size=32))
    total = time.process_time() - start
    stages = {stage: 1e3 * cpu / n for stage, cpu in clock.cpu.items()}
    other = 1e3 * total / n - sum(stages.values())
    return {
        "images": n,
        "ms_per_image": {k: round(v, 2) for k, v in sorted(stages.items(), key=lambda kv: -kv[1])},
        "other_ms": round(other, 2),  # batching, the threads' queues, the CAM product, text joins
        "total_ms": round(1e3 * total / n, 2),
        "bodies_share": round(clock.calls["bodies"] / n, 3),
        "ceiling": round(stages["encoder"] / (1e3 * total / n), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--real", action="store_true", help="the real-photo benchmark's photos")
    parser.add_argument("--no-people", action="store_true", help="the describer without its people detector")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        paths = (
            sorted((REPO / "data" / "real_photos").glob("*.jpg")) if args.real else make_jpegs(Path(tmp), 100)
        )
        if not paths:
            sys.exit("no photos in data/real_photos: run scripts/fetch_real_photos.py first")
        result = budget(paths, people=not args.no_people)
    if args.json:
        print(json.dumps(result))
        return 0
    share = result["bodies_share"]
    print(f"{result['images']} images, CPU ms per image (one thread each; bodies on {share:.0%} of them):")
    for stage, ms in result["ms_per_image"].items():
        print(f"  {stage:14s} {ms:6.2f}")
    print(f"  {'other':14s} {result['other_ms']:6.2f}")
    print(f"  {'total':14s} {result['total_ms']:6.2f}")
    print(f"ceiling (encoder / total): {result['ceiling']:.3f} of the tensors-only encoder")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
