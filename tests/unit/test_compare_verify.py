"""Same photo or only alike (`multicap.compare.verify`): the keypoint check of a near-duplicate pair.

Real photos that ship with the repository (examples/photos, from scikit-image), each altered the five
ways the near-duplicate benchmark alters them; different photos, and the check's effect on grouping.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from multicap.compare import DEFAULT_THRESHOLD, duplicate_groups
from multicap.compare.duplicates import SURE
from multicap.compare.verify import MIN_SHARE, MIRROR_SHARE, PairCheck, keypoints, shared_share
from multicap.data.scenes import altered_versions

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "photos"


def _photo(name: str) -> Image.Image:
    return Image.open(EXAMPLES / f"{name}.jpg").convert("RGB")


def test_altered_copies_of_a_photo_share_their_keypoints() -> None:
    for name in ("astronaut", "chelsea", "coffee"):
        versions = [img for _, img in altered_versions(_photo(name), np.random.default_rng(7))]
        found = [keypoints(img) for img in versions]
        for k in range(1, len(versions)):
            share = shared_share(found[0], found[k])
            assert share is not None and share >= MIN_SHARE, (name, k, share)


def test_different_photos_do_not() -> None:
    found = {name: keypoints(_photo(name)) for name in ("astronaut", "camera", "chelsea", "coffee")}
    names = sorted(found)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            share = shared_share(found[a], found[b])
            assert share is not None and share < MIN_SHARE / 2, (a, b, share)


def test_a_flat_image_is_not_judged() -> None:
    flat = Image.new("RGB", (320, 240), (90, 140, 200))
    assert len(keypoints(flat)) == 0
    assert shared_share(keypoints(flat), keypoints(_photo("coffee"))) is None
    check = PairCheck.of_images([flat, _photo("coffee")])
    assert check(0, 1)  # not judged: the signature alone decides


def test_a_strip_is_not_judged() -> None:
    """A 20,000 x 50 strip shrunk to 320 px long is 1 px high: OpenCV's resize refused it, and the error
    stopped the whole folder's comparison (and five routes of the server)."""
    strip = Image.fromarray(np.tile(np.linspace(0, 255, 20000, dtype=np.uint8)[None, :, None], (50, 1, 3)))
    for found in (keypoints(strip), keypoints(strip, mirrored=True), keypoints(strip, closer=2)):
        assert len(found) == 0
    check = PairCheck.of_images([strip, strip.copy(), _photo("coffee")])
    assert check(0, 1) and check(0, 2)  # not judged: the signature alone decides


def test_a_file_that_cannot_be_read_again_is_not_judged(tmp_path: Path) -> None:
    good = tmp_path / "a.jpg"
    _photo("coffee").save(good)
    check = PairCheck.of_paths([good, tmp_path / "gone.jpg"])
    assert check(0, 1)


def test_grouping_leaves_apart_what_the_check_says_are_different_photos() -> None:
    """Three signatures alike (cosine 0.86, between the threshold and SURE): one group without the check,
    none when it says every pair differs, the pair it accepts when it accepts one; a pair at or above
    SURE is not asked."""
    angle = np.arccos(0.86)
    vectors = np.array([[1, 0, 0], [np.cos(angle), np.sin(angle), 0], [np.cos(angle), 0, np.sin(angle)]])
    vectors = vectors.astype(np.float32)
    assert DEFAULT_THRESHOLD < float(vectors[0] @ vectors[1]) < SURE
    assert [g.members for g in duplicate_groups(vectors)] == [[0, 1, 2]]
    assert duplicate_groups(vectors, same=lambda i, j: False) == []
    groups = duplicate_groups(vectors, same=lambda i, j: {i, j} == {0, 2})
    assert [sorted(g.members) for g in groups] == [[0, 2]]
    asked: list[tuple[int, int]] = []
    twins = np.tile(np.array([[0.6, 0.8]], dtype=np.float32), (2, 1))
    assert [g.members for g in duplicate_groups(twins, same=lambda i, j: bool(asked.append((i, j))))] == [
        [0, 1]
    ]
    assert asked == []


