"""Sampling and rendering: deterministic to the byte, objects apart, facts true of the pixels."""

from __future__ import annotations

import io

import numpy as np
import pytest

from multicap.data.scenes import render, sample_facts, scene_rng
from multicap.data.scenes.sampler import SamplerConfig, boxes_overlap
from multicap.facts.scene_words import BACKGROUND_KINDS, COLOURS, SHAPES, SIZES


def _png(facts, size: int, seed: int) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    render(facts, size, seed).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def test_same_seed_same_scene_and_bytes_other_seed_other_scene() -> None:
    a = [sample_facts(scene_rng(3, i)) for i in range(20)]
    b = [sample_facts(scene_rng(3, i)) for i in range(20)]
    c = [sample_facts(scene_rng(4, i)) for i in range(20)]
    assert [f.to_dict() for f in a] == [f.to_dict() for f in b]
    assert [f.to_dict() for f in a] != [f.to_dict() for f in c]
    assert all(_png(f, 96, i) == _png(g, 96, i) for i, (f, g) in enumerate(zip(a, b, strict=True)))
    assert _png(a[0], 96, 1) != _png(a[0], 96, 2)  # the seed moves texture and jitter


def test_sampled_scenes_cover_the_vocabulary_and_keep_objects_apart() -> None:
    config = SamplerConfig()
    seen: dict[str, set[str]] = {"shape": set(), "colour": set(), "size": set(), "bg": set(), "n": set()}
    for i in range(2000):
        facts = sample_facts(scene_rng(0, i), config)
        objs = facts.objects
        seen["n"].add(str(len(objs)))
        seen["bg"].add(facts.image_attributes["background"])
        for k, obj in enumerate(objs):
            seen["shape"].add(obj.label)
            seen["colour"].add(obj.attributes["colour"])
            seen["size"].add(obj.attributes["size"])
            assert 0 <= obj.box[0] < obj.box[2] <= 1 and 0 <= obj.box[1] < obj.box[3] <= 1
            for other in objs[:k]:
                assert not boxes_overlap(obj.box, other.box, config.gap - 1e-3), facts
        assert len(facts.relations) == len(objs) * (len(objs) - 1) // 2
        for rel in facts.relations:  # stated in canonical direction, true of the boxes
            s, o = objs[rel.subject].box, objs[rel.object].box
            assert rel.predicate in ("right of", "below", "next to")
            if rel.predicate == "right of":
                assert s[0] + s[2] > o[0] + o[2]
            if rel.predicate == "below":
                assert s[1] + s[3] > o[1] + o[3]
    assert seen == {
        "shape": set(SHAPES),
        "colour": set(COLOURS),
        "size": set(SIZES),
        "bg": set(BACKGROUND_KINDS),
        "n": {"1", "2", "3", "4"},
    }


@pytest.mark.parametrize("size", [64, 97, 224])
def test_each_object_is_drawn_in_its_colour_at_its_centre(size: int) -> None:
    for i in range(40):
        facts = sample_facts(scene_rng(5, i))
        pixels = np.asarray(render(facts, size, i)).astype(int)
        assert pixels.shape == (size, size, 3)
        for obj in facts.objects:
            # the centre of the lower half lies inside every outline (the heart's dip is above it)
            x = int((obj.box[0] + obj.box[2]) / 2 * size)
            y = int((obj.box[1] + 0.6 * (obj.box[3] - obj.box[1])) * size)
            expected = np.array(COLOURS[obj.attributes["colour"]])
            assert np.abs(pixels[y, x] - expected).max() <= 12, (obj, pixels[y, x])


def test_edges_are_anti_aliased() -> None:
    facts = sample_facts(scene_rng(0, 1))
    facts.image_attributes["background"] = "flat"
    pixels = np.asarray(render(facts, 224, 0)).reshape(-1, 3)
    # Flat background + flat shapes would give a handful of colours; blended edge pixels add many more.
    assert len(np.unique(pixels, axis=0)) > 20


def test_brightness_scales_pixels() -> None:
    facts = sample_facts(scene_rng(0, 2))
    dark = np.asarray(render(facts, 64, 0, brightness=0.5)).astype(int)
    full = np.asarray(render(facts, 64, 0)).astype(int)
    assert np.abs(dark - full // 2).max() <= 1


@pytest.mark.parametrize("shape", [(1, 1, 3), (37, 53, 3), (224, 224, 3)])
def test_png_writer_round_trips_through_pillow(shape: tuple[int, int, int]) -> None:
    from PIL import Image

    from multicap.data.scenes.png import encode_png

    pixels = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    pixels[: shape[0] // 2] = 200  # flat rows too, where the Up filter gives zeros
    image = Image.open(io.BytesIO(encode_png(pixels)))
    assert image.format == "PNG" and image.mode == "RGB" and image.size == (shape[1], shape[0])
    assert np.array_equal(np.asarray(image), pixels)
    with pytest.raises(ValueError):
        encode_png(pixels.astype(np.float32))
