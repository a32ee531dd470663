"""A copy compared in its original's frame (`multicap.compare.align`): a crop's and a quarter turn's boxes
and pixels carried back, so that only what the crop cut away differs."""

from __future__ import annotations

import numpy as np
from PIL import Image

from multicap.compare.align import align_pair, shown_share
from multicap.compare.verify import alignment
from multicap.describe.description import Description
from multicap.facts import SceneFacts, SceneObject
from tests.conftest import EXAMPLES


def _desc(*objects: SceneObject) -> Description:
    return Description(EXAMPLES / "x.jpg", SceneFacts(list(objects), [], {}))


def _thing(label: str, box: tuple[float, float, float, float]) -> SceneObject:
    return SceneObject(label, 0.9, box, {"position": "center", "size": "medium"})


def test_a_crop_differs_only_where_it_cut_and_its_boxes_come_back_to_the_original() -> None:
    photo = Image.open(EXAMPLES / "astronaut.jpg").convert("RGB")
    w, h = photo.size
    crop = photo.crop((w // 2, 0, w, h))  # the right half
    matrix = alignment(photo, crop)
    assert matrix is not None
    # a thing filling the crop is the right half of the original; one across both halves is cut to the
    # half the crop kept: the two are the same thing, in the same place, of the same size; a thing on
    # the left was left out of the crop
    tree_a, tree_b = _thing("tree", (0.25, 0.0, 1.0, 1.0)), _thing("tree", (0.0, 0.0, 1.0, 1.0))
    flag = _thing("flag", (0.0, 0.0, 0.3, 0.4))
    al = align_pair((photo, crop), (_desc(tree_a, flag), _desc(tree_b)), matrix)
    assert al.a.facts is not None and al.b.facts is not None
    [in_a], [in_b] = al.a.facts.objects, al.b.facts.objects
    assert abs(in_b.box[0] - 0.5) < 0.02 and abs(in_b.box[2] - 1.0) < 0.02
    assert np.allclose(in_a.box, in_b.box, atol=0.02)
    assert in_a.attributes == in_b.attributes
    assert [o.label for o in al.only_a] == ["flag"] and not al.only_b
    assert al.compared[:, 7:].all() and not al.compared[:, :5].any()  # the cells the crop shows
    assert al.changed.shape == (12, 12) and not al.changed.any()  # what the crop shows is the same
    assert abs(shown_share(matrix, photo.size, crop.size) - 0.5) < 0.02


def test_a_quarter_turn_or_a_grey_copy_changes_no_cell() -> None:
    photo = Image.open(EXAMPLES / "chelsea.jpg").convert("RGB")
    cat = _desc(_thing("cat", (0.1, 0.0, 0.8, 0.9)))
    turned = photo.rotate(90, expand=True)
    matrix = alignment(photo, turned)
    assert matrix is not None
    al = align_pair((photo, turned), (cat, cat), matrix)
    assert not al.changed.any() and not al.only_a and not al.only_b
    grey = photo.convert("L").convert("RGB")
    same = alignment(photo, grey)
    assert same is not None and not align_pair((photo, grey), (cat, cat), same, grey=True).changed.any()
    assert align_pair((photo, grey), (cat, cat), same).changed.any()  # in colour, every cell lost its colour
    painted = np.asarray(photo).copy()
    painted[: painted.shape[0] // 3, : painted.shape[1] // 3] = (255, 0, 0)  # an edit: a red corner
    edited = Image.fromarray(painted)
    fit = alignment(photo, edited)
    assert fit is not None
    changed = align_pair((photo, edited), (cat, cat), fit).changed
    assert changed[:3, :3].all() and not changed[6:, 6:].any()


def test_two_crops_each_show_what_the_other_cut_away() -> None:
    """A left and a right crop of one photo: a thing on the far right is only in the right crop, one on
    the far left only in the left one, whichever frame they are compared in."""
    photo = Image.open(EXAMPLES / "astronaut.jpg").convert("RGB")
    w, h = photo.size
    left, right = photo.crop((0, 0, w * 3 // 4, h)), photo.crop((w // 4, 0, w, h))
    matrix = alignment(left, right)
    assert matrix is not None
    far_left = _thing("flag", (0.0, 0.1, 0.2, 0.4))  # in the left crop's frame: cut from the right one
    far_right = _thing("helmet", (0.8, 0.6, 1.0, 0.9))  # in the right crop's frame: cut from the left one
    al = align_pair((left, right), (_desc(far_left), _desc(far_right)), matrix)
    assert [o.label for o in al.only_a] == ["flag"] and [o.label for o in al.only_b] == ["helmet"]
    assert (
        al.a.facts is not None
        and not al.a.facts.objects
        and al.b.facts is not None
        and not al.b.facts.objects
    )


def test_a_pair_differs_alike_whichever_is_named_first(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The crop named first was compared in its own frame, where nothing of the original beyond it lies:
    "no meaningful difference"; the original named first listed what the crop cut away. Both orders now
    compare in the frame of the one that shows more; a grey original beside its colour copy too."""
    from multicap.compare.run import compare_files

    photo = Image.open(EXAMPLES / "astronaut.jpg").convert("RGB")
    w, h = photo.size
    photo.save(tmp_path / "whole.jpg")
    photo.crop((0, 0, w * 2 // 3, h)).save(tmp_path / "half.jpg")  # the helmet on the right cut away
    whole, half = tmp_path / "whole.jpg", tmp_path / "half.jpg"
    forth, back = compare_files([whole, half], pair=True), compare_files([half, whole], pair=True)
    assert forth.near_duplicate and back.near_duplicate  # type: ignore[union-attr]

    def said(outcome) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
        return {(d.kind, d.label) for d in outcome.pair.differences}

    assert said(forth) and said(back) == {(_flip(k), label) for k, label in said(forth)}
    photo.convert("L").save(tmp_path / "grey.jpg")
    grey = compare_files([tmp_path / "grey.jpg", whole], pair=True)
    assert grey.near_duplicate and not grey.pair.differences  # type: ignore[union-attr]


def _flip(kind: str) -> str:
    return {"removed": "added", "added": "removed"}.get(kind, kind)


def test_the_whole_image_changes_where_most_of_what_both_show_changed() -> None:
    """A crop showing half the frame, every cell of it changed (its colours swapped), never said its
    setting had changed: most of all the cells had to change, half of which it does not show."""
    from multicap.compare.pairs import compare_facts

    a, b = SceneFacts([], [], {"setting": "church"}), SceneFacts([], [], {"setting": "palace"})
    compared = np.zeros((12, 12), dtype=bool)
    compared[:, 6:] = True
    changed = compared.copy()
    changed[:2] = False  # 60 of its 72 cells, fewer than half of all 144
    assert not compare_facts(a, b, changed=changed)  # of all 144: not most
    assert [d.label for d in compare_facts(a, b, changed=changed, compared=compared)] == ["setting"]


def test_the_keypoint_share_is_the_same_either_way_round() -> None:
    """A 40 px copy was one photo with its original named first, and not the other way round."""
    from multicap.compare.verify import PairCheck

    photo = Image.open(EXAMPLES / "chelsea.jpg").convert("RGB")
    small = photo.resize((photo.width // 4, photo.height // 4))
    check = PairCheck.of_images([photo, small])
    assert check.share(0, 1) == check.share(1, 0) is not None


def test_a_mirrored_copy_is_carried_back_through_the_flip() -> None:
    """The transform onto a copy flipped left to right is a similarity and the flip (its determinant
    negative): a thing on the copy's right is on the photo's left, and no cell of the copy, flipped
    back, differs."""
    photo = Image.open(EXAMPLES / "coffee.jpg").convert("RGB")
    mirrored = photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    matrix = alignment(photo, mirrored)
    assert matrix is not None and np.linalg.det(matrix[:, :2]) < 0
    cup_a, cup_b = _thing("cup", (0.1, 0.2, 0.4, 0.8)), _thing("cup", (0.6, 0.2, 0.9, 0.8))
    al = align_pair((photo, mirrored), (_desc(cup_a), _desc(cup_b)), matrix)
    assert al.b.facts is not None
    [in_b] = al.b.facts.objects
    assert np.allclose(in_b.box, cup_a.box, atol=0.02), in_b.box
    assert al.compared.all() and not al.changed.any() and not al.only_a and not al.only_b
    assert abs(shown_share(matrix, photo.size, mirrored.size) - 1.0) < 0.02


def test_a_copy_made_brighter_says_no_colour_changed(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A ladybird brightened ×1.26 read "the medium ladybug is green and yellow in a, yellow in b": the
    edit changed every colour, so what the describer's colours say of it is not a change in the photo.
    Colour differences of a brighter, darker or grey copy are not said; of a copy of the same light they
    are (every cell made to look changed here, as JPEG noise made some of the ladybird's)."""
    from dataclasses import replace
    from types import SimpleNamespace

    from PIL import ImageEnhance

    from multicap.compare import sets

    def all_changed(*args, **kwargs):  # type: ignore[no-untyped-def]
        aligned = real(*args, **kwargs)
        return replace(aligned, changed=np.ones_like(aligned.changed))

    real = sets.align_pair
    monkeypatch.setattr(sets, "align_pair", all_changed)
    photo = Image.open(EXAMPLES / "coffee.jpg").convert("RGB")
    photo.save(tmp_path / "a.png")
    photo.save(tmp_path / "same.png")
    ImageEnhance.Brightness(photo).enhance(1.3).save(tmp_path / "b.png")
    cup = (0.1, 0.1, 0.9, 0.9)
    red, pink = ({"colour": c} for c in ("red", "pink"))
    a, b, same = (
        Description(tmp_path / name, SceneFacts([SceneObject("cup", 0.9, cup, colour)], [], {}))
        for name, colour in (("a.png", red), ("b.png", pink), ("same.png", pink))
    )
    for other, said_colour in ((b, False), (same, True)):
        images = SimpleNamespace(
            paths=[a.path, other.path],
            names=[a.path.name, other.path.name],
            descriptions=[a, other],
            embeddings=np.eye(2),
            signatures=np.eye(2),
            pixels=[photo.width * photo.height] * 2,
            nbytes=[],  # (not known: as an ImageSet of images an index holds)
        )
        kinds = [d.kind for d in sets.compare_copy(images, 0, 1).differences]  # type: ignore[arg-type]
        assert ("colour" in kinds) is said_colour, (other.path.name, kinds)
