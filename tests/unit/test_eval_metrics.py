"""BLEU, ROUGE-L and CIDEr-D on hand-worked cases (no reference implementation needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from multicap.evaluation import bleu, cider_d, rouge_l


def test_bleu_hand_worked_precisions() -> None:
    refs = {1: ["the cat is on the mat", "there is a cat on the mat"]}
    result = bleu({1: "the cat sat on the mat"}, refs)
    # unigrams: the x2, cat, on, mat match (5 of 6); bigrams: "the cat", "on the", "the mat" (3 of 5).
    assert result.scores["BLEU-1"] == pytest.approx(5 / 6)
    assert result.scores["BLEU-2"] == pytest.approx(math.sqrt(5 / 6 * 3 / 5))


def test_bleu_brevity_penalty_uses_the_closest_reference_length() -> None:
    refs = {1: ["the cat is on the mat", "there is a cat on the mat"]}
    assert bleu({1: "the cat"}, refs).scores["BLEU-1"] == pytest.approx(math.exp(1 - 6 / 2))
    # Candidate of 5 words, references of 4 and 6: a tie, and the shorter (4) wins, so no penalty.
    tie = bleu({1: "a b c d e"}, {1: ["a b c d", "a b c d e f"]})
    assert tie.scores["BLEU-1"] == pytest.approx(1.0)
    # With only the longer reference the penalty is exp(1 - 6/5).
    longer = bleu({1: "a b c d e"}, {1: ["a b c d e f"]})
    assert longer.scores["BLEU-1"] == pytest.approx(math.exp(1 - 6 / 5))


def test_bleu_is_corpus_level_not_a_mean_of_images() -> None:
    cands = {1: "a b", 2: "c d e f"}
    refs = {1: ["a x"], 2: ["c d e f"]}
    result = bleu(cands, refs)
    assert result.scores["BLEU-1"] == pytest.approx((1 + 4) / (2 + 4))  # 5 matches of 6, summed first
    assert np.mean(result.per_image["BLEU-1"]) == pytest.approx((0.5 + 1.0) / 2)


def test_rouge_l_beta_and_best_over_references() -> None:
    beta2 = 1.2**2
    # LCS("a b c d", "a c e") = 2: P = 2/4, R = 2/3.
    one = rouge_l({1: "a b c d"}, {1: ["a c e"]}).scores["ROUGE-L"]
    assert one == pytest.approx((1 + beta2) * 0.5 * (2 / 3) / (2 / 3 + beta2 * 0.5))
    # Best precision and best recall are taken separately: "a b" adds R = 1.
    two = rouge_l({1: "a b c d"}, {1: ["a c e", "a b"]}).scores["ROUGE-L"]
    assert two == pytest.approx((1 + beta2) * 0.5 * 1.0 / (1.0 + beta2 * 0.5))
    assert rouge_l({1: ""}, {1: ["a b"]}).scores["ROUGE-L"] == 0.0


def test_cider_d_on_one_image_and_hand_worked_penalty() -> None:
    # One image: idf = log(1) - log(1) = 0 for every n-gram, so every vector is 0 (as in coco-caption).
    assert cider_d({1: "a dog"}, {1: ["a dog"]}).scores["CIDEr-D"] == 0.0
    # Two images, each candidate equal to its single reference and sharing nothing with the other image:
    # every cosine is 1 and there is no length penalty, so 4-word captions score 10 (the mean over n = 1..4
    # of 1, times 10), and 2-word ones 5 (no 3- or 4-grams: those cosines are 0).
    four = cider_d(
        {1: "a red ball here", 2: "the blue cube there"}, {1: ["a red ball here"], 2: ["the blue cube there"]}
    )
    assert four.per_image["CIDEr-D"] == pytest.approx([10.0, 10.0])
    two = cider_d({1: "red ball", 2: "blue cube"}, {1: ["red ball"], 2: ["blue cube"]})
    assert two.per_image["CIDEr-D"] == pytest.approx([5.0, 5.0])
    # One word longer than the reference: exp(-1 / 72) on every order that both have.
    longer = cider_d({1: "red ball", 2: "blue cube cube"}, {1: ["red ball"], 2: ["blue cube"]})
    assert longer.per_image["CIDEr-D"][0] == pytest.approx(5.0)
    assert longer.per_image["CIDEr-D"][1] < 5.0 * np.exp(-1 / 72)
