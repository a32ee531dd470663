"""`multicap describe`: objects, attributes and layout of each image, then what the set shares.

JSON output (`--json`), one object per line:

- per image: {"type": "image", "path", "texts": {level: text}, "confidence": {level: 0..1},
  "facts": {"objects": [{"label", "confidence", "box": [x0, y0, x1, y1] in 0..1,
  "attributes": {"colour", "size", "position", "wnid", "tags", "certainty"? ("guess": said below the
  detector's confidence, "perhaps ..."), "read_as"? (a thing said as its kind, "fish": the class it was
  read as, "tench", whose wnid it keeps), "or"? and "or_wnid"? (one animal read two ways: its label
  "fox or cat", the rival reading "cat" and its wnid), "wearing"?, "found_by"? (a person: "face" or "body")},
  "read_confidence"? (neural: the least probability of the object's words)}], "relations": [{"subject",
  "predicate", "object"}],
  "image_attributes": {"brightness", "colourfulness", "palette", "orientation", "setting"?}} | null,
  "locations": {level: [{"word", "box", "position", "confidence"}]} (neural describer only),
  "unended"?: [level] (neural: the captioner hit its length limit there; those texts are unreliable)}
- per file that could not be read: {"type": "skipped", "path", "reason"} (stderr says it too)
- a file name that is not valid UTF-8 ("path", and any name in a text) has its undecodable bytes written as
  `\\xNN`; the object then also has "path_bytes", the base64 of the exact name
- last, for two or more images: {"type": "set", "level", "n_images", "n_described", "shared": [feature],
  "common": [{"feature", "images"}] (more than half hold), "some": [{"feature", "images"}] (two or more
  show, not most), "distinct": {path: [feature]}, "text"} (n_images: those whose facts
  are known; a captioner's text that cannot be read back into facts leaves its image out)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from multicap.cli import console
from multicap.cli.app import app
from multicap.cli.progress import progress_bar

if TYPE_CHECKING:
    from multicap.describe import Description

_LEVEL_CHOICES = ("object", "attribute", "layout", "caption", "all")
_ALL = ("all",)
_PROGRESS_FROM = 5  # images: fewer finish before a bar would be worth drawing
_TOP_K, _MIN_CONFIDENCE = 5, 0.2  # the grounded describer's defaults (RegionConfig), as an index describes


@app.command("describe")
def describe_command(
    paths: list[Path] = typer.Argument(
        ..., readable=False, help="Image files and/or folders (walked recursively)."
    ),
    level: list[str] = typer.Option(
        ["all"],
        "--level",
        "-l",
        help="object, attribute, layout, caption, or all (every level but the caption, unless the caption "
        "is all a captioner knows); repeatable.",
    ),
    model: str = typer.Option(
        None,
        "--model",
        "-m",
        help="grounded (no training; grounded-no-people is it with --no-people; the default), a captioner "
        "bundle folder or name, a vision-language model (`multicap models`) or an open_clip folder. With "
        "--index: the index's model (and encoder) unless given.",
        show_default=False,
    ),
    json_out: bool = typer.Option(
        False,
        "--json",
        help="One JSON object per image (type image; type skipped for a file that could not be read), "
        "then one for the set.",
    ),
    top_k: int = typer.Option(
        _TOP_K,
        "--top-k",
        "-k",
        min=1,
        max=20,
        help="Most objects per image (grounded); a crowd's people, sky and vegetation may add to them.",
    ),
    encoder: str = typer.Option(
        None, "--encoder", "-e", help="The grounded describer's encoder (efficientnet_lite0, _lite1, _lite2)."
    ),
    people: bool | None = typer.Option(
        None,
        "--people/--no-people",
        help="Find people (grounded: faces in every photo, bodies in wide scenes and where clothes or "
        "balls show; --no-people is about 1.5x faster).",
    ),
    min_confidence: float = typer.Option(
        _MIN_CONFIDENCE,
        "--min-confidence",
        min=0.0,
        max=1.0,
        help="Least probability of a thing the classifier names (grounded; people, sky and vegetation "
        "come from their own detectors); with none that sure, the image's best class is still said, as a "
        'guess ("perhaps a ...").',
    ),
    index: str = typer.Option(
        None,
        "--index",
        "-i",
        callback=console.index_named,
        help="Take the descriptions this index holds of unchanged files, where it was built with the same "
        "model and options; describe only the rest.",
    ),
    batch_size: int = typer.Option(16, "--batch-size", min=1, help="Images per forward pass."),
    device: str = typer.Option(
        "cpu", "--device", callback=console.device_named, help="cpu, cuda, cuda:N or auto."
    ),
    include_hidden: bool = typer.Option(False, "--hidden", help="Also read hidden files and folders."),
    engine: str = typer.Option(
        "local",
        "--engine",
        callback=console.engine_named,
        help="local, or ray (a Ray cluster; the ray extra).",
    ),
    address: str = typer.Option(
        None,
        "--address",
        callback=console.ray_address,
        help="--engine ray: the cluster, HOST:PORT (default: RAY_ADDRESS, or the one `ray start` runs "
        "on this machine, else one started here).",
    ),
    workers: int = typer.Option(
        None, "--workers", min=1, help="--engine ray: model actors (default: one per CPU of the cluster)."
    ),
) -> None:
    """Describe each image at the asked level(s), then what the images share and what sets each apart.

    Unreadable images are skipped with a warning each; the exit code is 1 only if none could be read.

    --json: per image {"type": "image", "path", "texts", "confidence", "facts", "locations"?, "unended"?}
    (or {"type": "skipped", "path", "reason"} for a file that could not be read),

    then, for two or more images, {"type": "set", "level", "n_images", "n_described", "shared", "common",
    "some", "distinct", "text"}.

    Examples:

      multicap describe examples/photos --level layout

      multicap describe examples/photos --level object --level layout

      multicap describe photos/ --index photos   # what `multicap index photos/ --index photos` described
    """
    from multicap.describe.describer import description_json
    from multicap.errors import ConfigError, ImageLoadError

    asked = _asked(level)
    console.ray_options_alone(engine, address, workers)
    if engine != "local":
        from multicap.scale import check_engine

        check_engine(engine)  # one line saying what to install, exit 1
    if not any(os.path.lexists(p) for p in paths):  # a typing slip: one line (a skip had said it first)
        raise ConfigError(f"no such file or folder: {', '.join(map(str, paths))}")
    failures: list[ImageLoadError] = []
    on_error = console.skipper(failures, json_out)
    files = console.image_files(paths, include_hidden, on_error)
    left_out = len(failures)  # FIFOs, devices, link loops, unlistable folders: reported, never opened
    if not files:
        raise ConfigError(console.no_images(paths, include_hidden))
    model, people, encoder = _chosen(model, people, encoder, index)
    grounded = {"top_k": top_k, "min_confidence": min_confidence, "people": people, "encoder": encoder}
    options = grounded if model == "grounded" else {}
    if model != "grounded":
        _grounded_only(model, grounded)
    held = _held(index, files, model, grounded, asked) if index is not None else {}
    work = _Work(model, options, asked, batch_size, device, engine, address, workers, on_error)
    descriptions = []
    for desc in _in_order(files, held, _described_fresh([f for f in files if f not in held], work)):
        descriptions.append(desc)
        _render(description_json(desc), json_out)
    if len(descriptions) > 1:
        _print_set(descriptions, asked, json_out)
    _say_unreliable(descriptions)
    if not descriptions and failures:  # as compare says it ("4 of 4 images could not be read" had ended it)
        n = len(files) + left_out - sum(1 for e in failures[:left_out] if e.folder)  # folders are no images
        said = "the image could not be read" if n == 1 else f"none of the {n} images could be read"
        raise ConfigError(said)
    _say_counts(len(files), len(held), index, failures, left_out)
    if not descriptions:
        raise typer.Exit(1)


@dataclass(frozen=True)
class _Work:
    """How the files the index does not hold are described: the command's options, gathered."""

    model: str
    options: dict[str, Any]  # the grounded describer's; none for another model
    asked: tuple[str, ...]
    batch_size: int
    device: str
    engine: str
    address: str | None
    workers: int | None
    on_error: Callable[[Any], None]


