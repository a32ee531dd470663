"""`index_paths`: add image files to an index, incrementally and resumably.

- a file whose (path, mtime, size) is recorded is skipped without being read;
- a changed mtime with the same content only updates the record; new content gets a new row;
- a file whose content hash is already stored (a move, a rename, a copy) reuses the stored vectors and texts,
  and where the stored path is gone (outside the folders given too: the folder itself moved), its row is
  retired as a move, in the transaction that records the new path (a run killed between the two had left
  both live for good: an index written before that keeps such rows until `--forget` drops them);
- a file recorded under one of the given folders that is gone is marked deleted and leaves the results,
  but not under a named folder that is missing or holds no image now (a drive not mounted, a typing
  slip): its files are held (`IndexReport.held`), and its parent folder, indexed, retires them;
- new files are encoded and described in batches; each batch of `commit_every` images is one SQLite
  transaction, so a process killed at any moment loses only its current batch and duplicates nothing;
- the FAISS files are brought up to date at the end (and, after a crash, by the next run or search).

An `IndexEngine` may take over the two heavy steps (encoding the new files, building the FAISS files):
`multicap.scale.ray_engine` runs them on a Ray cluster; the plan and every SQLite write stay here.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from multicap.data.feature_files import file_hash
from multicap.errors import ConfigError, DataError, ImageLoadError
from multicap.index.image_side import IMAGE_FILE, load_image_side
from multicap.index.layout import LayoutRules
from multicap.index.location import DB_NAME, write_lock
from multicap.index.models import Described, IndexModel
from multicap.index.query_side import QUERY_FILE, WORDS_FILE, stored_query_model
from multicap.index.store import SPACES, ImageRecord, IndexStore, KnownFile
from multicap.index.sync import faiss_path, sync_vectors
from multicap.index.vectors import check_factory
from multicap.io import (
    IMAGE_EXTENSIONS,
    ErrorHandler,
    iter_batches,
    iter_image_paths,
    log_error,
    stat_regular,
)
from multicap.io.images import upright_size
from multicap.io.paths import stat_error

__all__ = ["IndexEngine", "IndexReport", "Pending", "image_record", "index_paths"]

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


class IndexEngine(Protocol):
    """Where the heavy steps of `index_paths` run (the default: in this process)."""

    def encode(
        self,
        store: IndexStore,
        model: IndexModel,
        todo: list[Pending],
        report: IndexReport,
        fail: Callable[[ImageLoadError], None],
        progress: Callable[[int], None] | None,
    ) -> None:
        """Encode and describe `todo` and `store.add` the records (counted in `report.added`)."""
        ...

    def sync(
        self, root: Path, store: IndexStore, factory: str | None, rules: LayoutRules | None
    ) -> dict[str, Any]:
        """Bring the FAISS files up to date with SQLite (`sync_vectors`); returns its `faiss` meta entry."""
        ...


@dataclass
class _Plan:
    encode: list[Pending] = field(default_factory=list)
    reuse: list[ImageRecord] = field(default_factory=list)
    touch: list[tuple[int, int, int]] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    edited: dict[Path, str] = field(default_factory=dict)  # of `encode`, recorded files whose content
    # changed: path -> its key in the store
    redescribed: set[Path] = field(default_factory=set)  # of `encode`, files an older describer described
    reused_from: list[str] = field(default_factory=list)  # the stored path of each `reuse`


def index_paths(
    root: Path,
    inputs: Sequence[str | Path],
    model: IndexModel,
    *,
    reembed: bool = False,
    rehash: bool = False,
    include_hidden: bool = False,
    batch_size: int = 32,
    commit_every: int = 64,
    factory: str | None = None,
    rules: LayoutRules | None = None,
    files: Sequence[Path] | None = None,
    progress: Callable[[int], None] | None = None,
    on_error: ErrorHandler | None = None,
    engine: IndexEngine | None = None,
) -> IndexReport:
    """Index the image files found in `inputs` into the index folder `root` (created if needed).

    Args:
        model: the encoder, describer and text space (`open_model`); must be the index's own.
        reembed: replace every stored vector when `model` is not the one the index was built with.
        rehash: read every file's content again, also where its size and modification time are as
            recorded (an edit that kept both: a tool that restores the time, a copy made with `cp -p`).
        factory: a FAISS factory string instead of the layout chosen by size.
        files: the image files of `inputs` when the caller has walked them already (to size a progress
            bar); recorded files under `inputs` that are not among them are marked deleted.
        progress: called with the number of files just finished.
        engine: where encoding and the FAISS build run (default: here, `batch_size` images a pass).

    Raises:
        IndexLockedError: another process is writing this index.
        IndexVersionError: the index was written by a newer multicap.
        DataError: the index was built with another model and `reembed` is not set.
        ConfigError: `root` is a file, or a folder of images that holds no index.
    """
    check_index_folder(root)
    check_factory(factory)
    report = IndexReport()
    handle = on_error or log_error
    failed: set[Path] = set()

    def fail(error: ImageLoadError) -> None:
        report.failed += 1
        failed.add(error.path)
        handle(error)

    with write_lock(root), IndexStore(root / DB_NAME) as store:
        _check_model(root, store, model, reembed)
        if files is None:
            found = iter_image_paths(inputs, include_hidden=include_hidden, on_error=fail)
            files = [Path(p) for p in found]
        plan = _plan(store, list(files), inputs, model.said_by, report, fail, progress, rehash)
        store.touch(plan.touch)
        _reuse_and_retire(store, plan, inputs, commit_every, report)
        if engine is None:
            _encode(store, model, plan.encode, batch_size, commit_every, report, fail, progress)
        else:
            engine.encode(store, model, plan.encode, report, fail, progress)
        # A file whose content changed and cannot be read now no longer holds what was indexed (a search
        # had returned an empty file for its old content): retired, its vectors kept for that content.
        store.retire([key for path, key in plan.edited.items() if path in failed])
        if engine is None:
            report.faiss = sync_vectors(root, store, factory=factory, rules=rules)
        else:
            report.faiss = engine.sync(root, store, factory, rules)
        # counted once encoded: an edited file that then failed to decode had been "edited" and not
        # "added" (the summary said "-1 added")
        report.edited = len(plan.edited.keys() - failed)
        report.redescribed = len(plan.redescribed - failed)
        report.total = store.count()
        store.set_meta(described_by=store.said_by_counts())  # for `older_descriptions`, without a scan
    return report


def check_index_folder(root: Path) -> None:
    """Raise ConfigError where no index may be written at `root`: a file, or a folder that holds images but
    no index (`--index photos/` names the photo folder itself: its files would mix with the index's)."""
    if (root / DB_NAME).is_file():
        return
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root} is a file, not an index folder: name another --index")
    if root.is_dir() and any(p.suffix.lower() in IMAGE_EXTENSIONS for p in root.iterdir()):
        raise ConfigError(
            f"{root} is a folder of images, not an index: an index is not written among photos; "
            "name another --index (a name, or a new folder)"
        )


