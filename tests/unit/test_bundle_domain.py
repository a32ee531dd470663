"""A bundle's domain: an image unlike every image the captioner was trained on is said so (scenes-small
on a photo had said "a hexagon, a triangle, a circle and a heart" at 0.66 like any text)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from multicap.captioning.bundle import load_bundle
from multicap.captioning.domain import DOMAIN_FILE, fit_domain, load_domain, pooled
from multicap.data.scenes import ScenesConfig, generate_dataset
from multicap.encoders.preprocess import featureless
from multicap.io import load_image
from tests.conftest import EXAMPLES, run_cli


def test_fit_save_and_load_a_domain(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rng = np.random.default_rng(0)
    centre = rng.standard_normal(16)
    train = centre + 0.1 * rng.standard_normal((200, 16))
    held = centre + 0.1 * rng.standard_normal((50, 16))
    domain = fit_domain(train, held)
    assert not domain.unlike(held).any()
    assert domain.unlike(rng.standard_normal((20, 16))).all()  # anything else: unlike
    domain.save(tmp_path)
    back = load_domain(tmp_path, 16)
    assert back is not None and back.threshold == pytest.approx(domain.threshold, rel=1e-6)
    assert np.allclose(back.reference, domain.reference, atol=1e-3)
    assert load_domain(tmp_path / "elsewhere", 16) is None  # no file: not checked
    with caplog.at_level(logging.WARNING):
        assert load_domain(tmp_path, 8) is None  # another encoder's width
        (tmp_path / DOMAIN_FILE).write_bytes((tmp_path / DOMAIN_FILE).read_bytes()[:100])
        assert load_domain(tmp_path, 16) is None  # damaged: said, and the bundle still captions
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "does not fit this bundle" in said and "cannot be read" in said


def test_scenes_small_knows_fresh_scenes_from_photos(tmp_path: Path) -> None:
    bundle = load_bundle("scenes-small")
    assert bundle.domain is not None
    encoder = bundle.encoder.create()
    generate_dataset(tmp_path, ScenesConfig(n=40, size=bundle.encoder.image_size, seed=77), workers=1)
    scenes = sorted((tmp_path / "images").rglob("*.png"))
    photos = sorted(EXAMPLES.glob("*.jpg"))

    def unlike(paths: list[Path]) -> np.ndarray:
        size = encoder.preprocess.size
        batch = torch.stack([encoder.preprocess.to_uint8(load_image(p, min_short_side=size)) for p in paths])
        return bundle.domain.unlike(pooled(encoder.encode_batch(batch).grid))  # type: ignore[union-attr]

    assert not unlike(scenes).any()  # none of 40 scenes it never saw
    assert unlike(photos).all()  # every example photo
    size = encoder.preprocess.size
    batch = torch.stack([encoder.preprocess.to_uint8(load_image(p, min_short_side=size)) for p in scenes])
    assert not featureless(batch).any()  # every scene shows something


def test_describe_says_a_blank_or_one_pixel_image_is_unlike_the_training_images(tmp_path: Path) -> None:
    """Their pooled features lie near the scenes' plain backgrounds: the domain alone had let scenes-small
    read "a large blue triangle" in a black image, unflagged."""
    for name, size, colour in (("black.png", 200, (0, 0, 0)), ("one.png", 1, (200, 30, 30))):
        Image.new("RGB", (size, size), colour).save(tmp_path / name)
    scene = EXAMPLES.parent / "scenes" / "images" / "000000.png"
    r = run_cli("describe", str(tmp_path / "black.png"), str(tmp_path / "one.png"), str(scene),
                "-m", "scenes-small", "-l", "object", "--json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    docs = {Path(d["path"]).name: d for d in map(json.loads, r.stdout.splitlines()) if d["type"] == "image"}
    assert docs["black.png"]["unlike_training"] is True and docs["one.png"]["unlike_training"] is True
    assert "unlike_training" not in docs["000000.png"]


def test_describe_says_which_images_are_unlike_the_training_images() -> None:
    scene = EXAMPLES.parent / "scenes" / "images" / "000000.png"
    r = run_cli(
        "describe", str(scene), str(EXAMPLES / "chelsea.jpg"), "-m", "scenes-small", "-l", "object", "--json"
    )
    assert r.returncode == 0, r.stderr
    docs = {Path(d["path"]).name: d for d in map(json.loads, r.stdout.splitlines()) if d["type"] == "image"}
    assert docs["chelsea.jpg"]["unlike_training"] is True and "unlike_training" not in docs["000000.png"]
    assert "1 of 2 images is unlike every image the captioner was trained on" in r.stderr


def test_a_saved_bundle_keeps_its_domain(tmp_path: Path) -> None:
    bundle = load_bundle("scenes-small")
    copy = load_bundle(bundle.save(tmp_path / "copy"))
    assert copy.domain is not None and copy.domain.threshold == pytest.approx(bundle.domain.threshold)  # type: ignore[union-attr]


def test_training_measures_a_domain_only_on_validation_images_it_did_not_train_on() -> None:
    """A threshold from images among the reference would be 0 (every image said unlike); from a handful,
    too tight: the bundle then carries none."""
    from types import SimpleNamespace

    from multicap.captioning.train import _domain

    rng = np.random.default_rng(0)
    grids = (rng.standard_normal(16) + 0.2 * rng.standard_normal((200, 4, 16))).astype(np.float16)
    store = SimpleNamespace(grid=lambda rows: grids[np.asarray(rows)])
    train = SimpleNamespace(rows=[r for r in range(120) for _ in range(3)])  # an entry per level
    domain = _domain(SimpleNamespace(train=train, store=store, val_rows=np.arange(120, 200)))
    assert domain is not None and len(domain.reference) == 120
    assert not domain.unlike(pooled(torch.from_numpy(grids[120:].astype(np.float32)))).any()
    assert _domain(SimpleNamespace(train=train, store=store, val_rows=np.arange(0, 80))) is None  # = train
    assert _domain(SimpleNamespace(train=train, store=store, val_rows=np.arange(120, 140))) is None  # 20


def test_a_bundle_without_a_domain_is_told_the_setting_that_gives_it_one() -> None:
    """Raising data.val_images had been advised where the validation split itself held 13 images."""
    from multicap.captioning.recipe import DataConfig
    from multicap.captioning.train import _no_domain

    held_back = _no_domain(DataConfig(val_images=20), 20)
    assert "--set data.val_images=N (now 20)" in held_back
    small = _no_domain(DataConfig(val_images=300, val_split="val"), 13)
    assert "the split 'val' has 13 images" in small and "data.val_split=NAME" in small
    assert "data.val_images" not in small


def test_an_unlike_images_facts_name_only_what_its_text_says() -> None:
    """The hidden layout reading's extra objects had joined a photo's facts: chelsea's "a hexagon, a
    triangle, a circle and a heart" held a cross too, and the set's summary ("both images: circle, cross,
    triangle") contradicted both printed texts (a walkthrough). In-domain scenes still take them."""
    from multicap.describe import create_describer, describe_paths
    from multicap.facts import get_reader

    reader = get_reader("scenes")
    for desc in describe_paths(create_describer("scenes-small"), [EXAMPLES / "chelsea.jpg"], ["object"]):
        assert desc.unlike_training and desc.facts is not None
        said = {o.label for o in reader.parse(desc.texts["object"]).objects}
        assert {o.label for o in desc.facts.objects} <= said, (desc.texts, desc.facts.objects)
