"""A sunset from the pixels (`multicap.describe.sunset`): a smooth warm glow joined to the sky, brighter
than the land below it; not a warm textured monument against a blue sky, not an orange wall. Drawn scenes
at the describer's 224 px; the describer's own path on scikit-image's photos; the query words."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from multicap.describe.sky import find_sky
from multicap.describe.sunset import Sunset, find_sunset

S = 224
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "photos"


def _evening(
    glow: tuple[int, int, int], *, land: int = 35, texture: float = 2.0, seed: int = 0
) -> np.ndarray:
    """A blue sky over the top third, a band of `glow` (smooth unless `texture`) down to 0.6 of the height,
    fading into it, and land of lightness `land` below."""
    rng = np.random.default_rng(seed)
    img = np.empty((S, S, 3), np.float32)
    top, horizon = round(S * 0.3), round(S * 0.6)
    img[:top] = np.asarray((80, 120, 190), np.float32) + rng.normal(0, 2.0, (top, S, 3))
    mix = np.linspace(0.0, 1.0, 8, dtype=np.float32)[:, None, None]
    img[top : top + 8] = (1 - mix) * np.asarray((80, 120, 190)) + mix * np.asarray(glow)
    img[top + 8 : horizon] = np.asarray(glow, np.float32) + rng.normal(0, texture, (horizon - top - 8, S, 3))
    img[horizon:] = land + rng.normal(0, 12.0, (S - horizon, S, 3))
    return img.clip(0, 255).astype(np.uint8)


def _found(rgb: np.ndarray) -> Sunset | None:
    sky = find_sky(rgb)
    return find_sunset(rgb, sky)


def test_an_orange_glow_under_the_sky_above_dark_land_is_a_sunset() -> None:
    sunset = _found(_evening((245, 160, 70)))
    assert sunset is not None and sunset.colour == "orange", sunset
    x0, y0, x1, y1 = sunset.box
    assert 0.3 <= y0 <= 0.35 and 0.55 <= y1 <= 0.65 and x1 - x0 > 0.9  # the band, across the frame
    pink = _found(_evening((235, 150, 170)))
    assert pink is not None and pink.colour == "pink", pink


def test_warm_things_that_are_not_a_sunset() -> None:
    assert _found(_evening((200, 150, 100), texture=25.0)) is None  # carved sandstone: textured
    assert _found(_evening((245, 160, 70), land=200)) is None  # no darker than the ground before it
    assert _found(_evening((90, 60, 40))) is None  # a dark brown band: no glow
    wall = np.full((S, S, 3), (235, 140, 60), np.uint8)  # an orange wall, smooth, filling the frame
    assert _found(wall) is None
    wall[round(S * 0.7) :] = 30  # ... over a dark floor: as bright above as a glow, but joined to no sky
    assert find_sky(wall) is None and _found(wall) is None
    flipped = _evening((245, 160, 70))[::-1].copy()  # the glow low in the frame: a lit floor, a table
    assert _found(flipped) is None
    assert _found(np.zeros((8, 8, 3), np.uint8)) is None  # too small to tell


def test_the_describer_says_no_sunset_on_the_sample_photos_and_a_query_asks_for_one() -> None:
    """scikit-image's photos (a rocket against a blue sky, an astronaut, a cat, coffee...) have none;
    "sunset", "sunrise", "dusk", "evening" ask for what the describer found, and an index's sunset meets
    them."""
    from multicap.describe import create_describer, describe_paths
    from multicap.index.query import understand
    from multicap.index.satisfy import satisfaction

    describer = create_describer("grounded", people=False)
    described = describe_paths(describer, sorted(EXAMPLES.glob("*.jpg")), ("attribute",))
    said = [d.texts["attribute"] for d in described]
    assert said and not any("sunset" in text for text in said), said
    for word in ("sunset", "sunrise", "dusk", "sunsets over the sea", "evening"):
        parts = understand(word).parts
        assert parts and parts[0].kind == "found" and parts[0].terms == ("sunset",), (word, parts)
    asked = understand("sunset")
    lit = {"objects": [{"label": "sunset", "attributes": {"colour": "orange"}}], "image_attributes": {}}
    unlit = {"objects": [{"label": "sky", "attributes": {"colour": "blue"}}], "image_attributes": {}}
    assert satisfaction(asked, lit, None) > satisfaction(asked, unlit, None)


def test_the_grounded_describer_says_the_sunset_of_a_wide_scene(tmp_path: Path) -> None:
    """Where the classifier sees a wide scene (here every image: `wide_scene_from` 0), the glow is said
    after the sky, with its colour and no size, and is a fact a search reads by its label."""
    from PIL import Image

    from multicap.describe import describe_paths
    from multicap.describe.grounded import GroundedConfig, GroundedDescriber

    Image.fromarray(_evening((245, 160, 70))).resize((640, 640)).save(tmp_path / "evening.png")
    describer = GroundedDescriber(GroundedConfig(people=False, wide_scene_from=0.0))
    (said,) = describe_paths(describer, [tmp_path / "evening.png"], ("object", "attribute"))
    assert said.texts["object"].endswith("the sky and a sunset"), said.texts
    assert "an orange sunset" in said.texts["attribute"], said.texts
    assert [o.label for o in said.facts.objects][-2:] == ["sky", "sunset"]
