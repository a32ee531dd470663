"""The sky of a photo from its pixels (`multicap.describe.sky`): smooth, sky-coloured (white or gray only
where the caller allows), touching the top; drawn scenes at the describer's 224 px."""

from __future__ import annotations

import numpy as np

from multicap.describe.sky import find_sky

S = 224


def _scene(
    top: tuple[int, int, int], *, horizon: float = 0.5, noise: float = 2.0, fade: float = 25.0, seed: int = 0
) -> np.ndarray:
    """A smooth band of `top` above the horizon (lighter towards it by `fade`, as skies are), textured
    green land below it."""
    rng = np.random.default_rng(seed)
    img = np.empty((S, S, 3), np.float32)
    h = round(S * horizon)
    light = np.linspace(0.0, fade, h, dtype=np.float32)[:, None, None]  # (h, 1, 1)
    img[:h] = np.asarray(top, np.float32) + light + rng.normal(0, noise, (h, S, 3))
    img[h:] = np.asarray((60, 120, 50), np.float32) + rng.normal(0, 30.0, (S - h, S, 3))  # grass
    return img.clip(0, 255).astype(np.uint8)


def test_a_blue_sky_above_land_is_found_with_its_box_and_colour() -> None:
    sky = find_sky(_scene((70, 130, 210)))
    assert sky is not None and sky.colour == "blue"
    assert sky.box[1] == 0.0 and 0.45 <= sky.box[3] <= 0.55 and sky.box[0] == 0.0 and sky.box[2] == 1.0
    assert 0.45 <= sky.share <= 0.55


def test_an_overcast_sky_is_found_when_it_is_the_brightest_part() -> None:
    sky = find_sky(_scene((225, 228, 232), horizon=0.35, fade=5.0))
    assert sky is not None and sky.colour in ("white", "gray") and sky.box[3] <= 0.4


def test_what_is_not_sky_is_not_called_sky() -> None:
    assert find_sky(_scene((70, 130, 210), noise=25.0)) is None  # blue, but textured: a wall, a sea
    assert find_sky(_scene((70, 130, 210), horizon=0.05)) is None  # a strip of 5%: too little to say
    backdrop = _scene((205, 205, 205), horizon=0.5, fade=5.0)  # a studio's, or an overcast sky
    assert find_sky(backdrop) is not None and find_sky(backdrop, pale_ok=False) is None
    assert find_sky(_scene((70, 130, 210)), pale_ok=False) is not None  # blue needs no more evidence
    flipped = _scene((70, 130, 210))[::-1].copy()  # the blue band at the bottom: water, not sky
    assert find_sky(flipped) is None
    assert find_sky(np.zeros((8, 8, 3), np.uint8)) is None  # too small to tell
