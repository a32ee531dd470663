"""Train a level-conditioned captioner from cached encoder features; resumable, validated by decoding.

    result = train(load_recipe("scenes"), progress=print)

The run folder holds `last/` (a bundle plus `trainer.pt`: optimiser, schedule, RNG states and history,
saved at every epoch end) and `best/` (the bundle with the best validation score), each written whole
beside the old one and swapped in (`save_whole`): a kill at any moment leaves one of them whole, and the
next run puts it back (`recover_run`). Run again with the same
recipe and training resumes from `last/`; with the same seed the result is the same as an uninterrupted
run. Validation decodes the validation images (never teacher-forced) and scores them per level: fact F1
where the corpus has ground-truth facts, CIDEr-D otherwise; their mean over levels picks the best epoch.

The learning rate warms up linearly, then follows a cosine to 0 at the end of the last epoch. With a time
budget (`train.max_minutes`), the cosine follows whichever runs out first, steps or minutes: a run cut short
by the clock still ends with a decayed learning rate instead of stopping at its peak. The budget counts
everything after the features are cached (steps and validations, across resumptions); the epoch that
reaches it ends there and is validated. Only a run without a time budget is bit-for-bit reproducible.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from multicap.captioning.batches import CaptionExamples, build_examples
from multicap.captioning.bundle import Bundle
from multicap.captioning.domain import Domain, fit_domain, pooled
from multicap.captioning.model import Captioner
from multicap.captioning.recipe import Recipe
from multicap.captioning.scoring import LevelScores
from multicap.captioning.validate import validate
from multicap.encoders import resolve_device
from multicap.errors import ConfigError, DataError
from multicap.text import Vocabulary

__all__ = ["TrainEvent", "TrainResult", "recover", "recover_run", "save_whole", "train"]


@dataclass(frozen=True)
class TrainEvent:
    kind: str  # "features", "epoch_start", "step", "validation", "resumed", "stopped", "warning"
    epoch: int = 0
    step: int = 0
    total_steps: int = 0
    loss: float = 0.0
    tokens_per_s: float = 0.0
    scores: dict[str, LevelScores] = field(default_factory=dict)
    message: str = ""


_MIN_HELD = 50  # validation images a bundle's domain threshold is measured on, at least


def _no_domain(data_cfg: Any, validated: int) -> str:
    """The warning of a bundle without a domain, with the setting that can give it one: more validation
    images where `data.val_images` held them back, else another split (raising it had been advised for a
    split of 13 images)."""
    if data_cfg.val_images and validated >= data_cfg.val_images:
        fix = f"validate on more with --set data.val_images=N (now {data_cfg.val_images})"
    else:
        fix = (
            f"the split {data_cfg.val_split!r} has {validated} images: validate on a larger one with --set "
            "data.val_split=NAME"
        )
    return (
        f"warning: fewer than {_MIN_HELD} validation images outside the training images, so the bundle "
        f'cannot tell images unlike those it was trained on (describe\'s "unlike_training"); {fix}'
    )


_NO_OBJECT_WORDS = (
    "warning: model.object_memory is on, but no word of this corpus is known to name an object (it has no "
    "object facts), so the object memory stays at zero; train with --set model.object_memory=false"
)


@dataclass
class TrainResult:
    best: Path  # the best bundle's folder
    best_score: float
    epochs_run: int
    history: list[dict[str, Any]]
    stopped_early: bool


Progress = Callable[[TrainEvent], None]


def train(
    recipe: Recipe,
    *,
    progress: Progress | None = None,
    command: str = "",
    stop_after_epochs: int | None = None,
) -> TrainResult:
    """Train (or resume) the run of `recipe`; `stop_after_epochs` simulates an interruption (tests)."""
    emit = progress or (lambda event: None)
    cfg = recipe.train
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = resolve_device(cfg.device, option="--set train.device")
    out = Path(cfg.out)
    _check_run_folder(out)  # before the features are cached and an epoch trained, not after
    with _only_run(out):
        return _train(recipe, out, emit, device, stop_after_epochs, command)


def _train(
    recipe: Recipe,
    out: Path,
    emit: Progress,
    device: torch.device,
    stop_after_epochs: int | None,
    command: str,
) -> TrainResult:
    cfg = recipe.train
    recover_run(out)  # a checkpoint a kill left half swapped is put back first
    if (out / "last" / "metrics.json").is_file():  # a run of another recipe refused before its features
        with _damaged(out / "last" / "metrics.json"):  # are cached (hours of encoding on COCO), not after
            _check_same_recipe(out / "last", recipe)
    data = build_examples(
        recipe,
        progress=lambda n, total: emit(TrainEvent("features", step=n, total_steps=total)),
        check_vocab=lambda vocab: _same_vocab(out / "last", vocab),
    )
    run = _Run.start(recipe, data, device, out, emit)
    steps_per_epoch = math.ceil(len(data.train) / cfg.batch_size)
    stopped_early = False
    while run.epoch < cfg.epochs:
        if run.clock.out_of_time():  # resumed with no time left: nothing to train
            stopped_early = True
            emit(TrainEvent("stopped", epoch=run.epoch, message="time budget"))
            break
        if run.stale >= cfg.patience:  # resumed after it stopped early: a larger train.patience goes on
            stopped_early = True
            emit(TrainEvent("stopped", epoch=run.epoch, message="patience"))
            break
        epoch_loss = _train_epoch(run, data.train, steps_per_epoch, emit)
        run.epoch += 1
        scores = validate(run.model, data, recipe, device)
        score = _selection_score(scores)
        improved = score > run.best_score
        run.history.append({"epoch": run.epoch, "loss": epoch_loss, "score": score, **_flat(scores)})
        if improved:
            run.best_score, run.stale = score, 0
        else:
            run.stale += 1
        emit(TrainEvent("validation", epoch=run.epoch, loss=epoch_loss, scores=scores))
        bundle = _bundle(run, recipe, command, scores)
        run.save_checkpoint(out / "last", bundle)  # first: a kill before best/ is written, resumed, writes it
        if improved:
            save_whole(out / "best", bundle.save)
        if run.stale >= cfg.patience or run.clock.out_of_time():
            stopped_early = run.epoch < cfg.epochs
            emit(
                TrainEvent(
                    "stopped",
                    epoch=run.epoch,
                    message="patience" if run.stale >= cfg.patience else "time budget",
                )
            )
            break
        if stop_after_epochs is not None and run.epoch >= stop_after_epochs:
            break
    return TrainResult(out / "best", run.best_score, run.epoch, run.history, stopped_early)


def _selection_score(scores: dict[str, LevelScores]) -> float:
    values = [s.fact_f1 if s.fact_f1 is not None else s.cider_d for s in scores.values()]
    return sum(values) / len(values) if values else 0.0


def _flat(scores: dict[str, LevelScores]) -> dict[str, float | None]:
    flat: dict[str, float | None] = {}
    for level, s in scores.items():
        flat[f"{level}/cider_d"] = s.cider_d
        flat[f"{level}/bleu4"] = s.bleu4
        flat[f"{level}/fact_f1"] = s.fact_f1
    return flat


def _bundle(run: _Run, recipe: Recipe, command: str, scores: dict[str, LevelScores]) -> Bundle:
    metrics = {
        "command": command,
        "epoch": run.epoch,
        "validation": {level: s.to_dict() for level, s in scores.items()},
        "selection_score": _selection_score(scores),
        "recipe": recipe.to_dict(),
    }
    return Bundle(
        run.model, run.vocab, recipe.encoder, recipe.decoding, metrics, reader=run.reader, domain=run.domain
    )


def _domain(data: Any, keep: int = 1000, held: int = 500) -> Domain | None:
    """The bundle's domain (`captioning.domain`): up to `keep` training images, its threshold measured on
    up to `held` validation images that are not among them; None with fewer than `_MIN_HELD` of those (a
    threshold from a handful would say ordinary images unlike)."""
    train_rows = np.unique(np.asarray(data.train.rows, dtype=np.int64))[:keep]
    held_rows = np.setdiff1d(np.asarray(data.val_rows, dtype=np.int64), train_rows)[:held]
    if len(held_rows) < _MIN_HELD:
        return None

    def features(rows: np.ndarray) -> np.ndarray:
        return pooled(torch.from_numpy(data.store.grid(rows).astype(np.float32)))

    return fit_domain(features(train_rows), features(held_rows))


def _train_epoch(run: _Run, examples: CaptionExamples, steps: int, emit: Progress) -> float:
    run.model.train()
    cfg = run.recipe.train
    total_steps = cfg.epochs * steps
    total, count, tokens, tick = 0.0, 0, 0, time.perf_counter()
    batches = examples.batches(cfg.batch_size, run.generator, together=cfg.levels_together)
    for step, (grid, captions, regions, image_of) in enumerate(batches):
        if run.clock.out_of_time():
            break  # the time budget ends this epoch here; it is validated and saved as usual
        progress = max(run.steps_done / total_steps, run.clock.fraction_used())
        for group in run.optimizer.param_groups:
            group["lr"] = cfg.lr * _warmup_cosine(run.steps_done, cfg.warmup_steps, progress)
        grid, captions = grid.to(run.device), captions.to(run.device)
        regions = regions.to(run.device) if regions is not None else None
        image_of = image_of.to(run.device) if image_of is not None else None
        _, loss = run.model(grid, captions, regions=regions, image_of=image_of, objective=run.recipe.loss)
        assert loss is not None
        run.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = float(torch.nn.utils.clip_grad_norm_(run.model.parameters(), run.recipe.train.grad_clip))
        value = loss.item()
        if not (math.isfinite(value) and math.isfinite(norm)):  # before the step spreads it to the weights
            _diverged(run, step, value, norm)
        run.optimizer.step()
        run.steps_done += 1
        total += value
        count += 1
        tokens += int((captions[:, 1:] != run.vocab.pad_id).sum())
        if step % 10 == 0 or step == steps - 1:
            rate = tokens / max(time.perf_counter() - tick, 1e-9)
            emit(TrainEvent("step", run.epoch + 1, step + 1, steps, total / count, rate))
    return total / max(count, 1)


def _diverged(run: _Run, step: int, loss: float, norm: float) -> NoReturn:
    """Stop a run whose loss or gradient is no longer a number: a walkthrough's train.lr=1e4 had trained
    40 epochs of "loss nan" and saved a best bundle of NaN weights, which describe, evaluate and attend
    then used without a word. Nothing of the epoch is saved; the epochs saved before it are kept."""
    what = f"the loss became {loss}" if not math.isfinite(loss) else f"the gradient's norm became {norm}"
    raise ConfigError(
        f"training diverged: {what} at epoch {run.epoch + 1}, step {step + 1}, with train.lr "
        f"{run.recipe.train.lr:g}: lower train.lr (or train.grad_clip) and train into another train.out "
        "(the epochs saved before this one are kept)"
    )


@dataclass
class _Run:
    recipe: Recipe
    model: Captioner
    vocab: Vocabulary
    optimizer: torch.optim.Optimizer
    generator: torch.Generator  # shuffling and reference choice
    device: torch.device
    clock: _Clock
    epoch: int = 0
    steps_done: int = 0
    best_score: float = -math.inf
    stale: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    reader: str | None = None  # how the corpus's sentences read back into facts (the bundle keeps it)
    domain: Domain | None = None  # what images it learns from (the bundle keeps it: captioning.domain)

    @classmethod
    def start(cls, recipe: Recipe, data: Any, device: torch.device, out: Path, emit: Progress) -> _Run:
        cfg = recipe.train
        torch.manual_seed(cfg.seed)
        model_cfg = replace(
            recipe.model, feature_dim=data.grid_shape[1], grid_hw=data.grid_hw, vocab_size=len(data.vocab)
        )
        if recipe.model.object_memory and not data.vocab.objects:
            emit(TrainEvent("warning", message=_NO_OBJECT_WORDS))
        model = Captioner(model_cfg, data.vocab.object_ids).to(device)
        optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        generator = torch.Generator().manual_seed(cfg.seed)
        run = cls(recipe, model, data.vocab, optimizer, generator, device, _Clock(cfg.max_minutes * 60))
        run.reader = data.reader
        run.domain = _domain(data)
        if run.domain is None:  # said, not silently off: `attend` and `describe` then call nothing unlike
            emit(TrainEvent("warning", message=_no_domain(recipe.data, len(data.val_rows))))
        last = out / "last"
        if last.exists():
            run._resume(last)
            done = f"{run.epoch} of {cfg.epochs} epochs done"
            if run.epoch >= cfg.epochs:  # "17 of 15 epochs done": nothing to train, and why
                epochs = "epoch" if run.epoch == 1 else "epochs"
                done = f"{run.epoch} {epochs} done, train.epochs={cfg.epochs}: nothing more to train"
            emit(TrainEvent("resumed", epoch=run.epoch, message=f"resumed from {last} ({done})"))
            if run.history and run.stale == 0 and _epoch_of(out / "best") != run.epoch:
                # the last epoch was the best, and a kill came between last/ and best/: best/ is last's bundle
                save_whole(out / "best", lambda tmp: shutil.copytree(last, tmp, ignore=_TRAINER_ONLY))
        elif (out / "best").exists():  # a fresh start would write over the best bundle of a run it cannot see
            raise DataError(
                f"{out} holds best/ but no last/ checkpoint to resume: give another train.out to start "
                "afresh, or move best/ away"
            )
        return run

    def save_checkpoint(self, folder: Path, bundle: Bundle) -> None:
        save_whole(folder, lambda tmp: self._write(tmp, bundle))

    def _write(self, tmp: Path, bundle: Bundle) -> None:
        bundle.save(tmp)
        state = {
            "optimizer": self.optimizer.state_dict(),
            "steps_done": self.steps_done,
            "seconds_trained": self.clock.seconds(),
            "generator": self.generator.get_state(),
            "torch_rng": torch.get_rng_state(),
            "epoch": self.epoch,
            "best_score": self.best_score,
            "stale": self.stale,
            "history": self.history,
        }
        torch.save(state, tmp / "trainer.pt")

    def _resume(self, folder: Path) -> None:
        for name in _CHECKPOINT_FILES:
            if not (folder / name).is_file():  # had restarted from epoch 1 over the run, unsaid
                raise DataError(
                    f"{folder / name} is missing, so the run cannot resume: restore it, or give another "
                    "train.out to start afresh"
                )
        with _damaged(folder / "metrics.json"):
            _check_same_recipe(folder, self.recipe)
        _same_vocab(folder, self.vocab)
        with _damaged(folder / "model.safetensors"):
            self.model.load_state_dict(load_file(str(folder / "model.safetensors")))
        with _damaged(folder / "trainer.pt"):
            state = torch.load(folder / "trainer.pt", map_location="cpu", weights_only=True)
            self.optimizer.load_state_dict(state["optimizer"])
            self.steps_done = int(state["steps_done"])
            self.clock = _Clock(self.clock.budget, float(state["seconds_trained"]))
            self.generator.set_state(state["generator"])
            torch.set_rng_state(state["torch_rng"])
            self.epoch, self.best_score, self.stale = (
                int(state["epoch"]),
                float(state["best_score"]),
                int(state["stale"]),
            )
            self.history = list(state["history"])


# Recipe fields that may change between a run and its resumption (a longer run, a new time budget), and
# where things are: a folder moved or spelled another way ("r4" or "/tmp/r4"; the vocabulary check still
# refuses another corpus).
_RESUMABLE_CHANGES = {
    ("train", "epochs"),
    ("train", "max_minutes"),
    ("train", "patience"),
    ("train", "device"),
    ("train", "out"),
    ("data", "corpus"),
    ("data", "image_root"),
    ("data", "features"),
}
_CHECKPOINT_FILES = ("config.json", "vocab.json", "model.safetensors", "metrics.json", "trainer.pt")


def _same_vocab(folder: Path, vocab: Vocabulary) -> None:
    """Refuse to resume the checkpoint in `folder` (where there is one) on a corpus of another vocabulary."""
    if not (folder / "vocab.json").is_file():
        return
    with _damaged(folder / "vocab.json"):
        saved = Vocabulary.load(folder / "vocab.json")
    if saved.itos != vocab.itos:
        raise DataError(
            f"{folder}: the checkpoint's vocabulary differs from this corpus; use another train.out"
        )


@contextmanager
def _damaged(path: Path) -> Iterator[None]:
    """A checkpoint file that cannot be read, said in one line that names it (torch, safetensors and json
    name no file)."""
    advice = "restore it, or give another train.out to start afresh"
    try:
        yield
    except DataError as exc:  # said by the reader: the advice added where it has none
        if "train.out" in str(exc):
            raise
        raise DataError(f"{exc}: {advice}") from None
    except (RuntimeError, ValueError, KeyError, TypeError, OSError, SafetensorError, pickle.UnpicklingError,
            EOFError) as exc:  # fmt: skip  # (a trainer.pt of text: torch's unpickler, its advice unsafe)
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        reason = first.split(". ")[0] if len(first) > 120 else first  # its first sentence, not cut mid-word
        raise DataError(f"{path} is damaged ({reason}): {advice}") from None


_TRAINER_ONLY = shutil.ignore_patterns("trainer.pt")  # what a checkpoint holds beyond its bundle


def _epoch_of(bundle: Path) -> int | None:
    """The epoch a saved bundle was saved at (None: no bundle there, or none readable)."""
    try:
        return int(json.loads((bundle / "metrics.json").read_text(encoding="utf-8"))["epoch"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextmanager
def _only_run(out: Path) -> Iterator[None]:
    """Hold the run folder's lock (an OS lock on the folder itself: released when the process ends, even
    by kill -9; no file is left), so that a second `train` into the same train.out is refused: two had
    written over each other's last/ and best/, each saying "best bundle: runs/p/best" of a score the
    other had replaced. The lock holds between processes of one machine (on NFS, not across machines).

    Raises:
        ConfigError: another process is training into it.
    """
    made = [p for p in (out, *out.parents) if not p.exists()]  # deepest first
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)  # the folder is the other run's: left as it is
        raise ConfigError(
            f"train.out {out} is being trained by another run: wait for it to finish, or give another "
            "--set train.out=FOLDER"
        ) from None
    try:
        yield
    finally:
        if made and not any(out.iterdir()):  # a run that wrote nothing leaves no folder
            with suppress(OSError):
                for folder in made:
                    folder.rmdir()
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _check_run_folder(out: Path) -> None:
    """That the run folder can be made and written where `train.out` says, tried and left as it was."""
    there = next(p for p in (out, *out.resolve().parents) if p.exists())
    if not there.is_dir():
        raise ConfigError(f"train.out {out}: the run folder cannot be made there ({there} is a file)")
    made = [p for p in (out, *out.parents) if not p.exists()]  # deepest first
    try:
        out.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=out).close()
    except OSError as exc:
        raise ConfigError(
            f"train.out {out}: the run folder cannot be made there ({exc.strerror or exc})"
        ) from None
    finally:
        for folder in made:
            with suppress(OSError):
                folder.rmdir()


def save_whole(folder: Path, write: Callable[[Path], object]) -> None:
    """`write` a folder (a bundle, a checkpoint) so that a kill at any moment leaves the old one or the
    new one whole: written as FOLDER.tmp, renamed FOLDER.new once whole, then swapped in for FOLDER (the
    old one FOLDER.old until the new one is in place). `recover` puts back what a kill leaves."""
    tmp, new, old = (folder.with_name(folder.name + suffix) for suffix in (".tmp", ".new", ".old"))
    recover(folder)
    write(tmp)
    tmp.rename(new)
    if folder.exists():
        folder.rename(old)
    new.rename(folder)
    _remove_tree(old)


def recover(folder: Path) -> None:
    """Put back the folder `save_whole` was writing when a kill stopped it: FOLDER.new where it is (whole
    and the newest), else FOLDER.old where FOLDER is missing; a half-written FOLDER.tmp is removed."""
    tmp, new, old = (folder.with_name(folder.name + suffix) for suffix in (".tmp", ".new", ".old"))
    if new.exists():
        if folder.exists():
            _remove_tree(old)
            folder.rename(old)
        new.rename(folder)
    elif not folder.exists() and old.exists():
        old.rename(folder)
    for leftover in (tmp, old):
        _remove_tree(leftover)


def recover_run(out: Path) -> None:
    """`recover` a run folder's best bundle and last checkpoint."""
    for name in ("best", "last"):
        recover(out / name)


