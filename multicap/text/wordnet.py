"""WordNet 3.0, read from its own database files: every noun and adjective a user may type, as synsets.

The files come from a package: Debian's `wordnet-base` puts them in /usr/share/wordnet (`make` installs it);
`MULTICAP_WORDNET` names another folder holding `index.noun`, `data.noun`, ... The reader needs no parse
of the whole database: index files are sorted, so a lemma is found by binary search, and a synset's line
sits at its byte offset in the data file (WordNet's own design), so lookups cost microseconds and the
files stay on disk (memory-mapped).

    wn = open_wordnet()
    [temple, *_] = wn.synsets("temples")              # morphology folds plurals ("temples" → "temple")
    temple.name, temple.gloss, wn.related(temple, "@")  # hypernyms: place of worship
"""

from __future__ import annotations

import mmap
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from multicap.errors import ConfigError

__all__ = ["POINTERS", "Synset", "WordNet", "open_wordnet", "wordnet_folder"]

DEFAULT_FOLDER = Path("/usr/share/wordnet")
_POS_FILES = {"n": "noun", "a": "adj"}  # the parts of speech read: nouns and adjectives ("s": satellites)

# Pointer symbols used (WordNet's wninput(5WN)); "@" and "~" include the instance forms "@i" and "~i".
POINTERS = {
    "@": "hypernym",
    "~": "hyponym",
    "#m": "member holonym",
    "#s": "substance holonym",
    "#p": "part holonym",
    "%m": "member meronym",
    "%s": "substance meronym",
    "%p": "part meronym",
    "=": "attribute",
    "&": "similar to",
    "\\": "pertainym",
}

# Suffix rules of WordNet's morphy (morph(7WN)): inflected ending → base ending, per part of speech.
_RULES = {
    "n": (("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"),
          ("ies", "y")),
    "a": (("er", ""), ("est", ""), ("er", "e"), ("est", "e")),
}  # fmt: skip


@dataclass(frozen=True)
class Synset:
    offset: int  # byte offset in data.<pos>: the synset's identity within WordNet 3.0
    pos: str  # "n" or "a" (adjective satellites read as "a")
    lemmas: tuple[str, ...]  # words, spaces for underscores, in WordNet's order
    pointers: tuple[tuple[str, int, str], ...]  # (symbol, target offset, target pos)
    gloss: str
    lexfile: int = 0  # the lexicographer file it is written in (lexnames(5WN): 5 noun.animal, 6 artifact)

    @property
    def name(self) -> str:
        return self.lemmas[0]

    @property
    def wnid(self) -> str:
        """The ImageNet-style id: "n" + the 8-digit offset ("n02099601")."""
        return f"{self.pos}{self.offset:08d}"


class WordNet:
    """A WordNet 3.0 database folder (index.noun, data.noun, noun.exc, and the same for adjectives)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._index: dict[str, mmap.mmap] = {}
        self._data: dict[str, mmap.mmap] = {}
        self._exceptions: dict[str, dict[str, list[str]]] = {}
        self._parsed: dict[tuple[int, str], Synset] = {}  # synsets read so far (a walk revisits many)
        self._ancestors: dict[int, frozenset[int]] = {}
        try:
            for pos, name in _POS_FILES.items():
                self._index[pos] = _map(folder / f"index.{name}")
                self._data[pos] = _map(folder / f"data.{name}")
                self._exceptions[pos] = _read_exceptions(folder / f"{name}.exc")
        except OSError as exc:
            raise ConfigError(
                f"WordNet 3.0 is not readable in {folder} ({exc.strerror or exc}): install Debian's "
                "wordnet-base (apt-get install wordnet-base), or set MULTICAP_WORDNET to its folder"
            ) from None

    def synsets(self, word: str, pos: str = "n") -> list[Synset]:
        """The synsets of `word` (or of its base form: "geese" → "goose"), most frequent sense first; words
        typed apart that WordNet writes with a hyphen are found too ("hot air balloon": hot-air balloon)."""
        forms = self.base_forms(word, pos)
        for lemma in forms + [h for f in forms for h in _hyphenated(f)]:
            offsets = self._lookup(lemma, pos)
            if offsets:
                return [self.synset(o, pos) for o in offsets]
        return []

    def is_lemma(self, word: str, pos: str = "n") -> bool:
        """Whether `word` is written as it is among WordNet's lemmas ("giraffe", not "giraffes")."""
        return word == word.strip() and bool(self._lookup("_".join(word.lower().split()), pos))

    def base_forms(self, word: str, pos: str = "n") -> list[str]:
        """`word` as WordNet writes lemmas, then its base forms by the exception list and suffix rules."""
        lemma = "_".join(word.lower().split())
        forms = [lemma, *self._exceptions[pos].get(lemma, [])]
        forms += [
            lemma[: -len(old)] + new
            for old, new in _RULES[pos]
            if lemma.endswith(old) and len(lemma) > len(old) + 1
        ]
        head, of, rest = lemma.partition("_of_")  # "birds of prey": its head word's base forms
        if of and pos == "n":
            forms += [f"{form}_of_{rest}" for form in self.base_forms(head, pos)[1:]]
        return list(dict.fromkeys(forms))

    def synset(self, offset: int, pos: str) -> Synset:
        key = (offset, pos)
        if key not in self._parsed:
            self._parsed[key] = _parse_data_line(self._data[pos], offset, pos)
        return self._parsed[key]

    def ancestors(self, offset: int) -> frozenset[int]:
        """The noun synset at `offset` and every noun above it, along all hypernym paths (instances too)."""
        memo = self._ancestors
        if offset not in memo:
            up = [t for sym, t, pos in self.synset(offset, "n").pointers if sym in ("@", "@i") and pos == "n"]
            memo[offset] = frozenset({offset}).union(*(self.ancestors(t) for t in up))
        return memo[offset]

    def related(self, synset: Synset, symbol: str) -> list[Synset]:
        """The synsets `synset` points to with `symbol` ("@" hypernyms, "~" hyponyms, "#p" part holonyms...;
        "@" and "~" include instance links)."""
        return [
            self.synset(offset, pos)
            for sym, offset, pos in synset.pointers
            if (sym == symbol or sym == symbol + "i") and pos in self._data
        ]

    def _lookup(self, lemma: str, pos: str) -> list[int]:
        line = _bisect_line(self._index[pos], lemma.encode("utf-8"))
        if line is None:
            return []
        fields = line.split()
        n_synsets, n_pointers = int(fields[2]), int(fields[3])
        return [int(f) for f in fields[6 + n_pointers : 6 + n_pointers + n_synsets]]