def _described_fresh(fresh: list[Path], work: _Work) -> Iterator[Description]:
    """The descriptions of `fresh` in their order (skipping the files that cannot be read), here or on a
    Ray cluster, with a progress bar where there are enough of them to be worth one."""
    from multicap.describe.describer import create_describer, describe_paths

    total = len(fresh) if len(fresh) >= _PROGRESS_FROM else 0
    cluster: Any = nullcontext()
    if work.engine == "ray":  # imports ray: only when asked for
        from multicap.scale.ray_engine import ray_cluster
        from multicap.scale.ray_jobs import describe_on_ray

        cluster = ray_cluster(work.address, workers=work.workers, say=console.said, lost=console.cluster_lost)
        if fresh:  # a model that cannot be built is said here, in one line, before a cluster starts
            create_describer(work.model, device="cpu", **work.options)  # (its actors' tracebacks: after 17 s)
    with cluster, progress_bar("describing", total=total) as advance:
        if fresh and work.engine == "ray":
            yield from describe_on_ray(
                fresh, work.model, _ray_levels(work.asked), options={**work.options, "device": work.device},
                workers=work.workers, batch_size=work.batch_size, on_error=work.on_error, progress=advance,
            )  # fmt: skip
        elif fresh:
            describer = create_describer(work.model, device=work.device, **work.options)
            yield from describe_paths(
                describer, fresh, _levels(describer.levels, work.asked), batch_size=work.batch_size,
                on_error=work.on_error, progress=advance,
            )  # fmt: skip


