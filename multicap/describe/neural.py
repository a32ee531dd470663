"""The neural describer: a trained captioner bundle says each level; attention says where each word looked.

Text and confidence (the mean per-token probability, exp of the caption's mean log-probability) come from
the bundle. Where the bundle names a reader (`multicap.facts.readers`; the synthetic scenes' grammar for
`scenes-small`), its texts are read back into SceneFacts, so that sets and search can work on facts; each
parsed object's box and position then come from the attention of the word that named it. The layout
sentence names every object on its own, so the facts of the other levels are cross-read with it: its
positions and relations join them, and so do the objects only it names (decoded for the facts alone when
the layout level was not asked for; set summaries and pair differences miss fewer objects).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from multicap.captioning.bundle import Bundle, load_bundle
from multicap.captioning.domain import pooled
from multicap.describe.description import DescribedBatch, Description, attention_locations
from multicap.encoders.preprocess import featureless
from multicap.facts import Reader, Relation, SceneFacts, SceneObject, get_reader
from multicap.facts.versions import NEURAL
from multicap.io import load_image

__all__ = ["NeuralDescriber", "attention_locations"]

# Levels whose parsed objects carry most attributes, best first; layout adds positions and relations.
_FACT_LEVELS = ("attribute", "caption", "object", "layout")
# Levels whose sentences count equal objects instead of naming each ("two diamonds").
_GROUPED_LEVELS = ("object", "attribute")


class NeuralDescriber:
    """A captioner bundle as a describer (`--model BUNDLE`)."""

    def __init__(self, bundle: Bundle, device: str = "cpu", cross_read: bool = True) -> None:
        self.bundle = bundle
        self.reader: Reader | None = get_reader(bundle.reader) if bundle.reader else None
        self.cross_read = cross_read  # objects only the layout reading names join the facts of the other
        #                               levels (`_add_layout`), a layout reading made for it if not asked for
        self.encoder = bundle.encoder.create(device=device)
        self.name = f"bundle {bundle.path if bundle.path else 'in memory'}"  # a path: every run has a best/
        self.version = NEURAL  # what it says, versioned (multicap.facts.versions)
        self.levels: tuple[str, ...] = tuple(bundle.levels)
        gh, gw = bundle.model.config.grid_hw
        self.grid_hw: tuple[int, int] = (gh, gw)

    @classmethod
    def from_bundle(cls, path_or_name: str | Path, device: str = "cpu", **options: Any) -> NeuralDescriber:
        return cls(load_bundle(path_or_name, device=device), device=device, **options)

    def load(self, path: Path) -> torch.Tensor:
        """Decode one file to the bundle encoder's input (raises ImageLoadError)."""
        pre = self.encoder.preprocess
        return pre.to_uint8(load_image(path, min_short_side=pre.size))

    def describe_batch(
        self, paths: Sequence[Path], loaded: Sequence[torch.Tensor], levels: Sequence[str]
    ) -> DescribedBatch:
        pixels = torch.stack(list(loaded))  # (B, 3, H, W)
        feats = self.encoder.encode_batch(pixels)  # grid (B, N, D)
        out = [Description(Path(p)) for p in paths]
        unlike = featureless(pixels)  # a blank image: nothing to caption
        if self.bundle.domain is not None:  # a photo to a scenes captioner: its texts mean nothing
            unlike |= self.bundle.domain.unlike(pooled(feats.grid))
        for desc, flag in zip(out, unlike, strict=True):
            desc.unlike_training = bool(flag)
        for level in levels:
            captions = self.bundle.caption(feats.grid, [level] * len(out))
            for desc, cap in zip(out, captions, strict=True):
                desc.texts[level] = cap.text
                desc.confidence[level] = round(float(np.exp(cap.logprob)), 4)
                desc.captions[level] = cap
        layouts: list[Any] = [desc.captions.get("layout") for desc in out]
        if self.reader is None:
            return DescribedBatch(feats, out)
        if self.cross_read and "layout" in self.levels and "layout" not in levels and levels:
            layouts = self.bundle.caption(feats.grid, ["layout"] * len(out))  # for the facts only
        for desc, layout in zip(out, layouts, strict=True):
            desc.facts = self._facts(self.reader, desc, layout)
        return DescribedBatch(feats, out)

    def _facts(self, reader: Reader, desc: Description, layout_caption: Any = None) -> SceneFacts | None:
        """Facts parsed from the texts: objects from the most telling level, positions and relations from
        a layout reading (the layout text, or `layout_caption` decoded for the facts alone) where it names
        the same objects, boxes from the attention of each object's word."""
        level = next((lv for lv in _FACT_LEVELS if lv in desc.texts), None)
        if level is None:
            return None
        facts = reader.parse(desc.texts[level])
        seen_at = _locate(reader, facts, desc.captions[level], self.grid_hw)
        if level in _GROUPED_LEVELS:
            facts = _without_repeats(reader, facts, desc.texts[level])
        if level != "layout" and layout_caption is not None:
            layout = reader.parse(layout_caption.text)
            _locate(reader, layout, layout_caption, self.grid_hw)
            # on an image unlike the training images, the hidden layout reading's extra objects are left
            # out: a photo's facts had named a cross its printed text never said, and the set's summary
            # ("both images: cross") contradicted both texts (a walkthrough)
            _add_layout(facts, layout, add_missing=self.cross_read and not desc.unlike_training)
        for obj in facts.objects:
            if id(obj) in seen_at:
                obj.attributes.setdefault("position", seen_at[id(obj)])
        return facts if facts.objects else None


