"""A set given as two or more folders: what sets each folder apart from the others, and the copies across.

    multicap compare holiday-2023/ holiday-2024/

compares the photos as one set (duplicates, clusters, outliers) and says, per folder, what its photos
show that the other folders' show far less (`labels.set_apart`, each photo once, its copies left out),
and how many near-duplicate groups hold photos of more than one folder. A photo belongs to the deepest
folder given that holds it; photos named one by one belong to none.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from multicap.compare.duplicates import DuplicateGroup
from multicap.compare.labels import counted, set_apart

__all__ = ["FolderSummary", "folder_of", "folder_summaries", "groups_across"]


@dataclass
class FolderSummary:
    folder: str
    members: list[int]  # indices into the set
    distinguishing: list[str]  # features its photos hold that the other folders' far less do
    text: str  # "24 images: animal (22 of 24), mammal (15 of 24)": the same, counted


def folder_of(paths: Sequence[Path], folders: Sequence[Path]) -> list[int]:
    """Per path, the index of the deepest of `folders` that holds it, or -1: by absolute path, `..`
    folded but links not followed (a photo walked from A is A's, though it links into B; `compare .
    ../B` run inside A keeps B's photos B's)."""
    roots = [Path(os.path.abspath(f)) for f in folders]

    def which(p: Path) -> int:
        path = Path(os.path.abspath(p))
        holding = [k for k, root in enumerate(roots) if path.is_relative_to(root)]
        return max(holding, key=lambda k: len(roots[k].parts), default=-1)

    return [which(p) for p in paths]


def folder_summaries(
    where: Sequence[int],
    folders: Sequence[Path],
    feats: list[set[str]],
    above: dict[str, set[str]],
    names: set[str],
    stands_for: np.ndarray,
) -> list[FolderSummary]:
    """Per folder, what sets its photos apart from the other folders' photos (`where`: each image's folder,
    `folder_of`); [] unless two or more folders hold images. A photo and its copies in one folder count
    once, whichever folder holds the photo they copy."""
    at = np.asarray(where, dtype=np.int64)
    held = [k for k in range(len(folders)) if (at == k).any()]
    if len(held) < 2:
        return []
    firsts = {k: _each_photo_once(np.flatnonzero(at == k), stands_for) for k in held}
    out = []
    for k in held:
        members = [int(i) for i in np.flatnonzero(at == k)]
        others = np.zeros(len(at), dtype=bool)
        for j in held:
            others[firsts[j]] = j != k
        label = set_apart(firsts[k], others, feats, above, names)
        held_by = Counter(f for i in firsts[k] for f in feats[i])
        n, photos = len(members), len(firsts[k])
        text = f"{n} image{'s' if n != 1 else ''}"
        text += f" ({photos} photo{'s' if photos != 1 else ''} and copies)" if photos < n else ""
        text += ": " + (", ".join(counted(label, held_by, photos)) or "nothing sets it apart")
        out.append(FolderSummary(str(folders[k]), members, label, text))
    return out


def _each_photo_once(members: np.ndarray, stands_for: np.ndarray) -> list[int]:
    """The first member of each near-duplicate group among `members` (a photo, or the first of its copies)."""
    first: dict[int, int] = {}
    for i in members:
        first.setdefault(int(stands_for[i]), int(i))
    return list(first.values())


def groups_across(groups: Sequence[DuplicateGroup], where: Sequence[int]) -> int:
    """How many near-duplicate groups hold images of two or more folders (`where`: `folder_of`)."""
    return sum(len({where[m] for m in g.members if where[m] >= 0}) > 1 for g in groups)
