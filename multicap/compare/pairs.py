"""What differs between two described images, at each level, from their facts.

    result = compare_pair(desc_a, desc_b, similarity=0.93)
    print(result.text("layout"))   # "the red circle moved from the left to the top right"

Objects of the two images are matched by label first, then by how many of colour, size and position
they share (the best-fitting pair is matched first, so two circles find their own partners). What is left
unmatched was added or removed; a matched pair whose colour, size or position differs says so. Relations
between matched objects are compared only where neither object moved (a move explains its relations).

A difference belongs to the lowest level that states it: added and removed objects to `object` (and so to
every level), colour, size and the background to `attribute`, position and relations to `layout`. The
image's looks (brightness, palette) are pixel statistics that a brightness change alters without changing
what the image shows, so they are not compared: two images whose facts agree are "no meaningful
difference", whatever their pixels. Where the two images are at hand, the reverse holds too: a difference
is stated only where the pixels changed (`multicap.compare.change`), since each image is described on its
own and a describer's misreading of one of them is no difference between them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from multicap.compare.change import touches
from multicap.describe import Description
from multicap.describe.summary import image_features
from multicap.describe.verbalize import (
    PERSON_DISTANCE,
    POSITION_PHRASES,
    count_word,
    is_plural,
    object_phrase,
    plural,
    with_article,
)
from multicap.facts import SceneFacts, SceneObject

__all__ = [
    "DIFFERENCE_LEVELS", "Difference", "PairComparison", "compare_facts", "compare_pair", "only_in",
    "read_surely",
]  # fmt: skip

# Each kind of difference → the lowest level that states it.
DIFFERENCE_LEVELS: dict[str, str] = {
    "added": "object", "removed": "object",
    "colour": "attribute", "size": "attribute", "background": "attribute",
    "position": "layout", "relation": "layout",
}  # fmt: skip
_LEVEL_RANK = {"object": 0, "attribute": 1, "layout": 2, "caption": 3}
_SCENE_ATTRIBUTES = ("background", "background_colour", "setting")  # what an image is, not how it looks
_NO_DIFFERENCE = "no meaningful difference"
MIN_READ_CONFIDENCE = 0.5  # an object whose words the captioner gave less probability is not compared
#                            (benchmarks/RESULTS.md: precision 0.861 -> 0.897 at the same recall)
STAND_IN_IOU = 0.3  # an unsure reading overlapping an unmatched object this much may be that object
MOVE_IOU = 0.5  # a matched object's two boxes overlapping less than this moved (benchmarks/RESULTS.md: 0.3
#                 missed short moves of large shapes; 0.7 let attention boxes' jitter count as moves)
_PLACES = {
    "top left": "the top left", "top": "the top", "top right": "the top right", "left": "the left",
    "center": "the centre", "right": "the right", "bottom left": "the bottom left",
    "bottom": "the bottom", "bottom right": "the bottom right",
}  # fmt: skip


@dataclass(frozen=True)
class Difference:
    kind: str  # one of DIFFERENCE_LEVELS
    label: str  # the object's label ("circle"), or the image attribute ("background")
    subject: str  # the object (or "background"): "red circle"
    before: str | None  # the value in a ("red", "left"); None for an added object
    after: str | None  # the value in b; None for a removed object
    text: str  # the difference in words, all that is known of it said
    wording: dict[str, str] = field(default_factory=dict)  # level → the text at a level that says less

    @property
    def level(self) -> str:
        return DIFFERENCE_LEVELS[self.kind]

    def text_at(self, level: str) -> str:
        """The text at `level`: an added cat is "a cat" at the object level, "a small gray cat" at the
        attribute level, and "a small gray cat at the bottom" at the layout level."""
        return self.wording.get(level, self.text)


@dataclass
class PairComparison:
    a: str  # how the first image is named in the texts ("a" or its file name)
    b: str
    similarity: float | None  # cosine of the two image embeddings, where known
    fact_similarity: float | None  # Jaccard of the two images' features at the caption level
    differences: list[Difference] = field(default_factory=list)
    signature_similarity: float | None = None  # cosine of the near-duplicate signatures, where known
    copied: list[str] = field(
        default_factory=list
    )  # how b was made from a, for a copy ("cropped", "made grey")

    def at(self, level: str) -> list[Difference]:
        """The differences a description at `level` states (those of the levels below it too)."""
        rank = _LEVEL_RANK.get(level, 3)
        return [d for d in self.differences if _LEVEL_RANK[d.level] <= rank]

    def text(self, level: str = "caption") -> str:
        """The differences at `level` in words; alike ones said once, counted ("three people are only in
        b.jpg", not "a person is only in b.jpg" three times)."""
        said = Counter(d.text_at(level) for d in self.at(level))
        if not said:
            return _NO_DIFFERENCE
        return "; ".join(_many(text, n) if n > 1 else text for text, n in said.items())

    def to_dict(self, levels: tuple[str, ...] = ("object", "attribute", "layout")) -> dict[str, Any]:
        return {
            "type": "pair",
            "a": self.a,
            "b": self.b,
            "similarity": self.similarity,
            "fact_similarity": self.fact_similarity,
            "signature_similarity": self.signature_similarity,
            "copied": self.copied,
            "differences": {lv: [asdict(d) for d in self.at(lv)] for lv in levels},
            "texts": {lv: self.text(lv) for lv in levels},
        }


def compare_pair(
    a: Description,
    b: Description,
    *,
    similarity: float | None = None,
    names: tuple[str, str] = ("a", "b"),
    changed: np.ndarray | None = None,
) -> PairComparison:
    """Compare two descriptions; images without facts compare as having none (every object differs).
    With `changed` (the cells where the pixels differ, `multicap.compare.change`), only differences
    there are stated."""
    fa, fb = a.facts or SceneFacts(), b.facts or SceneFacts()
    feats_a, feats_b = (_unhedged(image_features(f, "caption")) for f in (fa, fb))
    union = feats_a | feats_b
    jaccard = round(len(feats_a & feats_b) / len(union), 4) if union else None  # as the other scores
    diffs = compare_facts(fa, fb, names=names, changed=changed)
    return PairComparison(names[0], names[1], similarity, jaccard, diffs)


def _unhedged(features: set[str]) -> set[str]:
    """Features with a guess's "perhaps" left out: a dog named at 0.29 in one photo ("perhaps dog") and at
    0.31 in another shares "dog" with it, as far as what they show goes."""
    return {f.removeprefix("perhaps ") for f in features}


def compare_facts(
    a: SceneFacts,
    b: SceneFacts,
    *,
    names: tuple[str, str] = ("a", "b"),
    changed: np.ndarray | None = None,
    compared: np.ndarray | None = None,
    min_read_confidence: float = MIN_READ_CONFIDENCE,
) -> list[Difference]:
    """Every difference between two images' facts, objects first (see the module docstring).

    `changed` (GRID, GRID) bool, where given, keeps only the differences of objects whose boxes (in a or
    in b, grown by a cell) hold a changed cell, a move (and a changed relation) only where the pixels
    changed at both places of a moved object, and the background's only where most cells changed (of the
    `compared` cells, where only some could be: a crop's).
    Nothing is said of an object that a captioner read with less than `min_read_confidence`
    (SceneObject.read_confidence: a word of it was a guess).
    """
    if changed is not None and not changed.any():
        return []  # the pixels show no change: whatever the descriptions say differently is a misreading

    def unsure(o: SceneObject) -> bool:
        return o.read_confidence is not None and o.read_confidence < min_read_confidence

    def seen(*objects: SceneObject) -> bool:
        if any(unsure(o) for o in objects):
            return False
        return changed is None or any(touches(changed, o.box) for o in objects)

    def alone(obj: SceneObject, other: SceneFacts) -> bool:
        """Unmatched, and no unsure reading in the other image stands where it is (which could be it)."""
        return seen(obj) and not any(
            unsure(o) and _iou(o.box, obj.box) >= STAND_IN_IOU for o in other.objects
        )

    match = match_objects(a.objects, b.objects)
    matched_b = set(match.values())
    out: list[Difference] = []
    for i, obj in enumerate(a.objects):
        if i not in match and alone(obj, b):
            out.append(_presence("removed", obj, names[0]))
    for j, obj in enumerate(b.objects):
        if j not in matched_b and alone(obj, a):
            out.append(_presence("added", obj, names[1]))
    moved: set[int] = set()
    for i, j in sorted(match.items()):
        changes = (
            _object_changes(a.objects[i], b.objects[j], names) if seen(a.objects[i], b.objects[j]) else []
        )
        if changed is not None and not _moved_in_pixels(changed, a.objects[i], b.objects[j]):
            changes = [d for d in changes if d.kind != "position"]
        moved |= {i for d in changes if d.kind == "position"}
        out.extend(changes)
    for d, (i, k) in _relation_changes(a, b, match, moved, names):
        # a relation changes only when one of its objects moves: with pixels, one of them must visibly have
        if changed is None or any(
            _moved_in_pixels(changed, a.objects[x], b.objects[match[x]]) for x in (i, k)
        ):
            out.append(d)
    if changed is None or changed.sum() >= 0.5 * (compared.sum() if compared is not None else changed.size):
        out.extend(_scene_changes(a, b, names))
    return out


def _moved_in_pixels(changed: np.ndarray, oa: SceneObject, ob: SceneObject) -> bool:
    """An object moved only if the pixels changed both where it was and where it is, two places apart
    (boxes overlapping by less than `MOVE_IOU`)."""
    return touches(changed, oa.box) and touches(changed, ob.box) and _iou(oa.box, ob.box) < MOVE_IOU


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union if union > 0 else 0.0


def match_objects(a: list[SceneObject], b: list[SceneObject]) -> dict[int, int]:
    """index in a → index in b for objects of the same label, the best-fitting pairs first; then, of those
    left, an object and one of its kind ("an Egyptian cat" and "a cat": the set's summary had said both
    show a cat, the pair that each is only in one)."""
    match: dict[int, int] = {}
    taken: set[int] = set()
    for alike in (_same_label, _of_its_kind):
        scored = [(_fit(oa, ob), i, j) for i, oa in enumerate(a) for j, ob in enumerate(b) if alike(oa, ob)]
        for _, i, j in sorted(scored, key=lambda t: (-t[0], t[1], t[2])):
            if i not in match and j not in taken:
                match[i] = j
                taken.add(j)
    return match


def _same_label(a: SceneObject, b: SceneObject) -> bool:
    return a.label == b.label


def _of_its_kind(a: SceneObject, b: SceneObject) -> bool:
    """Whether one object's label is a word above the other's (its WordNet tags: "cat" of "Egyptian cat")."""
    return a.label in _tags(b) or b.label in _tags(a)


def _tags(obj: SceneObject) -> set[str]:
    tags = obj.attributes.get("tags")
    return set(tags.split(", ")) if isinstance(tags, str) and tags else set()


def _fit(a: SceneObject, b: SceneObject) -> float:
    """How alike two same-label objects are: colour counts most, then size and position, then distance."""
    same = [a.attributes.get(k) == b.attributes.get(k) for k in ("colour", "size", "position")]
    ca, cb = _centre(a), _centre(b)
    distance = ((ca[0] - cb[0]) ** 2 + (ca[1] - cb[1]) ** 2) ** 0.5
    return 3.0 * same[0] + same[1] + same[2] + (1.0 - min(distance, 1.0)) * 0.5


def _centre(obj: SceneObject) -> tuple[float, float]:
    return (obj.box[0] + obj.box[2]) / 2, (obj.box[1] + obj.box[3]) / 2


def _name(obj: SceneObject, *keys: str) -> str:
    """ "large red circle" from the attributes named (those the object has); a person as the describer
    says one ("nearby person in black", `object_phrase`)."""
    return object_phrase(obj, size="size" in keys, colour="colour" in keys)


def only_in(obj: SceneObject, name: str, *, removed: bool = True) -> Difference:
    """ "a red circle on the left is only in a.jpg": `obj` is in the image called `name` alone (removed
    from a, or added in b)."""
    return _presence("removed" if removed else "added", obj, name)


def read_surely(obj: SceneObject, least: float = MIN_READ_CONFIDENCE) -> bool:
    """Whether a captioner read `obj` with at least `least` (every object a describer found is)."""
    return obj.read_confidence is None or obj.read_confidence >= least


def _be(obj: SceneObject) -> str:
    """The verb the object's name agrees with: "the trees are", "the dog is"."""
    return "are" if is_plural(obj.label) else "is"


def _presence(kind: str, obj: SceneObject, only_in: str) -> Difference:
    where = obj.attributes.get("position")
    place = f" {POSITION_PHRASES.get(where, 'at ' + where)}" if where else ""  # as describe: "on the left"
    value = _name(obj, "size", "colour")
    be = _be(obj)  # "green trees are only in b.jpg"
    wording = {
        "object": f"{with_article(obj.label)} {be} only in {only_in}",
        "attribute": f"{with_article(value)} {be} only in {only_in}",
    }
    text = f"{with_article(value)}{place} {be} only in {only_in}"
    return Difference(kind, obj.label, _name(obj, "colour"), value if kind == "removed" else None,
                      value if kind == "added" else None, text, wording)  # fmt: skip


def _object_changes(oa: SceneObject, ob: SceneObject, names: tuple[str, str]) -> list[Difference]:
    a, b = names
    if oa.label != ob.label and ob.label in _tags(oa):  # "an Egyptian cat" and "a cat": said as the cat
        oa = replace(oa, label=ob.label)
    out = []
    differ = {k for k in ("colour", "size") if oa.attributes.get(k) and ob.attributes.get(k)}
    differ = {k for k in differ if oa.attributes[k] != ob.attributes[k]}
    for key in ("colour", "size"):
        va, vb = oa.attributes.get(key), ob.attributes.get(key)
        if va and vb and va != vb:
            other = "size" if key == "colour" else "colour"
            # named by what does not change: "the small bell cote is gray in a, brown in b; the gray bell
            # cote is small in a, ..." named one thing two ways
            subject = _name(oa, other) if other not in differ else _name(oa)
            text = f"the {subject} {_be(oa)} {va} in {a}, {vb} in {b}"
            if oa.label == "person" and key == "colour":  # what they wear
                text = f"the {subject} wears {va} in {a}, {vb} in {b}"
            elif oa.label == "person":  # how near they are
                near_a, near_b = PERSON_DISTANCE.get(va, va), PERSON_DISTANCE.get(vb, vb)
                text = f"the {subject} is {near_a} in {a}, {near_b} in {b}"
            out.append(Difference(key, oa.label, subject, va, vb, text))
    pa, pb = oa.attributes.get("position"), ob.attributes.get("position")
    if pa and pb and pa != pb:
        subject = _name(oa, "colour")
        text = f"the {subject} moved from {_PLACES.get(pa, pa)} to {_PLACES.get(pb, pb)}"
        out.append(Difference("position", oa.label, subject, pa, pb, text))
    return out


def _relation_changes(
    a: SceneFacts, b: SceneFacts, match: dict[int, int], moved: set[int], names: tuple[str, str]
) -> list[tuple[Difference, tuple[int, int]]]:
    """Relations between matched objects that neither moved, stated differently in a and in b, each with
    its two objects' indices in a."""
    in_b = {(r.subject, r.object): r.predicate for r in b.relations}
    out = []
    for r in a.relations:
        if r.subject in moved or r.object in moved or r.subject not in match or r.object not in match:
            continue
        s, o = match[r.subject], match[r.object]
        after = in_b.get((s, o)) or _inverse(in_b.get((o, s)))
        if after is None or after == r.predicate:
            continue
        subject, obj = _name(a.objects[r.subject], "colour"), _name(a.objects[r.object], "colour")
        be = _be(a.objects[r.subject])
        text = f"the {subject} {be} {r.predicate} the {obj} in {names[0]}, {after} it in {names[1]}"
        label = f"{a.objects[r.subject].label} / {a.objects[r.object].label}"
        out.append(
            (
                Difference("relation", label, f"{subject} / {obj}", r.predicate, after, text),
                (r.subject, r.object),
            )
        )
    return out


_INVERSE = {"left of": "right of", "right of": "left of", "above": "below", "below": "above"}


def _inverse(predicate: str | None) -> str | None:
    if predicate is None:
        return None
    return _INVERSE.get(predicate, predicate if predicate == "next to" else None)


def _scene_changes(a: SceneFacts, b: SceneFacts, names: tuple[str, str]) -> list[Difference]:
    out = []
    for key in _SCENE_ATTRIBUTES:
        va, vb = a.image_attributes.get(key), b.image_attributes.get(key)
        if va and vb and va != vb:
            what = key.replace("_", " ")
            if key == "setting":  # a place: "a church", not "church"
                va, vb = with_article(va), with_article(vb)
            text = f"the {what} is {va} in {names[0]}, {vb} in {names[1]}"
            out.append(Difference("background", key, what, va, vb, text))
    return out


def _many(text: str, n: int) -> str:
    """ "a person in black is only in b" said of `n` alike things: "two people in black are only in b"."""
    thing, only, where = text.partition(" is only in ")
    if not only or not thing.startswith(("a ", "an ")):
        return text  # not a presence: said once
    parts = re.split(r"( (?:in|on|at) the )", thing.split(" ", 1)[1], maxsplit=1)  # name, " on the ", place
    name, at, place = [*parts, "", ""][:3]
    name = name.replace("person", "people", 1) if "person" in name.split() else plural(name)
    return f"{count_word(n)} {name}{at}{place} are only in {where}"
