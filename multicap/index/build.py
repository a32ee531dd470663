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

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from multicap.errors import ConfigError, DataError, ImageLoadError
from multicap.index.image_side import IMAGE_FILE, load_image_side
from multicap.index.layout import LayoutRules
from multicap.index.location import DB_NAME, write_lock
from multicap.index.mapped_lists import LISTS_SUFFIX
from multicap.index.models import Described, IndexModel
from multicap.index.plan import IndexReport, Pending, plan_files, reuse_and_retire
from multicap.index.query_side import QUERY_FILE, WORDS_FILE, stored_query_model
from multicap.index.schema import check_intact
from multicap.index.store import SPACES, ImageRecord, IndexStore
from multicap.index.sync import faiss_path, sync_vectors
from multicap.index.vectors import check_factory
from multicap.io import (
    IMAGE_EXTENSIONS,
    ErrorHandler,
    iter_batches,
    iter_image_paths,
    log_error,
)
from multicap.io.images import upright_size

__all__ = ["IndexEngine", "IndexReport", "Pending", "image_record", "index_paths"]

_CHECKED_UP_TO = 256 << 20  # bytes of database an `index` run checks for damage first (~1 s, 20k images)


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
        _remove_leftovers(root)
        if (root / DB_NAME).stat().st_size <= _CHECKED_UP_TO:
            check_intact(store.db, root / DB_NAME)  # before anything is added to a damaged index
        _check_model(root, store, model, reembed)
        if files is None:
            found = iter_image_paths(inputs, include_hidden=include_hidden, on_error=fail)
            files = [Path(p) for p in found]
        plan = plan_files(store, list(files), inputs, model.said_by, report, fail, progress, rehash)
        store.touch(plan.touch)
        reuse_and_retire(store, plan, inputs, commit_every, report)
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


def _remove_leftovers(root: Path) -> None:
    """The temporary files a writer killed mid-write left in the index folder (`.query.npy.<pid>.tmp`, 5 MB,
    had stayed through every later run), by the names multicap gives them, never another program's `.tmp`
    (an index may be kept in a folder of other files); under the write lock no other process writes one."""
    names = [f".{QUERY_FILE}.*.tmp", f".{WORDS_FILE}.*.tmp", f"{IMAGE_FILE}.tmp.npz"]
    for space in SPACES:  # an index file, and its inverted lists' file (`mapped_lists.write_lists`)
        names += [f"{faiss_path(root, space).name}.tmp", f"{space}{LISTS_SUFFIX}.tmp"]
    for pattern in names:
        for path in root.glob(pattern):
            if path.is_file() and not path.is_symlink():
                path.unlink(missing_ok=True)


def _check_model(root: Path, store: IndexStore, model: IndexModel, reembed: bool) -> None:
    identity = model.identity()
    stored = recorded = store.get_meta("identity")
    if stored is not None and "model_stamp" not in stored and "model_stamp" in identity:
        stored = {**stored, "model_stamp": identity["model_stamp"]}  # recorded before weights were stamped
    # an index that holds no image, live or retired (a first run stopped before its first batch), takes
    # any model: it had refused the one asked for, "built with another model", with nothing built
    empty = store.count() == 0 and store.count(deleted=True) == 0
    if stored is not None and stored != identity and not _moved(recorded, identity):  # (its own stamp)
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


def _moved(stored: dict[str, Any], identity: dict[str, Any]) -> bool:
    """Whether `identity` is the stored model's folder moved: only its place differs, its weights are
    stamped the same, and nothing is at the old place (a moved folder had meant every image encoded
    again, --reembed)."""
    differ = {k for k in stored.keys() | identity.keys() if stored.get(k) != identity.get(k)}
    old, new = stored.get("model"), identity.get("model")  # (an open_clip folder is its own encoder too)
    placed = "model" in differ and all(stored.get(k) == old and identity.get(k) == new for k in differ)
    return placed and stored.get("model_stamp") is not None and not Path(str(old)).exists()


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
