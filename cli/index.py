"""`multicap index`: add images to a persistent index (incremental, resumable), rebuild it, or describe it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from multicap.cli import console
from multicap.cli.app import app
from multicap.cli.progress import progress_bar

_LEVELS = ("object", "attribute", "layout", "caption")  # a word of none: bad usage, exit 2 (as elsewhere)


@app.command("index")
def index_command(
    paths: list[Path] = typer.Argument(
        None, readable=False, help="Image files and/or folders (walked recursively)."
    ),
    index: str = typer.Option(
        None,
        "--index",
        "-i",
        callback=console.index_named,
        help="Index name under ./indexes (or $MULTICAP_INDEX_DIR), or a path (default: the one named "
        "default).",
    ),
    model: str = typer.Option(
        None,
        "--model",
        "-m",
        help="grounded (default), grounded-no-people (about 1.5x faster: no people detector), labels (the "
        "classifier's labels alone), a captioner bundle name or folder, a vision-language model (`multicap "
        "models`) or an open_clip folder.",
    ),
    encoder: str = typer.Option(None, "--encoder", "-e", help="Encoder of the grounded model."),
    levels: list[str] = typer.Option(
        None,
        "--level",
        "-l",
        callback=lambda given: [console.level_named(w, _LEVELS) for w in given] if given else given,
        help="Levels to describe: object, attribute, layout, caption (repeatable; default: every level the "
        "model says).",
    ),
    reembed: bool = typer.Option(False, "--reembed", help="Re-encode everything when the model changed."),
    rehash: bool = typer.Option(
        False,
        "--rehash",
        help="Read every file again, also those whose size and time are as recorded (an edit that kept "
        "both): slower, a full read of the folder.",
    ),
    rebuild: bool = typer.Option(False, "--rebuild", help="Rebuild the FAISS files from SQLite."),
    info: bool = typer.Option(False, "--info", help="Show the index: counts, model, FAISS types, recall."),
    forget: bool = typer.Option(
        False,
        "--forget",
        help="Delete from the index, for good, the images recorded under PATHS (a folder moved away or "
        "gone): their paths, vectors and descriptions.",
    ),
    factory: str = typer.Option(None, "--factory", help="FAISS factory string (e.g. IVF1024,Flat)."),
    batch_size: int = typer.Option(32, "--batch-size", min=1, help="Images per forward pass."),
    device: str = typer.Option(
        "cpu", "--device", callback=console.device_named, help="cpu, cuda, cuda:N or auto."
    ),
    include_hidden: bool = typer.Option(False, "--hidden", help="Also read hidden files and folders."),
    json_out: bool = typer.Option(
        False,
        "--json",
        help='The summary as one JSON object: "index", "added" (every file read; "edited" and "redescribed" '
        'among them), "reused" (the text\'s copies; "moved" among them), "updated" (the text\'s touched), '
        '"unchanged", "deleted" (rows retired: moved and edited files\' old rows too), "held" (kept from a '
        'folder missing now), "failed", "total", "faiss", "skipped".',
    ),
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
    """Index images for `multicap search`: unchanged files are skipped, moved files reuse their vectors,
    deleted files leave the results, and an interrupted run resumes where it stopped.

    The summary counts: added (new files, read and described), moved or renamed, edited (files whose
    content changed: read again), copies (new paths of content already indexed: vectors reused), touched
    (a newer time, the same content), unchanged (not read), deleted (gone from the folders named),
    failed (unreadable; each said).

    Examples:

      multicap index examples/photos --index demo && multicap search "espresso" --index demo

      multicap index photos/ --index photos --engine ray --address 10.0.0.1:6379

      multicap index --forget /media/old-drive --index photos
    """
    from multicap.index import index_info, rebuild_vectors, resolve_index

    console.ray_options_alone(engine, address, workers)
    if engine != "local":
        from multicap.scale import check_engine

        check_engine(engine)  # one line saying what to install, exit 1

    root = resolve_index(index)
    if forget and (info or rebuild):  # one had been done and --forget dropped, unsaid
        raise typer.BadParameter("one at a time", param_hint="--forget / --info / --rebuild")
    if info or (rebuild and not paths):
        result = (
            index_info(root, check_files=True)
            if info
            else {"index": str(root), "rebuilt": True, "faiss": rebuild_vectors(root, factory=factory)}
        )
        _render(result, json_out)
        return
    if not paths:
        hint = "give image files or folders to index (or to --forget; or --info / --rebuild)"
        raise typer.BadParameter(hint, param_hint="PATHS")  # bad usage: exit 2
    if forget:  # what the index holds under PATHS leaves it; nothing is read
        _forget(root, paths, json_out)
        return
    try:
        summary = _index(
            root, paths, model, encoder, levels, reembed, factory, batch_size, device, include_hidden,
            (engine, address, workers), rehash=rehash,
        )  # fmt: skip
    except KeyboardInterrupt:  # say what is kept: a bare "interrupted" had not (batches commit as they go)
        with console.uninterrupted():
            _say_kept(root)
        raise
    if summary["held"]:  # a folder missing or empty now: its images stay
        held = summary["held"]
        console.warn(
            f"{console.counted(held, 'image')} indexed from a folder missing, empty or unreadable now "
            f"{'was' if held == 1 else 'were'} kept, as for a drive not mounted (`multicap index --forget "
            f"FOLDER --index {console.arg(root)}` drops them)"
        )
    _render(summary, json_out)
    read = sum(summary[k] for k in ("added", "reused", "updated", "unchanged"))
    if summary["failed"] and not read:  # nothing named could be read: as describe, exit 1, and say so
        n = summary["failed"]
        said = "the image could not be read" if n == 1 else f"none of the {n} images could be read"
        if not any(os.path.lexists(p) for p in paths):  # a typing slip: it had been "could not be read"
            said = f"no such file or folder: {', '.join(map(str, paths))}"
        console.err.print(f"error: {said}; nothing was added", markup=False)
        raise typer.Exit(1)


def _forget(root: Path, paths: list[Path], json_out: bool) -> None:
    """--forget: the index's images under `paths` deleted, and how many are left."""
    from multicap.index import forget_paths

    forgotten = forget_paths(root, paths)
    for path in paths:
        n = forgotten["by_path"][str(path)]
        if not n:  # a typing slip had forgotten nothing, unsaid
            console.warn(f"nothing indexed under {path}")
        elif path.exists():
            said = f"`multicap index {console.arg(path)}` would add its images again"
            console.warn(f"{console.shown(path)} is still there: {said}")
    if json_out:
        console.print_json_line(forgotten)
        return
    named = ", ".join(map(str, paths))
    console.out.print(
        f"{console.shown(forgotten['index'])}: {console.counted(forgotten['forgotten'], 'image')} under "
        f"{console.shown(named)} forgotten, {console.counted(forgotten['total'], 'image')} left",
        markup=False,
    )


