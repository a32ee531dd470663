"""ROUGE-L (Lin, 2004) as coco-caption defines it, on the longest-common-subsequence table of `rouge-score`.

For one image, the LCS of the candidate with each reference gives a precision (LCS / candidate length) and
a recall (LCS / reference length); the best precision and the best recall over the references (taken
separately) combine into F = (1 + b^2) P R / (R + b^2 P) with b = 1.2, or 0 when either is 0. The corpus
score is the mean over images. Sentences are split on single spaces, as coco-caption does, so an empty
candidate is one empty token and scores 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rouge_score.rouge_scorer import _lcs_table  # the package's LCS machinery (no public wrapper)

from multicap.evaluation.metric import MetricResult, check_inputs

__all__ = ["rouge_l"]

BETA = 1.2  # coco-caption's weight of recall over precision


def rouge_l(candidates: Mapping[Any, str], references: Mapping[Any, Sequence[str]]) -> MetricResult:
    """ROUGE-L of tokenised candidates against tokenised references (see `multicap.evaluation.metric`).

    Returns:
        `MetricResult` named "ROUGE-L" with the mean over images and per-image scores.
    """
    ids = check_inputs(candidates, references)
    per_image = [_image_rouge_l(candidates[k], references[k]) for k in ids]
    return MetricResult(
        name="ROUGE-L",
        scores={"ROUGE-L": sum(per_image) / len(per_image)},
        per_image={"ROUGE-L": per_image},
        image_ids=ids,
    )


def lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence of two token lists."""
    return int(_lcs_table(a, b)[-1][-1])


def _image_rouge_l(candidate: str, refs: Sequence[str]) -> float:
    cand = candidate.split(" ")
    best_p = best_r = 0.0
    for ref in refs:
        ref_tokens = ref.split(" ")
        lcs = lcs_length(ref_tokens, cand)
        best_p = max(best_p, lcs / len(cand))
        best_r = max(best_r, lcs / len(ref_tokens))
    if best_p == 0 or best_r == 0:
        return 0.0
    return (1 + BETA**2) * best_p * best_r / (best_r + BETA**2 * best_p)
