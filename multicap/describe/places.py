"""Settings: the ImageNet classes that name a place rather than a thing, and how a sentence says so.

Positions, sizes and relations between boxes are `multicap.facts.geometry`'s.
"""

from __future__ import annotations

__all__ = ["PHOTO_NEXT_TO_GAP", "SETTINGS"]

# ImageNet classes that name a place rather than a thing → how a sentence says the image is there.
SETTINGS: dict[str, str] = {
    "seashore": "on a seashore", "lakeside": "by a lake", "sandbar": "on a sandbar",
    "promontory": "on a headland", "cliff": "on a cliff", "alp": "in the mountains",
    "valley": "in a valley", "volcano": "by a volcano", "coral reef": "on a coral reef",
    "geyser": "by a geyser", "breakwater": "by a breakwater", "dock": "at a dock",
    "boathouse": "by a boathouse", "library": "in a library", "restaurant": "in a restaurant",
    "grocery store": "in a grocery store", "bakery": "in a bakery", "bookshop": "in a bookshop",
    "toyshop": "in a toyshop", "barbershop": "in a barbershop", "butcher shop": "in a butcher shop",
    "confectionery": "in a sweet shop", "shoe shop": "in a shoe shop", "tobacco shop": "in a tobacco shop",
    "cinema": "at a cinema", "home theater": "in a home theatre", "planetarium": "at a planetarium",
    "church": "at a church", "monastery": "at a monastery", "palace": "at a palace",
    "greenhouse": "in a greenhouse", "patio": "on a patio", "prison": "at a prison",
    "fountain": "by a fountain", "stage": "on a stage", "bell cote": "by a church",
    "steel arch bridge": "by a bridge", "suspension bridge": "by a bridge", "pier": "by a pier",
    "picket fence": "by a fence", "worm fence": "by a fence",
}  # fmt: skip

# Boxes closer than this along the dominant axis, and overlapping across it, are "next to" (photos' boxes are
# looser than the scenes' drawn shapes).
PHOTO_NEXT_TO_GAP = 0.05
