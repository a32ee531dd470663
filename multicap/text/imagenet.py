"""The 1,000 ImageNet-1k classes in words: names, WordNet 3.0 concepts, hypernym tags, related classes.

The data files (data/imagenet_classes.json and data/imagenet_wordnet.json, provenance in data/README.md)
hold each class's name, its synset and the hypernym chain above it; nothing here needs WordNet installed,
and nothing imports torch, so that a text query can be understood without loading a model.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

__all__ = ["Concept", "classes_under", "imagenet_concepts", "imagenet_labels", "related_classes"]

# Hypernyms too abstract to help a user group or search ("object", "whole"): never shown as tags.
_ABSTRACT: frozenset[str] = frozenset(
    {
        "entity", "physical entity", "abstraction", "object", "whole", "living thing", "organism",
        "artifact", "instrumentality", "matter", "substance", "chordate", "placental", "vertebrate",
        "structure", "device", "container", "covering", "commodity", "conveyance", "equipment",
        "implement", "geological formation", "natural object", "craft", "part", "relation", "group",
        "measure", "attribute", "psychological feature", "thing", "solid", "food", "causal agent",
        "person", "physical object", "creation", "decoration", "surface", "protective covering",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Concept:
    index: int  # ImageNet class index
    name: str  # readable name ("golden retriever")
    wnid: str  # WordNet 3.0 noun synset id ("n02099601")
    hypernyms: tuple[str, ...]  # the chain of first hypernyms, nearest first, up to "entity"
    ancestors: tuple[str, ...] = ()  # every hypernym on every path, nearest first (a monastery is a house,
    #                                  and a house both a dwelling and a building); the chain's first at a tie

    @property
    def tags(self) -> tuple[str, ...]:
        """Hypernyms a user would group by (dog, canine, carnivore, mammal, animal), nearest first, along
        every hypernym path: a palace is a building, a black grouse a bird."""
        return tuple(h for h in self.ancestors or self.hypernyms if h not in _ABSTRACT)


@lru_cache(maxsize=1)
def imagenet_labels() -> tuple[str, ...]:
    """The 1,000 ImageNet-1k class names in the standard order."""
    text = resources.files("multicap.text.data").joinpath("imagenet_classes.json").read_text("utf-8")
    return tuple(json.loads(text)["labels"])


@lru_cache(maxsize=1)
def _table() -> tuple[list[str], dict[str, list[str | None]]]:
    text = resources.files("multicap.text.data").joinpath("imagenet_wordnet.json").read_text("utf-8")
    doc = json.loads(text)
    return doc["classes"], doc["synsets"]


def _chain(wnid: str, synsets: dict[str, list[str | None]]) -> list[str]:
    """The wnids above `wnid` through first hypernyms, nearest first."""
    out: list[str] = []
    parent = synsets[wnid][1]
    while parent is not None:
        out.append(parent)
        parent = synsets[parent][1]
    return out


def _ancestors(wnid: str, synsets: dict[str, list[str | None]]) -> list[str]:
    """The wnids above `wnid` through every hypernym, each once, in an order where every synset comes after
    all the others it is above (by the longest path up to it; the first-hypernym chain first at a tie), so
    that "nearest first" holds along every path; no name twice (one word's senses on two paths)."""
    longest: dict[str, int] = {}

    def walk(node: str, depth: int) -> None:
        for parent in synsets[node][1:]:
            if parent is not None and longest.get(parent, -1) < depth:
                longest[parent] = depth
                walk(parent, depth + 1)

    walk(wnid, 1)
    chain = {w: k for k, w in enumerate(_chain(wnid, synsets))}
    order = sorted(longest, key=lambda w: (longest[w], chain.get(w, len(chain)), w))
    by_name: dict[str | None, str] = {}
    for w in order:
        by_name.setdefault(synsets[w][0], w)
    return list(by_name.values())


@lru_cache(maxsize=1)
def imagenet_concepts() -> tuple[Concept, ...]:
    """The 1,000 ImageNet classes as WordNet concepts, in class order."""
    wnids, synsets = _table()
    names = imagenet_labels()
    return tuple(
        Concept(
            i,
            names[i],
            wnid,
            tuple(str(synsets[h][0]) for h in _chain(wnid, synsets)),
            tuple(str(synsets[h][0]) for h in _ancestors(wnid, synsets)),
        )
        for i, wnid in enumerate(wnids)
    )


@lru_cache(maxsize=1)
def classes_under() -> dict[str, frozenset[int]]:
    """A synset's wnid → the classes it is or is above, along every hypernym path ("n02512053", fish:
    the tench, the goldfish, the sharks and rays ... 16 classes)."""
    wnids, synsets = _table()
    table: dict[str, set[int]] = {}
    for i, wnid in enumerate(wnids):
        for above in (wnid, *_ancestors(wnid, synsets)):
            table.setdefault(above, set()).add(i)
    return {k: frozenset(v) for k, v in table.items()}


@lru_cache(maxsize=4)
def related_classes(hops: int = 2, max_classes: int = 12) -> np.ndarray:
    """(1000, 1000) bool: classes that share a specific ancestor (or are equal).

    The shared synset must lie within `hops` above both classes and cover at most `max_classes` ImageNet
    classes: "tabby", "tiger cat" and "Egyptian cat" are related (domestic cat, 5 classes), as are "golden
    retriever" and "Labrador retriever" (retriever); "tricycle" and "missile" are not, although both are
    vehicles. A detector merges related detections of one place into one object.
    """
    wnids, synsets = _table()
    chains = [_chain(w, synsets) for w in wnids]
    covered = Counter(a for chain in chains for a in chain)
    near = [
        {w} | {a for a in chain[:hops] if covered[a] <= max_classes}
        for w, chain in zip(wnids, chains, strict=True)
    ]
    ids = {w: k for k, w in enumerate(sorted({w for s in near for w in s}))}
    member = np.zeros((len(wnids), len(ids)), dtype=np.float32)  # (1000, S)
    for i, s in enumerate(near):
        member[i, [ids[w] for w in s]] = 1.0
    return (member @ member.T) > 0  # (1000, 1000)