def _locate(reader: Reader, facts: SceneFacts, caption: Any, grid_hw: tuple[int, int]) -> dict[int, str]:
    """Give each parsed object the box of the attention of the noun that named it and the confidence of its
    phrase; → id(object) → the position that noun looked at."""
    locations = attention_locations(caption, grid_hw)
    seen_at: dict[int, str] = {}
    for obj, loc in zip(facts.objects, _own_nouns(reader, facts, locations), strict=True):
        if loc is not None:
            obj.box = tuple(loc["box"])
            obj.read_confidence = _phrase_confidence(reader, locations, loc)
            seen_at[id(obj)] = loc["position"]
    return seen_at


def _without_repeats(reader: Reader, facts: SceneFacts, text: str) -> SceneFacts:
    """Drop an object that a grouped level's text names again as another singular: these levels count
    equal objects ("two small red circles"), so "a small red circle, a small red circle" is the decoder
    repeating itself (a slip beam search makes), not a second circle."""
    words = set(text.lower().replace(",", " ").split())
    seen: set[tuple[str, str | None, str | None]] = set()
    index: dict[int, int] = {}  # old index → new, for the objects kept
    for i, obj in enumerate(facts.objects):
        key = (obj.label, obj.attributes.get("colour"), obj.attributes.get("size"))
        if key in seen and reader.plural(obj.label) not in words:
            continue
        seen.add(key)
        index[i] = len(index)
    if len(index) == len(facts.objects):
        return facts
    relations = [
        Relation(index[r.subject], r.predicate, index[r.object])
        for r in facts.relations
        if r.subject in index and r.object in index
    ]
    objects = [facts.objects[i] for i in index]
    return SceneFacts(objects=objects, relations=relations, image_attributes=facts.image_attributes)


def _own_nouns(
    reader: Reader, facts: SceneFacts, locations: list[dict[str, Any]]
) -> list[dict[str, Any] | None]:
    """The location of the noun that named each parsed object, objects and nouns both in sentence order:
    the second "diamond" of a caption locates the second diamond, not the first (a plural, "two diamonds",
    locates every object it names)."""
    out: list[dict[str, Any] | None] = []
    cursor = 0
    for obj in facts.objects:
        names = (obj.label, reader.plural(obj.label))
        found = next((k for k in range(cursor, len(locations)) if locations[k]["word"] in names), None)
        if found is None:  # out of order: any mention of the label
            found = next((k for k, loc in enumerate(locations) if loc["word"] in names), None)
        out.append(None if found is None else locations[found])
        if found is not None:
            cursor = found + (locations[found]["word"] == obj.label)  # a plural stays for the next one
    return out


def _phrase_confidence(reader: Reader, locations: list[dict[str, Any]], noun: dict[str, Any]) -> float:
    """The least probability the decoder gave a word of an object's phrase: its noun and the count,
    size and colour words just before it ("two large cyan circles"); 1.0 where none was kept."""
    k = next(i for i, loc in enumerate(locations) if loc is noun)
    phrase = [noun]
    while k > 0 and locations[k - 1]["word"] in reader.qualifiers:
        k -= 1
        phrase.append(locations[k])
    return min(loc.get("confidence", 1.0) for loc in phrase)


def _add_layout(facts: SceneFacts, layout: SceneFacts, add_missing: bool = True) -> None:
    """Merge the layout parse into `facts`: positions (and relations between matched objects) onto the
    objects both readings name (same shape and colour first, then the same shape), and, with `add_missing`,
    the objects only the layout reading names appended, as it read them (shape, colour, position).

    A layout sentence names each object on its own, in reading order ("a red star at the top, a blue
    star below it ..."), where the object and attribute levels count equal objects ("two stars"): it misses
    fewer objects (benchmarks/RESULTS.md), so an object it names that the other reading lacks is kept.
    """
    match: dict[int, int] = {}  # layout index → facts index
    for same in (_same_shape_and_colour, _same_shape):
        for j, lobj in enumerate(layout.objects):
            if j in match:
                continue
            i = next(
                (i for i, o in enumerate(facts.objects) if i not in match.values() and same(o, lobj)), None
            )
            if i is not None:
                match[j] = i
                if "position" in lobj.attributes:
                    facts.objects[i].attributes["position"] = lobj.attributes["position"]
    for j, lobj in enumerate(layout.objects):
        if add_missing and j not in match:
            match[j] = len(facts.objects)
            facts.objects.append(lobj)
    facts.relations = [
        Relation(match[r.subject], r.predicate, match[r.object])
        for r in layout.relations
        if r.subject in match and r.object in match
    ]


def _same_shape_and_colour(a: SceneObject, b: SceneObject) -> bool:
    return a.label == b.label and a.attributes.get("colour") == b.attributes.get("colour")


def _same_shape(a: SceneObject, b: SceneObject) -> bool:
    return a.label == b.label
