"""Readers: a captioner's sentences read back into `SceneFacts`, so that its text can be scored, placed
(each object at the attention of the word that named it), summarised and searched like any other facts.

A trained bundle names its reader in `config.json` (`"reader": "scenes"`); a bundle without one gives text
only. The synthetic scenes' grammar is the one reader shipped; `register_reader` adds another.

    reader = get_reader("scenes")
    facts = reader.parse("a large red circle to the left of a small blue square")
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from multicap.errors import UnknownNameError
from multicap.facts.scene import SceneFacts
from multicap.facts.scene_parse import QUALIFIERS, SHAPE_PLURALS, parse, stated_tuples

__all__ = ["Reader", "get_reader", "list_readers", "register_reader"]


@dataclass(frozen=True)
class Reader:
    name: str
    parse: Callable[[str], SceneFacts]  # a sentence → the facts it states
    stated: Callable[[SceneFacts, str, str], Counter[tuple]]  # (facts, level, relations) → what a sentence
    #     at that level can state, as comparable tuples (relations "stated" or "mentioned"; for scoring)
    plurals: Mapping[str, str]  # object label → its plural word ("cross" → "crosses")
    qualifiers: frozenset[str]  # count, size and colour words that qualify a noun ("two large cyan circles")

    def plural(self, label: str) -> str:
        return self.plurals.get(label, label + "s")


_READERS: dict[str, Reader] = {"scenes": Reader("scenes", parse, stated_tuples, SHAPE_PLURALS, QUALIFIERS)}


def register_reader(reader: Reader) -> None:
    """Make `get_reader(reader.name)` return `reader` (a bundle's config names it)."""
    _READERS[reader.name] = reader


def list_readers() -> list[str]:
    return sorted(_READERS)


def get_reader(name: str) -> Reader:
    try:
        return _READERS[name]
    except KeyError:
        raise UnknownNameError(
            f"no reader {name!r} for a bundle's text (known: {', '.join(list_readers())})"
        ) from None
