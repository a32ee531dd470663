"""Sentences about a scene at every level, each level with several paraphrase templates.

Levels (docs/architecture.md, decision 3), and the facts each states in full:
  object     shapes and their counts                      "a circle and two squares"
  attribute  size, colour and shape of each object,       "a large red circle and two small blue squares
             and the background                            on a striped navy background"
  layout     colour, shape and position of each object,   "a red circle in the top left corner, a blue
             and a chain of relations                      square to the right of it at the top"
  caption    size, colour and shape, the relation chain   "a large red circle to the left of a small blue
             and the background, in one sentence           square, on a striped navy background"

The relation chain is what the layout and caption levels say about relations: object k relative to object
k-1, in the order of `facts.objects` (`mentioned_relations`). Every template of a level states exactly the
facts its level lists, in words the parser (`parse.py`) reads back.
"""

from __future__ import annotations

from collections.abc import Callable

from multicap.facts.geometry import INVERSE_PREDICATE, orient, relation_between
from multicap.facts.scene import Relation, SceneFacts, SceneObject
from multicap.facts.scene_words import NUMBER_WORDS, plural

__all__ = [
    "BACKGROUND_LEVELS",
    "BACKGROUND_STYLES",
    "LEVEL_ATTRIBUTES",
    "POSITION_STYLES",
    "RELATION_LEVELS",
    "RELATION_STYLES",
    "SIZE_STYLES",
    "TEMPLATE_COUNTS",
    "describe",
    "describe_all",
    "mentioned_relations",
    "predicate_of",
    "stated_facts",
]

# What each level states: object attributes, whether relations (the chain), whether the background.
LEVEL_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "object": (),
    "attribute": ("colour", "size"),
    "layout": ("colour", "position"),
    "caption": ("colour", "size"),
}
RELATION_LEVELS: frozenset[str] = frozenset({"layout", "caption"})
BACKGROUND_LEVELS: frozenset[str] = frozenset({"attribute", "caption"})

# Surface forms, one dict per paraphrase style; parse.py reads every one of them back.
POSITION_STYLES: tuple[dict[str, str], ...] = (
    {
        "top left": "in the top left corner", "top": "at the top", "top right": "in the top right corner",
        "left": "on the left", "center": "in the center", "right": "on the right",
        "bottom left": "in the bottom left corner", "bottom": "at the bottom",
        "bottom right": "in the bottom right corner",
    },
    {
        "top left": "at the top left", "top": "at the top", "top right": "at the top right",
        "left": "on the left side", "center": "in the middle", "right": "on the right side",
        "bottom left": "at the bottom left", "bottom": "at the bottom", "bottom right": "at the bottom right",
    },
    {
        "top left": "in the upper left", "top": "near the top", "top right": "in the upper right",
        "left": "at the left", "center": "at the center", "right": "at the right",
        "bottom left": "in the lower left", "bottom": "near the bottom", "bottom right": "in the lower right",
    },
)  # fmt: skip
RELATION_STYLES: tuple[dict[str, str], ...] = (
    {"left of": "to the left of", "right of": "to the right of", "above": "above", "below": "below",
     "next to": "next to"},
    {"left of": "left of", "right of": "right of", "above": "over", "below": "under", "next to": "beside"},
    {"left of": "to the left of", "right of": "to the right of", "above": "above", "below": "beneath",
     "next to": "beside"},
)  # fmt: skip
SIZE_STYLES: tuple[dict[str, str], ...] = (
    {"small": "small", "medium": "medium", "large": "large"},
    {"small": "small", "medium": "medium-sized", "large": "big"},
    {"small": "little", "medium": "mid-sized", "large": "large"},
)
BACKGROUND_STYLES: tuple[dict[str, str], ...] = (
    {"flat": "a plain {c} background", "gradient": "a gradient {c} background",
     "stripes": "a striped {c} background", "checks": "a checkered {c} background",
     "noise": "a noisy {c} background"},
    {"flat": "a plain {c} background", "gradient": "a {c} background with a gradient",
     "stripes": "a {c} background with stripes", "checks": "a {c} background with checks",
     "noise": "a {c} background with noise"},
    {"flat": "a solid {c} background", "gradient": "a shaded {c} background",
     "stripes": "a stripy {c} background", "checks": "a checked {c} background",
     "noise": "a grainy {c} background"},
)  # fmt: skip