def _say_kept(root: Path) -> None:
    """After Ctrl-C: how many images the index holds, and that running the command again finishes it."""
    import sqlite3

    from multicap.errors import MulticapError
    from multicap.index.location import DB_NAME
    from multicap.index.store import IndexStore

    if not (root / DB_NAME).is_file():  # stopped before the index was made: nothing kept
        return
    try:
        with IndexStore(root / DB_NAME) as store:
            n = store.count()
    except (OSError, sqlite3.Error, MulticapError):  # unreadable now: the bare "interrupted" says enough
        return
    console.warn(
        f"{console.counted(n, 'image')} {'is' if n == 1 else 'are'} in {console.shown(root)}, every batch "
        "finished before the stop kept: run the same command again to finish (what is done is not done twice)"
    )


def _index(
    root: Path,
    paths: list[Path],
    model_name: str | None,
    encoder: str | None,
    levels: list[str] | None,
    reembed: bool,
    factory: str | None,
    batch_size: int,
    device: str,
    include_hidden: bool,
    scale: tuple[str, str | None, int | None] = ("local", None, None),
    *,
    rehash: bool = False,
) -> dict[str, Any]:
    from contextlib import nullcontext
    from dataclasses import asdict

    from multicap.errors import DataError, ImageLoadError
    from multicap.index.build import index_paths
    from multicap.index.location import DB_NAME, index_here
    from multicap.index.models import model_for_index

    skipped: list[ImageLoadError] = []  # every file left out, named in the --json summary too

    def on_error(error: ImageLoadError) -> None:
        skipped.append(error)
        console.warn(f"skipped {error}")

    left_out: list[ImageLoadError] = []  # FIFOs, devices, link loops, unlistable folders: never opened
    files = console.image_files(paths, include_hidden, left_out.append)
    for error in left_out:
        on_error(error)
    named = ", ".join(map(str, paths))
    if not (root / DB_NAME).is_file():  # a typing slip leaves no empty index behind
        if not any(os.path.lexists(p) for p in paths):
            raise DataError(f"no such file or folder: {named}; no index is created at {root}")
        if not files:
            raise DataError(f"{console.no_images(paths, include_hidden)}: no index is created at {root}")
        here = index_here(root)
        if here is not None:  # a second index had been begun beside the one meant, unsaid
            console.warn(f"a new index is made at {root}; ./{here} is one too: --index ./{here} adds to it")
    if not files:  # said, not a silent "0 images": what was named holds none (a typing slip, a drive away)
        console.warn(f"{console.no_images(paths, include_hidden)}: nothing is added, nothing retired")
    model = model_for_index(root, model_name, encoder=encoder, levels=levels or None, device=device)

    engine, address, workers = scale
    cluster: Any = nullcontext()
    if engine == "ray":  # imports ray: only when asked for
        from multicap.scale.ray_engine import ModelSpec, RayEngine, ray_cluster

        cluster = ray_cluster(address, workers=workers, say=console.said, lost=_lost)
    with cluster, progress_bar("indexing", total=len(files)) as advance:
        runner = (
            RayEngine(ModelSpec.of(model, device), workers=workers, batch_size=batch_size)
            if engine == "ray"
            else None
        )
        report = index_paths(
            root, paths, model, reembed=reembed, rehash=rehash, factory=factory, batch_size=batch_size,
            files=files, progress=advance, on_error=on_error, engine=runner,
        )  # fmt: skip
    said = [{"path": str(e.path), "reason": e.reason} for e in skipped]
    return {"index": str(root), **asdict(report), "failed": report.failed + len(left_out), "skipped": said}