def _check_same_recipe(folder: Path, recipe: Recipe) -> None:
    saved = json.loads((folder / "metrics.json").read_text(encoding="utf-8")).get("recipe", {})
    now = recipe.to_dict()
    changed = [
        f"{section}.{key}"
        for section, values in now.items()
        for key, value in values.items()
        if (section, key) not in _RESUMABLE_CHANGES
        and saved.get(section, {}).get(key, value) != _jsonable(value)
    ]
    if changed:
        raise DataError(
            f"{folder.parent} holds a run of another recipe ({', '.join(changed)} differ): give the "
            "recipe it was run with to resume it, or another train.out to start afresh"
        )


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


class _Clock:
    """Seconds of training, carried across resumptions, against a budget (0 = none)."""

    def __init__(self, budget: float, before: float = 0.0) -> None:
        self.budget, self.before, self.started = budget, before, time.perf_counter()

    def seconds(self) -> float:
        return self.before + time.perf_counter() - self.started

    def fraction_used(self) -> float:
        return self.seconds() / self.budget if self.budget else 0.0

    def out_of_time(self) -> bool:
        return bool(self.budget) and self.seconds() >= self.budget


def _warmup_cosine(step: int, warmup: int, progress: float) -> float:
    """Learning-rate factor: linear warm-up over `warmup` steps, then cosine from 1 to 0 as progress → 1."""
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