def predicate_of(facts: SceneFacts, i: int, j: int) -> str:
    """Where object i lies relative to object j, from the facts' relations (or the boxes if none says)."""
    for rel in facts.relations:
        if (rel.subject, rel.object) == (i, j):
            return rel.predicate
        if (rel.subject, rel.object) == (j, i):
            return INVERSE_PREDICATE[rel.predicate]
    return relation_between(facts.objects[i].box, facts.objects[j].box)


def mentioned_relations(facts: SceneFacts) -> list[Relation]:
    """The relations the layout and caption levels state: each object relative to the one before it."""
    return [Relation(k, predicate_of(facts, k, k - 1), k - 1) for k in range(1, len(facts.objects))]


def stated_facts(facts: SceneFacts, level: str) -> SceneFacts:
    """The part of `facts` that every sentence of `level` states: the reference to score a parse against."""
    keys = LEVEL_ATTRIBUTES[level]
    objects = [
        SceneObject(o.label, o.confidence, o.box, {k: o.attributes[k] for k in keys if k in o.attributes})
        for o in facts.objects
    ]
    relations = [orient(r, objects) for r in mentioned_relations(facts)] if level in RELATION_LEVELS else []
    background = dict(facts.image_attributes) if level in BACKGROUND_LEVELS else {}
    return SceneFacts(objects, relations, background)


def _with_article(phrase: str) -> str:
    return ("an " if phrase[0] in "aeiou" else "a ") + phrase


def _count_phrase(count: int, words: str) -> str:
    return _with_article(words) if count == 1 else f"{NUMBER_WORDS[count]} {words}"


def _words(obj: SceneObject, size_style: int | None, count: int = 1) -> str:
    """'large red circle' (no article); size left out when `size_style` is None."""
    parts = [] if size_style is None else [SIZE_STYLES[size_style][obj.attributes["size"]]]
    parts += [obj.attributes["colour"], plural(obj.label, count)]
    return " ".join(parts)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _groups(facts: SceneFacts, with_attributes: bool, size_style: int = 0) -> list[tuple[str, int]]:
    """Count phrases for equal objects, in order of first appearance: [("two small blue squares", 2), ...]."""
    counts: dict[str, int] = {}
    first: dict[str, SceneObject] = {}
    for obj in facts.objects:
        key = _words(obj, size_style) if with_attributes else obj.label
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, obj)
    out = []
    for key, n in counts.items():
        words = _words(first[key], size_style, n) if with_attributes else plural(first[key].label, n)
        out.append((_count_phrase(n, words), n))
    return out


def _background(facts: SceneFacts, style: int) -> str:
    attrs = facts.image_attributes
    return BACKGROUND_STYLES[style][attrs["background"]].format(c=attrs["background_colour"])


def _there(groups: list[tuple[str, int]]) -> str:
    return "there is" if groups[0][1] == 1 else "there are"


# -- object level --------------------------------------------------------------------------------
def _object_0(f: SceneFacts) -> str:
    return _join([g for g, _ in _groups(f, False)])


def _object_1(f: SceneFacts) -> str:
    return "an image of " + _join([g for g, _ in _groups(f, False)])


def _object_2(f: SceneFacts) -> str:
    n = len(f.objects)
    return f"{_count_phrase(n, 'shape' if n == 1 else 'shapes')}: " + _join([g for g, _ in _groups(f, False)])


# -- attribute level -----------------------------------------------------------------------------
def _attribute_0(f: SceneFacts) -> str:
    return _join([g for g, _ in _groups(f, True, 0)]) + " on " + _background(f, 0)


def _attribute_1(f: SceneFacts) -> str:
    return _join([g for g, _ in _groups(f, True, 1)]) + ", set against " + _background(f, 1)


def _attribute_2(f: SceneFacts) -> str:
    groups = _groups(f, True, 2)
    return f"{_there(groups)} " + _join([g for g, _ in groups]) + " on " + _background(f, 2)


