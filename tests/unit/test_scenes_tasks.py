"""Set tasks on disk: every file is there, and the answers written agree with the images' facts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from multicap.data.scenes import SetTasksConfig, query_matches, write_set_tasks
from multicap.errors import DataError
from multicap.facts.scene import SceneFacts

CONFIG = SetTasksConfig(
    seed=1, size=64, pairs=14, duplicates=3, clusters=2, per_cluster=4, pool=40, queries=12
)


def _rows(folder: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (folder / f"{name}.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def tasks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tasks")
    counts = write_set_tasks(out, CONFIG)
    assert counts == {"pairs": 14, "duplicates": 3, "clusters": 2, "pool": 40, "queries": 12}
    return out


def test_pairs_on_disk_match_their_statements(tasks: Path) -> None:
    rows = _rows(tasks, "pairs")
    assert {r["change"] for r in rows} >= {"add", "remove", "recolour"}
    for row in rows:
        a = np.asarray(Image.open(tasks / row["a"]), dtype=int)
        b = np.asarray(Image.open(tasks / row["b"]), dtype=int)
        assert a.shape == (64, 64, 3) and not np.array_equal(a, b)
        before, after = SceneFacts.from_dict(row["facts_a"]), SceneFacts.from_dict(row["facts_b"])
        if row["change"] in ("brightness", "jitter"):
            assert row["differences"] == []
        else:
            assert len(row["differences"]) == 1
            assert len(after.objects) - len(before.objects) == {"add": 1, "remove": -1}.get(row["change"], 0)


def test_duplicates_clusters_and_queries_hold_their_answers(tasks: Path) -> None:
    for group in _rows(tasks, "duplicates"):
        assert set(group["files"]) == {"original", "crop", "scale", "jpeg", "rotate", "exposure"}
        assert all((tasks / f).is_file() for f in group["files"].values())
    for cluster in _rows(tasks, "clusters"):
        shared = SceneFacts.from_dict(cluster["shared"])
        assert len(cluster["files"]) == 4 and cluster["summary"].startswith("every image shows")
        for facts in map(SceneFacts.from_dict, cluster["facts"]):
            pairs = {(o.attributes["colour"], o.label) for o in facts.objects}
            assert {(o.attributes["colour"], o.label) for o in shared.objects} <= pairs
    pool = {row["file"]: SceneFacts.from_dict(row["facts"]) for row in _rows(tasks, "pool")}
    assert all((tasks / f).is_file() for f in pool)
    for query in _rows(tasks, "queries"):
        assert query["relevant"] == [f for f, facts in pool.items() if query_matches(query["text"], facts)]
        assert query["relevant"]


def test_same_config_rewrites_the_same_bytes_other_config_is_refused(tasks: Path, tmp_path: Path) -> None:
    write_set_tasks(tmp_path, CONFIG)
    for name in ("pairs.jsonl", "queries.jsonl", "pairs/000003_b.png", "duplicates/000001_jpeg.png"):
        assert (tmp_path / name).read_bytes() == (tasks / name).read_bytes(), name
    with pytest.raises(DataError, match=r"pairs 14 -> 15.*--force"):
        write_set_tasks(tmp_path, SetTasksConfig(**{**CONFIG.__dict__, "pairs": 15}))
    smaller = SetTasksConfig(**{**CONFIG.__dict__, "pairs": 2})
    assert write_set_tasks(tmp_path, smaller, force=True)["pairs"] == 2
    assert len(list((tmp_path / "pairs").glob("*.png"))) == 4  # the old pairs are gone
