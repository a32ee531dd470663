"""Hybrid search over an index: full-text (FTS5 BM25) and dense (FAISS), fused by reciprocal rank fusion.

A text query is scored three ways, each giving a ranked list:

- `lexical`: BM25 over the description texts and their WordNet tags (so "dog" finds a "golden retriever");
  the query is reduced to quoted words first, so no user string can be read as FTS5 syntax;
- `image`: the query in the image space (the class vectors of the ImageNet classes it names);
- `caption`: the query in the model's text space (named classes for the grounded model, word embeddings
  for a trained bundle).

Fusion: score(image) = Σ over lists of w / (RRF_K + rank), where w is 1 but for the spaces a model's
query weighs otherwise (`QueryVectors.weights`: a bundle's word-embedding list counts a quarter). With the
grounded models the query is understood part by part (`multicap.index.query`: "red car", "beach"), and the
candidates are ranked first by how fully their facts satisfy every part (`multicap.index.satisfy`), the
fused score breaking ties. A query word the model relates to nothing is reported (`SearchResult.unknown`);
a query none of whose words reaches anything is refused (ConfigError), never answered with silence. An
image query (`image=`) ranks by cosine similarity in the image space alone (`image_search`).

A text query needs no model: what is stored with the index answers it (`query_side`: the class vectors of
the grounded and labels models, a bundle's word embeddings). `needs_model` says when a search needs the
index's model (an image not in the index, an index written before those files); the caller then passes it
(`multicap.index.models.open_index_model`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from multicap.errors import ConfigError, DataError, IndexLockedError
from multicap.index.concepts import content_terms, query_terms, singular
from multicap.index.image_search import ImageModel, image_search, resolved, unchanged
from multicap.index.image_side import load_image_side
from multicap.index.location import DB_NAME, being_written, no_index
from multicap.index.query import Understanding
from multicap.index.query_side import QueryVectors, stored_query_model
from multicap.index.satisfy import part_scores, satisfactions
from multicap.index.schema import FTS_COLUMNS
from multicap.index.search_cache import SearchCache
from multicap.index.search_reads import Direct, Reads, dense
from multicap.index.search_results import (
    HALF_MET,
    NOTHING_MATCHES,
    NOTHING_TO_SEARCH,
    REFUSALS,
    Hit,
    NothingMatches,
    SearchResult,
    nearest_only_note,
    quoted,
)
from multicap.index.store import IndexStore
from multicap.text.wordnet import open_wordnet

__all__ = [
    "HALF_MET",
    "NOTHING_MATCHES",
    "NOTHING_TO_SEARCH",
    "REFUSALS",
    "RRF_K",
    "Hit",
    "ImageModel",
    "NothingMatches",
    "SearchResult",
    "TextModel",
    "fts_expression",
    "nearest_only_note",
    "needs_model",
    "quoted",
    "search_index",
]

RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al., 2009)
# Words for the image itself: every attribute-level text says "a bright ... image", so they would match all
_IMAGE_ITSELF = frozenset(
    {"image", "images", "photo", "photos", "picture", "pictures", "photograph", "photographs", "pic", "pics",
     "pix", "snapshot", "snapshots"}
)  # fmt: skip


def fts_expression(
    query: str,
    columns: tuple[str, ...] = FTS_COLUMNS,
    extra: tuple[str, ...] = (),
    whole: tuple[str, ...] = (),
    dropped: frozenset[str] = frozenset(),
) -> str | None:
    """A safe FTS5 expression for any string, limited to `columns`: its content words and each pair of
    adjacent content words as a phrase ("red circle": a description that binds the two ranks higher), and
    the `extra` terms the query was understood as ("stupa" for "temple"), every one quoted, joined by OR.
    A word of a `whole` phrase (a name of several words the query was read as: "new york") is searched in
    it only ("New York" had found a squirrel through its tag "New World monkey"); the `dropped` words, read
    as asking nothing to find, are left out. None when there is no word at all."""
    inside = {w for phrase in whole for w in query_terms(phrase)}
    skip = _IMAGE_ITSELF | dropped | inside  # (words the reading dropped: "about 20 people" had searched
    words = list(dict.fromkeys(w for w in content_terms(query) if w not in skip))  # "about")
    extras = [" ".join(query_terms(t)) for t in (*whole, *extra)]
    if not words and not any(extras):
        return None
    terms = query_terms(query)
    content = set(words)
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(terms) if a in content and b in content]
    every = dict.fromkeys([*words, *pairs, *(t for t in extras if t)])
    quoted = " OR ".join('"' + t.replace('"', '""') + '"' for t in every)
    return f"{{{' '.join(columns)}}} : ({quoted})"


class TextModel(Protocol):
    """What a text query needs of a model: its meaning in the index's spaces."""

    def embed_query(self, text: str) -> QueryVectors: ...


