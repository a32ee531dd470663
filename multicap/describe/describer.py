"""Describers by name, and the loop that describes files in batches.

    describer = create_describer("grounded")          # or a captioner bundle's folder or registered name
    for desc in describe_paths(describer, paths, ["object", "layout"]):
        print(desc.path, desc.texts["layout"])

A describer has `name`, `levels` (those it can say), `load(path)` (decode one file; raises ImageLoadError)
and `describe_batch(paths, loaded, levels) -> list[Description]`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from multicap.errors import ConfigError, ImageLoadError
from multicap.io import ErrorHandler, iter_loaded, log_error
from multicap.levels.description import Description

__all__ = [
    "Describer",
    "check_levels",
    "create_describer",
    "describe_paths",
    "description_json",
    "list_describers",
    "register_describer",
]


class Describer(Protocol):
    name: str
    levels: tuple[str, ...]

    def load(self, path: Path) -> Any: ...

    def describe_batch(
        self, paths: Sequence[Path], loaded: Sequence[Any], levels: Sequence[str]
    ) -> list[Description]: ...


DescriberFactory = Callable[..., Describer]
_REGISTRY: dict[str, DescriberFactory] = {}


def register_describer(name: str, factory: DescriberFactory) -> None:
    """Make `create_describer(name, **options)` call `factory(**options)`."""
    _REGISTRY[name] = factory


def list_describers() -> list[str]:
    _ensure_registered()
    return list(_REGISTRY)


def _ensure_registered() -> None:
    if "grounded" not in _REGISTRY:
        from multicap.levels.grounded import grounded_describer

        register_describer("grounded", grounded_describer)


def create_describer(model: str = "grounded", *, device: str = "cpu", **options: Any) -> Describer:
    """A registered describer ("grounded"), else the neural describer of a captioner bundle (path or name)."""
    _ensure_registered()
    if model in _REGISTRY:
        return _REGISTRY[model](device=device, **options)
    from multicap.levels.neural import NeuralDescriber

    return NeuralDescriber.from_bundle(model, device=device, **options)


def check_levels(describer: Describer, levels: Sequence[str]) -> None:
    missing = [lv for lv in levels if lv not in describer.levels]
    if missing:
        raise ConfigError(
            f"{describer.name} cannot describe at level {', '.join(missing)}: "
            f"it knows {', '.join(describer.levels)}"
        )


def describe_paths(
    describer: Describer,
    paths: Iterable[str | Path],
    levels: Sequence[str],
    *,
    batch_size: int = 16,
    on_error: ErrorHandler | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int = 2,
) -> Iterator[Description]:
    """Describe each readable file at `levels`, in order; unreadable ones go to `on_error`, skipped.

    Worker threads decode the next files while the describer works on the current batch.
    """
    check_levels(describer, levels)

    def skipped(error: ImageLoadError) -> None:
        (on_error or log_error)(error)
        if progress is not None:
            progress(1)

    batch: list[tuple[Path, Any]] = []
    for path, item in iter_loaded(
        (Path(p) for p in paths), describer.load, on_error=skipped, workers=workers
    ):
        batch.append((path, item))
        if len(batch) == batch_size:
            yield from _flush(describer, batch, levels, progress)
            batch = []
    if batch:
        yield from _flush(describer, batch, levels, progress)


def _flush(
    describer: Describer,
    batch: list[tuple[Path, Any]],
    levels: Sequence[str],
    progress: Callable[[int], None] | None,
) -> list[Description]:
    out = describer.describe_batch([p for p, _ in batch], [x for _, x in batch], levels)
    if progress is not None:
        progress(len(batch))
    return out


def description_json(desc: Description) -> dict[str, Any]:
    """The documented JSON object of one description (cli/describe.py's docstring has the schema)."""
    from multicap.levels.neural import attention_locations

    out: dict[str, Any] = {"type": "image", **desc.to_dict()}
    if desc.captions:
        out["locations"] = {
            lv: attention_locations(cap, _square_grid(cap)) for lv, cap in desc.captions.items()
        }
    return out


def _square_grid(caption: Any) -> tuple[int, int]:
    """Bundles encode squashed square images, so their grids are square: N cells → (√N, √N)."""
    n = caption.attention.shape[1] if caption.attention is not None else 1
    side = math.isqrt(n)
    return (side, n // side)
