"""A group's label: the features that set it apart from the rest of a set, said once each and counted.

Used for a set's clusters (`sets`) and for the folders a set was given as (`folders`). A feature is a
string `multicap.describe.summary.image_features` gives (an object's name, its colour or size with it, a
look of the whole image); `above` maps a feature to those its words imply ("fish": "animal").
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

__all__ = [
    "FEW",
    "FEW_LIFT",
    "LABEL_FEATURES",
    "LIFT",
    "MOST",
    "SOME",
    "SOME_FEATURES",
    "counted",
    "over_represented",
    "readable",
    "set_apart",
]

MOST = 0.5  # a group's distinguishing feature: held by more than this share of its members …
LIFT = 2.0  # … and over-represented there: its share of the members at least this many times its share
#             of the other images (a feature every image has, "landscape", sets no group apart)
LABEL_FEATURES = 6  # features in a label
SOME = 1 / 3  # where no feature passes MOST: one held by more than this share (and two members) …
SOME_FEATURES = 3  # … this many of them, each said with its count ("espresso (3 of 7)")
FEW, FEW_LIFT = 0.2, 1.5  # where none passes SOME either: a fifth, half as often again as elsewhere


def set_apart(
    photos: list[int], others: np.ndarray, feats: list[set[str]], above: dict[str, set[str]], names: set[str]
) -> list[str]:
    """What sets `photos` apart from the `others` (a mask over the set), readable: what most of them hold
    and the others far less, else what a third or more do; [] where nothing does (`counted` says how
    many of them hold each)."""
    for most, lift, n in (
        (MOST, LIFT, LABEL_FEATURES),
        (SOME, LIFT, SOME_FEATURES),
        (FEW, FEW_LIFT, SOME_FEATURES),
    ):
        found = readable(over_represented(photos, others, feats, above, most=most, lift=lift), names, above)[
            :n
        ]
        if found:
            return found
    return []


def counted(features: list[str], counts: Counter[str], n: int) -> list[str]:
    """A label's features, each that not all `n` photos hold with how many do: "dark, animal (2 of 3)" (a
    walkthrough's cluster of a rocket, meerkats and swans had read "dark, animal", as if of all three)."""
    return [f if counts[f] >= n else f"{f} ({counts[f]} of {n})" for f in features]


def readable(features: list[str], names: set[str], above: dict[str, set[str]] | None = None) -> list[str]:
    """A label's features: object names first (in the given order), then the rest, leaving out a feature
    that says a kept one again with more words ("mobile home" keeps out "brown mobile home" and "mobile
    home above person": the label names what sets the cluster apart, the texts give the detail; a shorter
    one coming later takes the longer one's place), and one that says less than a kept one, through a word
    above it (`above`: "fish" keeps out "animal", "large animal" and "animal in the centre", as "mammal"
    does; the 346 real photos' clusters had read "fish, dark, large animal, animal in the centre, medium
    animal, animal")."""
    kept: list[str] = []
    for f in sorted(features, key=lambda f: f not in names):
        if any(_says(k, f) for k in kept) or any(_says(a, f) for k in kept for a in (above or {}).get(k, ())):
            continue
        longer = [i for i, k in enumerate(kept) if _says(f, k)]
        if longer:
            kept[longer[0]] = f
            kept = [k for i, k in enumerate(kept) if i not in longer[1:]]
        else:
            kept.append(f)
    return kept


def _says(word: str, feature: str) -> bool:
    """Whether `feature` holds `word` as whole words ("animal" in "large animal", not in "animals")."""
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", feature) is not None


def over_represented(
    ids: list[int],
    others_mask: np.ndarray,
    feats: list[set[str]],
    above: dict[str, set[str]],
    most: float = MOST,
    lift: float = LIFT,
) -> list[str]:
    """Features most of a cluster's members hold and the other images hold far less often (lift of at
    least `LIFT`; held by none of them is infinite lift), most telling first. A feature above another
    one held by the same members says nothing more ("brown trailer" drops "brown wheeled vehicle")."""
    others = [i for i in np.flatnonzero(others_mask)]
    if not others:
        return []
    inside = Counter(f for i in ids for f in feats[i])
    outside = Counter(f for i in others for f in feats[i])
    lifts = {
        f: (n / len(ids)) / max(outside[f] / len(others), 0.5 / len(others))
        for f, n in inside.items()
        if n > most * len(ids) and n >= 2
    }
    telling = [f for f, v in lifts.items() if v >= lift]
    implied = {a for f in telling for a in above.get(f, ()) if inside[a] == inside[f]}
    return sorted((f for f in telling if f not in implied), key=lambda f: (-lifts[f], -inside[f], f))
