"""Output folders that know what they hold: refuse to mix datasets, clear only what we wrote.

A folder written by multicap carries `metadata.json` with a format name, a generator version and the
config. Writing into it again with the same three continues (resume); anything else is refused with a
message that says how to proceed, unless `force` asks to clear it. A folder without our metadata is
never cleared: it may hold the user's files.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from multicap.errors import DataError

__all__ = ["config_diff", "prepare_folder"]


def config_diff(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    """Readable differences between two nested config dicts: ["seed 3 -> 4", "sampler.gap 0.03 -> 0.05"]."""
    diffs = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            diffs += config_diff(a, b, f"{prefix}{key}.")
        elif a != b:
            diffs.append(f"{prefix}{key} {a} -> {b}")
    return diffs


def _clear(out: Path, owned: list[str]) -> None:
    for pattern in owned:
        for path in out.glob(pattern):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


def prepare_folder(
    out: Path, fmt: str, version: int, config: dict[str, Any], force: bool, owned: list[str]
) -> None:
    """Check that `out` may receive output of `fmt`/`version`/`config`; with `force`, clear our files.

    Args:
        out: the output folder (need not exist).
        fmt: the format name stored in metadata.json.
        version: the generator version stored in metadata.json.
        config: the config stored in metadata.json.
        force: clear a folder of the same format whatever its version and config.
        owned: glob patterns, relative to `out`, of everything the format writes.

    Raises:
        DataError: the folder holds other files, or (without `force`) output of another version or config.
    """
    meta_path = out / "metadata.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else None
    except ValueError:
        meta = {}
    if not isinstance(meta, dict) or meta.get("format") != fmt:
        if out.exists() and any(out.iterdir()):
            raise DataError(f"{out} is not empty and holds no {fmt} output; choose an empty or new --out")
        return
    if force:
        _clear(out, owned)
        return
    if meta.get("generator") != version:
        raise DataError(
            f"{out} was written by generator version {meta.get('generator')}, this is version {version}; "
            "pass --force to regenerate it, or choose another --out"
        )
    diff = config_diff(meta.get("config", {}), config)
    if diff:
        raise DataError(
            f"{out} holds different {fmt} output ({'; '.join(diff[:3])}); "
            "choose another --out, or pass --force to replace it"
        )
