"""The person SSD's looks at a photo (`multicap.describe.bodies`), for the people detector
(`multicap.describe.people`): its sure bodies (≥ 0.75, and ≥ 0.6 beside one of them); where it is sure of no
one but sees faint figures, a second look at 320 px, where three faint figures are a crowd and fewer count
where the Open Images SSD (`multicap.describe.open_images`) puts a box on them too (`_crowd`); where it finds
only small people in an oblong photo, a closer look at the photo's two end squares (`_closer`). The
thresholds were set on the real-photo benchmark's photos (`benchmarks/people_sizes.py`); the comment on
each gives the margin seen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from multicap.describe.bodies import Body, PersonSSD
from multicap.describe.open_images import OpenImagesSSD

__all__ = ["OVERLAP", "Found", "iou", "ssd_bodies"]

_BODY_MIN_SCORE = 0.75  # SSD score, the middle of the tune photos' margin: without people ≤ 0.64, the
#                         best person of each photo with people (a face alone aside) ≥ 0.86
_BODY_AMONG = 0.6  # SSD score of a further person beside one at _BODY_MIN_SCORE (people come in groups): on
#                     the tune and dev photos with people, 0.61-0.71 were people half hidden or cut by the
#                     frame; without people the best under 0.75 was 0.64, alone (nothing confident beside it)
_FAINT = 0.3  # SSD score of a figure that says nothing alone: on the 286 real photos without people
#               (benchmarks/people_sizes.py), never three of them at 320 px (two on one photo)
_GLIMPSE = 0.2  # SSD score of the least box looked at: a figure only the second detector can confirm
_CONFIRM = 0.25  # score of the Open Images SSD's box that confirms a figure (`open_images`): where it looked,
#                  on none of the 286 real photos without people at 0.2-0.3 (`benchmarks/people_sizes.py`)
_CROWD_HINT = 2  # faint figures at 224 px, with no sure one, that make the SSD look again at 320 px: 40 of
#                  the 346 real photos, 12% of them
_CROWD_SIDE = 320  # px: the second look's input (448 px costs 1.7 times as much: `people_sizes.py`)
_CROWD = 3  # faint figures at 320 px that are people: 5 more of the 60 real photos with people, none of
#             the 286 without (tourists before a gate, musicians on a stage)
_FIGURE_AREA = 0.25  # share of the image a faint figure's box may cover at most
OVERLAP = 0.3  # IoU above which two boxes of one kind are the same thing
_CLOSER_BELOW = 0.5  # the SSD looks closer where every person it found is shorter than this share of the
#                      image (`_closer`): the tune photos' pedestrians are 0.15-0.4 of it, portraits ≥ 0.6
_CLOSER_OBLONG = 1.2  # ... and the image is this much longer than wide (else its squares are itself)
_EDGE = 0.02  # a box within this share of a square's inner edge is cut by it


@dataclass(frozen=True)
class Found:
    """A person's box found by a detector (x0, y0, x1, y1 in 0..1), its confidence (0.5 at the acceptance
    threshold), and whether it is a small faint figure."""

    box: np.ndarray  # (4,) x0, y0, x1, y1 in 0..1
    confidence: float
    faint: bool = False  # a small faint figure (`_crowd`): there may be more people than were found


def ssd_bodies(
    ssd: PersonSSD, images: list[np.ndarray], second: OpenImagesSSD | None = None
) -> list[list[Found]]:
    """The SSD's bodies in each image; where it is sure of no one but sees several faint figures, it looks
    again at a larger scale, and asks `second` (the Open Images SSD) where it has one (`_crowd`); where it
    finds only small people in an oblong image, it looks again, closer (`_closer`)."""
    found: list[list[Found]] = []
    faint: dict[int, np.ndarray] = {}
    asked: dict[int, list[np.ndarray]] = {}  # the second detector's boxes, where it was asked first
    for i, bodies in enumerate(ssd.detect(images, _GLIMPSE)):
        least = _BODY_AMONG if any(b.score >= _BODY_MIN_SCORE for b in bodies) else _BODY_MIN_SCORE
        found.append([Found(b.box, _ssd_confidence(b.score)) for b in bodies if b.score >= least])
        figures = _figures(bodies)
        if found[-1] or len(figures) < _CROWD_HINT:
            continue
        if sum(f.confidence >= _FAINT for f in figures) >= _CROWD_HINT:  # perhaps a crowd
            faint[i] = images[i]
        elif second is not None:
            # Fainter figures: looked at again only where the second detector sees someone (on the 346 real
            # photos, 12 asked, 3 looked at again), and then only what it confirms counts.
            asked[i] = [b.box for b in second.detect(images[i], _CONFIRM)]
            if asked[i]:
                faint[i] = images[i]
    for i, people in _crowd(ssd, faint, second, asked).items():
        found[i] = people
    for i, more in _closer(ssd, images, found).items():
        found[i] = found[i] + more
    return found


def _crowd(
    ssd: PersonSSD,
    images: dict[int, np.ndarray],
    second: OpenImagesSSD | None = None,
    asked: dict[int, list[np.ndarray]] | None = None,
) -> dict[int, list[Found]]:
    """People too small for one sure box: the SSD again at `_CROWD_SIDE` px on each image (index → pixels).
    At least `_CROWD` figures there, each faint, are people, told by their number (a false box rarely has
    company); where there are fewer, a small figure on which `second` puts a box too (`_CONFIRM`) is a
    person, told by two detectors trained on different photos agreeing. `asked`: index → the second
    detector's boxes, where it was asked already, before this look (then only what it confirms counts).
    Index → the people found, each at the acceptance threshold's confidence."""
    out: dict[int, list[Found]] = {}
    if not images:
        return out
    seen = ssd.detect(list(images.values()), _GLIMPSE, side=_CROWD_SIDE)
    for i, bodies in zip(images, seen, strict=True):
        figures = _figures(bodies)
        small = [f for f in figures if f.confidence >= _FAINT and _small(f)]  # (a box over most of the
        #                                                                       frame is no figure)
        other = (asked or {}).get(i)
        if other is None and len(small) >= _CROWD:
            out[i] = [Found(f.box, 0.5, faint=True) for f in small]
        elif second is not None:
            if other is None:
                other = [b.box for b in second.detect(images[i], _CONFIRM)]
            confirmed = [f for f in figures if _small(f) and any(iou(f.box, b) > OVERLAP for b in other)]
            if confirmed:  # (a larger box, over a group seen close, had swallowed a face found already)
                out[i] = [Found(f.box, 0.5, faint=True) for f in confirmed]
    return out


