"""Clusters, their labels and outliers of an image set, on real vectors (near-duplicate groups:
test_compare_sets.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from multicap.compare import cluster_vectors
from multicap.compare.clusters import choose_k
from multicap.data.scenes import make_clusters, render


@pytest.fixture(scope="module")
def encoder():  # the grounded describer's encoder: the pooled vectors an index stores
    from multicap.describe.grounded import GroundedDescriber

    return GroundedDescriber().encoder


def test_cluster_count_is_chosen_and_outliers_are_found() -> None:
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((4, 48))
    x = np.repeat(centres, 25, axis=0) + 0.25 * rng.standard_normal((100, 48))
    x = np.vstack([x, 2.0 * rng.standard_normal((2, 48))])  # two images like no other
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    result = cluster_vectors(x)
    assert set(result.outliers) == {100, 101}
    main = result.labels[:100].reshape(4, 25)
    assert all(len(set(row)) == 1 for row in main) and len({row[0] for row in main}) == 4
    for c, rep in enumerate(result.representatives):
        assert result.labels[rep] == c
    assert cluster_vectors(x[:2]).k == 1 and cluster_vectors(x, 3).k == 3


def test_a_set_is_not_cut_into_more_clusters_than_a_quarter_of_it() -> None:
    """A docs check's 25 varied photos had come out as 12 clusters, mostly pairs (a silhouette creeps up
    as k nears half the set): from 18 images at most a quarter as many clusters, from 12 a third."""
    rng = np.random.default_rng(5)
    pairs = rng.standard_normal((12, 64))
    x = np.vstack(
        [np.repeat(pairs, 2, axis=0) + 0.3 * rng.standard_normal((24, 64)), rng.standard_normal((1, 64))]
    )
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    assert 2 <= cluster_vectors(x).k <= 25 // 4
    assert cluster_vectors(x[:13]).k <= 13 // 3
    assert cluster_vectors(x[:10]).k <= 5  # a small set: up to half of it, as before


def test_generated_scene_clusters_come_apart(encoder) -> None:
    clusters = make_clusters(5, n_clusters=3, per_cluster=6)
    images = [render(s.facts, 224, s.render_seed) for c in clusters for s in c.members]
    with torch.inference_mode():
        feats = encoder.encode_batch(torch.stack([encoder.preprocess.to_uint8(im) for im in images]))
    pooled = feats.pooled.numpy()
    result = cluster_vectors(pooled / np.linalg.norm(pooled, axis=1, keepdims=True), 3)
    truth = np.repeat(np.arange(3), 6)
    purity = sum(np.bincount(truth[result.labels == c]).max() for c in set(result.labels.tolist()))
    assert purity / len(truth) >= 0.8


def test_images_in_an_index_are_not_encoded_again(tmp_path) -> None:
    from multicap.compare import collect_images
    from multicap.index.build import index_paths
    from multicap.index.models import open_model

    folder = tmp_path / "photos"
    folder.mkdir()
    cluster = make_clusters(3, n_clusters=1, per_cluster=3)[0]
    for k, scene in enumerate(cluster.members):
        render(scene.facts, 96, scene.render_seed).save(folder / f"{k}.png")
    model = open_model("grounded")
    index_paths(tmp_path / "index", [folder], model)
    render(cluster.members[0].facts, 96, 1).save(folder / "new.png")  # not in the index: encoded
    files = sorted(folder.iterdir())
    encoded: list[str] = []

    class Counting:
        def __init__(self) -> None:
            self.inner = model

        def load(self, path):
            return model.load(path)

        def process(self, paths, loaded):
            encoded.extend(p.name for p in paths)
            return model.process(paths, loaded)

    images = collect_images(files, index_root=tmp_path / "index", model=Counting())  # type: ignore[arg-type]
    assert images.from_index == 3 and encoded == ["new.png"] and len(images) == 4
    stored = images.descriptions[0]
    assert stored.facts is not None and stored.texts  # the index's description, read back
    fresh = collect_images(files[:1], model=model)
    np.testing.assert_allclose(images.embeddings[0], fresh.embeddings[0], atol=1e-5)


def test_an_image_paired_off_by_kmeans_is_still_the_farthest_from_its_neighbours() -> None:
    """The distance that ranks outliers is to an image's nearest images, not to its cluster's centroid:
    two odd images that k-means puts in one cluster of their own stay the farthest from the set."""
    rng = np.random.default_rng(5)
    centres = rng.standard_normal((3, 32))
    x = np.repeat(centres, 6, axis=0) + 0.3 * rng.standard_normal((18, 32))
    odd = rng.standard_normal(32)
    x = np.vstack([x, odd + 1.2 * rng.standard_normal(32), -odd + 1.2 * rng.standard_normal(32)])
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    result = cluster_vectors(x, 4)
    assert set(np.argsort(-result.distances)[:2]) == {18, 19}
    copies = np.vstack([x[:3]] * 3)  # two exact copies each: its nearest images, at distance 0
    assert np.allclose(cluster_vectors(copies, 1).distances, 0.0, atol=1e-5)


def test_a_large_varied_set_is_grouped_in_its_principal_components() -> None:
    """Six themes of 20 images each, so varied within that the full vectors' silhouettes stay at 0.05
    (one cluster, as 111 real photos were): in the set's principal components, against structureless
    draws of the same spread, they come apart whole. A structureless blob stays one cluster."""
    rng = np.random.default_rng(7)
    truth = np.repeat(np.arange(6), 20)
    x = 0.3 * rng.standard_normal((6, 1280))[truth] + rng.standard_normal((120, 1280)) + 2.0
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    k, scores = choose_k(x)
    assert k == 1 and max(scores.values()) < 0.1  # the first criterion finds nothing
    result = cluster_vectors(x)
    assert result.k == 6 and result.principal == 16 and max(result.gaps.values()) >= 0.05
    assert all(len(set(result.labels[truth == t].tolist())) == 1 for t in range(6))
    assert len(set(result.labels.tolist())) == 6
    blob = rng.standard_normal((120, 1280)) + 2.0
    blob = (blob / np.linalg.norm(blob, axis=1, keepdims=True)).astype(np.float32)
    alone = cluster_vectors(blob)
    assert alone.k == 1 and alone.principal == 0 and max(alone.gaps.values()) < 0.05
    assert cluster_vectors(x[:40]).principal == 0  # under PCA_FROM images: the first criterion only


def test_a_set_of_pairs_is_not_cut_into_pairs() -> None:
    """50 images in 25 loose pairs: the principal components' gap rises with k up to 19 clusters, mostly
    pairs (a walkthrough's 51 varied photos came out as 20 clusters). At most one cluster per six images is
    made there, as where what the photos show decides."""
    rng = np.random.default_rng(7)
    truth = np.repeat(np.arange(25), 2)
    x = 0.6 * rng.standard_normal((25, 1280))[truth] + rng.standard_normal((50, 1280)) + 2.0
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    result = cluster_vectors(x)
    assert result.principal == 16 and 1 < result.k <= 50 // 6 and max(map(int, result.gaps)) == 50 // 6


def test_copies_are_clustered_as_the_photo_they_copy() -> None:
    """Five copies of one photo made a cluster of their own (a folder of 30 varied photos was 1 cluster,
    with 5 copies 16), and a photo's copy at distance 0 kept the photo from the outliers."""
    rng = np.random.default_rng(7)
    centres = rng.standard_normal((3, 40))
    x = np.repeat(centres, 8, axis=0) + 0.25 * rng.standard_normal((24, 40))
    odd = 2.0 * rng.standard_normal(40)
    x = np.vstack([x, odd, odd, odd])  # an odd photo (24) and two copies of it
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    alone = cluster_vectors(x[:25])
    assert alone.outliers == [24]
    copied = cluster_vectors(x)  # the copies hide it: each is the others' nearest image
    assert 24 not in copied.outliers
    stands_for = np.array([*range(25), 24, 24])
    result = cluster_vectors(x, stands_for=stands_for)
    assert result.k == alone.k and result.outliers == [24, 25, 26]  # the photo, then its copies
    assert result.labels[25] == result.labels[26] == result.labels[24]
    assert np.allclose(result.distances[25:], result.distances[24])
    assert all(r < 25 for r in result.representatives)  # a copy never stands for its cluster


def test_a_cluster_label_counts_each_photo_once() -> None:
    """A cluster of a dog photo with its seven copies and a pagoda was labelled "German shepherd": the
    copies outvoted the pagoda. Counted once each, the dog is one photo of two: not what the cluster
    shares."""
    from pathlib import Path
    from types import SimpleNamespace
    from typing import Any

    from multicap.compare.clusters import Clustering
    from multicap.compare.sets import _cluster_summary
    from multicap.describe.description import Description
    from multicap.describe.summary import ancestors, image_features
    from multicap.facts import SceneFacts, SceneObject

    def photo(name: str, label: str) -> Description:
        thing = SceneObject(label, 0.9, (0.2, 0.2, 0.8, 0.8), {"colour": "brown", "size": "large"})
        return Description(Path(f"{name}.jpg"), SceneFacts([thing], [], {}))

    descs = [photo("dog", "German shepherd")] * 8 + [photo("pagoda", "pagoda")] + [photo("cat", "tabby")] * 3
    images: Any = SimpleNamespace(descriptions=descs, paths=[d.path for d in descs])
    labels = np.array([0] * 9 + [1] * 3)
    clustering = Clustering(2, labels, np.zeros((2, 4)), [0, 9], np.zeros(12), [])
    feats = [image_features(d.facts, "caption") if d.facts else set() for d in descs]
    above = ancestors(descs, "caption")
    copies = np.array([0] * 8 + [8, 9, 10, 11])  # the dog's copies stand for it; the cats are three photos
    said = _cluster_summary(images, clustering, 0, feats, above, "caption", copies)
    assert "German shepherd" not in said.text and said.text.startswith("9 images (2 photos and copies)")
    every = np.arange(12)  # as nine photos, eight of them dogs, it was
    as_photos = _cluster_summary(images, clustering, 0, feats, above, "caption", every)
    assert "German shepherd" in as_photos.text


def test_a_pair_nothing_sets_apart_is_labelled_by_what_it_shares() -> None:
    """ "1. 2 images  e.g. farm-cat.jpg": a pair of the same kind as the rest had no label at all (a docs
    check); it says what its two photos share, as a set of one cluster does."""
    from pathlib import Path
    from types import SimpleNamespace
    from typing import Any

    from multicap.compare.clusters import Clustering
    from multicap.compare.sets import _cluster_summary
    from multicap.describe.description import Description
    from multicap.describe.summary import ancestors, image_features
    from multicap.facts import SceneFacts, SceneObject

    def photo(name: str, label: str) -> Description:
        thing = SceneObject(label, 0.9, (0.2, 0.2, 0.8, 0.8), {"colour": "brown", "size": "large"})
        return Description(Path(f"{name}.jpg"), SceneFacts([thing], [], {}))

    descs = [photo("a", "tabby"), photo("b", "tabby")] + [photo(f"c{i}", "tabby") for i in range(4)]
    images: Any = SimpleNamespace(descriptions=descs, paths=[d.path for d in descs])
    clustering = Clustering(2, np.array([0, 0, 1, 1, 1, 1]), np.zeros((2, 4)), [0, 2], np.zeros(6), [])
    feats = [image_features(d.facts, "caption") if d.facts else set() for d in descs]
    said = _cluster_summary(
        images, clustering, 0, feats, ancestors(descs, "caption"), "caption", np.arange(6)
    )
    assert said.text.startswith("2 images: ") and "tabby" in said.text, said.text


def test_a_cluster_is_shown_by_a_member_that_has_what_its_label_says() -> None:
    """ "animal (4 of 7) e.g. coffee.jpg": the member nearest the centre showed no animal. The example is
    the nearest member that has the label's first feature."""
    from pathlib import Path
    from types import SimpleNamespace
    from typing import Any

    from multicap.compare.clusters import Clustering
    from multicap.compare.sets import _cluster_summary
    from multicap.describe.description import Description
    from multicap.describe.summary import ancestors, image_features
    from multicap.facts import SceneFacts, SceneObject

    def photo(name: str, label: str) -> Description:
        thing = SceneObject(label, 0.9, (0.2, 0.2, 0.8, 0.8), {"colour": "brown", "size": "large"})
        return Description(Path(f"{name}.jpg"), SceneFacts([thing], [], {}))

    descs = [
        photo("cup", "espresso"),
        photo("dog", "Samoyed"),
        photo("dog2", "Samoyed"),
        photo("cat", "tabby"),
    ]
    descs += [photo(f"car{i}", "cab") for i in range(4)]
    images: Any = SimpleNamespace(descriptions=descs, paths=[d.path for d in descs])
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    distances = np.array([0.1, 0.2, 0.3, 0.4, 0.1, 0.1, 0.1, 0.1])  # the cup nearest the centre
    clustering = Clustering(2, labels, np.zeros((2, 4)), [0, 4], distances, [])
    feats = [image_features(d.facts, "caption") if d.facts else set() for d in descs]
    said = _cluster_summary(
        images, clustering, 0, feats, ancestors(descs, "caption"), "caption", np.arange(8)
    )
    assert "Samoyed" in said.text and said.representative == 1 and said.members[0] == 1, said

    # the label's first word, not the first feature found ("dark" leads the features, "Samoyed" the label)
    def lit(name: str, label: str, brightness: str) -> Description:
        thing = SceneObject(label, 0.9, (0.2, 0.2, 0.8, 0.8), {"colour": "brown", "size": "large"})
        return Description(Path(f"{name}.jpg"), SceneFacts([thing], [], {"brightness": brightness}))

    dark = [lit("cup", "espresso", "dark"), *(lit(f"dog{i}", "Samoyed", "dark") for i in range(3))]
    dark += [lit("cat", "tabby", "dark"), *(lit(f"car{i}", "cab", "bright") for i in range(5))]
    images = SimpleNamespace(descriptions=dark, paths=[d.path for d in dark])
    five = Clustering(2, np.array([0] * 5 + [1] * 5), np.zeros((2, 4)), [0, 5], np.arange(10) / 10, [])
    feats = [image_features(d.facts, "caption") if d.facts else set() for d in dark]
    said = _cluster_summary(images, five, 0, feats, ancestors(dark, "caption"), "caption", np.arange(10))
    assert said.text.startswith("5 images: Samoyed (3 of 5), dark") and said.representative == 1, said


def test_the_farthest_photo_that_shows_nothing_the_others_show_is_the_odd_ones_out() -> None:
    """The Moon among twelve nature photos was the farthest, but at 1.2 robust deviations, not the 3.5
    the distances alone need: it shows nothing that any other photo shows ("a bubble"), and the others
    share what they show with most of the set. A farthest photo that shares a concept, a set without a
    theme, or a set without facts keep no odd one."""
    from pathlib import Path

    from multicap.compare.clusters import Clustering
    from multicap.compare.sets import _odd_ones_out
    from multicap.describe.description import Description
    from multicap.facts import SceneFacts, SceneObject

    def photo(label: str, tags: str) -> Description:
        thing = SceneObject(label, 0.9, (0.2, 0.2, 0.8, 0.8), {"tags": tags})
        return Description(Path(f"{label}.jpg"), SceneFacts([thing], [], {}))

    nature = [photo("alp", "mountain, sky"), photo("daisy", "flower, plant"), photo("grass", "plant")]
    nature += [
        photo("oak", "tree, plant, sky"),
        photo("ladybug", "insect, plant"),
        photo("bee", "insect, plant"),
    ]
    nature += [
        photo("fern", "plant, sky"),
        photo("volcano", "mountain, sky"),
        photo("admiral", "insect, plant"),
    ]
    moon = photo("bubble", "globule, ball, sphere, shape")
    distances = np.array([0.50, 0.52, 0.49, 0.55, 0.51, 0.53, 0.50, 0.54, 0.52, 0.60], np.float32)

    def odd(descs: list[Description], d: np.ndarray, outliers: list[int] | None = None) -> list[int]:
        clustering = Clustering(1, np.zeros(len(d), int), np.zeros((1, 4)), [0], d, outliers or [])
        return _odd_ones_out(clustering, descs, np.arange(len(d)))

    assert odd([*nature, moon], distances) == [
        9
    ]  # 0.08 beyond the median, 2.7 robust deviations, sharing nothing
    tight = (distances - 0.45) / 2  # a burst of shots: as many deviations, but only 0.04 beyond the median
    assert tight.argmax() == 9 and odd([*nature, moon], tight) == []
    assert odd([*nature, photo("cactus", "plant")], distances) == []  # it shares "plant"
    assert odd([*nature, moon], distances, outliers=[9]) == []  # already an outlier by its distance
    things = [photo(f"thing{i}", f"kind{i}") for i in range(9)]  # no theme: each shows its own
    assert odd([*things, moon], distances) == []
    blank = Description(Path("blank.jpg"), None)  # an index without facts: nothing is known of it
    assert odd([*nature[:8], blank, moon], distances) == []
    many = np.where(np.arange(600) % 2 == 0, 0.45, 0.50).astype(np.float32)
    many[-1] = 0.7  # a set above _ODD_SAMPLE photos: the others' sharing is counted on a sample
    assert odd([*(photo(f"p{k}", "plant, sky") for k in range(599)), moon], many) == [599]
    copies = np.array([*range(10), 9])  # the Moon's copy is not another photo that shares its bubble
    clustering = Clustering(1, np.zeros(11, int), np.zeros((1, 4)), [0], np.append(distances, 0.60), [])
    assert _odd_ones_out(clustering, [*nature, moon, moon], copies) == [9]
    # three odd ones among sixteen: each farthest in turn (only the farthest had been said)
    hammer, cup = photo("hammer", "tool, hand tool"), photo("espresso", "drink, beverage")
    sixteen = [*nature, *nature[:7]]
    far = np.array([*distances[:9], *distances[:7], 0.62, 0.61, 0.60], np.float32)
    assert odd([*sixteen, hammer, cup, moon], far) == [16, 17, 18]
    drill = photo("drill", "tool, power tool")  # the farthest shares "tool" with it: no odd one is looked for
    assert odd([*sixteen, hammer, drill, moon], far) == []


def test_a_set_says_its_odd_one_out_and_why(tmp_path) -> None:
    """Through `compare_set`: the odd one out by what it shows and its copy lead the outliers, flagged in
    the JSON with "outlier_by", named in the summary, and said with their reason on the CLI's line and in
    the report; the copy's card names the photo it copies."""
    from dataclasses import replace

    from PIL import Image

    from multicap.cli.compare import _outlier_note
    from multicap.compare.collect import ImageSet
    from multicap.compare.report import render_report
    from multicap.compare.sets import compare_set
    from multicap.describe.description import Description
    from multicap.facts import SceneFacts, SceneObject

    rng = np.random.default_rng(3)  # nine photos of a theme and the Moon, farther but within the spread
    centre = rng.standard_normal(64)
    x = np.vstack([centre + rng.standard_normal((9, 64)), centre + 1.45 * rng.standard_normal(64)])
    x = np.vstack([x, x[9:]])  # the Moon's copy
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    shared = ["plant", "sky", "grass", "plant", "sky", "plant", "grass", "sky", "plant"]
    paths, descs = [], []
    for k in range(11):
        label, tags = (f"thing{k}", f"{shared[k]}, nature") if k < 9 else ("bubble", "sphere, shape")
        paths.append(tmp_path / f"photo{k}.png")
        Image.new("RGB", (32, 32), (20 * k, 90, 140)).save(paths[-1])
        thing = SceneObject(label, 0.9, (0.2, 0.2, 0.8, 0.8), {"tags": tags})
        descs.append(Description(paths[-1], SceneFacts([thing], [], {}), {"object": f"a {label}"}))
    signatures = np.hstack([x, np.zeros((11, 8), np.float32)])
    images = ImageSet(paths, x, signatures, descs, [1024] * 11, [0.0] * 11)
    result = compare_set(images)
    assert [len(g.members) for g in result.duplicates] == [2] and result.odd == [9, 10]
    assert result.clustering.outliers[:2] == [9, 10]
    records = [r for r in result.json_lines() if r["type"] == "image"]
    assert [r["outlier_by"] for r in records] == [None] * 9 + ["what it shows"] * 2
    assert all(r["outlier"] for r in records[9:]) and result.summary()["outliers"] == [
        str(p) for p in paths[9:]
    ]
    assert _outlier_note(result, 9, 1) == " (and 1 copy; shows what no other image does: a bubble)"
    assert _outlier_note(result, 0, 0) == ""
    by_distance = replace(result, odd=[])  # the same photos, flagged by their distance alone
    assert _outlier_note(by_distance, 9, 1) == " (and 1 copy; far from the other images)"
    assert "far from the other images (distance" in render_report(by_distance)
    page = render_report(result)
    assert "shows what no other image does: a bubble" in page and "copy of photo9.png" in page
    without = compare_set(
        ImageSet(
            paths, x, signatures, [*descs[:8], Description(paths[8]), *descs[9:]], [1024] * 11, [0.0] * 11
        )
    )
    assert without.odd == [] and 9 not in without.clustering.outliers  # a photo without facts: none is odd
    # a second odd photo is no copy of the first (the report had said so)
    two = replace(result, odd=[9, 10, 3], clustering=replace(result.clustering, outliers=[9, 10, 3]))
    page = render_report(two)
    assert page.count("copy of photo9.png") == 1 and "shows what no other image does: a thing3" in page


def test_one_cluster_with_an_odd_photo_is_labelled_by_what_most_share() -> None:
    """Twelve animals and a hammer, one cluster: nothing all thirteen share, and the label had said only
    "13 images"; the things most of them show are said, counted; not their looks (five unrelated photos
    had read "gray palette (4 of 5), moderately bright (4 of 5), ...")."""
    from pathlib import Path
    from types import SimpleNamespace
    from typing import Any

    from multicap.compare.clusters import Clustering
    from multicap.compare.sets import _cluster_summary
    from multicap.describe.description import Description
    from multicap.describe.summary import ancestors, image_features
    from multicap.facts import SceneFacts, SceneObject

    def photo(label: str, tags: str) -> Description:
        thing = SceneObject(label, 0.9, (0.2, 0.2, 0.8, 0.8), {"tags": tags})
        looks = {"palette": "gray"} if label != "beast4" else {}
        return Description(Path(f"{label}.jpg"), SceneFacts([thing], [], looks))

    descs = [photo(f"beast{k}", "ungulate, mammal, animal" if k < 4 else "mammal, animal") for k in range(5)]
    descs.append(photo("hammer", "hand tool, tool"))
    images: Any = SimpleNamespace(descriptions=descs, paths=[d.path for d in descs])
    clustering = Clustering(1, np.zeros(6, int), np.zeros((1, 4)), [0], np.linspace(0.1, 0.6, 6), [5])
    feats = [image_features(d.facts, "caption") if d.facts else set() for d in descs]
    assert sum("gray palette" in f for f in feats) == 5  # held by five of six, but a look
    said = _cluster_summary(
        images, clustering, 0, feats, ancestors(descs, "caption"), "caption", np.arange(6)
    )
    assert said.text == "6 images: mammal (5 of 6), ungulate (4 of 6)"  # "animal (5 of 6)" is said by mammal

    # eleven varied photos (a walkthrough's): no half shares a thing; what a third, then a fifth, show,
    # before how all of them look ("12 images: moderately bright")
    def plain(label: str, tags: str) -> Description:  # all alike in how they look: a gray palette
        thing = SceneObject(label, 0.9, (0.2, 0.2, 0.8, 0.8), {"tags": tags})
        return Description(Path(f"{label}.jpg"), SceneFacts([thing], [], {"palette": "gray"}))

    varied = [plain(f"thing{k}", f"kind{k}") for k in range(8)]
    varied += [plain(f"beast{k}", "mammal, animal") for k in range(3)]
    images = SimpleNamespace(descriptions=varied, paths=[d.path for d in varied])
    clustering = Clustering(1, np.zeros(11, int), np.zeros((1, 4)), [0], np.linspace(0.1, 0.6, 11), [10])
    feats = [image_features(d.facts, "caption") if d.facts else set() for d in varied]
    said = _cluster_summary(
        images, clustering, 0, feats, ancestors(varied, "caption"), "caption", np.arange(11)
    )
    assert said.text.startswith("11 images: mammal (3 of 11)"), said.text


def test_a_mid_sized_set_the_vectors_do_not_split_is_grouped_with_what_each_photo_shows() -> None:
    """A walkthrough's 36 photos of animals and people were one cluster: the pooled features of varied
    photos spread evenly, and a set under PCA_FROM images is too small for the principal components'
    null. Joined to what each photo shows (its concepts, rarer ones weighing more), they come apart; a
    set whose photos show the same things stays one cluster, and so does a small one."""
    from pathlib import Path

    from multicap.compare.clusters import JOINED_FROM, PCA_FROM
    from multicap.compare.sets import shown_vectors
    from multicap.describe.description import Description
    from multicap.facts import SceneFacts, SceneObject

    def photo(i: int, label: str, tags: str) -> Description:
        thing = SceneObject(label, 0.9, (0.2, 0.2, 0.8, 0.8), {"tags": tags})
        return Description(Path(f"{i}.jpg"), SceneFacts([thing], [], {}))

    rng = np.random.default_rng(3)
    n = 30
    assert JOINED_FROM <= n < PCA_FROM
    x = rng.standard_normal((n, 256)).astype(np.float32)  # no structure in the vectors
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    assert choose_k(x)[0] == 1
    people = [photo(i, "person", "organism") for i in range(15)]
    animals = [photo(15 + i, ("dog", "cat", "horse")[i % 3], "mammal, animal, organism") for i in range(15)]
    shown = shown_vectors(people + animals, np.arange(n))
    assert shown is not None and shown.shape[0] == n
    result = cluster_vectors(x, shown=shown)
    assert result.with_shown and result.k >= 2 and result.principal == 0
    assert not set(result.labels[:15].tolist()) & set(result.labels[15:].tolist())  # people apart
    assert np.array_equal(result.distances, cluster_vectors(x).distances)  # outliers: the vectors' own
    same = [photo(i, "person", "organism") for i in range(n)]
    assert shown_vectors(same, np.arange(n)) is None  # nothing some but not all show
    small = cluster_vectors(x[:12], shown=shown[np.r_[0:6, 15:21]])
    assert small.k == 1 and not small.with_shown  # under JOINED_FROM: the first criterion alone
    unknown = [*people[:-1], Description(Path("x.jpg"), None), *animals]
    assert shown_vectors(unknown, np.arange(n)) is None  # a photo whose facts are not known