def _phrases(meaning: Understanding) -> tuple[str, ...]:
    """The names of several words that WordNet knows as one and the query was read as, whether the model
    relates them to a class or not ("polar bear", "new york"); not a thing with its colour or size ("brown
    dog": its words are searched one by one too, as before). None without WordNet's files here."""
    try:
        wn = open_wordnet()
    except ConfigError:  # the query was read from ImageNet's names alone (`query_side._names_only`)
        return ()
    texts = (*(p.text for p in meaning.parts if not p.absent), *(u.word for u in meaning.unknown))
    return tuple(t for t in texts if " " in t and wn.synsets(t))


def _identity(store: IndexStore, root: Path) -> dict[str, Any]:
    identity = store.get_meta("identity")
    if identity is None and being_written(root):  # its first run is under way (it had been told to start one)
        raise IndexLockedError(f"{root} holds no images yet: it is being indexed now; search after")
    if identity is None:
        raise DataError(f"{root} holds no images yet; run `multicap index PATHS --index {root}` first")
    return dict(identity)


def needs_model(root: Path, *, image: Path | None = None) -> bool:
    """Whether a search of the index at `root` needs the index's model (`models.open_index_model`): a
    text query on an index without its stored query side (`query_side`; written by its next `index`
    run), or an image that is not in the index and that its stored image side (`image_side`) cannot
    embed. Otherwise nothing is loaded but the index."""
    with IndexStore(_db(root)) as store:
        if image is not None:
            known = store.file_of_path(resolved(image))
            if (
                known is not None
                and unchanged(image, known)
                and known.id in store.vectors_of("image", [known.id])
            ):
                return False
            return load_image_side(root, store.get_meta("identity")) is None
        return stored_query_model(root, _identity(store, root)) is None


def search_index(
    root: Path,
    query: str | None = None,
    *,
    image: Path | None = None,
    k: int = 10,
    levels: tuple[str, ...] | None = None,
    model: Any = None,
    cache: SearchCache | None = None,
) -> SearchResult:
    """The k best images of the index at `root` for a text `query`, or for an `image`.

    `model` is the index's model (`multicap.index.models.open_index_model(root)`), needed only where
    `needs_model` says so; without it a text query uses what is stored with the index (`query_side`).
    `cache` keeps what one search read for the next, in a process that answers many (`SearchCache`).

    Raises:
        DataError: no index at `root`, or one with no image, or neither a query nor an image given.
        ConfigError: the search needs the model and none was given.
        ImageLoadError: the query image cannot be read.
    """
    if (query is None) == (image is None):
        raise DataError("search needs a text query or an image (exactly one)")
    unknown = sorted(set(levels or ()) - set(FTS_COLUMNS))
    if unknown:
        raise DataError(f"unknown level(s) {', '.join(unknown)}: choose from {', '.join(FTS_COLUMNS)}")
    with cache.store(_db(root)) if cache is not None else IndexStore(_db(root)) as store:
        if not store.any_live():  # said, not an empty answer: every file indexed was deleted, or none read
            if being_written(root):  # its first images are being indexed now: a wait, not a wrong request
                raise IndexLockedError(f"{root} holds no images yet: it is being indexed now; search after")
            raise DataError(f"{root} holds no images: index image files into it with `multicap index PATHS`")
        reads: Reads = cache.reads(root, store) if cache is not None else Direct(root, store)
        if image is not None:
            return image_search(reads, image, k, model)
        text_model = model or stored_query_model(root, _identity(store, root))
        if text_model is None:
            raise ConfigError(
                f"a text query on {root} needs its model: pass model=open_index_model(root) "
                "(multicap.index.models), or run `multicap index` once to store its query side"
            )
        result = _text_search(reads, query or "", k, levels, text_model)
        held = store.get_meta("identity", {}).get("levels")
        unheld = [lv for lv in levels or () if held is not None and lv != "tags" and lv not in held]
        if unheld:  # its results had come from the vectors alone, unsaid
            alone = "its tags and vectors" if "tags" in (levels or ()) else "the vectors alone"
            result.notes.append(
                f"the index holds no {' or '.join(unheld)} texts (it was built with --level "
                f"{' --level '.join(held)}): the words are matched by {alone}"
            )
        return result


