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
image query (`image=`) ranks by cosine similarity in the image space alone.

A text query needs no model: what is stored with the index answers it (`query_side`: the class vectors of
the grounded and labels models, a bundle's word embeddings). `needs_model` says when a search needs the
index's model (an image not in the index, an index written before those files); the caller then passes it
(`multicap.index.models.open_index_model`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from multicap.errors import ConfigError, DataError, ImageLoadError, IndexLockedError
from multicap.index.concepts import content_terms, query_terms, singular
from multicap.index.image_side import load_image_side
from multicap.index.location import DB_NAME, being_written, no_index
from multicap.index.query import Understanding
from multicap.index.query_side import QueryVectors, stored_query_model
from multicap.index.satisfy import part_scores, satisfactions
from multicap.index.schema import FTS_COLUMNS
from multicap.index.search_cache import SearchCache
from multicap.index.store import IndexStore, KnownFile
from multicap.index.sync import open_vectors
from multicap.io import stat_regular
from multicap.io.paths import file_hash
from multicap.text.wordnet import open_wordnet

__all__ = [
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
    "search_index",
]

# How a query's refusal begins: its words mean nothing searchable, or no image here has what they mean
NOTHING_TO_SEARCH = "nothing to search for in"
NOTHING_MATCHES = "nothing in the index matches"
REFUSALS = (NOTHING_TO_SEARCH, NOTHING_MATCHES)


class NothingMatches(ConfigError):
    """A query read, which no image here answers (`NOTHING_MATCHES`); `unknown` holds a line per word of it
    the model relates to nothing, `notes` one per word searched as less than it says."""

    def __init__(self, message: str, unknown: list[str], notes: list[str]) -> None:
        super().__init__(message)
        self.unknown, self.notes = unknown, notes


RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al., 2009)
# Words for the image itself: every attribute-level text says "a bright ... image", so they would match all
_IMAGE_ITSELF = frozenset(
    {"image", "images", "photo", "photos", "picture", "pictures", "photograph", "photographs", "pic", "pics",
     "pix", "snapshot", "snapshots"}
)  # fmt: skip


@dataclass
class Hit:
    id: int  # the image's row id (= FAISS id)
    path: str
    score: float  # fused RRF score for a text query; cosine similarity for an image query
    parts: dict[str, dict[str, float]] = field(default_factory=dict)  # list -> {"rank", "score"}
    texts: dict[str, str] = field(default_factory=dict)  # level -> description text

    def to_dict(self, explain: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "score": round(self.score, 6)}
        if explain:
            out.update(id=self.id, parts=self.parts, texts=self.texts)
        return out


HALF_MET = 0.5  # the best hit's satisfaction under which the results are said to be only the nearest


@dataclass
class SearchResult:
    hits: list[Hit]
    fts: str | None = None  # the FTS5 expression run (None: no searchable word)
    concepts: list[str] = field(default_factory=list)  # what the query was understood as
    spaces: list[str] = field(default_factory=list)  # the dense spaces the query reached
    unknown: list[str] = field(default_factory=list)  # one line per word the model relates to nothing
    notes: list[str] = field(default_factory=list)  # one per word searched as less than it says ("woman")
    lacking: list[str] = field(default_factory=list)  # the parts the best-satisfied hit does not show

    def nearest_only(self) -> bool:
        """Whether no hit shows much of what a query of parts asked for (the best satisfies under
        `HALF_MET` of it): the hits are only the nearest, and a user is told so."""
        met = [h.parts["satisfied"]["score"] for h in self.hits if "satisfied" in h.parts]
        return bool(met) and max(met) < HALF_MET


def nearest_only_note(query: str, lacking: Sequence[str] = ()) -> str:
    """What a user is told where `SearchResult.nearest_only()`: where the best hit shows some of the query's
    parts, the ones it lacks ("sheep on the grass": the sheep is there, the grass found in none; "no image
    shows much of" it had been said of a photo of sheep on grass)."""
    if lacking:
        said = ", ".join(quoted(text) for text in lacking)
        return f"no image here shows all of {quoted(query)}: the best lack {said}; the nearest are shown"
    return f"no image here shows much of {quoted(query)}; the nearest are shown"


def quoted(query: str, most: int = 80) -> str:
    """A query as a message quotes it: at most `most` characters ("...", not a 5,000-character echo)."""
    return repr(query if len(query) <= most else query[: most - 1] + "…")


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


class ImageModel(Protocol):
    """What an image query needs of a model (an `IndexModel` of multicap.index.models)."""

    def load(self, path: Path) -> Any: ...

    def process(self, paths: Any, loaded: Any) -> tuple[np.ndarray, Any]: ...


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
            known = store.file_of_path(_resolved(image))
            if (
                known is not None
                and _unchanged(image, known)
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
        reads: _Reads = cache.reads(root, store) if cache is not None else _Direct(root, store)
        if image is not None:
            return _image_search(reads, image, k, model)
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


def _resolved(image: Path) -> str:
    """The query image's absolute path, as the index records paths (a link loop had escaped as
    "RuntimeError: Symlink loop").

    Raises:
        ImageLoadError: a link loop.
    """
    try:
        return str(image.resolve())
    except RuntimeError:
        stat_regular(image)  # says "a symbolic link loop" in the words used for any other file
        raise ImageLoadError(image, "a symbolic link loop") from None


def _db(root: Path) -> Path:
    db = root / DB_NAME
    if not db.is_file():
        raise DataError(no_index(root))
    return db


class _Reads(Protocol):
    """Where one search reads the index: a `SearchCache`'s `CachedReads`, or `_Direct`."""

    @property
    def root(self) -> Path: ...

    @property
    def store(self) -> IndexStore: ...

    def faiss(self, space: str) -> Any: ...

    def search(self, space: str, vi: Any, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def facts_of(self, ids: list[int]) -> dict[int, dict[str, Any]]: ...

    def vectors_of(self, space: str, ids: list[int]) -> dict[int, np.ndarray]: ...

    def texts_of(self, ids: list[int]) -> dict[int, dict[str, str]]: ...


@dataclass(frozen=True)
class _Direct:
    """The reads of a search without a cache: from the files and SQLite, every time."""

    root: Path
    store: IndexStore

    def faiss(self, space: str) -> Any:
        return open_vectors(self.root, self.store, space)

    def search(self, space: str, vi: Any, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return vi.search(queries, k)

    def facts_of(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        return self.store.facts_of(ids)

    def vectors_of(self, space: str, ids: list[int]) -> dict[int, np.ndarray]:
        return self.store.vectors_of(space, ids)

    def texts_of(self, ids: list[int]) -> dict[int, dict[str, str]]:
        return {i: self.store.texts(i) for i in ids}


def _text_search(
    reads: _Reads, query: str, k: int, levels: tuple[str, ...] | None, model: TextModel
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
        lists[space] = _dense(reads, space, vec, depth)
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


def _lacking(reads: _Reads, qv: QueryVectors, best: int) -> list[str]:
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


def _satisfied(reads: _Reads, qv: QueryVectors, ids: list[int]) -> dict[int, float]:
    """How fully each candidate's facts satisfy the query's parts (the grounded models' caption space is
    the square root of the class probabilities, `satisfactions` squares it back)."""
    assert qv.meaning is not None
    facts = reads.facts_of(ids)
    captions = reads.vectors_of("caption", ids)
    scores = satisfactions(qv.meaning, [facts.get(i) for i in ids], [captions.get(i) for i in ids])
    return dict(zip(ids, scores, strict=True))


def _image_search(reads: _Reads, image: Path, k: int, model: ImageModel | None) -> SearchResult:
    store = reads.store
    known = store.file_of_path(_resolved(image))
    found = known.id if known is not None and _unchanged(image, known) else None
    notes = []
    if known is not None and found is None:  # an edited file had been searched by its old vector, unsaid
        notes.append(
            f"{image} changed since it was indexed: searched by what it shows now (`multicap index` "
            "updates the index)"
        )
    stored = store.vectors_of("image", [found]) if found is not None else {}
    if found is not None and found in stored:
        vec = stored[found]
    else:
        if model is not None:
            vec = _embed_image(image, model)
        else:
            side = load_image_side(reads.root, store.get_meta("identity"))
            if side is None:
                raise ConfigError(
                    f"{image} is not in the index: its search needs the model, "
                    "pass model=open_index_model(root)"
                )
            vec = side.embed(image)
    ranked = _dense(reads, "image", vec, k)
    paths = store.live(i for i, _ in ranked)
    texts = reads.texts_of([i for i, _ in ranked if i in paths])
    hits = [
        Hit(i, paths[i], s, {"image": {"rank": r, "score": s}}, texts[i])
        for r, (i, s) in enumerate(ranked, start=1)
        if i in paths
    ]
    return SearchResult(hits[:k], None, [], ["image"], notes=notes)


def _unchanged(path: Path, known: KnownFile) -> bool:
    """Whether the file at `path` holds what the index recorded for it: the same modification time and
    size, else the same content (a file only touched); a file gone since (a drive not mounted, a photo
    moved away) is what the index holds of it, its stored vector the answer."""
    try:
        st = path.stat()
        return (st.st_mtime_ns, st.st_size) == (known.mtime_ns, known.size) or file_hash(path) == known.hash
    except OSError:
        return True


def _embed_image(image: Path, model: ImageModel) -> np.ndarray:
    vectors, _ = model.process([image], [model.load(image)])  # raises ImageLoadError for a bad file
    return np.asarray(vectors[0])


def _dense(reads: _Reads, space: str, vec: np.ndarray, depth: int) -> list[tuple[int, float]]:
    """(id, similarity) of the live nearest neighbours in one space, best first (at most `depth`)."""
    store = reads.store
    vi = reads.faiss(space)
    if vi is None or vi.ntotal == 0 or vec.shape[-1] != vi.index.d:
        return []
    fetch = depth
    while True:  # fetch more when deleted rows crowd the top
        scores, ids = reads.search(space, vi, vec[None, :], fetch)  # (1, fetch) each
        pairs = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
        live = store.live(i for i, _ in pairs)
        kept = [(i, s) for i, s in pairs if i in live]
        if len(kept) >= depth or fetch >= vi.ntotal:
            return kept[:depth]
        fetch = min(vi.ntotal, fetch * 4)


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
