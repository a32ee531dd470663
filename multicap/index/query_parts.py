"""The parts a query is read into (`multicap.index.query`): a noun phrase as the classes it reaches,
people, what the pixels find (the sky, grass, trees), how the whole image looks, a container and what it
holds. Each part says what it was understood as (`how`) and what it cannot ask for (`note`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from multicap.index.materials import a_material, made, natural
from multicap.index.query_words import (
    ACTIONS,
    CLOUDED,
    COLOURS,
    FACE_WORDS,
    FOUND,
    FOUND_SENSES,
    IMAGE_WORDS,
    PEOPLE_COUNT,
    PEOPLE_WORDS,
    PLACE_WORDS,
    QUANTIFIERS,
    RELATIONS,
    SEEN_AS,
    SIZES,
    STOPWORDS,
)
from multicap.index.reach import (
    SIBLING_WEIGHT,
    classes_below,
    names_a_thing_class,
    names_a_time,
    pertainyms,
    place_of,
    reach,
)
from multicap.text.imagenet import imagenet_concepts
from multicap.text.wordnet import Synset, WordNet

__all__ = [
    "PERSON_SYNSET",
    "PERSON_TERMS",
    "Part",
    "before_noun",
    "clouded",
    "counted",
    "describing",
    "held",
    "holds",
    "joined",
    "look_part",
    "names_a_thing",
    "no_people",
    "noun_part",
]

# What the describer calls a person, and the WordNet synset every person word falls under.
PERSON_TERMS = ("person", "people", "face")
PERSON_SYNSET = 7846  # person.n.01
# plant.n.02 (flora) and bryophyte.n.01 (mosses, which WordNet keeps apart): a kind no class is reaches
# the foliage the describer finds
_PLANTS = frozenset({17222, 11537327})
_TREE = 13104059  # tree.n.01: a kind of tree no class is reaches the trees the describer finds
_SEX = frozenset({"female", "male", "females", "males"})  # people alone; before a noun, its sex
_KIND_OF = 20  # a sense under a hypernym of at most this many classes is a kind of a specific thing
_PHYSICAL = 1930  # physical_entity.n.01: a thing's name with "of" inside it is read whole under it
_OF_WORDS = 5  # the most words such a name has that a query is read for ("leaning tower of pisa")
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
    colour_absent: bool = False  # the words ask that it not have that colour ("a car that is not red")
    count: int = 1  # how many of it the words ask for, at least ("two dogs", "people": two, "a crowd": five)
    exact: bool = False  # the count is a number typed ("three people"), not "at least" ("people")
    face: bool = False  # for a "people" part: whether the words ask for a face seen close ("portrait")
    where: tuple[str, ...] = ()  # where in the image the words put it ("on the left": ("left",))
    size: str | None = None  # the describer's size the words give it ("a small dog": "small")
    look: tuple[str, str] | None = None  # for a "look" part: (attribute, value) ("brightness", "dark")
    terms: tuple[str, ...] = ()  # words for the full-text search beside the typed ones
    how: str = ""  # what it was understood as, for --explain
    note: str = ""  # what the words ask for that the search cannot tell ("woman": any person)
    absent: bool = False  # the words ask that it not be there ("cats but not dogs"): met where it is not

    def top(self, n: int = 5) -> list[tuple[str, float]]:
        names = [c.name for c in imagenet_concepts()]
        return [(names[c], w) for c, w in sorted(self.classes.items(), key=lambda kv: -kv[1])[:n]]


def before_noun(words: list[str], k: int) -> bool:
    """Whether the word at `k` stands before another word it may qualify ("cherry car"), not alone or
    before a relation ("cherry", "cherry on a cake")."""
    after = words[k + 1] if k + 1 < len(words) else ""
    return bool(after) and after not in RELATIONS and after not in STOPWORDS


def noun_part(words: list[str], k: int, wn: WordNet, *, heads: bool = True) -> tuple[int, Part | None]:
    """The longest WordNet noun (up to three words) starting at `k`, as a part; (1, None) if none reaches a
    class the model sees. With `heads`, a name of several words that reaches nothing is its last word's
    part (`_as_its_head`)."""
    named = _of_span(words, k, wn)  # a name with "of" inside, read whole
    for span in (named, 3, 2, 1):
        if span == 0 or k + span > len(words):
            continue
        inside = words[k + 1 : k + span] if span > 1 and words[k] in ACTIONS else words[k : k + span]
        if span != named and any(w in RELATIONS or (w in STOPWORDS and w not in QUANTIFIERS) for w in inside):
            continue  # (a doing word may begin a name: "swimming pool", "running shoe"; a quantifier too:
            #           "all-terrain bike")
        phrase = " ".join(words[k : k + span])
        if phrase in _SEX and before_noun(words, k):  # "female cow": the sex of a thing, which no
            return span, None  # describer tells (said so, as a word describing nothing it sees)
        if phrase in PEOPLE_WORDS:  # before WordNet: it has no "selfie", and "portrait" is a painting
            return span, _people_part(phrase)
        # Common nouns before proper names: a typed "crane" is the bird or the machine, not Hart Crane
        synsets = sorted(wn.synsets(phrase), key=lambda s: s.name[:1].isupper())  # (stable: WordNet's order)
        if not synsets and span == 1:
            synsets = [s for a in wn.synsets(phrase, "a")[:1] for s in pertainyms(a, wn)]  # "wooden" → wood
        if not synsets and phrase not in FOUND:  # ("golden hour": no WordNet noun, a low sun's light)
            if phrase in SEEN_AS or phrase in PLACE_WORDS:  # no WordNet nouns, seen all the same
                return span, _thing(phrase, [], wn)  # ("traffic sign": a street sign; "indoors", an adverb)
            continue
        if phrase in FOUND:
            sky = _found_part(phrase, FOUND[phrase])
            if phrase in ("sun", "sunshine", "sunlight"):
                sky.note = f'"{phrase}" is searched as a sunset, else the sky: multicap finds no sun in it'
            elif FOUND[phrase] == ("sunset",) and phrase not in ("sunset", "sunsets"):
                sky.note = f'"{phrase}" is searched as a low sun\'s warm light: multicap cannot tell the hour'
            return span, sky
        if names_a_time(synsets[0], wn) and not _seen_anyway(phrase, wn):  # "fall", "spring", "morning":
            return span, None  # when, not what (`reach.unknown`)
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
        before = words[k - 1] if k > 0 else ""  # a noun before it names the thing ("palm oil"); a word
        after_noun = bool(before) and before not in RELATIONS and before not in STOPWORDS  # that describes
        after_noun = after_noun and not wn.synsets(before, "a")  # ("red tulips", "potted cactus") does not
        alone = not before_noun(words, k + span - 1) and not after_noun
        if loose and alone and _of_a_tree(synsets[0], wn):
            part = _found_part(phrase, ("trees",))  # a kind or a part of a tree: not any foliage
            part.note = f'"{phrase}" is searched as any trees: multicap does not tell one tree from another'
        elif part is None and alone and _a_plant(synsets, wn):  # "tulips", "fern", "ivy": had reached nothing
            part = _found_part(phrase, ("foliage",))
            part.note = f'"{phrase}" is searched as any plants: multicap does not tell one plant from another'
        if part is None and span > 1 and heads:  # a name that reaches nothing is what its last word, its
            part = _as_its_head(phrase, words[k + span - 1], wn)  # head, is ("christmas tree": a tree)
        return span, part
    return 1, None


_HEAD_WEIGHT = 0.8  # a head searched for a name: its classes, its kinds or a place's (not what is like it)
# The senses of what the describer finds from the pixels, which a name must be a kind of to be searched as
# it: tree.n.01, plant.n.02 (flora), cloud.n.02, and `FOUND_SENSES` (forest, grass, field, leaf, sky).
_FOUND_HEADS = frozenset({13104059, 17222, 9247410, *FOUND_SENSES})


def _as_its_head(phrase: str, head: str, wn: WordNet) -> Part | None:
    """A name of several words that reaches nothing, searched as its last word ("christmas tree", "storm
    clouds", "wheat field": the tree, the clouds, the field had been lost with the name), saying so; None
    where the head reaches only what is like it, or nothing ("wind turbine")."""
    part = noun_part([head], 0, wn)[1]
    if part is None or (part.kind == "thing" and max(part.classes.values(), default=0.0) < _HEAD_WEIGHT):
        return None  # ("shop window": a window is no building; "flower bud": a bud is only like a seed)
    above = wn.ancestors(wn.synsets(phrase)[0].offset)  # the name is a kind of what the head is read as:
    shared = above & {s.offset for s in wn.synsets(head)}  # of one of its senses ("storm cloud": a cloud)
    if not shared or (part.kind == "found" and not above & _FOUND_HEADS):  # not "power plant" (a factory)
        return None  # as green growth
    below, place = classes_below(), part.how.startswith("what is found")
    if (
        part.kind == "thing"
        and not place
        and not any(set(part.classes) & below.get(a, set()) for a in shared)
    ):
        return None  # ("india rubber" is no eraser)
    part.note = f'"{phrase}" is searched as {head}: the words before it name no kind it sees'
    return part


def _seen_anyway(phrase: str, wn: WordNet) -> bool:
    """Whether a word that WordNet first gives as a time names what the model sees all the same: a class
    ("stage", first a period: "people on a stage" had been said to name a time) or a place or an event
    whose things it sees ("birthday")."""
    return phrase in PLACE_WORDS or names_a_thing_class(phrase, wn, PERSON_SYNSET)


def names_a_thing(words: list[str], k: int, wn: WordNet) -> bool:
    """Whether the words from `k` (two or three), the first a doing word, name a thing the model sees in
    the sense WordNet gives first: a class or a kind above some ("running shoes", "swimming trunks":
    ImageNet classes that had been unreachable), or a named thing ("leaning tower"). Not "looking at" (an
    act), "a sitting duck" (a person), "a walking stick" (first a cane; ImageNet's class of that name is
    the insect), "a flying bird"."""
    span, part = noun_part(words, k, wn)
    if span < 2 or part is None or part.kind != "thing":
        return False
    first = wn.synsets(" ".join(words[k : k + span]))[0]
    named = any(symbol == "@i" for symbol, _, _ in first.pointers)  # "leaning tower": a named thing
    return _PHYSICAL in wn.ancestors(first.offset) and (named or bool(classes_below().get(first.offset)))


def _of_span(words: list[str], k: int, wn: WordNet) -> int:
    """The length of a thing's name of three to five words with "of" inside that WordNet knows, starting at
    `k` ("bird of prey": raptors, not a bird and a person as prey; "Statue of Liberty", "Great Wall of
    China"); 0 if none. Only a physical thing's: "a piece of cake" and "a cup of tea" are a slice and a
    cup, not WordNet's idioms (an easy task, something one likes)."""
    for span in range(min(_OF_WORDS, len(words) - k), 2, -1):
        inside = words[k + 1 : k + span - 1]
        if "of" not in inside or words[k + span - 1] in STOPWORDS or words[k] in STOPWORDS:
            continue
        if any(w in RELATIONS or (w in STOPWORDS and w not in ("of", "the")) for w in inside):
            continue
        synsets = wn.synsets(" ".join(words[k : k + span]))
        if synsets and _PHYSICAL in wn.ancestors(synsets[0].offset):
            return span
    return 0


def _a_plant(synsets: list[Synset], wn: WordNet) -> bool:
    """Whether a word names a plant: its first sense is one, and none of its next two is another physical
    thing or a time ("snowball": also a ball of snow, "periwinkle" a snail, "may" the month; "lavender"
    is also a colour, which is no thing)."""
    if _PLANTS.isdisjoint(wn.ancestors(synsets[0].offset)):
        return False
    for other in synsets[1:3]:
        ancestors = wn.ancestors(other.offset)
        if names_a_time(other, wn) or (_PHYSICAL in ancestors and _PLANTS.isdisjoint(ancestors)):
            return False
    return True


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
    """Whether a noun asks for people: its first sense is a person, it is no class's name ("boxer", "hog"),
    and its second sense is not a thing the model sees or a kind of one ("whale" is first a very large
    person, "hot dog" one who performs stunts, "bunny" a nightclub waitress)."""
    if phrase in PEOPLE_WORDS or phrase in PERSON_TERMS:
        return True
    if PERSON_SYNSET not in wn.ancestors(synsets[0].offset) or names_a_thing_class(phrase, wn, PERSON_SYNSET):
        return False
    below = classes_below()
    for sense in synsets[1:2]:  # a thing, or a kind of a specific one ("bunny": a young rabbit); not a
        #                         third sense ("sailor": a boater, a hat)
        kind_of = (0 < len(below.get(s.offset, ())) <= _KIND_OF for s in wn.related(sense, "@"))
        if PERSON_SYNSET not in wn.ancestors(sense.offset) and (sense.offset in below or any(kind_of)):
            return False
    return True


def _thing(phrase: str, synsets: list[Synset], wn: WordNet) -> Part | None:
    """A noun as a part that asks for the classes it reaches (`reach.reach`), or None if it reaches none."""
    reached = reach(phrase, synsets, wn)
    return (
        None
        if reached is None
        else Part(phrase, "thing", reached.classes, how=reached.how, note=reached.note)
    )


def holds(before: Part, between: list[str], wn: WordNet) -> bool:
    """Whether the part `before` is a container that the words `between` it and the next part say holds
    that part ("a cup of coffee", "two bowls of fruit"): WordNet gives its noun a sense under containerful,
    the quantity a container holds."""
    if before.kind != "thing" or "of" not in between or any(w in RELATIONS for w in between):
        return False
    forms = wn.base_forms(before.text.split()[-1])  # "bowls" is first the game: its singular too
    return any(_CONTAINERFUL in wn.ancestors(s.offset) for form in forms for s in wn.synsets(form))


def held(container: Part, content: Part, wn: WordNet) -> Part:
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


def clouded(word: str, colour: str = CLOUDED) -> Part:
    """A sky the describer says white or gray, for a word for clouds ("overcast", "stormy"), or of the
    `colour` a weather word gives it (`query_words.WEATHER`: "sunny", a clear sky)."""
    part = _found_part(word, ("sky",))
    part.colour = colour
    return part


def look_part(text: str, look: tuple[str, str]) -> Part:
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
    part = Part(text, "look", look=look, terms=gray if attribute == "monochrome" else terms, how=how)
    if text in _HOURS:  # a dark studio portrait is as dark as a night
        part.note = (
            f'"{text}" is searched as a dark image: multicap tells how bright an image is, not the hour'
        )
    return part


_HOURS = frozenset({"night", "nighttime"})  # words for how an image looks that name an hour


def counted(part: Part, count: int, exact: bool) -> None:
    """Ask for `count` of a thing or people ("two dogs"; "people", two or more): that many exactly where
    the number was typed (`exact`: "three people"), else at least as many as the part already asks."""
    if part.kind not in ("thing", "people"):
        return
    part.count, part.exact = (count, True) if exact else (max(part.count, count), False)
    part.how = _people_how(part) if part.kind == "people" else part.how + _many(count, exact)


def _who(phrase: str) -> bool:
    """Whether a people part's words say who ("woman", "soldiers"), more than the describer can tell."""
    return not any(word in _ANYONE for word in phrase.split())


def _people_part(phrase: str, *, plural: bool = False) -> Part:
    """A part asking for people: as many as `PEOPLE_COUNT` says of the word, else two for a `plural` noun
    ("selfie with friends" had ranked portraits of one person as fully met), else one."""
    classes = {c: 0.5 for c in classes_below().get(PERSON_SYNSET, ())}  # ImageNet's few (scuba diver)
    part = Part(phrase, "people", classes, terms=PERSON_TERMS)
    part.count, part.face = PEOPLE_COUNT.get(phrase, 2 if plural else 1), phrase in FACE_WORDS
    part.note = f'"{phrase}" {_ANY_PERSON}' if _who(phrase) else ""
    if phrase in ("selfie", "selfies"):  # a walkthrough read its results as selfies
        part.note = f'"{phrase}" is searched as a face seen close: multicap cannot tell who took the photo'
    part.how = _people_how(part)
    return part


def no_people(phrase: str) -> Part:
    """A part asking that no one be there ("without people", "nobody"): met by an image in which the
    describer finds no person; it searches for nothing ("a beach without people" had asked for people)."""
    return Part(phrase, "people", count=0, exact=True, how="no people the describer finds")


def _people_how(part: Part) -> str:
    found = "people the describer finds" + _many(part.count, part.exact)
    found += ", a face seen close" if part.face else ""
    return found + ("; and ImageNet's few classes of people" if part.classes else "")


def _many(count: int, exact: bool = False) -> str:
    return f", {count} of them" if exact else f", {count} or more" if count > 1 else ""


def joined(first: Part, second: Part) -> Part:
    """Two people parts of one query as one: "group of people" asks for three, "a man with a woman" for
    two (each asked for one), "face of a child" for a face."""
    alone = first.count == 1 and second.count == 1 and not (first.face or second.face)
    joined = Part(f"{first.text} {second.text}", "people", first.classes, terms=PERSON_TERMS)
    joined.count = 2 if alone else max(first.count, second.count)
    joined.face = first.face or second.face
    joined.how = _people_how(joined)
    return joined


def describing(words: list[str], k: int, part: Part | None, wn: WordNet) -> str:
    """Why the word at `k`, before a noun, is no thing of its own but says something of that noun ("" if
    it is one): a word WordNet also has as an adjective whose noun reading is no class the model sees ("a
    modern building", "an antique clock", "a blonde woman": each had been read as a person, the first
    noun sense, and asked for; "a common bird" a park, "a dead tree" a stretcher; a noun that is a class
    stays one: "a lemon tree", "chocolate cake"), or a person whose the thing is ("my friend's dog")."""
    owned = words[k + 1 : k + 2] == ["'s"]  # "a neighbour's cat" ("'s" as `query_words` leaves it)
    if part is not None and part.kind == "people" and (owned or (k > 0 and words[k - 1] in _OWNERS)):
        j = k + 1 + owned
        while j < len(words) and (words[j] in COLOURS or words[j] in SIZES or words[j] in ("and", "grey")):
            j += 1  # ("my son's red bicycle")
        after = noun_part(words, j, wn)[1]  # "my friend's dog": whose dog, not a person with it
        return _WHOSE if after is not None and after.kind in ("thing", "found") else ""
    if _made_of(words, k, part, wn):  # "a glass bottle": a bottle
        return _MADE_OF
    of_the_image = words[k + 1 : k + 2] != [] and words[k + 1] in IMAGE_WORDS  # "an aerial photo": of the
    if not before_noun(words, k) and not of_the_image:  # photo, not an aerial (an antenna)
        return ""
    if not wn.is_lemma(words[k], "a"):  # as typed ("forest" is no "for")
        return ""
    if part is not None and part.kind == "found":  # what the pixels find: "forest path", "grass field"
        return ""
    seen = part is not None and part.kind != "people" and max(part.classes.values(), default=0.0) >= 1.0
    return "" if seen else "describes nothing this model sees"


def _made_of(words: list[str], k: int, part: Part | None, wn: WordNet) -> bool:
    """Whether the word at `k` (read as `part`) is a material the next noun is made of ("a glass bottle",
    "an iron gate", "a wool hat", "a wood table" had searched beer glasses, clothes irons, wool or trees as
    a second thing): the next noun reaches a made thing first, and surely; a material that stands for a
    place stays one ("sand castle": a sandbar beside the castle; "a lava field", "a steam plume"); a
    name of both stays whole ("stone wall", "plastic bag", "water bottle": `noun_part` reads the longest
    first)."""
    if not before_noun(words, k) or not a_material(words[k], wn):
        return False
    if part is not None and (part.kind == "people" or (part.kind == "thing" and natural(part.classes, wn))):
        return False
    after = noun_part(words, k + 1, wn)[1]
    return after is not None and after.kind == "thing" and made(after.classes, wn, least=1.0)


_WHOSE = "says whose it is, which multicap does not see"
_MADE_OF = "says what it is made of, which multicap does not see"


_OWNERS = frozenset({"my", "our", "your", "his", "her", "their"})  # before a person who owns the next thing
