"""How a noun reaches the ImageNet classes the model sees, through WordNet 3.0, and why one reaches none.

`reach` follows the relations a person would follow, each with a weight: the synset itself or its
hyponyms ("dog" → 118 breeds: 1.0), its part, member and substance holonyms and meronyms ("beach" is part
of a shore → seashore, lakeside: 0.7); only where those reach nothing, its semantic neighbours among the
classes, in the spirit of ConSE (Norouzi et al. 2014) with WordNet's hypernym graph as the semantic space:
its siblings under a specific hypernym ("temple" → place of worship → church, mosque, stupa: 0.5, or 0.35
two levels up) and the classes whose definitions name the word or that its definition names (0.45); and
where even those reach nothing, the kinds of thing its definition says it is ("kitten": young domestic cat
→ tabby, Persian, Siamese; "puppy": a young dog: 0.45). A class is reached by any word of its synset
("hot dog", "taxi"), and by the everyday words ImageNet files under another synset
(`query_words.SEEN_AS`: "chicken" → hen, cock). A word that names a place people photograph reaches what
is found there (`query_words.AT_PLACE`: 0.8). The class a word is a kind of stands in more than its
siblings ("cathedral" → church: 0.7). A word's senses come in WordNet's order of frequency in texts, a sense
that no photo shows and no class is moved last (`_seen_first`: "table", furniture before data); a named
thing is searched as the kind it is ("statue of liberty": a statue; `_reach_as`).
`unknown` says why a word reaches nothing, with the classes under its nearest hypernym that covers a few
(within two levels) as the nearest concepts the model knows, or, for a word WordNet does not know, what it
was probably meant to be (`slips`: "dgo", dog).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from multicap.index.definitions import defined_as, gloss_links
from multicap.index.query_words import (
    AT_PLACE,
    BODY_OF_WATER,
    PLACE_WORDS,
    SEEN_AS,
)
from multicap.index.slips import guessed
from multicap.index.wordnet_classes import (
    MAX_CLASSES,
    WORD,
    class_names,
    class_offsets,
    classes_below,
    shared_wordnet,
    wide,
)
from multicap.text.articles import indefinite
from multicap.text.imagenet import imagenet_concepts
from multicap.text.wordnet import Synset, WordNet

__all__ = [
    "SIBLING_WEIGHT", "WORD", "Reached", "Unknown", "classes_below", "names_a_thing_class", "names_a_time",
    "pertainyms", "place_classes", "place_of", "reach", "shared_wordnet", "unknown",
]  # fmt: skip

_W_SELF, _W_HOLONYM, _W_SIBLING, _W_COUSIN, _W_GLOSS = 1.0, 0.7, 0.5, 0.35, 0.45
SIBLING_WEIGHT = _W_SIBLING  # a part reaching no class more strongly reaches only neighbours
_W_KIND = 0.7  # the class a word is a kind of ("cathedral": church; its other kinds stay siblings, 0.5)
_W_PLACE = 0.8  # a thing commonly found at a place the query names ("street": a cab, a traffic light)
_SENSE_WEIGHTS = (1.0, 0.6, 0.4)  # the first three senses of a word, most frequent first (`_seen_first`)
_SMALL_COVER = 20  # a hypernym whose classes are its siblings' covers at most this many classes
_NEIGHBOUR_COVER = 60  # the widest hypernym whose classes still count as a word's neighbours
_LOCATION = 27167  # location.n.01: its kinds' siblings are not alike to look at


@dataclass
class Reached:
    classes: dict[int, float]  # ImageNet class → weight in 0..1, the strongest path's
    how: str  # the routes that reached them, strongest first ("dog and its kinds")
    note: str = ""  # where the word is searched as less than it says ("river": any water)


@dataclass
class Unknown:
    word: str
    reason: str  # why it reaches nothing
    nearest: list[str] = field(default_factory=list)  # the nearest concepts the model knows
    kind: str = ""  # the kind they share, where they are a few of many ("wheeled vehicle")
    more: int = 0  # how many more of that kind the model knows

    def message(self) -> str:
        near = f"; nearest it knows: {', '.join(self.nearest)}" if self.nearest else ""
        if self.kind:  # not three of forty picked by their names' order as if they were the nearest
            some = ", ".join(self.nearest)
            near = f"; nearest it knows: kinds of {self.kind} ({some} and {self.more} more)"
        word = self.word if len(self.word) <= 40 else self.word[:39] + "…"  # a 5,000-letter "word": short
        return f'"{word}" {self.reason}{near}'


def pertainyms(adjective: Synset, wn: WordNet) -> list[Synset]:
    """The nouns an adjective pertains to ("wooden" → wood)."""
    return [s for s in wn.related(adjective, "\\") if s.pos == "n"]


def reach(phrase: str, synsets: list[Synset], wn: WordNet) -> Reached | None:
    """The classes `phrase`'s senses reach, each at the weight of its strongest path: the synsets and their
    kinds first, then the wholes and parts of the first sense (of a later one only where the first is no
    class); only where neither reaches a class, their siblings and the classes their definitions link to.
    A named thing is reached as the kind it is (`_reach_as`)."""
    kind = _instance_of(phrase, synsets, wn)
    if kind is not None:  # a named thing: searched as the kind it is
        return _reach_as(phrase, synsets[0], kind, wn)
    routes = _Routes()
    unseen_life = _unseen_life(synsets)  # "mouse": first the animal, which no class is
    synsets = _seen_first(_named_first(phrase, synsets))
    _by_name(phrase, synsets, routes)
    senses = list(zip(_SENSE_WEIGHTS, synsets, strict=False))
    place = place_of(phrase, synsets, wn)
    note = ""
    if place == "water" and synsets[0].name not in ("water", "body of water"):
        note = f'"{phrase}" is searched as any water (shores, boats): multicap tells no sea from a lake'
    if place is not None:  # things found there, and the place's own kinds (a restaurant is a class)
        where = {
            "water": "on or by water", "landscape": "in a landscape", "desert": "in a desert",
            "indoors": "indoors", "underwater": "underwater", "city": "in a city", "garden": "in a garden",
            "aquarium": "in an aquarium",
        }.get(place, f"at a {place}")  # fmt: skip
        routes.add(place_classes(place), _W_PLACE, f"what is found {where}")
        if synsets:  # ("indoors" is no noun)
            below = classes_below().get(synsets[0].offset, frozenset())
            routes.add(below, _W_SELF, f"{synsets[0].name} and its kinds")
        senses = []
    _kinds_wholes_and_parts(senses, routes, wn)
    if phrase in SEEN_AS:  # what the word means in a photo first; WordNet's senses beside it ("fruit": the
        routes.below_seen(_W_KIND)  # botanist's acorns and corn had weighed as much as the apples)
    substituted = not routes.reached  # no class is the word or below it: what is like it stands in for it
    defined = [] if routes.reached else _like_it(phrase, senses, routes, wn)
    if not routes.reached:
        return None
    ranked = sorted(routes.reached.items(), key=lambda kv: -kv[1])
    least = ranked[min(MAX_CLASSES, len(ranked)) - 1][1]  # ties at the cap are all kept: not cut by index
    kept = dict(kv for kv in ranked if kv[1] >= least)  # ("animal" had kept its first 150 classes, the fish
    #                                                     and birds, and lost its cats and dogs)
    how = list(dict.fromkeys(routes.how[c] for c in kept))
    if substituted and not note:  # "giraffe" had ranked sheep and cows first without a word
        names = {c.index: c.name for c in imagenet_concepts()}
        like = ", ".join(names[c] for c, _ in ranked[:3])
        if defined:  # "puppy": any dog, not three of its 118 breeds
            like = ", ".join(defined)
        note = f'"{phrase}" is no class this model sees: searched as what is like it ({like})'
    made = unseen_life and all(_made(c, wn) for c, _ in ranked[:3])  # a living thing's name, a thing made
    if made and not note:  # "mouse" had searched computer mice without a word
        thing = ", ".join(dict.fromkeys(_other_name(c, phrase, wn) for c, _ in ranked[:2]))
        note = f'"{phrase}" is searched as {thing}: the living thing it first names is no class it sees'
    return Reached(kept, "; ".join(how[:3]), note)


def _made(cls: int, wn: WordNet) -> bool:
    """Whether a class is a thing people make (WordNet's noun.artifact)."""
    return wn.synset(int(imagenet_concepts()[cls].wnid[1:]), "n").lexfile == _ARTIFACT_FILE


def _other_name(cls: int, phrase: str, wn: WordNet) -> str:
    """A class's name, or another word of its synset where that is the word typed ("mouse": computer
    mouse)."""
    concept = imagenet_concepts()[cls]
    words = [w.replace("_", " ") for w in wn.synset(int(concept.wnid[1:]), "n").lemmas]
    return next((w for w in words if w.lower() != phrase.lower()), concept.name)


def _unseen_life(synsets: list[Synset]) -> bool:
    """Whether a word's first sense is an animal or a plant that is no class and has none below it
    ("mouse", the rodent), so that what the word reaches is another sense's (the computer mouse)."""
    first = synsets[0] if synsets else None
    return first is not None and first.lexfile in _LIFE_FILES and first.offset not in classes_below()


_LIFE_FILES = frozenset({5, 20})  # WordNet's noun.animal and noun.plant
_ARTIFACT_FILE = 6  # noun.artifact


class _Routes:
    """The classes reached so far, each at the weight of its strongest route, and that route."""

    def __init__(self) -> None:
        self.reached: dict[int, float] = {}
        self.how: dict[int, str] = {}

    def add(self, classes: Iterable[int], weight: float, route: str) -> None:
        for c in classes:
            if weight > self.reached.get(c, 0.0):
                self.reached[c], self.how[c] = weight, route

    def below_seen(self, most: float) -> None:
        """Every class not reached as what the word is seen as (`SEEN_AS`) at `most`."""
        for c, route in self.how.items():
            if not route.startswith("as "):
                self.reached[c] = min(self.reached[c], most)


def _by_name(phrase: str, synsets: list[Synset], routes: _Routes) -> None:
    """The classes `phrase` names: a class's name, any word of its synset as the sense it is, and the
    everyday words ImageNet files under another synset (`SEEN_AS`)."""
    seen_as = SEEN_AS.get(phrase, ())  # where ImageNet files the thing under another synset ("chicken"),
    seen = [c for name in seen_as for c in class_names()[name.lower()]]  # first: a class the word also
    routes.add(seen, _W_SELF, f"as {', '.join(seen_as)}")  # names stays as it is seen ("pig": the hog)
    own = f"{phrase}, a class of its own"
    routes.add(class_names(synonyms=False).get(phrase, frozenset()), _W_SELF, own)  # whatever sense WordNet
    #   ranks first: "church" is first a congregation, and the building reached only 0.6
    offsets = [s.offset for s in synsets[: len(_SENSE_WEIGHTS)]]
    for c in class_names().get(phrase, frozenset()):  # another word of a class's synset, as the sense it is
        offset = class_offsets()[c]  # (`_seen_first`): "taxi" 1.0, "hot dog" 1.0 (its person moved last);
        if offset in offsets:  # "light" (a lighter, beyond its third sense) nothing
            routes.add([c], _SENSE_WEIGHTS[offsets.index(offset)], own)


def _kinds_wholes_and_parts(senses: list[tuple[float, Synset]], routes: _Routes, wn: WordNet) -> None:
    """Each sense's kinds, and the first sense's wholes and parts (a later one's where the first is no
    class), at the sense's weight."""
    below = classes_below()
    first_seen = bool(senses) and bool(below.get(senses[0][1].offset))  # the first sense is a class or above
    for k, (sense, synset) in enumerate(senses):
        routes.add(below.get(synset.offset, frozenset()), sense * _W_SELF, f"{synset.name} and its kinds")
        if k > 0 and first_seen:  # a later sense's wholes and parts are another thing's ("bus" as a busbar
            continue  #             had reached the computer it is part of: laptops for "red bus")
        for symbol in ("#p", "#m", "#s", "%p", "%m", "%s"):
            for other in wn.related(synset, symbol):
                if _a_place(other, wn):  # a place's classes are what is found there ("space" had reached
                    continue  #            a bakery through "location")
                classes = below.get(other.offset, frozenset())
                routes.add(classes, sense * _W_HOLONYM, f"{other.name} ({synset.name})")


def _like_it(phrase: str, senses: list[tuple[float, Synset]], routes: _Routes, wn: WordNet) -> list[str]:
    """What stands in for a word no class is: its senses' siblings and cousins among the classes (the
    class a sense is a kind of more), the classes definitions link to it, and else the kinds its first
    sense's definition names, which are returned."""
    below = classes_below()
    for k, (sense, synset) in enumerate(senses):
        for weight, hops in ((_W_SIBLING, 1), (_W_COUSIN, 2)):
            for ancestor in _hypernyms(synset, hops, wn):
                cover = below.get(ancestor.offset, frozenset())
                if len(cover) <= _SMALL_COVER and _alike(ancestor, wn):
                    routes.add(cover, sense * weight, f"like {synset.name}, a kind of {ancestor.name}")
                    if hops == 1 and ancestor.offset in class_offsets():  # the very kind a class is:
                        mine = [class_offsets().index(ancestor.offset)]  # a cathedral is a church
                        routes.add(mine, sense * _W_KIND, f"{synset.name}, a kind of {ancestor.name}")
        links = gloss_links(synset, phrase, wn, first=k == 0)
        routes.add(links, sense * _W_GLOSS, f"definitions that use {phrase}")
    defined: list[str] = []  # the kinds its definition names, where only they reach classes
    if not routes.reached and senses:  # what its first sense's definition says it is: "kitten", young cat
        for genus, classes in defined_as(senses[0][1], wn):
            routes.add(classes, _W_GLOSS, f"{senses[0][1].name}: its definition names {genus}")
            defined.append(genus)
    return defined


def _named_first(phrase: str, synsets: list[Synset]) -> list[Synset]:
    """A word's senses with the first of its first three that is a class, and that the word names (one of
    its synset's words), first: "tram" is first a tramway and a mine's wagon, the streetcar third (0.4),
    "tv" first the broadcasting, "scooter" first a child's (each class had been searched at 0.4)."""
    head, lemma = synsets[: len(_SENSE_WEIGHTS)], "_".join(phrase.lower().split())
    own = {int(c.wnid[1:]) for c in imagenet_concepts()}
    named = next((s for s in head if s.offset in own and lemma in (w.lower() for w in s.lemmas)), None)
    return synsets if named is None else [named, *(s for s in synsets if s is not named)]


def _seen_first(synsets: list[Synset]) -> list[Synset]:
    """A word's senses, WordNet's order of frequency in texts changed where photos differ: among the first
    three, a sense of what no photo shows (no animal, artifact, food, natural object or plant: a
    lexicographer file outside `_SHOWN_FILES`) that is no class goes last ("table" is first a table of
    data: the furniture, its second sense, had reached desks at 0.6 and dining tables, its third, at 0.4;
    "hot dog" first a person). Where none of the three is a class, the first later sense that is comes
    first if it is above two or more ("van" is a truck in its fifth: a minivan, a moving van, a police
    van); not one that is a single class ("circle" a puck, "level" a stage, "scale" a weighing machine
    before armour, "match" a groom had stood in for abstract words)."""
    below, head = classes_below(), synsets[: len(_SENSE_WEIGHTS)]
    if not any(s.offset in below for s in head):
        later = next((s for s in synsets[len(head) :] if s.offset in below), None)
        if later is None or len(below[later.offset]) < 2:
            return synsets
        return [later, *(s for s in synsets if s is not later)]
    unseen = [s.offset not in below and s.lexfile not in _SHOWN_FILES for s in head]
    return (
        [s for s, u in zip(head, unseen, strict=True) if not u]
        + [s for s, u in zip(head, unseen, strict=True) if u]
        + synsets[len(head) :]
    )


# WordNet's lexicographer files of what photos show (lexnames(5WN)): noun.animal, noun.artifact, noun.food,
# noun.object, noun.plant
_SHOWN_FILES = frozenset({5, 6, 13, 17, 20})


def _instance_of(phrase: str, synsets: list[Synset], wn: WordNet) -> Synset | None:
    """The kind a named thing is an instance of ("Statue of Liberty": a statue, its first; "Eiffel Tower":
    a tower; past a kind that is itself named), where `phrase` is a name in all its senses; None for a
    class's name ("lynx", also a browser; "chihuahua", also a city), an adjective ("nice"), a common noun
    also ("polo", "mecca", "sun"), a word that only a short name's inflection reaches ("was": WA) and a
    kind."""
    typed = phrase.lower()
    if not synsets or len(typed) < 4 or typed in class_names() or wn.synsets(typed, "a"):
        return None
    for synset in synsets:
        said = [lemma for lemma in synset.lemmas if lemma.lower() == typed]
        if not said or not all(lemma[:1].isupper() for lemma in said):
            return None
    kind = synsets[0]
    for _ in range(_NAMED_DEPTH):
        up = [wn.synset(t, "n") for sym, t, pos in kind.pointers if sym == "@i" and pos == "n"]
        if not up:
            break
        kind = up[0]
    return None if kind is synsets[0] else kind


_NAMED_DEPTH = 4  # instances of instances climbed ("Thunderer": Jupiter, a Roman deity)


def _reach_as(phrase: str, named: Synset, kind: Synset, wn: WordNet) -> Reached | None:
    """A named thing's classes: its kind's, or where its kind reaches none those of the place it is a kind
    of ("london": a national capital, a city: what is found in a street); said so."""
    inner = reach(kind.name.lower(), [kind], wn)
    if inner is None:
        above = [wn.synset(a, "n") for a in sorted(wn.ancestors(kind.offset))]
        place = next((a for a in above if a.name in PLACE_WORDS), None)
        inner = reach(place.name, [place], wn) if place is not None else None
    if inner is None:
        return None
    said = f"{indefinite(kind.name)} {kind.name}"
    note = f'"{phrase}" is searched as {said}: multicap tells kinds of things, not which one'
    return Reached(inner.classes, f"{named.name}, {said}: {inner.how}", note)


def place_of(phrase: str, synsets: list[Synset], wn: WordNet) -> str | None:
    """The place a word names, whose things a search reaches (`PLACE_WORDS`: "street", "kitchen"), or
    "water" for any body of water ("sea", "lake", "river"; "water" itself, its first sense the substance);
    None for a word that names none. `synsets`: the word's noun senses, most frequent first."""
    place = PLACE_WORDS.get(phrase) or (PLACE_WORDS.get(synsets[0].name) if synsets else None)
    if place is None and any(BODY_OF_WATER in wn.ancestors(s.offset) for s in synsets[:2]):
        place = "water"
    return place


@lru_cache(maxsize=16)
def place_classes(place: str) -> tuple[int, ...]:
    """The classes found at `place`, most typical first (as AT_PLACE lists them: the lexical query takes
    the first few of a tie)."""
    index = {c.name: c.index for c in imagenet_concepts()}
    return tuple(index[name] for name in AT_PLACE[place])


def _hypernyms(synset: Synset, hops: int, wn: WordNet) -> list[Synset]:
    """The hypernyms `hops` levels above `synset`, climbing only through kinds alike to look at (`_alike`):
    a skateboard is a board as a scoreboard is, and above "board" lies nothing it looks like."""
    level = [synset]
    for hop in range(hops):
        level = [h for s in level for h in wn.related(s, "@") if hop == hops - 1 or _alike(h, wn)]
    return level


def _alike(synset: Synset, wn: WordNet) -> bool:
    """Whether the kinds of `synset` look alike enough to stand in for each other: it is neither too wide
    to relate anything (`_wide`), nor a place, nor a kind defined by its use or its shape alone
    (`_UNLIKE`)."""
    return synset.name not in _UNLIKE and not wide(synset, wn) and not _a_place(synset, wn)


# Kinds whose members share a use, a shape or a role and not a look: stairs are a support as a tripod is,
# a suitcase a case as a wallet is, a seal a fastener as a safety pin is; none stands in for another as
# a sibling. (A definition that says what the thing is still reaches the kind: a thermometer "measuring
# instrument" a rule, `_defined_as`, said so in the note.)
# A board is one ("skateboard", "surfboard", "ironing board" had searched scoreboards); not a sheet: a
# scoreboard stands in well for a chalkboard (a sheet), fresh5's "chalkboard" 1.0 of P@5 against 0 without.
_UNLIKE = frozenset({
    "area", "board", "case", "creation", "decoration", "disk", "emblem", "fastener", "framework", "lever",
    "measuring instrument", "mechanism", "part", "piece", "plant organ", "plate", "product", "receptacle",
    "restraint", "round shape", "signal", "sphere", "structural member", "support", "surface",
})  # fmt: skip


def _a_place(synset: Synset, wn: WordNet) -> bool:
    """Whether `synset` is a kind of location: its kinds are alike in where they are, not in how they look
    (a grave and a bakery are both points, "the precise location of something")."""
    return synset.offset == _LOCATION or _LOCATION in wn.ancestors(synset.offset)


# WordNet 3.0's time period (a season, an evening, a weekend), hour (time of day: sunset, dusk, noon) and
# time unit (a day, a minute: "day" had searched clocks).
_TIMES = frozenset({15113229, 15228378, 15154774})


def names_a_time(synset: Synset, wn: WordNet) -> bool:
    """Whether a noun sense is a time ("fall" is first autumn, "sunset" the hour), which no photo's pixels
    show to multicap: such a word is not read through its later senses ("fall leaves" had searched
    parachutes and cliffs, "spring flowers" geysers)."""
    return synset.offset in _TIMES or not _TIMES.isdisjoint(wn.ancestors(synset.offset))


def unknown(word: str, wn: WordNet) -> Unknown:
    """Why `word` reaches no class, with its nearest neighbours among the classes (ConSE-style)."""
    synsets = wn.synsets(word) or [s for a in wn.synsets(word, "a")[:1] for s in pertainyms(a, wn)]
    if synsets and names_a_time(synsets[0], wn):
        return Unknown(word, "names a time (a season, an hour of the day), which multicap does not see")
    if not synsets:
        if wn.synsets(word, "a"):
            return Unknown(word, "describes nothing this model sees")
        return Unknown(word, "is not a word WordNet 3.0 knows" + guessed(word, wn))
    named = _instance_of(word, synsets, wn)  # "taj mahal": a mausoleum, which the model does not see either
    near, kind = _neighbours(named or synsets[0], wn)
    reason = "is not among the concepts this model sees" + ("" if near else ", nor near one")
    if named is not None:
        reason = f"is {indefinite(named.name)} {named.name}, which {reason}"
    shown = near[:_NEAREST_SHOWN]
    return Unknown(word, reason, shown, kind if len(near) > len(shown) else "", len(near) - len(shown))


_NEAREST_SHOWN = 3  # the nearest classes an unknown word's message names


def _neighbours(synset: Synset, wn: WordNet) -> tuple[list[str], str]:
    """The classes under the nearest hypernym of `synset` that covers a few (at most `_NEIGHBOUR_COVER`)
    and is not too wide to relate anything (`_wide`) nor a kind of location (`_a_place`), and its name."""
    below, names = classes_below(), [c.name for c in imagenet_concepts()]
    level = [synset]
    for _ in range(2):  # climbing only through kinds alike to look at (a surfboard: no board, nor above it)
        level = [h for s in level for h in wn.related(s, "@") if _alike(h, wn)]
        covers = [(below.get(s.offset, frozenset()), s.name) for s in level]
        best = sorted((c for c in covers if 0 < len(c[0]) <= _NEIGHBOUR_COVER), key=lambda c: len(c[0]))
        if best:
            return [names[c] for c in sorted(best[0][0])], best[0][1]
    return [], ""


def names_a_thing_class(phrase: str, wn: WordNet, person: int) -> bool:
    """Whether `phrase` is the name of a class the model sees that is no person (under the synset at
    `person`): "boxer", "hog", "monitor", "washer", "screw" name a dog, a pig, a screen, a washing machine
    and a screw, which WordNet ranks after a person ("a greedy person", "someone who supervises")."""
    return any(
        person not in wn.ancestors(class_offsets()[c]) for c in class_names(synonyms=False).get(phrase, ())
    )
