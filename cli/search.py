"""`multicap search`: the best images of an index for a text query or an image."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from multicap.cli import console
from multicap.cli.app import app

if TYPE_CHECKING:  # the command imports the index only when it runs (`--help` stays fast)
    from multicap.index.search import SearchResult


@app.command("search")
def search_command(
    words: list[str] = typer.Argument(
        None,
        metavar="QUERY",
        help="What to look for, in words (any string is safe; unquoted words are one query; one that begins "
        'with a minus after --, the options before it: `-i NAME -- "-cat dog"`; "dog -cat": dogs, no cats); '
        "an image file's path searches by that image.",
    ),
    index: str = typer.Option(
        None,
        "--index",
        "-i",
        callback=console.index_named,
        help="Index name under ./indexes (or $MULTICAP_INDEX_DIR), or a path (default: the one named "
        "default).",
    ),
    top_k: int = typer.Option(10, "--top-k", "-k", min=1, help="How many results."),
    image: Path = typer.Option(
        None, "--image", readable=False, help="Find the images nearest to this one instead."
    ),
    levels: list[str] = typer.Option(
        None,
        "--level",
        "-l",
        help="Match the words at these levels only: object, attribute, layout, caption or tags (repeatable).",
    ),
    json_out: bool = typer.Option(
        False,
        "--json",
        help='One JSON object per result: "type": "hit", "id" (the index\'s), path, score; "gone" for a file '
        'no longer on disk, "nearest_only" where no result shows much of the query (with --explain, also '
        "how the query was read).",
    ),
    filenames: bool = typer.Option(
        False,
        "--filenames-only",
        "-f",
        help="Paths only, one a line (control characters, undecodable bytes and backslashes escaped as ls -b "
        "escapes them; spaces kept as they are: use -0 with xargs).",
    ),
    null: bool = typer.Option(
        False, "--null", "-0", help="Paths only, each ended by a NUL byte, exactly as on disk (for xargs -0)."
    ),
    explain: bool = typer.Option(False, "--explain", help="Show each part of each score."),
    device: str = typer.Option(
        "cpu", "--device", callback=console.device_named, help="cpu, cuda, cuda:N or auto."
    ),
) -> None:
    """Print the best images, best first: `score path` (or paths only, or JSON lines).

    A text query is understood through WordNet 3.0 (every English noun and colour word reaches the
    concepts the model sees; --explain shows how, with weights), matched against the descriptions and
    embedded into the index's image and caption spaces; the rankings are fused, and images whose facts
    satisfy every part of the query ("a red car", "dog on the beach") come first. A word the model cannot
    relate to anything is named on stderr with the nearest concepts it knows; a query of such words
    alone exits 1. Where no image shows even half of what was asked for, stderr says so and the nearest are
    shown.

    Examples:

      multicap search "espresso" --index demo --explain

      multicap search "cat" --index demo -0 | xargs -0 ls -l

      multicap search ./photos/koala.jpg --index demo   # as --image
    """
    query = " ".join(words) if words else None  # `search dog on a beach` had been a usage error
    if image is None and query is not None and _image_named(query):  # as rclip: `search ./koala.jpg`
        query, image = None, _image_path(query)  # it had been searched as the words "tmp", "koala", "jpg"
    if (query is None) == (image is None):  # bad usage: exit 2, as click's own usage errors
        raise typer.BadParameter("give one of them, not both or neither", param_hint="QUERY / --image")
    forms = [name for name, given in (("--json", json_out), ("-f", filenames), ("-0", null)) if given]
    if len(forms) > 1:  # one had won, unsaid
        raise typer.BadParameter("one output form at a time", param_hint=" / ".join(forms))
    if image is not None and levels:
        console.warn("--level: the levels a text query's words are matched at; ignored with --image")
    from multicap.index import needs_model, resolve_index, search_index

    root = resolve_index(index)
    model = None
    if needs_model(root, image=image):  # else the index alone answers: no torch, no encoder
        from multicap.index.models import open_index_model

        model = open_index_model(root, device=device)
    known = ("object", "attribute", "layout", "caption", "tags")
    levels = [console.level_named(lv, known) for lv in levels or ()]  # "--level Objects" as "object"
    result = search_index(root, query, image=image, k=top_k, levels=tuple(levels) or None, model=model)
    _warn(result, root, query, top_k)
    if null or filenames:  # a list of files for the next command: the gone ones' places taken by the next
        result = _on_disk(result, lambda k: search_index(
            root, query, image=image, k=k, levels=tuple(levels) or None, model=model
        ), top_k)  # fmt: skip
    _print(result, "null" if null else "json" if json_out else "paths" if filenames else "scores", explain)


def _on_disk(result: SearchResult, again: Callable[[int], SearchResult], k: int) -> SearchResult:
    """`result` with its hits whose files are gone left out, in its order, and the next ones on disk after
    them (the search asked again for as many more as are missing, up to four times): `-k 3 -f` had listed
    two paths where one was gone."""
    there = [hit for hit in result.hits if os.path.lexists(hit.path)]
    listed, asked = {hit.path for hit in result.hits}, len(result.hits)
    for _ in range(4):
        if len(there) >= k or asked < k:  # enough, or the index holds no more
            break
        asked += k - len(there)
        more = again(asked)
        new = [hit for hit in more.hits if hit.path not in listed]
        listed.update(hit.path for hit in new)
        there += [hit for hit in new if os.path.lexists(hit.path)]
        if len(more.hits) < asked:
            break
    return replace(result, hits=there[:k])


def _image_named(query: str) -> bool:
    """Whether the query is an image file's path ("koala.jpg", "/photos/a.png"): one that exists, or one
    that would, with no space in it."""
    from multicap.io.paths import IMAGE_EXTENSIONS, UNREAD_PHOTOS

    if os.path.splitext(query)[1].lower() not in IMAGE_EXTENSIONS | UNREAD_PHOTOS:  # ".HEIC": a phone's
        return False  # photo, read where its bytes are a JPEG (it had been searched as the words "heic")
    return os.path.lexists(query) or not any(c.isspace() for c in query)


def _image_path(query: str) -> Path:
    """The image file the query names; a missing one is said with how the query was read (it had been
    searched as the words of its name)."""
    from multicap.errors import ConfigError

    if not os.path.lexists(query):
        ending = os.path.splitext(query)[1]
        raise ConfigError(
            f"{console.shown(query)}: no such file (a query ending in {ending} is read as an image's path; "
            f"to search its words, leave out {ending})"
        )
    return Path(query)


def _warn(result: SearchResult, root: Path, query: str | None, k: int) -> None:
    """What stderr says beside the results: words related to nothing, an index described by an older
    multicap, results that show little of the query, results whose files are gone."""
    from multicap.index import nearest_only_note, older_descriptions
    from multicap.index.search import quoted

    for line in (*result.unknown, *result.notes):
        console.warn(line)
    older = older_descriptions(root)
    if older is not None:
        console.warn(older)
    if result.nearest_only():  # results, but none that shows what was asked for: say so
        console.warn(nearest_only_note(query, result.lacking))
    elif query is not None and result.hits and len(result.hits) < k and not result.spaces:
        n = len(result.hits)  # words alone ("three"): no nearest images fill the rest (said, not silent)
        console.warn(
            f"only {console.counted(n, 'image')} {'matches' if n == 1 else 'match'} {quoted(query)}: no word "
            "of it names a thing the classifier sees, so no nearest images are added"
        )
    missing = [hit.path for hit in result.hits if not os.path.lexists(hit.path)]
    if missing:  # deleted or moved since the index last saw their folder
        n = len(missing)
        away = sorted({f for f in map(_gone_folder, missing) if f is not None})  # folders moved or deleted
        forget = " ".join(console.arg(f) for f in away[:3]) + (" ..." if len(away) > 3 else "")
        console.warn(
            f"{console.counted(n, 'result')} {'is' if n == 1 else 'are'} no longer on disk (moved or deleted "
            "since indexed; marked gone, and left out of -f and -0, the next results in their place): "
            "indexing their folder again retires them"
            + (f"; {'its folder is' if len(away) == 1 else 'their folders are'} gone too: `multicap index "
               f"--forget {forget} --index {console.arg(root)}`" if away else "")
        )  # fmt: skip


def _gone_folder(path: str) -> str | None:
    """The highest missing folder above a missing file (the folder moved or deleted), or None where the
    file's own folder is there (the file alone went: indexing that folder again retires it)."""
    folder = os.path.dirname(path)
    if os.path.lexists(folder):
        return None
    while True:
        parent = os.path.dirname(folder)
        if parent == folder or os.path.lexists(parent):
            return folder
        folder = parent


