"""Caption metrics that match coco-caption (BLEU-1..4, METEOR, ROUGE-L, CIDEr-D), fact scores per level,
and retrieval metrics.

    from multicap.evaluation import evaluate_captions
    report = evaluate_captions({1: "a dog on a beach"}, {1: ["a dog runs on the beach", "a brown dog"]})
    report.scores  # {"BLEU-1": ..., "METEOR": ..., "ROUGE-L": ..., "CIDEr-D": ...}
"""

from multicap.evaluation.bleu import bleu
from multicap.evaluation.caption_files import evaluate_files, read_predictions, read_references
from multicap.evaluation.captions import (
    CAPTION_METRICS,
    DEFAULT_METRICS,
    CaptionScores,
    evaluate_captions,
    evaluate_levels,
    list_caption_metrics,
    scores_document,
)
from multicap.evaluation.cider import cider_d
from multicap.evaluation.fact_scores import PRF, FactScores, fact_scores, fact_tuples
from multicap.evaluation.meteor import find_meteor_jar, meteor
from multicap.evaluation.metric import MetricResult
from multicap.evaluation.retrieval import RetrievalScores, retrieval_from_lists, retrieval_scores
from multicap.evaluation.rouge import rouge_l
from multicap.text.tokenize import ptb_tokenize, tokenize_captions

__all__ = [
    "CAPTION_METRICS",
    "DEFAULT_METRICS",
    "PRF",
    "CaptionScores",
    "FactScores",
    "MetricResult",
    "RetrievalScores",
    "bleu",
    "cider_d",
    "evaluate_captions",
    "evaluate_files",
    "evaluate_levels",
    "fact_scores",
    "fact_tuples",
    "find_meteor_jar",
    "list_caption_metrics",
    "meteor",
    "ptb_tokenize",
    "read_predictions",
    "read_references",
    "retrieval_from_lists",
    "retrieval_scores",
    "rouge_l",
    "scores_document",
    "tokenize_captions",
]
