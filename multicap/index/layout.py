"""Which FAISS index type for a collection: presets registered by name, and the rule that picks one by size.

The rule (in the spirit of autofaiss's, written for this project):

- below `exact_below` vectors, exact search (`Flat`): a scan of 20,000 × 1,280 floats is about 10 ms;
- above it, when one byte per dimension fits the memory budget: an inverted file over 8-bit
  scalar-quantized vectors (`IVF{nlist},SQ8`: a quarter of the memory and of the bytes scanned per list,
  a recall ceiling near 0.98; builds in minutes at a million on two cores; `nprobe` trades speed for
  recall). HNSW is offered below `hnsw_below`, off by default: on this project's two-core machine, with
  1,280-d vectors, it took 48 s to build 50,000 vectors and searched them only 3× faster than a scan,
  where IVF built 100,000 in 7 s and searched 18× faster (benchmarks/index_scale.py);
- when even that does not fit the budget: `IVF{nlist},PQ{m}`, m the largest sub-quantizer count
  whose codes fit (m bytes per vector).

`nlist` is about 2·√n rounded to a power of two (autofaiss takes about 4·√n): more lists scan a smaller
fraction for the same recall, fewer keep k-means training and the assignment of a million vectors to a
few minutes on two cores; `nprobe` is then tuned until Recall@10 reaches 0.95.
A factory string given by the user (`--factory`) replaces the rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from multicap.errors import UnknownNameError

__all__ = [
    "IndexPreset",
    "LayoutRules",
    "choose_layout",
    "get_preset",
    "list_presets",
    "register_preset",
]


@dataclass(frozen=True)
class LayoutRules:
    exact_below: int = 20_000  # fewer vectors than this: exact search
    hnsw_below: int = 0  # fewer than this (and above exact_below): HNSW; off by default (see above)
    memory_budget: int | None = None  # bytes the vectors may take in memory; None: no limit
    overhead: float = 1.1  # the index's bytes per vector beyond the raw floats (ids, lists)


@dataclass(frozen=True)
class IndexPreset:
    name: str
    description: str
    factory: Callable[[int, int, LayoutRules], str]  # (n, d, rules) -> FAISS factory string
    applies: Callable[[int, int, LayoutRules], bool]  # whether the rule picks this preset


_PRESETS: dict[str, IndexPreset] = {}


def register_preset(preset: IndexPreset) -> IndexPreset:
    if preset.name in _PRESETS:
        raise ValueError(f"index preset {preset.name!r} registered twice")
    _PRESETS[preset.name] = preset
    return preset


def list_presets() -> list[IndexPreset]:
    return list(_PRESETS.values())  # in the order the rule tries them


def get_preset(name: str) -> IndexPreset:
    try:
        return _PRESETS[name]
    except KeyError:
        known = ", ".join(_PRESETS)
        raise UnknownNameError(f"unknown index preset {name!r}; choose one of: {known}") from None


def choose_layout(n: int, d: int, rules: LayoutRules | None = None) -> tuple[str, str]:
    """(preset name, FAISS factory string) for n vectors of dimension d: the first preset that applies."""
    rules = rules or LayoutRules()
    for preset in _PRESETS.values():
        if preset.applies(n, d, rules):
            return preset.name, preset.factory(n, d, rules)
    last = list(_PRESETS.values())[-1]
    return last.name, last.factory(n, d, rules)


def nlist_for(n: int) -> int:
    """About 2·√n inverted lists, a power of two, at least 16 and at most n / 39 (FAISS wants ≥ 39 each)."""
    target = max(16, 2 * math.sqrt(max(n, 1)))
    nlist = 2 ** round(math.log2(target))
    return int(max(1, min(nlist, n // 39 or 1)))


def _fits(n: int, d: int, rules: LayoutRules, bytes_per_dim: int = 4) -> bool:
    return rules.memory_budget is None or n * d * bytes_per_dim * rules.overhead <= rules.memory_budget


def _pq_m(n: int, d: int, rules: LayoutRules) -> int:
    """The most PQ sub-quantizers (a divisor of d, at most d/4) whose one-byte codes fit the budget."""
    budget = rules.memory_budget or n * d
    per_vector = budget / max(n, 1) / rules.overhead
    divisors = [m for m in range(1, d // 4 + 1) if d % m == 0]
    fitting = [m for m in divisors if m <= per_vector]
    return max(fitting) if fitting else divisors[0]


register_preset(
    IndexPreset(
        "exact",
        "exact inner-product search over every vector (Flat)",
        lambda n, d, r: "Flat",
        lambda n, d, r: n < r.exact_below and _fits(n, d, r),
    )
)
register_preset(
    IndexPreset(
        "hnsw",
        "graph search (HNSW, 32 links per node) over full vectors",
        lambda n, d, r: "HNSW32,Flat",
        lambda n, d, r: n < r.hnsw_below and _fits(n, d, r),
    )
)
register_preset(
    IndexPreset(
        "ivf",
        "inverted lists over 8-bit quantized vectors (IVF, about 2·√n lists, SQ8)",
        lambda n, d, r: f"IVF{nlist_for(n)},SQ8",
        lambda n, d, r: _fits(n, d, r, bytes_per_dim=1),
    )
)
register_preset(
    IndexPreset(
        "ivfpq",
        "inverted lists over product-quantized codes (for a memory budget)",
        lambda n, d, r: f"IVF{nlist_for(n)},PQ{_pq_m(n, d, r)}",
        lambda n, d, r: True,
    )
)
