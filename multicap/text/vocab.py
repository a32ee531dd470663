"""`Vocabulary`: words ↔ ids, with special tokens and one start token per description level."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from multicap.errors import DataError
from multicap.facts.scene import LEVELS
from multicap.text.tokenize import ptb_tokenize

__all__ = [
    "CLAUSE_PUNCTUATION",
    "EOS",
    "PAD",
    "PAD_ID",
    "UNK",
    "Vocabulary",
    "detokenize",
    "level_token",
    "tokenize",
]

PAD, EOS, UNK = "<pad>", "<eos>", "<unk>"
PAD_ID = 0  # every Vocabulary's id of <pad> (its first special token)

# Punctuation the captioner reads and writes as tokens: it separates the clauses and sentences of long
# descriptions ("a red circle on the left, a blue square to the right of it"), which the scenes parser needs
# to read a description back (without it, layout sentences read back score 0.08-0.6 fact F1 against their
# own facts). Scoring tokenises as coco-caption does and drops it, so BLEU and CIDEr do not see it.
CLAUSE_PUNCTUATION = frozenset({",", ";", ":", "."})


def level_token(level: str) -> str:
    """The start token that asks the captioner for a level: `<layout>`."""
    return f"<{level}>"


def tokenize(text: str) -> list[str]:
    """Lower-case words as coco-caption tokenises them, keeping the clause punctuation `, ; : .` as tokens."""
    return ptb_tokenize(text, keep=CLAUSE_PUNCTUATION)


def detokenize(tokens: Sequence[str]) -> str:
    """Words → text, with clause punctuation attached to the word before it: "a, b" not "a , b"."""
    text = ""
    for t in tokens:
        text += t if (t in CLAUSE_PUNCTUATION and text) else (" " + t if text else t)
    return text


class Vocabulary:
    """Ids 0..2 are `<pad>`, `<eos>`, `<unk>`; then one `<level>` start token per level; then words.

    `objects` are the words that name an object ("circle", "circles"), where the corpus knows its objects:
    the captioner's object memory (`CaptionerConfig.object_memory`) moves when it says one. Words it does
    not hold are left out.
    """

    def __init__(
        self, words: Sequence[str] = (), levels: Sequence[str] = LEVELS, objects: Iterable[str] = ()
    ) -> None:
        self.levels = tuple(levels)
        specials = [PAD, EOS, UNK, *(level_token(lv) for lv in self.levels)]
        self.itos: list[str] = specials + [w for w in words if w not in specials]
        self.stoi = {w: i for i, w in enumerate(self.itos)}
        self.pad_id, self.eos_id, self.unk_id = PAD_ID, 1, 2
        self.num_special = len(specials)
        named = set(objects)
        self.objects: tuple[str, ...] = tuple(w for w in self.itos[self.num_special :] if w in named)

    @property
    def object_ids(self) -> tuple[int, ...]:
        """The ids of `objects`, ascending."""
        return tuple(self.stoi[w] for w in self.objects)

    @classmethod
    def build(
        cls,
        sentences: Iterable[Sequence[str]],
        min_freq: int = 1,
        levels: Sequence[str] = LEVELS,
        objects: Iterable[str] = (),
    ) -> Vocabulary:
        """Words seen at least `min_freq` times, most frequent first (ties alphabetical, so reproducible)."""
        counts = Counter(w for sent in sentences for w in sent)
        words = sorted((w for w, c in counts.items() if c >= min_freq), key=lambda w: (-counts[w], w))
        return cls(words, levels, objects)

    def __len__(self) -> int:
        return len(self.itos)

    def level_id(self, level: str) -> int:
        try:
            return self.stoi[level_token(level)]
        except KeyError:
            raise DataError(
                f"this vocabulary has no level {level!r}; it knows {', '.join(self.levels)}"
            ) from None

    def encode(self, tokens: Sequence[str]) -> list[int]:
        return [self.stoi.get(t, self.unk_id) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Ids → words, stopping at `<eos>` and leaving out the other special tokens."""
        words = []
        for i in ids:
            if i == self.eos_id:
                break
            if i >= self.num_special:
                words.append(self.itos[i])
            elif i == self.unk_id:
                words.append(UNK)
        return words

    def to_json(self) -> dict[str, object]:
        return {"levels": list(self.levels), "itos": self.itos, "objects": list(self.objects)}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Vocabulary:
        levels = [str(x) for x in data["levels"]]  # type: ignore[attr-defined]
        itos = [str(x) for x in data["itos"]]  # type: ignore[attr-defined]
        objects = [str(x) for x in data["objects"]]  # type: ignore[attr-defined]
        vocab = cls(itos, levels, objects)
        if vocab.itos != itos:
            raise DataError("vocab.json is inconsistent: its special tokens are not in the expected order")
        if list(vocab.objects) != objects:
            raise DataError("vocab.json is inconsistent: its object words are not words it holds, in order")
        return vocab

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Vocabulary:
        try:
            return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DataError(f"cannot read vocabulary {path}: {exc}") from None
