"""Read a scene sentence back into facts, and compare facts at a level.

To score a captioner, parse its sentences and compare them with what the level states:
`multicap.evaluation.fact_scores([parse(text)], [stated_facts(truth, level)])`.

The parser is small and forgiving: it reads any sentence built from the scenes vocabulary (generated, or
written by a captioner that learned it) and keeps what it can. A sentence is cut into clauses at commas,
semicolons, full stops, "and" and "with". In a clause, a noun phrase is `[a|an|the|two..] [size] [colour]
shape`; "it" means the last object introduced before the clause; "the <description>" means the most
recent earlier object that fits it. A relation phrase relates the noun phrase before it to the one after
it, or, when it opens the clause ("under the red circle is a blue square"), the one after it to the next
one. A position phrase belongs to the clause's new object. Background words are picked up anywhere.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from multicap.facts.geometry import canonical_relation, orient
from multicap.facts.scene import Relation, SceneFacts, SceneObject
from multicap.facts.scene_sentences import (
    BACKGROUND_LEVELS,
    BACKGROUND_STYLES,
    LEVEL_ATTRIBUTES,
    POSITION_STYLES,
    RELATION_LEVELS,
    RELATION_STYLES,
    SIZE_STYLES,
    mentioned_relations,
)
from multicap.facts.scene_words import BACKGROUND_COLOURS, COLOURS, NUMBER_WORDS, SHAPE_PLURALS, SHAPES

__all__ = ["QUALIFIERS", "SHAPE_PLURALS", "parse", "stated_tuples", "tokenize"]

_TOKEN = re.compile(r"[a-z]+(?:-[a-z]+)*|[,;.:]")
_SEPARATORS = frozenset({",", ";", ".", ":", "and", "with"})
_PRONOUNS = frozenset({"it"})
_BACKGROUND_KIND_WORDS: dict[str, str] = {
    "plain": "flat", "solid": "flat", "flat": "flat", "uniform": "flat",
    "gradient": "gradient", "shaded": "gradient", "fading": "gradient",
    "striped": "stripes", "stripes": "stripes", "stripy": "stripes",
    "checkered": "checks", "checks": "checks", "checked": "checks", "checkerboard": "checks",
    "noisy": "noise", "noise": "noise", "grainy": "noise", "speckled": "noise",
}  # fmt: skip
_EXTRA_SIZES: dict[str, str] = {"tiny": "small", "huge": "large"}
# The count, size and colour words of every wording of the scenes' sentences: what qualifies a shape.
QUALIFIERS: frozenset[str] = frozenset(
    {*COLOURS, *NUMBER_WORDS, *(w for style in SIZE_STYLES for w in style.values()), *_EXTRA_SIZES}
)


def _build_phrases() -> dict[str, list[tuple[tuple[str, ...], tuple[str, str]]]]:
    """Position and relation phrases by first word, longest first: word -> [(words, (kind, value))]."""
    phrases: dict[tuple[str, ...], tuple[str, str]] = {}
    for kind, styles in (("pos", POSITION_STYLES), ("rel", RELATION_STYLES)):
        for style in styles:
            for value, text in style.items():
                phrases[tuple(text.split())] = (kind, value)
    by_first: dict[str, list[tuple[tuple[str, ...], tuple[str, str]]]] = {}
    for words in sorted(phrases, key=len, reverse=True):
        by_first.setdefault(words[0], []).append((words, phrases[words]))
    return by_first


_PHRASES = _build_phrases()
_WORDS: dict[str, tuple[str, str]] = {
    **{s: ("shape", s) for s in SHAPES},
    **{p: ("shapes", s) for s, p in SHAPE_PLURALS.items()},
    **{c: ("colour", c) for c in COLOURS},
    **{c: ("bg_colour", c) for c in BACKGROUND_COLOURS},
    **{w: ("bg_kind", k) for w, k in _BACKGROUND_KIND_WORDS.items()},
    **{w: ("size", s) for style in SIZE_STYLES for s, w in style.items()},
    **{w: ("size", s) for w, s in _EXTRA_SIZES.items()},
    **{w: ("count", str(n)) for n, w in enumerate(NUMBER_WORDS) if n > 0},
    "a": ("count", "1"),
    "an": ("count", "1"),
    "the": ("the", ""),
    **{w: ("sep", w) for w in _SEPARATORS},
    **{w: ("it", w) for w in _PRONOUNS},
}
assert all(k in BACKGROUND_STYLES[0] for k in {"flat", "gradient", "stripes", "checks", "noise"})


def tokenize(text: str) -> list[str]:
    """Lower-case words (hyphenated words kept whole) and punctuation marks."""
    return _TOKEN.findall(text.lower())


def _items(tokens: list[str]) -> list[tuple[str, str]]:
    """Tokens -> (kind, value) items, longest phrase first; words outside the lexicon are dropped."""
    items, i = [], 0
    while i < len(tokens):
        for words, hit in _PHRASES.get(tokens[i], ()):
            if tuple(tokens[i : i + len(words)]) == words:
                items.append(hit)
                i += len(words)
                break
        else:
            if tokens[i] in _WORDS:
                items.append(_WORDS[tokens[i]])
            i += 1
    return items


@dataclass
class _Mention:
    indices: list[int]  # the objects the phrase names (several for "two squares")
    new: bool  # introduced here, rather than "it" / "the ..." naming an earlier object


@dataclass
class _Reader:
    objects: list[SceneObject] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    last: int | None = None  # the last object introduced before the current clause

    def clause(self, items: list[tuple[str, str]]) -> None:
        known = len(self.objects)  # "it" and "the ..." only reach objects named before this clause
        mentions: list[_Mention | str] = []
        pending: dict[str, str] = {}
        position = None
        for kind, value in items:
            if kind in ("count", "the", "size", "colour"):
                pending[kind] = value
                continue
            if kind in ("shape", "shapes"):
                mentions.append(self._noun_phrase(value, pending, known))
            elif kind == "it" and self.last is not None:
                mentions.append(_Mention([self.last], new=False))
            elif kind == "rel":
                mentions.append(value)
            elif kind == "pos":
                position = value
            pending = {}
        self._relate(mentions)
        named = [m for m in mentions if isinstance(m, _Mention)]
        if position is not None and named:
            target = next((m for m in named if m.new), named[0])
            self.objects[target.indices[0]].attributes["position"] = position
        fresh = [m for m in named if m.new]
        if fresh:
            self.last = fresh[-1].indices[-1]

    def _noun_phrase(self, shape: str, pending: dict[str, str], known: int) -> _Mention:
        attributes: dict[str, str] = {k: pending[k] for k in ("size", "colour") if k in pending}
        if "the" in pending:
            for i in range(known - 1, -1, -1):
                obj = self.objects[i]
                if obj.label == shape and all(obj.attributes.get(k) == v for k, v in attributes.items()):
                    return _Mention([i], new=False)
        count = int(pending.get("count", "1"))
        start = len(self.objects)
        self.objects += [SceneObject(label=shape, attributes=dict(attributes)) for _ in range(count)]
        return _Mention(list(range(start, start + count)), new=True)

    def _relate(self, mentions: list[_Mention | str]) -> None:
        rels = [i for i, m in enumerate(mentions) if isinstance(m, str)]
        if not rels:
            return
        at = rels[0]
        before = [m for m in mentions[:at] if isinstance(m, _Mention)]
        after = [m for m in mentions[at + 1 :] if isinstance(m, _Mention)]
        pair = (
            (before[-1], after[0]) if before and after else (after[1], after[0]) if len(after) > 1 else None
        )
        if pair and len(pair[0].indices) == 1 and len(pair[1].indices) == 1:
            self.relations.append(Relation(pair[0].indices[0], str(mentions[at]), pair[1].indices[0]))


def parse(text: str) -> SceneFacts:
    """The facts a scene sentence states: objects with the attributes it names, relations, background."""
    reader = _Reader()
    clause: list[tuple[str, str]] = []
    background: dict[str, str] = {}
    for kind, value in _items(tokenize(text)):
        if kind == "bg_kind":
            background.setdefault("background", value)
        elif kind == "bg_colour":
            background.setdefault("background_colour", value)
        elif kind == "sep":
            reader.clause(clause)
            clause = []
        else:
            clause.append((kind, value))
    reader.clause(clause)
    relations = [orient(r, reader.objects) for r in reader.relations]
    return SceneFacts(objects=reader.objects, relations=relations, image_attributes=background)


def stated_tuples(facts: SceneFacts, level: str, relations: str = "stated") -> Counter[tuple]:
    """The facts a sentence at `level` can state, as a multiset of hashable tuples.

    Objects are (shape, the level's attributes); relations name their ends by shape and attributes other
    than position, in one canonical direction, so two descriptions of a scene compare whatever order they
    name objects in.

    Args:
        facts: ground truth or parsed facts.
        level: "object", "attribute", "layout" or "caption".
        relations: "stated" keeps `facts.relations` as they are (a parsed sentence); "mentioned" keeps the
            chain that generated sentences state (`mentioned_relations`); "all" keeps every true relation.
    """
    keys = LEVEL_ATTRIBUTES[level]
    out: Counter[tuple] = Counter(
        ("object", o.label, *(o.attributes.get(k) for k in keys)) for o in facts.objects
    )
    # A relation names its ends without position: right or wrong, positions are scored once, on the objects.
    descs = [(o.label, *(o.attributes.get(k) for k in keys if k != "position")) for o in facts.objects]
    if level in RELATION_LEVELS:
        rels = mentioned_relations(facts) if relations == "mentioned" else facts.relations
        for r in rels:
            if r.subject < len(descs) and r.object < len(descs):
                out[("relation", *canonical_relation(descs[r.subject], r.predicate, descs[r.object]))] += 1
    if level in BACKGROUND_LEVELS:
        attrs = facts.image_attributes
        out[("background", attrs.get("background"), attrs.get("background_colour"))] += 1
    return out
