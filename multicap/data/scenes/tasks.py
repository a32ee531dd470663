"""Write the set tasks to a folder, with their answers, for `compare` and `search` to be checked against.

  pairs/000000_a.png, 000000_b.png     pairs.jsonl: change, ground-truth difference statements, facts
  duplicates/000000_crop.png ...       duplicates.jsonl: one group per scene, file per variant
  clusters/00_000.png ...              clusters.jsonl: one line per cluster: summary, shared facts, files
  pool/000000.png ...                  pool.jsonl: facts per image; queries.jsonl: text, kind, relevant files
  metadata.json                        config and counts

Everything follows from the seed; a rerun with the same config rewrites the same bytes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from multicap.data.scenes.changes import make_pair
from multicap.data.scenes.export import write_json_atomic
from multicap.data.scenes.groups import make_clusters, near_duplicates
from multicap.data.scenes.png import encode_png
from multicap.data.scenes.prepare import prepare_folder
from multicap.data.scenes.queries import make_queries
from multicap.data.scenes.render import render
from multicap.data.scenes.sampler import Scene, sample_facts, scene_rng
from multicap.errors import ConfigError

__all__ = ["TASKS_FORMAT", "SetTasksConfig", "write_set_tasks"]

TASKS_FORMAT = "multicap-scene-tasks/1"
_VERSION = 2
_OWNED = ["pairs", "duplicates", "clusters", "pool", "*.jsonl", "metadata.json"]
_POOL_STREAM = 20


@dataclass(frozen=True)
class SetTasksConfig:
    seed: int = 0  # everything follows from it
    size: int = 224  # image side in pixels
    pairs: int = 200  # changed / distractor pairs
    duplicates: int = 20  # scenes, each written as original + 5 near-duplicates (NEAR_DUPLICATE_KINDS)
    clusters: int = 4  # clusters of scenes sharing two objects and a background kind (at most 5)
    per_cluster: int = 10  # scenes per cluster
    pool: int = 300  # scenes the queries search
    queries: int = 100  # text queries over the pool, with exact relevant sets

    def __post_init__(self) -> None:
        if self.size < 32 or min(self.pairs, self.duplicates, self.pool, self.queries, self.per_cluster) < 0:
            raise ConfigError("set task counts must be >= 0 and size >= 32")
        if not 0 <= self.clusters <= 5:
            raise ConfigError(
                f"clusters must be between 0 and 5 (one per background kind), got {self.clusters}"
            )
        if self.clusters and self.per_cluster < 2:  # one scene shares more than its cluster's facts
            raise ConfigError(f"a cluster needs at least 2 scenes, got per_cluster={self.per_cluster}")


def _save(image: Image.Image, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(encode_png(np.asarray(image.convert("RGB"))))
    os.replace(tmp, path)


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    os.replace(tmp, path)


def _pairs(out: Path, cfg: SetTasksConfig, tick: Callable[[], None]) -> list[dict[str, Any]]:
    rows = []
    for i in range(cfg.pairs):
        pair = make_pair(cfg.seed, i)
        a, b = pair.images(cfg.size)
        files = {"a": f"pairs/{i:06d}_a.png", "b": f"pairs/{i:06d}_b.png"}
        _save(a, out / files["a"])
        _save(b, out / files["b"])
        rows.append(
            {**files, "change": pair.change, "differences": pair.differences, "brightness": pair.brightness,
             "facts_a": pair.before.facts.to_dict(), "facts_b": pair.after.facts.to_dict()}
        )  # fmt: skip
        tick()
    return rows


def _duplicates(out: Path, cfg: SetTasksConfig, tick: Callable[[], None]) -> list[dict[str, Any]]:
    rows = []
    for i in range(cfg.duplicates):
        rng = scene_rng(cfg.seed, i, _POOL_STREAM + 1)
        scene = Scene(sample_facts(rng), int(rng.integers(2**31)))
        files = {}
        for kind, image in near_duplicates(scene, cfg.size, cfg.seed):
            files[kind] = f"duplicates/{i:06d}_{kind}.png"
            _save(image, out / files[kind])
        rows.append({"group": i, "files": files, "facts": scene.facts.to_dict()})
        tick()
    return rows


def _clusters(out: Path, cfg: SetTasksConfig, tick: Callable[[], None]) -> list[dict[str, Any]]:
    if cfg.clusters == 0:
        return []
    rows = []
    for c, cluster in enumerate(make_clusters(cfg.seed, cfg.clusters, cfg.per_cluster)):
        files = []
        for m, member in enumerate(cluster.members):
            files.append(f"clusters/{c:02d}_{m:03d}.png")
            _save(render(member.facts, cfg.size, member.render_seed), out / files[-1])
            tick()
        rows.append(
            {"cluster": c, "summary": cluster.summary, "shared": cluster.shared.to_dict(), "files": files,
             "facts": [m.facts.to_dict() for m in cluster.members]}
        )  # fmt: skip
    return rows


def _pool(
    out: Path, cfg: SetTasksConfig, tick: Callable[[], None]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    scenes = []
    rows: list[dict[str, Any]] = []
    for i in range(cfg.pool):
        rng = scene_rng(cfg.seed, i, _POOL_STREAM)
        scene = Scene(sample_facts(rng), int(rng.integers(2**31)))
        scenes.append(scene.facts)
        rows.append({"file": f"pool/{i:06d}.png", "facts": scene.facts.to_dict()})
        _save(render(scene.facts, cfg.size, scene.render_seed), out / rows[-1]["file"])
        tick()
    queries = [
        {"text": q.text, "kind": q.kind, "relevant": [rows[k]["file"] for k in q.relevant]}
        for q in make_queries(scenes, cfg.queries, cfg.seed)
    ]
    return rows, queries


def write_set_tasks(
    out: str | Path,
    config: SetTasksConfig = SetTasksConfig(),
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write every set task of `config` to `out`; returns how many of each were written.

    Raises:
        DataError: `out` holds other files, or (without `force`) set tasks of another config.
    """
    out = Path(out)
    prepare_folder(out, TASKS_FORMAT, _VERSION, asdict(config), force, _OWNED)
    for sub in ("pairs", "duplicates", "clusters", "pool"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {"format": TASKS_FORMAT, "generator": _VERSION, "status": "incomplete"}
    meta["config"] = asdict(config)
    write_json_atomic(out / "metadata.json", meta, indent=2)  # first: an interrupted run is still ours
    total = config.pairs + config.duplicates + config.clusters * config.per_cluster + config.pool
    done = [0]

    def tick() -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], total)

    pairs = _pairs(out, config, tick)
    duplicates = _duplicates(out, config, tick)
    clusters = _clusters(out, config, tick)
    pool, queries = _pool(out, config, tick)
    written = {
        "pairs": pairs,
        "duplicates": duplicates,
        "clusters": clusters,
        "pool": pool,
        "queries": queries,
    }
    for name, rows in written.items():
        _write_jsonl(out / f"{name}.jsonl", rows)
    counts = {name: len(rows) for name, rows in written.items()}
    meta.update(status="complete", counts=counts)
    write_json_atomic(out / "metadata.json", meta, indent=2)
    return counts
