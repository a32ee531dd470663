"""Recall@K, median rank and mAP against hand-worked rankings."""

from __future__ import annotations

import numpy as np
import pytest

from multicap.errors import DataError
from multicap.evaluation import retrieval_from_lists, retrieval_scores


def test_text_to_image_hand_worked() -> None:
    # Three captions, three images; caption q's right image is image q.
    sim = np.array(
        [
            [0.9, 0.1, 0.2],  # right image first: rank 1
            [0.8, 0.3, 0.1],  # right image second: rank 2
            [0.5, 0.4, 0.1],  # right image last: rank 3
        ]
    )
    s = retrieval_scores(sim, np.eye(3, dtype=bool), ks=(1, 2, 5))
    assert s.recall_at == {1: pytest.approx(1 / 3), 2: pytest.approx(2 / 3), 5: 1.0}
    assert s.median_rank == 2.0
    assert s.mean_average_precision == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)
    assert s.n_queries == 3


def test_image_to_image_excludes_self_and_averages_precision() -> None:
    # Four images, labels A A B A. Query 0 (A): gallery order after dropping itself: 3 (A), 2 (B), 1 (A).
    sim = np.array(
        [
            [1.0, 0.2, 0.5, 0.9],
            [0.2, 1.0, 0.1, 0.3],
            [0.5, 0.1, 1.0, 0.4],
            [0.9, 0.3, 0.4, 1.0],
        ]
    )
    labels = np.array(["A", "A", "B", "A"])
    relevant = labels[:, None] == labels[None, :]
    s = retrieval_scores(sim, relevant, ks=(1,), exclude_self=True)
    # q0: hits at ranks 1 and 3: AP = (1/1 + 2/3) / 2. q1: order 3 (A), 0 (A), 2: AP = 1.
    # q2 (B) has no other B: skipped. q3: order 0 (A), 2 (B), 1 (A): AP = (1 + 2/3) / 2.
    assert s.n_queries == 3 and s.n_skipped == 1
    assert s.mean_average_precision == pytest.approx(((1 + 2 / 3) / 2 + 1 + (1 + 2 / 3) / 2) / 3)
    assert s.recall_at[1] == 1.0 and s.median_rank == 1.0


def test_ties_keep_gallery_order() -> None:
    s = retrieval_scores(np.zeros((1, 4)), np.array([[False, False, True, False]]))
    assert s.median_rank == 3.0


def test_ranked_lists_with_misses() -> None:
    ranked = [["b", "a", "c"], ["x", "y"], ["c"]]
    relevant = [{"a"}, {"z"}, {"c", "d"}]
    s = retrieval_from_lists(ranked, relevant, ks=(1, 2))
    # ranks: 2, inf (z never returned), 1. AP: 1/2, 0, (1/1 + 0) / 2.
    assert s.recall_at == {1: pytest.approx(1 / 3), 2: pytest.approx(2 / 3)}
    assert s.median_rank == 2.0
    assert s.mean_average_precision == pytest.approx((0.5 + 0 + 0.5) / 3)
    assert s.to_dict()["R@1"] == pytest.approx(1 / 3)


def test_bad_inputs() -> None:
    with pytest.raises(DataError, match="one shape"):
        retrieval_scores(np.zeros((2, 3)), np.zeros((3, 2), dtype=bool))
    with pytest.raises(DataError, match="no query has a relevant item"):
        retrieval_scores(np.zeros((2, 2)), np.zeros((2, 2), dtype=bool))
    with pytest.raises(DataError, match="square"):
        retrieval_scores(np.zeros((2, 3)), np.ones((2, 3), dtype=bool), exclude_self=True)
