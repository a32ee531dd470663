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
from dataclasses import dataclass, field

from multicap.index.query_asks import ABSENT_ALONE, absence_at, asking, excluded_as_not, unfollowed
from multicap.index.query_colours import (
    COLOURING,
    LINKING,
    colour_at,
    colour_of,
    look_words,
    names_a_class,
    of_the_image,
)
from multicap.index.query_counts import BOUND_NOTE, in_a_name, read_count
from multicap.index.query_parts import (
    PERSON_TERMS,
    Part,
    before_noun,
    clouded,
    counted,
    describing,
    held,
    holds,
    joined,
    look_part,
    names_a_thing,
    no_people,
    noun_part,
)
from multicap.index.query_tokens import query_words
from multicap.index.query_words import (
    ACTIONS,
    ANIMAL_PARTS,
    AT_LEAST,
    CLOUD_NOUNS,
    CLOUDED,
    COLOURS,
    COVERINGS,
    FILLER,
    LOOKS,
    MONOCHROME,
    NUMBERS,
    POSITION_TAIL,
    POSITIONS,
    QUANTIFIERS,
    RELATION_PHRASES,
    RELATIONS,
    SIZES,
    STOPWORDS,
    SURFACES,
    WEATHER,
    WHERE_TAKEN,
)
from multicap.index.reach import Unknown, shared_wordnet, unknown
from multicap.text.wordnet import WordNet

__all__ = ["COLOURS", "PERSON_TERMS", "Part", "Understanding", "Unknown", "understand"]

_LOOSE = 0.3  # a part whose strongest class weighs less is reported as loosely understood


@dataclass
class Understanding:
    parts: list[Part] = field(default_factory=list)
    relations: list[str] = field(default_factory=list)  # function words between parts ("on", "with")
    unknown: list[Unknown] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # words searched as less than they say ("woman")
    dropped: list[str] = field(default_factory=list)  # words read as asking nothing to find ("at least",
    #                                                   "more", "nobody"): not full-text searched either
    subjects: int = 1  # the first parts, what the query is of: "dog" in "dog on grass"; both in "a dog and
    #                    a cat" (`satisfy` weighs them above the rest alike)

    @property
    def classes(self) -> dict[int, float]:
        """Every class any part reaches, with its strongest weight."""
        out: dict[int, float] = {}
        for part in self.parts:
            if part.absent:  # what is asked not to be there is not looked for
                continue
            for c, w in part.classes.items():
                out[c] = max(out.get(c, 0.0), w)
        return out

    def explain(self) -> list[str]:
        lines = []
        for part in self.parts:
            colour = f" (colour {'not ' if part.colour_absent else ''}{part.colour})" if part.colour else ""
            top = ", ".join(f"{n} {w:.2f}" for n, w in part.top())
            lines.append(f"{part.text}{colour}: {part.how}" + (f" [{top}]" if top else ""))
        if self.relations and len(self.parts) > 1:  # ("next to", "holding": said, not only vanished)
            said = ", ".join(f'"{r}"' for r in dict.fromkeys(self.relations))
            lines.append(f"relation: {said} joins the parts; each is looked for anywhere in the image")
        lines += [f"unknown: {u.message()}" for u in self.unknown] + [f"note: {n}" for n in self.notes]
        return lines


def _names_with(words: list[str], k: int, wn: WordNet) -> bool:
    """Whether the quantifier at `k` begins a name of a thing the model sees as such ("all-terrain bike": a
    mountain bike), not a name WordNet has that is only like something ("very light", a flare, had taken
    "a very light dress")."""
    span, part = noun_part(words, k, wn)
    return span > 1 and part is not None and bool(part.classes) and max(part.classes.values()) >= 1.0


# Before a thing: asked not to be there ("cats but not dogs", "animals except cats"); before anything
# else, said and not followed.
_NEGATIONS = frozenset({"not", "no", "without", "except"})
_COLOUR_NOUNS = frozenset({"colour", "color", "colours", "colors"})  # of the image: "fall colors" (LOOKS)


