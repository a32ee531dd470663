"""The parser reads back every template's sentences, and fact scores behave as their definition says."""

from __future__ import annotations

import pytest

from multicap.data.scenes import (
    TEMPLATE_COUNTS,
    describe,
    describe_all,
    mentioned_relations,
    parse,
    sample_facts,
    scene_rng,
    stated_facts,
    stated_tuples,
)
from multicap.data.scenes.sampler import layout_facts
from multicap.evaluation import fact_scores
from multicap.facts.geometry import canonical_relation
from multicap.facts.scene import Relation, SceneFacts, SceneObject

N_SCENES = 10_000


def _canonical(relations: list[Relation]) -> set[tuple]:
    return {canonical_relation(r.subject, r.predicate, r.object) for r in relations}


def test_every_level_has_at_least_three_templates() -> None:
    assert set(TEMPLATE_COUNTS) == {"object", "attribute", "layout", "caption"}
    assert all(n >= 3 for n in TEMPLATE_COUNTS.values())


def test_round_trip_on_ten_thousand_scenes_for_every_template() -> None:
    failures: list[str] = []
    for i in range(N_SCENES):
        facts = sample_facts(scene_rng(7, i))
        chain = _canonical(mentioned_relations(facts))
        for level, texts in describe_all(facts).items():
            assert len(set(texts)) == len(texts), f"paraphrases are not distinct: {texts}"
            expected = stated_tuples(facts, level, "mentioned")
            for k, text in enumerate(texts):
                got = parse(text)
                if stated_tuples(got, level) != expected:
                    failures.append(f"scene {i} {level}/{k}: {text}")
                elif level in ("layout", "caption") and _canonical(got.relations) != chain:
                    # These levels name objects in fact order: the relations must match object by object.
                    failures.append(f"scene {i} {level}/{k} relations by index: {text}")
        if len(failures) > 5:
            break
    assert not failures, "\n".join(failures)


def _two_objects() -> SceneFacts:
    red = SceneObject("circle", box=(0.1, 0.4, 0.3, 0.6), attributes={"colour": "red", "size": "medium"})
    blue = SceneObject("square", box=(0.6, 0.4, 0.8, 0.6), attributes={"colour": "blue", "size": "medium"})
    green = SceneObject("star", box=(0.6, 0.05, 0.8, 0.25), attributes={"colour": "green", "size": "small"})
    facts = layout_facts([red, blue, green], {"background": "stripes", "background_colour": "navy"})
    # Reading order: the star (top row) first, then the circle and the square left to right.
    assert [o.label for o in facts.objects] == ["star", "circle", "square"]
    assert [(r.subject, r.predicate, r.object) for r in facts.relations] == [
        (0, "right of", 1),
        (2, "below", 0),
        (2, "right of", 1),
    ]
    return facts


def test_parse_reads_the_issue_example_and_relations_either_way() -> None:
    facts = parse("a red circle to the left of a blue square, with a green star above it")
    labels = [(o.label, o.attributes.get("colour")) for o in facts.objects]
    assert labels == [("circle", "red"), ("square", "blue"), ("star", "green")]
    assert _canonical(facts.relations) == _canonical([Relation(0, "left of", 1), Relation(2, "above", 1)])
    inverted = parse("under the blue square is a red circle")
    assert [(r.subject, r.predicate, r.object) for r in inverted.relations] == [(1, "below", 0)]


def test_parse_keeps_what_it_can_of_noise() -> None:
    assert parse("").objects == []
    facts = parse("lorem ipsum two big crosses dolor beside sit amet")
    assert [(o.label, o.attributes) for o in facts.objects] == [("cross", {"size": "large"})] * 2
    assert facts.relations == []


def test_a_relation_between_like_shapes_one_without_a_colour_is_scored() -> None:
    # Sampled and badly decoded sentences say this; sorting "next to"'s ends once compared None with a word.
    facts = parse("a square at the top left. a red square next to it in the center.")
    relation = ("relation", ("square", None), "next to", ("square", "red"))
    assert stated_tuples(facts, "layout")[relation] == 1


def test_parsed_sentences_score_perfectly_against_what_their_level_states() -> None:
    truth = _two_objects()
    for level in ("object", "attribute", "layout", "caption"):
        for k in range(TEMPLATE_COUNTS[level]):
            scores = fact_scores([parse(describe(truth, level, k))], [stated_facts(truth, level)])
            assert scores.objects.f1 == 1.0 and scores.attributes_all.f1 in (1.0, None), (level, k)
            assert scores.relations.f1 == (1.0 if level in ("layout", "caption") else None)


def test_parsed_mistakes_cost_precision_and_recall() -> None:
    truth = stated_facts(_two_objects(), "layout")
    wrong = parse("a purple circle on the left, and a blue square to the right of it on the right")
    scores = fact_scores([wrong], [truth])
    assert scores.attributes["colour"].precision == 0.5 and scores.attributes["colour"].recall == 1 / 3
    assert scores.relations.matched == 1  # "circle left of square" is right whatever the colour
    flipped = fact_scores([parse("a red circle to the right of a blue square")], [truth])
    assert flipped.relations.matched == 0


@pytest.mark.parametrize("level", ["object", "attribute", "layout", "caption"])
def test_describe_rejects_bad_input(level: str) -> None:
    with pytest.raises(ValueError):
        describe(SceneFacts(), level)
    with pytest.raises(ValueError):
        describe(_two_objects(), "paragraph")
