"""What an index already holds of the files it indexed, for the commands that would otherwise encode and
describe them again: `compare` takes their vectors and descriptions, `describe --index` their
descriptions.

A file is held when the index has it live at the same path with the same modification time and size.
Descriptions are taken only from an index built with the model the command would describe with (the same
name and encoder, every level asked for), said by the version of that model this multicap has
(`multicap.facts.versions`): an index described by an older version, or by other options, describes
nothing in the command's place.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from multicap.describe.description import Description
from multicap.describe.people import absent_detectors
from multicap.facts import SceneFacts
from multicap.facts.versions import current_said_by
from multicap.index.location import DB_NAME
from multicap.index.store import ImageRecord, IndexStore

__all__ = ["description_of", "held_descriptions", "held_records"]


def held_records(
    root: Path | None, paths: Sequence[Path], said_by: str | None = None
) -> dict[Path, ImageRecord]:
    """path → the index's record of each of `paths` it holds unchanged (with its image vector); only
    records that describer version wrote, when `said_by` is given."""
    db = root / DB_NAME if root is not None else None
    if db is None or not db.is_file():
        return {}
    out: dict[Path, ImageRecord] = {}
    with IndexStore(db) as store:
        live = store.live_files()
        for path in paths:
            try:
                st = path.stat()
            except OSError:
                continue
            known = live.get(str(path.resolve()))
            if known is None or (known.mtime_ns, known.size) != (st.st_mtime_ns, st.st_size):
                continue
            record = store.record_by_hash(known.hash, said_by, whole=True)
            if record is not None and "image" in record.vectors:
                out[path] = record
    return out


def description_of(path: Path, record: ImageRecord, levels: Sequence[str] | None = None) -> Description:
    """The stored description of `path`, with the texts of `levels` only (default: all it has)."""
    keep = list(record.texts) if levels is None else list(levels)
    facts = SceneFacts.from_dict(record.facts) if record.facts else None
    texts = {lv: record.texts[lv] for lv in keep if lv in record.texts}
    confidence = {lv: record.confidence[lv] for lv in keep if lv in record.confidence}
    return Description(path, facts, texts, confidence)


def held_descriptions(
    root: Path, paths: Sequence[Path], *, model: str, encoder: str | None, levels: Sequence[str]
) -> tuple[dict[Path, Description], str | None]:
    """The descriptions the index at `root` holds for `paths`, if it was built with the built-in `model`
    (and `encoder`; None: the one it recorded) at every one of `levels`, and why some or all could not be
    taken (None when nothing was left out but files the index does not hold unchanged)."""
    with IndexStore(root / DB_NAME) as store:
        identity = store.get_meta("identity") or {}
    built = identity.get("model")
    if current_said_by(model) is None:
        return {}, f"only the built-in models' descriptions are reused, not {model}'s"
    if built != model:
        return {}, f"it was built with the {built} model, not {model}"
    if encoder is not None and identity.get("encoder") != encoder:
        return {}, f"it was built with the {identity.get('encoder')} encoder, not {encoder}"
    missing = [lv for lv in levels if lv not in identity.get("levels", [])]
    if missing:
        return {}, f"it holds no {', '.join(missing)} level"
    said_by = current_said_by(model, absent_detectors() if model == "grounded" else ())
    records = held_records(root, paths, said_by)
    older = held_records(root, [p for p in paths if p not in records])  # unchanged, said by another version
    why = None
    if older:
        versions = ", ".join(sorted({r.said_by or "unknown" for r in older.values()}))
        why = f"{len(older)} of its descriptions are by another describer version ({versions})"
        why += ": `multicap index` updates them"
    return {p: description_of(p, r, levels) for p, r in records.items()}, why
