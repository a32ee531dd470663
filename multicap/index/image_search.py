"""An image query: the images nearest a query image in the index's image space, by its stored vector
where the index holds the file as it is, else by embedding it (`multicap.index.search`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np

from multicap.errors import ConfigError, ImageLoadError
from multicap.index.image_side import load_image_side
from multicap.index.search_reads import Reads, dense
from multicap.index.search_results import Hit, SearchResult
from multicap.index.store import KnownFile
from multicap.io import stat_regular
from multicap.io.paths import file_hash

__all__ = ["ImageModel", "image_search", "resolved", "unchanged"]


class ImageModel(Protocol):
    """What an image query needs of a model (an `IndexModel` of multicap.index.models)."""

    def load(self, path: Path) -> Any: ...

    def process(self, paths: Any, loaded: Any) -> tuple[np.ndarray, Any]: ...


def resolved(image: Path) -> str:
    """The query image's absolute path, as the index records paths (a link loop had escaped as
    "RuntimeError: Symlink loop").

    Raises:
        ImageLoadError: a link loop.
    """
    try:
        return str(image.resolve())
    except RuntimeError:
        stat_regular(image)  # says "a symbolic link loop" in the words used for any other file
        raise ImageLoadError(image, "a symbolic link loop") from None


def image_search(reads: Reads, image: Path, k: int, model: ImageModel | None) -> SearchResult:
    store = reads.store
    known = store.file_of_path(resolved(image))
    found = known.id if known is not None and unchanged(image, known) else None
    notes = []
    if known is not None and found is None:  # an edited file had been searched by its old vector, unsaid
        notes.append(
            f"{image} changed since it was indexed: searched by what it shows now (`multicap index` "
            "updates the index)"
        )
    stored = store.vectors_of("image", [found]) if found is not None else {}
    if found is not None and found in stored:
        vec = stored[found]
    else:
        if model is not None:
            vec = _embed_image(image, model)
        else:
            side = load_image_side(reads.root, store.get_meta("identity"))
            if side is None:
                raise ConfigError(
                    f"{image} is not in the index: its search needs the model, "
                    "pass model=open_index_model(root)"
                )
            vec = side.embed(image)
    ranked = dense(reads, "image", vec, k)
    paths = store.live(i for i, _ in ranked)
    texts = reads.texts_of([i for i, _ in ranked if i in paths])
    hits = [
        Hit(i, paths[i], s, {"image": {"rank": r, "score": s}}, texts[i])
        for r, (i, s) in enumerate(ranked, start=1)
        if i in paths
    ]
    return SearchResult(hits[:k], None, [], ["image"], notes=notes)


def unchanged(path: Path, known: KnownFile) -> bool:
    """Whether the file at `path` holds what the index recorded for it: the same modification time and
    size, else the same content (a file only touched); a file gone since (a drive not mounted, a photo
    moved away) is what the index holds of it, its stored vector the answer."""
    try:
        st = path.stat()
        return (st.st_mtime_ns, st.st_size) == (known.mtime_ns, known.size) or file_hash(path) == known.hash
    except OSError:
        return True


def _embed_image(image: Path, model: ImageModel) -> np.ndarray:
    vectors, _ = model.process([image], [model.load(image)])  # raises ImageLoadError for a bad file
    return np.asarray(vectors[0])
