"""`multicap evaluate`: score captions with the COCO metrics (BLEU-1..4, METEOR, ROUGE-L, CIDEr-D)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from multicap.cli import console
from multicap.cli.app import app

_COLUMNS = ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "METEOR", "ROUGE-L", "CIDEr-D", "fact-F1")


@app.command("evaluate")
def evaluate_command(
    predictions: Path | None = typer.Option(
        None,
        "--predictions",
        "-p",
        help='COCO result JSON: [{"image_id", "caption", "level"?}] (or {image_id: caption}); no level: '
        "caption, or the references' only level.",
    ),
    references: Path | None = typer.Option(
        None, "--references", "-r", help="COCO captions annotation JSON, or Karpathy split JSON."
    ),
    model: str | None = typer.Option(None, "--model", "-m", help="Decode with this bundle (folder or name)."),
    data: Path | None = typer.Option(
        None, "--data", "-d", help="With --model: a corpus (scenes folder, ...)."
    ),
    split: str | None = typer.Option(
        None,
        "--split",
        help="Split to score (--model: default test, or the corpus's only split unless that is train; a COCO "
        "file's split is the word after captions_ in its name).",
    ),
    beam: int | None = typer.Option(
        None, "--beam", min=1, help="With --model: beam size (default: bundle's)."
    ),
    max_len: int | None = typer.Option(
        None, "--max-len", min=1, help="With --model: longest caption in words."
    ),
    features: Path | None = typer.Option(
        None, "--features", help="With --model: feature cache folder (default: DATA/features/ENCODER)."
    ),
    image_root: Path | None = typer.Option(
        None,
        "--image-root",
        exists=True,
        file_okay=False,
        help="With --model: the folder the corpus's image paths start from (default: the corpus file's).",
    ),
    metrics: str = typer.Option(
        "bleu,meteor,rouge,cider", "--metrics", help="Comma-separated: bleu, meteor, rouge, cider."
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write per-image captions and scores (JSON)."),
    json_out: bool = typer.Option(False, "--json", help="One JSON object with the scores on stdout."),
    device: str = typer.Option(
        "cpu", "--device", callback=console.device_named, help="With --model: cpu, cuda, cuda:N or auto."
    ),
) -> None:
    """Score any captioner's output against references, with numbers that match coco-caption.

    Prints one table per level (object, attribute, layout, or caption).

    METEOR needs Java and the pycocoevalcap package; without them it is reported unavailable and the
    other metrics still run.

    With --model and --data, decode the split with the bundle (never teacher-forced) and score that,
    adding fact F1 per level on scenes corpora; the decode settings are recorded beside the numbers.

    Examples:

      multicap evaluate --predictions results.json --references captions_val2014.json --out scores.json

      multicap evaluate --model runs/scenes/best --data data/scenes --split test_comp

      multicap evaluate --model runs/flickr8k/best --data dataset_flickr8k.json --image-root Flicker8k_Dataset
    """
    names = _metric_names(metrics)
    if split is not None and not split.strip():  # had scored the default split, unsaid
        raise typer.BadParameter(
            "give a split's name (e.g. test), or leave --split out", param_hint="--split"
        )
    if model is None:
        named = (("--beam", beam), ("--max-len", max_len), ("--features", features),
                 ("--image-root", image_root), ("--device", None if device == "cpu" else device))  # fmt: skip
        given = [o for o, v in named if v is not None]
        if given:
            console.warn(f"{' and '.join(given)}: with --model only; ignored in scoring --predictions")
    if model is not None and (data is None or predictions is not None or references is not None):
        raise typer.BadParameter("--model needs --data, and no --predictions/--references")
    if model is None and (predictions is None or references is None):
        raise typer.BadParameter("give --predictions and --references, or --model and --data")
    if out is not None:  # before decoding and scoring, not after (a 5,000-image decode had been lost)
        inputs = {"--predictions file": predictions, "--references file": references, "--data file": data}
        console.output_place(out, "--out", inputs)
    if model is not None:
        doc = _decoded(model, data, split, names, beam, max_len, features, image_root, out, device)
    elif predictions is not None and references is not None:
        doc = _scored(predictions, references, split, names, out)
    else:
        raise typer.BadParameter("give --predictions and --references, or --model and --data")
    _check_scores(doc, names)
    if json_out:
        console.print_json_line(doc)
        return
    for level, entry in doc["levels"].items():
        _print_table(level, entry)
    if out is not None:
        console.err.print(f"per-image scores written to {out}", markup=False)


def _decoded(
    model: str,
    data: Path,
    split: str | None,
    names: list[str],
    beam: int | None,
    max_len: int | None,
    features: Path | None,
    image_root: Path | None,
    out: Path | None,
    device: str,
) -> dict[str, Any]:
    """--model: the split decoded by the bundle and scored; the scores document (and --out written)."""
    evaluation = _decode_and_score(model, data, split, names, beam, max_len, features, image_root, device)
    if evaluation.settings.get("unread"):
        console.warn(
            f"{evaluation.settings['unread']} of the split's images could not be read: scored on the "
            f"other {evaluation.settings['images']}"
        )
    for level, (n, of) in evaluation.settings.get("unended", {}).items():  # as describe says it
        console.warn(
            f"level {level}: {n} of {console.counted(of, 'caption')} reached the length limit without "
            "ending a sentence (--max-len): those captions are unreliable"
        )
    if out is not None:
        _write(out, evaluation.document(per_image=True))
    return evaluation.document(per_image=False, out=None if out is None else str(out))


def _scored(
    predictions: Path, references: Path, split: str | None, names: list[str], out: Path | None
) -> dict[str, Any]:
    """--predictions/--references: the scores document (and --out written)."""
    from multicap.evaluation import evaluate_files, scores_document
    from multicap.evaluation.caption_files import coco_split_of

    def left_out(level: str, n: int, scored: int) -> None:  # the standard coco-caption use: a test split
        console.warn(  # scored against all of val2014's annotations (it had been refused)
            f"level {level}: {console.counted(n, 'image')} of the references {_have(n)} no prediction; "
            f"scored the {scored:,} that {_have(scored)} one, as coco-caption does"
        )

    if console.progress_enabled():  # METEOR's Java start alone takes seconds: say what is happening
        with console.err.status("scoring captions", spinner="dots"):
            results = evaluate_files(predictions, references, split=split, metrics=names, left_out=left_out)
    else:
        results = evaluate_files(predictions, references, split=split, metrics=names, left_out=left_out)
    for level, scores in results.items():  # scored as coco-caption scores them, and said: a broken decoder
        empty = sum(not caption.strip() for caption in scores.candidates.values())
        if empty:
            console.warn(
                f"level {level}: {empty} of {console.counted(len(scores.candidates), 'prediction')} "
                f"{'is' if empty == 1 else 'are'} empty (scored as they are)"
            )
    split = split or coco_split_of(references)  # a COCO file is one split, by its name (it had said null)
    settings = {"predictions": str(predictions), "references": str(references), "split": split}
    if out is not None:
        _write(out, scores_document(results, per_image=True, settings=settings))
    return scores_document(
        results, per_image=False, settings={**settings, "out": None if out is None else str(out)}
    )


def _have(n: int) -> str:
    return "has" if n == 1 else "have"


def _check_scores(doc: dict[str, Any], names: list[str]) -> None:
    """What could not be computed, on stderr; nothing at all computed is an error (it had printed no
    score, exit 0)."""
    from multicap.errors import DataError

    if not any(entry["scores"] for entry in doc["levels"].values()):
        why = sorted(
            {f"{m}: {r}" for entry in doc["levels"].values() for m, r in entry["unavailable"].items()}
        )
        raise DataError(f"no metric asked could be computed ({'; '.join(why) or ', '.join(names)})")
    for level, entry in doc["levels"].items():
        for metric, reason in entry["unavailable"].items():
            console.warn(f"{metric} unavailable at level {level}: {reason}")


def _metric_names(metrics: str) -> list[str]:
    """--metrics as names: "BLEU,Cider" as ["bleu", "cider"]; none at all is a usage error."""
    from multicap.evaluation.captions import CAPTION_METRICS

    names = [m.strip().lower() for m in metrics.split(",") if m.strip()]
    unknown = [m for m in names if m not in CAPTION_METRICS]
    if not names or unknown:  # bad usage, exit 2, before anything is decoded
        said = f"unknown metric(s) {', '.join(unknown)}; choose" if unknown else "give at least one"
        raise typer.BadParameter(f"{said} from {', '.join(CAPTION_METRICS)}", param_hint="--metrics")
    return names


def _print_table(level: str, entry: dict[str, Any]) -> None:
    scores, unavailable = entry["scores"], entry["unavailable"]
    columns = [c for c in _COLUMNS if c in scores or c in unavailable]
    console.out.print(f"level {level} ({console.counted(entry['n_images'], 'image')})", markup=False)
    if entry["n_images"] == 1 and "CIDEr-D" in scores:  # as coco-caption: an n-gram in every image is worth 0
        console.warn("CIDEr-D weighs n-grams by how few images hold them: over one image it is 0")
    console.out.print("  " + "  ".join(f"{c:>8}" for c in columns), markup=False)
    values = [f"{scores[c]:8.4f}" if c in scores else f"{'n/a':>8}" for c in columns]
    console.out.print("  " + "  ".join(values), markup=False)


def _write(path: Path, doc: dict[str, Any]) -> None:
    from multicap.errors import DataError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot write {path}: {exc.strerror or exc}") from None


def _decode_and_score(
    model: str,
    data: Path,
    split: str | None,
    metrics: list[str],
    beam: int | None,
    max_len: int | None,
    features: Path | None,
    image_root: Path | None,
    device: str,
) -> Any:
    from multicap.captioning.evaluate_bundle import evaluate_model

    options: dict[str, Any] = {
        "device": device,
        "beam": beam,
        "max_len": max_len,
        "metrics": metrics,
        "features": features or "",
        "image_root": image_root,
    }
    if not console.progress_enabled():
        return evaluate_model(model, data, split, **options)
    with console.err.status("encoding", spinner="dots") as status:

        def report(stage: str, done: int, total: int) -> None:
            what = "encoding images" if stage == "features" else f"decoding level {stage}"
            status.update(f"{what}: {done}/{total}")

        return evaluate_model(model, data, split, progress=report, **options)
