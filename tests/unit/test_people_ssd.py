"""The person SSD's further looks (`multicap.describe.people`), with stand-ins for the detectors: closer at
an oblong image's two ends, a doubtful body beside a sure one, faint figures taken as a crowd or confirmed
by the second detector (the Open Images SSD)."""

from __future__ import annotations

import numpy as np
import pytest

from multicap.describe import bodies, figures, people


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
    found = figures.ssd_bodies(ssd, [image])[0]  # type: ignore[arg-type]
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
    found = figures.ssd_bodies(ssd, [tall, square, empty])  # type: ignore[arg-type]
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
    group = figures.ssd_bodies(_Scores([0.9, 0.65, 0.55]), [image])[0]  # type: ignore[arg-type]
    assert [round(f.confidence, 3) for f in group] == [0.8, 0.3]  # doubtful: under 0.5
    assert figures.ssd_bodies(_Scores([0.64]), [image]) == [[]]  # type: ignore[arg-type]
    [alone] = figures.ssd_bodies(_Scores([0.8]), [image])[0]  # type: ignore[arg-type]
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
    assert figures.ssd_bodies(ssd, [image]) == [[]] and ssd.sides == [224]  # type: ignore[arg-type]
    ssd = _Crowd(faint=2, larger=2)
    assert figures.ssd_bodies(ssd, [image]) == [[]] and ssd.sides == [224, 320]  # type: ignore[arg-type]
    crowd = figures.ssd_bodies(_Crowd(faint=2, larger=3), [image])[0]  # type: ignore[arg-type]
    assert len(crowd) == 3 and all(f.confidence == 0.5 for f in crowd)
    assert [f.box[0] for f in crowd] == pytest.approx([0.0, 0.1, 0.2])
    assert {p.kind for p in people._pair([], crowd)} == {"figure"}  # said "at least three people"
    crowd = figures.ssd_bodies(_Crowd(faint=2, larger=3, whole=True), [image])[0]  # type: ignore[arg-type]
    assert [f.box[0] for f in crowd] == pytest.approx([0.0, 0.1, 0.2])  # the whole frame is no figure,
    assert figures.ssd_bodies(_Crowd(faint=2, larger=2, whole=True), [image]) == [[]]  # nor a third one


class _Second:
    """An Open Images SSD stand-in: a person box at `box` scoring `score` in every image it is shown."""

    def __init__(self, box: list[float], score: float = 0.3) -> None:
        self.box, self.score, self.shown = np.array(box), score, 0

    def detect(self, rgb: np.ndarray, min_score: float) -> list[Body]:
        self.shown += 1
        return [bodies.Body(self.box, self.score)] if self.score >= min_score else []


class _Fainter(_Crowd):
    """`_Crowd` with its figures at `score` at 224 px (0.25: under `_FAINT`, too faint for a crowd) and at
    `larger_score` at 320 px (by default the same), and with `whole` a box over the frame at 320 px,
    honouring `min_score` as the SSD does."""

    def __init__(
        self,
        faint: int,
        larger: int,
        score: float = 0.25,
        larger_score: float | None = None,
        whole: bool = False,
    ) -> None:
        super().__init__(faint, larger, whole)
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
    assert figures.ssd_bodies(ssd, [image]) == [[]] and ssd.sides == [224]  # type: ignore[arg-type]
    second = _Second(_ON_SECOND)
    [found] = figures.ssd_bodies(_Fainter(faint=2, larger=2), [image], second)  # type: ignore[arg-type]
    assert [f.box[0] for f in found] == pytest.approx([0.1]) and second.shown == 1
    assert {p.kind for p in people._pair([], found)} == {"figure"}
    elsewhere = _Second([0.6, 0.1, 0.7, 0.3])
    assert figures.ssd_bodies(_Fainter(2, 2), [image], elsewhere) == [[]]  # type: ignore[arg-type]
    unsure = _Second(_ON_SECOND, score=figures._CONFIRM - 0.01)
    assert figures.ssd_bodies(_Fainter(2, 2), [image], unsure) == [[]]  # type: ignore[arg-type]
    under = _Fainter(2, 2, score=figures._GLIMPSE - 0.01)  # figures under the least score looked at
    assert figures.ssd_bodies(under, [image], _Second(_ON_SECOND)) == [[]]  # type: ignore[arg-type]


def test_fainter_figures_count_only_where_the_second_detector_confirms_them() -> None:
    """Figures under `_FAINT` at 224 px are looked at again only because the second detector saw someone:
    at 320 px three faint figures (0.4) there are no crowd unless it confirms them (its box elsewhere:
    nobody)."""
    image = np.zeros((300, 300, 3), dtype=np.uint8)
    ssd = _Fainter(faint=2, larger=3, larger_score=0.4)
    elsewhere = _Second([0.6, 0.1, 0.7, 0.3])
    assert figures.ssd_bodies(ssd, [image], elsewhere) == [[]]  # type: ignore[arg-type]
    assert ssd.sides == [224, 320]  # it was looked at again, for the box the second detector saw


def test_a_crowd_too_small_at_320_px_is_asked_about_there() -> None:
    """Two faint figures (0.5) at 224 px, two at 320 (0.4): no crowd, but the second detector, asked at
    that point, confirms the one it puts a box on; a crowd of three needs no second opinion."""
    image = np.zeros((300, 300, 3), dtype=np.uint8)
    second = _Second(_ON_SECOND)
    [found] = figures.ssd_bodies(_Crowd(faint=2, larger=2), [image], second)  # type: ignore[arg-type]
    assert [f.box[0] for f in found] == pytest.approx([0.1]) and second.shown == 1
    second = _Second(_ON_SECOND)
    [crowd] = figures.ssd_bodies(_Crowd(faint=2, larger=3), [image], second)  # type: ignore[arg-type]
    assert len(crowd) == 3 and second.shown == 0


def test_a_box_over_most_of_the_frame_is_not_confirmed() -> None:
    """The second detector's box over a group seen close lands on the SSD's box over the whole frame: no
    figure (it had swallowed a face found already, and the layout had lost a person's place)."""
    image = np.zeros((300, 300, 3), dtype=np.uint8)
    ssd = _Fainter(faint=2, larger=2, whole=True)
    assert figures.ssd_bodies(ssd, [image], _Second([0.0, 0.05, 1.0, 0.9])) == [[]]  # type: ignore[arg-type]
