"""Write a scenes dataset to a folder: images, captions in every format, metadata with splits and stats.

The folder:
  images/000000.png ...          one PNG per scene, written atomically
  captions.jsonl                 one line per image: file, split, facts, every paraphrase per level
  karpathy.json                  Karpathy split JSON (sentences carry `level`)
  coco_captions_{split}.json     COCO captions JSON per split
  metadata.json                  config, seed, held-out combinations, statistics, status

Generation is resumable: scene i depends on (seed, i) only, so a rerun with the same config renders just the
images that are missing. A folder that holds a different dataset is refused unless `force` is given.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from multicap.data.scenes.export import DatasetExporter, SceneRecord, write_json_atomic
from multicap.data.scenes.png import encode_png
from multicap.data.scenes.prepare import prepare_folder
from multicap.data.scenes.render import render
from multicap.data.scenes.sampler import SamplerConfig
from multicap.data.scenes.splits import SPLITS, HeldOut, SplitConfig, held_out_for, scene_for_index
from multicap.data.scenes.stats import StatsAccumulator
from multicap.errors import ConfigError
from multicap.facts.scene_sentences import describe_all

__all__ = [
    "FORMAT",
    "GENERATOR_VERSION",
    "GenerateResult",
    "ScenesConfig",
    "generate_dataset",
    "scene_record",
]

FORMAT = "multicap-scenes/1"  # written to metadata.json; a folder with another format is not ours
# Bumped whenever the same config would give other images or sentences: a rerun never mixes versions.
GENERATOR_VERSION = 3
_OWNED = [
    "images",
    "captions.jsonl",
    "karpathy.json",
    "coco_captions_*.json",
    "metadata.json",
]  # what we write
_CHUNK = 64  # scenes per task sent to a worker process
_PNG_LEVEL = 1  # zlib level: fast to write, and the flat parts of a scene still compress well


_MOST_SIZE = 4096  # px: a larger side renders gigabytes a scene (100,000 px ran the machine out of memory)


@dataclass
class ScenesConfig:
    n: int = 20000  # images in the dataset
    size: int = 224  # image side in pixels
    seed: int = 0  # dataset seed: scene i depends on (seed, i) only
    sampler: SamplerConfig = field(default_factory=SamplerConfig)  # objects per scene, spacing
    splits: SplitConfig = field(default_factory=SplitConfig)  # split shares and held-out combinations

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ConfigError(f"n must be at least 1, got {self.n}")
        if not 32 <= self.size <= _MOST_SIZE:
            raise ConfigError(f"size must be 32 to {_MOST_SIZE} pixels, got {self.size}")
        if not 1 <= self.sampler.min_objects <= self.sampler.max_objects <= 4:
            raise ConfigError("objects per scene must satisfy 1 <= min_objects <= max_objects <= 4")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GenerateResult:
    out: Path
    rendered: int  # images drawn by this run
    skipped: int  # images already on disk from an earlier run
    stats: dict[str, Any]
    splits: dict[str, int]


@lru_cache(maxsize=4)
def _held_out(seed: int, splits: SplitConfig) -> HeldOut:
    return held_out_for(seed, splits)


def scene_record(config: ScenesConfig, index: int) -> SceneRecord:
    """The record of scene `index`: split, facts, render seed and every sentence."""
    held_out = _held_out(config.seed, config.splits)
    split, scene = scene_for_index(config.seed, index, held_out, config.splits, config.sampler)
    return SceneRecord(
        index=index,
        split=split,
        facts=scene.facts,
        render_seed=scene.render_seed,
        texts=describe_all(scene.facts),
        held_out=held_out.found_in(scene.facts) if split == "test_comp" else None,
    )


def _work(task: tuple[str, ScenesConfig, list[int]]) -> list[tuple[SceneRecord, bool]]:
    """Records of a chunk of indices, rendering the images not yet on disk (runs in a worker process)."""
    out, config, indices = task
    results = []
    for index in indices:
        rec = scene_record(config, index)
        path = Path(out) / rec.file
        drawn = not path.exists()
        if drawn:
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(
                encode_png(np.asarray(render(rec.facts, config.size, rec.render_seed)), _PNG_LEVEL)
            )
            os.replace(tmp, path)
        results.append((rec, drawn))
    return results


def _tasks(out: Path, config: ScenesConfig) -> Iterator[tuple[str, ScenesConfig, list[int]]]:
    for start in range(0, config.n, _CHUNK):
        yield str(out), config, list(range(start, min(start + _CHUNK, config.n)))


def _run(out: Path, config: ScenesConfig, workers: int) -> Iterator[list[tuple[SceneRecord, bool]]]:
    workers = min(workers, -(-config.n // _CHUNK))  # no process without a chunk to render
    if workers <= 1:
        yield from map(_work, _tasks(out, config))
        return
    # spawn: the parent may hold threads (torch, rich), which fork would copy in a broken state.
    with mp.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap_unordered(_work, _tasks(out, config))


def _metadata(config: ScenesConfig, stats: dict[str, Any]) -> dict[str, Any]:
    """metadata.json of a finished dataset: config, splits with the held-out combinations, statistics."""
    return {
        "format": FORMAT,
        "generator": GENERATOR_VERSION,
        "status": "complete",
        "config": config.to_dict(),
        "splits": {
            "names": list(SPLITS),
            "shares": asdict(config.splits),
            "held_out": _held_out(config.seed, config.splits).to_dict(),
            "note": "test_comp scenes each hold at least one held-out colour-shape pair or relation-shape "
            "combination (relations in canonical direction); train, val and test hold none.",
        },
        "stats": stats,
    }


def generate_dataset(
    out: str | Path,
    config: ScenesConfig,
    workers: int = 2,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> GenerateResult:
    """Generate (or finish generating) the scenes dataset of `config` in `out`.

    Args:
        out: the dataset folder; created if missing.
        config: what to generate; must match the folder's metadata when the folder already holds a dataset.
        workers: processes that render images (1: render in this process).
        force: delete the scenes dataset in `out` (same config or not) and generate afresh.
        progress: called with (scenes done, total) after each chunk.

    Raises:
        DataError: `out` holds files that are not a scenes dataset, or (without `force`) a scenes dataset of
            another config or generator version.
    """
    out = Path(out)
    prepare_folder(out, FORMAT, GENERATOR_VERSION, config.to_dict(), force, _OWNED)
    (out / "images").mkdir(parents=True, exist_ok=True)
    started = {
        "format": FORMAT,
        "generator": GENERATOR_VERSION,
        "status": "incomplete",
        "config": config.to_dict(),
    }
    write_json_atomic(out / "metadata.json", started, indent=2)
    # Records are exported and counted as chunks arrive, while the workers go on rendering.
    exporter = DatasetExporter(out, config.size, dataset=f"scenes-seed{config.seed}")
    stats = StatsAccumulator()
    rendered = 0
    for chunk in _run(out, config, workers):
        for rec, drawn in chunk:
            exporter.add(rec)
            stats.add(rec)
            rendered += drawn
        if progress is not None:
            progress(stats.images, config.n)
    exporter.finish()
    result = stats.result()
    write_json_atomic(out / "metadata.json", _metadata(config, result), indent=2)  # last: marks completion
    return GenerateResult(out, rendered, stats.images - rendered, result, result["counts"]["split"])