def _check_model(root: Path, store: IndexStore, model: IndexModel, reembed: bool) -> None:
    identity = model.identity()
    stored = store.get_meta("identity")
    if stored is not None and "model_stamp" not in stored and "model_stamp" in identity:
        stored = {**stored, "model_stamp": identity["model_stamp"]}  # recorded before weights were stamped
    # an index that holds no image, live or retired (a first run stopped before its first batch), takes
    # any model: it had refused the one asked for, "built with another model", with nothing built
    empty = store.count() == 0 and store.count(deleted=True) == 0
    if stored is not None and stored != identity:
        if not reembed and not empty:
            changed = [k for k in identity if stored.get(k) != identity[k] and k != "preprocess"]
            said = "; ".join(f"{k} {stored.get(k)!r} -> {identity[k]!r}" for k in changed[:2])
            shown = f"{said or 'its preprocessing'}; {store.count():,} images"  # not preprocess's dict
            raise DataError(
                f"{root} was built with another model ({shown}); pass --reembed to re-encode every image "
                "with this one, or use another --index"
            )
        store.clear()
        for space in SPACES:
            faiss_path(root, space).unlink(missing_ok=True)
        store.set_meta(faiss={})
    # what a query needs without the model, written again where missing or damaged (a truncated file had
    # stayed, failing every image search); a model without an image side, a bundle's, writes its small
    # text side again on each run
    if stored != identity:  # another model's query side is not this one's: a CLIP index re-embedded from a
        for name in (QUERY_FILE, WORDS_FILE, IMAGE_FILE):  # bundle's had searched with the bundle's words
            (root / name).unlink(missing_ok=True)
    intact = stored_query_model(root, identity) is not None and load_image_side(root, identity) is not None
    if stored != identity or not intact:
        model.save_query_side(root)
    store.set_meta(identity=identity)


