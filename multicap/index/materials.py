"""What things are made of, as WordNet tells it: a query's "a glass bottle", "an iron gate", "a wooden
table" ask for the bottle, the gate, the table, and say the material, which no describer tells
(`multicap.index.query_parts.describing`)."""

from __future__ import annotations

from multicap.index.query_words import BODY_OF_WATER
from multicap.index.reach import pertainyms
from multicap.text.imagenet import imagenet_concepts
from multicap.text.wordnet import WordNet

__all__ = ["a_material", "made", "natural"]

_SUBSTANCE = 27  # WordNet's lexicographer file noun.substance: glass, iron, rubber, leather, wood, paper
_ARTIFACT = 6  # noun.artifact: what a thing made of a material is
_NATURAL_OBJECT = 17  # noun.object: a sandbar, a volcano, a geyser
_FABRIC = 3309808  # fabric.n.01: wool, silk, velvet
_BUILDING_MATERIAL = 14786479  # building_material.n.01: brick (a made thing first, not a substance)


def a_material(word: str, wn: WordNet) -> bool:
    """Whether `word` names a material: a noun first of a substance, a fabric or a building material, or
    an adjective of one ("woolen": wool; "wooden": wood); not water, nor a word with a body of water
    among its first two senses ("water park" is a park by water)."""
    senses = wn.synsets(word) or [s for a in wn.synsets(word, "a")[:1] for s in pertainyms(a, wn)]
    if not senses and word.endswith("en") and wn.synsets(word, "a"):  # "wooden", "silken": WordNet gives
        senses = wn.synsets(word[:-2])  # them no noun they pertain to ("woolen" has wool)
    if not senses or any(BODY_OF_WATER in wn.ancestors(s.offset) for s in senses[:2]):
        return False
    first = senses[0]
    return first.lexfile == _SUBSTANCE or bool({_FABRIC, _BUILDING_MATERIAL} & wn.ancestors(first.offset))


def made(classes: dict[int, float], wn: WordNet, *, least: float = 0.0) -> bool:
    """Whether the class that `classes` (ImageNet class → weight) weighs most, at `least`, is a thing
    people make (noun.artifact): a bottle, a gate; not a sandbar, a volcano or a bird."""
    return _lexfile_of_best(classes, wn, least) == _ARTIFACT


def natural(classes: dict[int, float], wn: WordNet) -> bool:
    """Whether the class that `classes` weighs most is a natural object (noun.object): a sandbar, a
    volcano, a geyser, as "sand", "lava" and "steam" are seen."""
    return _lexfile_of_best(classes, wn, 0.0) == _NATURAL_OBJECT


def _lexfile_of_best(classes: dict[int, float], wn: WordNet, least: float) -> int | None:
    if not classes:
        return None
    best = max(classes, key=lambda c: (classes[c], -c))  # (a tie: the first class, not the dict's order)
    if classes[best] < least:
        return None
    return wn.synset(int(imagenet_concepts()[best].wnid[1:]), "n").lexfile