# -- layout level --------------------------------------------------------------------------------
def _layout_0(f: SceneFacts) -> str:
    pos, rel = POSITION_STYLES[0], RELATION_STYLES[0]
    obj = f.objects
    clauses = [f"{_with_article(_words(obj[0], None))} {pos[obj[0].attributes['position']]}"]
    for r in mentioned_relations(f):
        o = obj[r.subject]
        clauses.append(
            f"{_with_article(_words(o, None))} {rel[r.predicate]} it {pos[o.attributes['position']]}"
        )
    return _join(clauses) if len(clauses) < 3 else ", ".join(clauses[:-1]) + ", and " + clauses[-1]


def _layout_1(f: SceneFacts) -> str:
    pos, rel = POSITION_STYLES[1], RELATION_STYLES[1]
    obj = f.objects
    parts = [f"{pos[obj[0].attributes['position']]} there is {_with_article(_words(obj[0], None))}"]
    for r in mentioned_relations(f):
        o, prev = obj[r.subject], obj[r.object]
        parts.append(
            f"{rel[r.predicate]} the {_words(prev, None)} is {_with_article(_words(o, None))} "
            f"{pos[o.attributes['position']]}"
        )
    return "; ".join(parts)


def _layout_2(f: SceneFacts) -> str:
    pos, rel = POSITION_STYLES[2], RELATION_STYLES[2]
    obj = f.objects
    parts = [f"{_with_article(_words(obj[0], None))} is {pos[obj[0].attributes['position']]}"]
    for r in mentioned_relations(f):
        o, prev = obj[r.subject], obj[r.object]
        parts.append(
            f"{pos[o.attributes['position']]} there is {_with_article(_words(o, None))} "
            f"{rel[r.predicate]} the {_words(prev, None)}"
        )
    return ". ".join(parts)


# -- caption level -------------------------------------------------------------------------------
def _caption_0(f: SceneFacts) -> str:
    rel, obj, chain = RELATION_STYLES[0], f.objects, mentioned_relations(f)
    text = _with_article(_words(obj[0], 0))
    if chain:  # the first pair reads from object 0: "a circle to the left of a square"
        text += f" {rel[INVERSE_PREDICATE[chain[0].predicate]]} {_with_article(_words(obj[1], 0))}"
    for r in chain[1:]:
        text += f", with {_with_article(_words(obj[r.subject], 0))} {rel[r.predicate]} it"
    return text + (", on " if chain else " on ") + _background(f, 0)


def _caption_1(f: SceneFacts) -> str:
    rel, obj, chain = RELATION_STYLES[1], f.objects, mentioned_relations(f)
    text = "on " + _background(f, 1) + ", " + _with_article(_words(obj[0], 1))
    if chain:
        text += f" sits {rel[INVERSE_PREDICATE[chain[0].predicate]]} {_with_article(_words(obj[1], 1))}"
    else:
        text += " sits alone"
    for r in chain[1:]:
        o, prev = obj[r.subject], obj[r.object]
        text += f" and {_with_article(_words(o, 1))} is {rel[r.predicate]} the {_words(prev, 1)}"
    return text


def _caption_2(f: SceneFacts) -> str:
    rel, obj, chain = RELATION_STYLES[2], f.objects, mentioned_relations(f)
    clauses = [_with_article(_words(obj[0], 2))]
    clauses += [f"{_with_article(_words(obj[r.subject], 2))} {rel[r.predicate]} it" for r in chain]
    return _background(f, 2) + " with " + _join(clauses)


_TEMPLATES: dict[str, tuple[Callable[[SceneFacts], str], ...]] = {
    "object": (_object_0, _object_1, _object_2),
    "attribute": (_attribute_0, _attribute_1, _attribute_2),
    "layout": (_layout_0, _layout_1, _layout_2),
    "caption": (_caption_0, _caption_1, _caption_2),
}
# How many paraphrases each level has.
TEMPLATE_COUNTS: dict[str, int] = {level: len(t) for level, t in _TEMPLATES.items()}


def describe(facts: SceneFacts, level: str, template: int = 0) -> str:
    """One sentence about `facts` at `level` ("object", "attribute", "layout", "caption") from `template`."""
    if level not in _TEMPLATES:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(_TEMPLATES)}")
    if not facts.objects:
        raise ValueError("a scene needs at least one object to be described")
    return _TEMPLATES[level][template](facts)


def describe_all(facts: SceneFacts) -> dict[str, list[str]]:
    """Every paraphrase at every level: {level: [sentence per template]}."""
    return {level: [t(facts) for t in templates] for level, templates in _TEMPLATES.items()}
