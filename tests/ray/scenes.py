"""Real image files for the Ray tests: synthetic scenes (multicap.data.scenes), small and quick to encode."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from multicap.data.scenes import render, sample_facts, scene_rng


def write_scenes(folder: Path, n: int, size: int = 64, seed: int = 31) -> list[Path]:
    """`n` rendered scenes as PNG files `scene{i:04d}.png` in `folder` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"scene{i:04d}.png"
        render(sample_facts(scene_rng(seed, i)), size=size, seed=i).save(path)
        paths.append(path)
    return paths


def rows(root: Path) -> list[tuple]:
    """Every image row (id, path, mtime, size, hash, width, height, facts, deleted), in id order."""
    with sqlite3.connect(root / "meta.sqlite") as db:
        return db.execute(
            "SELECT id, path, mtime_ns, size, hash, width, height, facts, deleted FROM images ORDER BY id"
        ).fetchall()


def safe_rows(root: Path) -> list[tuple]:
    try:
        return rows(root)
    except sqlite3.OperationalError:  # not created yet, or the schema is being written
        return []


def vectors(root: Path, space: str = "image") -> dict[str, np.ndarray]:
    """path → the stored vector of each live row."""
    with sqlite3.connect(root / "meta.sqlite") as db:
        found = db.execute(
            f"SELECT path, {space}_vec FROM images WHERE deleted = 0 AND {space}_vec IS NOT NULL"
        )
        return {p: np.frombuffer(v, np.float32) for p, v in found}


def texts(root: Path) -> dict[tuple[str, str], str]:
    """(path, level) → the stored text of each live row."""
    with sqlite3.connect(root / "meta.sqlite") as db:
        found = db.execute(
            "SELECT i.path, d.level, d.text FROM descriptions d JOIN images i ON i.id = d.image_id "
            "WHERE i.deleted = 0"
        )
        return {(p, lv): t for p, lv, t in found}
