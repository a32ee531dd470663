"""How a query asks and what it asks that the search does not follow: the request words at its start
("show me", "please find"), which are dropped, and the words of logic ("not", "or", "other than", "dog
-cat") and the actions with nothing after them ("bird flying"), which are said (`understand`'s notes);
and the absence of people, which it follows ("a beach without people", "nobody": `absence_at`; of a
thing, "not dogs": `query._Reading`)."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence

from multicap.index.query_words import ACTIONS, FILLER, REQUESTS, STOPWORDS
from multicap.text.wordnet import WordNet

__all__ = ["ABSENT_ALONE", "absence_at", "asking", "excluded_as_not", "unaccented", "unfollowed"]

# words of logic a query may use, which the search does not follow: said, not silently dropped
_NEGATIONS = ("not", "no", "without", "except")
_NOT_UNDERSTOOD = {
    **{w: f'"{w}" excludes nothing: what follows it is searched for too' for w in _NEGATIONS},
    "or": '"or" is read as "and": images that show both rank first',
    "nor": '"nor" excludes nothing: what follows it is searched for too',
    "nothing": '"nothing" excludes nothing: what follows it is searched for too',
    "vs": '"vs" is read as "and": images that show both rank first',
    "versus": '"versus" is read as "and": images that show both rank first',
}
_MINUS = re.compile(r"(?:^|\s)([-\u2212]+ ?\w+)")  # "dog -cat", "dog - cat", "dog --cat": as typed
_EXCLUDED = re.compile(r"(^|\s)[-\u2212](\w+)")  # "dog -cat": a search engine's "not cat"


def excluded_as_not(text: str) -> str:
    """A word with a minus before it, as a search engine reads it: "dog -cat" is "dog not cat" (it had been
    searched for too). A minus apart from its word ("dog - cat"), doubled, or before a word that asks for
    nothing ("-the") is left as it is (`unfollowed` says it excludes nothing)."""

    def read(m: re.Match[str]) -> str:
        asks = unaccented(m.group(2).lower()) not in STOPWORDS
        return f"{m.group(1)}not {m.group(2)}" if asks else m.group(0)

    return _EXCLUDED.sub(read, text)


def asking(words: list[str], wn: WordNet) -> int:
    """How many words at the query's start ask rather than say what for ("show me", "please find", "search
    for"): a lone "show" or "find" only before a plural or a function word ("show cats", "find the dog";
    not "show jumping", "show window", which WordNet knows), and never the whole query."""
    k = 1 if words[:1] == ["please"] else 0
    while (end := _request_at(words, k, wn)) > k:  # one after another: "can you find me"
        k = end
    return k


def _request_at(words: list[str], k: int, wn: WordNet) -> int:
    """Where the request that begins at `k` ends (`k` where none does)."""
    for request in REQUESTS:
        end = k + len(request)
        if tuple(words[k:end]) != request or end >= len(words):
            continue
        nxt = words[end]
        if len(request) == 1 and (
            wn.synsets(f"{request[0]} {nxt}") or (nxt not in STOPWORDS and wn.is_lemma(nxt))
        ):
            continue
        return end
    return k


def unfollowed(
    text: str, words: list[str], dropped: list[str], n_parts: int, followed: Sequence[str] = ()
) -> list[str]:
    """What the query's words ask that the search does not follow: logic ("not", "or", "dog -cat") and
    actions with nothing after them ("bird flying"). `followed`: the words of logic the reading acted on
    ("except" in "animals except cats")."""
    notes = [
        _NOT_UNDERSTOOD[w]
        for w in dict.fromkeys(words)
        if w in _NOT_UNDERSTOOD
        and w not in followed
        and (w not in dropped or w in FILLER)
        and (w not in ("vs", "versus") or n_parts > 1)  # ("dog vs": nothing to join)
    ]
    pairs = list(itertools.pairwise(words))
    notes += [  # "anything but cats", "animals other than dogs": as "not" ("but not": said of "not")
        f'"{a} {b}" excludes nothing: what follows it is searched for too'
        for a, b in dict.fromkeys(pairs)
        if (b == "than" and a in ("other", "rather")) or (b == "but" and a in ("anything", "all"))
    ]
    said = [w for w in words if w not in STOPWORDS]
    if n_parts and said and said[-1] in ACTIONS:  # "bird flying": nothing after it to join the bird to
        notes.append(f'"{said[-1]}" tells no image apart: multicap sees what a photo shows, not what it does')
    minus = {  # as typed → the word; not one read as "not" (`excluded_as_not`)
        typed: typed.lstrip("-\u2212 ")
        for typed in _MINUS.findall(text)
        if excluded_as_not(f" {typed}") == f" {typed}"
    }
    return notes + [
        f'"{typed}": a minus excludes nothing: "{word}" is searched for too'
        for typed, word in minus.items()
        if unaccented(word.lower()) not in STOPWORDS  # "cat -the": "the" is searched for by no one
    ]  # as a search engine's "dog -cat"; the words had been read as asked for, without a word


def unaccented(word: str) -> str:
    """ "café" → "cafe": WordNet's words are unaccented ASCII (a word with no such form is kept)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    return plain if plain.isascii() else word


_NOBODY = ("people", "person", "persons", "humans", "human", "anyone", "anybody", "one")
# what a photo lacks: no people ("a beach without people"; "no one" had been any person, or "one" counting)
_ABSENCE = (
    ("nobody",), ("noone",), ("no-one",),
    *((no, *some, who) for no in ("no", "without") for some in ((), ("any",)) for who in _NOBODY),
)  # fmt: skip


ABSENT_ALONE = 'asks only for what a photo lacks: say what it shows as well ("a beach without people")'


def absence_at(words: list[str], k: int) -> int:
    """How many words from `k` say that no one is there ("nobody", "without people"); 0 if none do."""
    return next((len(a) for a in _ABSENCE if tuple(words[k : k + len(a)]) == a), 0)
