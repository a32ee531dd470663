"""The neural describer: a trained captioner bundle says each level; attention says where each word looked.

Text and confidence (the mean per-token probability, exp of the caption's mean log-probability) come from
the bundle. Where the text uses the synthetic scenes' vocabulary, `multicap.data.scenes.parse` reads it
back into SceneFacts, so that sets and search can work on facts; each parsed object's box and position
then come from the attention of the word that named it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from multicap.io import load_image
from multicap.levels.description import Description
from multicap.levels.facts import Relation, SceneFacts
from multicap.levels.layout import position_of

__all__ = ["NeuralDescriber", "attention_locations"]

# Levels whose parsed objects carry most attributes, best first; layout adds positions and relations.
_FACT_LEVELS = ("attribute", "caption", "object", "layout")
# Levels whose sentences count equal objects instead of naming each ("two diamonds").
_GROUPED_LEVELS = ("object", "attribute")
_FUNCTION_WORDS = frozenset(
    {"a", "an", "the", "of", "to", "in", "on", "at", "is", "are", "and", "with", "there", "it", "its"}
)


def attention_locations(caption: Any, grid_hw: tuple[int, int]) -> list[dict[str, Any]]:
    """Each content word of a caption with where it looked (the box of cells at half the peak or more)
    and, where the decoder kept it, the probability it gave the word (`confidence`)."""
    if caption.attention is None:
        return []
    gh, gw = grid_hw
    probs = caption.token_logprobs
    out = []
    for t, (word, alpha) in enumerate(zip(caption.tokens, caption.attention, strict=False)):
        if word in _FUNCTION_WORDS or not word.isalpha():
            continue
        box = _attention_box(np.asarray(alpha).reshape(gh, gw))
        loc = {"word": word, "box": [round(v, 4) for v in box], "position": position_of(box)}
        if probs is not None:
            loc["confidence"] = round(float(np.exp(probs[t])), 4)
        out.append(loc)
    return out


def _attention_box(cells: np.ndarray) -> tuple[float, float, float, float]:
    """(h, w) attention → the box of the cells with at least half its peak, in 0..1."""
    gh, gw = cells.shape
    rows, cols = np.nonzero(cells >= 0.5 * cells.max())
    return (cols.min() / gw, rows.min() / gh, (cols.max() + 1) / gw, (rows.max() + 1) / gh)


class NeuralDescriber:
    """A captioner bundle as a describer (`--model BUNDLE`)."""

    def __init__(self, bundle: Any, device: str = "cpu") -> None:
        self.bundle = bundle
        self.encoder = bundle.encoder.create(device=device)
        self.name = f"bundle {bundle.path.name if bundle.path else 'in memory'}"
        self.levels: tuple[str, ...] = tuple(bundle.levels)
        self.grid_hw: tuple[int, int] = tuple(bundle.model.config.grid_hw)

    @classmethod
    def from_bundle(cls, path_or_name: str | Path, device: str = "cpu") -> NeuralDescriber:
        from multicap.captioning.bundle import load_bundle

        return cls(load_bundle(path_or_name, device=device), device=device)

    def load(self, path: Path) -> torch.Tensor:
        """Decode one file to the bundle encoder's input (raises ImageLoadError)."""
        pre = self.encoder.preprocess
        return pre.to_uint8(load_image(path, min_short_side=pre.size))

    def describe_batch(
        self, paths: Sequence[Path], loaded: Sequence[torch.Tensor], levels: Sequence[str]
    ) -> list[Description]:
        feats = self.encoder.encode_batch(torch.stack(list(loaded)))  # grid (B, N, D)
        out = [Description(Path(p)) for p in paths]
        for level in levels:
            captions = self.bundle.caption(feats.grid, [level] * len(out))
            for desc, cap in zip(out, captions, strict=True):
                desc.texts[level] = cap.text
                desc.confidence[level] = round(float(np.exp(cap.logprob)), 4)
                desc.captions[level] = cap
        for desc in out:
            desc.facts = self._facts(desc)
        return out

    def _facts(self, desc: Description) -> SceneFacts | None:
        """Facts parsed from the texts: objects from the most telling level, positions and relations from
        the layout text where it names the same objects, boxes from the attention of each object's word."""
        from multicap.data.scenes import parse

        level = next((lv for lv in _FACT_LEVELS if lv in desc.texts), None)
        if level is None:
            return None
        facts = parse(desc.texts[level])
        locations = attention_locations(desc.captions[level], self.grid_hw)
        seen_at: dict[int, str] = {}  # id(object) → the position its own noun looked at
        for obj, loc in zip(facts.objects, _own_nouns(facts, locations), strict=True):
            if loc is not None:
                obj.box = tuple(loc["box"])
                obj.read_confidence = _phrase_confidence(locations, loc)
                seen_at[id(obj)] = loc["position"]
        if level in _GROUPED_LEVELS:
            facts = _without_repeats(facts, desc.texts[level])
        if not facts.objects:
            return None
        if level != "layout" and "layout" in desc.texts:
            _add_layout(facts, parse(desc.texts["layout"]))
        for obj in facts.objects:
            if id(obj) in seen_at:
                obj.attributes.setdefault("position", seen_at[id(obj)])
        return facts


