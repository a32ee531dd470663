"""An object's own colour from a coarse region that spills over the background (`object_colours`).

Each scene is a coloured object on a larger, contrasting background, with the region a 7×7 class-activation
map would give at 224 px: cells of 32 px, bigger than the object. The region's plain dominant colour is
the background's; the object's colour is what the region holds more of than its surround.
"""

from __future__ import annotations

import numpy as np

from multicap.describe.colours import class_colours, image_colour_attributes, object_colours, white_patch

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


def test_a_dim_photo_is_named_as_if_its_brightest_pixels_were_white() -> None:
    """An orange in a dim photo (its slice 166, 108, 27, as in opencv's fruits.jpg) lies nearer the dark
    brown prototypes; named on the white-patch image, it is orange. The gain is bounded, and a photo that
    already reaches white is returned as it is."""
    img = _field((40, 35, 30), noise=4)  # a dark table
    img[60:170, 60:170] = (166, 108, 27)  # the orange
    img[10:30, 10:30] = (200, 200, 195)  # a highlight: the brightest 2% or so of the photo
    region = _cells(slice(1, 6), slice(1, 6))
    assert _names(img, region) == ["brown"]
    lit = white_patch(img)
    assert lit.dtype == np.uint8 and lit.shape == img.shape
    assert _names(lit, region) == ["orange"]
    assert lit.max() <= 255 and float(lit[100:110, 100:110, 0].mean()) <= 166 * 1.5  # at most 1.5 ×
    white = img.copy()
    white[:40, :] = 255
    assert white_patch(white) is white


def test_the_sky_left_out_of_an_object_standing_against_it() -> None:
    """A white rocket in a blue sky, its coarse region mostly sky: with the sky's cells left out of the
    region and of its surround, the rocket is white."""
    img = np.broadcast_to(np.array([60, 100, 190], dtype=np.uint8), (S, S, 3)).copy()  # the sky
    img[150:, :] = img[:, :56] = img[:, 168:] = (40, 35, 30)  # dark ground and launch towers around it
    img[30:170, 106:118] = (235, 235, 235)  # the rocket, 12 px wide
    region = _cells(slice(1, 6), slice(2, 5))  # the surround is mostly dark: the region holds more sky
    assert _names(img, region)[0] == "blue"
    sky = np.zeros((56, 56), dtype=bool)  # the sky detector's cells of 4 px
    sky[: 150 // 4, 56 // 4 : 168 // 4] = True
    sky[30 // 4 : 170 // 4, 104 // 4 : 120 // 4] = False  # the rocket is not smooth blue
    assert [n for n, _ in object_colours(img, region, exclude=sky)] == ["white"]


def test_a_pale_building_keeps_its_white_against_white_clouds() -> None:
    """A pale stone building under a cloudy sky, its region half sky: the sky left out of the region
    and of its surround (the clouds' white is not what surrounds the building), it is white; with the
    clouds counted as its surround, their white cancelled its own and the shadowed stone (gray) won."""
    img = np.broadcast_to(np.array([205, 210, 215], dtype=np.uint8), (S, S, 3)).copy()  # white clouds
    img[192:, :] = (70, 90, 50)  # dark green ground
    img[60:192, 40:184] = (222, 218, 208)  # the building's sunlit stone
    img[150:192, 40:184] = (150, 148, 142)  # and its shadowed arcades
    region = _cells(slice(1, 6), slice(1, 6))
    sky = np.zeros((56, 56), dtype=bool)  # the sky detector's cells of 4 px
    sky[: 60 // 4, :] = True
    sky[60 // 4 : 192 // 4, : 40 // 4] = sky[60 // 4 : 192 // 4, 184 // 4 :] = True
    assert [n for n, _ in object_colours(img, region, exclude=sky)] == ["white"]


def test_a_kinds_own_colour_is_said_where_its_pixels_support_it() -> None:
    """A polar bear half in shade on dark water: its pixels read more gray than white; the class's
    colour (WordNet: "white bear of Arctic regions") is said, as people name it. A colour the pixels do
    not support is not."""
    img = _field((25, 45, 70))  # dark water
    img[70:150, 50:170] = (165, 165, 168)  # the bear in shade
    img[70:100, 50:170] = (236, 236, 232)  # its sunlit back
    region = _cells(slice(2, 5), slice(1, 6))
    assert _names(img, region)[0] == "gray"
    assert object_colours(img, region, expected=("white",))[0][0] == "white"
    assert object_colours(img, region, expected=("orange", "brown"))[0][0] == "gray"  # none of it there
    assert object_colours(img, region, expected=("gray", "white"))[0][0] == "gray"  # one of them: kept


def test_class_colours_come_from_wordnet_lemmas_and_glosses() -> None:
    assert class_colours("n02134084") == ("white",)  # ice bear: "white bear of Arctic regions"
    assert class_colours("n02279972")[0] == "orange"  # monarch: "deep orange wings with black and white
    assert "black" not in class_colours("n02279972")  # markings" (a part's colour, not the wings')
    assert class_colours("n02066245")[0] == "gray"  # grey whale, by its lemma
    assert class_colours("n04254680") == ()  # soccer ball: WordNet names no colour


def test_a_grayscale_photo_is_said_black_and_white_and_a_nearly_gray_colour_photo_is_not() -> None:
    gray = _field((120, 120, 120), noise=30)
    gray[:, :, 1] = gray[:, :, 2] = gray[:, :, 0]  # every pixel gray
    assert image_colour_attributes(gray)["colourfulness"] == "black and white"
    steel = gray.copy()
    steel[110:120, 20:200] = (150, 120, 60)  # a thin brass tape measure on a gray photo
    assert image_colour_attributes(steel)["colourfulness"] == "muted"
