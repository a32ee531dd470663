"""Colour words in a query: which colour of the describer's a word names ("crimson": red; "golden retriever"
is no colour), the words that give a thing its colour after it ("a car that is red", "a door painted
blue", "a car that is not red"), and the words for how the whole image looks ("a blue picture", "black and
white", "dark")."""

from __future__ import annotations

from multicap.index.query_parts import PERSON_SYNSET, Part, before_noun, look_part, noun_part
from multicap.index.query_words import (
    COLOURS,
    FOUND,
    FOUND_SENSES,
    IMAGE_WORDS,
    LOOKS,
    MONOCHROME,
    PLACE_WORDS,
    RELATIONS,
    SHADES,
)
from multicap.index.reach import classes_below, place_of
from multicap.text.wordnet import Synset, WordNet

__all__ = ["COLOURING", "LINKING", "colour_at", "colour_of", "look_words", "names_a_class", "of_the_image"]

# Common colour names that fold into the describer's (`COLOURS`).
_COLOUR_ALIASES = {
    "grey": "gray", "gold": "yellow", "golden": "yellow", "silver": "gray", "navy": "blue", "beige": "brown",
    "tan": "brown", "violet": "purple", "maroon": "red", "teal": "cyan", "turquoise": "cyan",
}  # fmt: skip
_PHYSICAL = 1930  # physical_entity.n.01
_COLOUR_NOUN = 4956594  # color.n.01: a noun under it names a colour ("crimson", "scarlet")

# Words that may stand between a thing and its colour said after it ("a car that is red", "a dress in
# red", "the sky is blue", "a car that is not red").
COLOURING = frozenset({"coloured", "colored", "painted", "dyed"})
LINKING = frozenset(
    {"that", "which", "'s", "is", "are", "was", "were", "be", "in", "not", "all", "entirely", "mostly",
     "completely", "mainly", "bright", "pure", *COLOURING}
)  # fmt: skip


def colour_at(words: list[str], k: int, wn: WordNet) -> str | None:
    """The describer's colour the word at `k` names where it is read as a colour, not as the start of a
    kind ("golden retriever", "white wine") or as a thing ("an orange and a banana"); a kind nothing
    reaches ("green tea") is read as a colour and a noun after all."""
    named = colour_of(words[k], wn, before_noun=before_noun(words, k))
    if named is None or not (_names_a_kind(words, k, wn) or _a_thing_alone(words, k, wn)):
        return named
    return named if noun_part(words, k, wn, heads=False)[1] is None else None


def names_a_class(words: list[str], k: int, wn: WordNet) -> bool:
    """Whether the words from `k` (two or three) are a WordNet noun that is, or is above, a class the model
    sees: "giant panda" and "big cat" are; "little owl" and "giant tortoise" are not (a small owl, a large
    tortoise: the size is what the search can ask for)."""
    below = classes_below()
    return any(
        s.offset in below
        for span in (3, 2)
        if k + span <= len(words)
        for s in wn.synsets(" ".join(words[k : k + span]))
    )


def _names_a_kind(words: list[str], k: int, wn: WordNet) -> bool:
    """Whether the words from `k` (two or three) are a WordNet noun that is, or is above, a class the
    model sees, or a kind of the thing its last word names: "golden retriever", "red wine", "black swan",
    "white wine" and "cherry tree" are kinds, not a colour and a noun ("white horse", a whitecap, is not a
    kind of horse: a white horse). A named thing is no kind where its last words name a thing a colour
    may be of ("white house": a white house)."""
    if names_a_class(words, k, wn):
        return True
    for span in (3, 2):
        if k + span > len(words):
            continue
        synsets = wn.synsets(" ".join(words[k : k + span]))
        if (
            synsets
            and not any(_common(s, wn) for s in synsets)
            and _a_common_thing(words[k + 1 : k + span], wn)
        ):
            continue  # "white house": a house that is white (the White House is one)
        heads = {h.offset for h in wn.synsets(words[k + span - 1])}
        if any(heads & wn.ancestors(s.offset) - {s.offset} for s in synsets):
            return True
    return False


def _common(synset: Synset, wn: WordNet) -> bool:
    """Whether a synset is a common physical thing: not a named one, an instance of a kind (the White
    House's building), nor an abstraction (the White House as the executive)."""
    named = any(symbol == "@i" for symbol, _, _ in synset.pointers)
    return not named and _PHYSICAL in wn.ancestors(synset.offset)


