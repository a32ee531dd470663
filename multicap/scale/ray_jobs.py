"""`describe` and `compare` over a folder with `--engine ray` (the caller is connected: `ray_cluster`).

- `describe_on_ray`: the files through a Ray Data pipeline of describer actors (`_DescribeWorker`, the
  describer loaded once per actor); the descriptions come back in the files' order, as `describe_paths`
  gives them.
- `compare_on_ray`: the embedding step (the model's forward pass over every file) is `index` on Ray into a
  scratch index; `compare_files` then takes every vector and description from it, as it does from any
  index, and compares on the driver (duplicates, clusters and differences are cheap beside the encoding).
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import ray
import ray.data
import torch

from multicap.compare.run import PairOutcome, SetOutcome, compare_files
from multicap.describe import Description
from multicap.describe.describer import create_describer, describe_paths, every_level
from multicap.errors import ImageLoadError
from multicap.index import existing_index
from multicap.index.build import index_paths
from multicap.index.models import model_for_index, open_model
from multicap.io import ErrorHandler, log_error
from multicap.scale.ray_engine import ModelSpec, RayEngine, blocks, cluster_cpus, configure_data, worker_cpus

__all__ = ["compare_on_ray", "describe_on_ray"]

_BLOCK = 64  # files per Ray Data batch of the describe pipeline


class _DescribeWorker:
    """A Ray Data actor: the describer loaded once, then each batch of files described."""

    def __init__(
        self, model: str, options: dict[str, Any], levels: list[str] | None, batch_size: int, threads: int
    ) -> None:
        torch.set_num_threads(threads)
        self.describer = create_describer(model, **options)
        # None: every level the describer says but the plain caption (`describe --level all`)
        self.levels = levels or every_level(self.describer.levels)
        self.batch_size = batch_size

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        paths = [Path(os.fsdecode(bytes(p))) for p in batch["path"]]
        failed: list[tuple[str, str]] = []
        said = list(
            describe_paths(
                self.describer, paths, self.levels, batch_size=self.batch_size,
                on_error=lambda e: failed.append((str(e.path), e.reason)),
            )
        )  # fmt: skip
        out = np.empty(1, dtype=object)
        out[0] = (said, failed)
        return {"out": out}


def describe_on_ray(
    files: Sequence[Path],
    model: str,
    levels: Sequence[str] | None,
    *,
    options: dict[str, Any] | None = None,
    workers: int | None = None,
    batch_size: int = 16,
    on_error: ErrorHandler | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Description]:
    """Describe each readable file (in order) on the Ray cluster; unreadable ones go to `on_error`.

    Args:
        model: `create_describer`'s name or bundle; `options` its keyword arguments (device included).
        levels: the levels to say; None for `every_level` of the describer.
    """
    configure_data()
    workers = min(workers or cluster_cpus(), cluster_cpus(), max(1, math.ceil(len(files) / _BLOCK)))
    cpus = worker_cpus(workers)
    table = pa.table({"path": pa.array([os.fsencode(p) for p in files], pa.binary())})
    ds = ray.data.from_arrow(blocks(table, _BLOCK)).map_batches(
        _DescribeWorker,
        batch_size=_BLOCK,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=cpus,
        fn_constructor_kwargs={
            "model": model,
            "options": dict(options or {}),
            "levels": list(levels) if levels else None,
            "batch_size": batch_size,
            "threads": cpus,
        },
    )
    for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
        for said, failed in batch["out"]:
            for path, reason in failed:
                (on_error or log_error)(ImageLoadError(path, reason))
            yield from said
            if progress is not None:
                progress(len(said) + len(failed))


def compare_on_ray(
    files: Sequence[Path],
    *,
    index: str | Path | None = None,
    model: str | None = None,
    device: str = "cpu",
    workers: int | None = None,
    batch_size: int = 16,
    on_error: ErrorHandler | None = None,
    progress: Callable[[int], None] | None = None,
    **compare: Any,
) -> PairOutcome | SetOutcome:
    """`compare_files` with its embedding step on the Ray cluster (`compare` holds the other keyword
    arguments of `compare_files`: pair, threshold, clusters, level, report). `index` only chooses the
    model here (default: the grounded one): every file is encoded on the cluster."""
    base = existing_index(index) if index is not None else None
    if model is not None:
        chosen = open_model(model, device=device)
    else:
        chosen = model_for_index(base, device=device) if base is not None else open_model(device=device)
    failed: list[ImageLoadError] = []

    def fail(error: ImageLoadError) -> None:
        failed.append(error)
        (on_error or log_error)(error)

    with tempfile.TemporaryDirectory(prefix="multicap-compare-") as scratch:
        engine = RayEngine(ModelSpec.of(chosen, device), workers=workers, batch_size=batch_size)
        index_paths(
            Path(scratch), files, chosen, files=files, batch_size=batch_size, engine=engine,
            progress=progress, on_error=fail,
        )  # fmt: skip
        unread = {e.path for e in failed}
        compare["unread"] = [*map(str, failed), *compare.get("unread", ())]  # the cluster could not read
        outcome = compare_files(
            [f for f in files if f not in unread],
            index=scratch,
            device=device,
            batch_size=batch_size,
            **compare,
        )
    outcome.images.from_index = 0  # every file was encoded on the cluster (the scratch index is not one)
    return outcome
