"""The words of a query as the reader reads them: lower case and unaccented, a possessive's owner marked
("a neighbour's cat": neighbour, 's, cat), words joined by hyphens split where they are no compound, and a
negation joined to a word said as "not" ("isn't", "non-red")."""

from __future__ import annotations

import re

from multicap.index.query_asks import unaccented
from multicap.index.query_colours import colour_of
from multicap.index.query_words import RELATIONS, STOPWORDS
from multicap.index.reach import WORD
from multicap.text.wordnet import WordNet

__all__ = ["query_words"]

# Words read as one that WordNet does not join: "golden hour" is a low sun's light (`query_words.FOUND`),
# not a yellow thing and an hour.
_ONE_WORD = frozenset({("golden", "hour")})


def query_words(text: str, wn: WordNet) -> list[str]:
    """The words of a query, lower case and unaccented; a possessive as its owner and the mark "'s"
    ("dog's", "dogs'": dog, 's; it had been an unknown word, its "s" searched); words joined by hyphens
    read as words where one of them is a function word ("dog-on-grass": dog on grass; "black-and-white": a
    colour pair) or where WordNet knows them joined ("sea-side": seaside; "polar-bear": polar bear). A word
    or phrase WordNet knows stays whole ("t-shirt", "up-to-date", "lady's slipper", "on-off switch"). A
    negation joined to a word is "not" ("isn't", "don't"; "non-red": not red)."""
    plural_owner = re.sub(r"(?<=[sS])'(?=\s|$)", "'s", text.replace("’", "'"))  # "the kids' toys"
    words = [unaccented(w.lower()) for w in WORD.findall(plural_owner)]
    for k in range(len(words) - 2, -1, -1):
        if (words[k], words[k + 1]) in _ONE_WORD:
            words[k : k + 2] = [f"{words[k]} {words[k + 1]}"]
    out: list[str] = []
    for k, word in enumerate(words):
        if "'" not in word and "-" not in word:  # most words: nothing to look up
            out.append(word)
            continue
        if word.endswith("n't"):  # "isn't", "don't", "can't": the negation is what they add to a query
            out.append("not")
            continue
        known = _knows(word, wn)
        known = known or (k + 1 < len(words) and bool(wn.synsets(f"{word} {words[k + 1]}")))
        parts = [w for w in word.split("-") if w]
        if not known and len(parts) > 1 and parts[0] == "non":  # "non-red car": a car not red
            out += ["not", *parts[1:]]
            continue
        colours = len(parts) > 1 and all(w == "and" or colour_of(w, wn) for w in parts)  # "black-and-white"
        if known and not colours:
            out.append(word)
        elif word.endswith("'s"):  # the owner, and a mark of whose the next thing is
            out += [word[:-2], "'s"]
        elif colours or (len(parts) > 1 and any(w in STOPWORDS or w in RELATIONS for w in parts)):
            out += parts  # words joined by hyphens, not a compound ("long-nose": no long and no nose)
        elif len(parts) > 1 and _knows("".join(parts), wn):  # "sea-side": seaside
            out.append("".join(parts))
        elif len(parts) > 1 and _knows(" ".join(parts), wn):  # "polar-bear": polar bear (both had been
            out += parts  # unknown words, "did you mean seaside?" said and not done)
        else:
            out.append(word)
    return out


def _knows(words: str, wn: WordNet) -> bool:
    return bool(wn.synsets(words) or wn.synsets(words, "a"))
