"""`multicap classify`: what the encoder recognises in each image (top ImageNet labels)."""

from __future__ import annotations

from pathlib import Path

import typer

from multicap.cli import console
from multicap.cli.app import app
from multicap.cli.progress import progress_bar


@app.command("classify")
def classify_command(
    paths: list[Path] = typer.Argument(
        ..., readable=False, help="Image files and/or folders (walked recursively)."
    ),
    encoder: str = typer.Option(
        "efficientnet_lite0", "--encoder", "-e", help="A name from `multicap models`."
    ),
    weights: Path | None = typer.Option(
        None, "--weights", help="Weights file to use instead of the default."
    ),
    top_k: int = typer.Option(5, "--top-k", "-k", min=1, max=1000, help="Labels per image."),
    batch_size: int = typer.Option(32, "--batch-size", min=1, help="Images per forward pass."),
    device: str = typer.Option(
        "cpu", "--device", callback=console.device_named, help="cpu, cuda, cuda:N or auto."
    ),
    include_hidden: bool = typer.Option(False, "--hidden", help="Also read hidden files and folders."),
    json_out: bool = typer.Option(
        False,
        "--json",
        help='One JSON object per image on stdout ({"type": "image", "path", "labels"}; '
        '{"type": "skipped", "path", "reason"} for a file that could not be read).',
    ),
) -> None:
    """Print the top ImageNet labels, with probabilities, for each image.

    Unreadable images are skipped with one warning each; the exit code is 1 only if none could be read
    (as `describe`, `index` and `compare`).

    Example:

      multicap classify examples/photos --top-k 3
    """
    from multicap.encoders import create_encoder
    from multicap.encoders import top_k as readout
    from multicap.encoders.pipeline import encode_paths
    from multicap.errors import ConfigError, ImageLoadError

    failures: list[ImageLoadError] = []
    on_error = console.skipper(failures, json_out)

    files = console.image_files(paths, include_hidden, on_error)
    left_out = len(failures)  # FIFOs, devices, link loops, unlistable folders: reported, never opened
    if not files:
        raise ConfigError(console.no_images(paths, include_hidden))
    enc = create_encoder(encoder, weights=weights, device=device)
    if enc.labels is None:
        raise ConfigError(f"encoder {encoder!r} has no ImageNet head: choose another with --encoder")

    read = 0
    with progress_bar("classifying", total=len(files)) as advance:
        for batch_paths, feats in encode_paths(
            enc, files, batch_size=batch_size, on_error=on_error, progress=advance
        ):
            assert feats.logits is not None
            for path, labels in zip(batch_paths, readout(feats.logits, enc.labels, top_k), strict=True):
                _render(path, labels, json_out)
                read += 1
    if failures:
        said = console.unread_said(len(failures), len(files) + left_out, failures[:left_out])
        console.err.print(said, markup=False)
    if not read:
        raise typer.Exit(1)


def _render(path: Path, labels: list[tuple[str, float]], json_out: bool) -> None:
    if json_out:
        console.print_json_line(
            {
                "type": "image",
                "path": str(path),
                "labels": [{"label": name, "probability": round(p, 6)} for name, p in labels],
            }
        )
        return
    best = ", ".join(f"{name} {_percent(p)}" for name, p in labels)
    console.out.print(f"{console.shown(path)}: {best}", markup=False)


def _percent(p: float) -> str:
    """ "94%", "0.5%", "<0.1%": never "0%" or "0.0%" for a class that has some probability."""
    return f"{p:.0%}" if p >= 0.01 else f"{p:.1%}" if p >= 0.0005 else "<0.1%"
