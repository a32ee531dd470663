"""What WordNet's definitions link a noun to among the classes: the classes whose definitions use the word
typed, those its own definition names, and the kind its definition says it is ("kitten": young domestic
cat). `reach` follows these only where a word's senses and their kinds, wholes and parts reach no class."""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from multicap.index.query_words import RELATIONS, STOPWORDS
from multicap.index.wordnet_classes import (
    MAX_CLASSES,
    WORD,
    class_names,
    class_offsets,
    classes_below,
    shared_wordnet,
    wide,
)
from multicap.text.imagenet import imagenet_concepts
from multicap.text.wordnet import Synset, WordNet

__all__ = ["defined_as", "gloss_links"]

_GENUS_WIDE = 300  # a definition's genus holds at most this many ("dog" 190; "vehicle", 528, says no more
#                    of a pram than that it moves)
_GLOSS_LINKS = 8  # more classes than this linked through definitions: the word is too common to link
_PERSON = 7846  # person.n.01: people are the describer's own finding, not a definition's classes
# organism.n.01, artifact.n.01, food.n.01: a word of one of these kinds is defined by another of its kind
_KINDS = frozenset({4475, 21939, 21265})
_ORGANISM = 4475
_PHYSICAL = 1930  # physical_entity.n.01


@lru_cache(maxsize=1)
def _gloss_index() -> dict[str, frozenset[int]]:
    """A content word of a class's definition (base form) → the classes whose definitions use it."""
    wn = shared_wordnet()
    table: dict[str, set[int]] = defaultdict(set)
    for concept in imagenet_concepts():
        gloss = wn.synset(int(concept.wnid[1:]), "n").gloss.split(";")[0]
        for word in WORD.findall(gloss.lower()):
            if word not in STOPWORDS and len(word) > 2:
                for base in wn.base_forms(word)[:2]:
                    table[base].add(concept.index)
    return {k: frozenset(v) for k, v in table.items()}


def gloss_links(synset: Synset, phrase: str, wn: WordNet, *, first: bool = True) -> frozenset[int]:
    """Classes whose definitions use the word typed (`phrase`, in the synset's sense), and classes the
    synset's definition names (one or two words); none when they are many (a common word links to
    nothing in particular). Not the synset's other words: "autumn" is also "fall", which a parachute's
    definition uses. A living thing is linked only in a sense of its own kind (`_LIVING_FILES`): a
    definition's word read in another sense had linked "bowling" (in cricket) to the insect and a "police"
    force to the German shepherd; but a physical thing's own definition, or the definitions that use the
    word typed where that thing is its `first` sense, link what lives by it ("honey": bees, "arctic": its
    fox; not "size", first a magnitude, the wombat "about the size of a small bear")."""
    index, names = _gloss_index(), class_names(synonyms=False)  # not "light", a word of the lighter's
    using: set[int] = set()  # classes whose definitions use the word typed
    typed = set(wn.base_forms(phrase))
    for lemma in synset.lemmas:
        if lemma.replace(" ", "_").lower() in typed:
            using |= index.get(lemma.replace(" ", "_"), frozenset())
    named: set[int] = set()  # classes the synset's definition names
    written = WORD.findall(synset.gloss.split(";")[0])
    words = [w.lower() for w in written]
    parts = _ITS_PARTS if _ORGANISM in wn.ancestors(synset.offset) else _ITS_PARTS - {"with"}  # (tennis is
    words = words[: next((k for k, w in enumerate(words) if w in parts), len(words))]  # played with rackets)
    for n in (1, 2):
        for k in range(len(words) - n + 1):
            if not _qualifies(words, k + n, wn) and not (k > 0 and written[k - 1][:1].isupper()):
                # (nor a word a name qualifies: "11 on the Beaufort scale" had linked a storm to scales)
                named |= names.get(" ".join(words[k : k + n]), frozenset())
    if len(using | named) > _GLOSS_LINKS:
        return frozenset()
    physical = _PHYSICAL in wn.ancestors(synset.offset)
    senses = {s.lexfile for s in wn.synsets(phrase)}  # the kinds of thing the word typed can name ("seal":
    #                                                   a fastener, and an animal, which a sea lion's
    #                                                   definition uses it as)
    if not (physical and first):
        using = {c for c in using if _lexfile(c, wn) not in _LIVING_FILES or _lexfile(c, wn) in senses}
    if not physical:
        named = {
            c for c in named if _lexfile(c, wn) not in _LIVING_FILES or _lexfile(c, wn) == synset.lexfile
        }
    return frozenset(using | named)