def _db(root: Path) -> Path:
    db = root / DB_NAME
    if not db.is_file():
        raise DataError(no_index(root))
    return db


def _text_search(
    reads: Reads, query: str, k: int, levels: tuple[str, ...] | None, model: TextModel
) -> SearchResult:
    store = reads.store
    depth = max(5 * k, 50)
    columns = (*[c for c in FTS_COLUMNS if c in levels], "tags") if levels else FTS_COLUMNS
    qv: QueryVectors = model.embed_query(query)
    whole = () if qv.meaning is None else _phrases(qv.meaning)
    dropped = frozenset(qv.meaning.dropped) if qv.meaning is not None else frozenset()
    expression = fts_expression(query, columns, tuple(qv.terms), whole, dropped)
    lists: dict[str, list[tuple[int, float]]] = {}
    if expression is not None:
        lists["lexical"] = store.full_text(expression, columns, depth)
    for space, vec in qv.vectors.items():
        lists[space] = dense(reads, space, vec, depth)
    understood = bool(qv.vectors) if qv.meaning is None else bool(qv.meaning.parts)
    if not understood and lists.get("lexical"):  # the words alone: images that say one, not only its stem
        lists["lexical"] = _saying(store, lists["lexical"], content_terms(query), columns)
    if not understood and not lists.get("lexical"):
        # the words, not the index ("dgo" had read "nothing in the index matches"), and what is wrong with
        # them, not a note on one ("OR OR" had been refused as '"or" is read as "and"')
        unknown = qv.unknown if qv.meaning is None else [u.message() for u in qv.meaning.unknown]
        if unknown or not expression:
            said = "; ".join(dict.fromkeys(unknown)) or "it has no word that tells images apart"
            raise ConfigError(f"{NOTHING_TO_SEARCH} {quoted(query)}: {said}")
        said = "no image says any of its words, and none reaches a class"  # "three": a word, not a thing
        raise NothingMatches(f"{NOTHING_MATCHES} {quoted(query)}: {said}", qv.unknown, qv.notes)
    fused = _fuse(lists, qv.weights)
    if not fused:  # understood, yet no image has it: a word only the pixels answer (sky, grass), or none
        held = f" (understood as {'; '.join(qv.concepts)})" if qv.concepts else ""
        if levels:  # the words may be at another level: it is the level that finds nothing, not the images
            where = ", ".join(levels)
            raise NothingMatches(
                f"{NOTHING_MATCHES} {quoted(query)} at the {where} level"
                f"{'s' if len(levels) > 1 else ''}{held}; it may be said at another level",
                qv.unknown,
                qv.notes,
            )
        raise NothingMatches(
            f"{NOTHING_MATCHES} {quoted(query)}: no image here shows it{held}", qv.unknown, qv.notes
        )
    satisfied: dict[int, float] = {}
    if qv.meaning is not None and qv.meaning.parts:
        satisfied = _satisfied(reads, qv, [i for i, _ in fused])
        fused = sorted(fused, key=lambda t: (-(satisfied[t[0]] + t[1]), t[0]))
    fused = fused[:k]
    paths = store.live(i for i, _ in fused)
    texts = reads.texts_of([i for i, _ in fused if i in paths])
    hits = []
    for i, s in fused:
        if i in paths:
            parts = _parts(lists, i)
            if satisfied:
                parts["satisfied"] = {"score": round(satisfied[i], 4)}
            hits.append(Hit(i, paths[i], s + satisfied.get(i, 0.0), parts, texts[i]))
    best = max(satisfied, key=lambda i: satisfied[i]) if satisfied else None
    lacking = _lacking(reads, qv, best) if best is not None and satisfied[best] < HALF_MET else []
    return SearchResult(hits, expression, qv.concepts, sorted(qv.vectors), qv.unknown, qv.notes, lacking)


