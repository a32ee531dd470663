"""The compositional split holds what train never sees; every split is a pure function of (seed, index)."""

from __future__ import annotations

from collections import Counter

from multicap.data.scenes import SplitConfig, held_out_for, scene_for_index
from multicap.facts.geometry import canonical_relation
from multicap.facts.scene_words import COLOURS, SHAPES

N = 3000


def _combos(facts) -> tuple[set, set]:  # type: ignore[no-untyped-def]
    objs = facts.objects
    pairs = {(o.attributes["colour"], o.label) for o in objs}
    rels = {
        canonical_relation(objs[r.subject].label, r.predicate, objs[r.object].label) for r in facts.relations
    }
    return pairs, rels


def test_compositional_split_is_disjoint_from_train_on_held_out_combinations() -> None:
    held = held_out_for(0)
    assert (
        len(held.pairs) == SplitConfig().held_out_pairs
        and len(held.relations) == SplitConfig().held_out_relations
    )
    splits: Counter[str] = Counter()
    train_pairs: set = set()
    train_rels: set = set()
    comp_pairs: set = set()
    comp_rels: set = set()
    for i in range(N):
        split, scene = scene_for_index(0, i, held)
        splits[split] += 1
        pairs, rels = _combos(scene.facts)
        if split == "test_comp":
            assert pairs & held.pairs or rels & held.relations, scene.facts
            comp_pairs |= pairs & held.pairs
            comp_rels |= rels & held.relations
        else:
            assert not pairs & held.pairs and not rels & held.relations, (split, scene.facts)
            if split == "train":
                train_pairs |= pairs
                train_rels |= rels
    assert not train_pairs & held.pairs and not train_rels & held.relations
    # The held-out combinations do occur, in test_comp: the split tests what it says it tests.
    assert comp_pairs == held.pairs
    assert len(comp_rels) >= len(held.relations) // 2
    # Every colour and every shape is still seen in train; only the combinations are new.
    assert {c for c, _ in train_pairs} == set(COLOURS) and {s for _, s in train_pairs} == set(SHAPES)
    shares = {k: v / N for k, v in splits.items()}
    assert abs(shares["train"] - 0.8) < 0.03 and abs(shares["test_comp"] - 0.1) < 0.02


def test_held_out_choice_follows_the_seed() -> None:
    assert held_out_for(0) == held_out_for(0)
    assert held_out_for(0) != held_out_for(1)
    shapes = [s for _, s in held_out_for(3).pairs]
    assert len(shapes) == len(set(shapes))  # at most one held-out colour per shape


def test_scene_for_index_depends_on_seed_and_index_only() -> None:
    held = held_out_for(2)
    forward = [scene_for_index(2, i, held) for i in range(30)]
    backward = [scene_for_index(2, i, held) for i in reversed(range(30))][::-1]
    assert [(s, sc.facts.to_dict(), sc.render_seed) for s, sc in forward] == [
        (s, sc.facts.to_dict(), sc.render_seed) for s, sc in backward
    ]
