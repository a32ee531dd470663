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
(within two levels) as the nearest concepts the model knows, or, for a word WordNet does not know, the
words one typing slip away ("dgo": dog) or else the closest by spelling.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from multicap.index.query_words import (
    AT_PLACE,
    BODY_OF_WATER,
    COLOURS,
    FOUND,
    LOOKS,
    PEOPLE_WORDS,
    PLACE_WORDS,
    RELATIONS,
    SEEN_AS,
    STOPWORDS,
)
from multicap.text.articles import indefinite
from multicap.text.imagenet import imagenet_concepts
from multicap.text.wordnet import Synset, WordNet, open_wordnet

__all__ = [
    "SIBLING_WEIGHT", "WORD", "Reached", "Unknown", "classes_below", "names_a_thing_class", "names_a_time",
    "pertainyms", "place_classes", "place_of", "reach", "shared_wordnet", "unknown",
]  # fmt: skip

WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*", re.UNICODE)  # a word of a query or a definition
_W_SELF, _W_HOLONYM, _W_SIBLING, _W_COUSIN, _W_GLOSS = 1.0, 0.7, 0.5, 0.35, 0.45
SIBLING_WEIGHT = _W_SIBLING  # a part reaching no class more strongly reaches only neighbours
_W_KIND = 0.7  # the class a word is a kind of ("cathedral": church; its other kinds stay siblings, 0.5)
_W_PLACE = 0.8  # a thing commonly found at a place the query names ("street": a cab, a traffic light)
_SENSE_WEIGHTS = (1.0, 0.6, 0.4)  # the first three senses of a word, most frequent first (`_seen_first`)
_SMALL_COVER = 20  # a hypernym whose classes are its siblings' covers at most this many classes
_WIDE = 700  # ... and holds at most this many WordNet synsets: "natural object" (1,489: stars, rocks,
#               acorns, sandbars) covers only 17 classes yet relates nothing; "flower" holds 619
_GENUS_WIDE = 300  # a definition's genus holds at most this many ("dog" 190; "vehicle", 528, says no more
#                    of a pram than that it moves)
_NEIGHBOUR_COVER = 60  # the widest hypernym whose classes still count as a word's neighbours
_MAX_CLASSES = 150  # the most classes one part reaches (the strongest kept; "dog" reaches 118)
_GLOSS_LINKS = 8  # more classes than this linked through definitions: the word is too common to link
_LOCATION = 27167  # location.n.01: its kinds' siblings are not alike to look at
_PERSON = 7846  # person.n.01: people are the describer's own finding, not a definition's classes
# organism.n.01, artifact.n.01, food.n.01: a word of one of these kinds is defined by another of its kind
_KINDS = frozenset({4475, 21939, 21265})
_ORGANISM = 4475
_PHYSICAL = 1930  # physical_entity.n.01


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


