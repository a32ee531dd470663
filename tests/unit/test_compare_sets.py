"""Near-duplicate groups (exact and IVF range search), keepers, clusters, outliers, on real vectors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from multicap.compare import duplicate_groups, pixel_signature, signature
from multicap.compare import duplicates as dup_module
from multicap.compare.duplicates import connected_groups, pick_keeper
from multicap.data.scenes import Scene, near_duplicates, sample_facts, scene_rng


@pytest.fixture(scope="module")
def encoder():  # the grounded describer's encoder: the pooled vectors an index stores
    from multicap.describe.grounded import GroundedDescriber

    return GroundedDescriber().encoder


def _signatures(encoder, images) -> np.ndarray:
    with torch.inference_mode():
        feats = encoder.encode_batch(torch.stack([encoder.preprocess.to_uint8(im) for im in images]))
    return signature(feats.pooled.numpy(), np.stack([pixel_signature(im) for im in images]))


def _planted(n: int, d: int, seed: int) -> tuple[np.ndarray, list[list[int]]]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    truth = [[0, 1, 5], [7, n - 1], [100, 101]]
    for group in truth:
        for m in group[1:]:
            x[m] = x[group[0]] + 0.05 * rng.standard_normal(d)
    return x / np.linalg.norm(x, axis=1, keepdims=True), truth


def test_near_duplicate_groups_of_scenes_at_the_default_threshold(encoder) -> None:
    """Eight scenes, each with its five edits (crop, scale, JPEG, rotation, exposure): no group mixes two
    scenes, and at least 90% of the true pairs are found (a crop can cut an object off)."""
    images, scene_of = [], []
    for i in range(8):
        rng = scene_rng(5, i, 77)
        scene = Scene(sample_facts(rng), int(rng.integers(2**31)))
        variants = near_duplicates(scene, seed=i)
        images += [im for _, im in variants]
        scene_of += [i] * len(variants)
    groups = duplicate_groups(_signatures(encoder, images))
    assert all(len({scene_of[m] for m in g.members}) == 1 for g in groups)
    assert all(g.similarity >= dup_module.DEFAULT_THRESHOLD for g in groups)
    found = sum(len(g.members) * (len(g.members) - 1) // 2 for g in groups)
    assert found >= 0.9 * 8 * (6 * 5 // 2)
    assert len(groups) >= 7  # nearly every scene is found as a group


def test_ivf_range_search_finds_the_groups_the_exact_one_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    x, truth = _planted(3000, 32, 0)
    exact = [g.members for g in duplicate_groups(x, 0.9)]
    monkeypatch.setattr(dup_module, "EXACT_UNTIL", 100)
    approx = [g.members for g in duplicate_groups(x, 0.9)]
    assert sorted(map(sorted, exact)) == sorted(map(sorted, approx)) == sorted(truth)


def test_union_find_joins_chains_and_keeper_prefers_pixels_then_age() -> None:
    pairs = np.array([[0, 1], [1, 2], [4, 5], [7, 6]])
    assert connected_groups(8, pairs) == [[0, 1, 2], [4, 5], [6, 7]]
    order = [(-100, 5.0), (-400, 9.0), (-400, 3.0), (-1, 0.0)]  # (fewest pixels first negated, mtime)
    assert pick_keeper([0, 1, 2, 3], order) == 2  # most pixels, then the older
    assert pick_keeper([3, 1]) == 1  # no order: the first
    x, _ = _planted(300, 16, 1)
    groups = duplicate_groups(x, 0.9, keep_order=[(-p,) for p in range(300)])
    assert [g.keeper for g in groups] == [5, 299, 101] and all(g.members[0] == g.keeper for g in groups)


def test_the_keeper_is_a_file_the_way_up_its_sky_says(tmp_path) -> None:
    """Of copies alike in pixels and bytes: a file over a link to it, and one with its sky at the top over
    one turned upside down (older: it had been kept)."""
    from pathlib import Path

    from multicap.compare.collect import ImageSet
    from multicap.describe.description import Description
    from multicap.facts import SceneFacts, SceneObject

    def photo(name: str, sky_top: float | None) -> Description:
        found = {"found_by": "pixels"}
        objects = (
            [] if sky_top is None else [SceneObject("sky", 0.7, (0.0, sky_top, 1.0, sky_top + 0.3), found)]
        )
        return Description(Path(name), SceneFacts([SceneObject("alp", 0.9), *objects], [], {}))

    (tmp_path / "up.jpg").write_bytes(b"x")
    (tmp_path / "a_link.jpg").symlink_to("up.jpg")
    paths = [tmp_path / "down.jpg", tmp_path / "up.jpg", tmp_path / "a_link.jpg"]
    descriptions = [photo("down.jpg", 0.7), photo("up.jpg", 0.0), photo("a_link.jpg", 0.0)]
    images = ImageSet(paths, np.zeros((3, 4)), np.zeros((3, 4)), descriptions, [100] * 3, [1.0, 2.0, 0.5])
    assert pick_keeper([0, 1, 2], images.keep_order()) == 1  # not the older down.jpg, nor the link
    level = ImageSet(
        paths[:2], np.zeros((2, 4)), np.zeros((2, 4)), [photo("a", None)] * 2, [100] * 2, [2.0, 1.0]
    )
    assert pick_keeper([0, 1], level.keep_order()) == 1  # no sky either way: the older, as before


def test_a_turned_copy_joins_by_its_closest_link_whatever_the_order_of_the_files() -> None:
    """A grey copy confirmed by keypoints against both a photo and its re-encoded copy: the group's least
    similarity had been that of whichever pair came first by the files' order (renaming it: 0.558 → 0.374)."""
    for turned in ([(0, 2, 0.374), (1, 2, 0.558)], [(0, 2, 0.558), (1, 2, 0.374)]):
        assert dup_module._with_turned([[0, 1]], [0.95], turned) == ([[0, 1, 2]], [0.558])


