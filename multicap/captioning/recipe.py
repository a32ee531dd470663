"""A training recipe: typed sections with a commented default on every field, loaded from YAML.

    recipe = load_recipe("configs/scenes.yaml", overrides=["train.epochs=3"])

`configs/NAME.yaml` files are also found by NAME alone (`load_recipe("scenes")`), from the installed package.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from multicap.captioning.bundle import EncoderSettings, check_recipe_sections
from multicap.captioning.decoding import DecodeConfig
from multicap.captioning.model import CaptionerConfig, LossConfig
from multicap.config import apply_overrides, load_yaml, merge, to_dict
from multicap.errors import ConfigError

__all__ = ["DataConfig", "Recipe", "TrainConfig", "load_recipe"]


@dataclass(frozen=True)
class DataConfig:
    corpus: str = (
        "data/scenes"  # a scenes folder, a Karpathy JSON, a COCO captions JSON or a captions.jsonl folder
    )
    image_root: str = ""  # folder the corpus's image paths are relative to (Karpathy / COCO files)
    features: str = ""  # feature store folder; empty: <corpus folder>/features/<encoder>-<size>
    levels: list[str] = field(default_factory=list)  # levels to learn; empty: every level the corpus has
    train_split: str = "train"  # split to train on
    val_split: str = "val"  # split to validate on (by decoding, never teacher-forced)
    min_freq: int = 1  # words seen fewer times in training become <unk>
    max_words: int = 40  # longer references are cut to this many words
    train_images: int = 0  # train on the first this many images of the split (0 = all): quick experiments
    val_images: int = 300  # images decoded per validation (0 = the whole split)
    max_failed: float = 0.05  # training refuses to start when more than this share of the images cannot
    #                           be read (a wrong image_root, a half-copied corpus); 1.0 trains on what reads
    ground_spatial: bool = True  # with loss.alpha_g: also ground a clause's spatial words (grounding.py)
    ground_background: bool = False  # with loss.alpha_g: ground "background" and its modifiers to the
    #                                  cells no object covers (grounding.py)
    canonical: list[str] = field(default_factory=list)  # levels learned from their first reference only
    #                       (the corpus's canonical wording); the others draw one reference per epoch


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 30  # passes over the training images (one reference per image and level each)
    batch_size: int = 64  # captions per step
    levels_together: bool = False  # a batch holds every level of its images, whose grids are encoded once
    #                                (else one level per batch, each caption with its own copy of the grid)
    lr: float = 3e-3  # AdamW peak learning rate
    weight_decay: float = 0.01  # AdamW decoupled weight decay
    grad_clip: float = 5.0  # max gradient norm
    warmup_steps: int = 100  # linear warm-up, then cosine decay to 0 over all epochs
    seed: int = 0  # all randomness (init, shuffling, dropout) follows from it
    patience: int = 5  # validations without improvement before stopping early
    max_minutes: float = 0.0  # training time budget; the learning rate decays to 0 by it (0 = no limit)
    device: str = "cpu"  # cpu, cuda, cuda:N or auto
    threads: int = 0  # torch CPU threads (0 = torch's default)
    out: str = "runs/captioner"  # run folder: last/ (resumable checkpoint) and best/ (the best bundle)

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            if getattr(self, name) < 1:  # 0 epochs "trained" a bundle that was never written
                raise ConfigError(f"train.{name} must be at least 1, got {getattr(self, name)}")
        for name in ("lr", "weight_decay", "grad_clip", "max_minutes"):
            if not math.isfinite(getattr(self, name)):  # nan passed every comparison below; inf trained NaNs
                raise ConfigError(f"train.{name} must be a finite number, got {getattr(self, name)}")
        for name, bad, must in (
            ("patience", self.patience < 1, "at least 1"),
            ("max_minutes", self.max_minutes < 0, "0 or more"),
            ("lr", self.lr <= 0, "more than 0"),
            ("grad_clip", self.grad_clip <= 0, "more than 0"),
            ("weight_decay", self.weight_decay < 0, "0 or more"),
        ):
            if bad:  # one message for all three had not said which
                raise ConfigError(f"train.{name} must be {must}, got {getattr(self, name)}")
        if not self.out.strip():  # "" had written best/ and last/ into the working folder
            raise ConfigError("train.out must name the run's folder (e.g. runs/captioner), got an empty one")


@dataclass(frozen=True)
class Recipe:
    data: DataConfig = field(default_factory=DataConfig)
    encoder: EncoderSettings = field(default_factory=EncoderSettings)
    model: CaptionerConfig = field(default_factory=CaptionerConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    decoding: DecodeConfig = field(default_factory=DecodeConfig)

    def __post_init__(self) -> None:
        check_recipe_sections(to_dict(self.model), to_dict(self.encoder), to_dict(self.decoding))
        smoothing = self.loss.label_smoothing
        if not 0 <= smoothing < 1:
            raise ConfigError(f"loss.label_smoothing must be at least 0 and below 1, got {smoothing}")

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)


def _resolve(path_or_name: str | Path) -> Path:
    path = Path(path_or_name)
    if path.is_file():
        return path
    packaged = Path(str(resources.files("multicap.configs").joinpath(f"{path_or_name}.yaml")))
    if packaged.is_file():
        return packaged
    raise ConfigError(f"no config file {str(path_or_name)!r} (give a YAML path or a name in configs/)")


def load_recipe(path_or_name: str | Path | None = None, overrides: list[str] | None = None) -> Recipe:
    """Defaults ← YAML file (by path or by name) ← `section.key=value` overrides."""
    recipe = Recipe()
    if path_or_name is not None:
        recipe = merge(recipe, load_yaml(_resolve(path_or_name)))
    return apply_overrides(recipe, overrides or [])