def _hyphenated(lemma: str) -> list[str]:
    """`lemma` of three words or more with one of its word breaks written as a hyphen ("hot_air_balloon":
    hot-air_balloon, ...); not of two ("maple leaf": a leaf; WordNet's "maple-leaf", Canada's emblem)."""
    parts = lemma.split("_")
    if len(parts) < 3:
        return []
    return ["_".join(parts[:i]) + "-" + "_".join(parts[i:]) for i in range(1, len(parts))]


def _map(path: Path) -> mmap.mmap:
    with path.open("rb") as f:
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


def _read_exceptions(path: Path) -> dict[str, list[str]]:
    """inflected form → base forms ("geese" → ["goose"])."""
    out: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        inflected, *bases = line.split()
        out[inflected] = bases
    return out


def _bisect_line(data: mmap.mmap, key: bytes) -> str | None:
    """The line of a sorted WordNet index file whose first field is `key` (the licence header lines start
    with two spaces and sort first; an empty key would find one of those)."""
    if not key.strip():
        return None
    lo, hi = 0, len(data)
    while lo < hi:
        mid = (lo + hi) // 2
        start = data.rfind(b"\n", 0, mid) + 1
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        line = data[start:end]
        head = line.split(b" ", 1)[0] if not line.startswith(b"  ") else b""
        if head == key:
            return line.decode("utf-8")
        if head < key:
            lo = end + 1
        else:
            hi = start
    return None


def _parse_data_line(data: mmap.mmap, offset: int, pos: str) -> Synset:
    """A data-file line: offset lex_filenum ss_type w_cnt(hex) [word lex_id]... p_cnt [ptr]... | gloss."""
    end = data.find(b"\n", offset)
    line = data[offset : end if end >= 0 else len(data)].decode("utf-8")
    head, _, gloss = line.partition(" | ")
    fields = head.split()
    n_words = int(fields[3], 16)
    words = fields[4 : 4 + 2 * n_words : 2]
    lemmas = tuple(w.split("(")[0].replace("_", " ") for w in words)  # "big(a)" marks an adjective's position
    k = 4 + 2 * n_words
    n_pointers = int(fields[k])
    pointers = []
    for j in range(n_pointers):
        symbol, target, target_pos = fields[k + 1 + 4 * j : k + 4 + 4 * j]
        pointers.append((symbol, int(target), "a" if target_pos == "s" else target_pos))
    return Synset(offset, pos, lemmas, tuple(pointers), gloss.strip(), int(fields[1]))


def wordnet_folder() -> Path:
    """Where the WordNet files are: `MULTICAP_WORDNET`, else Debian's /usr/share/wordnet."""
    return Path(os.environ.get("MULTICAP_WORDNET") or DEFAULT_FOLDER)


@lru_cache(maxsize=2)
def open_wordnet(folder: Path | None = None) -> WordNet:
    """The WordNet of `folder` (default `wordnet_folder()`), opened once per process.

    Raises:
        ConfigError: the files are not there; the message says how to install them.
    """
    return WordNet(folder or wordnet_folder())
