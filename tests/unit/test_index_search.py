"""Search pieces: the schema version guard, the layout rule, FAISS against exact search, safe full-text
queries, reciprocal rank fusion and WordNet-aware text matching. Real SQLite and FAISS."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from multicap.errors import IndexVersionError
from multicap.index import LayoutRules, choose_layout, fts_expression, resolve_index
from multicap.index.concepts import named_classes
from multicap.index.schema import SCHEMA_VERSION, connect, schema_version
from multicap.index.search import _fuse
from multicap.index.store import ImageRecord, IndexStore
from multicap.index.vectors import build_index, exact_top_k, measure_recall, sample_vectors, tune_index

HOSTILE = [
    "dog AND (",
    '"unbalanced quote',
    "NEAR(dog cat, 2)",
    "dog*",
    "^cat",
    "col:dog",
    "{object} : dog",
    "- + ( ) ) (",
    "AND OR NOT",
    "'; DROP TABLE images; --",
    "",
    "   ",
    "\x00\x01",
    "🐶 dog",
    "ümlaut Ärger",
    "a" * 5000,
]


def _store(tmp_path: Path) -> IndexStore:
    store = IndexStore(tmp_path / "meta.sqlite")
    records = [
        ImageRecord("/p/dog.jpg", 1, 1, "h1", texts={"object": "golden retriever, tennis ball"}, tags="dog"),
        ImageRecord("/p/cat.jpg", 1, 1, "h2", texts={"object": "tabby cat"}, tags="cat feline"),
        ImageRecord("/p/cup.jpg", 1, 1, "h3", texts={"object": "espresso", "layout": "a dog on the left"}),
    ]
    store.add(records)
    return store


def test_new_index_has_current_schema_and_wal(tmp_path: Path) -> None:
    db = connect(tmp_path / "meta.sqlite")
    assert schema_version(db) == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    connect(tmp_path / "meta.sqlite").close()
    with sqlite3.connect(tmp_path / "meta.sqlite") as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(IndexVersionError, match="newer multicap"):
        IndexStore(tmp_path / "meta.sqlite")


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_error(tmp_path: Path, query: str) -> None:
    with _store(tmp_path) as store:
        expression = fts_expression(query)
        if expression is not None:
            store.full_text(expression, ("object", "tags"), 10)


def test_full_text_matches_tags_and_levels(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        found = store.full_text(fts_expression("dogs") or "", ("object", "layout", "tags"), 10)
        assert [i for i, _ in found][:1] == [1] and {i for i, _ in found} == {1, 3}  # porter: dogs -> dog
        only_object = fts_expression("dog", ("object", "tags")) or ""
        assert {i for i, _ in store.full_text(only_object, ("object", "tags"), 10)} == {1}
        assert store.full_text(fts_expression("dog AND (") or "", ("tags",), 10)[0][0] == 1
    said = fts_expression("a car that isn't red") or ""  # a contraction's pieces are no words to find
    assert '"isn"' not in said and '"t"' not in said and '"car"' in said, said
    # a name of several words is searched whole: "New York" had found a squirrel by its "New World monkey"
    assert fts_expression("New York", ("tags",), whole=("new york",)) == '{tags} : ("new york")'
    assert fts_expression("New York", ("tags",)) == '{tags} : ("new" OR "york" OR "new york")'
    from multicap.index.query import understand
    from multicap.index.search import _phrases

    assert _phrases(understand("New York")) == ("new york",) and _phrases(understand("polar bears")) != ()
    assert _phrases(understand("a brown dog")) == ()  # a thing and its colour: each word searched too


def test_query_names_classes_through_wordnet_tags() -> None:
    pytest.importorskip("multicap.text.imagenet")
    named = named_classes("a dog on the beach")
    assert "dog" in named
    assert 207 in named["dog"]  # golden retriever
    assert named_classes("golden retrievers")["golden retriever"] == frozenset({207})
    assert named_classes('dog AND ("NEAR') == {"dog": named["dog"]}


def test_rrf_rewards_agreement() -> None:
    fused = _fuse({"lexical": [(1, 9.0), (2, 5.0)], "image": [(2, 0.9), (3, 0.8)], "caption": [(2, 0.5)]})
    assert [i for i, _ in fused] == [2, 1, 3]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61 + 1 / 61)


def test_rrf_weights_scale_each_list() -> None:
    lists = {"lexical": [(1, 9.0), (2, 5.0)], "caption": [(2, 0.9), (1, 0.1)]}
    assert [i for i, _ in _fuse(lists)] == [1, 2]  # a tie on rank sums: the lower id first
    weighted = _fuse(lists, {"caption": 0.25})
    assert [i for i, _ in weighted] == [1, 2]
    assert weighted[1][1] == pytest.approx(1 / 62 + 0.25 / 61)
    assert [i for i, _ in _fuse(lists, {"lexical": 0.25})] == [2, 1]


def test_layout_rule_by_size_and_budget() -> None:
    assert choose_layout(1_000, 1280) == ("exact", "Flat")
    assert choose_layout(50_000, 1280) == ("ivf", "IVF512,SQ8")
    assert choose_layout(50_000, 1280, LayoutRules(hnsw_below=100_000)) == ("hnsw", "HNSW32,Flat")
    assert choose_layout(1_000_000, 1280) == ("ivf", "IVF2048,SQ8")
    assert choose_layout(1_000_000, 1280, LayoutRules(memory_budget=2_000_000_000))[0] == "ivf"  # 1.3 GB
    preset, factory = choose_layout(1_000_000, 1280, LayoutRules(memory_budget=200_000_000))
    assert preset == "ivfpq" and factory == "IVF2048,PQ160"  # 160 bytes per vector fit 200 MB


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("factory", ["Flat", "IVF32,Flat", "IVF32,SQ8", "HNSW16,Flat"])
def test_faiss_equals_exact_search_on_small_data(factory: str) -> None:
    rng = np.random.default_rng(0)
    vecs = _unit(rng.normal(size=(3000, 32)))
    ids = np.arange(10, 3010, dtype=np.int64)  # SQLite row ids, not positions
    vi = build_index(lambda: iter([(ids, vecs)]), factory, 32)
    queries = vecs[:50]
    truth = exact_top_k([(ids, vecs)], queries, 10)
    tune_index(vi, queries, truth)
    _, found = vi.search(queries, 10)
    if factory == "Flat":
        np.testing.assert_array_equal(found, truth)
    assert measure_recall(vi, queries, truth) >= 0.95 and vi.recall_at_10 == measure_recall(
        vi, queries, truth
    )


def test_exact_top_k_is_blocked_argsort() -> None:
    rng = np.random.default_rng(1)
    vecs, queries = _unit(rng.normal(size=(70_000, 4))), _unit(rng.normal(size=(3, 4)))
    ids = np.arange(70_000, dtype=np.int64) * 2
    want = ids[np.argsort(-(queries @ vecs.T), axis=1, kind="stable")[:, :5]]
    np.testing.assert_array_equal(exact_top_k([(ids, vecs)], queries, 5), want)


def test_resolve_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MULTICAP_INDEX_DIR", raising=False)
    assert resolve_index(None) == Path("indexes/default")
    assert resolve_index("photos") == Path("indexes/photos")
    assert resolve_index("./here") == Path("here")
    monkeypatch.setenv("MULTICAP_INDEX_DIR", str(tmp_path))
    assert resolve_index(None) == tmp_path / "default"
    assert resolve_index("x/y") == Path("x/y")


def _chunked(ids: np.ndarray, vecs: np.ndarray, size: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(ids[i : i + size], vecs[i : i + size]) for i in range(0, len(ids), size)]


def test_a_sample_larger_than_the_rows_is_every_row_in_order() -> None:
    vecs = np.arange(50, dtype=np.float32).reshape(25, 2)
    ids = np.arange(100, 125, dtype=np.int64)
    seen, got_ids, got = sample_vectors(_chunked(ids, vecs, 7), 40)
    assert seen == 25
    np.testing.assert_array_equal(got_ids, ids)
    np.testing.assert_array_equal(got, vecs)


def test_a_reservoir_sample_is_distinct_rows_each_equally_likely() -> None:
    n_rows, n = 2_000, 200
    vecs = np.repeat(np.arange(n_rows, dtype=np.float32)[:, None], 3, axis=1)  # row i holds i
    ids = np.arange(n_rows, dtype=np.int64) + 1
    counts = np.zeros(n_rows)
    for seed in range(300):
        seen, got_ids, got = sample_vectors(_chunked(ids, vecs, 37), n, seed)
        assert seen == n_rows and len(got_ids) == n and len(set(got_ids.tolist())) == n
        np.testing.assert_array_equal(got[:, 0] + 1, got_ids)  # ids stay with their vectors
        counts[got_ids - 1] += 1
    # Each row is kept with probability n / rows = 0.1: 30 times in 300 draws, the same early and late
    # (a biased reservoir favours the first rows it fills with or the last it sees).
    quarters = counts.reshape(4, -1).mean(axis=1)
    assert np.all(np.abs(quarters - 30.0) < 1.5), quarters


@pytest.mark.parametrize("factory", ["Flat", "IVF32,SQ8"])
def test_an_index_built_from_small_chunks_equals_one_built_at_once(factory: str) -> None:
    rng = np.random.default_rng(2)
    vecs = _unit(rng.normal(size=(3000, 16)))
    ids = np.arange(1, 3001, dtype=np.int64)
    whole = build_index(lambda: iter([(ids, vecs)]), factory, 16)
    parts = build_index(lambda: iter(_chunked(ids, vecs, 3000)), factory, 16)
    chunked = build_index(lambda: iter(_chunked(ids, vecs, 128)), factory, 16)
    assert whole.ntotal == chunked.ntotal == 3000
    np.testing.assert_array_equal(whole.search(vecs[:20], 5)[1], parts.search(vecs[:20], 5)[1])
    if factory == "Flat":
        np.testing.assert_array_equal(whole.search(vecs[:20], 5)[1], chunked.search(vecs[:20], 5)[1])
    else:  # trained on another sample of the same rows: the same neighbours, nearly
        truth = exact_top_k(_chunked(ids, vecs, 500), vecs[:50], 10)
        tune_index(chunked, vecs[:50], truth)
        assert measure_recall(chunked, vecs[:50], truth) >= 0.95


def test_too_few_rows_to_train_build_an_exact_index() -> None:
    vecs = _unit(np.random.default_rng(3).normal(size=(500, 8)))
    vi = build_index(lambda: iter(_chunked(np.arange(1, 501, dtype=np.int64), vecs, 100)), "IVF64,SQ8", 8)
    assert vi.factory == "Flat" and vi.ntotal == 500


def test_an_index_whose_images_are_all_retired_is_said_to_hold_none(tmp_path: Path) -> None:
    """Searching it gave an empty answer, exit 0 (an image query said nothing at all)."""
    from multicap.errors import DataError
    from multicap.index import search_index

    store = _store(tmp_path)
    assert store.any_live()
    store.retire(["/p/dog.jpg", "/p/cat.jpg", "/p/cup.jpg"])
    assert not store.any_live()
    store.close()
    for query, image in (("dog", None), (None, tmp_path / "any.jpg")):
        with pytest.raises(DataError, match="holds no images"):
            search_index(tmp_path, query, image=image)
    from multicap.errors import IndexLockedError
    from multicap.index import write_lock

    # being indexed now: a wait (the server's 503), not a wrong request (400)
    with write_lock(tmp_path), pytest.raises(IndexLockedError, match="being indexed now"):
        search_index(tmp_path, "dog")
    from multicap.index import needs_model

    fresh = tmp_path / "first-run"  # its first run under way, nothing committed yet: `search` asks whether
    fresh.mkdir()  # it needs the model first (it had said to run an index)
    IndexStore(fresh / "meta.sqlite").close()
    with write_lock(fresh), pytest.raises(IndexLockedError, match="being indexed now"):
        needs_model(fresh)


def test_a_factory_faiss_cannot_read_is_refused_before_any_work() -> None:
    from multicap.errors import ConfigError
    from multicap.index.vectors import check_factory

    for good in (None, "Flat", "HNSW32", "IVF256,SQ8", "PCA64,IVF16,Flat"):
        check_factory(good)
    with pytest.raises(ConfigError, match="no FAISS index factory string"):
        check_factory("Bogus")


def test_a_long_query_is_quoted_short_in_messages() -> None:
    """A walkthrough's 5,399-character query came back whole in a warning on stderr."""
    from multicap.index.search import nearest_only_note, quoted

    assert quoted("dog on beach") == "'dog on beach'"
    note = nearest_only_note("dog " * 1500)
    assert len(note) < 140 and "…" in note


def test_a_level_the_index_was_not_built_with_is_said(tmp_path: Path) -> None:
    """`search goat --level layout` on an index built with `--level object` had answered from the vectors
    alone, unsaid (a walkthrough)."""
    from multicap.index import search_index
    from multicap.index.build import index_paths
    from multicap.index.models import open_model
    from tests.conftest import REPO

    root = tmp_path / "idx"
    index_paths(root, [REPO / "examples" / "photos"], open_model("grounded-no-people", levels=["object"]))
    said = search_index(root, "cat", k=2, levels=("layout",)).notes
    assert any("holds no layout texts" in n and "--level object" in n for n in said), said
    assert not any("holds no" in n for n in search_index(root, "cat", k=2, levels=("object",)).notes)