def test_how_a_copy_was_made_is_read_from_its_pixels_and_keypoints() -> None:
    """A pair said to be near-duplicates had "no meaningful difference" at every level, however the copy
    was made: the facts of a copy are the photo's."""
    from PIL import ImageEnhance

    from multicap.compare.verify import how_copied

    photo = _photo("chelsea")
    w, h = photo.size
    assert how_copied(photo, photo) == []
    assert how_copied(photo, photo.transpose(Image.Transpose.ROTATE_270)) == ["turned a quarter clockwise"]
    assert how_copied(photo, photo.rotate(6, resample=Image.Resampling.BILINEAR)) == [
        "rotated 6° anticlockwise"
    ]
    assert how_copied(photo, photo.resize((w // 2, h // 2))) == ["smaller (25% of the pixels)"]
    crop = photo.crop((w // 8, h // 8, w - w // 8, h - h // 8))
    assert how_copied(photo, crop) == ["cropped", "smaller (57% of the pixels)"]
    assert how_copied(crop, photo) == ["uncropped (a is a crop of it)", "larger (177% of the pixels)"]
    assert how_copied(photo, ImageEnhance.Brightness(photo).enhance(0.6)) == ["darker (×0.60)"]
    assert how_copied(photo, photo.convert("L")) == ["made grey"]


def test_a_stretched_copy_is_said_stretched_not_rotated_or_cropped() -> None:
    """A thumbnail squashed to a square was "smaller", and a copy made narrower "uncropped (a is a crop of
    it)" or "rotated 7°": one similarity cannot carry a stretched copy's points, and fitted only a part.
    A crop, which also changes the width/height, stays a crop."""
    from multicap.compare.verify import how_copied

    photo = _photo("chelsea")
    w, h = photo.size
    assert how_copied(photo, photo.resize((256, 256))) == [
        f"stretched out of shape (width/height {w / h:.2f} → 1.00)",
        "smaller (48% of the pixels)",
    ]
    assert how_copied(photo, photo.resize((w * 4 // 5, h)))[:1] == [
        f"stretched out of shape (width/height {w / h:.2f} → {(w * 4 // 5) / h:.2f})"
    ]
    crop = photo.crop((0, 0, w * 3 // 4, h))
    assert how_copied(photo, crop)[0] == "cropped"
    wide = photo.resize((w * 2, h))  # squashed hard (2:1 → 1:1): ORB's descriptors match only reshaped
    assert (
        how_copied(wide, photo.resize((h, h)))[0]
        == f"stretched out of shape (width/height {2 * w / h:.2f} → 1.00)"
    )


def test_a_crop_of_a_dark_part_is_not_said_darker() -> None:
    """The copy's brightness is compared with the part of the photo it shows: a crop to a dark half had
    been "darker (×0.84)"."""
    from multicap.compare.verify import how_copied

    photo = _photo("chelsea")
    w, h = photo.size
    shaded = photo.copy()
    shaded.paste(photo.crop((0, 0, w * 2 // 3, h)).point(lambda v: int(v * 0.6)), (0, 0))  # its left dim
    said = how_copied(shaded, shaded.crop((0, 0, w * 2 // 3, h)))  # was also "darker (×0.79)"
    assert said[0] == "cropped" and not any(c.startswith(("darker", "brighter")) for c in said), said


def test_a_mirrored_copy_shares_the_keypoints_of_its_mirror_image() -> None:
    """ORB's descriptors are not mirror-symmetric: a photo and its copy flipped left to right share few
    keypoints as they are; matched against the mirror image's keypoints, nearly all. A different photo's
    mirror image stays apart."""
    from multicap.compare.verify import how_copied

    photo = _photo("chelsea")
    mirrored = photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    plain = shared_share(keypoints(photo), keypoints(mirrored))
    assert plain is not None and plain < MIRROR_SHARE
    other = _photo("coffee").transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    check = PairCheck.of_images([photo, mirrored, other])
    assert (check.share(0, 1) or 0.0) >= MIRROR_SHARE and check.share(1, 0) == check.share(0, 1)
    assert (check.share(0, 2) or 0.0) < MIN_SHARE / 2
    assert how_copied(photo, mirrored) == ["flipped left to right"]
    w, h = photo.size
    crop = mirrored.crop((0, 0, w * 3 // 4, h))
    assert how_copied(photo, crop)[:2] == ["flipped left to right", "cropped"]
    assert PairCheck.of_images([photo, crop])(0, 1)  # a mirrored crop is not vetoed as another photo
    # the turn said after the flip is the turn made after it (PIL's ROTATE_90 is anticlockwise)
    turned = mirrored.transpose(Image.Transpose.ROTATE_90)
    assert how_copied(photo, turned) == ["flipped left to right", "turned a quarter anticlockwise"]


def test_a_symmetric_photo_cropped_is_not_said_to_be_flipped() -> None:
    """A scene that is its own mirror image shares about as many keypoints with a crop's mirror image as
    with the crop: only a mirror share far above the plain one says the copy was flipped."""
    from multicap.compare.verify import how_copied

    for name in ("rocket", "astronaut", "coffee"):
        photo = _photo(name)
        w, h = photo.size
        half = photo.crop((0, 0, w // 2, h))
        symmetric = Image.new("RGB", (2 * (w // 2), h))
        symmetric.paste(half, (0, 0))
        symmetric.paste(half.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (w // 2, 0))
        side = symmetric.width
        for shift in (0.1, 0.18):  # the middle 80 % of each side, and that moved right
            x0 = int(side * shift)
            crop = symmetric.crop((x0, h // 10, x0 + side * 4 // 5, h * 9 // 10))
            assert "flipped left to right" not in how_copied(symmetric, crop), (name, shift)
            assert "flipped left to right" not in how_copied(crop, symmetric), (name, shift)


def test_a_turned_copy_is_a_candidate_by_its_pixels_and_grey_photos_are_not() -> None:
    """A copy turned a quarter moved its embedding out of the photo's nearest (found only as a pair); with
    the colour histogram, which turning does not change, any two grey photos had been candidates."""
    import numpy as np

    from multicap.compare.duplicates import _turned_by_pixels
    from multicap.compare.signature import pixel_signature, signature

    names = ["astronaut", "camera", "chelsea", "coffee", "rocket"]
    photos = [_photo(n).convert("L").convert("RGB") for n in names]  # grey: one histogram for all
    photos.append(photos[1].transpose(Image.Transpose.ROTATE_90))  # the camera turned a quarter
    pixels = np.stack([pixel_signature(p) for p in photos])
    assert _turned_by_pixels(signature(np.ones((len(photos), 8), np.float32), pixels)) == {(1, 5)}
