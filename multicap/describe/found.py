"""What is found from the pixels rather than by the classifier (ImageNet has no class for them), as objects
of the scene: the sky (`multicap.describe.sky`), a sunset's glow (`.sunset`), grass, trees and foliage
(`.vegetation`); each carries its WordNet noun, and is said after the classifier's objects."""

from __future__ import annotations

from multicap.describe.regions import share_inside
from multicap.describe.sky import Sky
from multicap.describe.sunset import Sunset
from multicap.describe.vegetation import Vegetation
from multicap.facts import Relation, SceneObject
from multicap.facts.geometry import position_of, size_of

__all__ = ["sky_object", "sky_placed", "sunset_object", "vegetation_object"]

_SKY_WNID = "n09436708"  # sky.n.01: no ImageNet class either (multicap.describe.sky)
_SUNSET_WNID = "n11517776"  # sunset.n.02, the atmospheric phenomenon (multicap.describe.sunset)


def sky_placed(relation: Relation, objects: list[SceneObject]) -> Relation:
    """The sky is never below a thing: where its box's centre is (a sky over the whole frame, behind a
    building that fills the middle), it is around the thing; nor beside a thing it lies behind, its box
    over most of the thing's ("a statue in the centre, the sky around it", not "next to it")."""
    if objects[relation.subject].label != "sky":
        return relation
    sky, thing = objects[relation.subject].box, objects[relation.object].box
    if relation.predicate == "below" or (relation.predicate == "next to" and share_inside(thing, sky) >= 0.5):
        return Relation(relation.subject, "around", relation.object)
    return relation


def sky_object(sky: Sky) -> SceneObject:
    attributes = {
        "colour": sky.colour,
        "size": size_of(sky.box),
        "position": position_of(sky.box),
        "wnid": _SKY_WNID,
        "tags": "sky",
        "found_by": "pixels",
    }
    confidence = round(0.5 + 0.5 * min(1.0, sky.share / 0.5), 4)  # rises with its share: 1 at half the image
    return SceneObject("sky", confidence, sky.box, attributes)


def sunset_object(sunset: Sunset) -> SceneObject:
    attributes = {
        "colour": sunset.colour,
        "size": size_of(sunset.box),
        "position": position_of(sunset.box),
        "wnid": _SUNSET_WNID,
        "tags": "sunset, sunrise, afterglow, atmospheric phenomenon",
        "found_by": "pixels",
    }
    confidence = round(0.5 + 0.5 * min(1.0, sunset.share / 0.2), 4)  # rises with its share: 1 at a fifth
    return SceneObject("sunset", confidence, sunset.box, attributes)


# WordNet 3.0 nouns of what vegetation.py finds (no ImageNet class either), and their tags.
_VEGETATION: dict[str, tuple[str, str]] = {
    "grass": ("n12102133", "grass, plant"),  # grass.n.01
    "trees": ("n13104059", "tree, woody plant, plant"),  # tree.n.01
    "foliage": ("n13152742", "foliage, leaf, leaves, plant"),  # leaf.n.01 (leaf, leafage, foliage)
}


def vegetation_object(found: Vegetation) -> SceneObject:
    wnid, tags = _VEGETATION[found.label]
    attributes = {
        "colour": found.colour,
        "size": size_of(found.box),
        "position": position_of(found.box),
        "wnid": wnid,
        "tags": tags,
        "found_by": "pixels",
    }
    confidence = round(0.5 + 0.5 * min(1.0, found.share / 0.5), 4)  # rises with its share: 1 at half
    return SceneObject(found.label, confidence, found.box, attributes)