def _lost(message: str) -> None:
    console.cluster_lost(f"{message}; what was indexed is kept: the rerun goes on from there")


# the summary's words for the JSON's counts ("reused" and "updated" had been read as the same thing)
_SAID = {"reused": "copies (vectors reused)", "updated": "touched (same content)"}


def _render(result: dict[str, Any], json_out: bool) -> None:
    if json_out:
        console.print_json_line(result)
        return
    if "added" in result:
        # the JSON's "added" counts every file encoded, its "edited" and "redescribed" among them; the text
        # says each apart: a file edited or described again by a newer describer was not added
        again = {
            "edited (read again)": result.get("edited", 0),
            "described again by a newer describer": result.get("redescribed", 0),
        }
        said = {"added": result["added"] - sum(again.values()), **{k: v for k, v in again.items() if v}}
        said |= {_SAID.get(k, k): result[k] for k in ("reused", "updated", "unchanged", "deleted", "failed")}
        moved = result.get("moved", 0)  # a rename had read "1 reused, 1 deleted", as if a photo were lost
        if moved:
            said = {"added": said.pop("added"), "moved or renamed": moved, **said}
            said[_SAID["reused"]] -= moved
            said["deleted"] -= moved
        counts = ", ".join(f"{n} {k}" for k, n in said.items())
        console.out.print(
            f"{console.shown(result['index'])}: {console.counted(result['total'], 'image')} ({counts})",
            markup=False,
        )
    else:
        hidden = ("index", "faiss", "identity", "rebuilt", "faiss_problems")  # said below, or not for people
        extra = {k: v for k, v in result.items() if k not in hidden}
        # "deleted" counts every row retired: a file deleted, and a renamed or edited file's old row (a run
        # that said "1 deleted" beside a rename was followed by "deleted 2")
        names = {"deleted": "retired (deleted, moved or replaced)"}
        said = ", ".join(f"{names.get(k, k.replace('_', ' '))} {_value(v)}" for k, v in extra.items())
        said = said or ("FAISS files rebuilt from SQLite" if result.get("rebuilt") else "")
        console.out.print(f"{console.shown(result['index'])}: {said}", markup=False)
        if result.get("identity"):
            ident = result["identity"]
            console.out.print(f"  model: {ident.get('model')}  encoder: {ident.get('encoder')}", markup=False)
    problems = result.get("faiss_problems", {})
    for space, layout in result.get("faiss", {}).items():
        if space in problems:  # the file as it is now, not the layout recorded when it was written
            console.warn(
                f"{space}.faiss: {problems[space]}; searches rebuild it in memory until `multicap index "
                f"--rebuild --index {result['index']}` saves it again"
            )
        elif "images" in result and layout["ntotal"] < result["images"]:  # a run stopped before its sync
            console.warn(
                f"{space}: FAISS holds {layout['ntotal']} of {result['images']} images; the next `multicap "
                "index` run (or --rebuild) adds the rest"
            )
        recall = layout.get("recall_at_10")
        shown = f"{recall:.3f}" if recall is not None else "n/a"
        params = ", ".join(f"{k} {v}" for k, v in (layout.get("params") or {}).items())
        console.out.print(
            f"  {space}: {layout['preset']} ({layout['factory']}{', ' + params if params else ''}), "
            f"{console.counted(layout['ntotal'], 'vector')}, recall@10 {shown}, {layout['bytes']:,} bytes",
            markup=False,
        )


def _value(v: Any) -> str:
    """An --info value for people: counts with thousands separators, a mapping as "key: value" pairs."""
    if isinstance(v, dict):
        return "(" + ", ".join(f"{k}: {_value(x)}" for k, x in v.items()) + ")"
    return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v)
