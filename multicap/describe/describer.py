"""Describers by name, and the loop that describes files in batches.

    describer = create_describer("grounded")          # or a captioner bundle's folder or registered name
    for desc in describe_paths(describer, paths, ["object", "layout"]):
        print(desc.path, desc.texts["layout"])

The contract: a describer has `name`, `levels` (those it can say), `encoder`, `load(path)` (decode one
file; raises ImageLoadError) and `describe_batch(paths, loaded, levels) -> DescribedBatch`: the batch's
`Features` (one encoder pass) and a `Description` per image, so that a caller that also needs vectors (the
index) gets both from one pass. A describer that describes in two stages (`see(paths, loaded)`: the
forward pass on torch's threads; `say(seen, levels)`: the facts and texts on one thread) has batches
described by `described_batches` in a pipeline: it says one batch in a thread of its own while it sees
the next, so that the single-threaded stage no longer leaves a core idle (the grounded describer:
benchmarks/describe_quality.py --speed).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from multicap.describe.description import DescribedBatch, Description, description_json
from multicap.encoders import Encoder
from multicap.errors import ConfigError
from multicap.io import ErrorHandler, iter_batches

__all__ = [
    "Describer",
    "check_levels",
    "create_describer",
    "describe_paths",
    "described_batches",
    "description_json",
    "every_level",
    "list_describers",
    "register_describer",
]


class Describer(Protocol):
    name: str
    levels: tuple[str, ...]
    encoder: Encoder
    version: str  # changes whenever a change alters what it says: an index describes its files again

    def load(self, path: Path) -> Any: ...

    def describe_batch(
        self, paths: Sequence[Path], loaded: Sequence[Any], levels: Sequence[str]
    ) -> DescribedBatch: ...


DescriberFactory = Callable[..., Describer]
# Name → factory, or "module:attribute" of one, imported on first use: a command loads only the describer it
# runs (`describe --model BUNDLE` never loads the grounded describer's region and colour analysis).
_REGISTRY: dict[str, DescriberFactory | str] = {"grounded": "multicap.describe.grounded:grounded_describer"}
_BUNDLES = "multicap.describe.neural:NeuralDescriber"  # any other name: a captioner bundle
# Vision-language models (CLIP, SigLIP, CoCa: the clip extra), by name or as an open_clip folder. The names
# are `multicap.encoders.clip_models.CLIP_MODELS`' (tests/clip checks); written out so that a describe with
# another model imports nothing of them.
_ZEROSHOT = "multicap.describe.zeroshot:zeroshot_describer"
VISION_LANGUAGE_MODELS = ("clip-vit-b-32", "siglip-vit-b-16", "coca-vit-b-32")
_OPEN_CLIP_CONFIG = "open_clip_config.json"  # what makes a folder an open_clip model


def _zeroshot(model: str) -> DescriberFactory:
    def factory(**options: Any) -> Describer:
        return _resolve(_ZEROSHOT)(model, **options)  # says which extra to install where open_clip is absent

    return factory


_REGISTRY.update({name: _zeroshot(name) for name in VISION_LANGUAGE_MODELS})


def register_describer(name: str, factory: DescriberFactory | str) -> None:
    """Make `create_describer(name, **options)` call `factory(**options)` ("module:attribute" loads late)."""
    _REGISTRY[name] = factory


def list_describers() -> list[str]:
    return list(_REGISTRY)


def create_describer(model: str = "grounded", *, device: str = "cpu", **options: Any) -> Describer:
    """A registered describer ("grounded", a vision-language model's name), an open_clip folder, else the
    neural describer of a captioner bundle (path or name)."""
    if model in _REGISTRY:
        return _resolve(_REGISTRY[model])(device=device, **options)
    if (Path(model) / _OPEN_CLIP_CONFIG).is_file():
        return _zeroshot(model)(device=device, **options)
    return _resolve(_BUNDLES).from_bundle(model, device=device, **options)


def _resolve(entry: Any) -> Any:
    if not isinstance(entry, str):
        return entry
    module, _, attribute = entry.partition(":")
    return getattr(importlib.import_module(module), attribute)


def every_level(known: Sequence[str], *, caption: bool = False) -> list[str]:
    """What "every level" says of a describer that knows `known`: all but the caption (its features are the
    other levels'), unless `caption` is asked too or the caption is all it knows (a captioner trained on
    Flickr8k or COCO, which had said nothing at all)."""
    return [lv for lv in known if caption or lv != "caption"] or list(known)


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
    batches = iter_batches(
        paths, describer.load, batch_size=batch_size, on_error=on_error, progress=progress, workers=workers
    )
    for described in described_batches(describer, batches, levels):
        yield from described.descriptions


@runtime_checkable
class _Staged(Protocol):
    def see(self, paths: Sequence[Path], loaded: Sequence[Any]) -> Any: ...

    def say(self, seen: Any, levels: Sequence[str]) -> DescribedBatch: ...


def described_batches(
    describer: Describer, batches: Iterable[tuple[list[Path], list[Any]]], levels: Sequence[str]
) -> Iterator[DescribedBatch]:
    """`describer.describe_batch` of each `(paths, loaded)` batch, in order. A describer in two stages
    (`see`, `say`) says each batch in one thread of its own while this one sees the next (torch's
    threads, set per thread, stay as they are here); the texts are the same."""
    if not isinstance(describer, _Staged):
        for paths, loaded in batches:
            yield describer.describe_batch(paths, loaded, levels)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="multicap-say") as saying:
        ahead: Future[DescribedBatch] | None = None
        for paths, loaded in batches:
            said = saying.submit(describer.say, describer.see(paths, loaded), levels)
            if ahead is not None:
                yield ahead.result()
            ahead = said
        if ahead is not None:
            yield ahead.result()
