"""Grounded attention: which grid cells a reference's words are about, from the objects' boxes.

Where a corpus knows its objects' boxes (the synthetic scenes; COCO with instances), a sentence's words can
be tied to the objects they describe, and the attention that predicts those words can be told where to look
(`LossConfig.alpha_g`). The alignment reads the words alone, by rules:

- a noun names every object whose label (or its plural) it is: "diamonds" → all diamonds of the image;
  for a label of several words, the last one ("traffic light" → "light");
- the modifiers right before the noun (up to three words, back to a function word: "two", "large white")
  describe the same objects, and a colour among them keeps only the objects of that colour ("a large white
  square" → the white squares);
- with `spatial`, the spatial words of a clause ("in the top left corner", "to the right of it") describe
  the object that the clause names first for the first time (clauses end at `, ; : .`, "and", "with");
- with `background`, the word "background" and its modifiers ("a gradient olive background") describe
  the cells that no object covers (the row after the objects' in `scene_cells`);
- a noun that names no object of the image is left alone.

A step's target region is every cell a named object's box covers by at least a quarter of the cell, and
always the cell under the box centre, so the smallest object still has one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from multicap.facts.scene import SceneFacts

__all__ = ["Grounding", "align_words", "noun_forms", "object_cells", "plural", "scene_cells"]

# (word index in the sentence, indices of the objects it names)
Grounding = list[tuple[int, tuple[int, ...]]]

MIN_COVER = 0.25  # a cell belongs to a box when the box covers at least this fraction of it

CLAUSE_BREAKS = frozenset({",", ";", ":", "."})
CLAUSE_WORDS = frozenset({"and", "with"})  # they also start a clause for the spatial rule
# Words that say where something is: position and relation words of a clause.
SPATIAL_WORDS = frozenset(
    {"left", "right", "top", "bottom", "above", "below", "over", "under", "beneath", "upper", "lower"}
    | {"middle", "center", "centre", "corner", "side", "near", "next", "beside", "behind", "front"}
)
# Words that end a noun's run of modifiers (English articles, prepositions, pronouns, verbs of being).
FUNCTION_WORDS = frozenset(
    {"a", "an", "the", "this", "that", "these", "those", "of", "to", "in", "on", "at", "by", "with", "and"}
    | {"or", "is", "are", "sits", "sit", "stands", "there", "it", "its", "them", "they"}
    | SPATIAL_WORDS
)


def object_cells(facts: SceneFacts, grid_hw: tuple[int, int]) -> np.ndarray:
    """(objects, H·W) bool: the cells of the row-major grid that each object's box covers."""
    gh, gw = grid_hw
    out = np.zeros((len(facts.objects), gh * gw), dtype=bool)
    edges_y, edges_x = np.linspace(0.0, 1.0, gh + 1), np.linspace(0.0, 1.0, gw + 1)
    for i, obj in enumerate(facts.objects):
        x0, y0, x1, y1 = obj.box
        cover_x = np.clip(np.minimum(edges_x[1:], x1) - np.maximum(edges_x[:-1], x0), 0, None) * gw  # (W,)
        cover_y = np.clip(np.minimum(edges_y[1:], y1) - np.maximum(edges_y[:-1], y0), 0, None) * gh  # (H,)
        cells = np.outer(cover_y, cover_x) >= MIN_COVER  # (H, W)
        row = min(int((y0 + y1) / 2 * gh), gh - 1)
        col = min(int((x0 + x1) / 2 * gw), gw - 1)
        cells[row, col] = True
        out[i] = cells.reshape(-1)
    return out


def scene_cells(facts: SceneFacts, grid_hw: tuple[int, int]) -> np.ndarray:
    """(objects + 1, H·W) bool: `object_cells`, then the background: the cells that no object covers."""
    objects = object_cells(facts, grid_hw)
    return np.vstack([objects, ~objects.any(axis=0, keepdims=True)])


def align_words(
    words: Sequence[str], facts: SceneFacts, spatial: bool = True, background: bool = False
) -> Grounding:
    """The words of a sentence that describe objects of `facts`, each with the objects it describes (with
    `background`, index len(facts.objects) stands for the background, as in `scene_cells`)."""
    nouns: dict[str, list[int]] = {}
    for i, obj in enumerate(facts.objects):
        for form in noun_forms(obj.label):
            nouns.setdefault(form, []).append(i)
    grounded: dict[int, tuple[int, ...]] = {}
    mentions: list[tuple[int, tuple[int, ...]]] = []  # (noun index, objects), in sentence order
    for k, word in enumerate(words):
        named = nouns.get(word)
        if not named:
            continue
        modifiers = _modifiers(words, k, nouns)
        coloured = [
            i for i in named if facts.objects[i].attributes.get("colour") in {words[j] for j in modifiers}
        ]
        objects = tuple(coloured or named)
        for j in [*modifiers, k]:
            grounded[j] = objects
        mentions.append((k, objects))
    if spatial:
        _ground_spatial(words, mentions, grounded)
    if background:
        for k, word in enumerate(words):
            if word == "background":
                for j in [*_modifiers(words, k, nouns), k]:
                    grounded[j] = (len(facts.objects),)
    return sorted(grounded.items())


def _modifiers(words: Sequence[str], k: int, nouns: dict[str, list[int]]) -> list[int]:
    """The up to three words right before word k, back to a function word, a clause break or a noun."""
    out = []
    for j in range(k - 1, max(k - 4, -1), -1):
        if words[j] in FUNCTION_WORDS or words[j] in CLAUSE_BREAKS or words[j] in nouns:
            break
        out.append(j)
    return out


def _ground_spatial(
    words: Sequence[str], mentions: list[tuple[int, tuple[int, ...]]], grounded: dict[int, tuple[int, ...]]
) -> None:
    """Ground each clause's spatial words to the object the clause introduces (in place)."""
    seen: set[tuple[int, ...]] = set()
    start = 0
    for end in [*(k for k, w in enumerate(words) if w in CLAUSE_BREAKS or w in CLAUSE_WORDS), len(words)]:
        new = [objs for k, objs in mentions if start <= k < end and objs not in seen]
        if new:
            for j in range(start, end):
                if words[j] in SPATIAL_WORDS and j not in grounded:
                    grounded[j] = new[0]
        seen.update(objs for k, objs in mentions if start <= k < end)
        start = end + 1


def noun_forms(label: str) -> set[str]:
    """The words that name an object of this label: its last word and that word's plural."""
    noun = label.split()[-1] if label.strip() else ""
    return {noun, plural(noun)} - {""}


def plural(noun: str) -> str:
    """The English plural of a noun, by the common rule (box → boxes, circle → circles)."""
    if not noun:
        return ""
    return noun + "es" if noun.endswith(("s", "x", "ch", "sh")) else noun + "s"
