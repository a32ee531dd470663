"""Grass, trees and foliage from a photo's pixels (`multicap.describe.vegetation`): green and textured over a
fifth of the image, named by where it lies in a wide scene; drawn scenes at the describer's 224 px, and
real photos that packages ship."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from multicap.describe.vegetation import find_vegetation
from multicap.describe.verbalize import verbalize
from multicap.facts import SceneFacts, SceneObject
from multicap.index.query import understand

S = 224
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "photos"


def _scene(
    band: tuple[int, int, int],
    rows: slice,
    *,
    noise: float = 30.0,
    rest: tuple[int, int, int] = (90, 140, 210),
) -> np.ndarray:
    """A textured band of `band` over `rows`, on a smooth background of `rest` (a blue sky)."""
    rng = np.random.default_rng(0)
    img = np.empty((S, S, 3), np.float32)
    img[:] = np.asarray(rest, np.float32) + rng.normal(0, 2.0, (S, S, 3))
    n = len(range(*rows.indices(S)))
    img[rows] = np.asarray(band, np.float32) + rng.normal(0, noise, (n, S, 3))
    return img.clip(0, 255).astype(np.uint8)


def test_green_texture_low_in_a_wide_scene_is_grass_and_high_is_trees() -> None:
    grass = find_vegetation(_scene((60, 130, 50), slice(S // 2, S)), wide=True)
    assert grass is not None and grass.label == "grass" and grass.colour == "green"
    assert grass.box[1] >= 0.45 and grass.box[3] == 1.0 and 0.45 <= grass.share <= 0.55
    trees = find_vegetation(_scene((50, 110, 40), slice(0, S * 2 // 3)), wide=True)
    assert trees is not None and trees.label == "trees" and trees.box[1] == 0.0


def test_a_line_of_trees_on_a_far_shore_is_trees() -> None:
    """A band an eighth of the image tall, mid-height: enough in a wide scene, and above the ground."""
    band = _scene((50, 110, 40), slice(S // 2 - S // 16, S // 2 + S // 16))
    trees = find_vegetation(band, wide=True)
    assert trees is not None and trees.label == "trees" and 0.1 <= trees.share <= 0.15


def test_in_a_close_up_green_texture_is_foliage() -> None:
    found = find_vegetation(_scene((70, 150, 60), slice(0, S)), wide=False)
    assert found is not None and found.label == "foliage" and found.share > 0.9


def test_in_a_close_up_upright_blades_are_grass() -> None:
    """Green texture whose strokes stand upright (a meadow seen close: lightness changes across the image's
    width, hardly along its height) is grass; the same texture lying flat, or without a direction, is not."""
    rng = np.random.default_rng(1)
    columns = rng.normal(0, 35, (1, S, 1))  # one random shade per column: vertical blades
    blades = (np.array([70, 150, 60], np.float32) + columns + rng.normal(0, 4, (S, S, 3))).clip(0, 255)
    found = find_vegetation(blades.astype(np.uint8), wide=False)
    assert found is not None and found.label == "grass"
    lying = find_vegetation(np.ascontiguousarray(blades.astype(np.uint8).transpose(1, 0, 2)), wide=False)
    assert lying is not None and lying.label == "foliage"


def test_what_is_not_vegetation_is_not_called_so() -> None:
    assert find_vegetation(_scene((60, 130, 50), slice(0, S), noise=1.0), wide=True) is None  # smooth: paint
    assert find_vegetation(_scene((60, 90, 160), slice(0, S)), wide=True) is None  # textured blue: water
    eighth = _scene((60, 130, 50), slice(S // 2, S // 2 + S // 8))
    assert find_vegetation(eighth, wide=False) is None  # an eighth of a close-up: too little
    sixteenth = _scene((60, 130, 50), slice(S // 2, S // 2 + S // 16))
    assert find_vegetation(sixteenth, wide=True) is None  # a sixteenth of a wide scene: too little
    assert find_vegetation(_scene((150, 60, 50), slice(0, S)), wide=False) is None  # textured red
    assert find_vegetation(np.zeros((8, 8, 3), np.uint8), wide=True) is None  # too small to tell


def test_real_photos_without_vegetation_have_none() -> None:
    """The examples (a cat, an espresso, a rocket on its pad, an astronaut, a cameraman in greyscale)."""
    for path in sorted(EXAMPLES.glob("*.jpg")):
        rgb = np.asarray(Image.open(path).convert("RGB").resize((S, S), Image.BILINEAR))
        assert find_vegetation(rgb, wide=True) is None, path.name


def test_vegetation_is_said_without_an_article_and_searched_by_its_words() -> None:
    objects = [
        SceneObject("ladybug", 0.9, (0.6, 0.4, 0.7, 0.5), {"colour": "red"}),
        SceneObject("foliage", 0.8, (0.0, 0.0, 1.0, 1.0), {"colour": "green"}),
    ]
    facts = SceneFacts(objects, [], {})
    assert verbalize(facts, "object") == "a ladybug and foliage"
    assert "green foliage" in verbalize(facts, "attribute")
    for word, labels in [("grass", ("grass",)), ("forest", ("trees",)), ("leaves", ("foliage",))]:
        [part] = understand(word).parts
        assert part.kind == "found" and part.terms == labels
    [part] = understand("vegetation").parts
    assert set(part.terms) == {"grass", "trees", "foliage"}
