"""The index one server serves, read-only: its images by id, their files (checked), thumbnails, searches.

Images are addressed by their row id, never by a path from a request: an id leads to the path the index
recorded (absolute and resolved when it was indexed), and that file is opened only while it still is that
very file: a regular file whose real path is the recorded one (`indexed_file`). A file swapped for a
symbolic link, or a folder on its path swapped for one, is refused, so no request can reach a file outside
the indexed folders. Nothing here writes to the index: the writer lock is never taken, the FAISS files
are never saved (docs/architecture.md, decision 6: readers take no lock).

What the index holds is read again when it changes (`generation`: its largest row id, live and deleted
counts, FAISS checksums), so a `multicap index` running beside the server shows in the next request.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
from PIL import Image

from multicap.errors import ConfigError, DataError, ImageLoadError
from multicap.index import index_info, search_index
from multicap.index.location import DB_NAME, no_index
from multicap.index.models import tag_phrases
from multicap.index.query_side import QUERY_FILE, WORDS_FILE, StoredQueryModel, stored_query_model
from multicap.index.search import SearchResult
from multicap.index.search_cache import SearchCache
from multicap.index.store import ImageRecord, IndexStore, KnownFile
from multicap.io import json_name, load_image
from multicap.io.paths import json_names, short_names
from multicap.serve.background import NotReady

__all__ = ["Collection", "Gone", "NotFound", "Refused", "Unreadable", "checked_file", "file_state"]

_THUMBS = 2048  # thumbnails kept in memory (about 10 KB each at 256 px)
_JPEG_QUALITY = 85


class NotFound(DataError):
    """No live image with that id."""


class Refused(DataError):
    """The recorded file is no longer the file that was indexed (a link, another kind, gone)."""


class Gone(Refused):
    """The recorded file is no longer there (HTTP 410: it was, and is not; not a refusal to serve it)."""


class Unreadable(DataError):
    """The recorded file is there but cannot be decoded now (HTTP 409: the file changed since it was
    indexed, not the request; it had been a 400, "Bad input")."""


@dataclass(frozen=True)
class _Catalogue:
    generation: tuple[Any, ...]
    by_id: dict[int, str]  # id -> recorded path, live rows only, in id order
    files: dict[str, KnownFile]

    @property
    def version(self) -> str:
        """The generation as a short string a client can compare: another means the index changed."""
        return hashlib.sha256(repr(self.generation).encode()).hexdigest()[:12]


class Collection:
    """One index, opened for reading; safe to share between request threads."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.db = root / DB_NAME
        if not self.db.is_file():
            raise ConfigError(no_index(root))
        self.cache = SearchCache()  # the FAISS files and candidates' facts, kept between searches
        self._lock = threading.Lock()
        self._catalogue: _Catalogue | None = None
        self._shown: tuple[Any, dict[str, str]] | None = None  # the catalogue's generation, its names
        self._query: tuple[Any, StoredQueryModel | None] | None = None
        self._thumbs: OrderedDict[tuple[int, int, int], bytes] = OrderedDict()

    # ------------------------------------------------------------------------------------------ reads
    @contextmanager
    def store(self) -> Iterator[IndexStore]:
        """The index's database, opened to read; NotReady where it is gone (moved, or being built again):
        never made anew, as opening it had (an empty `meta.sqlite` written into the index's folder)."""
        try:
            opened = IndexStore(self.db, create=False)
        except FileNotFoundError:
            raise NotReady(self._gone()) from None
        with opened as store:
            yield store

    def _gone(self) -> str:
        return (
            f"the index at {self.root} cannot be read now ({self.db.name} is not there): moved, or being "
            "built again? It is read when back"
        )

    def generation(self, store: IndexStore) -> tuple[Any, ...]:
        """What changes whenever `multicap index` changes the index (cheap: a few indexed reads)."""
        faiss = store.get_meta("faiss", {})
        sums = tuple(sorted((space, str(v.get("sha256"))) for space, v in faiss.items()))
        return (store.max_id(), store.count(), store.count(deleted=True), sums)

    def catalogue(self) -> _Catalogue:
        with self.store() as store:
            gen = self.generation(store)
            current = self._catalogue
            if current is not None and current.generation == gen:
                return current
            files = store.live_files()
        by_id = {k.id: path for path, k in sorted(files.items(), key=lambda kv: kv[1].id)}
        with self._lock:
            self._catalogue = _Catalogue(gen, by_id, files)
        return self._catalogue

    def shown_name(self, path: str) -> str:
        """The name an image is shown by, on every page and in every answer: its file name, with as many
        of its folders before it as tell it from another file of that name in the index ("A/gorilla.jpg",
        "B/gorilla.jpg"; `short_names`). One image had been "gorilla.jpg" in one answer and
        "sub/gorilla.jpg" in another, as the others shown beside it had it. Made once a state of the index."""
        cat = self.catalogue()
        with self._lock:
            if self._shown is None or self._shown[0] != cat.generation:
                paths = list(cat.files)
                shown = short_names([Path(p) for p in paths])
                self._shown = (cat.generation, dict(zip(paths, shown, strict=True)))
            return self._shown[1].get(path) or Path(path).name

    def identity(self) -> dict[str, Any]:
        with self.store() as store:
            return dict(store.get_meta("identity") or {})

    def record(self, image_id: int) -> tuple[str, ImageRecord]:
        """(recorded path, everything stored for it) of a live image.

        Raises:
            NotFound: no live image has this id.
        """
        cat = self.catalogue()
        path = cat.by_id.get(self.live_id(image_id))
        if path is None:
            raise NotFound(f"no image with id {image_id} in {self.root}")
        with self.store() as store:
            rec = store.record_by_hash(cat.files[path].hash)
        if rec is None:
            raise NotFound(f"image {image_id} has no stored description")
        return path, rec

    def image(self, image_id: int) -> dict[str, Any]:
        """What the API says of one image: id (its live id: an older one of the same file says the new),
        name, path, texts, confidence, facts, tags, size, and whether its file is still as indexed
        (`file_state`)."""
        live = self.live_id(image_id)
        path, rec = self.record(live)
        state = file_state(path, self.catalogue().files.get(path))
        return {
            "id": live, **json_names(name=self.shown_name(path), path=path),
            "texts": rec.texts, "confidence": {k: round(v, 4) for k, v in rec.confidence.items()},
            "facts": rec.facts, "tags": tag_phrases(rec.facts, rec.tags),
            "width": rec.width, "height": rec.height, "file": state,
        }  # fmt: skip

    def info(self) -> dict[str, Any]:
        """`multicap index --info`, and how often this process loaded the FAISS files. The index gone
        while served is NotReady (503, as every other route answers then; it had been a 400, "no index at
        ...; build one", which blames the request)."""
        if not self.db.is_file():
            raise NotReady(self._gone())
        return {**index_info(self.root), "faiss_loads": self.cache.loads}

    def live_id(self, image_id: int) -> int:
        """The live id of an image: itself, or where its row was retired because its file was described
        again (a new describer, an edit), the id of the file's live row now, so that a link made before
        `multicap index` ran again still reaches it. An id of no file live now is returned as it is."""
        cat = self.catalogue()
        if image_id in cat.by_id or not -(2**63) <= image_id < 2**63:  # beyond SQLite's INTEGER: no row
            return image_id
        with self.store() as store:
            path = store.path_of(image_id)
        known = cat.files.get(path) if path is not None else None
        return image_id if known is None else known.id

    def id_of(self, path: str) -> int | None:
        known = self.catalogue().files.get(path)
        return None if known is None else known.id

    # ------------------------------------------------------------------------------------------ files
    def indexed_file(self, image_id: int) -> Path:
        """The file of a live image, checked to be the one indexed (see the module docstring).

        Raises:
            NotFound: no live image has this id.
            Refused: the file is gone, is not a regular file, or a link leads to or towards it.
        """
        path = self.catalogue().by_id.get(self.live_id(image_id))
        if path is None:
            raise NotFound(f"no image with id {image_id} in {self.root}")
        return checked_file(path)

    def thumbnail(self, image_id: int, side: int) -> bytes:
        """A JPEG of the image, its longer side at most `side` pixels (decoded through multicap.io)."""
        path = self.indexed_file(image_id)
        key = (image_id, side, path.stat().st_mtime_ns)
        with self._lock:
            if key in self._thumbs:
                self._thumbs.move_to_end(key)
                return self._thumbs[key]
        try:
            img = load_image(path, min_short_side=min(side, 1024))
        except ImageLoadError as exc:
            cat = self.catalogue()
            recorded = cat.by_id.get(self.live_id(image_id), str(path))
            if file_state(recorded, cat.files.get(recorded)) != "changed":
                raise Unreadable(str(exc)) from None  # as indexed (a limit of this server's, the disk's)
            raise Unreadable(
                f"{exc}; it changed since it was indexed: index its folder again to bring the index up to "
                "date"
            ) from None
        img.thumbnail((side, side), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=_JPEG_QUALITY)
        data = buf.getvalue()
        with self._lock:
            self._thumbs[key] = data
            while len(self._thumbs) > _THUMBS:
                self._thumbs.popitem(last=False)
        return data

    # ------------------------------------------------------------------------------------------ search
    def query_model(self) -> StoredQueryModel | None:
        """The index's model-free text side (`query_side`), read again when its files change (an `index`
        run with another model rewrites them; the index's identity is read only then)."""
        stamp = (_stat(self.db), _stat(self.root / QUERY_FILE), _stat(self.root / WORDS_FILE))
        cached = self._query
        if cached is not None and cached[0] == stamp:
            return cached[1]
        identity = self.identity()
        model = stored_query_model(self.root, identity) if identity else None
        self._query = (stamp, model)
        return model

    def search_text(
        self, query: str, k: int, levels: tuple[str, ...] | None, model: Any = None
    ) -> SearchResult:
        """`multicap search QUERY`: from the stored query side, else with `model` (the index's own)."""
        _one_faiss_thread()
        return search_index(
            self.root, query, k=k, levels=levels, model=self.query_model() or model, cache=self.cache
        )

    def search_image(self, path: Path, k: int, model: Any = None) -> SearchResult:
        """`multicap search --image PATH`: an indexed file's stored vector, else `model` embeds it."""
        _one_faiss_thread()
        return search_index(self.root, image=path, k=k, model=model, cache=self.cache)

    def clear(self) -> None:
        """Forget what was read (the next request reads the index again)."""
        with self._lock:
            self._catalogue, self._query = None, None
            self._thumbs.clear()
        self.cache.clear()


