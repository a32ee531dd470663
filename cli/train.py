"""`multicap train`: train a captioner from a recipe; resumable; the best bundle is kept."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path
from typing import Any

import typer

from multicap.cli import console
from multicap.cli.app import app


@app.command("train")
def train_command(
    config: str = typer.Option("scenes", "--config", "-c", help="A YAML recipe, or a name in configs/."),
    overrides: list[str] = typer.Option(
        [], "--set", help="Override a recipe value: --set train.epochs=5 (repeatable)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
) -> None:
    """Train the level-conditioned captioner; run again to resume from the last epoch.

    Features are encoded once into a cache beside the corpus. After every epoch the validation images
    are decoded (never teacher-forced) and scored per level; the best bundle goes to TRAIN.OUT/best.
    With train.max_minutes the learning rate decays to 0 by the deadline.

    On a machine busy at start-up torch's threads sleep while they wait (OMP_WAIT_POLICY=PASSIVE);
    on a quiet one they spin briefly. If other jobs start later, set OMP_WAIT_POLICY=PASSIVE yourself
    (cli/threads.py; benchmarks/contention.py measures both).

    Examples:

      multicap data scenes --out data/scenes --n 8000 --size 160

      multicap train --config scenes --set train.epochs=10
    """
    from multicap.captioning.recipe import load_recipe
    from multicap.captioning.train import train
    from multicap.config import apply_overrides
    from multicap.errors import ConfigError

    for override in overrides:
        if "=" not in override:  # bad usage: exit 2
            raise typer.BadParameter(f"expects KEY=VALUE, got {override!r}", param_hint="--set")
    recipe = load_recipe(config)  # a missing or bad recipe file: ConfigError, exit 1
    try:  # an unknown key or a bad value given with --set is bad usage too (exit 1 had been a failure)
        recipe = apply_overrides(recipe, overrides)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint="--set") from None
    command = "multicap " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    with _Reporter() as report, console.terminated_as_interrupt():
        try:
            result = train(recipe, progress=report, command=command)
        except KeyboardInterrupt as exc:  # say what is kept: a bare "interrupted" had not
            with console.uninterrupted():  # and put back a checkpoint a Ctrl-C stopped mid-swap
                _say_kept(Path(recipe.train.out), command, recipe.train.epochs)
                if isinstance(exc, console.Terminated):  # a SIGTERM: it had ended by the signal, unsaid
                    console.err.print("terminated", markup=False)
                    raise typer.Exit(143) from None  # 128 + SIGTERM, as a shell says it
            raise
    last = result.history[-1] if result.history else {}
    best = max(result.history, key=lambda h: h["score"]) if result.history else {}
    summary = {
        "best_bundle": str(result.best),
        "best_score": result.best_score,
        "best_epoch": best.get("epoch"),
        "epochs": result.epochs_run,
        "stopped_early": result.stopped_early,
        "best_validation": best,
        "last_validation": last,
    }
    if json_out:
        console.print_json_line(summary)
        return
    ran = f"{result.epochs_run} epoch{'' if result.epochs_run == 1 else 's'}"
    console.out.print(
        f"best bundle: {result.best} (score {result.best_score:.4f}, epoch {best.get('epoch')} of {ran} run)",
        markup=False,
    )
    for key, value in best.items():  # the best bundle's validation, not the last epoch's
        if isinstance(value, float):
            console.out.print(f"  {key:24s} {value:.4f}", markup=False)


def _say_kept(out: Path, command: str, epochs: int) -> None:
    """After Ctrl-C: which epoch the run's checkpoint holds (the next run resumes after it, unless it was
    the last of `epochs`), or that none was saved yet (the first epoch had not ended)."""
    import json

    from multicap.captioning.train import recover_run

    try:
        recover_run(out)  # Ctrl-C in the middle of a checkpoint's swap: put back the one that is whole
        epoch = json.loads((out / "last" / "metrics.json").read_text(encoding="utf-8")).get("epoch")
    except (OSError, ValueError, AttributeError):
        epoch = None
    if epoch is None:
        console.err.print(f"no epoch had ended: nothing is saved in {out}", markup=False)
    elif epoch >= epochs:  # had said the run "resumes after it": there is nothing left to train
        console.err.print(
            f"epoch {epoch}, the last, is saved in {out / 'last'}: the run is complete", markup=False
        )
    else:
        said = f"epoch {epoch} is saved in {out / 'last'}; `{command}` resumes after it"
        console.err.print(said, markup=False)


class _Reporter:
    """Turns TrainEvents into a transient progress bar and one stderr line per validation."""

    def __init__(self) -> None:
        self._progress: Any = None
        self._task: Any = None
        self._tenths = -1  # without a terminal: the last tenth of the feature cache said on stderr
        self._started = time.monotonic()  # each epoch's line says the time since (a log's only clock)

    def __enter__(self) -> _Reporter:
        if console.progress_enabled():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[info]}"),
                TimeRemainingColumn(),
                console=console.err,
                transient=True,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("starting", total=None, info="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)

    def __call__(self, event: Any) -> None:
        if event.kind == "features":
            self._update("caching features", event.step, event.total_steps, "")
            tenths = 10 * event.step // max(event.total_steps, 1)
            if self._progress is None and tenths > self._tenths:  # a log, not a terminal: a line a tenth
                self._tenths = tenths
                console.err.print(f"caching features: {event.step:,} of {event.total_steps:,}", markup=False)
        elif event.kind == "step":
            info = f"loss {event.loss:.3f}  {event.tokens_per_s:,.0f} tok/s"
            self._update(f"epoch {event.epoch}", event.step, event.total_steps, info)
        elif event.kind == "validation":
            levels = "  ".join(
                f"{lv} F1 {s.fact_f1:.3f}" if s.fact_f1 is not None else f"{lv} CIDEr-D {s.cider_d:.3f}"
                for lv, s in event.scores.items()
            )
            spent = time.monotonic() - self._started
            clock = f"{int(spent // 60)}:{int(spent % 60):02d}"
            said = f"epoch {event.epoch}: loss {event.loss:.3f}  {levels}  ({clock})"
            console.err.print(said, markup=False)
        elif event.kind == "stopped":
            why = {
                "patience": "no better validation for train.patience epochs (raise it to go on)",
                "time budget": "time budget spent",
            }
            console.err.print(
                f"stopped after epoch {event.epoch}: {why.get(event.message, event.message)}", markup=False
            )
        elif event.message:
            console.err.print(event.message, markup=False)

    def _update(self, description: str, done: int, total: int, info: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=description, completed=done, total=total, info=info)
