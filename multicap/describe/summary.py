"""What a set of described images shares, and what sets each image apart, at one level.

    summary = summarize_set(descriptions, level="layout")
    print(summary.text)

Each image's facts become readable features at the asked level: at `object` the names of its objects and
their WordNet hypernyms ("tiger cat", "cat", "animal"); at `attribute` also "brown tiger cat", "large tiger
cat" and the image's looks ("bright", "landscape format", "brown palette"); at `layout` also "tiger cat in the
centre", relations and the setting ("on a seashore"); `caption` takes everything. A feature all images have
is shared; one that at least `most` of them have is common; one that no other image has distinguishes its
image. Of a chain of shared hypernyms only the most specific is said ("cat", not also "feline", "animal").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from multicap.describe.description import Description
from multicap.describe.verbalize import GUESS, coloured, object_phrase, setting_phrase
from multicap.facts import SceneFacts, SceneObject

__all__ = ["SetSummary", "ancestors", "concepts", "image_features", "looks", "summarize_set"]

_POSITION_WORDS = {
    "top left": "at the top left", "top": "at the top", "top right": "at the top right",
    "left": "on the left", "center": "in the centre", "right": "on the right",
    "bottom left": "at the bottom left", "bottom": "at the bottom", "bottom right": "at the bottom right",
}  # fmt: skip
_LOOKS = ("brightness", "colourfulness")  # image attributes said as they are
_FORMAT = "orientation"  # said as a format: a bare "landscape" or "portrait" reads as what the photo shows
_BACKGROUND = ("background", "background_colour")  # scenes: "stripes background", "gray background"


@dataclass
class SetSummary:
    level: str
    n_images: int
    shared: list[str] = field(default_factory=list)  # features every image has
    common: list[tuple[str, int]] = field(default_factory=list)  # (feature, images) held by most, not all
    some: list[tuple[str, int]] = field(default_factory=list)  # (thing, images) two or more show, not most
    distinct: dict[str, list[str]] = field(default_factory=dict)  # image path → features no other has
    text: str = ""

    def render(self, name: Callable[[str], str]) -> str:
        """`text` with each image's path written by `name` (a terminal escapes a newline in a file name)."""
        return _text(self, name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "set",
            "level": self.level,
            "n_images": self.n_images,
            "shared": self.shared,
            "common": [{"feature": f, "images": n} for f, n in self.common],
            "some": [{"feature": f, "images": n} for f, n in self.some],
            "distinct": self.distinct,
            "text": self.text,
        }


def _tags(obj: SceneObject) -> list[str]:
    return [t for t in obj.attributes.get("tags", "").split(", ") if t]


def concepts(facts: SceneFacts) -> set[str]:
    """What one image shows, as names: each object's label and its hypernym tags, guessed or not ("a
    bubble": bubble, globule, ball, sphere, round shape, shape)."""
    return {name for obj in facts.objects for name in (obj.label, *_tags(obj))}


def _object_chains(obj: SceneObject, level: str) -> list[list[str]]:
    """The object's features, each as a chain from its name up its hypernyms (nearest first):
    ["brown tabby", "brown domestic cat", "brown cat", …]."""
    names = [obj.label, *_tags(obj)]
    colour, pos = obj.attributes.get("colour"), obj.attributes.get("position")
    sized = object_phrase(obj, colour=False) != obj.label  # the sky, grass and trees take no size
    chains = [names]
    if level in ("attribute", "caption"):
        if obj.label == "person":  # "person in black", "nearby person": never "black person", "black face"
            phrases = (object_phrase(obj, size=False), object_phrase(obj, colour=False))
            chains += [[phrase] for phrase in dict.fromkeys(phrases) if phrase != obj.label]
        else:
            chains += [[coloured(colour, name) for name in names]] if colour else []
            chains += [[f"{obj.attributes['size']} {name}" for name in names]] if sized else []
    if level in ("layout", "caption") and pos in _POSITION_WORDS:
        chains.append([f"{name} {_POSITION_WORDS[pos]}" for name in names])
    # A guess is hedged as its text is ("perhaps a monkey": a set's summary had stated it as a fact), and
    # only named: a cluster of streets had read "perhaps medium garbage truck".
    if obj.attributes.get("certainty") == GUESS:
        return [[f"perhaps {name}" for name in names]]
    return chains


def looks(facts: SceneFacts, level: str) -> set[str]:
    """How the whole image looks, as features at `level`: its brightness, colourfulness, format, palette
    and background ("moderately bright", "square format", "gray palette"), not what it shows."""
    a = facts.image_attributes
    out: set[str] = set()
    if level in ("attribute", "caption"):
        out |= {a[k] for k in _LOOKS if a.get(k)}
        out |= {f"{a[_FORMAT]} format"} if a.get(_FORMAT) else set()
        out |= {f"{c} palette" for c in a.get("palette", "").split(", ") if c}
        out |= {f"{a[k]} background" for k in _BACKGROUND if a.get(k)}
    return out


def _image_features(facts: SceneFacts, level: str) -> set[str]:
    out = looks(facts, level)
    if level in ("layout", "caption"):
        setting = setting_phrase(facts)  # as the texts say it: not where an object says it ("by a bridge")
        if setting:
            out.add(setting)
        objs = facts.objects
        out |= {f"{objs[r.subject].label} {r.predicate} {objs[r.object].label}" for r in facts.relations}
    return out