def _a_common_thing(words: list[str], wn: WordNet) -> bool:
    """Whether the words name a thing that a colour before them may be the colour of: a noun, not a place,
    water or what the describer finds ("house"; not "sea" in "red sea", nor "forest" in "black forest",
    which keep the named thing)."""
    phrase = " ".join(words)
    synsets = wn.synsets(phrase)
    if not synsets or phrase in PLACE_WORDS or phrase in FOUND:
        return False
    return place_of(phrase, synsets, wn) is None and not any(s.offset in FOUND_SENSES for s in synsets[:2])


def _a_thing_alone(words: list[str], k: int, wn: WordNet) -> bool:
    """Whether a colour word at `k` that first names a thing ("orange": the fruit) stands for the thing:
    after "a" with nothing after it ("an orange"), before a relation ("orange on a table") or "and" and
    no second colour ("an orange and a banana"; but "orange and white cat" pairs two colours)."""
    nouns = wn.synsets(words[k])
    if not nouns or wn.ancestors(nouns[0].offset) & {_COLOUR_NOUN, PERSON_SYNSET}:
        return False
    after = [w for w in words[k + 1 :] if w not in ("a", "an", "the")]
    if not after:
        return k > 0 and words[k - 1] in ("a", "an")
    if after[0] == "and":
        return len(after) > 1 and colour_of(after[1], wn) is None
    return after[0] in RELATIONS


def colour_of(word: str, wn: WordNet, *, before_noun: bool = True) -> str | None:
    """The describer's colour a word names ("crimson" → red), or None. A word WordNet reads as a colour
    only through an adjective names it where that adjective is the colour's own first sense ("crimson"
    is red; "chicken", cowardly, is not yellow), and a word that is first a thing other than a colour
    ("cherry": a tree, its fruit) names it only before the noun it colours (`before_noun`: "a cherry
    car"; "cherry" alone is the fruit)."""
    if word in COLOURS:
        return word
    if word in _COLOUR_ALIASES:
        return _COLOUR_ALIASES[word]
    for synset in wn.synsets(word, "a")[:1]:
        for lemma in synset.lemmas:
            if lemma not in COLOURS and lemma not in _COLOUR_ALIASES:
                continue
            if synset.offset not in [s.offset for s in wn.synsets(lemma, "a")[:1]]:
                return None
            nouns = wn.synsets(word)
            if nouns and not before_noun and _COLOUR_NOUN not in wn.ancestors(nouns[0].offset):
                return None
            return _COLOUR_ALIASES.get(lemma, lemma)
    return None


def look_words(
    words: list[str], k: int, named: str | None, wn: WordNet, colour: str | None, colour_text: str
) -> tuple[int, Part | None, bool]:
    """The words from `k` that say how the whole image looks ("black and white" photo, "dark", "a blue
    picture") or shade a colour ("dark blue": the describer names blue): how many (0: none), the part they
    make (None for a shade), and whether they took the colour waiting for its noun (`colour`, typed as
    `colour_text`: "a red and white photo"). `named` is the describer's colour the word at `k` names."""
    if tuple(words[k : k + len(MONOCHROME)]) == MONOCHROME and of_the_image(words, k + len(MONOCHROME)):
        return len(MONOCHROME), look_part(" ".join(MONOCHROME), LOOKS["monochrome"]), False  # not "... dog"
    word = words[k]
    if word in SHADES and k + 1 < len(words) and colour_of(words[k + 1], wn) is not None:
        return 1, None, False
    if word in LOOKS:
        return 1, look_part(word, LOOKS[word]), False
    if named is None or k + 1 >= len(words) or not of_the_image(words, k + 1):
        return 0, None, False
    paired = colour is not None and words[k - 1] == "and"
    if paired:
        named, word = f"{colour} and {named}", f"{colour_text} and {word}"
    return 2, look_part(f"{word} {words[k + 1]}", ("palette", str(named))), paired


def of_the_image(words: list[str], k: int) -> bool:
    """Whether the words from `k` leave what came before to the whole image: nothing, or a word for it
    ("photo", "pictures")."""
    return k >= len(words) or words[k] in IMAGE_WORDS
