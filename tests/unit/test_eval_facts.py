"""Fact precision / recall / F1 per level, on hand-worked scenes."""

from __future__ import annotations

import pytest

from multicap.errors import DataError
from multicap.evaluation import fact_scores, fact_tuples
from multicap.facts import Relation, SceneFacts, SceneObject


def _obj(label: str, **attributes: str) -> SceneObject:
    return SceneObject(label=label, attributes=dict(attributes))


TRUTH = SceneFacts(
    objects=[
        _obj("circle", colour="red", size="large"),
        _obj("circle", colour="red", size="small"),
        _obj("square", colour="blue", size="small"),
    ],
    relations=[Relation(0, "left of", 2), Relation(1, "above", 2)],
    image_attributes={"background": "stripes"},
)


def test_perfect_prediction_scores_one_everywhere() -> None:
    scores = fact_scores([TRUTH], [TRUTH])
    assert scores.objects.f1 == scores.relations.f1 == scores.attributes_all.f1 == 1.0
    assert set(scores.attributes) == {"colour", "size", "count", "background"}


def test_hand_worked_partial_prediction() -> None:
    predicted = SceneFacts(
        objects=[
            _obj("circle", colour="red"),  # one circle instead of two, no size
            _obj("square", colour="red", size="small"),  # wrong colour
            _obj("triangle", colour="green"),  # not there
        ],
        relations=[Relation(0, "left of", 1), Relation(0, "below", 1)],
    )
    s = fact_scores([predicted], [TRUTH])
    # objects: predicted {circle, square, triangle}, true {circle x2, square}: 2 matches.
    assert (s.objects.matched, s.objects.predicted, s.objects.true) == (2, 3, 3)
    assert s.objects.precision == pytest.approx(2 / 3) and s.objects.recall == pytest.approx(2 / 3)
    # colour: predicted (circle red), (square red), (triangle green); true (circle red) x2, (square blue).
    colour = s.attributes["colour"]
    assert (colour.matched, colour.predicted, colour.true) == (1, 3, 3)
    # size: predicted (square small); true (circle large), (circle small), (square small).
    size = s.attributes["size"]
    assert (size.matched, size.precision, size.recall) == (1, 1.0, pytest.approx(1 / 3))
    # count: predicted circle 1, square 1, triangle 1; true circle 2, square 1: only square matches.
    count = s.attributes["count"]
    assert (count.matched, count.predicted, count.true) == (1, 3, 2)
    assert count.f1 == pytest.approx(2 * 1 / (3 + 2))
    # background: not predicted, so precision is undefined and recall 0.
    background = s.attributes["background"]
    assert background.precision is None and background.recall == 0.0 and background.f1 == 0.0
    # relations: (circle left of square) matches, (circle below square) does not; one true relation missed.
    assert (s.relations.matched, s.relations.predicted, s.relations.true) == (1, 2, 2)


def test_count_attribute_stands_for_several_objects() -> None:
    predicted = SceneFacts(objects=[_obj("circle", colour="red", count="2"), _obj("square", colour="blue")])
    s = fact_scores([predicted], [TRUTH])
    assert s.objects.matched == 3 and s.objects.predicted == 3
    assert s.attributes["count"].f1 == 1.0
    assert s.attributes["colour"].f1 == 1.0
    assert "count" not in {t[1] for t in fact_tuples(predicted)["attribute:colour"]}


def test_scores_are_summed_over_images_before_dividing() -> None:
    empty = SceneFacts()
    s = fact_scores([TRUTH, empty], [TRUTH, TRUTH])
    assert s.objects.precision == 1.0 and s.objects.recall == 0.5
    assert s.n_images == 2


def test_nothing_anywhere_is_undefined_not_zero() -> None:
    s = fact_scores([SceneFacts()], [SceneFacts()])
    assert s.relations.precision is None and s.relations.recall is None and s.relations.f1 is None
    assert s.to_dict()["relations"]["f1"] is None


def test_bad_inputs_are_data_errors() -> None:
    with pytest.raises(DataError, match="2 predicted fact sets for 1 images"):
        fact_scores([TRUTH, TRUTH], [TRUTH])
    broken = SceneFacts(objects=[_obj("circle")], relations=[Relation(0, "left of", 5)])
    with pytest.raises(DataError, match="refers to object"):
        fact_scores([broken], [TRUTH])