def image_features(facts: SceneFacts, level: str) -> set[str]:
    """The readable features of one image's facts at `level` (see the module docstring)."""
    out = _image_features(facts, level)
    for obj in facts.objects:
        for chain in _object_chains(obj, level):
            out.update(chain)
    return out


def ancestors(descs: Sequence[Description], level: str) -> dict[str, set[str]]:
    """feature → the more general features above it ("brown tabby" → "brown cat", "brown animal" …)."""
    above: dict[str, set[str]] = {}
    for d in descs:
        for obj in d.facts.objects if d.facts else []:
            for chain in _object_chains(obj, level):
                for k, name in enumerate(chain):  # a tag may repeat the label ("person": person, people)
                    above.setdefault(name, set()).update(f for f in chain[k + 1 :] if f != name)
    return above


def _most_specific(features: list[str], above: dict[str, set[str]], names: set[str]) -> list[str]:
    """Drop a feature that is a hypernym of another feature in the list, unless it is an object's own name
    (`names`): a bell cote's tags name the church it stands on, and the church beside it is still said."""
    implied = set().union(*(above.get(f, set()) for f in features)) if features else set()
    return [f for f in features if f not in implied or f in names]


def _names_first(features: list[str], names: set[str]) -> list[str]:
    """Object names before their qualified forms ("espresso" before "brown espresso"), else alphabetical."""
    return sorted(features, key=lambda f: (f not in names, f))


def summarize_set(
    descriptions: Sequence[Description], level: str = "object", most: float = 0.5
) -> SetSummary:
    """Shared, common (held by more than `most` of the images, not all) and distinguishing features."""
    descs = [d for d in descriptions if d.facts is not None]
    n = len(descs)
    feats = [image_features(d.facts, level) for d in descs if d.facts is not None]
    counts = Counter(f for fs in feats for f in fs)
    above = ancestors(descs, level)
    names = {o.label for d in descs for o in (d.facts.objects if d.facts else [])}
    shared = _most_specific(sorted(f for f, c in counts.items() if c == n), above, names) if n > 1 else []
    common_names = _most_specific(sorted(f for f, c in counts.items() if most * n < c < n), above, names)
    common = sorted(((f, counts[f]) for f in common_names), key=lambda t: (-t[1], t[0]))
    distinct = {
        str(d.path): _names_first(
            _most_specific(sorted(f for f in fs if counts[f] == 1), above, names), names
        )
        if n > 1
        else []
        for d, fs in zip(descs, feats, strict=True)
    }
    summary = SetSummary(level, n, shared, common, _some(descs, above, most), distinct)
    summary.text = _text(summary)
    return summary


_SOME = 6  # things said on the "some:" line, most often shown first


def _some(descs: list[Description], above: dict[str, set[str]], most: float) -> list[tuple[str, int]]:
    """What two or more of the images show but not most of them (an object's name or a word above it),
    most often shown first, leaving out a word above another that as many show ("animal" beside "dog"
    where only dogs are animals), and what is only guessed ("perhaps a monkey" is not said as a fact): a
    folder of four dogs and four people had read "all 8 images: nothing in common" and each image's own
    features, nothing of what several show. The 346 real photos: "some: animal (103 of 346), sky (99 of
    346), plant (78 of 346), building (45 of 346), ..."."""
    n = len(descs)
    sure = [[o for o in d.facts.objects if o.attributes.get("certainty") != GUESS] for d in descs if d.facts]
    counts = Counter(name for objects in sure for name in {w for o in objects for w in (o.label, *_tags(o))})
    held = [f for f, c in counts.items() if 2 <= c <= most * n]
    implied = {a for f in held for a in above.get(f, ()) if counts[a] == counts[f]}
    return sorted(((f, counts[f]) for f in held if f not in implied), key=lambda t: (-t[1], t[0]))[:_SOME]


def _text(s: SetSummary, name: Callable[[str], str] = str) -> str:
    if s.n_images < 2:
        return "one image: nothing to compare"
    every = "both images" if s.n_images == 2 else f"all {s.n_images} images"
    lines = [f"{every}: " + (", ".join(s.shared) if s.shared else "nothing in common")]
    if s.common:
        lines.append("most: " + ", ".join(f"{f} ({c} of {s.n_images})" for f, c in s.common[:8]))
    if s.some:
        lines.append("some: " + ", ".join(f"{f} ({c} of {s.n_images})" for f, c in s.some))
    shown = _ONLY_LINES if len(s.distinct) > _ONLY_LINES + 1 else len(s.distinct)  # one more: its line
    for path, feats in list(s.distinct.items())[:shown]:
        said = _unqualified(feats)
        lines.append(f"only {name(path)}: " + (", ".join(said[:8]) if said else "nothing of its own"))
    if len(s.distinct) > shown:  # a folder of 139 had printed 139 such lines under its summary
        more = len(s.distinct) - shown
        lines.append(f"... and {more} more images, each with what only it shows (--json lists them)")
    return "\n".join(lines)


def _unqualified(features: list[str]) -> list[str]:
    """The features without those that only qualify another listed ("puffer", not also "cyan and gray
    puffer", "large puffer", "puffer in the centre": a thing no other image shows is said once; its colour,
    size and place are in its own description). The JSON keeps them all."""
    words = [f" {f} " for f in features]
    return [f for f, w in zip(features, words, strict=True) if not any(g != w and g in w for g in words)]


_ONLY_LINES = 12  # images whose own features the text names, in order