def _say_unreliable(descriptions: list[Description]) -> None:
    """On stderr: images unlike every image the bundle was trained on (a photo to a scenes captioner: "a
    hexagon, a triangle ..." at 0.66 had been said like any text), and sentences cut at its length limit
    ("a diamond black diamond black ...")."""
    from multicap.describe.description import unended

    n = console.counted(len(descriptions), "image")
    unlike = sum(d.unlike_training for d in descriptions)
    if unlike:
        console.warn(
            f"{unlike} of {n} {'is' if unlike == 1 else 'are'} unlike every image the captioner was "
            'trained on ("unlike_training" in --json): what it says of them is unreliable'
        )
    runaway = sum(bool(unended(d)) for d in descriptions)
    if runaway:
        console.warn(
            f"{runaway} of {n}: the captioner reached its length limit without ending a sentence "
            '("unended" in --json); those texts are unreliable, as on images unlike those it was trained on'
        )


def _grounded_only(model: str, grounded: dict[str, Any]) -> None:
    """Options only the grounded describer reads, given with another model: said, not dropped unsaid."""
    unset = {
        "--top-k": grounded["top_k"] == _TOP_K,
        "--min-confidence": grounded["min_confidence"] == _MIN_CONFIDENCE,
        "--no-people": grounded["people"],
        "--encoder": grounded["encoder"] is None,
    }
    given = [flag for flag, default in unset.items() if not default]
    if given:
        console.warn(f"{' and '.join(given)} {'applies' if len(given) == 1 else 'apply'} to the grounded "
                     f"describer only: ignored with --model {model}")  # fmt: skip


def _say_counts(files: int, held: int, index: str | None, failures: list[Any], left_out: int) -> None:
    """On stderr: how many descriptions came from the index, and how many files could not be read (the
    first `left_out` of `failures` are the walk's)."""
    if held:
        console.err.print(f"{held} of {console.counted(files, 'image')} from the index {index}", markup=False)
    if failures:
        said = console.unread_said(len(failures), files + left_out, failures[:left_out])
        console.err.print(said, markup=False)


def _render(obj: dict, json_out: bool) -> None:
    if json_out:
        console.print_json_line(obj)
        return
    console.out.print(console.shown(obj["path"]), markup=False)
    for lv, text in obj["texts"].items():
        conf = obj["confidence"].get(lv)
        suffix = f"  ({conf:.2f})" if conf is not None else ""
        suffix += "  (unended: the captioner's length limit)" if lv in obj.get("unended", ()) else ""
        console.out.print(f"  {lv + ':':<10} {text}{suffix}", markup=False)
    if obj.get("unlike_training"):
        console.out.print("  (unlike every image the captioner was trained on: unreliable)", markup=False)
    console.out.print("", markup=False)


def _held(
    index: str, files: list[Path], model: str, grounded: dict[str, Any], asked: tuple[str, ...]
) -> dict[Path, Any]:
    """The descriptions the index holds of `files`, where it was built as this command would describe
    them (the grounded model with its default options, with or without people); else none, said once."""
    from multicap.index import existing_index
    from multicap.index.held import held_descriptions

    root = existing_index(index)
    if model == "grounded" and (grounded["top_k"], grounded["min_confidence"]) != (_TOP_K, _MIN_CONFIDENCE):
        console.warn(
            f"index {index}: described with the default --top-k and --min-confidence; describing afresh"
        )
        return {}
    name = ("grounded" if grounded["people"] else "grounded-no-people") if model == "grounded" else model
    levels = _levels(("object", "attribute", "layout", "caption"), asked)
    held, why = held_descriptions(root, files, model=name, encoder=grounded["encoder"], levels=levels)
    if why is not None:
        console.warn(f"index {index}: {why}; describing {'those' if held else 'every image'} afresh")
    return held


