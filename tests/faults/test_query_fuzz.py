"""Search queries fuzzed with hypothesis (issue 27, deliverable 5): any string, any k, any levels give
results or one clear refusal, never an exception. Real SQLite (FTS5) and FAISS; the grounded model without
the people detector (WordNet understanding, parts satisfied on the facts) over a few real photos."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multicap.errors import ConfigError, DataError
from multicap.index import search_index
from multicap.index.build import index_paths
from multicap.index.models import IndexModel, open_model
from multicap.index.schema import FTS_COLUMNS
from multicap.index.search import REFUSALS, fts_expression, quoted
from multicap.index.store import IndexStore
from tests.conftest import EXAMPLES

# Words that reach the query parser's branches: WordNet nouns and colours, relations, FTS5 syntax,
# quotes and escapes, plus arbitrary text.
WORDS = [
    "dog", "red", "car", "on", "left", "of", "the", "beach", "espresso", "cup", "two", "a", "and", "or",
    "not", "AND", "OR", "NOT", "NEAR", "NEAR(", "*", "^", ":", "{object}", '"', "'", "(", ")", "-", "+",
    "\x00", "\n", "\t", "🐶", "ümlaut", "人", "x" * 300, "in front of", "next to", "blue-green", "o'clock",
]  # fmt: skip
QUERIES = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(WORDS) | st.text(max_size=12), max_size=12).map(" ".join),
)
LEVEL = st.sampled_from(FTS_COLUMNS) | st.sampled_from(["Object", "", "objects", "fts", "*"])
LEVELS = st.none() | st.lists(LEVEL, min_size=1, max_size=3, unique=True).map(tuple)
FUZZ = settings(max_examples=300, deadline=None, derandomize=True, database=None)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, IndexModel, int]:
    photos = tmp_path_factory.mktemp("photos")
    for path in sorted(EXAMPLES.glob("*.jpg"))[:4]:
        shutil.copy(path, photos / path.name)
    root = tmp_path_factory.mktemp("idx") / "idx"
    model = open_model("grounded-no-people")
    total = index_paths(root, [photos], model).total
    assert total >= 2
    return root, model, total


@FUZZ
@given(query=QUERIES, k=st.integers(1, 60), levels=LEVELS)
def test_any_query_gives_results_or_one_clear_refusal(
    indexed: tuple[Path, IndexModel, int], query: str, k: int, levels: tuple[str, ...] | None
) -> None:
    root, model, total = indexed
    try:
        result = search_index(root, query, k=k, levels=levels, model=model)
    except ConfigError as exc:
        assert str(exc).startswith(tuple(f"{refusal} {quoted(query)}" for refusal in REFUSALS))
        return
    except DataError as exc:  # a level that is not one
        assert str(exc).startswith("unknown level(s)") and set(levels or ()) - set(FTS_COLUMNS)
        return
    assert len(result.hits) <= min(k, total)
    assert len({h.id for h in result.hits}) == len(result.hits)
    assert all(math.isfinite(h.score) for h in result.hits)
    assert all("\n" not in line for line in result.unknown)
    with IndexStore(root / "meta.sqlite") as store:
        assert set(store.live(h.id for h in result.hits)) == {h.id for h in result.hits}


@FUZZ
@given(query=QUERIES, columns=st.lists(st.sampled_from(FTS_COLUMNS), min_size=1, unique=True).map(tuple))
def test_any_query_is_a_valid_fts5_expression(
    indexed: tuple[Path, IndexModel, int], query: str, columns: tuple[str, ...]
) -> None:
    root, _, _ = indexed
    expression = fts_expression(query, columns, (query,))
    if expression is None:
        return
    with IndexStore(root / "meta.sqlite") as store:
        store.full_text(expression, columns, 10)  # raises sqlite3.OperationalError on a syntax error
