"""Shards: what a worker made of one block of files, as one file in the index folder, merged by the writer.

A shard is a `.npz` written beside its final name and renamed (never seen half-written), read back with
`allow_pickle=False`: the image vectors (n, D), the caption vectors of the records that have one, and one
JSON document with the rest of each `ImageRecord`, the files that could not be read, and the identity of
the model that made it. File names that are not valid UTF-8 travel as surrogate escapes, as
`os.fsdecode` gives them.

The writer merges a shard's records into SQLite in one transaction and only then deletes the file, so a
shard left behind by a killed run is merged by the next one (or dropped when its files changed since).
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from multicap.index.store import ImageRecord

__all__ = ["SHARD_DIR", "Shard", "read_shard", "write_shard"]

SHARD_DIR = "shards"  # inside the index folder: on a cluster it must be storage every worker can write


@dataclass
class Shard:
    identity: dict[str, Any]  # the model's identity (`IndexModel.identity`) that made the records
    records: list[ImageRecord] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason) of unreadable files


def write_shard(path: Path, shard: Shard) -> None:
    """Write `shard` to `path` whole: beside it first, flushed, then renamed over it."""
    meta = {
        "identity": shard.identity,
        "failed": [list(f) for f in shard.failed],
        "records": [_meta(r) for r in shard.records],
    }
    images = [r.vectors["image"] for r in shard.records]
    captions = [r.vectors["caption"] for r in shard.records if "caption" in r.vectors]
    buffer = io.BytesIO()
    np.savez(
        buffer,
        meta=np.frombuffer(json.dumps(meta).encode("ascii"), np.uint8),  # ASCII: surrogates escaped
        image=np.stack(images).astype(np.float32) if images else np.zeros((0, 0), np.float32),
        caption=np.stack(captions).astype(np.float32) if captions else np.zeros((0, 0), np.float32),
    )
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        f.write(buffer.getvalue())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_shard(path: Path) -> Shard | None:
    """The shard in `path`, or None when it cannot be read (it is then made again)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(data["meta"].tobytes().decode("ascii"))
            image, caption = data["image"], data["caption"]
    except (OSError, ValueError, KeyError, UnicodeDecodeError):
        return None
    records, k = [], 0
    for i, m in enumerate(meta["records"]):
        vectors = {"image": image[i]}
        if m.pop("has_caption"):
            vectors["caption"] = caption[k]
            k += 1
        records.append(ImageRecord(**m, vectors=vectors))
    return Shard(meta["identity"], records, [(p, r) for p, r in meta["failed"]])


def _meta(rec: ImageRecord) -> dict[str, Any]:
    return {
        "path": rec.path,
        "mtime_ns": rec.mtime_ns,
        "size": rec.size,
        "hash": rec.hash,
        "width": rec.width,
        "height": rec.height,
        "texts": rec.texts,
        "confidence": rec.confidence,
        "facts": rec.facts,
        "tags": rec.tags,
        "said_by": rec.said_by,
        "has_caption": "caption" in rec.vectors,
    }