def _chosen(
    model: str | None, people: bool | None, encoder: str | None, index: str | None
) -> tuple[str, bool, str | None]:
    """The model to describe with, whether it finds people, and the grounded describer's encoder: as given,
    else as the index was built (as search and compare take them: a CLIP index's files had been described
    by the grounded model, which had not built it), else the grounded model with people."""
    typed = model is not None
    if model is None:
        model, encoder = _index_model(index, encoder) if index is not None else ("grounded", encoder)
    if model == "grounded-no-people":  # the index's name for it: `index --model grounded-no-people`
        if people and typed:  # had been ignored, unsaid
            raise typer.BadParameter("grounded-no-people finds none: drop --people", param_hint="--people")
        return "grounded", bool(people), encoder
    return model, people is not False, encoder


def _index_model(index: str, encoder: str | None) -> tuple[str, str | None]:
    """The model the index was built with, and the grounded describer's encoder where it records one and
    `encoder` is not given (an index built with Lite1 had its held descriptions mixed with Lite0's)."""
    from multicap.index import existing_index
    from multicap.index.models import recorded_identity

    identity = recorded_identity(existing_index(index)) or {}
    model = str(identity.get("model", "grounded"))
    if Path(model).is_absolute() and not Path(model).exists():
        raise typer.BadParameter(
            f"index {index} was built with {model}, which is not there (moved or deleted): name a model",
            param_hint="--model",
        )
    if model in ("grounded", "grounded-no-people") and encoder is None:
        encoder = identity.get("encoder")
    return model, encoder


def _in_order(files: list[Path], held: dict[Path, Any], fresh: Iterator[Any]) -> Iterator[Any]:
    """The descriptions of `files` in their order: held ones from the index, the others as `fresh` (which
    skips the files it could not read) yields them."""
    pending = next(fresh, None)
    for path in files:
        if path in held:
            yield held[path]
        elif pending is not None and pending.path == path:
            yield pending
            pending = next(fresh, None)


def _asked(given: list[str]) -> tuple[str, ...]:
    """The --level options as the levels to say, in the levels' own order ("--level Objects" as
    "object"; one option was taken and the others dropped unsaid when repeated); `_ALL` for "all"."""
    named = {console.level_named(lv, _LEVEL_CHOICES) for lv in given or ["all"]}
    if "all" in named:  # "--level all --level caption": every level and the caption (had dropped it)
        return _ALL + (("caption",) if "caption" in named else ())
    return tuple(lv for lv in _LEVEL_CHOICES if lv in named)


def _levels(known: tuple[str, ...], asked: tuple[str, ...]) -> list[str]:
    """The levels to say: those asked, or for "all" `every_level` the describer knows."""
    from multicap.describe.describer import every_level

    return every_level(known, caption="caption" in asked) if "all" in asked else list(asked)


def _ray_levels(asked: tuple[str, ...]) -> list[str] | None:
    """The levels a Ray worker says (None: its describer's `every_level`)."""
    if asked == _ALL:
        return None
    return ["object", "attribute", "layout", "caption"] if "all" in asked else list(asked)


def _print_set(descriptions: list[Description], asked: tuple[str, ...], json_out: bool) -> None:
    """What the set shares and what sets each image apart: one JSON line, or the summary's lines; at the
    most detailed level asked, or for "all" with the features of every level (the summary's caption level
    holds them all)."""
    from multicap.describe.summary import summarize_set

    summary = summarize_set(descriptions, "caption" if "all" in asked else asked[-1])
    described = len(descriptions)  # a captioner's text that cannot be read back into facts is left out
    if json_out:
        extra = {"level": "all"} if "all" in asked else {}
        said = summary.to_dict() | extra | {"n_described": described}
        if summary.n_images < 2 <= described:  # as the text says it (it had said "one image")
            said["text"] = "too few texts read back into facts to compare"
        console.print_json_line(said)
        return
    said_caption = any("caption" in d.texts for d in descriptions)  # asked, or all a captioner knows
    which = (
        ("every level" if said_caption else "every level but the caption")
        if "all" in asked
        else (f"{summary.level} level")
    )
    read = f"; facts read from {summary.n_images} of them" if summary.n_images < described else ""
    console.out.print(f"set of {console.counted(described, 'image')} ({which}{read})", markup=False)
    if summary.n_images < 2:
        console.out.print("  too few texts read back into facts to compare", markup=False)
        return
    text = summary.render(console.shown)  # names of the images in it escaped, newlines too
    console.out.print("  " + text.replace("\n", "\n  "), markup=False)
