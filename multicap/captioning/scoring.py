"""Score generated captions per level: CIDEr-D and BLEU-4 against references, fact F1 against ground truth.

Fact F1 reads each generated sentence back into facts with the corpus's reader (`multicap.facts.readers`:
the scenes grammar) and matches the tuples that a sentence of that level states (objects with the level's
attributes, relations, background) against the true facts' tuples: micro-averaged over images, multiset
intersection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from multicap.evaluation.captions import evaluate_captions
from multicap.facts import SceneFacts, get_reader

__all__ = ["LevelScores", "fact_f1", "score_levels"]


@dataclass(frozen=True)
class LevelScores:
    level: str
    n_images: int
    cider_d: float
    bleu4: float
    fact_f1: float | None  # None where no ground-truth facts exist

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def fact_f1(texts: Sequence[str], truths: Sequence[SceneFacts], level: str, reader: str = "scenes") -> float:
    """Micro F1 of the facts `reader` reads in `texts` against the facts a `level` sentence of the truth
    states."""
    read = get_reader(reader)
    matched = predicted = true = 0
    for text, truth in zip(texts, truths, strict=True):
        p = read.stated(read.parse(text), level, "stated")
        t = read.stated(truth, level, "mentioned")
        matched += sum((p & t).values())
        predicted += sum(p.values())
        true += sum(t.values())
    return 2 * matched / (predicted + true) if predicted + true else 1.0


def score_levels(
    predictions: Mapping[str, Mapping[Any, str]],
    references: Mapping[str, Mapping[Any, Sequence[str]]],
    facts: Mapping[Any, SceneFacts] | None = None,
    reader: str | None = None,
) -> dict[str, LevelScores]:
    """level → image id → caption, scored against level → image id → references (and facts, if any)."""
    out = {}
    for level, preds in predictions.items():
        scores = evaluate_captions(preds, references[level], metrics=("bleu", "cider")).scores
        f1 = None
        if facts and reader:
            ids = [k for k in preds if k in facts]
            f1 = fact_f1([preds[k] for k in ids], [facts[k] for k in ids], level, reader) if ids else None
        out[level] = LevelScores(level, len(preds), scores["CIDEr-D"], scores["BLEU-4"], f1)
    return out
