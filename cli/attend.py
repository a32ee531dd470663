"""`multicap attend`: picture where each generated word looked."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import typer

from multicap.cli import console
from multicap.cli.app import app


@app.command("attend")
def attend_command(
    image: Path = typer.Argument(..., readable=False, help="The image to caption."),
    model: str = typer.Option(..., "--model", "-m", help="A bundle folder or a registered bundle name."),
    level: str = typer.Option("caption", "--level", "-l", help="object, attribute, layout or caption."),
    out: Path = typer.Option(
        Path("attention.png"), "--out", "-o", help="Image file to write (its extension picks the format)."
    ),
    matrix: bool = typer.Option(
        False,
        "--matrix",
        help="Also write OUT-matrix.png: cosine similarity of decoder outputs between steps.",
    ),
    device: str = typer.Option(
        "cpu", "--device", callback=console.device_named, help="cpu, cuda, cuda:N or auto."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the caption and files as JSON."),
) -> None:
    """Caption IMAGE and draw one attention overlay per generated word (Show, Attend and Tell style).

    Example:

      multicap attend examples/scenes/images/000000.png --model scenes-small --level layout --out att.png
    """
    from matplotlib.backend_bases import FigureCanvasBase

    from multicap.captioning.attention_maps import caption_image, plot_attention, plot_step_similarity
    from multicap.captioning.bundle import load_bundle
    from multicap.errors import ConfigError

    formats = set(FigureCanvasBase.get_supported_filetypes())  # before the model runs, not after
    if not any(shutil.which(tex) for tex in ("xelatex", "lualatex", "pdflatex")):
        formats.discard("pgf")  # matplotlib writes it through LaTeX: it had failed after the model ran
    if out.suffix.lower().lstrip(".") not in formats:  # bad usage: exit 2
        raise typer.BadParameter(
            f"{out}: give a file ending in one of .{', .'.join(sorted(formats))}", param_hint="--out"
        )
    console.output_place(out, "--out", {"image": image})  # before the model runs, not after
    bundle = load_bundle(model, device=device)
    if console.level_word(level, tuple(bundle.levels)) == "all":  # describe's word: here one level a run
        raise typer.BadParameter(
            f"attend draws one level a run: one of {', '.join(bundle.levels)}", param_hint="--level"
        )
    level = console.level_named(level, tuple(bundle.levels))  # "Layouts" as "layout"; else usage error
    caption, seen = caption_image(bundle, image, level, device=device)
    try:
        files = [plot_attention(seen, caption, bundle.model.config.grid_hw, out)]
        if matrix:
            files.append(plot_step_similarity(caption, out.with_name(out.stem + "-matrix.png")))
    except OSError as exc:  # a read-only folder, a full disk
        raise ConfigError(f"cannot write {exc.filename or out}: {exc.strerror or exc}") from None
    if not caption.ended:  # as describe says it: a runaway sentence on an image unlike what it learned
        console.warn("the captioner reached its length limit without ending the sentence: it is unreliable")
    if caption.unlike_training:
        console.warn(
            "the image is unlike every image the captioner was trained on: its caption is unreliable"
        )
    if json_out:
        console.print_json_line(
            {
                "type": "attention",  # as describe's and classify's records say what they are
                "image": str(image),
                "level": level,
                "caption": caption.text,
                "confidence": round(math.exp(caption.logprob), 4),  # as `describe --json`: 0..1
                "ended": caption.ended,
                "files": [str(f) for f in files],
                # as `describe --json`: said only where true (a bundle without a domain model cannot
                # tell, and false had been said of a photo to a scenes captioner)
                **({"unlike_training": True} if caption.unlike_training else {}),
            }
        )
        return
    console.out.print(f"{console.shown(image)} [{level}]: {caption.text}", markup=False)
    for f in files:
        console.out.print(f"wrote {console.shown(f)}", markup=False)
