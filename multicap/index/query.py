"""What a text query means to the model: words → WordNet 3.0 synsets → the ImageNet classes it can see.

    meaning = understand("a red car on the beach")
    meaning.parts          # [red car: 10 classes below car, colour red] [beach: seashore, sandbar, lakeside]
    meaning.unknown        # words the model cannot relate to anything, with the nearest concepts it knows
    meaning.notes          # words searched as less than they say ("woman": any person)

Every noun reaches the classes through WordNet's relations, each with a weight (`multicap.index.reach`);
a word that reaches none is reported as unknown, with the nearest concepts the model knows (shown, not
searched for). A part whose strongest class weighs under 0.3 is searched and reported as loosely related.
Colour words bind to the noun after them ("red car"); person words ("woman", "children", "face") reach
the people the describer finds. Words for how the whole image looks ("dark", "colourful", "a black and
white photo", "a blue picture") ask for what the describer says of it: its brightness, colourfulness and
palette. Function words between parts say how they combine ("on", "with", "in").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace

from multicap.index.query_words import (
    ACTIONS,
    CLOUD_NOUNS,
    CLOUDED,
    CLOUDY,
    FACE_WORDS,
    FOUND,
    FOUND_SENSES,
    IMAGE_WORDS,
    LOOKS,
    MONOCHROME,
    NUMBERS,
    PEOPLE_COUNT,
    PEOPLE_WORDS,
    POSITION_TAIL,
    POSITIONS,
    RELATION_PHRASES,
    RELATIONS,
    SHADES,
    SIZES,
    STOPWORDS,
)
from multicap.index.reach import (
    SIBLING_WEIGHT,
    WORD,
    Unknown,
    classes_below,
    names_a_time,
    pertainyms,
    place_of,
    reach,
    shared_wordnet,
    unknown,
)
from multicap.text.imagenet import imagenet_concepts
from multicap.text.wordnet import Synset, WordNet

__all__ = ["COLOURS", "PERSON_TERMS", "Part", "Understanding", "Unknown", "understand"]

# The colour words the describer uses, and common names that fold into them.
COLOURS = (
    "red",
    "orange",
    "yellow",
    "green",
    "blue",
    "purple",
    "pink",
    "brown",
    "black",
    "white",
    "gray",
    "cyan",
)
_COLOUR_ALIASES = {
    "grey": "gray", "gold": "yellow", "golden": "yellow", "silver": "gray", "navy": "blue", "beige": "brown",
    "tan": "brown", "violet": "purple", "maroon": "red", "teal": "cyan", "turquoise": "cyan",
}  # fmt: skip
# What the describer calls a person, and the WordNet synset every person word falls under.
PERSON_TERMS = ("person", "people", "face")
_PERSON = 7846  # person.n.01
_TREE = 13104059  # tree.n.01: a kind of tree no class is reaches the trees the describer finds
_SEX = frozenset({"female", "male", "females", "males"})  # people alone; before a noun, its sex
_KIND_OF = 20  # a sense under a hypernym of at most this many classes is a kind of a specific thing
_COLOUR_NOUN = 4956594  # color.n.01: a noun under it names a colour ("crimson", "scarlet")
_LOOSE = 0.3  # a part whose strongest class weighs less is reported as loosely understood
_CONTAINERFUL = 13756125  # containerful.n.01: "a cup of", "a bowl of" say how much of what follows
_HOLDER = 0.5  # the weight a container's classes keep in the part of what it holds ("cup of coffee")
# People words that say no more than the describer finds: how many, a face; any other ("woman", "child",
# "soldier") is searched as any person, and the query's reader is told so.
_ANYONE = (PEOPLE_WORDS - {"men", "women", "children", "kids"}) | {"person", "human", "someone", "somebody"}
_ANY_PERSON = "is searched as any person: multicap finds people, not who they are"


@dataclass
class Part:
    text: str  # the query words it stands for ("red car")
    kind: str  # "thing", "people", "found" (the sky), "colour" (a bare colour), "look" (the whole image)
    classes: dict[int, float] = field(default_factory=dict)  # ImageNet class → weight in 0..1
    colour: str | None = None  # a colour bound to it
    count: int = 1  # how many of it the words ask for, at least ("two dogs", "people": two, "a crowd": five)
    exact: bool = False  # the count is a number typed ("three people"), not "at least" ("people")
    face: bool = False  # for a "people" part: whether the words ask for a face seen close ("portrait")
    where: tuple[str, ...] = ()  # where in the image the words put it ("on the left": ("left",))
    size: str | None = None  # the describer's size the words give it ("a small dog": "small")
    look: tuple[str, str] | None = None  # for a "look" part: (attribute, value) ("brightness", "dark")
    terms: tuple[str, ...] = ()  # words for the full-text search beside the typed ones
    how: str = ""  # what it was understood as, for --explain
    note: str = ""  # what the words ask for that the search cannot tell ("woman": any person)

    def top(self, n: int = 5) -> list[tuple[str, float]]:
        names = [c.name for c in imagenet_concepts()]
        return [(names[c], w) for c, w in sorted(self.classes.items(), key=lambda kv: -kv[1])[:n]]


@dataclass
class Understanding:
    parts: list[Part] = field(default_factory=list)
    relations: list[str] = field(default_factory=list)  # function words between parts ("on", "with")
    unknown: list[Unknown] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # words searched as less than they say ("woman")

    @property
    def classes(self) -> dict[int, float]:
        """Every class any part reaches, with its strongest weight."""
        out: dict[int, float] = {}
        for part in self.parts:
            for c, w in part.classes.items():
                out[c] = max(out.get(c, 0.0), w)
        return out

    def explain(self) -> list[str]:
        lines = []
        for part in self.parts:
            colour = f" (colour {part.colour})" if part.colour else ""
            top = ", ".join(f"{n} {w:.2f}" for n, w in part.top())
            lines.append(f"{part.text}{colour}: {part.how}" + (f" [{top}]" if top else ""))
        lines += [f"unknown: {u.message()}" for u in self.unknown] + [f"note: {n}" for n in self.notes]
        return lines


# words of logic a query may use, which the search does not follow: said, not silently dropped
_NEGATIONS = ("not", "no", "without", "except")
_NOT_UNDERSTOOD = {
    **{w: f'"{w}" excludes nothing: what follows it is searched for too' for w in _NEGATIONS},
    "or": '"or" is read as "and": images that show both rank first',
}


_MINUS = re.compile(r"(?:^|\s)([-\u2212]+ ?\w+)")  # "dog -cat", "dog - cat", "dog --cat": as typed

_AT_LEAST = frozenset({"several", "many"})  # count words that ask for at least so many, not that many


def understand(text: str, wordnet: WordNet | None = None) -> Understanding:
    """The parts of a query, each with the classes it reaches; words that reach nothing are `unknown`."""
    wn = wordnet or shared_wordnet()
    words = _query_words(text, wn)
    out = Understanding()
    colour: str | None = None  # a colour (or "black and white") waiting for its noun, as typed: colour_text
    colour_text = ""
    size: str | None = None
    count, counted = 1, False  # how many the next part is asked for; whether as a number ("three")
    since = 0  # where the words after the last part begin
    clouded: list[Part] = []  # clouded skies said before a part ("cloudy beach"), added after it
    k = 0
    while k < len(words):
        word = words[k]
        phrase = next((r for r in RELATION_PHRASES if tuple(words[k : k + len(r)]) == r), None)
        if phrase is not None:
            out.relations.append(" ".join(phrase))
            k += len(phrase)
            continue
        if word in RELATIONS:
            out.relations.append(word)
            k += 1
            continue
        if word in STOPWORDS:
            k += 1
            continue
        if word in POSITIONS and out.parts and _said_as_place(words, k):  # "a dog on the left"
            span = _position_span(words, k)
            place = tuple(dict.fromkeys(POSITIONS[w] for w in words[k : k + span] if w in POSITIONS))
            out.parts[-1].where = place
            out.parts[-1].how += f"; {' '.join(place)} of the image"
            if out.relations and words[k - 1] in ("the", *out.relations[-1:]):
                out.relations.pop()  # "on the left" says where, not a relation between two things
            k += span
            continue
        if word in NUMBERS:  # "two dogs": how many of the next part
            count, counted = NUMBERS[word], word not in _AT_LEAST
            k += 1
            continue
        if word in SIZES and not _names_a_class(words, k, wn):
            # "a small dog": its size, as the describer says it ("giant panda", "big cat": classes it sees)
            size = SIZES[word]
            k += 1
            continue
        if word in CLOUDY:  # "a cloudy sky": a sky the describer says white or gray ("grey cloudy sky": grey)
            if colour is None:
                colour, colour_text = CLOUDED, word
            k += 1
            continue
        named = _colour_at(words, k, wn)
        if colour == CLOUDED and named is not None:  # "cloudy red car": a clouded sky, and a red car
            clouded.append(_clouded(colour_text))
            colour = None
        span, look, took_colour = _look_words(words, k, named, wn, colour, colour_text)
        if span:  # how the whole image looks, or a shade before a colour
            out.parts += [look] if look is not None else []
            colour = None if took_colour else colour
            k += span
            continue
        if named is not None:  # "black and white dog": a pair, as the describer says one ("black and white")
            paired = colour is not None and k > 0 and words[k - 1] == "and"
            colour, colour_text = (
                (f"{colour} and {named}", f"{colour_text} and {word}") if paired else (named, word)
            )
            k += 1
            continue
        span, part = _noun_part(words, k, wn)
        if part is None:
            out.unknown.append(unknown(" ".join(words[k : k + span]), wn))
        else:
            if part.classes and max(part.classes.values()) < _LOOSE:
                near = [name for name, _ in part.top(3)]
                out.unknown.append(
                    Unknown(part.text, "is only loosely related to what this model sees", near)
                )
                part.note = ""  # said once: the loose relation says what stands in for it
            if colour == CLOUDED and part.terms != ("sky",):  # "cloudy beach": a beach, and a clouded sky
                clouded.append(_clouded(colour_text))
            elif colour is not None:
                part.colour, part.text = colour, f"{colour_text} {part.text}"
            elif part.kind == "found" and part.text in CLOUD_NOUNS:
                part.colour = CLOUDED
            colour = None
            if (count > 1 or counted) and part.kind in ("thing", "people"):
                part.count, part.exact = (count, True) if counted else (max(part.count, count), False)
                part.how = _people_how(part) if part.kind == "people" else part.how + _many(count, counted)
            count, counted = 1, False
            if size is not None and part.kind in ("thing", "people"):
                part.size, part.how = size, f"{part.how}; {size}"
            size = None
            if part.note:  # searched as less than it says: "woman", any person; "river", any water
                out.notes.append(part.note)
            if part.kind == "people" and out.parts and out.parts[-1].kind == "people":
                part = _joined(out.parts.pop(), part)  # one group of people, not two that one person meets
            elif part.kind == "thing" and out.parts and _holds(out.parts[-1], words[since:k], wn):
                part = _held(out.parts.pop(), part, wn)  # "a cup of coffee": the coffee, or its cup
            out.parts.append(part)
            out.parts += clouded  # after what it is said of: the first part is what the query is of
            clouded = []
            since = k + span
        k += span
    out.notes += [_NOT_UNDERSTOOD[w] for w in dict.fromkeys(words) if w in _NOT_UNDERSTOOD]
    said = [w for w in words if w not in STOPWORDS]
    if out.parts and said and said[-1] in ACTIONS:  # "bird flying": nothing after it to join the bird to
        out.notes.append(
            f'"{said[-1]}" tells no image apart: multicap sees what a photo shows, not what it does'
        )
    minus = {typed: typed.lstrip("-\u2212 ") for typed in _MINUS.findall(text)}  # as typed → the word
    out.notes += [
        f'"{typed}": a minus excludes nothing: "{word}" is searched for too'
        for typed, word in minus.items()
        if _unaccented(word.lower()) not in STOPWORDS  # "cat -the": "the" is searched for by no one
    ]  # as a search engine's "dog -cat"; the words had been read as asked for, without a word
    out.parts += clouded
    if colour == CLOUDED:  # "overcast" alone: a clouded sky
        out.parts.append(_clouded(colour_text))
    elif colour is not None:  # a colour alone ("red"; "grey" is gray): images whose objects have it
        terms = tuple(colour.split(" and "))  # the describer's words, which a full-text search finds
        out.parts.append(Part(colour, "colour", colour=colour, how=f"objects coloured {colour}", terms=terms))
    return out


def _look_words(
    words: list[str], k: int, named: str | None, wn: WordNet, colour: str | None, colour_text: str
) -> tuple[int, Part | None, bool]:
    """The words from `k` that say how the whole image looks ("black and white" photo, "dark", "a blue
    picture") or shade a colour ("dark blue": the describer names blue): how many (0: none), the part they
    make (None for a shade), and whether they took the colour waiting for its noun (`colour`, typed as
    `colour_text`: "a red and white photo"). `named` is the describer's colour the word at `k` names."""
    if tuple(words[k : k + len(MONOCHROME)]) == MONOCHROME and _of_the_image(words, k + len(MONOCHROME)):
        return len(MONOCHROME), _look_part(" ".join(MONOCHROME), LOOKS["monochrome"]), False  # not "... dog"
    word = words[k]
    if word in SHADES and k + 1 < len(words) and _colour(words[k + 1], wn) is not None:
        return 1, None, False
    if word in LOOKS:
        return 1, _look_part(word, LOOKS[word]), False
    if named is None or k + 1 >= len(words) or not _of_the_image(words, k + 1):
        return 0, None, False
    paired = colour is not None and words[k - 1] == "and"
    if paired:
        named, word = f"{colour} and {named}", f"{colour_text} and {word}"
    return 2, _look_part(f"{word} {words[k + 1]}", ("palette", str(named))), paired


def _colour_at(words: list[str], k: int, wn: WordNet) -> str | None:
    """The describer's colour the word at `k` names where it is read as a colour, not as the start of a
    kind ("golden retriever", "white wine") or as a thing ("an orange and a banana"); a kind nothing
    reaches ("green tea") is read as a colour and a noun after all."""
    named = _colour(words[k], wn, before_noun=_before_noun(words, k))
    if named is None or not (_names_a_kind(words, k, wn) or _a_thing_alone(words, k, wn)):
        return named
    return named if _noun_part(words, k, wn)[1] is None else None


def _names_a_class(words: list[str], k: int, wn: WordNet) -> bool:
    """Whether the words from `k` (two or three) are a WordNet noun that is, or is above, a class the model
    sees: "giant panda" and "big cat" are; "little owl" and "giant tortoise" are not (a small owl, a large
    tortoise: the size is what the search can ask for)."""
    below = classes_below()
    return any(
        s.offset in below
        for span in (3, 2)
        if k + span <= len(words)
        for s in wn.synsets(" ".join(words[k : k + span]))
    )


def _names_a_kind(words: list[str], k: int, wn: WordNet) -> bool:
    """Whether the words from `k` (two or three) are a WordNet noun that is, or is above, a class the
    model sees, or a kind of the thing its last word names: "golden retriever", "red wine", "black swan",
    "white wine" and "cherry tree" are kinds, not a colour and a noun ("white horse", a whitecap, is not a
    kind of horse: a white horse)."""
    if _names_a_class(words, k, wn):
        return True
    for span in (3, 2):
        if k + span > len(words):
            continue
        heads = {h.offset for h in wn.synsets(words[k + span - 1])}
        if any(
            heads & wn.ancestors(s.offset) - {s.offset} for s in wn.synsets(" ".join(words[k : k + span]))
        ):
            return True
    return False


def _a_thing_alone(words: list[str], k: int, wn: WordNet) -> bool:
    """Whether a colour word at `k` that first names a thing ("orange": the fruit) stands for the thing:
    after "a" with nothing after it ("an orange"), before a relation ("orange on a table") or "and" and
    no second colour ("an orange and a banana"; but "orange and white cat" pairs two colours)."""
    nouns = wn.synsets(words[k])
    if not nouns or wn.ancestors(nouns[0].offset) & {_COLOUR_NOUN, _PERSON}:
        return False
    after = [w for w in words[k + 1 :] if w not in ("a", "an", "the")]
    if not after:
        return k > 0 and words[k - 1] in ("a", "an")
    if after[0] == "and":
        return len(after) > 1 and _colour(after[1], wn) is None
    return after[0] in RELATIONS


def _before_noun(words: list[str], k: int) -> bool:
    """Whether the word at `k` stands before another word it may qualify ("cherry car"), not alone or
    before a relation ("cherry", "cherry on a cake")."""
    after = words[k + 1] if k + 1 < len(words) else ""
    return bool(after) and after not in RELATIONS and after not in STOPWORDS


def _of_the_image(words: list[str], k: int) -> bool:
    """Whether the words from `k` leave what came before to the whole image: nothing, or a word for it
    ("photo", "pictures")."""
    return k >= len(words) or words[k] in IMAGE_WORDS


def _look_part(text: str, look: tuple[str, str]) -> Part:
    """How the whole image looks: its brightness, colourfulness, main colour, or black and white."""
    attribute, value = look
    how = {
        "brightness": f"images the describer calls {value}",
        "colourfulness": f"images the describer calls {value}",
        "palette": f"images mostly {value}",
        "monochrome": "black and white images: grayscale, else muted in black, gray and white only",
    }[attribute]
    # The words the describer writes for it, and for its middle value where that is another word ("a
    # moderately bright image" is the next best for "dark"): the full-text search finds the candidates.
    terms = {
        "dark": ("dark", "moderately bright"),
        "muted": ("muted", "moderately colourful", "black and white"),  # a grayscale photo most of all
    }.get(value, (value,))
    gray = ("black and white", "muted")  # a grayscale photo, then muted grays
    return Part(text, "look", look=look, terms=gray if attribute == "monochrome" else terms, how=how)


def _said_as_place(words: list[str], k: int) -> bool:
    """Whether the position word at `k` says where ("on the left", "at the top", "in the upper left
    corner"), not part of a name ("top hat", "left hand")."""
    before = words[k - 1] if k else ""
    after = words[k + _position_span(words, k)] if k + _position_span(words, k) < len(words) else ""
    return before in ("the", *RELATIONS) or after in ("", *RELATIONS) or words[k + 1 : k + 2] == ["of"]


def _position_span(words: list[str], k: int) -> int:
    """Words from `k` that say one position: "top left corner" is three."""
    end = k
    while end < len(words) and words[end] in POSITIONS:
        end += 1
    return end - k + (end < len(words) and words[end] in POSITION_TAIL)


def _colour(word: str, wn: WordNet, *, before_noun: bool = True) -> str | None:
    """The describer's colour a word names ("crimson" → red), or None. A word WordNet reads as a colour
    only through an adjective names it where that adjective is the colour's own first sense ("crimson"
    is red; "chicken", cowardly, is not yellow), and a word that is first a thing other than a colour
    ("cherry": a tree, its fruit) names it only before the noun it colours (`before_noun`: "a cherry
    car"; "cherry" alone is the fruit)."""
    if word in COLOURS:
        return word
    if word in _COLOUR_ALIASES:
        return _COLOUR_ALIASES[word]
    for synset in wn.synsets(word, "a")[:1]:
        for lemma in synset.lemmas:
            if lemma not in COLOURS and lemma not in _COLOUR_ALIASES:
                continue
            if synset.offset not in [s.offset for s in wn.synsets(lemma, "a")[:1]]:
                return None
            nouns = wn.synsets(word)
            if nouns and not before_noun and _COLOUR_NOUN not in wn.ancestors(nouns[0].offset):
                return None
            return _COLOUR_ALIASES.get(lemma, lemma)
    return None


def _noun_part(words: list[str], k: int, wn: WordNet) -> tuple[int, Part | None]:
    """The longest WordNet noun (up to three words) starting at `k`, as a part; (1, None) if none reaches a
    class the model sees."""
    for span in (3, 2, 1):
        if k + span > len(words) or any(w in RELATIONS or w in STOPWORDS for w in words[k : k + span]):
            continue
        phrase = " ".join(words[k : k + span])
        if phrase in _SEX and _before_noun(words, k):  # "female cow": the sex of a thing, which no
            return span, None  # describer tells (said so, as a word describing nothing it sees)
        if phrase in PEOPLE_WORDS:  # before WordNet: it has no "selfie", and "portrait" is a painting
            return span, _people_part(phrase)
        # Common nouns before proper names: a typed "crane" is the bird or the machine, not Hart Crane
        synsets = sorted(wn.synsets(phrase), key=lambda s: s.name[:1].isupper())  # (stable: WordNet's order)
        if not synsets and span == 1:
            synsets = [s for a in wn.synsets(phrase, "a")[:1] for s in pertainyms(a, wn)]  # "wooden" → wood
        if not synsets:
            continue
        if phrase in FOUND:
            return span, _found_part(phrase, FOUND[phrase])
        if names_a_time(synsets[0], wn):  # "fall", "spring", "evening": when, not what (`reach.unknown`)
            return span, None
        found = next((FOUND_SENSES[s.offset] for s in synsets[:2] if s.offset in FOUND_SENSES), None)
        if found is not None:  # "wood": its second sense is a forest, which the describer finds as trees
            return span, _found_part(phrase, found)
        if _is_person(phrase, synsets, wn):  # a plural person noun asks for two or more ("friends")
            return span, _people_part(
                phrase, plural=not wn.is_lemma(phrase) and len(wn.base_forms(phrase)) > 1
            )
        part = _thing(phrase, synsets, wn)
        if span == 1 and (part is None or max(part.classes.values()) < SIBLING_WEIGHT):
            part = _as_singular(phrase, synsets, part, wn)
        loose = part is None or max(part.classes.values()) < SIBLING_WEIGHT  # "oak": an acorn, 0.42
        after_noun = k > 0 and words[k - 1] not in RELATIONS and words[k - 1] not in STOPWORDS
        if loose and _of_a_tree(synsets[0], wn) and not _before_noun(words, k + span - 1) and not after_noun:
            part = _found_part(phrase, ("trees",))  # a kind or a part of a tree: not any foliage
            part.note = f'"{phrase}" is searched as any trees: multicap does not tell one tree from another'
        return span, part
    return 1, None


def _of_a_tree(synset: Synset, wn: WordNet) -> bool:
    """A kind of tree ("oak", "pine") or a part of one ("trunk"): what the describer finds as trees."""
    wholes = [synset, *wn.related(synset, "#p")]
    return any(s.offset == _TREE or _TREE in wn.ancestors(s.offset) for s in wholes)


def _as_singular(word: str, synsets: list[Synset], part: Part | None, wn: WordNet) -> Part | None:
    """A plural with a lemma of its own that reaches little ("shoes": a situation; "put yourself in my
    shoes") is read as its singular where that reaches more ("shoe": running shoes, sandals, clogs); a
    plural whose own lemma is what it means ("glasses": spectacles) keeps it."""
    for base in wn.base_forms(word)[1:]:
        other = wn.synsets(base)
        if not other or other == synsets:
            continue
        alt = _thing(base, other, wn)
        if alt is not None and (part is None or max(alt.classes.values()) > max(part.classes.values())):
            return replace(alt, text=word)
        break
    return part


def _is_person(phrase: str, synsets: list[Synset], wn: WordNet) -> bool:
    """Whether a noun asks for people: its first sense is a person, and its second is not a thing the model
    sees or a kind of one ("whale" is first a very large person, "hot dog" one who performs stunts,
    "bunny" a nightclub waitress)."""
    if phrase in PEOPLE_WORDS or phrase in PERSON_TERMS:
        return True
    if _PERSON not in wn.ancestors(synsets[0].offset):
        return False
    below = classes_below()
    for sense in synsets[1:2]:  # a thing, or a kind of a specific one ("bunny": a young rabbit); not a
        #                         third sense ("sailor": a boater, a hat; "pirate": a pirate ship)
        kind_of = (0 < len(below.get(s.offset, ())) <= _KIND_OF for s in wn.related(sense, "@"))
        if _PERSON not in wn.ancestors(sense.offset) and (sense.offset in below or any(kind_of)):
            return False
    return True


def _holds(before: Part, between: list[str], wn: WordNet) -> bool:
    """Whether the part `before` is a container that the words `between` it and the next part say holds
    that part ("a cup of coffee", "two bowls of fruit"): WordNet gives its noun a sense under containerful,
    the quantity a container holds."""
    if before.kind != "thing" or "of" not in between or any(w in RELATIONS for w in between):
        return False
    forms = wn.base_forms(before.text.split()[-1])  # "bowls" is first the game: its singular too
    return any(_CONTAINERFUL in wn.ancestors(s.offset) for form in forms for s in wn.synsets(form))


def _held(container: Part, content: Part, wn: WordNet) -> Part:
    """One part for "a cup of coffee": what the container holds, or the container itself at `_HOLDER` of
    its weight (a cup seen, its coffee not). As two parts, the espresso (a drink the classifier names, its
    cup not) had ranked below a stack of empty cups, neither meeting the whole query. Water held ("a
    bottle of water") is no lake or shore: the container alone."""
    text, holder = f"{container.text} of {content.text}", container.text.split()[-1]
    noun = content.text.split()[-1]
    if place_of(noun, wn.synsets(noun), wn) == "water":  # read as a place: shores and boats
        return replace(container, text=text, how=f"{container.how}; the water in the {holder} is not seen")
    classes = dict(content.classes)
    for c, w in container.classes.items():
        classes[c] = max(classes.get(c, 0.0), _HOLDER * w)
    return replace(
        content,
        text=text,
        classes=classes,
        colour=content.colour or container.colour,
        count=max(content.count, container.count),
        exact=content.exact or container.exact,
        how=f"{content.how}; or the {holder} holding it (weight {_HOLDER})",
    )


def _found_part(phrase: str, labels: tuple[str, ...]) -> Part:
    return Part(phrase, "found", terms=labels, how=f"found from the pixels: {', '.join(labels)}")


def _clouded(word: str) -> Part:
    """A sky the describer says white or gray, for a word for clouds ("overcast", "stormy")."""
    part = _found_part(word, ("sky",))
    part.colour = CLOUDED
    return part


def _who(phrase: str) -> bool:
    """Whether a people part's words say who ("woman", "soldiers"), more than the describer can tell."""
    return not any(word in _ANYONE for word in phrase.split())


def _people_part(phrase: str, *, plural: bool = False) -> Part:
    """A part asking for people: as many as `PEOPLE_COUNT` says of the word, else two for a `plural` noun
    ("selfie with friends" had ranked portraits of one person as fully met), else one."""
    classes = {c: 0.5 for c in classes_below().get(_PERSON, ())}  # the few ImageNet people (scuba diver)
    part = Part(phrase, "people", classes, terms=PERSON_TERMS)
    part.count, part.face = PEOPLE_COUNT.get(phrase, 2 if plural else 1), phrase in FACE_WORDS
    part.note = f'"{phrase}" {_ANY_PERSON}' if _who(phrase) else ""
    part.how = _people_how(part)
    return part


def _people_how(part: Part) -> str:
    found = "people the describer finds" + _many(part.count, part.exact)
    found += ", a face seen close" if part.face else ""
    return found + ("; and ImageNet's few classes of people" if part.classes else "")


def _many(count: int, exact: bool = False) -> str:
    return f", {count} of them" if exact else f", {count} or more" if count > 1 else ""


def _joined(first: Part, second: Part) -> Part:
    """Two people parts of one query as one: "group of people" asks for three, "a man with a woman" for
    two (each asked for one), "face of a child" for a face."""
    alone = first.count == 1 and second.count == 1 and not (first.face or second.face)
    joined = Part(f"{first.text} {second.text}", "people", first.classes, terms=PERSON_TERMS)
    joined.count = 2 if alone else max(first.count, second.count)
    joined.face = first.face or second.face
    joined.how = _people_how(joined)
    return joined


def _thing(phrase: str, synsets: list[Synset], wn: WordNet) -> Part | None:
    """A noun as a part that asks for the classes it reaches (`reach.reach`), or None if it reaches none."""
    reached = reach(phrase, synsets, wn)
    return (
        None
        if reached is None
        else Part(phrase, "thing", reached.classes, how=reached.how, note=reached.note)
    )


def _query_words(text: str, wn: WordNet) -> list[str]:
    """The words of a query, lower case and unaccented; a possessive without its "'s" ("dog's": dog; it
    had been an unknown word, its "s" searched) and words joined by hyphens read as words where one of them
    is a function word ("dog-on-grass": dog on grass; "black-and-white": a colour pair) or where WordNet
    knows them joined ("sea-side": seaside; "polar-bear": polar bear). A word or phrase WordNet knows stays
    whole ("t-shirt", "up-to-date", "lady's slipper", "on-off switch")."""
    words = [_unaccented(w.lower()) for w in WORD.findall(text.replace("’", "'"))]
    out: list[str] = []
    for k, word in enumerate(words):
        if "'" not in word and "-" not in word:  # most words: nothing to look up
            out.append(word)
            continue
        known = _knows(word, wn)
        known = known or (k + 1 < len(words) and bool(wn.synsets(f"{word} {words[k + 1]}")))
        parts = [w for w in word.split("-") if w]
        colours = len(parts) > 1 and all(w == "and" or _colour(w, wn) for w in parts)  # "black-and-white"
        if known and not colours:
            out.append(word)
        elif word.endswith("'s"):
            out.append(word[:-2])
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


def _unaccented(word: str) -> str:
    """ "café" → "cafe": WordNet's words are unaccented ASCII (a word with no such form is kept)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    return plain if plain.isascii() else word
