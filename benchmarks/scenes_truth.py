"""Score stated differences against the ground-truth change of generated scene pairs.

A difference is a key `(kind, label, before, after)`: `("colour", "circle", "red", "blue")`,
`("position", "square", "left", "top right")`; an added or removed object is `(kind, "red circle")` (its
colour and shape). A pair's truth is read from its two scenes' facts (`make_pair` may reorder the
objects, so the changed object is the one whose facts are in one scene only), never from `compare`'s own
matching.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from multicap.compare.pairs import Difference
from multicap.data.scenes import ScenePair
from multicap.facts import SceneObject

__all__ = ["PairScores", "difference_key", "score_pairs", "true_differences"]

Key = tuple[str | None, ...]
_KIND = {"add": "added", "remove": "removed", "recolour": "colour", "resize": "size", "move": "position"}


def difference_key(diff: Difference) -> Key:
    if diff.kind in ("added", "removed"):
        return (diff.kind, diff.subject)
    return (diff.kind, diff.label, diff.before, diff.after)


def _ident(obj: SceneObject) -> tuple[str, str, str, tuple[float, ...]]:
    return (obj.label, obj.attributes["colour"], obj.attributes["size"], tuple(obj.box))


def true_differences(pair: ScenePair) -> set[Key]:
    """The ground-truth change of a pair as keys; empty for a distractor."""
    before, after = pair.before.facts.objects, pair.after.facts.objects
    kind = _KIND.get(pair.change)
    if kind is None:
        return set()
    old, new = Counter(map(_ident, before)), Counter(map(_ident, after))
    gone, came = list((old - new).elements()), list((new - old).elements())
    if kind in ("added", "removed"):
        return {(kind, f"{colour} {label}") for label, colour, _, _ in (came if kind == "added" else gone)}
    by_label = {o.label: o for o in after if _ident(o) in came}  # the changed object: one per pair
    changed = [(o, by_label[o.label]) for o in before if _ident(o) in gone and o.label in by_label]
    return {(kind, a.label, a.attributes[kind], b.attributes[kind]) for a, b in changed}


@dataclass
class PairScores:
    precision: float  # stated differences that are true / stated (over every pair)
    recall: float  # true differences stated / true (over the changed pairs)
    silent_on_distractors: float  # distractor-only pairs with no difference stated / such pairs
    stated: int
    true: int
    pairs: int


def score_pairs(results: Iterable[tuple[ScenePair, list[Difference]]]) -> PairScores:
    stated = correct = truth_n = found = distractors = silent = pairs = 0
    for pair, diffs in results:
        pairs += 1
        truth = true_differences(pair)
        keys = {difference_key(d) for d in diffs}
        stated += len(keys)
        correct += len(keys & truth)
        truth_n += len(truth)
        found += len(truth & keys)
        if not truth:
            distractors += 1
            silent += not keys
    return PairScores(
        precision=correct / stated if stated else 1.0,
        recall=found / truth_n if truth_n else 1.0,
        silent_on_distractors=silent / distractors if distractors else 1.0,
        stated=stated,
        true=truth_n,
        pairs=pairs,
    )