def _without_repeats(facts: SceneFacts, text: str) -> SceneFacts:
    """Drop an object that a grouped level's text names again as another singular: these levels count
    equal objects ("two small red circles"), so "a small red circle, a small red circle" is the decoder
    repeating itself (a slip beam search makes), not a second circle."""
    from multicap.data.scenes.vocab import SHAPE_PLURALS

    words = set(text.lower().replace(",", " ").split())
    seen: set[tuple[str, str | None, str | None]] = set()
    index: dict[int, int] = {}  # old index → new, for the objects kept
    for i, obj in enumerate(facts.objects):
        key = (obj.label, obj.attributes.get("colour"), obj.attributes.get("size"))
        if key in seen and SHAPE_PLURALS.get(obj.label, obj.label + "s") not in words:
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


def _own_nouns(facts: SceneFacts, locations: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """The location of the noun that named each parsed object, objects and nouns both in sentence order:
    the second "diamond" of a caption locates the second diamond, not the first (a plural, "two diamonds",
    locates every object it names)."""
    from multicap.data.scenes.vocab import SHAPE_PLURALS

    out: list[dict[str, Any] | None] = []
    cursor = 0
    for obj in facts.objects:
        names = (obj.label, SHAPE_PLURALS.get(obj.label, obj.label + "s"))
        found = next((k for k in range(cursor, len(locations)) if locations[k]["word"] in names), None)
        if found is None:  # out of order: any mention of the label
            found = next((k for k, loc in enumerate(locations) if loc["word"] in names), None)
        out.append(None if found is None else locations[found])
        if found is not None:
            cursor = found + (locations[found]["word"] == obj.label)  # a plural stays for the next one
    return out


@functools.cache
def _qualifiers() -> frozenset[str]:
    """The count, size and colour words of every wording of the scenes' sentences."""
    from multicap.data.scenes.describe import SIZE_STYLES
    from multicap.data.scenes.vocab import COLOURS, NUMBER_WORDS

    sizes = {word for style in SIZE_STYLES for word in style.values()} | {"tiny", "huge"}
    return frozenset({*COLOURS, *NUMBER_WORDS, *sizes})


def _phrase_confidence(locations: list[dict[str, Any]], noun: dict[str, Any]) -> float:
    """The least probability the decoder gave a word of an object's phrase: its noun and the count,
    size and colour words just before it ("two large cyan circles"); 1.0 where none was kept."""
    k = next(i for i, loc in enumerate(locations) if loc is noun)
    phrase = [noun]
    while k > 0 and locations[k - 1]["word"] in _qualifiers():
        k -= 1
        phrase.append(locations[k])
    return min(loc.get("confidence", 1.0) for loc in phrase)


def _add_layout(facts: SceneFacts, layout: SceneFacts) -> None:
    """Copy positions (and relations between matched objects) from the layout parse onto `facts`."""
    match: dict[int, int] = {}  # layout index → facts index
    for j, lobj in enumerate(layout.objects):
        for i, obj in enumerate(facts.objects):
            same = obj.label == lobj.label and obj.attributes.get("colour") == lobj.attributes.get("colour")
            if same and i not in match.values():
                match[j] = i
                if "position" in lobj.attributes:
                    obj.attributes["position"] = lobj.attributes["position"]
                break
    facts.relations = [
        Relation(match[r.subject], r.predicate, match[r.object])
        for r in layout.relations
        if r.subject in match and r.object in match
    ]
