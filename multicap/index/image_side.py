"""The image side of a query, stored with the index: an image that is not in the index is embedded in NumPy.

`multicap search --image PHOTO` on a file the index does not hold needs that file's image vector. With the
model that costs `import torch` alone (about 2 s) before any work; this module does the same forward pass
without torch, from what `multicap index` stored beside the index (`query_image.npz`, about 13 MB for
EfficientNet-Lite0): the network's convolutions with their BatchNorm folded in
(`EfficientNetLite.feature_arrays`), and how the index's model reads a file (the least short side it
decodes to, the input side, squash or centre crop, the normalisation). The image vector is then what the
model gives (the unit mean of the final feature map), equal to it within float32 rounding
(tests/unit/test_image_side.py), in about 60 ms a photo (channels last: the depthwise convolutions then
broadcast along contiguous memory; three times faster than channels first). Its matrix products run on
one BLAS thread: small, 49 of them, they had waited for OpenBLAS's second thread to wake on a busy machine
(the image query 0.57 s → 1.2 s wall beside another job; `benchmarks/search_startup.py --image`).

Stored only for models whose image vector is that (the grounded models and `labels` on an
EfficientNet-Lite); for the others the search loads the model, as before.
"""

from __future__ import annotations

import json
import logging
import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from threadpoolctl import threadpool_limits

from multicap.io import load_image
from multicap.io.paths import removed_on_failure

__all__ = ["IMAGE_FILE", "ImageSide", "load_image_side", "said_unreadable", "save_image_side"]

_log = logging.getLogger(__name__)

IMAGE_FILE = "query_image.npz"


@dataclass(frozen=True)
class _Layer:
    w: np.ndarray  # (C_out, C_in/groups, k, k) float32, BatchNorm folded in
    b: np.ndarray  # (C_out,)
    stride: int
    groups: int
    relu6: bool
    residual: int  # -1, or the index of the layer whose input is added to this one's output


def save_image_side(root: Path, arrays: dict[str, np.ndarray], reading: dict[str, Any]) -> None:
    """Write the network's arrays and how the model reads a file (`reading`: identity, min_short_side,
    size, resize, squash, mean, std) to `root / IMAGE_FILE`, whole (written beside, then renamed)."""
    payload: dict[str, Any] = {"reading": np.array(json.dumps(reading, sort_keys=True)), **arrays}
    with removed_on_failure(root / (IMAGE_FILE + ".tmp.npz")) as tmp:
        np.savez(tmp, **payload)
        os.replace(tmp, root / IMAGE_FILE)


def load_image_side(root: Path, identity: dict[str, Any] | None) -> ImageSide | None:
    """The stored image side when it was written for the index's current model (`identity`), else None."""
    path = root / IMAGE_FILE
    if identity is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            reading = json.loads(str(data["reading"]))
            if reading.get("identity") != identity:
                return None  # written for another model
            arrays = {k: data[k] for k in data.files if k != "reading"}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        said_unreadable(path, exc)  # truncated: "BadZipFile" had escaped, and no index run wrote it again
        return None  # the search falls back to the model
    return ImageSide(reading, arrays)


def said_unreadable(path: Path, exc: BaseException) -> None:
    """A warning that a stored query side cannot be read (the next `multicap index` writes it again)."""
    why = str(exc).split(";")[0]  # not numpy's "...; to load it unsafely, use allow_pickle=True"
    _log.warning(
        "%s cannot be read (%s): until `multicap index` writes it again, searches load the model (slower)",
        path,
        f"{type(exc).__name__}: {why}" if why else type(exc).__name__,
    )


class ImageSide:
    """`embed(path)`: the unit image vector of a file, as the index's model computes it."""

    def __init__(self, reading: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.reading = reading
        n = sum(1 for k in arrays if k.endswith(".meta"))
        self.layers = []
        for i in range(n):
            stride, groups, relu6, residual = (int(v) for v in arrays[f"L{i}.meta"])
            w, b = arrays[f"L{i}.w"], arrays[f"L{i}.b"]
            self.layers.append(_Layer(w, b, stride, groups, bool(relu6), residual))

    def embed(self, path: Path) -> np.ndarray:
        """(D,) float32 unit vector. Raises ImageLoadError for a file that cannot be read."""
        img = load_image(path, min_short_side=int(self.reading["min_short_side"]))
        x = np.ascontiguousarray(self.pixels(img).transpose(1, 2, 0))  # (S, S, 3): channels last
        inputs: list[np.ndarray] = []
        with threadpool_limits(limits=1, user_api="blas"):  # (see the module's docstring)
            for layer in self.layers:
                inputs.append(x)
                x = _conv(x, layer)
                if layer.residual >= 0:
                    x += inputs[layer.residual]
        pooled = x.reshape(-1, x.shape[-1]).mean(axis=0)  # (D,)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)

    def pixels(self, img: Image.Image) -> np.ndarray:
        """(3, S, S) float32 normalised input, the pixels `Preprocess.to_uint8` then `normalize` give."""
        r = self.reading
        size = int(r["size"])
        if r["squash"]:
            square = img.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=3.0)
        else:
            w, h = img.size
            scale = int(r["resize"]) / min(w, h)
            nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
            left, top = (nw - size) // 2, (nh - size) // 2
            box = (left / scale, top / scale, (left + size) / scale, (top + size) / scale)
            square = img.resize((size, size), Image.Resampling.BILINEAR, box=box, reducing_gap=3.0)
        arr = np.asarray(square, dtype=np.float32).transpose(2, 0, 1)  # (3, S, S)
        mean = np.array(r["mean"], np.float32).reshape(3, 1, 1) * 255.0
        inv_std = 1.0 / (np.array(r["std"], np.float32).reshape(3, 1, 1) * 255.0)
        return np.ascontiguousarray((arr - mean) * inv_std)


def _same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow SAME padding along one axis, as the network was trained: (before, after)."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _conv(x: np.ndarray, layer: _Layer) -> np.ndarray:
    """One convolution with bias (and ReLU6) on (H, W, C), channels last: 1×1 as a matrix product;
    depthwise and the stem as a sum over the kernel's k × k shifted views of the padded input."""
    c_out, c_in_g, k, _ = layer.w.shape
    h, w, c_in = x.shape
    s = layer.stride
    if k == 1 and s == 1 and layer.groups == 1:
        y = (x.reshape(-1, c_in) @ layer.w.reshape(c_out, c_in_g).T).reshape(h, w, c_out)
    else:
        (top, bottom), (left, right) = _same_pads(h, k, s), _same_pads(w, k, s)
        xp = np.pad(x, ((top, bottom), (left, right), (0, 0)))
        ho, wo = math.ceil(h / s), math.ceil(w / s)
        y = np.zeros((ho, wo, c_out), np.float32)
        tmp = np.empty_like(y)
        for i in range(k):
            for j in range(k):
                view = xp[i : i + s * (ho - 1) + 1 : s, j : j + s * (wo - 1) + 1 : s]  # (ho, wo, C_in)
                if layer.groups == 1:  # the stem: a full convolution over 3 input channels
                    y += (view.reshape(-1, c_in) @ layer.w[:, :, i, j].T).reshape(ho, wo, c_out)
                else:  # depthwise: one filter per channel, in place (no temporary per tap)
                    np.multiply(view, layer.w[:, 0, i, j], out=tmp)
                    y += tmp
    y += layer.b
    if layer.relu6:
        np.clip(y, 0.0, 6.0, out=y)
    return y
