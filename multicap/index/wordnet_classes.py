"""The ImageNet classes in WordNet 3.0: the synsets above each class, the words that name one, and how
wide a synset is. Shared by how a noun reaches the classes (`reach`) and what definitions link
(`definitions`)."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

from multicap.text.imagenet import imagenet_concepts
from multicap.text.wordnet import Synset, WordNet, open_wordnet

__all__ = [
    "MAX_CLASSES", "WORD", "class_names", "class_offsets", "classes_below", "shared_wordnet", "wide",
]  # fmt: skip

WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*", re.UNICODE)  # a word of a query or a definition
MAX_CLASSES = 150  # the most classes one part reaches (the strongest kept; "dog" reaches 118)
_WIDE = 700  # ... and holds at most this many WordNet synsets: "natural object" (1,489: stars, rocks,
#               acorns, sandbars) covers only 17 classes yet relates nothing; "flower" holds 619


@lru_cache(maxsize=1)
def shared_wordnet() -> WordNet:
    return open_wordnet()


def wide(synset: Synset, wn: WordNet, limit: int = _WIDE) -> bool:
    """Whether more than `limit` synsets lie below `synset` (counted breadth first, and no further)."""
    seen, level = {synset.offset}, [synset]
    while level:
        below = (h for s in level for h in wn.related(s, "~"))  # kinds and instances
        level = [h for h in below if h.offset not in seen]
        seen.update(h.offset for h in level)
        if len(seen) > limit:
            return True
    return False


@lru_cache(maxsize=1)
def classes_below() -> dict[int, frozenset[int]]:
    """Noun synset offset → the ImageNet classes it is (or is above)."""
    table: dict[int, set[int]] = defaultdict(set)
    wn = shared_wordnet()
    for concept in imagenet_concepts():
        for offset in wn.ancestors(int(concept.wnid[1:])):
            table[offset].add(concept.index)
    return {k: frozenset(v) for k, v in table.items()}


@lru_cache(maxsize=1)
def class_offsets() -> list[int]:
    """Each class's WordNet noun synset offset, by class index."""
    return [int(c.wnid[1:]) for c in imagenet_concepts()]


@lru_cache(maxsize=2)
def class_names(*, synonyms: bool = True) -> dict[str, frozenset[int]]:
    """A class's name and (with `synonyms`) the other words of its synset ("hot dog", "taxi"), each with
    its plural, → the classes so named."""
    wn = shared_wordnet()
    table: dict[str, set[int]] = defaultdict(set)
    for concept in imagenet_concepts():
        lemmas = wn.synset(int(concept.wnid[1:]), "n").lemmas if synonyms else ()
        for name in dict.fromkeys([concept.name, *lemmas]):
            table[name.lower()].add(concept.index)
            table[name.lower() + "s"].add(concept.index)
    return {k: frozenset(v) for k, v in table.items()}
