"""Fact scores: precision, recall and F1 of predicted scene facts against ground truth, per level.

In the spirit of SPICE's sub-scores, but on facts that are known exactly (the synthetic scenes, COCO with
instance annotations) rather than parsed from reference sentences. Each image's facts become multisets of
tuples, one multiset per level, and the predicted and true multisets are matched exactly:

- **objects**: object labels, ("circle",) once per object. An object whose attributes hold an integer
  "count" (a parser may read "three red circles" as one object) stands for that many, attributes included.
- **attributes**, per kind: (label, kind, value) for every attribute of every object, e.g.
  ("circle", "colour", "red"); image attributes count as ("<image>", kind, value). Kind "count" is derived,
  not read: one ("circle", "count", "3") per distinct label, the number of objects with that label.
- **relations**: (subject label, predicate, object label), e.g. ("circle", "left of", "square").

Matching rule: the number of matches of a tuple is the smaller of its multiplicities on the two sides
(multiset intersection); objects are not aligned one to one, so two red circles predicted as one red and
one blue circle match ("circle", "colour", "red") once. Counts are summed over all images before dividing
(micro-averaged): precision = matches / predicted, recall = matches / true, F1 = 2 matches / (predicted +
true). A ratio with nothing to divide by (no relations anywhere) is None, never a made-up 0 or 1.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from multicap.errors import DataError
from multicap.facts.scene import SceneFacts

__all__ = ["PRF", "FactScores", "fact_scores", "fact_tuples"]

IMAGE = "<image>"  # the "label" of image attributes

Fact = tuple[str, ...]


@dataclass(frozen=True)
class PRF:
    """Matched, predicted and true counts, and the ratios they give (None where undefined)."""

    matched: int = 0
    predicted: int = 0
    true: int = 0

    @property
    def precision(self) -> float | None:
        return self.matched / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.true if self.true else None

    @property
    def f1(self) -> float | None:
        total = self.predicted + self.true
        return 2 * self.matched / total if total else None

    def __add__(self, other: PRF) -> PRF:
        return PRF(self.matched + other.matched, self.predicted + other.predicted, self.true + other.true)

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "matched": self.matched,
            "predicted": self.predicted,
            "true": self.true,
        }


@dataclass(frozen=True)
class FactScores:
    objects: PRF = PRF()
    attributes: dict[str, PRF] = field(default_factory=dict)  # per kind: "colour", "size", "count", ...
    relations: PRF = PRF()
    n_images: int = 0

    @property
    def attributes_all(self) -> PRF:
        """All attribute kinds pooled."""
        return sum(self.attributes.values(), PRF())

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_images": self.n_images,
            "objects": self.objects.to_dict(),
            "attributes": self.attributes_all.to_dict(),
            "attributes_by_kind": {k: v.to_dict() for k, v in sorted(self.attributes.items())},
            "relations": self.relations.to_dict(),
        }


def fact_tuples(facts: SceneFacts) -> dict[str, Counter[Fact]]:
    """The multisets one image's facts are scored by: "objects", "relations", and "attribute:<kind>"."""
    labels: Counter[Fact] = Counter()
    attributes: dict[str, Counter[Fact]] = {}
    for obj in facts.objects:
        times = _multiplicity(obj.attributes.get("count"))
        labels[(obj.label,)] += times
        for kind, value in obj.attributes.items():
            if kind != "count":
                attributes.setdefault(kind, Counter())[(obj.label, kind, str(value))] += times
    for kind, value in facts.image_attributes.items():
        attributes.setdefault(kind, Counter())[(IMAGE, kind, str(value))] += 1
    if labels:
        attributes["count"] = Counter({(label, "count", str(n)): 1 for (label,), n in labels.items()})
    relations: Counter[Fact] = Counter()
    for rel in facts.relations:
        if not (0 <= rel.subject < len(facts.objects) and 0 <= rel.object < len(facts.objects)):
            raise DataError(
                f"relation {rel.predicate!r} refers to object {rel.subject} or {rel.object}, "
                f"but the image has {len(facts.objects)} objects"
            )
        relations[(facts.objects[rel.subject].label, rel.predicate, facts.objects[rel.object].label)] += 1
    out = {"objects": labels, "relations": relations}
    out.update({f"attribute:{kind}": counter for kind, counter in attributes.items()})
    return out


def fact_scores(predicted: Sequence[SceneFacts], truth: Sequence[SceneFacts]) -> FactScores:
    """Micro-averaged fact precision / recall / F1 of predicted against true facts, image by image.

    Args:
        predicted: facts read from the generated text (or a describer), one per image.
        truth: the ground-truth facts of the same images, in the same order.

    Raises:
        DataError: the two lists differ in length, or a relation points at a missing object.
    """
    if len(predicted) != len(truth):
        raise DataError(f"{len(predicted)} predicted fact sets for {len(truth)} images; give one per image")
    totals: dict[str, PRF] = {}
    for pred, true in zip(predicted, truth, strict=True):
        pred_t, true_t = fact_tuples(pred), fact_tuples(true)
        for name in pred_t.keys() | true_t.keys():
            p, t = pred_t.get(name, Counter()), true_t.get(name, Counter())
            score = PRF(sum((p & t).values()), sum(p.values()), sum(t.values()))
            totals[name] = totals.get(name, PRF()) + score
    return FactScores(
        objects=totals.get("objects", PRF()),
        attributes={k.split(":", 1)[1]: v for k, v in totals.items() if k.startswith("attribute:")},
        relations=totals.get("relations", PRF()),
        n_images=len(truth),
    )


def _multiplicity(count: object) -> int:
    text = str(count) if count is not None else ""
    return int(text) if text.isdigit() and int(text) > 0 else 1