def _plan(
    store: IndexStore,
    files: list[Path],
    inputs: Iterable[str | Path],
    said_by: str,
    report: IndexReport,
    fail: Callable[[ImageLoadError], None],
    progress: Callable[[int], None] | None,
    rehash: bool = False,
) -> _Plan:
    """Sort the files into skip / touch / reuse / encode, and find the recorded files that are gone. An
    unchanged file that another describer version described (`said_by`) is encoded and described again;
    the rows of files outside `inputs` are left as they are."""
    inputs = list(inputs)
    known = store.live_files()
    plan = _Plan()
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
            if old.said_by != said_by:  # the same content, said by an older describer
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


def _reuse_and_retire(
    store: IndexStore, plan: _Plan, inputs: Sequence[str | Path], commit_every: int, report: IndexReport
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


def _moved_away(store: IndexStore, plan: _Plan, inputs: Sequence[str | Path]) -> list[str]:
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
    plan: _Plan,
    report: IndexReport,
    fail: Callable[[ImageLoadError], None],
) -> int:
    """File a new or changed file under touch / reuse / encode; returns 1 when it is finished here."""
    try:
        digest = file_hash(path)
    except OSError as exc:
        fail(stat_error(path, exc))  # in the words a walk or a decode says it ("permission denied")
        return 1
    if old is not None and old.hash == digest and old.said_by == said_by:
        plan.touch.append((old.id, st.st_mtime_ns, st.st_size))
        report.updated += 1
        return 1
    stored = store.record_by_hash(digest, said_by)
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


def _encode(
    store: IndexStore,
    model: IndexModel,
    todo: list[Pending],
    batch_size: int,
    commit_every: int,
    report: IndexReport,
    fail: Callable[[ImageLoadError], None],
    progress: Callable[[int], None] | None,
) -> None:
    """Decode (in worker threads), encode and describe the new files; commit every `commit_every` images."""
    info = {path: (st, digest) for path, st, digest in todo}
    pending: list[ImageRecord] = []
    batches = iter_batches(
        (p for p, _, _ in todo), model.load, batch_size=batch_size, on_error=fail, progress=progress
    )
    for paths, vectors, said in _processed(model, batches):
        pending.extend(
            image_record(p, info[p][0].st_mtime_ns, info[p][0].st_size, info[p][1], v, s, model.said_by)
            for p, v, s in zip(paths, vectors, said, strict=True)
        )
        if len(pending) >= commit_every:
            report.added += len(store.add(pending))
            pending.clear()
    if pending:
        report.added += len(store.add(pending))


def _processed(
    model: IndexModel, batches: Iterator[tuple[list[Path], list[Any]]]
) -> Iterator[tuple[list[Path], np.ndarray, list[Described]]]:
    """`model.process` of each batch, in order; in a pipeline where the model has `process_batches`."""
    pipelined = getattr(model, "process_batches", None)
    if pipelined is not None:
        yield from pipelined(batches)
        return
    for paths, loaded in batches:
        vectors, said = model.process(paths, loaded)
        yield paths, vectors, said


def image_record(
    path: Path, mtime_ns: int, size: int, digest: str, vector: np.ndarray, said: Described, said_by: str
) -> ImageRecord:
    """What is stored for a file a model has just processed (its image vector, what it said, and the
    version of the describer that said it)."""
    desc = said.description
    vectors = {"image": vector}
    if said.caption_vector is not None:
        vectors["caption"] = said.caption_vector
    return ImageRecord(
        str(path.resolve()), mtime_ns, size, digest, *_size(path),
        dict(desc.texts), dict(desc.confidence), desc.facts.to_dict() if desc.facts is not None else None,
        said.tags, vectors, said_by,
    )  # fmt: skip


def _size(path: Path) -> tuple[int | None, int | None]:
    """(width, height) from the file's header (the pixels were decoded at reduced scale), upright."""
    try:
        with Image.open(path) as img:
            return upright_size(img)
    except (OSError, SyntaxError, ValueError, EOFError):  # as load_image: Pillow's words for corrupt data
        return None, None