def _small(found: Found) -> bool:
    """Whether a box is small enough to be a figure (a faint box over most of the frame is none)."""
    return bool(np.prod(found.box[2:] - found.box[:2]) <= _FIGURE_AREA)


def _figures(bodies: list[Body]) -> list[Found]:
    """The SSD's boxes with overlapping ones merged into the surest (IoU only: a figure inside a box over
    the whole frame is one more, as `benchmarks/people_sizes.py` counts them)."""
    kept: list[Found] = []
    for b in sorted(bodies, key=lambda b: -b.score):
        if all(iou(b.box, k.box) <= OVERLAP for k in kept):
            kept.append(Found(b.box, b.score))
    return kept


def _closer(ssd: PersonSSD, images: list[np.ndarray], found: list[list[Found]]) -> dict[int, list[Found]]:
    """The bodies in the two squares at the ends of each oblong image whose people found so far are all
    small (a street, a crowd): there the SSD sees them unsquashed and larger, so that people it missed at
    the whole image's scale are found. A box that touches a square's inner edge is left out (the other
    square, or the whole image, sees that person whole). Image index → the bodies, in its coordinates."""
    tiles: list[np.ndarray] = []
    where: list[tuple[int, float, float, bool]] = []  # image, offset, share of the long side, first
    for i, (image, bodies) in enumerate(zip(images, found, strict=True)):
        h, w = image.shape[:2]
        tallest = max((b.box[3] - b.box[1] for b in bodies), default=1.0)
        if not bodies or tallest >= _CLOSER_BELOW or max(h, w) < _CLOSER_OBLONG * min(h, w):
            continue
        side = min(h, w)
        for first, start in ((True, 0), (False, max(h, w) - side)):
            tiles.append(image[:, start : start + side] if w > h else image[start : start + side])
            where.append((i, start / max(h, w), side / max(h, w), first))
    out: dict[int, list[Found]] = {}
    for (i, offset, share, first), seen in zip(where, ssd.detect(tiles, _BODY_MIN_SCORE), strict=True):
        landscape = images[i].shape[1] > images[i].shape[0]
        for b in seen:
            lo, hi = (b.box[0], b.box[2]) if landscape else (b.box[1], b.box[3])
            if (first and hi >= 1 - _EDGE) or (not first and lo <= _EDGE):
                continue  # cut by the square's inner edge
            lo, hi = offset + lo * share, offset + hi * share
            box = np.array([lo, b.box[1], hi, b.box[3]] if landscape else [b.box[0], lo, b.box[2], hi])
            out.setdefault(i, []).append(Found(box, _ssd_confidence(b.score)))
    return out


def _ssd_confidence(score: float) -> float:
    # 0.5 at the threshold, 1 at 1; under 0.5 (0.2 at 0.6) for a person taken beside a confident one
    return 0.5 + (score - _BODY_MIN_SCORE) / (2 * (1 - _BODY_MIN_SCORE))


def iou(a: np.ndarray, b: np.ndarray) -> float:
    wh = np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0.0, None)
    inter = float(wh[0] * wh[1])
    union = float(np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2])) - inter
    return inter / union if union > 0 else 0.0
