"""What a search answers: its hits, what the query was understood as, and the lines a user is told
(`multicap.index.search`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from multicap.errors import ConfigError

__all__ = [
    "HALF_MET",
    "NOTHING_MATCHES",
    "NOTHING_TO_SEARCH",
    "REFUSALS",
    "Hit",
    "NothingMatches",
    "SearchResult",
    "nearest_only_note",
    "quoted",
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