@lru_cache(maxsize=1)
def shared_wordnet() -> WordNet:
    return open_wordnet()


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
    below = classes_below()
    reached: dict[int, float] = {}
    how: dict[int, str] = {}

    def add(classes: Iterable[int], weight: float, route: str) -> None:
        for c in classes:
            if weight > reached.get(c, 0.0):
                reached[c], how[c] = weight, route

    synsets = _seen_first(synsets)
    own = f"{phrase}, a class of its own"
    add(_class_names(synonyms=False).get(phrase, frozenset()), _W_SELF, own)  # whatever sense WordNet
    #   ranks first: "church" is first a congregation, and the building reached only 0.6
    offsets = [s.offset for s in synsets[: len(_SENSE_WEIGHTS)]]
    for c in _class_names().get(phrase, frozenset()):  # another word of a class's synset, as the sense it is
        offset = _class_offsets()[c]  # (`_seen_first`): "taxi" 1.0, "hot dog" 1.0 (its person moved last);
        if offset in offsets:  # "light" (a lighter, beyond its third sense) nothing
            add([c], _SENSE_WEIGHTS[offsets.index(offset)], own)
    seen_as = SEEN_AS.get(phrase, ())  # where ImageNet files the thing under another synset ("chicken")
    add([c for name in seen_as for c in _class_names()[name.lower()]], _W_SELF, f"as {', '.join(seen_as)}")
    senses = list(zip(_SENSE_WEIGHTS, synsets, strict=False))
    place = place_of(phrase, synsets, wn)
    note = ""
    if place == "water" and synsets[0].name not in ("water", "body of water"):
        note = f'"{phrase}" is searched as any water (shores, boats): multicap tells no sea from a lake'
    if place is not None:  # things found there, and the place's own kinds (a restaurant is a class)
        where = {"water": "on or by water", "landscape": "in a landscape", "desert": "in a desert"}.get(
            place, f"at a {place}"
        )
        add(place_classes(place), _W_PLACE, f"what is found {where}")
        add(below.get(synsets[0].offset, frozenset()), _W_SELF, f"{synsets[0].name} and its kinds")
        senses = []
    first_seen = bool(senses) and bool(below.get(senses[0][1].offset))  # the first sense is a class or above
    for k, (sense, synset) in enumerate(senses):
        add(below.get(synset.offset, frozenset()), sense * _W_SELF, f"{synset.name} and its kinds")
        if k > 0 and first_seen:  # a later sense's wholes and parts are another thing's ("bus" as a busbar
            continue  #             had reached the computer it is part of: laptops for "red bus")
        for symbol in ("#p", "#m", "#s", "%p", "%m", "%s"):
            for other in wn.related(synset, symbol):
                if _a_place(other, wn):  # a place's classes are what is found there ("space" had reached
                    continue  #            a bakery through "location")
                add(below.get(other.offset, frozenset()), sense * _W_HOLONYM, f"{other.name} ({synset.name})")
    substituted = not reached  # no class is the word or below it: what is like it stands in for it
    if not reached:
        for k, (sense, synset) in enumerate(senses):
            for weight, hops in ((_W_SIBLING, 1), (_W_COUSIN, 2)):
                for ancestor in _hypernyms(synset, hops, wn):
                    cover = below.get(ancestor.offset, frozenset())
                    if len(cover) <= _SMALL_COVER and _alike(ancestor, wn):
                        add(cover, sense * weight, f"like {synset.name}, a kind of {ancestor.name}")
                        if hops == 1 and ancestor.offset in _class_offsets():  # the very kind a class is:
                            mine = [_class_offsets().index(ancestor.offset)]  # a cathedral is a church
                            add(mine, sense * _W_KIND, f"{synset.name}, a kind of {ancestor.name}")
            links = _gloss_links(synset, phrase, wn, first=k == 0)
            add(links, sense * _W_GLOSS, f"definitions that use {phrase}")
    defined: list[str] = []  # the kinds its definition names, where only they reach classes
    if not reached and senses:  # what its first sense's definition says it is: "kitten", young domestic cat
        for genus, classes in _defined_as(senses[0][1], wn):
            add(classes, _W_GLOSS, f"{senses[0][1].name}: its definition names {genus}")
            defined.append(genus)
    if not reached:
        return None
    ranked = sorted(reached.items(), key=lambda kv: -kv[1])
    least = ranked[min(_MAX_CLASSES, len(ranked)) - 1][1]  # ties at the cap are all kept: not cut by index
    kept = dict(kv for kv in ranked if kv[1] >= least)  # ("animal" had kept its first 150 classes, the fish
    #                                                     and birds, and lost its cats and dogs)
    routes = list(dict.fromkeys(how[c] for c in kept))
    if substituted and not note:  # "giraffe" had ranked sheep and cows first without a word
        names = {c.index: c.name for c in imagenet_concepts()}
        like = ", ".join(names[c] for c, _ in ranked[:3])
        if defined:  # "puppy": any dog, not three of its 118 breeds
            like = ", ".join(defined)
        note = f'"{phrase}" is no class this model sees: searched as what is like it ({like})'
    return Reached(kept, "; ".join(routes[:3]), note)


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
    if not synsets or len(typed) < 4 or typed in _class_names() or wn.synsets(typed, "a"):
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
    return synset.name not in _UNLIKE and not _wide(synset, wn) and not _a_place(synset, wn)


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