# WordNet's lexicographer files of living things (lexnames(5WN)): noun.animal, noun.person, noun.plant
_LIVING_FILES = frozenset({5, 18, 20})


def _lexfile(c: int, wn: WordNet) -> int:
    """The lexicographer file of class `c`'s synset."""
    return wn.synset(class_offsets()[c], "n").lexfile


# a definition's words from here on say what its thing has, not what it is or is like ("gull: mostly white
# aquatic bird having long pointed wings", "bat: ... mammal with forelimbs modified to form membranous
# wings": an aeroplane's wing had stood in for both); "with" only of a living thing
_ITS_PARTS = frozenset({"having", "with"})


def _qualifies(words: list[str], after: int, wn: WordNet) -> bool:
    """Whether the words before `after` qualify the noun there, as a material or a colour does ("a
    wrought iron tower": a tower, not a clothes iron; "bright orange or red flowers": no orange)."""
    nxt = words[after] if after < len(words) else ""
    if nxt in ("or", "and") and after + 1 < len(words) and wn.synsets(words[after - 1], "a"):
        # "orange or red flowers": two adjectives before their noun ("a dam or other obstruction": a dam)
        return bool(wn.synsets(words[after + 1], "a")) and _qualifies(words, after + 2, wn)
    return bool(nxt) and nxt not in STOPWORDS and nxt not in RELATIONS and bool(wn.synsets(nxt))


def defined_as(synset: Synset, wn: WordNet) -> list[tuple[str, frozenset[int]]]:
    """The kind of thing the model sees that the definition of `synset`, a living thing, a made thing or
    food, says it is: its genus, the first noun of one or two words in its first clause (the words before
    it that WordNet also knows as adjectives qualify it), when that is of the same of those three kinds,
    is or is above at most `MAX_CLASSES` classes and holds at most `_GENUS_WIDE` synsets ("young domestic
    cat": domestic cat → tabby, Persian, Siamese; "a young dog": 118 breeds; "a mill that is powered by
    the wind": a mill). Empty otherwise: the definition's later nouns name no kind of it ("a painting"
    is applied to a surface, no stage; "a handbag" holds accessories, no seat belt)."""
    kind = _KINDS & wn.ancestors(synset.offset)
    words = WORD.findall(synset.gloss.split(";")[0].lower())
    genus = next((g for g in (_noun_at(words, k, wn) for k in range(len(words))) if g is not None), None)
    if not kind or genus is None:
        return []
    ancestors = wn.ancestors(genus.offset)
    classes = classes_below().get(genus.offset, frozenset())
    if (
        not ancestors & kind
        or _PERSON in ancestors
        or not 0 < len(classes) <= MAX_CLASSES
        or wide(genus, wn, _GENUS_WIDE)
    ):
        return []
    return [(genus.name, classes)]


def _noun_at(words: list[str], k: int, wn: WordNet) -> Synset | None:
    """The first sense of the noun of two words or one at `k` ("domestic cat", "dog"), or None where the
    word there is a function word or also an adjective that another noun follows ("young", "small")."""
    if words[k] in STOPWORDS:
        return None
    for n in (2, 1):
        phrase = " ".join(words[k : k + n])
        if k + n > len(words) or (n == 1 and wn.synsets(phrase, "a") and k + 1 < len(words)):
            continue
        forms = (base.replace("_", " ") for base in wn.base_forms(phrase))
        senses = next((found for found in map(wn.synsets, forms) if found), [])
        if senses:
            return senses[0]
    return None
