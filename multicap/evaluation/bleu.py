"""BLEU-1..4 (Papineni et al., 2002) with the semantics of coco-caption's scorer.

Corpus BLEU-n is the geometric mean of the clipped n-gram precisions for orders 1..n, each summed over
the whole corpus before dividing, times the brevity penalty exp(1 - r/c) when the total candidate length c
is below the total effective reference length r. For each image the effective reference length is the
length of the reference closest to the candidate's (the shorter one on a tie). As in coco-caption, a tiny
1e-15 is added to every count of matches and 1e-9 to every count of n-grams, so that an empty corpus scores
0 instead of failing; the per-image scores are the same formula applied to one image at a time.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from multicap.evaluation.metric import MetricResult, check_inputs

__all__ = ["bleu"]

_TINY = 1e-15  # added to matched counts
_SMALL = 1e-9  # added to candidate n-gram counts and lengths


def bleu(candidates: Mapping[Any, str], references: Mapping[Any, Sequence[str]], n: int = 4) -> MetricResult:
    """BLEU-1..n of tokenised candidates against tokenised references (see `multicap.evaluation.metric`).

    Returns:
        `MetricResult` named "BLEU" with scores "BLEU-1".."BLEU-n", corpus-level and per image.
    """
    ids = check_inputs(candidates, references)
    totals = _Counts(n)
    per_image: dict[str, list[float]] = {f"BLEU-{k}": [] for k in range(1, n + 1)}
    for k in ids:
        counts = _image_counts(candidates[k], references[k], n)
        totals.add(counts)
        for order, value in enumerate(_bleu_from_counts(counts), start=1):
            per_image[f"BLEU-{order}"].append(value)
    scores = {f"BLEU-{order}": v for order, v in enumerate(_bleu_from_counts(totals), start=1)}
    return MetricResult(name="BLEU", scores=scores, per_image=per_image, image_ids=ids)


class _Counts:
    """What BLEU needs: matched and proposed n-grams per order, candidate and reference length."""

    def __init__(self, n: int) -> None:
        self.matched = [0] * n
        self.proposed = [0] * n
        self.cand_len = 0
        self.ref_len = 0

    def add(self, other: _Counts) -> None:
        for i in range(len(self.matched)):
            self.matched[i] += other.matched[i]
            self.proposed[i] += other.proposed[i]
        self.cand_len += other.cand_len
        self.ref_len += other.ref_len


def _ngrams(words: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(words[i : i + k]) for k in range(1, n + 1) for i in range(len(words) - k + 1))


def _image_counts(candidate: str, refs: Sequence[str], n: int) -> _Counts:
    words = candidate.split()
    counts = _Counts(n)
    counts.cand_len = len(words)
    ref_lens = []
    max_ref: Counter[tuple[str, ...]] = Counter()
    for ref in refs:
        ref_words = ref.split()
        ref_lens.append(len(ref_words))
        max_ref |= _ngrams(ref_words, n)  # element-wise max: the clipping counts
    counts.ref_len = min(ref_lens, key=lambda length: (abs(length - len(words)), length))
    for gram, count in _ngrams(words, n).items():
        counts.matched[len(gram) - 1] += min(count, max_ref[gram])
    counts.proposed = [max(0, len(words) - k + 1) for k in range(1, n + 1)]
    return counts


def _bleu_from_counts(counts: _Counts) -> list[float]:
    """BLEU-1..n from summed statistics, smoothed and length-penalised as coco-caption does."""
    scores: list[float] = []
    product = 1.0
    for matched, proposed in zip(counts.matched, counts.proposed, strict=True):
        product *= (matched + _TINY) / (proposed + _SMALL)
        scores.append(product ** (1.0 / (len(scores) + 1)))
    ratio = (counts.cand_len + _TINY) / (counts.ref_len + _SMALL)
    if ratio < 1:
        scores = [s * math.exp(1 - 1 / ratio) for s in scores]
    return scores
