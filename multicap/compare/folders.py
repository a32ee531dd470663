"""A set given as two or more folders: what sets each folder apart from the others, and the copies across.

    multicap compare holiday-2023/ holiday-2024/

compares the photos as one set (duplicates, clusters, outliers) and says, per folder, what its photos
show that the other folders' show far less (`labels.set_apart`, each photo once, its copies left out),
and how many near-duplicate groups hold photos of more than one folder. A photo belongs to the first
folder given that holds it; photos named one by one belong to none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from multicap.compare.duplicates import DuplicateGroup
from multicap.compare.labels import set_apart

__all__ = ["FolderSummary", "folder_of", "folder_summaries", "groups_across"]


@dataclass
class FolderSummary:
    folder: str
    members: list[int]  # indices into the set
    distinguishing: list[str]  # what its photos show that the other folders' far less do, counted
    text: str  # "24 images: animal (22 of 24), mammal (15 of 24)"


def folder_of(paths: Sequence[Path], folders: Sequence[Path]) -> list[int]:
    """Per path, the index of the first folder that holds it, or -1."""
    roots = [(Path(f), Path(f).resolve()) for f in folders]

    def which(p: Path) -> int:
        real = Path(p).resolve()
        return next(
            (k for k, (f, r) in enumerate(roots) if Path(p).is_relative_to(f) or real.is_relative_to(r)), -1
        )

    return [which(p) for p in paths]


def folder_summaries(
    paths: Sequence[Path],
    folders: Sequence[Path],
    feats: list[set[str]],
    above: dict[str, set[str]],
    names: set[str],
    stands_for: np.ndarray,
) -> list[FolderSummary]:
    """Per folder holding any of `paths`, what sets its photos apart from the other folders' photos."""
    where = np.array(folder_of(paths, folders), dtype=np.int64)
    photo = stands_for == np.arange(len(stands_for))  # each photo once: copies say nothing more of it
    out = []
    for k, folder in enumerate(folders):
        members = [int(i) for i in np.flatnonzero(where == k)]
        if not members:
            continue
        photos = [i for i in members if photo[i]] or members
        others = photo & (where != k) & (where >= 0)
        label = set_apart(photos, others, feats, above, names) if others.any() else []
        n = len(members)
        text = f"{n} image{'s' if n != 1 else ''}: " + (", ".join(label) or "nothing sets it apart")
        out.append(FolderSummary(str(folder), members, label, text))
    return out


def groups_across(groups: Sequence[DuplicateGroup], paths: Sequence[Path], folders: Sequence[Path]) -> int:
    """How many near-duplicate groups hold photos of two or more of the folders."""
    where = folder_of(paths, folders)
    return sum(len({where[m] for m in g.members if where[m] >= 0}) > 1 for g in groups)