def understand(text: str, wordnet: WordNet | None = None) -> Understanding:
    """The parts of a query, each with the classes it reaches; words that reach nothing are `unknown`."""
    wn = wordnet or shared_wordnet()
    words = query_words(excluded_as_not(text), wn)
    reading = _Reading(words, wn)
    k = asking(words, wn)
    reading.out.dropped += words[:k] + [w for w in words[k:] if w in FILLER]  # how the query asks and
    while k < len(words):  # words that ask nothing: searched for by no one ("vs" alone had been)
        k = reading.step(k)
    out = reading.finish()
    out.notes += unfollowed(text, words, out.dropped, len(out.parts), reading.followed)
    return out


class _Reading:
    """A query's words read left to right: words that qualify the next noun (a colour, a size, a count,
    clouds) wait for it; a noun becomes a part that takes them; position words place the part before."""

    def __init__(self, words: list[str], wn: WordNet) -> None:
        self.words, self.wn, self.out = words, wn, Understanding()
        self.colour: str | None = None  # a colour (or "black and white") waiting for its noun,
        self.colour_text = ""  # as typed
        self.size: str | None = None
        self.size_text = ""  # the size word as typed
        self.count, self.counted = 1, False  # how many the next part is asked for; whether as a number
        self.count_text = ""  # the count word waiting for its noun, as typed
        self.since = 0  # where the words after the last part begin
        self.clouded: list[Part] = []  # clouded skies said before a part ("cloudy beach"), added after it
        self.colour_noun = ""  # "colour" or "colors" as typed, where one was
        self.negation = ""  # "not", "no" or "without" before the next part, which is then asked absent
        self.colour_negated = False  # "not" before the colour waiting for its noun ("a not red car")
        self.followed: list[str] = []  # the words of logic acted on ("except" in "animals except cats")

    def step(self, k: int) -> int:
        """Read the word at `k` (and any it starts); where the next unread word is."""
        words, out = self.words, self.out
        word = words[k]
        after_part = bool(out.parts) and all(w in ACTIONS for w in words[self.since : k])  # "jumping over"
        read = read_count(words, k, after_part=after_part)
        if read is not None:  # "at least two dogs", "five or more dogs"; "at most 2" said, no count asked
            out.dropped += read.dropped
            if read.asked is None:
                out.notes.append(f'"{read.said}": {BOUND_NOTE}')
            else:
                self.count, self.counted, self.count_text = read.asked, read.exact, read.said
            return k + read.span
        absent = absence_at(words, k)
        if absent:  # "without people", "nobody": images in which the describer finds no one
            out.parts.append(no_people(" ".join(words[k : k + absent])))
            out.dropped += words[k : k + absent]
            return k + absent
        if word in _NEGATIONS and self._negates(k):  # "cats but not dogs", "a dog without a leash"
            self.negation = word
            out.dropped.append(word)
            self.followed.append(word)
            return k + 1
        if word in COLOURING and k + 1 < len(words) and colour_at(words, k + 1, self.wn) is not None:
            out.dropped.append(word)  # "a car painted red": said by the colour after it (`_predicative`)
            return k + 1
        if word == "not" and self._uncolours(k):  # "a not red car": a car of another colour ("a car
            self.colour_negated = before_noun(words, k + 1)  # that is not red": said after it, read there)
            out.dropped.append(word)
            self.followed.append(word)
            return k + 1
        phrase = next((r for r in RELATION_PHRASES if tuple(words[k : k + len(r)]) == r), None)
        if word in ACTIONS and self._names_a_thing(k):  # "a swimming pool", "running shoes": a thing
            return self._coloured(k)
        if word in WHERE_TAKEN and all(w in STOPWORDS for w in words[k + 1 :]):  # "a picture taken outside":
            part = noun_part([WHERE_TAKEN[word]], 0, self.wn)[1]  # where it was, not a relation
            if part is not None:
                part.text = word
                self._add(part, k, 1)
                return k + 1
        if phrase is not None or word in RELATIONS:
            out.relations.append(" ".join(phrase) if phrase else word)
            return k + (len(phrase) if phrase else 1)
        if word in QUANTIFIERS and _names_with(words, k, self.wn):  # "all-terrain bike"
            return self._coloured(k)
        if word in QUANTIFIERS:
            out.dropped.append(word)
        if word in STOPWORDS:
            return k + 1
        if word in POSITIONS and out.parts and _said_as_place(words, k):  # "a dog on the left"
            return self._place(k)
        if word in ("couple", "pair") and words[k + 1 : k + 2] == ["of"] and k + 2 < len(words):
            if word == "couple":  # "a couple of dogs": two or more dogs, not a couple of people and dogs
                self.count, self.counted = 2, False
            return k + 2  # "a pair of shoes", "a pair of scissors": what a pair is of, seen as one
        if word.isdigit() and len(word) == 4 and 1800 <= int(word) <= 2100:  # "paris 2019": when, not what
            out.unknown.append(Unknown(word, "names a year, which multicap does not see"))
            return k + 1
        if word.isdigit() and in_a_name(words, k, self.wn, self._a_colour):  # "route 66 sign": not 66 signs
            name = f"{words[k - 1]} {word}"
            self.out.notes.append(f'"{name}": a number after a word is read as a name\'s, not a count')
            return k + 1
        if word in NUMBERS:  # "two dogs": how many of the next part
            self.count, self.counted = NUMBERS[word], word not in AT_LEAST
            self.count_text = word
            return k + 1
        if word in SIZES and not names_a_class(words, k, self.wn):
            # "a small dog": its size, as the describer says it ("giant panda", "big cat": classes it sees)
            self.size, self.size_text = SIZES[word], word
            return k + 1
        if word in WEATHER:  # "a cloudy sky": a sky the describer says white or gray ("grey cloudy sky")
            if self.colour is None:
                self.colour, self.colour_text = WEATHER[word], word
            return k + 1
        return self._coloured(k)

    def _negates(self, k: int) -> bool:
        """Whether the negation at `k` comes before a thing the query names (after "a", "an", "any"):
        "not dogs", "without a leash"; not "not orange", "no fewer than 3" (said, not followed)."""
        j = k + 1
        while j < len(self.words) and (self.words[j] in ("a", "an", "any", "the") or self.words[j] in FILLER):
            j += 1  # ("don't have any people")
        if self.words[k] != "not":  # "no red cars", "without a white dog": the coloured thing absent
            while j < len(self.words) and (self.words[j] == "and" or self._a_colour(self.words[j])):
                j += 1
        if j >= len(self.words) or colour_at(self.words, j, self.wn) is not None:
            return False
        part = noun_part(self.words, j, self.wn)[1]
        return part is not None and part.kind in ("thing", "found", "people")

    def _uncolours(self, k: int) -> bool:
        """Whether "not" at `k` comes before a colour that waits for a noun after it ("a not red car"),
        or after a thing that it is said of ("a car that is not red", `_predicative`)."""
        j = k + 1
        named = colour_at(self.words, j, self.wn) if j < len(self.words) else None
        return named is not None and (before_noun(self.words, j) or self._predicative(j) > 0)

    def _predicative(self, k: int) -> int:
        """How many words from `k` say the colour of the thing just read, after it ("a car that is red",
        "the sky is blue", "a dress in red", "a cat that is black and white"; 0: none do). Only linking
        words stand between ("that", "is", "in", "not") and no noun follows for the colour to qualify."""
        words, parts = self.words, self.out.parts
        if not parts or parts[-1].kind not in ("thing", "found") or parts[-1].colour is not None:
            return 0
        if self.colour is not None or not all(w in LINKING for w in words[self.since : k]):
            return 0
        end = k + 1
        while end + 1 < len(words) and words[end] in ("and", "or") and self._a_colour(words[end + 1]):
            end += 2  # "black and white": a pair, as the describer says one; "red or blue": either
        if words[k - 1] == "in" and tuple(words[k:end]) == MONOCHROME:  # "a street in black and white":
            return 0  # the photo (`look_words`)
        relation = any(tuple(words[end : end + len(r)]) == r for r in RELATION_PHRASES)  # ("next to")
        return end - k if relation or not before_noun(words, end - 1) else 0

    def _said_colour(self, k: int, span: int) -> None:
        """The colour of the words `k` to `k + span` given to the thing just read ("a car that is red"),
        or asked not to be its colour where "not" stands between them ("a car that is not red")."""
        words, out = self.words, self.out
        part, between = out.parts[-1], words[self.since : k]
        typed = words[k : k + span]
        part.colour = " ".join(colour_of(w, self.wn) or w for w in typed)
        self.followed += ["or"] if "or" in typed else []
        part.colour_absent, self.colour_negated = "not" in between, False
        out.dropped += between  # "that", "is": asked for by neither search
        if part.colour_absent:  # neither search looks for the colour: it is what the thing must not be
            part.text = f"{part.text} not {' '.join(typed)}"
            out.dropped += typed
        else:
            part.text = f"{' '.join(typed)} {part.text}"
        if out.relations and between and between[-1] == out.relations[-1]:
            out.relations.pop()  # "a dress in red": "in" says its colour, not a relation between two things
        self.since = k + span

    def _weather(self) -> str | None:
        """The sky's colour that a weather word waiting asks for ("cloudy": white or gray), or None: no
        such word waits (colours typed, "white or gray", ask for objects of those colours)."""
        return self.colour if self.colour_text in WEATHER else None

    def _of_the_thing(self, k: int) -> bool:
        """Whether the noun at `k` is had by the thing just read ("a bird with blue feathers", "a cat whose
        fur is orange", "a dog's tail")."""
        parts = self.out.parts
        having = {"with", "'s", "whose", "has", "have", "its"}
        return bool(parts) and parts[-1].kind == "thing" and bool(having & set(self.words[self.since : k]))

    def _of_an_animal(self, k: int) -> int:
        """A body's covering or part after the thing that has it: a covering's colour is the thing's ("a
        dog with brown fur": a brown dog; "fur" had been no word it knows and brown any object's), a part
        is said ("a fish with yellow fins" had searched jeeps, "a bird with a red beak" birds twice)."""
        out, word, thing = self.out, self.words[k], self.out.parts[-1]
        if word in COVERINGS and self.colour is not None and thing.colour is None:
            thing.colour, thing.text = self.colour, f"{self.colour_text} {thing.text}"
        elif word in ANIMAL_PARTS:
            typed = f"{self.colour_text} {word}".strip()
            out.unknown.append(Unknown(typed, "is a part of a thing, which multicap does not see apart"))
        if out.relations and out.relations[-1] in self.words[self.since : k]:
            out.relations.pop()  # "with" says what the thing has, not a second thing
        out.dropped.append(word)
        self.colour, self.size, self.size_text, self.colour_negated = None, None, "", False
        self.since = k + 1  # ("whose fur is orange": the colour after it, said of the thing)
        return k + 1

    def _after_relation(self, k: int) -> bool:
        """Whether the noun at `k` follows a part and a relation word ("a cat in the window")."""
        return bool(self.out.parts) and any(w in RELATIONS for w in self.words[self.since : k])

    def _a_colour(self, word: str) -> bool:
        return colour_of(word, self.wn) is not None  # ("2 white ducks": the ducks say it counts)

    def _names_a_thing(self, k: int) -> bool:
        """Whether the doing word at `k` begins a thing's name WordNet knows ("swimming pool", "walking
        stick", "running shoes": ImageNet classes that had been unreachable), not said of the part just
        before it ("a man riding horses": riding)."""
        after_part = bool(self.out.parts) and k == self.since
        return not after_part and names_a_thing(self.words, k, self.wn)

    def _place(self, k: int) -> int:
        words, out = self.words, self.out
        span = _position_span(words, k)
        place = tuple(dict.fromkeys(POSITIONS[w] for w in words[k : k + span] if w in POSITIONS))
        out.parts[-1].where = place
        out.parts[-1].how += f"; {' '.join(place)} of the image"
        if out.relations and words[k - 1] in ("the", *out.relations[-1:]):
            out.relations.pop()  # "on the left" says where, not a relation between two things
        return k + span

    def _coloured(self, k: int) -> int:
        """A colour word, words for how the whole image looks, or else a noun."""
        words, wn = self.words, self.wn
        if words[k] in _COLOUR_NOUNS:  # "fall colors", "a colour photo": a colourful image, where nothing
            self.colour_noun = words[k]  # else is asked ("a red colour": red; "car colour": the car)
            if self.colour is None and not self.out.parts and of_the_image(words, k + 1):
                self.out.parts.append(look_part(words[k], LOOKS[words[k]]))
            else:
                self.out.dropped.append(words[k])
            return k + 1
        named = colour_at(words, k, wn)
        after = self._predicative(k) if named is not None else 0
        if after:  # "a car that is red": the car's colour, as "a red car" asks
            self._said_colour(k, after)
            return k + after
        sky = self._weather()
        if sky is not None and named is not None:  # "cloudy red car": a clouded sky, and a red car
            self.clouded.append(clouded(self.colour_text, sky))
            self.colour = None
        span, look, took_colour = look_words(words, k, named, wn, self.colour, self.colour_text)
        if span:  # how the whole image looks, or a shade before a colour
            self.out.parts += [look] if look is not None else []
            self.out.notes += [look.note] if look is not None and look.note else []
            self.colour = None if took_colour else self.colour
            return k + span
        if named is not None:  # "black and white dog": a pair, as the describer says one ("black and white");
            joined = words[k - 1] if self.colour is not None and k > 0 else ""  # "a red or blue car": either
            self.colour, self.colour_text = (
                (f"{self.colour} {joined} {named}", f"{self.colour_text} {joined} {words[k]}")
                if joined in ("and", "or")
                else (named, words[k])
            )
            self.followed += ["or"] if joined == "or" else []
            return k + 1
        if words[k] in COVERINGS | ANIMAL_PARTS and self._of_the_thing(k):  # "a dog with brown fur"
            return self._of_an_animal(k)
        span, part = noun_part(words, k, wn)
        said = describing(words, k, part, wn) if span == 1 else ""
        if span == 1 and words[k] in SURFACES and self._after_relation(k):  # "a clock on the wall"
            said, self.negation = "says where in the scene, which multicap does not see", ""
        if said:  # "a modern building": no modern, a person
            self.out.unknown.append(Unknown(words[k], said))
        elif part is None:
            self.out.unknown.append(unknown(" ".join(words[k : k + span]), wn))
        else:
            self._add(part, k, span)
        return k + span

    def _add(self, part: Part, k: int, span: int) -> None:
        """A noun's part, with the words that waited for it."""
        out = self.out
        if part.classes and max(part.classes.values()) < _LOOSE:
            near = [name for name, _ in part.top(3)]
            out.unknown.append(Unknown(part.text, "is only loosely related to what this model sees", near))
            part.note = ""  # said once: the loose relation says what stands in for it
        sky = self._weather()
        if sky is not None and part.terms != ("sky",):  # "cloudy beach": a beach, and a clouded sky
            self.clouded.append(clouded(self.colour_text, sky))
        elif self.colour is not None:
            part.colour, part.text = self.colour, f"{self.colour_text} {part.text}"
            if self.colour_negated:  # "a not red car": neither search looks for red
                part.colour_absent, part.text = True, f"not {part.text}"
                out.dropped += self.colour_text.split()
        elif part.kind == "found" and part.text in CLOUD_NOUNS:
            part.colour = CLOUDED
        if (self.count > 1 or self.counted) and part.kind == "found":  # "a single tree": the describer
            out.notes.append(f'"{self.count_text}" is not followed: multicap counts no {part.text}')  # finds
        elif self.count > 1 or self.counted:  # trees, not how many
            counted(part, self.count, self.counted)
        if self.negation and part.kind == "people":  # "a park without children": no one the describer
            part = no_people(f"{self.negation} {part.text}")  # finds (it tells no child from an adult)
            self.negation = ""
            out.dropped += self.words[k : k + span]
        elif self.negation:  # met where it is not there; looked for by neither search
            part.absent, part.text = True, f"{self.negation} {part.text}"
            part.how, self.negation = f"not there: {part.how}", ""
            out.dropped += self.words[k : k + span]
        if self.size is not None and part.kind in ("thing", "people"):
            part.size, part.how = self.size, f"{part.how}; {self.size}"
        elif self.size is not None:  # the sky's, grass's or trees' region is no tree's size ("a huge tree")
            out.notes.append(f'"{self.size_text}" is not followed: multicap tells no size of {part.text}')
        self.colour, self.size, self.count, self.counted, self.count_text = None, None, 1, False, ""
        self.colour_negated, self.size_text = False, ""
        if part.note:  # searched as less than it says: "woman", any person; "river", any water
            out.notes.append(part.note)
        if part.kind == "people" and out.parts and out.parts[-1].kind == "people":
            part = joined(out.parts.pop(), part)  # one group of people, not two that one person meets
        elif part.kind == "thing" and out.parts and holds(out.parts[-1], self.words[self.since : k], self.wn):
            part = held(out.parts.pop(), part, self.wn)  # "a cup of coffee": the coffee, or its cup
        elif out.parts and len(out.parts) == out.subjects and _joins(self.words[self.since : k]):
            out.subjects += 1  # "a person and a dog": what the query is of, as "a dog and a person" is
        if self.words[self.since : k][:1] == ["'s"] and out.parts and out.parts[-1].kind == "thing":
            out.parts.insert(len(out.parts) - 1, part)  # "the dog's ball": of the ball, first; the dog too
        else:
            out.parts.append(part)
        out.parts += self.clouded  # after what it is said of: the first part is what the query is of
        self.clouded = []
        self.since = k + span

    def finish(self) -> Understanding:
        """The parts, with the words left waiting for a noun: a sky for clouds, a colour alone."""
        out = self.out
        absent = [p for p in out.parts if p.absent or (p.kind == "people" and p.count == 0)]
        if absent and len(absent) == len(out.parts):  # "nobody" alone: nothing to look for, only what to
            out.unknown += [Unknown(part.text, ABSENT_ALONE) for part in absent]  # leave out
            out.parts = []
        else:  # what the query is of first: "no one on the beach" is of the beach
            out.parts = [p for p in out.parts if p not in absent] + absent
            out.subjects = max(1, min(out.subjects, len(out.parts) - len(absent)))
        out.parts += self.clouded
        if self.count_text:  # "ten": had been said to tell no image apart, without why
            out.unknown.append(Unknown(self.count_text, 'counts nothing after it (as in "ten people")'))
        if self.size_text:  # "small" alone had been read as nothing, and said to be nothing
            out.unknown.append(
                Unknown(self.size_text, 'says how large, but of nothing after it ("a small dog")')
            )
        sky = self._weather()
        if sky is not None:  # "overcast" alone: a clouded sky
            out.parts.append(clouded(self.colour_text, sky))
        elif self.colour is not None:  # a colour alone ("red"; "grey" is gray): images whose objects have it
            terms = tuple(re.split(" (?:and|or) ", self.colour))  # the describer's words, which a full-text
            how = f"objects coloured {self.colour}"  # search finds
            out.parts.append(Part(self.colour, "colour", colour=self.colour, how=how, terms=terms))
        if self.colour_noun and not out.parts:  # "colors of autumn": the colours are all it asks
            out.parts.append(look_part(self.colour_noun, LOOKS[self.colour_noun]))
        if not out.parts and not out.unknown:  # "running" alone had been read as nothing, said as nothing
            out.unknown += [
                Unknown(r, _DOING if r in ACTIONS else _JOINS) for r in dict.fromkeys(out.relations)
            ]
        return out


_AND = frozenset({"and", "or", "vs", "versus", "plus"})
_DOING = "tells no image apart: multicap sees what a photo shows, not what it does"
_JOINS = 'joins nothing: say the things it is between ("a dog on a sofa")'


def _joins(between: list[str]) -> bool:
    """Whether the words between two parts join them as equals ("a dog and a cat", "cats or dogs"), with
    no relation that makes the second where or with what the first is ("a dog on a sofa and a cat")."""
    return bool(_AND & set(between)) and not any(w in RELATIONS for w in between)


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