def _one_faiss_thread() -> None:
    """One OpenMP thread for FAISS in the calling thread. OpenMP keeps the thread count per thread: the
    `omp_set_num_threads(1)` of `create_app` holds for the main thread only, and in a request thread FAISS
    ran each exact scan of 10,000 x 1,280 on two OpenMP threads, 7.1 ms of CPU instead of 2.2 (measured in
    one process, 300 scans each way)."""
    faiss.omp_set_num_threads(1)  # 0.1 us


def checked_file(path: str) -> Path:
    """`path` (a recorded, resolved path) when it is still a regular file reached through no link.

    Raises:
        Refused: otherwise, saying why in a few words.
    """
    p = Path(path)
    if not p.is_absolute() or os.path.realpath(p) != str(p):
        raise Refused(f"image file {json_name(p.name)} is reached through a link now; not served")
    try:
        mode = os.lstat(p).st_mode
    except OSError:
        raise Gone(
            f"image file {json_name(p.name)} is gone (moved or deleted since it was indexed)"
        ) from None
    if not stat.S_ISREG(mode):
        raise Refused(f"image file {json_name(p.name)} is not a regular file; not served")
    return p


def file_state(path: str, known: KnownFile | None) -> str:
    """Whether the recorded file `path` is still the one `known` describes: "unchanged"; "changed" (its
    size or modification time differ from what `multicap index` recorded: the thumbnail shows the new
    pixels, the texts are of the old ones until it runs again); "gone" (moved or deleted); "refused" (a
    link now, or not a regular file: not served). One lstat: a folder on its path swapped for a link is
    found when the file is read (`checked_file`), not here (its realpath cost 40 us a hit, 8 ms for 200)."""
    try:
        st = os.lstat(path)
    except OSError:
        return "gone"
    if not stat.S_ISREG(st.st_mode):
        return "refused"
    if known is None or (st.st_size, st.st_mtime_ns) == (known.size, known.mtime_ns):
        return "unchanged"
    return "changed"


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size
