"""What the web app and the API both call: the index (`Collection`), the model loaded once in the
background, the whole index's comparison made once per state of the index, and uploads.

An upload is refused above `max_upload` bytes, written to a private folder of this process under a name
of its own (never the one sent), decoded through `multicap.io.load_image` (every check: kind, pixels,
memory) before the model sees it, and removed when the request ends.
"""

from __future__ import annotations

import atexit
import importlib
import shutil
import tempfile
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from multicap.errors import ConfigError, ImageLoadError
from multicap.facts import LEVELS
from multicap.index.search import Hit, SearchResult, nearest_only_note, quoted
from multicap.index.store import KnownFile
from multicap.io import IMAGE_EXTENSIONS, json_name, load_image
from multicap.io.images import env_max_pixels
from multicap.io.paths import json_names, walk_order
from multicap.serve.background import Job
from multicap.serve.collection import Collection, Gone, checked_file, file_state

__all__ = ["DEFAULT_MAX_UPLOAD", "MAX_OFFSET", "MODEL_SIDE", "Service", "UploadError", "UploadTooLarge"]

MODEL_SIDE = "multicap.serve.modelside"  # imported on first use: it loads torch (see that module)
DEFAULT_MAX_UPLOAD = 20 * 2**20  # bytes of one uploaded image
MAX_OFFSET = 1000  # hits a search may skip (a page of results further is the search of offset + k)
UPLOAD_MAX_PIXELS = 60_000_000  # an upload with more pixels is refused before decoding (MULTICAP_MAX_PIXELS
# sets another limit, as it does for files)
MODEL_WAIT = 120.0  # seconds a request that needs the model waits for it to load
_RANKINGS = 64  # text searches kept for the next pages of their query
_UPLOAD_FOLDERS: set[Path] = set()  # of the services not closed: removed at exit


@atexit.register
def _remove_upload_folders() -> None:
    for folder in list(_UPLOAD_FOLDERS):
        shutil.rmtree(folder, ignore_errors=True)


_SETTLE_SECONDS = 60.0  # the longest a stopping server waits for its model to finish loading


class UploadError(ConfigError):
    """An uploaded file that is too large or cannot be decoded; the message names it (escaped)."""


class UploadTooLarge(UploadError):
    """An uploaded file over the limit (HTTP 413)."""


