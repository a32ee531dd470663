"""What an indexing run does with each file it is given (`multicap.index.build.index_paths` carries it out):
skip it unchanged, touch its record (a new mtime, the same content), reuse stored vectors (a move, a rename,
a copy), encode it, or retire a recorded file that is gone, unless its folder is missing or empty now (a
drive not mounted: held). `IndexReport` counts each."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from multicap.data.feature_files import file_hash
from multicap.errors import ImageLoadError
from multicap.facts.versions import said_enough
from multicap.index.store import ImageRecord, IndexStore, KnownFile
from multicap.io import stat_regular
from multicap.io.paths import stat_error

__all__ = ["IndexReport", "Pending", "Plan", "plan_files", "reuse_and_retire"]

Pending = tuple[Path, os.stat_result, str]  # a file to encode: its path, stat and content hash


@dataclass
class IndexReport:
    added: int = 0  # images encoded and described by this run
    redescribed: int = 0  # of those, unchanged files an older describer had described (IndexModel.said_by)
    edited: int = 0  # of those, recorded files whose content changed
    reused: int = 0  # new paths whose content was already stored (moves, renames, copies)
    moved: int = 0  # of those, files whose old path this run retired (a rename or a move)
    updated: int = 0  # changed mtime, same content
    unchanged: int = 0  # skipped without reading
    deleted: int = 0  # recorded files under the given folders that are gone
    held: int = 0  # recorded files under a named folder that is missing or empty now: kept, not retired
    failed: int = 0  # unreadable files (skipped with a warning)
    total: int = 0  # live images in the index afterwards
    faiss: dict[str, Any] = field(default_factory=dict)  # the layout of each space


@dataclass
class Plan:
    encode: list[Pending] = field(default_factory=list)
    reuse: list[ImageRecord] = field(default_factory=list)
    touch: list[tuple[int, int, int]] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    edited: dict[Path, str] = field(default_factory=dict)  # of `encode`, recorded files whose content
    # changed: path -> its key in the store
    redescribed: set[Path] = field(default_factory=set)  # of `encode`, files an older describer described
    reused_from: list[str] = field(default_factory=list)  # the stored path of each `reuse`


def plan_files(
    store: IndexStore,
    files: list[Path],
    inputs: Iterable[str | Path],
    said_by: str,
    report: IndexReport,
    fail: Callable[[ImageLoadError], None],
    progress: Callable[[int], None] | None,
    rehash: bool = False,
) -> Plan:
    """Sort the files into skip / touch / reuse / encode, and find the recorded files that are gone. An
    unchanged file that another describer version described (`said_by`) is encoded and described again;
    the rows of files outside `inputs` are left as they are."""
    inputs = list(inputs)
    known = store.live_files()
    plan = Plan()
    seen: set[str] = set()
    done = 0
    for path in files:
        if progress is not None and done >= 256:  # report the files settled without encoding as they go
            progress(done)
            done = 0
        key = str(path.resolve())
        if key in seen:  # a link to a file also named (or walked) itself: one image, recorded once
            done += 1
            continue
        try:
            st = stat_regular(path)  # never hash a FIFO or a device: reading it could block for ever
        except ImageLoadError as exc:
            fail(exc)
            done += 1
            if os.path.lexists(path):  # a link whose target is away (a drive not mounted): not gone
                seen.add(key)
            continue
        seen.add(key)
        old = known.get(key)
        if old is not None and (old.mtime_ns, old.size) == (st.st_mtime_ns, st.st_size):
            if rehash:  # read again: an edit may have kept the file's size and time
                try:
                    same = file_hash(path) == old.hash
                except OSError as exc:
                    fail(stat_error(path, exc))
                    done += 1
                    continue
                if not same:
                    done += _sort_changed(store, path, key, st, old, said_by, plan, report, fail)
                    continue
            if not said_enough(old.said_by, said_by):  # the same content, said by an older describer
                plan.encode.append((path, st, old.hash))
                plan.redescribed.add(path)
                continue
            report.unchanged += 1
            done += 1
            continue
        done += _sort_changed(store, path, key, st, old, said_by, plan, report, fail)
    if progress is not None and done:
        progress(done)
    # A named folder that is missing or holds no image now (a drive not mounted, a typing slip) retires
    # nothing: its recorded files are held, and the caller says so.
    tops = {str(i): str(Path(i).resolve()) for i in inputs}
    present = [
        i
        for i, top in tops.items()
        if os.path.isfile(i)
        or (os.path.isdir(i) and any(p == top or p.startswith(top.rstrip(os.sep) + os.sep) for p in seen))
        or (not os.path.lexists(i) and top in known and os.path.isdir(os.path.dirname(top)))  # a file, gone
    ]
    gone = [p for p in known if p not in seen and _under(p, inputs)]
    plan.gone = [p for p in gone if _under(p, present) and _listable(os.path.dirname(p))]
    report.held = len(gone) - len(plan.gone)
    return plan


def reuse_and_retire(
    store: IndexStore, plan: Plan, inputs: Sequence[str | Path], commit_every: int, report: IndexReport
) -> None:
    """Record the files whose content is stored (moves, renames, copies) and retire the paths that are
    gone. A moved file's new row and its old row's retirement are one transaction: a run killed between
    them had left both live for good ("800 images" for 480 files, each search finding a photo twice)."""
    away = _moved_away(store, plan, inputs)  # before the files that moved are added: read only
    leaving = set(plan.gone) | set(away)
    left = store.live_hashes(sorted(leaving))  # what the paths that go held, before they are retired
    for start in range(0, len(plan.reuse), commit_every):
        old = [p for p in dict.fromkeys(plan.reused_from[start : start + commit_every]) if p in leaving]
        report.deleted += len(store.live_among(old))
        store.add(plan.reuse[start : start + commit_every], retire=old)
    report.deleted += store.retire(plan.gone) + store.retire(away)
    report.moved = _moves(left, [r.hash for r in plan.reuse])


def _moves(left: list[str], reused: list[str]) -> int:
    """How many paths that go (by the hash each held) reappear as a new path reusing that content: moves
    and renames, once each. Counted by content, not by the row reused: a moved photo with a copy elsewhere
    reuses the copy's row, and had been counted "deleted" and "reused" (a walkthrough's 11 moved files
    read "9 moved or renamed")."""
    waiting = Counter(reused)
    moved = 0
    for digest in left:
        if waiting[digest]:
            waiting[digest] -= 1
            moved += 1
    return moved


def _moved_away(store: IndexStore, plan: Plan, inputs: Sequence[str | Path]) -> list[str]:
    """The live stored paths that files of this run reuse and that are gone, outside the folders given:
    the folder itself moved or renamed (`index photos_2024` after `mv photos photos_2024`) had left every
    old row live, and each search found the photo twice, once at a path that no longer exists. A path
    under a folder given is gone or held already (a drive not mounted keeps its rows); one found by its
    content may be a retired row's, no move now.

    A gone path is where a new file came from when it holds the same content laid out alike below the
    folder that went (`photos/a.jpg` for `photos_2024/a.jpg`, or for `B/photos/a.jpg`), whichever stored
    row the new file reuses; then every gone copy in that folder goes too (two identical files, moved, had
    reused one row and left the other's old path live: "4 images" for 3 files), and a copy elsewhere (a
    backup on a drive not mounted, indexed later) is not touched. A single file gone from a folder still
    there is where the file it reuses came from (`mv a.jpg b.jpg`)."""
    gone, tops = set(plan.gone), [str(Path(i).resolve()) for i in inputs]

    def away(p: str) -> bool:
        return (
            p not in gone
            and not any(p == t or p.startswith(t.rstrip(os.sep) + os.sep) for t in tops)
            and not os.path.lexists(p)
        )

    held: dict[str, list[str]] = {}  # content → its live stored paths that are gone
    root: dict[str, str] = {}  # such a path → the outermost folder of it that went (itself: none did)
    for path, digest in store.live_paths_of(r.hash for r in plan.reuse):
        if away(path):
            held.setdefault(digest, []).append(path)
            root[path] = _vanished(path)
    moved: dict[str, None] = {}
    for record, source in zip(plan.reuse, plan.reused_from, strict=True):
        tail = _below(record.path, tops)
        laid = [
            p
            for p in held.get(record.hash, ())
            if root[p] != p and _ends_with(tail, os.path.relpath(p, root[p]))
        ]
        if laid:
            moved.update(dict.fromkeys(laid))
        elif root.get(source) == source:  # a single file gone from a folder still there
            moved[source] = None
    went = {root[p] for p in moved if root[p] != p}  # the folders that went with them
    copies = [p for p, top in root.items() if top in went]
    return store.live_among(dict.fromkeys([*moved, *copies]))


def _below(path: str, tops: Sequence[str]) -> str:
    """`path` below the folder given that holds it (a file given by itself: its name)."""
    for top in tops:
        if path.startswith(top.rstrip(os.sep) + os.sep):
            return path[len(top.rstrip(os.sep)) + 1 :]
    return os.path.basename(path)


def _ends_with(tail: str, rel: str) -> bool:
    return tail == rel or tail.endswith(os.sep + rel)


def _vanished(path: str) -> str:
    """The outermost folder of `path` that is gone (the path itself where its folder is there)."""
    gone = path
    parent = os.path.dirname(gone)
    while parent != gone and not os.path.lexists(parent):
        gone, parent = parent, os.path.dirname(parent)
    return gone


def _listable(folder: str) -> bool:
    """Whether a folder's files could have been seen: it is gone (its files with it) or can be listed. A
    folder that cannot be listed now (its permissions) retires nothing."""
    return not os.path.isdir(folder) or os.access(folder, os.R_OK | os.X_OK)


def _sort_changed(
    store: IndexStore,
    path: Path,
    key: str,
    st: os.stat_result,
    old: KnownFile | None,
    said_by: str,
    plan: Plan,
    report: IndexReport,
    fail: Callable[[ImageLoadError], None],
) -> int:
    """File a new or changed file under touch / reuse / encode; returns 1 when it is finished here."""
    try:
        digest = file_hash(path)
    except OSError as exc:
        fail(stat_error(path, exc))  # in the words a walk or a decode says it ("permission denied")
        return 1
    if old is not None and old.hash == digest and said_enough(old.said_by, said_by):
        plan.touch.append((old.id, st.st_mtime_ns, st.st_size))
        report.updated += 1
        return 1
    stored = store.record_by_hash(digest, said_by, whole=True)
    if stored is not None:
        plan.reuse.append(replace(stored, path=key, mtime_ns=st.st_mtime_ns, size=st.st_size))
        plan.reused_from.append(stored.path)
        report.reused += 1
        return 1
    plan.encode.append((path, st, digest))
    if old is not None:
        plan.edited[path] = key
    return 0


def _under(path: str, inputs: Iterable[str | Path]) -> bool:
    for item in inputs:
        top = str(Path(item).resolve())
        if path == top or path.startswith(top.rstrip(os.sep) + os.sep):
            return True
    return False