def test_identical_images_are_duplicates_at_threshold_one() -> None:
    """A byte-identical copy's signature cosine is 0.99999994 in float32: `--threshold 1` had lost it."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((50, 1752)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    k = next(i for i, v in enumerate(x) if float(v @ v) < 1.0)  # as the signatures of two copies read
    x = np.stack([x[k], x[k].copy(), x[k - 1], x[k + 1]])
    assert [g.members for g in duplicate_groups(x, 1.0)] == [[0, 1]]


def test_one_close_pair_does_not_chain_two_groups_and_the_embeddings_must_agree() -> None:
    """Two tight groups and an image halfway between (cosine 0.71 to each): connected components chain all
    seven into one group; group-average linkage gives the halfway image to one group and keeps the other
    apart. Then two near-identical signatures whose pooled embeddings disagree stay apart."""
    rng = np.random.default_rng(0)
    a, b = np.eye(16, dtype=np.float32)[:2]
    group = [v + 0.05 * rng.standard_normal(16).astype(np.float32) for v in (a, a, a, b, b, b)]
    x = np.stack([*group, a + b])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    pairs, _ = dup_module.similar_pairs(x, 0.65)
    assert connected_groups(7, pairs) == [[0, 1, 2, 3, 4, 5, 6]]
    assert sorted(sorted(g.members) for g in duplicate_groups(x, 0.65)) in (
        [[0, 1, 2, 6], [3, 4, 5]],
        [[0, 1, 2], [3, 4, 5, 6]],
    )
    same = np.stack([a, a + 0.01 * b])
    same /= np.linalg.norm(same, axis=1, keepdims=True)
    embeddings = np.stack([a, 0.3 * a + np.sqrt(1 - 0.09) * b])  # cosine 0.3
    assert [g.members for g in duplicate_groups(same)] == [[0, 1]]
    assert duplicate_groups(same, embeddings=embeddings) == []
    assert [g.members for g in duplicate_groups(same, embeddings=np.stack([a, a]))] == [[0, 1]]


def test_two_groups_that_the_keypoints_say_are_one_photo_become_one() -> None:
    """The signature groups a photo with its recompressed copy, and its grey copy with its mirrored one
    (both far from the photo's colours by place); the keypoints carry each of the second pair onto the
    first: one group of four, not two."""
    a, b = np.eye(8, dtype=np.float32)[:2]
    vectors = np.stack([a, a, b, b])
    embeddings = np.tile(np.eye(8, dtype=np.float32)[2], (4, 1))  # what they show: the same
    assert sorted(g.members for g in duplicate_groups(vectors)) == [[0, 1], [2, 3]]

    def share(i: int, j: int) -> float:
        return 0.9

    [group] = duplicate_groups(vectors, embeddings=embeddings, share=share)
    assert sorted(group.members) == [0, 1, 2, 3]
