"""Training faults (issue 27, item 9): a run whose images cannot be read stops before training, in one line
naming where it looked; a run where more than `data.max_failed` of them fail stops too, unless told
otherwise. Real generated scenes, the seeded `tiny` encoder (the integration tests' recipe)."""

from __future__ import annotations

import logging
import math
import shutil
from pathlib import Path

import pytest

from multicap.captioning.recipe import Recipe, load_recipe
from multicap.captioning.train import train
from multicap.data.loading import load_corpus
from multicap.data.scenes import ScenesConfig, generate_dataset
from multicap.errors import ConfigError, DataError
from tests.conftest import run_cli
from tests.integration.test_train import TINY_MODEL


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scenes")
    generate_dataset(out, ScenesConfig(n=40, size=64, seed=3), workers=1)
    return out


@pytest.fixture
def scenes(generated: Path, tmp_path: Path) -> Path:
    """A copy each test may damage (its feature store included, so no test re-encodes what another did)."""
    return Path(shutil.copytree(generated, tmp_path / "scenes"))


def _recipe(scenes: Path, out: Path, *extra: str) -> Recipe:
    quick = ["data.val_split=train", "data.val_images=4", "train.epochs=1", "data.levels=[object]"]
    return load_recipe("scenes", [f"data.corpus={scenes}", f"train.out={out}", *TINY_MODEL, *quick, *extra])


def _images(scenes: Path) -> list[Path]:
    """The images of the training split (the recipe validates on some of them)."""
    return sorted(Path(im.path) for im in load_corpus(scenes).split("train"))


def test_a_wrong_image_root_stops_before_training(scenes: Path, tmp_path: Path) -> None:
    """`train` with a wrong data.image_root skipped every image, then trained at loss 0.000 and saved a
    best bundle with score 0."""
    wrong = tmp_path / "not-here"
    with pytest.raises(DataError) as err:
        train(_recipe(scenes, tmp_path / "run", f"data.image_root={wrong}"))
    said = str(err.value)
    assert "\n" not in said and f"none of its {len(_images(scenes))} images could be read" in said
    assert f"looked under {wrong}" in said and "data.image_root" in said
    assert not (tmp_path / "run").exists()  # nothing trained, nothing saved


def test_no_readable_image_stops_before_anything_is_decoded(
    scenes: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    images = _images(scenes)
    for path in images:
        path.unlink()
    with (
        caplog.at_level(logging.WARNING),
        pytest.raises(DataError, match=f"none of its {len(images)} images"),
    ):
        train(_recipe(scenes, tmp_path / "run"))
    assert not caplog.records  # one line (the error), not one per image


def test_more_failures_than_allowed_stop_unless_told_otherwise(scenes: Path, tmp_path: Path) -> None:
    images = _images(scenes)
    images[-1].unlink()  # under the limit alone: the missing files are counted before anything is decoded
    for path in images[-6:-1]:
        path.write_bytes(b"not a png")  # these fail when decoded: over the limit, counted with the missing
    share = 6 / len(images)  # about 18%
    with pytest.raises(DataError) as err:
        train(_recipe(scenes, tmp_path / "run"))
    said = str(err.value)
    assert "\n" not in said and f"6 of its {len(images)} images ({share:.1%})" in said
    enough = f"{math.ceil(share * 100) / 100:g}"
    assert "more than data.max_failed=0.05" in said and f"--set data.max_failed={enough}" in said
    assert not (tmp_path / "run").exists()
    result = train(_recipe(scenes, tmp_path / "run", f"data.max_failed={enough}"))
    assert result.epochs_run == 1 and result.history[0]["loss"] > 0.1


def test_a_few_failures_are_reported_and_skipped(
    scenes: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gone = _images(scenes)[-1]
    gone.unlink()  # 1 in 34: under the default 5%
    with caplog.at_level(logging.WARNING):
        result = train(_recipe(scenes, tmp_path / "run"))
    assert result.epochs_run == 1 and result.history[0]["loss"] > 0.1
    assert any(str(gone) in r.getMessage() for r in caplog.records)


def test_max_failed_must_be_a_share(scenes: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"data\.max_failed"):
        train(_recipe(scenes, tmp_path / "run", "data.max_failed=5"))


def test_the_cli_says_one_line(scenes: Path, tmp_path: Path) -> None:
    overrides = [f"data.corpus={scenes}", f"train.out={tmp_path / 'run'}", f"data.image_root={tmp_path}/x"]
    overrides += [*TINY_MODEL, "data.val_split=train"]
    run = run_cli("train", "--config", "scenes", *(a for o in overrides for a in ("--set", o)))
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and f"none of its {len(_images(scenes))} images could be read" in lines[0], (
        run.stderr
    )


def test_a_diverging_run_stops_and_saves_no_nan_weights(scenes: Path, tmp_path: Path) -> None:
    """train.lr=1e4 had trained every epoch at "loss nan" and saved a best bundle of NaN weights, which
    describe, evaluate and attend used without a word. The first loss or gradient that is no number stops
    the run in one line, before the step; nothing of the epoch is written."""
    out = tmp_path / "run"
    diverged = r"training diverged: the (loss|gradient's norm) became .* lower train\.lr"
    with pytest.raises(ConfigError, match=diverged):
        train(_recipe(scenes, out, "train.lr=1e30", "train.warmup_steps=0", "train.epochs=2"))
    assert not (out / "best").exists() and not (out / "last").exists()
    for bad in ("nan", "inf"):  # nan passed "must be more than 0"; inf trained NaNs
        with pytest.raises(ConfigError, match=r"train\.lr must be a finite number"):
            _recipe(scenes, out, f"train.lr={bad}")