def _wide(synset: Synset, wn: WordNet, limit: int = _WIDE) -> bool:
    """Whether more than `limit` synsets lie below `synset` (counted breadth first, and no further)."""
    seen, level = {synset.offset}, [synset]
    while level:
        below = (h for s in level for h in wn.related(s, "~"))  # kinds and instances
        level = [h for h in below if h.offset not in seen]
        seen.update(h.offset for h in level)
        if len(seen) > limit:
            return True
    return False


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
        if not _SLIP_SHORTEST <= len(word) <= _SLIP_LONGEST or not set(word) <= _LETTERS:
            # no slip of a 5,000-letter "word" (1.4 GB of candidates), of a word in another script ("猫":
            # "did you mean a? (or b, c)") or of one or two characters
            return Unknown(word, "is not a word WordNet 3.0 knows")
        if len(word) == _SLIP_SHORTEST:  # "dgo": dog; but not "img": igm (IgM) or mg, a letter dropped
            close = _one_slip(word, _known_set().__contains__, same_length=True)
        else:
            close = (
                _one_slip(word, _known_set().__contains__)
                or _fewest_edits(
                    word,
                    difflib.get_close_matches(word, _known_words(), n=5, cutoff=0.7),
                    sorted(  # "giraffee": giraffe, which is no class; "giraff": not the genus first
                        _one_slip(word, wn.is_lemma),
                        key=lambda w: any(s.name[:1].isupper() for s in wn.synsets(w)[:1]),
                    ),
                )
            )
        guess = f"; did you mean {close[0]}?" if close else ""
        guess += f" (or {', '.join(close[1:])})" if close[1:] else ""
        return Unknown(word, "is not a word WordNet 3.0 knows" + guess)
    named = _instance_of(word, synsets, wn)  # "taj mahal": a mausoleum, which the model does not see either
    near, kind = _neighbours(named or synsets[0], wn)
    reason = "is not among the concepts this model sees" + ("" if near else ", nor near one")
    if named is not None:
        reason = f"is {indefinite(named.name)} {named.name}, which {reason}"
    shown = near[:_NEAREST_SHOWN]
    return Unknown(word, reason, shown, kind if len(near) > len(shown) else "", len(near) - len(shown))


_NEAREST_SHOWN = 3  # the nearest classes an unknown word's message names


_SLIP_LONGEST = 40  # letters: a longer unknown word is given no correction
_SLIP_SHORTEST = 3  # letters: a shorter one neither; one this long only a slip that keeps its length
_ALPHABET = "abcdefghijklmnopqrstuvwxyz -"
_LETTERS = frozenset(_ALPHABET + "'0123456789")  # a digit may be a slip too ("d0g": dog)


