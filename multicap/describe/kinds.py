"""A thing said by its everyday kind where the classifier cannot tell which of the kind it is.

ImageNet splits a few everyday kinds very finely (118 dogs, 59 birds, 16 fish, 14 tools), and on photos of
members it never learned it still picks one: a wrasse is "a tench", pliers "a corkscrew", the Colosseum "a
planetarium", a sedan "a cab". Following Deng et al. ("Hedging your bets: optimizing accuracy-specificity
trade-offs in large scale visual recognition", CVPR 2012), the describer says the most specific reading
that is more likely than not: the class where it holds at least half of the probability of its widest
kind, else the narrowest kind that does (a macaw, else a parrot, else a bird), read from the class
distribution of the object's own region. Half is where, given that the thing is of the kind, the class is
likelier than all its siblings together: no threshold tuned on the benchmark. On the real-photo
benchmark's 271 photos, of the main objects said by their kind this way one had been named right by its
class (a ladybird, now "an insect"), ten wrongly where the kind is right ("a tench" for a wrasse, "a cab"
for a sedan: `benchmarks/RESULTS.md`, "Real photos").

A class whose own colours WordNet gives (`describe/colours.class_colours`: a Granny Smith is green, a
goldfish orange) is said by its narrowest kind where its region shows none of them (`narrowest_kind`): "a
fruit" for a red apple, "a fish" for a pink anthias read as a goldfish (real photos, every split: 13
texts changed, main objects named as said 126 → 131 of 285 held out, 27 → 28 of 61 tune, none lost; a
monarch in low sun and an ice bear in shade are now "a butterfly" and "a bear").
The kinds are everyday words that group several ImageNet classes (WordNet 3.0 synsets by wnid); a class
under none of them is always said by its own name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from multicap.text.imagenet import classes_under, imagenet_concepts

__all__ = ["HEDGE", "KINDS", "Kind", "has_kind", "narrowest_kind", "said_kind"]

HEDGE = 0.5  # the least share of its widest kind's probability a reading must hold to be said

# wnid → the word for the kind (WordNet 3.0 noun synsets; the number of ImageNet classes under each).
KINDS: dict[str, str] = {
    "n02084071": "dog",  # 118
    "n02121620": "cat",  # 7 (the domestic cats, the cougar, the lynx)
    "n02114100": "wolf",  # 4
    "n02118333": "fox",  # 4
    "n02131653": "bear",  # 4
    "n02484322": "monkey",  # 13
    "n02470325": "ape",  # 5
    "n01503061": "bird",  # 59
    "n01816887": "parrot",  # 4, under bird
    "n02512053": "fish",  # 16 (with the sharks and rays)
    "n01726692": "snake",  # 17
    "n01674464": "lizard",  # 11
    "n01662784": "turtle",  # 5
    "n01639765": "frog",  # 3
    "n01629276": "salamander",  # 5
    "n02159955": "insect",  # 27
    "n02164464": "beetle",  # 8, under insect
    "n02274259": "butterfly",  # 6, under insect
    "n01772222": "spider",  # 6
    "n01976957": "crab",  # 4
    "n02062744": "whale",  # 2
    "n02503517": "elephant",  # 2
    "n12992868": "fungus",  # 7
    "n13134947": "fruit",  # 16
    "n04451818": "tool",  # 14
    "n02958343": "car",  # 10
    "n04490091": "truck",  # 8
    "n02924116": "bus",  # 3
    "n02858304": "boat",  # 6
    "n04194289": "ship",  # 6
    "n02686568": "aircraft",  # 4
    "n02834778": "bicycle",  # 2
    "n02913152": "building",  # 14
    "n02898711": "bridge",  # 3
    "n03327234": "fence",  # 4
    "n03497657": "hat",  # 4
    "n03800933": "musical instrument",  # 26
    "n03928116": "piano",  # 2, under musical instrument
    "n03467517": "guitar",  # 2, under musical instrument
    "n02778669": "ball",  # 10
    "n02876657": "bottle",  # 7
    "n03046257": "clock",  # 3
    "n03082979": "computer",  # 6
    "n03001627": "chair",  # 4
    "n04379243": "table",  # 2
    "n03467984": "gun",  # 4
    "n02773037": "bag",  # 5
    "n03990474": "pot",  # 3
    "n02883344": "box",  # 6
}


@dataclass(frozen=True)
class Kind:
    wnid: str
    noun: str  # "fish"
    members: np.ndarray  # (n,) the ImageNet classes of the kind


@lru_cache(maxsize=1)
def _chains() -> tuple[tuple[Kind, ...], ...]:
    """Each class's kinds, narrowest first, each within the next (a macaw: parrot, bird); empty for a class
    of none. Of two kinds neither within the other (a minivan is a car and a truck), the wider is kept."""
    under = classes_under()
    kinds = [Kind(w, noun, np.array(sorted(under[w]), dtype=np.int64)) for w, noun in KINDS.items()]
    chains = []
    for c in range(len(imagenet_concepts())):
        chain: list[Kind] = []
        for kind in sorted((k for k in kinds if c in under[k.wnid]), key=lambda k: -len(k.members)):
            if not chain or under[kind.wnid] <= under[chain[-1].wnid]:
                chain.append(kind)
        chains.append(tuple(reversed(chain)))
    return tuple(chains)


def has_kind(cls: int) -> bool:
    """Whether class `cls` is of a kind it may be said as (488 of the 1,000 are)."""
    return bool(_chains()[cls])


def said_kind(cls: int, probs: np.ndarray) -> Kind | None:
    """The kind to say class `cls` as, given the (1000,) class distribution of its region, or None where
    the class itself holds at least `HEDGE` of its widest kind's probability (or is of no kind)."""
    chain = _chains()[cls]
    if not chain:
        return None
    widest = float(probs[chain[-1].members].sum())
    if float(probs[cls]) >= HEDGE * widest:
        return None
    return next(k for k in chain if float(probs[k.members].sum()) >= HEDGE * widest)


def narrowest_kind(cls: int) -> Kind | None:
    """The narrowest kind class `cls` is of (a monarch: butterfly), or None."""
    chain = _chains()[cls]
    return chain[0] if chain else None
