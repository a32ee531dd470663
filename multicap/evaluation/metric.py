"""The result of one caption metric over a corpus, and the checks every metric makes on its inputs.

Every caption metric takes the same two mappings, both keyed by image id and holding *tokenised* text
(tokens joined by single spaces, as `multicap.text.tokenize.tokenize_captions` writes them):

- `candidates`: image id -> the one generated caption,
- `references`: image id -> the human captions of that image (at least one).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from multicap.errors import DataError

__all__ = ["MetricResult", "check_inputs"]


@dataclass(frozen=True)
class MetricResult:
    """Corpus scores of one metric (several for BLEU-1..4), per-image scores, or why it could not run.

    A metric that cannot run here (METEOR without Java) is *unavailable*: `scores` is empty and
    `unavailable` says why in one line. It never reports 0.0 in place of a score it did not compute.
    """

    name: str  # "BLEU", "METEOR", "ROUGE-L", "CIDEr-D"
    scores: dict[str, float] = field(default_factory=dict)  # {"BLEU-1": 0.71, ...}; empty when unavailable
    per_image: dict[str, list[float]] = field(default_factory=dict)  # same keys, in the order of image_ids
    image_ids: list[Hashable] = field(default_factory=list)  # the order of per_image
    unavailable: str | None = None  # one line saying why the metric did not run

    @property
    def available(self) -> bool:
        return self.unavailable is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "scores": dict(self.scores),
            "available": self.available,
            "unavailable": self.unavailable,
        }


def check_inputs(candidates: Mapping[Any, str], references: Mapping[Any, Sequence[str]]) -> list[Any]:
    """The image ids both mappings share, in the candidates' order; a DataError when they differ."""
    missing_refs = [k for k in candidates if k not in references]
    missing_cands = [k for k in references if k not in candidates]
    if missing_refs or missing_cands:
        parts = []
        if missing_refs:
            parts.append(
                f"{len(missing_refs)} image(s) have a caption but no references: {_few(missing_refs)}"
            )
        if missing_cands:
            parts.append(
                f"{len(missing_cands)} image(s) have references but no caption: {_few(missing_cands)}"
            )
        raise DataError("; ".join(parts) + " (score the same set of images on both sides)")
    if not candidates:
        raise DataError("no captions to score: the predictions are empty")
    empty = [k for k, refs in references.items() if len(refs) == 0]
    if empty:
        raise DataError(f"{len(empty)} image(s) have no reference captions: {_few(empty)}")
    for k, cand in candidates.items():
        if not isinstance(cand, str):
            raise DataError(f"image {k!r}: the caption must be one string, got {type(cand).__name__}")
    return list(candidates)


def _few(ids: Sequence[Any], n: int = 5) -> str:
    shown = ", ".join(repr(i) for i in ids[:n])
    return shown + (f" and {len(ids) - n} more" if len(ids) > n else "")