def _fewest_edits(word: str, near: list[str], lemmas: list[str]) -> list[str]:
    """The suggestions for a word no slip away from a class's word: difflib's closest class words (`near`)
    and the WordNet lemmas one slip away (`lemmas`), fewest edits first (letters left out, added,
    mistyped or two swapped; a class word first of equals), at most three and at most two edits away, or
    a quarter of the word's letters: "bycicle" had suggested circle before bicycle, "tomatoe" toaster
    (four edits) where the lemma tomato is one."""
    most = max(2, len(word) // 4)
    edits = {w: _edits(word, w) for w in dict.fromkeys([*near, *lemmas])}
    return sorted((w for w, e in edits.items() if e <= most), key=edits.__getitem__)[:3]


def _edits(a: str, b: str) -> int:
    """The optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def _one_slip(word: str, known: Callable[[str], bool], *, same_length: bool = False) -> list[str]:
    """The `known` words one typing slip from `word` (two letters swapped, one left out, added or mistyped:
    "dgo" → dog, which difflib's ratio puts after dingo), at most three, in order; with `same_length`
    only swapped or mistyped letters."""
    splits = [(word[:k], word[k:]) for k in range(len(word) + 1)]
    slips = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    slips += [] if same_length else [a + b[1:] for a, b in splits if b and a[-1:] == b[:1]]  # ("watter")
    slips += [] if same_length else [a + c + b for a, b in splits for c in _ALPHABET]  # a letter left out
    slips += [] if same_length else [a + b[1:] for a, b in splits if b]  # before one mistyped: "gren" is
    slips += [a + c + b[1:] for a, b in splits if b for c in _ALPHABET]  # green before grey
    return [w for w in dict.fromkeys(slips) if w != word and known(w)][:3]


@lru_cache(maxsize=1)
def _known_set() -> frozenset[str]:
    return frozenset(_known_words())


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


@lru_cache(maxsize=1)
def _known_words() -> list[str]:
    """What a typing slip is corrected to: the classes' names and tags, and the words the query tables
    read ("peple": people, not apple)."""
    people = {"person", "man", "woman", "child", "kid", "boy", "girl", "baby"}
    tables = {*PEOPLE_WORDS, *people, *PLACE_WORDS, *LOOKS, *SEEN_AS, *FOUND, *COLOURS, "grey"}  # ("blak":
    #         black, not balk)
    return sorted(
        {c.name for c in imagenet_concepts()} | {t for c in imagenet_concepts() for t in c.tags} | tables
    )


@lru_cache(maxsize=1)
def classes_below() -> dict[int, frozenset[int]]:
    """Noun synset offset → the ImageNet classes it is (or is above)."""
    table: dict[int, set[int]] = defaultdict(set)
    wn = shared_wordnet()
    for concept in imagenet_concepts():
        for offset in wn.ancestors(int(concept.wnid[1:])):
            table[offset].add(concept.index)
    return {k: frozenset(v) for k, v in table.items()}


@lru_cache(maxsize=1)
def _gloss_index() -> dict[str, frozenset[int]]:
    """A content word of a class's definition (base form) → the classes whose definitions use it."""
    wn = shared_wordnet()
    table: dict[str, set[int]] = defaultdict(set)
    for concept in imagenet_concepts():
        gloss = wn.synset(int(concept.wnid[1:]), "n").gloss.split(";")[0]
        for word in WORD.findall(gloss.lower()):
            if word not in STOPWORDS and len(word) > 2:
                for base in wn.base_forms(word)[:2]:
                    table[base].add(concept.index)
    return {k: frozenset(v) for k, v in table.items()}


def _gloss_links(synset: Synset, phrase: str, wn: WordNet, *, first: bool = True) -> frozenset[int]:
    """Classes whose definitions use the word typed (`phrase`, in the synset's sense), and classes the
    synset's definition names (one or two words); none when they are many (a common word links to
    nothing in particular). Not the synset's other words: "autumn" is also "fall", which a parachute's
    definition uses. A living thing is linked only in a sense of its own kind (`_LIVING_FILES`): a
    definition's word read in another sense had linked "bowling" (in cricket) to the insect and a "police"
    force to the German shepherd; but a physical thing's own definition, or the definitions that use the
    word typed where that thing is its `first` sense, link what lives by it ("honey": bees, "arctic": its
    fox; not "size", first a magnitude, the wombat "about the size of a small bear")."""
    index, names = _gloss_index(), _class_names(synonyms=False)  # not "light", a word of the lighter's
    using: set[int] = set()  # classes whose definitions use the word typed
    typed = set(wn.base_forms(phrase))
    for lemma in synset.lemmas:
        if lemma.replace(" ", "_").lower() in typed:
            using |= index.get(lemma.replace(" ", "_"), frozenset())
    named: set[int] = set()  # classes the synset's definition names
    written = WORD.findall(synset.gloss.split(";")[0])
    words = [w.lower() for w in written]
    parts = _ITS_PARTS if _ORGANISM in wn.ancestors(synset.offset) else _ITS_PARTS - {"with"}  # (tennis is
    words = words[: next((k for k, w in enumerate(words) if w in parts), len(words))]  # played with rackets)
    for n in (1, 2):
        for k in range(len(words) - n + 1):
            if not _qualifies(words, k + n, wn) and not (k > 0 and written[k - 1][:1].isupper()):
                # (nor a word a name qualifies: "11 on the Beaufort scale" had linked a storm to scales)
                named |= names.get(" ".join(words[k : k + n]), frozenset())
    if len(using | named) > _GLOSS_LINKS:
        return frozenset()
    physical = _PHYSICAL in wn.ancestors(synset.offset)
    senses = {s.lexfile for s in wn.synsets(phrase)}  # the kinds of thing the word typed can name ("seal":
    #                                                   a fastener, and an animal, which a sea lion's
    #                                                   definition uses it as)
    if not (physical and first):
        using = {c for c in using if _lexfile(c, wn) not in _LIVING_FILES or _lexfile(c, wn) in senses}
    if not physical:
        named = {
            c for c in named if _lexfile(c, wn) not in _LIVING_FILES or _lexfile(c, wn) == synset.lexfile
        }
    return frozenset(using | named)


# WordNet's lexicographer files of living things (lexnames(5WN)): noun.animal, noun.person, noun.plant
_LIVING_FILES = frozenset({5, 18, 20})


def _lexfile(c: int, wn: WordNet) -> int:
    """The lexicographer file of class `c`'s synset."""
    return wn.synset(_class_offsets()[c], "n").lexfile


# a definition's words from here on say what its thing has, not what it is or is like ("gull: mostly white
# aquatic bird having long pointed wings", "bat: ... mammal with forelimbs modified to form membranous
# wings": an aeroplane's wing had stood in for both); "with" only of a living thing
_ITS_PARTS = frozenset({"having", "with"})


def _qualifies(words: list[str], after: int, wn: WordNet) -> bool:
    """Whether the words before `after` qualify the noun there, as a material or a colour does ("a
    wrought iron tower": a tower, not a clothes iron; "bright orange or red flowers": no orange)."""
    nxt = words[after] if after < len(words) else ""
    if nxt in ("or", "and") and after + 1 < len(words) and wn.synsets(words[after - 1], "a"):
        # "orange or red flowers": two adjectives before their noun ("a dam or other obstruction": a dam)
        return bool(wn.synsets(words[after + 1], "a")) and _qualifies(words, after + 2, wn)
    return bool(nxt) and nxt not in STOPWORDS and nxt not in RELATIONS and bool(wn.synsets(nxt))


def _defined_as(synset: Synset, wn: WordNet) -> list[tuple[str, frozenset[int]]]:
    """The kind of thing the model sees that the definition of `synset`, a living thing, a made thing or
    food, says it is: its genus, the first noun of one or two words in its first clause (the words before
    it that WordNet also knows as adjectives qualify it), when that is of the same of those three kinds,
    is or is above at most `_MAX_CLASSES` classes and holds at most `_GENUS_WIDE` synsets ("young domestic
    cat": domestic cat → tabby, Persian, Siamese; "a young dog": 118 breeds; "a mill that is powered by
    the wind": a mill). Empty otherwise: the definition's later nouns name no kind of it ("a painting"
    is applied to a surface, no stage; "a handbag" holds accessories, no seat belt)."""
    kind = _KINDS & wn.ancestors(synset.offset)
    words = WORD.findall(synset.gloss.split(";")[0].lower())
    genus = next((g for g in (_noun_at(words, k, wn) for k in range(len(words))) if g is not None), None)
    if not kind or genus is None:
        return []
    ancestors = wn.ancestors(genus.offset)
    classes = classes_below().get(genus.offset, frozenset())
    if (
        not ancestors & kind
        or _PERSON in ancestors
        or not 0 < len(classes) <= _MAX_CLASSES
        or _wide(genus, wn, _GENUS_WIDE)
    ):
        return []
    return [(genus.name, classes)]


def _noun_at(words: list[str], k: int, wn: WordNet) -> Synset | None:
    """The first sense of the noun of two words or one at `k` ("domestic cat", "dog"), or None where the
    word there is a function word or also an adjective that another noun follows ("young", "small")."""
    if words[k] in STOPWORDS:
        return None
    for n in (2, 1):
        phrase = " ".join(words[k : k + n])
        if k + n > len(words) or (n == 1 and wn.synsets(phrase, "a") and k + 1 < len(words)):
            continue
        forms = (base.replace("_", " ") for base in wn.base_forms(phrase))
        senses = next((found for found in map(wn.synsets, forms) if found), [])
        if senses:
            return senses[0]
    return None


@lru_cache(maxsize=1)
def _class_offsets() -> list[int]:
    """Each class's WordNet noun synset offset, by class index."""
    return [int(c.wnid[1:]) for c in imagenet_concepts()]


def names_a_thing_class(phrase: str, wn: WordNet, person: int) -> bool:
    """Whether `phrase` is the name of a class the model sees that is no person (under the synset at
    `person`): "boxer", "hog", "monitor", "washer", "screw" name a dog, a pig, a screen, a washing machine
    and a screw, which WordNet ranks after a person ("a greedy person", "someone who supervises")."""
    return any(
        person not in wn.ancestors(_class_offsets()[c]) for c in _class_names(synonyms=False).get(phrase, ())
    )


@lru_cache(maxsize=2)
def _class_names(*, synonyms: bool = True) -> dict[str, frozenset[int]]:
    """A class's name and (with `synonyms`) the other words of its synset ("hot dog", "taxi"), each with
    its plural, → the classes so named."""
    wn = shared_wordnet()
    table: dict[str, set[int]] = defaultdict(set)
    for concept in imagenet_concepts():
        lemmas = wn.synset(int(concept.wnid[1:]), "n").lemmas if synonyms else ()
        for name in dict.fromkeys([concept.name, *lemmas]):
            table[name.lower()].add(concept.index)
            table[name.lower() + "s"].add(concept.index)
    return {k: frozenset(v) for k, v in table.items()}
