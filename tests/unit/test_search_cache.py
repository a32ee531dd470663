"""`SearchCache`: a process that answers many searches gets the same answers as one that searches once,
and sees every change an `index` run makes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from multicap.index import search_index
from multicap.index.build import index_paths
from multicap.index.models import open_model
from multicap.index.search import SearchResult
from multicap.index.search_cache import SearchCache
from multicap.index.store import IndexStore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "photos"
QUERIES = ("coffee", "a cat", "a rocket on the left", "person with a camera", "red and white")


def _answer(result: SearchResult) -> list[tuple[str, float]]:
    return [(h.path, round(h.score, 6)) for h in result.hits]


@pytest.fixture
def index(tmp_path: Path) -> tuple[Path, Path]:
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("chelsea.jpg", "coffee.jpg", "rocket.jpg"):
        shutil.copy(EXAMPLES / name, photos / name)
    root = tmp_path / "index"
    index_paths(root, [photos], open_model("grounded-no-people"))
    return root, photos


def _same(root: Path, cache: SearchCache) -> None:
    for query in QUERIES:
        assert _answer(search_index(root, query, k=5, cache=cache)) == _answer(search_index(root, query, k=5))
    image = next(iter(search_index(root, "coffee", k=1).hits)).path
    cached = search_index(root, image=Path(image), k=5, cache=cache)
    assert _answer(cached) == _answer(search_index(root, image=Path(image), k=5))


def test_cached_searches_answer_as_uncached_ones_and_read_each_thing_once(
    index: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = index
    cache = SearchCache()
    _same(root, cache)
    loads = cache.loads
    assert loads == 2  # the image and caption files, once each

    reads: list[int] = []
    facts_of = IndexStore.facts_of
    monkeypatch.setattr(
        IndexStore, "facts_of", lambda self, ids: reads.append(len(ids)) or facts_of(self, ids)
    )
    for query in QUERIES:
        search_index(root, query, k=5, cache=cache)
    assert cache.loads == loads and reads == []  # every candidate's facts were read before


def test_an_index_run_beside_it_is_seen_by_the_next_search(index: tuple[Path, Path]) -> None:
    root, photos = index
    cache = SearchCache()
    _same(root, cache)
    shutil.copy(EXAMPLES / "astronaut.jpg", photos / "astronaut.jpg")
    index_paths(root, [photos], open_model("grounded-no-people"))
    _same(root, cache)
    hits = search_index(root, "space shuttle astronaut", k=4, cache=cache).hits
    assert any(h.path.endswith("astronaut.jpg") for h in hits)
    assert cache.loads == 4  # the new files, once each


def test_an_index_reembedded_under_the_same_ids_is_read_afresh(index: tuple[Path, Path]) -> None:
    root, photos = index
    cache = SearchCache()
    _same(root, cache)
    (photos / "coffee.jpg").unlink()
    shutil.copy(EXAMPLES / "camera.jpg", photos / "camera.jpg")
    with IndexStore(root / "meta.sqlite") as store:
        before = store.max_id()
    index_paths(root, [photos], open_model("grounded"), reembed=True)  # rows cleared: ids start at 1 again
    with IndexStore(root / "meta.sqlite") as store:
        assert store.max_id() == before
    _same(root, cache)
    assert not any(h.path.endswith("coffee.jpg") for h in search_index(root, "coffee", k=5, cache=cache).hits)


def test_a_thread_keeps_its_database_open_until_the_file_is_another_or_a_search_fails(
    index: tuple[Path, Path],
) -> None:
    root, _ = index
    cache = SearchCache()
    db = root / "meta.sqlite"
    with cache.store(db) as first:
        pass
    with cache.store(db) as again:
        assert again is first  # kept open: its page cache stays warm
    first.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the file itself, to copy it
    copy = root / "copy.sqlite"
    shutil.copy(db, copy)
    copy.replace(db)  # another file at the same path
    with cache.store(db) as other:
        assert other is not first
    with pytest.raises(RuntimeError), cache.store(db):
        raise RuntimeError("a search that fails")
    with cache.store(db) as fresh:
        assert fresh is not other  # closed with the failure: no statement is left half read
    _same(root, cache)


def test_a_reader_never_makes_a_database(tmp_path: Path) -> None:
    """`multicap serve` reads: a folder emptied to be built again (no meta.sqlite, or an empty one that
    `multicap index` has just made) had been given a database by the server's first request."""
    db = tmp_path / "meta.sqlite"
    with pytest.raises(FileNotFoundError):
        IndexStore(db, create=False)
    assert not db.exists()
    db.touch()
    with pytest.raises(FileNotFoundError):
        IndexStore(db, create=False)
    assert db.stat().st_size == 0
    with IndexStore(db) as store:  # a writer makes one
        store.set_meta(made=True)
    with IndexStore(db, create=False) as store:
        assert store.get_meta("made") is True
