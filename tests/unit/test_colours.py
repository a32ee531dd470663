"""An object's own colour from a coarse region that spills over the background (`object_colours`).

Each scene is a coloured object on a larger, contrasting background, with the region a 7×7 class-activation
map would give at 224 px: cells of 32 px, bigger than the object. The region's plain dominant colour is
the background's; the object's colour is what the region holds more of than its surround.
"""

from __future__ import annotations

import numpy as np

from multicap.describe.colours import object_colours

S = 224  # the describer's input side


def _field(rgb: tuple[int, int, int], noise: float = 6.0, seed: int = 0) -> np.ndarray:
    """(S, S, 3) uint8 of one colour with Gaussian noise (a textured background)."""
    rng = np.random.default_rng(seed)
    img = np.asarray(rgb, dtype=np.float32) + rng.normal(0, noise, (S, S, 3))
    return img.clip(0, 255).astype(np.uint8)


def _cells(rows: slice, cols: slice, side: int = 7) -> np.ndarray:
    """A (side, side) bool region of whole cells, as a CAM region at 224 px (cells of 32 px)."""
    region = np.zeros((side, side), dtype=bool)
    region[rows, cols] = True
    return region


def _names(rgb: np.ndarray, region: np.ndarray) -> list[str]:
    return [name for name, _ in object_colours(rgb, region)]


def test_red_disk_on_green_field_is_red() -> None:
    img = _field((60, 140, 50))  # grass
    yy, xx = np.mgrid[:S, :S]
    img[(yy - 112) ** 2 + (xx - 112) ** 2 < 26**2] = (200, 30, 30)  # a ladybird-red disk, 52 px across
    region = _cells(slice(2, 5), slice(2, 5))  # 96 px square: the disk is under a quarter of it
    assert _names(img, region) == ["red"]


def test_blue_car_on_gray_road_is_blue() -> None:
    img = _field((115, 115, 118), noise=10)  # asphalt
    car = (slice(120, 160), slice(60, 150))
    img[car] = (35, 65, 170)  # the body
    img[124:136, 80:130] = (30, 30, 35)  # dark windows
    img[155:165, 65:85] = img[155:165, 125:145] = (20, 20, 20)  # tyres
    region = _cells(slice(3, 6), slice(1, 6))  # 96 × 160 px around a 40 × 90 px car
    assert _names(img, region) == ["blue"]


def test_yellow_kite_in_blue_sky_is_yellow() -> None:
    t = np.linspace(0, 1, S, dtype=np.float32)[:, None, None]
    sky = (1 - t) * np.array([70, 130, 210]) + t * np.array([150, 200, 240])  # (S, 1, 3) a gradient
    img = np.broadcast_to(sky, (S, S, 3)).astype(np.uint8).copy()
    yy, xx = np.mgrid[:S, :S]
    img[np.abs(yy - 80) + np.abs(xx - 140) < 28] = (245, 215, 40)  # a yellow diamond
    region = _cells(slice(1, 4), slice(3, 6))
    assert _names(img, region) == ["yellow"]


def test_red_car_with_dark_windows_and_tyres_is_red() -> None:
    """Black covers more of the car than red does, but shadows, glass and rubber are not its colour."""
    img = _field((150, 150, 150), noise=8)  # a light road
    img[110:170, 50:174] = (20, 20, 22)  # tyres, windows and the shadow under the car
    img[118:150, 60:164] = (190, 25, 30)  # the red body, about a third of the car
    img[124:136, 80:140] = (25, 25, 30)  # a window across the body
    region = _cells(slice(3, 6), slice(1, 6))
    assert _names(img, region)[0] == "red"


def test_shaded_and_pale_oranges_are_orange() -> None:
    """A robin's breast or an orange in shade, and peach petals: orange, not brown."""
    for rgb in [(176, 104, 8), (231, 171, 111), (210, 142, 82)]:
        assert _names(np.full((S, S, 3), rgb, dtype=np.uint8), np.ones((7, 7), dtype=bool)) == ["orange"]
    for rgb in [(172, 110, 53), (106, 78, 49), (230, 190, 165)]:  # wood, fur and skin stay brown
        assert _names(np.full((S, S, 3), rgb, dtype=np.uint8), np.ones((7, 7), dtype=bool)) == ["brown"]


def test_black_and_white_pattern_names_both() -> None:
    img = _field((70, 130, 45))
    stripes = np.where((np.arange(100) // 8) % 2 == 0, 20, 240).astype(np.uint8)  # (100,) zebra stripes
    img[70:150, 60:160] = stripes[:, None]  # broadcast over rows and the three channels
    region = _cells(slice(1, 6), slice(1, 6))
    assert sorted(_names(img, region)) == ["black", "white"]


def test_an_object_that_fills_the_image_keeps_its_dominant_colour() -> None:
    img = _field((150, 100, 60), noise=12)  # a brown coat filling the frame
    img[:40, :40] = (60, 140, 50)  # a little grass in one corner
    region = np.ones((7, 7), dtype=bool)
    region[0, 0] = False
    assert _names(img, region) == ["brown"]
    assert _names(img, np.zeros((7, 7), dtype=bool)) == ["brown"]  # no region at all: the whole image


def test_region_at_any_resolution_and_soft() -> None:
    """The describer's 28 × 28 mask, or a 0..1 map, name the same colour as the 7 × 7 cells."""
    img = _field((60, 140, 50))
    img[80:144, 80:144] = (230, 120, 20)  # an orange square
    cells = _cells(slice(2, 5), slice(2, 5))
    fine = np.kron(cells, np.ones((4, 4), dtype=bool))  # (28, 28)
    soft = fine * 0.8
    assert _names(img, cells) == _names(img, fine) == _names(img, soft) == ["orange"]
