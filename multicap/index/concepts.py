"""ImageNet concepts for search: which classes a query names, their WordNet tags, their class vectors.

A query names a class when one of its word n-grams equals the class name, one of the name's head words
("retriever" in "golden retriever"), or one of the class's WordNet hypernym tags ("dog" names every dog
breed). Plurals are folded to the singular. The tags come from `multicap.text.imagenet`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

import numpy as np

from multicap.text.imagenet import imagenet_concepts, imagenet_labels

__all__ = ["class_tags", "content_terms", "named_classes", "query_terms", "singular"]

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOPWORDS = frozenset(
    ["a", "an", "the", "and", "or", "not", "near", "of", "on", "in", "at", "to", "with", "by", "for", "is"]
) | {"s"}  # and a possessive's "s" ("dog's": its "s" had matched "lady's slipper")
# what a contraction's "n't" leaves ("a car that isn't red" had searched "isn", "t" and "isn t"); not "can"
# (a tin can) nor "won" (a currency)
_STOPWORDS |= {"t", "isn", "aren", "wasn", "weren", "doesn", "don", "didn", "hasn", "haven", "hadn"}


def query_terms(text: str) -> list[str]:
    """Lower-case words of a string, punctuation and FTS5 syntax dropped (never raises)."""
    return [w.lower() for w in _WORD.findall(text)]


def content_terms(text: str) -> list[str]:
    """`query_terms` without function words ("a", "the", "of", ...; also FTS5's AND / OR / NOT / NEAR)."""
    return [w for w in query_terms(text) if w not in _STOPWORDS]


def singular(word: str) -> str:
    """A word's singular by its ending ("ponies": pony, "boxes": box); another word stays as it is."""
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 2 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _phrase(text: str) -> str:
    return " ".join(singular(w) for w in query_terms(text))


@lru_cache(maxsize=1)
def class_tags() -> tuple[tuple[str, ...], ...]:
    """Per ImageNet class, its WordNet hypernym tags nearest first (empty when the data is absent)."""
    return tuple(tuple(c.tags) for c in imagenet_concepts())


@lru_cache(maxsize=1)
def _term_table() -> dict[str, frozenset[int]]:
    """term (singular phrase) -> the classes it names."""
    table: dict[str, set[int]] = defaultdict(set)
    for i, (label, tags) in enumerate(zip(imagenet_labels(), class_tags(), strict=True)):
        name = _phrase(label)
        table[name].add(i)
        words = name.split()
        if len(words) > 1:
            table[words[-1]].add(i)  # the head noun: "retriever", "ball"
        for tag in tags:
            table[_phrase(tag)].add(i)
    return {k: frozenset(v) for k, v in table.items() if k}


def named_classes(text: str, max_n: int = 3) -> dict[str, frozenset[int]]:
    """The phrases of `text` that name ImageNet classes -> those classes (longest phrase wins)."""
    words = [singular(w) for w in query_terms(text)]
    table = _term_table()
    found: dict[str, frozenset[int]] = {}
    used = np.zeros(len(words), dtype=bool)
    for n in range(max_n, 0, -1):
        for start in range(len(words) - n + 1):
            if used[start : start + n].any():
                continue
            phrase = " ".join(words[start : start + n])
            if phrase in table:
                found[phrase] = table[phrase]
                used[start : start + n] = True
    return found
