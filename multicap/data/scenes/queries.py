"""Text queries over scenes with their exact relevant sets.

A query is a sentence in the scenes vocabulary ("a red circle left of a square", "two small stars",
"a blue heart on a striped background"). A scene fits it when distinct objects of the scene can stand for
the query's objects, each with the attributes the query names, and every relation the query states holds
between them (a "next to" pair counts as left or right of each other too). Background words must match.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from multicap.data.scenes.sampler import scene_rng
from multicap.facts.scene import SceneFacts
from multicap.facts.scene_parse import parse
from multicap.facts.scene_sentences import BACKGROUND_STYLES, predicate_of
from multicap.facts.scene_words import plural

__all__ = ["SceneQuery", "make_queries", "query_matches"]

_QUERY_STREAM = 12


@dataclass
class SceneQuery:
    text: str
    kind: str  # "object", "attribute", "count", "relation" or "background"
    relevant: list[int]  # positions in the scene list the query was made for, ascending


def _holds(facts: SceneFacts, i: int, predicate: str, j: int) -> bool:
    actual = predicate_of(facts, i, j)
    if actual == predicate:
        return True
    if actual == "next to" and predicate in ("left of", "right of"):
        left = facts.objects[i].box[0] < facts.objects[j].box[0]
        return left == (predicate == "left of")
    return False


def query_matches(query: SceneFacts | str, facts: SceneFacts) -> bool:
    """Whether a scene fits a query (a sentence, or facts parsed from one)."""
    q = parse(query) if isinstance(query, str) else query
    if any(facts.image_attributes.get(k) != v for k, v in q.image_attributes.items()):
        return False
    if len(q.objects) > len(facts.objects):
        return False
    candidates = [
        [
            i
            for i, o in enumerate(facts.objects)
            if o.label == qo.label and all(o.attributes.get(k) == v for k, v in qo.attributes.items())
        ]
        for qo in q.objects
    ]
    for assignment in itertools.product(*candidates):
        if len(set(assignment)) != len(assignment):
            continue
        if all(_holds(facts, assignment[r.subject], r.predicate, assignment[r.object]) for r in q.relations):
            return True
    return False


def _a(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def _query_text(rng: np.random.Generator, facts: SceneFacts, kind: str) -> str | None:
    """A query of `kind` that `facts` fits, or None when the scene offers none of that kind."""
    objs = facts.objects
    o = objs[int(rng.integers(len(objs)))]
    colour, size, shape = o.attributes["colour"], o.attributes["size"], o.label
    if kind == "object":
        return _a(f"{colour} {shape}")
    if kind == "attribute":
        return _a(f"{size} {colour} {shape}")
    if kind == "count":
        labels = [x.label for x in objs]
        common = max(labels, key=labels.count)
        return f"two {plural(common, 2)}" if labels.count(common) >= 2 else None
    if kind == "background":
        background = BACKGROUND_STYLES[0][facts.image_attributes["background"]].replace(" {c}", "")
        return _a(f"{colour} {shape} on {background}")
    if kind == "relation" and facts.relations:
        r = facts.relations[int(rng.integers(len(facts.relations)))]
        s, t = objs[r.subject], objs[r.object]
        if r.predicate == "next to":
            return None
        return f"{_a(s.attributes['colour'] + ' ' + s.label)} {r.predicate} {_a(t.label)}"
    return None


def make_queries(scenes: list[SceneFacts], n: int = 50, seed: int = 0) -> list[SceneQuery]:
    """Up to `n` distinct queries, kinds in turn, each taken from one of `scenes` (so none is empty), with
    every scene it fits. A kind that runs out of new queries is dropped (there are few "two ..." queries).
    """
    rng = scene_rng(seed, 0, _QUERY_STREAM)
    kinds = ["object", "attribute", "count", "relation", "background"]
    seen: set[str] = set()
    queries: list[SceneQuery] = []
    while len(queries) < n and kinds and scenes:
        kind = kinds[len(queries) % len(kinds)]
        for _ in range(200):
            text = _query_text(rng, scenes[int(rng.integers(len(scenes)))], kind)
            if text is not None and text not in seen:
                break
        else:
            kinds.remove(kind)
            continue
        seen.add(text)
        q = parse(text)
        queries.append(SceneQuery(text, kind, [i for i, f in enumerate(scenes) if query_matches(q, f)]))
    return queries