def _print(result: SearchResult, form: str, explain: bool) -> None:
    """The hits on stdout as `form`: "scores" (score and path, with --explain each part of each score),
    "paths", "json" (JSON lines) or "null" (each name's own bytes, NUL-ended)."""
    reading = {"lexical": result.fts, "spaces": result.spaces, "understood": result.concepts}
    weak = {"nearest_only": True} if result.nearest_only() else {}  # stderr's warning, for a script too
    if explain and form == "scores":
        console.out.print(f"lexical: {result.fts or '(no searchable word)'}", markup=False)
        spaces = ", ".join(result.spaces) or "none (no word of the query reaches a class's vector)"
        console.out.print(f"dense spaces: {spaces}", markup=False)
        for line in result.concepts:
            console.out.print(f"understood: {line}", markup=False)
    for hit in result.hits:
        there = os.path.lexists(hit.path)  # else moved or deleted since indexed
        if not there and form in ("null", "paths"):  # a list for the next command (`xargs`, `| feh -f -`),
            continue  # which had failed on the name (stderr says how many were left out)
        if form == "null":  # the name's own bytes: any name a file system allows reaches the next command
            sys.stdout.flush()
            sys.stdout.buffer.write(os.fsencode(hit.path) + b"\0")
        elif form == "json":  # with --explain each line also says how the query was read, as the text does
            gone = {} if there else {"gone": True}
            console.print_json_line(  # typed as every other command's lines (it had had no "type")
                {"type": "hit", "id": hit.id, **hit.to_dict(explain), **gone, **weak}
                | ({"query": reading} if explain else {})
            )
        elif form == "paths":  # as ls -b: a backslash doubled, so that each line reads back as one name
            console.out.print(console.shown(hit.path, exact=True), markup=False)
        else:
            mark = "" if there else "  (gone)"
            console.out.print(f"{hit.score:.4f}  {console.shown(hit.path)}{mark}", markup=False)
            if explain:
                parts = "  ".join(
                    f"{k} #{int(v['rank'])} {v['score']:.3f}" if "rank" in v else f"{k} {v['score']:.3f}"
                    for k, v in hit.parts.items()
                )
                texts = "; ".join(f"{lv}: {t}" for lv, t in hit.texts.items())
                console.out.print(f"        {parts}\n        {texts}", markup=False)
