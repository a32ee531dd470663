"""Score generated captions against references with the COCO metrics, for one level or for each level.

`evaluate_captions` tokenises both sides as coco-caption does (`multicap.text.tokenize`) and runs the
metrics by name from `CAPTION_METRICS`. `evaluate_levels` does the same per level ("object", "attribute",
"layout", "caption"), which is what `multicap evaluate` prints as one table per level; a decoder that
produces captions per level passes its predictions here unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from multicap.errors import DataError, UnknownNameError
from multicap.evaluation.bleu import bleu
from multicap.evaluation.cider import cider_d
from multicap.evaluation.meteor import meteor, meteor_groups
from multicap.evaluation.metric import MetricResult, check_inputs
from multicap.evaluation.rouge import rouge_l
from multicap.text.tokenize import tokenize_captions

__all__ = [
    "CAPTION_METRICS",
    "DEFAULT_METRICS",
    "CaptionScores",
    "evaluate_captions",
    "evaluate_levels",
    "image_key",
    "list_caption_metrics",
]

MetricFn = Callable[[Mapping[Any, str], Mapping[Any, Sequence[str]]], MetricResult]

# name -> scorer over tokenised text; the order is the order of the columns in reports.
CAPTION_METRICS: dict[str, MetricFn] = {
    "bleu": bleu,
    "meteor": meteor,
    "rouge": rouge_l,
    "cider": cider_d,
}
DEFAULT_METRICS: tuple[str, ...] = tuple(CAPTION_METRICS)


def list_caption_metrics() -> list[str]:
    return list(CAPTION_METRICS)


@dataclass(frozen=True)
class CaptionScores:
    """The metrics of one set of captions: corpus scores, per-image scores, and metrics that did not run."""

    image_ids: list[Hashable]
    metrics: list[MetricResult]
    candidates: dict[Any, str] = field(default_factory=dict)  # the captions as given (before tokenising)

    @property
    def scores(self) -> dict[str, float]:
        """Corpus scores by column name: "BLEU-1".."BLEU-4", "METEOR", "ROUGE-L", "CIDEr-D"."""
        return {name: value for m in self.metrics for name, value in m.scores.items()}

    @property
    def unavailable(self) -> dict[str, str]:
        """Metric name -> why it did not run."""
        return {m.name: m.unavailable for m in self.metrics if m.unavailable is not None}

    def per_image(self) -> list[dict[str, Any]]:
        """One row per image: its id, its caption and every per-image score."""
        rows: list[dict[str, Any]] = [
            {"image_id": image_key(k), "caption": self.candidates.get(k, "")} for k in self.image_ids
        ]
        for m in self.metrics:
            for name, values in m.per_image.items():
                for row, value in zip(rows, values, strict=True):
                    row[name] = value
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {"n_images": len(self.image_ids), "scores": self.scores, "unavailable": self.unavailable}


def evaluate_captions(
    predictions: Mapping[Any, str],
    references: Mapping[Any, Sequence[str]],
    metrics: Sequence[str] = DEFAULT_METRICS,
    tokenize: bool = True,
) -> CaptionScores:
    """Score one caption per image against the image's references.

    Args:
        predictions: image id -> generated caption (raw text when `tokenize`).
        references: image id -> reference captions.
        metrics: names from `CAPTION_METRICS`.
        tokenize: tokenise both sides as coco-caption does; False when they already are (tokens joined
            by single spaces).

    Raises:
        DataError: the two sides hold different images, or an image has no references.
        UnknownNameError: a metric name is not registered.
    """
    unknown = [m for m in metrics if m not in CAPTION_METRICS]
    if unknown:
        raise UnknownNameError(
            f"unknown metric(s) {', '.join(unknown)}; choose from {', '.join(CAPTION_METRICS)}"
        )
    ids, cands, refs = _prepared(predictions, references, tokenize)
    results = [CAPTION_METRICS[name](cands, refs) for name in metrics]
    return CaptionScores(image_ids=ids, metrics=results, candidates={k: predictions[k] for k in ids})


def _prepared(
    predictions: Mapping[Any, str], references: Mapping[Any, Sequence[str]], tokenize: bool
) -> tuple[list[Any], dict[Any, str], Mapping[Any, Sequence[str]]]:
    """The images both sides hold, and the captions and references tokenised as coco-caption does (or as
    given, when `tokenize` is False)."""
    ids = check_inputs(predictions, references)
    if tokenize:  # in the references' order, as coco-caption (its lexer reads across captions); then
        order = [k for k in references if k in predictions]  # back in the predictions' order of `ids`
        cands = tokenize_captions({k: predictions[k] for k in order})
        refs = tokenize_captions({k: list(references[k]) for k in order})
        return ids, {k: cands[k][0] for k in ids}, {k: refs[k] for k in ids}
    return ids, {k: predictions[k] for k in ids}, references


def evaluate_levels(
    predictions: Mapping[str, Mapping[Any, str]],
    references: Mapping[str, Mapping[Any, Sequence[str]]],
    metrics: Sequence[str] = DEFAULT_METRICS,
    tokenize: bool = True,
) -> dict[str, CaptionScores]:
    """`evaluate_captions` for each level the predictions hold (level -> image id -> caption).

    Raises:
        DataError: a level has predictions but no references, or the images of a level differ.
    """
    missing = [level for level in predictions if level not in references]
    if missing:
        have = ", ".join(sorted(references)) or "none"
        raise DataError(f"no references at level(s) {', '.join(missing)} (the references have: {have})")
    unknown = [m for m in metrics if m not in CAPTION_METRICS]
    if unknown:
        raise UnknownNameError(
            f"unknown metric(s) {', '.join(unknown)}; choose from {', '.join(CAPTION_METRICS)}"
        )
    prepared = {}
    for level, preds in predictions.items():
        try:
            prepared[level] = _prepared(preds, references[level], tokenize)
        except DataError as exc:
            raise DataError(f"level {level!r}: {exc}") from None
    # METEOR: every level in one start of its jar (seconds each)
    by_meteor = meteor_groups([(c, r) for _, c, r in prepared.values()]) if "meteor" in metrics else []
    out = {}
    for k, (level, (ids, cands, refs)) in enumerate(prepared.items()):
        results = [by_meteor[k] if m == "meteor" else CAPTION_METRICS[m](cands, refs) for m in metrics]
        out[level] = CaptionScores(ids, results, candidates={i: predictions[level][i] for i in ids})
    return out


def scores_document(
    results: Mapping[str, CaptionScores],
    per_image: bool = True,
    settings: Mapping[str, Any] | None = None,
    extra: Mapping[str, Mapping[str, float | None]] | None = None,
) -> dict[str, Any]:
    """A JSON-ready record of per-level results: corpus scores, why metrics did not run, per-image rows.

    Args:
        results: level -> scores, as `evaluate_levels` returns them.
        per_image: include every image's caption and scores.
        settings: how the captions were made or read (decode settings, file paths), kept beside the numbers.
        extra: metric -> level -> a corpus score computed elsewhere (fact F1), added where not None.
    """
    doc: dict[str, Any] = {"settings": dict(settings or {}), "levels": {}}
    for level, scores in results.items():
        entry = scores.to_dict()
        if per_image:
            entry["images"] = scores.per_image()
        doc["levels"][level] = entry
    for metric, by_level in (extra or {}).items():
        for level, value in by_level.items():
            if value is not None and level in doc["levels"]:
                doc["levels"][level]["scores"][metric] = value
    return doc


def image_key(value: Any) -> Any:
    """An image id as multicap compares them: ints (or digit strings) as int, anything else as str."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():  # pandas and NumPy write 42 as 42.0
        return int(value)
    text = str(value)
    # only an int's own digits: "01" had merged with 1, and "²" (a digit to str.isdigit) failed in int()
    return int(text) if text.isascii() and text.isdigit() and str(int(text)) == text else text
