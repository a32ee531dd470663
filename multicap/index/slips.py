"""What a word WordNet does not know was probably meant to be: the words one typing slip away ("dgo": dog),
else the closest by spelling, among the classes' names and tags and the words the query tables read."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from functools import lru_cache

from multicap.index.query_words import COLOURS, FOUND, LOOKS, PEOPLE_WORDS, PLACE_WORDS, SEEN_AS
from multicap.text.imagenet import imagenet_concepts
from multicap.text.wordnet import WordNet

__all__ = ["guessed"]

_SLIP_LONGEST = 40  # letters: a longer unknown word is given no correction
_SLIP_SHORTEST = 3  # letters: a shorter one neither; one this long only a slip that keeps its length
_ALPHABET = "abcdefghijklmnopqrstuvwxyz -"
_LETTERS = frozenset(_ALPHABET + "'0123456789")  # a digit may be a slip too ("d0g": dog)


def guessed(word: str, wn: WordNet) -> str:
    """What `word` was probably meant to be, said for a message ("; did you mean dog? (or dig)"), or ""."""
    if not _SLIP_SHORTEST <= len(word) <= _SLIP_LONGEST or not set(word) <= _LETTERS:
        # no slip of a 5,000-letter "word" (1.4 GB of candidates), of a word in another script ("猫":
        # "did you mean a? (or b, c)") or of one or two characters
        return ""
    if len(word) == _SLIP_SHORTEST:  # "dgo": dog; but not "img": igm (IgM) or mg, a letter dropped
        close = _one_slip(word, _known_set().__contains__, same_length=True)
    else:
        close = (
            _one_slip(word, _known_set().__contains__)
            or _fewest_edits(
                word,
                difflib.get_close_matches(word, _known_words(), n=5, cutoff=0.7),
                sorted(  # "giraffee": giraffe, which is no class; "giraff": not the genus first
                    _one_slip(word, lambda w: wn.is_lemma(w) and _decent(w, wn)),
                    key=lambda w: any(s.name[:1].isupper() for s in wn.synsets(w)[:1]),
                ),
            )
        )
    guess = f"; did you mean {close[0]}?" if close else ""
    return guess + (f" (or {', '.join(close[1:])})" if close[1:] else "")


# WordNet's usage domains of words not to suggest: ethnic slur, disparagement, obscenity, profanity
_UNSAID = frozenset({6718862, 6717170, 7124340, 7128527})
_UNSAID_GLOSS = re.compile(r"\b(?:obscene|offensive|slur|vulgar|insulting|disparaging|derogatory)\b")


def _decent(lemma: str, wn: WordNet) -> bool:
    """Whether a WordNet lemma may be suggested for a slip: none of its senses is in a usage domain of
    slurs or obscenities, or defined as one (WordNet marks some slurs by domain, others in the gloss:
    "(ethnic slur) offensive term for ...", "obscene terms for ..."). Slurs one letter from a typed
    word had been suggested ("nigg": did you mean ...?)."""
    senses = wn.synsets(lemma)
    if any(symbol == ";u" and target in _UNSAID for s in senses for symbol, target, _ in s.pointers):
        return False
    return not any(_UNSAID_GLOSS.search(s.gloss) for s in senses)


def _fewest_edits(word: str, near: list[str], lemmas: list[str]) -> list[str]:
    """The suggestions for a word no slip away from a class's word: difflib's closest class words (`near`)
    and the WordNet lemmas one slip away (`lemmas`), fewest edits first (letters left out, added,
    mistyped or two swapped; a class word first of equals), at most three and at most two edits away, or
    a quarter of the word's letters: "bycicle" had suggested circle before bicycle, "tomatoe" toaster
    (four edits) where the lemma tomato is one."""
    most = max(2, len(word) // 4)
    edits = {w: _edits(word, w) for w in dict.fromkeys([*near, *lemmas])}
    return sorted((w for w, e in edits.items() if e <= most), key=edits.__getitem__)[:3]


def _edits(a: str, b: str) -> int:
    """The optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def _one_slip(word: str, known: Callable[[str], bool], *, same_length: bool = False) -> list[str]:
    """The `known` words one typing slip from `word` (two letters swapped, one left out, added or mistyped:
    "dgo" → dog, which difflib's ratio puts after dingo), at most three, in order; with `same_length`
    only swapped or mistyped letters."""
    splits = [(word[:k], word[k:]) for k in range(len(word) + 1)]
    slips = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    slips += [] if same_length else [a + b[1:] for a, b in splits if b and a[-1:] == b[:1]]  # ("watter")
    slips += [] if same_length else [a + c + b for a, b in splits for c in _ALPHABET]  # a letter left out
    slips += [] if same_length else [a + b[1:] for a, b in splits if b]  # before one mistyped: "gren" is
    slips += [a + c + b[1:] for a, b in splits if b for c in _ALPHABET]  # green before grey
    return [w for w in dict.fromkeys(slips) if w != word and known(w)][:3]


@lru_cache(maxsize=1)
def _known_set() -> frozenset[str]:
    return frozenset(_known_words())


@lru_cache(maxsize=1)
def _known_words() -> list[str]:
    """What a typing slip is corrected to: the classes' names and tags, and the words the query tables
    read ("peple": people, not apple)."""
    people = {"person", "man", "woman", "child", "kid", "boy", "girl", "baby"}
    tables = {*PEOPLE_WORDS, *people, *PLACE_WORDS, *LOOKS, *SEEN_AS, *FOUND, *COLOURS, "grey"}  # ("blak":
    #         black, not balk)
    return sorted(
        {c.name for c in imagenet_concepts()} | {t for c in imagenet_concepts() for t in c.tags} | tables
    )