def _lacking(reads: Reads, qv: QueryVectors, best: int) -> list[str]:
    """The parts the best-satisfied candidate `best` does not show (under `HALF_MET` each), where it shows
    some of them: what a user is told the nearest lack."""
    assert qv.meaning is not None
    captions = reads.vectors_of("caption", [best])
    scores = part_scores(qv.meaning, reads.facts_of([best]).get(best), captions.get(best))
    lacking = [part.text for part, score in zip(qv.meaning.parts, scores, strict=True) if score < HALF_MET]
    return lacking if len(lacking) < len(scores) else []


def _saying(
    store: IndexStore, hits: list[tuple[int, float]], words: list[str], columns: Sequence[str]
) -> list[tuple[int, float]]:
    """The full-text hits whose `columns` hold one of `words` whole, in the singular or the plural: a word
    the model relates to nothing is found only where it is said, not through the stem the full-text search
    reads it by ("evening" had found calves, tagged "even-toed ungulate"; "colour" every "colourful")."""
    if not words:
        return hits
    said = re.compile(rf"\b(?:{'|'.join(_inflections(words))})\b", re.IGNORECASE)
    return [(i, s) for i, s in hits if said.search(store.indexed_text(i, columns))]


def _inflections(words: list[str]) -> list[str]:
    """Regex alternatives for each word in the singular or the plural ("pony": pony, ponies; "reflections":
    reflection, reflections)."""
    out: dict[str, None] = {}
    for word in words:
        base = singular(word)
        out[re.escape(base) + "(?:s|es)?"] = None
        if base.endswith("y") and len(base) > 2:
            out[re.escape(base[:-1]) + "ies"] = None
    return list(out)


def _satisfied(reads: Reads, qv: QueryVectors, ids: list[int]) -> dict[int, float]:
    """How fully each candidate's facts satisfy the query's parts (the grounded models' caption space is
    the square root of the class probabilities, `satisfactions` squares it back)."""
    assert qv.meaning is not None
    facts = reads.facts_of(ids)
    captions = reads.vectors_of("caption", ids)
    scores = satisfactions(qv.meaning, [facts.get(i) for i in ids], [captions.get(i) for i in ids])
    return dict(zip(ids, scores, strict=True))


def _fuse(
    lists: dict[str, list[tuple[int, float]]], weights: dict[str, float] | None = None
) -> list[tuple[int, float]]:
    scores: dict[int, float] = {}
    for name, ranked in lists.items():
        w = (weights or {}).get(name, 1.0)
        for rank, (i, _) in enumerate(ranked, start=1):
            scores[i] = scores.get(i, 0.0) + w / (RRF_K + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def _parts(lists: dict[str, list[tuple[int, float]]], image_id: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for name, ranked in lists.items():
        for rank, (i, s) in enumerate(ranked, start=1):
            if i == image_id:
                out[name] = {"rank": rank, "score": round(s, 6)}
                break
    return out
