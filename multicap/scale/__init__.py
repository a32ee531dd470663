"""Scale-out: the heavy steps of `index`, `describe` and `compare` on a Ray cluster (the `ray` extra).

- `ray_engine`: the Ray engine (imports ray; imported only when `--engine ray` is chosen);
- `shards`: the records a worker produced for one block of files, as one file that the writer merges;
- `ivf`: an IVF index built in shards (trained once on a sample, each shard added to its own copy, the
  inverted lists merged), so that a build never holds every vector in one process.

This package's own names import no ray (an extra stays optional: docs/architecture.md, "Engines").
"""

from __future__ import annotations

import importlib.util

from multicap.errors import ConfigError
from multicap.scale.ivf import build_ivf_sharded, fill_shard
from multicap.scale.shards import SHARD_DIR, Shard, read_shard, write_shard

__all__ = [
    "ENGINES",
    "SHARD_DIR",
    "Shard",
    "build_ivf_sharded",
    "check_engine",
    "fill_shard",
    "read_shard",
    "write_shard",
]

ENGINES = ("local", "ray")
RAY_EXTRA = "--engine ray needs the ray extra: pip install -e '.[ray]' in multicap's folder"


def check_engine(engine: str) -> None:
    """Raise ConfigError (one line, saying what to install) unless `engine` can run here."""
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    if engine == "ray" and (
        importlib.util.find_spec("ray") is None or importlib.util.find_spec("pyarrow") is None
    ):
        raise ConfigError(RAY_EXTRA)
