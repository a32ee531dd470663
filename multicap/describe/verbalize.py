"""SceneFacts → text, one verbalizer per level, selected by name from a registry.

    verbalize(facts, "layout")  # "a golden retriever in the centre, a tennis ball to the right of it …"

Each verbalizer is a plain function `(SceneFacts) -> str`; `register_verbalizer("level")` adds one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from multicap.describe.places import SETTINGS
from multicap.errors import UnknownNameError
from multicap.facts.scene import SceneFacts, SceneObject
from multicap.text.articles import indefinite

__all__ = [
    "PERSON_DISTANCE",
    "POSITION_PHRASES",
    "count_word",
    "is_plural",
    "list_verbalizers",
    "object_phrase",
    "plural",
    "register_verbalizer",
    "setting_phrase",
    "verbalize",
]

Verbalizer = Callable[[SceneFacts], str]
_REGISTRY: dict[str, Verbalizer] = {}

_UNIQUE = frozenset({"sky"})  # said with "the" when bare ("the sky"; "a blue sky")
_MASS = frozenset({"grass", "foliage", "trees"})  # said with no article ("green grass", "trees")
_SIZELESS = frozenset({*_UNIQUE, *_MASS, "sunset"})  # "an orange sunset", not "a small orange sunset"
# What spreads over much of a photo: its box's centre says nothing of where it is ("the sky next to it").
_SPREAD = frozenset({*_MASS, "sky", "sunset"})
# A person's size in the frame says how near they are, not how big they are: "a large person" reads as a
# heavy one. Medium says nothing. The sky, grass, trees and foliage have no size ("large green grass").
_PERSON_SIZE = {"small": "distant", "medium": "", "large": "nearby"}
# ... and the same as a predicate ("the person in black is close in b.jpg").
PERSON_DISTANCE = {"small": "far off", "medium": "at a middle distance", "large": "close"}
# ImageNet's names that are plural in form: no article, and no second plural ("black sunglasses").
_PLURAL_ONLY = ("binoculars", "parallel bars", "sunglasses", "swimming trunks")
# ImageNet's names of stuff, not things: no article ("a person in chain mail", "hay in the centre").
_STUFF = (
    "broccoli", "carbonara", "chain mail", "chocolate sauce", "consomme", "corn", "dough", "eggnog",
    "guacamole", "hay", "ice cream", "mashed potato", "rapeseed", "red wine", "thatch", "toilet tissue",
    "velvet", "wool",
)  # fmt: skip
_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
POSITION_PHRASES: dict[str, str] = {
    "top left": "in the top left corner", "top": "at the top", "top right": "in the top right corner",
    "left": "on the left", "center": "in the centre", "right": "on the right",
    "bottom left": "in the bottom left corner", "bottom": "at the bottom",
    "bottom right": "in the bottom right corner",
}  # fmt: skip
_RELATION_PHRASES: dict[str, str] = {
    "left of": "to the left of", "right of": "to the right of", "above": "above", "below": "below",
    "next to": "next to", "around": "around",
}  # fmt: skip
NOTHING = "nothing recognised"
_IRREGULAR = {
    "person": "people", "man": "men", "woman": "women", "child": "children", "mouse": "mice", "fish": "fish",
    "goldfish": "goldfish",
}  # fmt: skip
GUESS = "guess"  # SceneObject.attributes["certainty"] of an object said below the describer's confidence


def register_verbalizer(level: str) -> Callable[[Verbalizer], Verbalizer]:
    """Decorator: make `fn` the verbalizer of `level`."""

    def add(fn: Verbalizer) -> Verbalizer:
        _REGISTRY[level] = fn
        return fn

    return add


def list_verbalizers() -> list[str]:
    return list(_REGISTRY)


def verbalize(facts: SceneFacts, level: str) -> str:
    """The text of `facts` at `level` ("object", "attribute", "layout", "caption"); "perhaps ..." when every
    object is a low-confidence guess, but for what was found from the pixels ("perhaps a worm fence and
    trees": the trees are sure, the worm fence is what is hedged)."""
    try:
        fn = _REGISTRY[level]
    except KeyError:
        raise UnknownNameError(
            f"no verbalizer for level {level!r}: choose from {', '.join(_REGISTRY)}"
        ) from None
    text = fn(facts)
    guesses = [o.attributes.get("certainty") == GUESS for o in facts.objects]
    pixels = [o.attributes.get("found_by") == "pixels" for o in facts.objects]
    guessed = any(guesses) and all(g or p for g, p in zip(guesses, pixels, strict=True))
    return (
        ("Perhaps " + text[0].lower() + text[1:] if text[:1].isupper() else "perhaps " + text)
        if guessed
        else text
    )


def plural(noun: str) -> str:
    """English plural of a (multi-word) noun's last word: "tennis ball" → "tennis balls"; of each reading
    of one read two ways: "fox or cat" → "foxes or cats"."""
    if " or " in noun:
        return " or ".join(plural(reading) for reading in noun.split(" or "))
    head, _, last = noun.rpartition(" ")
    if _ends_with(noun, _PLURAL_ONLY):
        return noun
    if last in _IRREGULAR:
        last = _IRREGULAR[last]
    elif last.endswith(("s", "x", "z", "ch", "sh")):
        last += "es"
    elif last.endswith("y") and last[-2:-1] not in tuple("aeiou"):
        last = last[:-1] + "ies"
    else:
        last += "s"
    return f"{head} {last}" if head else last


def _ends_with(phrase: str, names: tuple[str, ...]) -> bool:
    """Whether `phrase` is one of `names` or ends with one as whole words ("acorn" does not end in corn)."""
    return any(phrase == n or phrase.endswith(" " + n) for n in names)


def is_plural(phrase: str) -> bool:
    """Whether the phrase names things in the plural, as its verb must agree: "green trees are", "the
    sunglasses are" ("green trees is only in b.jpg" had been said)."""
    return phrase.rpartition(" ")[2] == "trees" or _ends_with(phrase, _PLURAL_ONLY)


def with_article(phrase: str) -> str:
    """The phrase with its article: "a dog", "an Egyptian cat", "the sky", "green grass", "sunglasses"; a
    person's, whatever they wear: "a person in swimming trunks" (the trunks had taken the article away)."""
    if phrase in _UNIQUE:
        return "the " + phrase
    head = phrase.partition(" in ")[0]  # "nearby person in what may be swimming trunks": the person
    if head.rpartition(" ")[2] in _MASS or _ends_with(head, _PLURAL_ONLY + _STUFF):
        return phrase
    return f"{indefinite(head)} {phrase}"


def _count(noun: str, n: int, *, least: bool = False) -> str:
    """ "a dog", "two dogs"; with `least`, "at least three people" (a crowd's faint figures: there may be
    more than were found)."""
    return with_article(noun) if n == 1 else f"{'at least ' * least}{count_word(n)} {plural(noun)}"


def _faint(objects: list[SceneObject]) -> bool:
    """Whether people among `objects` were found as a crowd's faint figures (`describe.figures._crowd`)."""
    return any(o.label == "person" and o.attributes.get("found_by") == "figure" for o in objects)


def _join(items: list[str], *, serial: bool = False) -> str:
    """ "a, b and c"; with `serial`, "a, b, and c" and "a, and b": after a person's clothes ("a person in
    gray, and white hay"; without the comma the hay read as worn)."""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + (", and " if serial else " and ") + items[-1]


def setting_phrase(facts: SceneFacts) -> str | None:
    """Where the scene is ("by a lake"), unless an object already says it: "a church ...; at a church",
    "a suspension bridge ...; by a bridge" name the place twice."""
    name = facts.image_attributes.get("setting")
    if not name:
        return None
    phrase = SETTINGS.get(name, f"at a {name}")
    place = phrase.rpartition(" ")[2]
    said = {o.label.rpartition(" ")[2] for o in facts.objects} | {o.label for o in facts.objects}
    return None if place in said or name in said else phrase


# The colour words the describer names (`multicap.describe.colours.COLOUR_PROTOTYPES`), and "grey"
COLOUR_WORDS = frozenset({
    "black", "gray", "grey", "white", "red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink",
    "brown",
})  # fmt: skip


_GRAY = {"grey": "gray"}  # the describer's spelling; ImageNet's names say "grey" ("grey whale", "grey fox")


def coloured(colour: str, name: str, label: str | None = None) -> str:
    """ "brown dog"; for a name that says a colour itself (an orange, a red fox, a yellow lady's slipper;
    `label`: the singular of a plural `name`), the name alone where its colour is among those seen, else
    the colours after it: "a large orange and yellow orange" and "a medium red and orange yellow lady's
    slipper" had been said."""
    if not colour:
        return name
    own = (label or name).split(" ", 1)[0]
    if own not in COLOUR_WORDS:
        return f"{colour} {name}"
    seen = {_GRAY.get(c, c) for c in colour.split()}
    return name if _GRAY.get(own, own) in seen else f"{name} coloured {colour}"


def object_phrase(obj: SceneObject, *, size: bool = True, colour: bool = True, n: int = 1) -> str:
    """ "large brown golden retriever": size, colour, then the name (plural for n > 1), without article.

    A person's colour is what they wear, said after the name ("person in a black military uniform", "people
    in black"), never before it: "a black person" would say something else. Their size is how near they are
    ("nearby person", "distant people"; `_PERSON_SIZE`). The sky, grass, trees and foliage take no size."""
    said_colour = obj.attributes.get("colour", "") if colour else ""
    wearing = obj.attributes.get("wearing") if colour else None
    label = obj.label if n == 1 else plural(obj.label)
    said_size = obj.attributes.get("size", "") if size and obj.label not in _SIZELESS else ""
    if obj.label == "person":
        words = [_PERSON_SIZE.get(said_size, said_size), label]
        garment = coloured(said_colour, wearing if n == 1 else plural(wearing), wearing) if wearing else ""
        dressed = (with_article(garment) if n == 1 else garment) if wearing else said_colour  # "a black suit"
        if wearing and obj.attributes.get("wearing_certainty") == GUESS:
            dressed = f"what may be {dressed}"
        return " ".join(w for w in words if w) + (f" in {dressed}" if dressed else "")
    return " ".join(w for w in (said_size, coloured(said_colour, label, obj.label)) if w)


def _counted(objects: list[SceneObject], size: bool = True) -> list[str]:
    """Each distinct description once, counted, in order of first appearance: "two distant people in
    gray", "a large brown restaurant"."""
    alike: dict[str, list[SceneObject]] = {}
    for o in objects:
        alike.setdefault(object_phrase(o, size=size), []).append(o)
    said = []
    for one, same in alike.items():
        if len(same) == 1:
            said.append(with_article(one))
            continue
        least = "at least " * _faint(same)  # a crowd's faint figures: "at least three distant people"
        said.append(f"{least}{count_word(len(same))} {object_phrase(same[0], size=size, n=len(same))}")
    return said


def count_word(n: int) -> str:
    """ "two", "nine", then digits: "12"."""
    return _NUMBERS[n] if n < len(_NUMBERS) else str(n)


@register_verbalizer("object")
def object_text(facts: SceneFacts) -> str:
    """ "a golden retriever and two tennis balls" (objects counted by name, in order of appearance)."""
    counts = Counter(o.label for o in facts.objects)
    least = _faint(facts.objects)
    said = [_count(label, n, least=least and label == "person") for label, n in counts.items()]
    return _join(said) if said else NOTHING


@register_verbalizer("attribute")
def attribute_text(facts: SceneFacts) -> str:
    """ "a large brown golden retriever, two small yellow tennis balls; a bright, colourful landscape
    image" (things described alike are counted)."""
    parts = _counted(facts.objects)
    a = facts.image_attributes
    looks = [a[k] for k in ("brightness", "colourfulness") if k in a]
    image = ", ".join(looks) + (" " if looks else "") + a.get("orientation", "") + " image"
    if "palette" in a and a.get("colourfulness") != "black and white":  # its grays say nothing more
        image += " in " + _join(a["palette"].split(", "))
    text = ", ".join(parts) if parts else NOTHING
    return f"{text}; {with_article(image.strip())}" if looks or "orientation" in a else text


@register_verbalizer("layout")
def layout_text(facts: SceneFacts) -> str:
    """ "a golden retriever in the centre, a tennis ball to the right of it on the right; on a seashore".
    A thing around the one before it, or the sky, grass, trees or foliage whose box is centred, is said with
    no place of its own: "a ladybug on the right, foliage around it", "a monastery, the sky around it".
    People found together (the describer puts them first) are said as one group with where they are
    ("two people on the left", "three people on the left and in the centre", "five people across the
    image"); the first thing after them by
    where it is, and the rest relative to the one before, as usual."""
    obj = facts.objects
    clauses = []
    group = next((k for k, o in enumerate(obj) if o.label != "person"), len(obj))
    if group >= 2:
        where = _spread([o.attributes["position"] for o in obj[:group]])
        clauses.append(f"{_count('person', group, least=_faint(obj[:group]))} {where}")
        if group < len(obj):
            clauses.append(
                f"{with_article(obj[group].label)} {POSITION_PHRASES[obj[group].attributes['position']]}"
            )
    elif obj:
        clauses.append(f"{with_article(obj[0].label)} {POSITION_PHRASES[obj[0].attributes['position']]}")
    for r in facts.relations:
        if group >= 2 and r.subject <= group:
            continue  # within the group, or the first thing after it: said above
        o, prev = obj[r.subject], obj[r.object]
        ref = (
            ("them" if prev.label == "person" else "it") if r.object == r.subject - 1 else f"the {prev.label}"
        )
        where = POSITION_PHRASES.get(o.attributes.get("position", ""), "")
        if r.predicate == "around" or (o.label in _SPREAD and where == POSITION_PHRASES["center"]):
            where = ""  # "foliage around it", not "... around it in the centre": the centre of what holds it
        elif r.predicate == "next to" and o.attributes.get("position") == prev.attributes.get("position"):
            where = ""  # "a bee next to it", not "... next to it in the centre" after "a daisy in the centre"
        clauses.append(f"{with_article(o.label)} {_RELATION_PHRASES[r.predicate]} {ref} {where}".strip())
    setting = setting_phrase(facts)
    text = ", ".join(clauses) if clauses else NOTHING
    return f"{text}; {setting}" if setting else text


_COLUMN = {"left": 0, "center": 1, "right": 2}


def _spread(positions: list[str]) -> str:
    """Where a group is, from its members' 3 × 3 positions, read from left to right: "on the left and in
    the centre"; three places or more in one column or row as that column or row ("on the left"), else
    "across the image" (it was "on the right, at the bottom, on the left and in the centre")."""
    cells = [
        (w[-1] if w[-1] in _COLUMN else "center", w[0] if w[0] in ("top", "bottom") else "middle")
        for w in (p.split() for p in positions)
    ]
    spots = sorted(dict.fromkeys(positions), key=lambda p: (_COLUMN.get(p.split()[-1], 1), p))
    if len(spots) <= 2:
        return _join([POSITION_PHRASES[p] for p in spots])
    columns, rows = {c for c, _ in cells}, {r for _, r in cells}
    if len(columns) == 1 and columns != {"center"}:
        return POSITION_PHRASES[columns.pop()]
    if len(rows) == 1 and rows & {"top", "bottom"}:
        return POSITION_PHRASES[rows.pop()]
    return "across the image"


@register_verbalizer("caption")
def caption_text(facts: SceneFacts) -> str:
    """One plain sentence: "A brown golden retriever and a yellow tennis ball on a seashore.". Things said
    alike are counted, and people as one group ("Five people, a mobile home and grass.")."""
    if not facts.objects:
        setting = setting_phrase(facts)
        return f"A scene {setting}." if setting else "An image with " + NOTHING + "."
    people = [o for o in facts.objects if o.label == "person"]
    others = [o for o in facts.objects if o.label != "person"]
    names = _counted(others, size=False)
    if len(people) > 1:  # a group is counted whole, as the object level counts it: "five people"
        wear = {object_phrase(o, size=False) for o in people}
        group = object_phrase(people[0], size=False, n=len(people)) if len(wear) == 1 else plural("person")
        names.insert(0, f"{'at least ' * _faint(people)}{count_word(len(people))} {group}")
    elif people:
        names.insert(0, with_article(object_phrase(people[0], size=False)))
    setting = setting_phrase(facts)
    sentence = _join(names[:3], serial=any(" in " in n for n in names[:2])) + (
        f" {setting}" if setting else ""
    )
    return sentence[0].upper() + sentence[1:] + "."
