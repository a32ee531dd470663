"""How many of a thing a query asks for, in the words around a number.

    read_count(["at", "least", "2", "dogs"], 0, after_part=False)   # Count(span=3, asked=2, exact=False, ...)
    in_a_name(["route", "66", "sign"], 1, wn, qualifies)            # True: a name's number, not 66 signs

A number alone asks for that many exactly ("two dogs"); words before it say how it counts: at least so
many ("at least 2", "about 20", "five or more"), one more ("more than 3", "over 5"), exactly ("only 1"), or
an upper bound ("at most 2", "no more than 3", "two or fewer"), which multicap does not search for: it is
said, and no count is asked (asked None). A number between a word and no plural names ("route 66 sign",
"bus 42"); before a plural it counts ("man feeding 2 ducks").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from multicap.index.query_words import AT_LEAST, NUMBERS, RELATIONS, SIZES, STOPWORDS
from multicap.text.wordnet import WordNet

__all__ = ["BOUND_NOTE", "Count", "in_a_name", "read_count"]

BOUND_NOTE = "multicap counts at least so many, not at most: no count is asked"

# Words before a number and how they count ("at least 2 dogs": "least" had been an unknown word, "more than
# 3 dogs" Sir Thomas More). "About 20 people" asks for at least 20: fewer score less, not nothing.
_COUNT_WORDS: dict[tuple[str, ...], str] = {
    ("no", "fewer", "than"): "at least", ("not", "fewer", "than"): "at least",
    ("no", "less", "than"): "at least", ("not", "less", "than"): "at least",
    ("no", "more", "than"): "at most", ("not", "more", "than"): "at most", ("at", "most"): "at most",
    ("up", "to"): "at most", ("fewer", "than"): "at most", ("less", "than"): "at most",
    ("at", "least"): "at least", ("more", "than"): "more than", ("over",): "more than",
    ("exactly",): "exactly", ("only",): "exactly", ("just",): "exactly", ("about",): "at least",
    ("around",): "at least", ("approximately",): "at least", ("roughly",): "at least",
    ("nearly",): "at least", ("almost",): "at least", ("some",): "at least",
}  # fmt: skip
_ALSO_RELATIONS = frozenset({"over", "around"})  # "a plane over 3 houses": where, not how many
_OR_MORE = {("or", "more"): "at least", ("or", "fewer"): "at most", ("or", "less"): "at most"}


class Count(NamedTuple):
    span: int  # the words read, the number among them
    asked: int | None  # how many the next part is asked for; None: an upper bound, asking none
    exact: bool  # that many exactly, not at least
    said: str  # the words as typed ("at least 2")
    dropped: list[str]  # the words that say how it counts, which ask for nothing to find


def read_count(words: list[str], k: int, *, after_part: bool) -> Count | None:
    """The count the words from `k` give (`_COUNT_WORDS` and a number, or a number and "or more"); None
    where none start there. Right after a part, "over" and "around" relate it ("a bridge over 2 rivers")."""
    for said, how in _COUNT_WORDS.items():
        n = len(said)
        number = words[k + n] if k + n < len(words) else ""
        if tuple(words[k : k + n]) != said or number not in NUMBERS or number in AT_LEAST:
            continue
        if after_part and said[0] in _ALSO_RELATIONS:
            return None
        count = None if how == "at most" else NUMBERS[number] + (how == "more than")
        return Count(n + 1, count, how == "exactly", " ".join(words[k : k + n + 1]), list(said))
    tail = tuple(words[k + 1 : k + 3])
    if words[k] in NUMBERS and tail in _OR_MORE:  # "five or more dogs"
        count = NUMBERS[words[k]] if _OR_MORE[tail] == "at least" else None
        return Count(3, count, False, " ".join(words[k : k + 3]), list(tail))
    return None


def in_a_name(words: list[str], k: int, wn: WordNet, qualifies: Callable[[str], bool]) -> bool:
    """Whether the number in digits at `k` follows a word it names with ("route 66", "apollo 11 rocket",
    "room 101", "windows 95 laptop"): after a word that is no function word nor a doing word, and before
    nothing or no plural (past the words that `qualifies`, sizes and colours). A count comes first, after a
    function word, or before a plural ("3 dogs", "a man with 2 dogs", "a chef cooking 2 big pizzas")."""
    before = words[k - 1] if k > 0 else ""
    if (
        not before
        or before in STOPWORDS
        or before in RELATIONS
        or before in NUMBERS
        or before.endswith("ing")
    ):
        return False
    after = next((w for w in words[k + 1 :] if w not in SIZES and not qualifies(w)), "")
    return not after or not _plural(after, wn)


def _plural(word: str, wn: WordNet) -> bool:
    """Whether `word` is a plural noun: another word WordNet knows is its singular ("ducks": duck; not
    "bus", whose "bu" WordNet does not know, nor "glass")."""
    return any(form != word and wn.is_lemma(form) for form in wn.base_forms(word))
