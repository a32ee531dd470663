"""What is found from the pixels rather than by the classifier (ImageNet has no class for them), as objects
of the scene: the sky (`multicap.describe.sky`), a sunset's glow (`.sunset`), grass, trees and foliage
(`.vegetation`); each carries its WordNet noun, and is said after the classifier's objects."""

from __future__ import annotations

from multicap.describe.regions import share_inside
from multicap.describe.sky import Sky
from multicap.describe.sunset import Sunset
from multicap.describe.vegetation import Vegetation
from multicap.facts import Relation, SceneObject
from multicap.facts.geometry import Box, position_of, size_of

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
    return _found("sky", sky.colour, sky.box, sky.share / 0.5, _SKY_WNID, "sky")  # sure at half the image


def sunset_object(sunset: Sunset) -> SceneObject:
    tags = "sunset, sunrise, afterglow, atmospheric phenomenon"
    return _found("sunset", sunset.colour, sunset.box, sunset.share / 0.2, _SUNSET_WNID, tags)  # at a fifth


# WordNet 3.0 nouns of what vegetation.py finds (no ImageNet class either), and their tags.
_VEGETATION: dict[str, tuple[str, str]] = {
    "grass": ("n12102133", "grass, plant"),  # grass.n.01
    "trees": ("n13104059", "tree, woody plant, plant"),  # tree.n.01
    "foliage": ("n13152742", "foliage, leaf, leaves, plant"),  # leaf.n.01 (leaf, leafage, foliage)
}


def vegetation_object(found: Vegetation) -> SceneObject:
    wnid, tags = _VEGETATION[found.label]
    return _found(found.label, found.colour, found.box, found.share / 0.5, wnid, tags)  # sure at half


def _found(label: str, colour: str, box: Box, sureness: float, wnid: str, tags: str) -> SceneObject:
    """An object found from the pixels; its confidence rises from 0.5 with `sureness` (its share of the
    image over the share at which it is sure), to 1."""
    attributes = {
        "colour": colour,
        "size": size_of(box),
        "position": position_of(box),
        "wnid": wnid,
        "tags": tags,
        "found_by": "pixels",
    }
    return SceneObject(label, round(0.5 + 0.5 * min(1.0, sureness), 4), box, attributes)