class Service:
    """One served index. Safe to share between request threads."""

    def __init__(
        self,
        root: Path,
        *,
        device: str = "cpu",
        max_upload: int = DEFAULT_MAX_UPLOAD,
        load_model: bool = True,
    ) -> None:
        self.collection = Collection(root)
        self.device = device
        self.max_upload = max_upload
        self.model_job = Job("loading the model", self._load_model)
        self._model_for = self.collection.identity()  # the index's identity the model job loads for
        self._model_lock = threading.Lock()
        self._whole: tuple[tuple[Any, ...], Job] | None = None
        self.uploads = Path(tempfile.mkdtemp(prefix="multicap-serve-"))  # mode 0700
        _UPLOAD_FOLDERS.add(self.uploads)  # removed at exit too: a second Ctrl-C skips the server's shutdown
        # At most two searches at a time in a process (one per core of a laptop): a search releases the
        # GIL for each SQLite statement and FAISS scan (about 40), and with 8 request threads each release
        # waited for the GIL again (a convoy). 8 clients, 2 workers: 60 searches/s, p95 188 ms with no
        # limit; 58-80/s with one at a time; 74-78/s, p95 135-148 ms with two (2026-12-04, at 14 ms of CPU a
        # search; at 7 ms now the limit was not measured again).
        self._search_lock = threading.Semaphore(2)
        self._rankings: OrderedDict[tuple[Any, ...], SearchResult] = OrderedDict()
        self._rankings_lock = threading.Lock()
        if load_model:
            self.model_job.start()

    @staticmethod
    def side() -> Any:
        """The model side (`multicap.serve.modelside`), imported on first use."""
        return importlib.import_module(MODEL_SIDE)

    def model(self) -> Any:
        """The index's model, waiting for it to load (`MODEL_WAIT` seconds at most); loaded again where the
        index has been described by another model since it was loaded (`multicap index --model M --reembed`
        under a running server: describe had kept answering with the first model)."""
        with self._model_lock:  # the identity read in it: a request that read the older one waits
            identity = self.collection.identity()
            if identity != self._model_for:  # (and a load that failed for the one before is tried anew)
                self._model_for, self.model_job = identity, Job("loading the model", self._load_model).start()
            job = self.model_job
        return job.result(MODEL_WAIT)

    def _load_model(self, job: Job) -> Any:
        return self.side().open_model(self.collection.root, self.device)

    def close(self) -> None:
        self.model_job.settle(_SETTLE_SECONDS)
        shutil.rmtree(self.uploads, ignore_errors=True)
        _UPLOAD_FOLDERS.discard(self.uploads)

    # ------------------------------------------------------------------------------------------ search
    def search(
        self, query: str | None, like: int | None, k: int, levels: tuple[str, ...] | None, offset: int = 0
    ) -> tuple[SearchResult, list[dict[str, Any]], bool, str]:
        """A text query, or the images most like an indexed one (not itself): the result, the `k` hits
        after the first `offset` as JSON (a page of them), whether more may follow, and the index's version
        they come from (pages of one version neither repeat nor skip an image). The pages of a text
        query come from one ranking (`_ranked`): a deeper search ranks its first hits differently."""
        if (query is None) == (like is None):
            raise ConfigError("give a text query (q) or an indexed image id (like), one of them")
        if like is not None and levels:  # had been accepted, whatever it said, and ignored
            raise ConfigError("level chooses the words a text query (q) matches; drop it with like")
        if offset > MAX_OFFSET:
            raise ConfigError(f"a search pages at most {MAX_OFFSET:,} results deep (offset {offset:,})")
        c = self.collection
        catalogue = c.catalogue()  # once a request: each reads the index's state in SQLite
        model = None if like is not None or c.query_model() is not None else self.model()
        with self._search_lock:
            if like is not None:  # "more like this": the others, not the image itself first at 1.0
                source = c.live_id(like)
                result = c.search_image(self._liked(like), offset + k + 2)  # itself, and one to tell more
                ranked = [h for h in result.hits if h.id != source]
                more = len(ranked) > offset + k
            else:
                key = (query or "", levels, catalogue.generation)  # a ranking holds for one state
                result, ranked, more = self._ranked(key, k, offset + k, model)
        page = ranked[offset : offset + k]  # more: hits ranked past the page, or a search that may find more
        more = len(ranked) > offset + k or (more and len(ranked) >= offset + k)
        return result, self.hits(page, catalogue.files), more, catalogue.version

    def _ranked(
        self, key: tuple[str, tuple[str, ...] | None, Any], k: int, want: int, model: Any
    ) -> tuple[SearchResult, list[Hit], bool]:
        """The first `want` hits of a text query paged `k` at a time (or all there are), and whether more
        may follow. A deeper search ranks its first hits differently (its candidates grow with k), so the
        ranking is made in tiers: the first k hits from a search for k, the next k from one for 2k (those
        not given yet), the next 2k from one for 4k, and so on. A page is then the same whoever asks and
        whichever worker answers: pages neither repeat nor skip an image (a ranking kept per query had been
        replaced by another client's first page, and was not shared between workers)."""
        query, levels, generation = key
        hits: list[Hit] = []
        seen: set[int] = set()
        tier, more = k, True
        result: SearchResult | None = None
        while more and (result is None or len(hits) < want):
            result = self._searched((query, levels, generation, tier), model)
            new = [h for h in result.hits if h.id not in seen][: tier - len(hits)]
            hits += new
            seen.update(h.id for h in new)
            more = len(result.hits) >= tier
            tier *= 2
        assert result is not None
        return result, hits, more

    def _searched(self, key: tuple[str, tuple[str, ...] | None, Any, int], model: Any) -> SearchResult:
        """A text query's search for its first `key[3]` hits, kept for the next pages (it is the same for
        one state of the index)."""
        with self._rankings_lock:
            kept = self._rankings.get(key)
            if kept is not None:
                self._rankings.move_to_end(key)
                return kept
        query, levels, _, ask = key
        result = self.collection.search_text(query, ask, levels, model)
        with self._rankings_lock:
            self._rankings[key] = result
            while len(self._rankings) > _RANKINGS:
                self._rankings.popitem(last=False)
        return result

    def _liked(self, image_id: int) -> Path:
        """The file of the image a "more like this" search starts from: one gone since it was indexed still
        has its stored vectors, which answer without reading it (it had been refused)."""
        try:
            return self.collection.indexed_file(image_id)
        except Gone:
            return Path(self.collection.catalogue().by_id[self.collection.live_id(image_id)])

    def hits(self, hits: list[Hit], files: dict[str, KnownFile]) -> list[dict[str, Any]]:
        return [self.hit(h, files) for h in hits]

    def hit(self, hit: Hit, files: dict[str, KnownFile]) -> dict[str, Any]:
        """A hit as JSON, with `satisfied` (0..1: how much of a query of parts it shows) where it has one."""
        name = self.collection.shown_name(hit.path)
        met = hit.parts.get("satisfied", {}).get("score")
        return {
            "id": hit.id, **json_names(name=name, path=hit.path),
            "score": round(hit.score, 6), "texts": hit.texts, "thumbnail": f"/api/images/{hit.id}/thumbnail",
            "file": file_state(hit.path, files.get(hit.path)),
        } | ({} if met is None else {"satisfied": met})  # fmt: skip

    def search_notes(
        self, query: str | None, result: SearchResult, hits: list[dict[str, Any]], wanted: int
    ) -> list[str]:
        """Notes beside a page of results, for the API and the pages, as `multicap search` warns: words it
        could not use, no image showing what was asked, fewer than the `wanted` (offset + k) found and why,
        files of these `hits` gone since indexed; and, which the CLI does not check, changed since."""
        notes = [*result.unknown, *result.notes]
        if query and result.nearest_only():
            notes.append(nearest_only_note(query, result.lacking))
        elif query and result.hits and len(result.hits) < wanted and not result.spaces:
            n = len(result.hits)
            notes.append(
                f"only {n} image{'' if n == 1 else 's'} {'matches' if n == 1 else 'match'} {quoted(query)}: "
                "no word of it names a thing the classifier sees, so no nearest images are added"
            )
        for state, said in (("gone", "no longer on disk (moved or deleted)"), ("changed", "changed on disk")):
            n = sum(h["file"] == state for h in hits)
            if n:
                notes.append(
                    f"{n} result{'' if n == 1 else 's'} {'is' if n == 1 else 'are'} {said} since indexed: "
                    "index the folder again to bring the index up to date"
                )
        return notes

    # ------------------------------------------------------------------------------------------ uploads
    @contextmanager
    def upload(self, data: bytes, filename: str) -> Iterator[Path]:
        """The uploaded bytes as a checked image file of this process, removed afterwards.

        Raises:
            UploadError: too large, or not an image multicap.io reads.
        """
        name = json_name(filename or "upload")
        if len(data) > self.max_upload:
            raise UploadTooLarge(f"{name}: over the upload limit of {self.max_upload:,} bytes")  # the data
            #   may be cut at the limit (the reader stops one byte past it), so its length is not the file's
        suffix = Path(filename or "").suffix.lower()
        path = self.uploads / f"{uuid.uuid4().hex}{suffix if suffix in IMAGE_EXTENSIONS else ''}"
        path.write_bytes(data)
        try:
            try:
                limit = env_max_pixels(UPLOAD_MAX_PIXELS)
                load_image(path, min_short_side=64, max_pixels=limit)
            except ImageLoadError as exc:
                raise UploadError(f"{name}: {exc.reason}") from None
            yield path
        finally:
            path.unlink(missing_ok=True)

    def describe_upload(self, data: bytes, filename: str) -> dict[str, Any]:
        with self.upload(data, filename) as path:
            try:
                return dict(self.side().describe_file(self.model(), path, filename or "upload"))
            except ImageLoadError as exc:
                raise UploadError(f"{json_name(filename)}: {exc.reason}") from None

    def search_upload(self, data: bytes, filename: str, k: int) -> tuple[SearchResult, list[dict[str, Any]]]:
        with self.upload(data, filename) as path:
            result = self.collection.search_image(path, k, self.model())
        files = self.collection.catalogue().files
        return result, self.hits(result.hits, files)

    # ------------------------------------------------------------------------------------------ compare
    def compare(self, ids: list[int], level: str) -> dict[str, Any]:
        """Two or more indexed images (at most 8): set summary, pair differences, near-duplicates."""
        if level not in LEVELS:  # had been accepted and echoed ("bogus"), as the CLI and search refuse it
            raise ConfigError(f"level {level!r} is not one of {', '.join(LEVELS)}")
        given, ids = len(ids), list(dict.fromkeys(ids))
        if not 2 <= len(ids) <= 8:
            repeated = f" ({given} ids given, {len(ids)} different)" if given != len(ids) else ""
            raise ConfigError(f"compare takes 2 to 8 different images, not {len(ids)}{repeated}")
        first: dict[Path, int] = {}
        gone: list[str] = []  # files deleted since indexed: said, the rest compared (one had failed all)
        for i in ids:
            try:
                path = self.collection.indexed_file(i)
            except Gone as exc:
                if len(ids) - len(gone) <= 2:  # fewer than two left: nothing to compare (410)
                    raise
                gone.append(f"#{i}: {exc}")
                continue
            if path in first:  # an id from before the file changed reaches it too ("a comparison needs
                #               two readable images" had been said of #12 and #55)
                raise ConfigError(f"ids {first[path]} and {i} are one image ({path.name}): compare others")
            first[path] = i
        paths, ids = list(first), list(first.values())
        shown = self.collection.shown_name
        names = [f"{json_name(shown(str(p)))} (#{i})" for i, p in zip(ids, paths, strict=True)]
        out = dict(self.side().compare_paths(self.model, self.collection.root, paths, names, level))
        out["failed"] = [*out["failed"], *gone]
        id_of = dict(zip(names, ids, strict=True))
        out["ids"] = [id_of[name] for name in out["images"]]  # of the images compared (one may be unreadable)
        for pair in out["pairs"]:  # for a script: which images, by id, not only by "name (#id)"
            pair["a_id"], pair["b_id"] = id_of[pair["a"]], id_of[pair["b"]]
        return out

    def whole(self) -> Any:
        """The whole index compared (SetComparison): made in the background once per state of the index.

        Raises:
            NotReady: still being made.
        """
        cat = self.collection.catalogue()
        if self._whole is None or self._whole[0] != cat.generation:
            paths = []
            for path in cat.by_id.values():
                try:
                    paths.append(checked_file(path))
                except ConfigError:
                    continue  # a file swapped for a link is not read (collection.checked_file)
            paths.sort(key=walk_order)  # as `multicap compare FOLDER` has them, not in the order indexed
            job = Job("comparing the whole index", lambda j: self._compare_whole(j, paths))
            job.total = len(paths)
            self._whole = (cat.generation, job.start())
        return self._whole[1].result(0)

    def _compare_whole(self, job: Job, paths: list[Path]) -> Any:
        return self.side().compare_whole(self.model, self.collection.root, paths, job.progress)

    def named(self, path: Path) -> dict[str, Any]:
        """An image by its id, name (`Collection.shown_name`) and thumbnail."""
        return self.named_id(self.collection.id_of(str(path)))

    def named_id(self, image_id: int | None) -> dict[str, Any]:
        path = self.collection.catalogue().by_id.get(image_id, "") if image_id is not None else ""
        return {
            "id": image_id,
            **json_names(name=self.collection.shown_name(path) if path else ""),
            "thumbnail": f"/api/images/{image_id}/thumbnail",
        }

    def duplicates(self) -> list[dict[str, Any]]:
        result = self.whole()
        paths = result.images.paths
        return [
            {"keeper": self.named(paths[g.keeper]),
             "members": [self.named(paths[m]) for m in g.members],
             "similarity": round(float(g.similarity), 4),
             "by_keypoints": bool(g.similarity < result.threshold)}  # grey, turned, flipped: as the CLI
            for g in result.duplicates
        ]  # fmt: skip

    def clusters(self) -> list[dict[str, Any]]:
        result = self.whole()
        paths = result.images.paths
        return [
            {"cluster": cl.index + 1, "size": len(cl.members), "text": cl.text, "shared": cl.shared,
             "distinguishing": cl.distinguishing,
             "representative": self.named(paths[cl.representative]),
             "members": [self.named(paths[m]) for m in cl.members]}
            for cl in result.clusters
        ]  # fmt: skip

    def outliers(self) -> list[dict[str, Any]]:
        result = self.whole()
        c, paths = result.clustering, result.images.paths
        return [
            {
                **self.named(paths[i]),
                "distance": round(float(c.distances[i]), 4),
                "outlier_by": result.outlier_by(i),
            }
            for i in c.outliers
        ]

    def info(self) -> dict[str, Any]:
        info = self.collection.info()
        info["model"] = self.model_job.state()
        whole = self._whole
        if whole is None:
            info["comparison"] = {"status": "not started"}
        elif whole[0] != self.collection.catalogue().generation:  # had said "ready" for the index before
            info["comparison"] = {"status": "out of date: the index changed; made again when next asked for"}
        else:
            info["comparison"] = whole[1].state()
        return info
