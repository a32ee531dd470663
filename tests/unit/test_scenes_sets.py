"""Set tasks: each pair differs by exactly the change it states; groups and queries hold their answers."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from multicap.data.scenes import (
    CHANGE_KINDS,
    DISTRACTOR_KINDS,
    Scene,
    make_clusters,
    make_pair,
    make_queries,
    near_duplicates,
    query_matches,
    render,
    sample_facts,
    scene_rng,
)
from multicap.facts.scene import Relation, SceneFacts, SceneObject


def _objects(facts: SceneFacts) -> list[tuple]:
    return [
        (o.label, o.attributes["colour"], o.attributes["size"], o.attributes["position"])
        for o in facts.objects
    ]


@pytest.mark.parametrize("kind", CHANGE_KINDS)
def test_change_pairs_differ_by_exactly_the_stated_change(kind: str) -> None:
    for i in range(30):
        pair = make_pair(1, i, kind)
        before, after = _objects(pair.before.facts), _objects(pair.after.facts)
        assert pair.change == kind and len(pair.differences) == 1
        text = pair.differences[0]
        # Objects are kept in reading order, so a change may reorder them: compare them as multisets.
        gone, new = (
            list((Counter(before) - Counter(after)).elements()),
            list((Counter(after) - Counter(before)).elements()),
        )
        if kind == "add":
            assert not gone and len(new) == 1 and len(after) == len(before) + 1
            assert f"a {new[0][2]} {new[0][1]} {new[0][0]} was added" in text
        elif kind == "remove":
            assert not new and len(gone) == 1 and len(after) == len(before) - 1 and "was removed" in text
            assert f"{gone[0][2]} {gone[0][1]} {gone[0][0]}" in text
        else:
            assert len(gone) == len(new) == 1, (before, after)
            a, b = gone[0], new[0]
            field = {"recolour": 1, "resize": 2, "move": 3}[kind]
            assert [x != y for x, y in zip(a, b, strict=True)] == [j == field for j in range(4)], (a, b)
            assert b[field] in text or b[field].split()[0] in text
        img_a, img_b = pair.images(64)
        assert np.abs(np.asarray(img_a, dtype=int) - np.asarray(img_b, dtype=int)).max() > 50


@pytest.mark.parametrize("kind", DISTRACTOR_KINDS)
def test_distractor_pairs_change_pixels_but_no_fact(kind: str) -> None:
    for i in range(20):
        pair = make_pair(2, i, kind)
        assert pair.differences == []
        assert _objects(pair.before.facts) == _objects(pair.after.facts)
        assert [r.predicate for r in pair.before.facts.relations] == [
            r.predicate for r in pair.after.facts.relations
        ]
        img_a, img_b = pair.images(96)
        assert not np.array_equal(np.asarray(img_a), np.asarray(img_b))


def test_near_duplicates_stay_closer_to_their_scene_than_another_scene() -> None:
    scene = Scene(sample_facts(scene_rng(0, 11)), 3)
    other = np.asarray(render(sample_facts(scene_rng(0, 12)), 224, 4), dtype=float)
    variants = dict(near_duplicates(scene))
    original = np.asarray(variants.pop("original"), dtype=float)
    assert set(variants) == {"crop", "scale", "jpeg", "rotate", "exposure"}
    assert variants["scale"].size[0] < 224
    far = np.abs(original - other).mean()
    for kind, image in variants.items():
        arr = np.asarray(image.resize((224, 224)), dtype=float)
        assert 0 < np.abs(arr - original).mean() < far, kind


def test_cluster_members_share_exactly_their_cluster_facts() -> None:
    clusters = make_clusters(0, n_clusters=4, per_cluster=6)
    anchors = [{(o.attributes["colour"], o.label) for o in c.shared.objects} for c in clusters]
    for c, own in zip(clusters, anchors, strict=True):
        assert len(c.members) == 6 and c.summary.startswith("every image shows")
        for member in c.members:
            pairs = {(o.attributes["colour"], o.label) for o in member.facts.objects}
            assert own <= pairs
            assert member.facts.image_attributes["background"] == c.shared.image_attributes["background"]
            assert all(not other & pairs for other in anchors if other is not own)
    with pytest.raises(ValueError, match="at least 2"):  # one scene shares all its facts, not only these
        make_clusters(0, n_clusters=1, per_cluster=1)


def test_query_matching_on_a_known_scene() -> None:
    red = SceneObject("circle", box=(0.1, 0.4, 0.3, 0.6), attributes={"colour": "red", "size": "large"})
    sq = SceneObject("square", box=(0.6, 0.4, 0.8, 0.6), attributes={"colour": "blue", "size": "small"})
    facts = SceneFacts(
        [red, sq], [Relation(1, "right of", 0)], {"background": "stripes", "background_colour": "navy"}
    )
    assert query_matches("a red circle left of a square", facts)
    assert query_matches("a blue square to the right of a large red circle", facts)
    assert not query_matches("a red circle right of a square", facts)
    assert not query_matches("a small red circle", facts)
    assert not query_matches("two squares", facts)
    assert query_matches("a red circle on a striped background", facts)
    assert not query_matches("a red circle on a plain background", facts)


def test_made_queries_have_exact_non_empty_relevant_sets() -> None:
    scenes = [sample_facts(scene_rng(9, i)) for i in range(300)]
    queries = make_queries(scenes, n=40, seed=1)
    assert len(queries) == 40 and len({q.text for q in queries}) == 40
    assert {q.kind for q in queries} == {"object", "attribute", "count", "relation", "background"}
    for q in queries:
        assert q.relevant and q.relevant == sorted(q.relevant)
        assert q.relevant == [i for i, f in enumerate(scenes) if query_matches(q.text, f)]
    assert any(len(q.relevant) < len(scenes) // 10 for q in queries)
