"""`multicap train` end to end, as a user runs it: generate scenes with the CLI, train a tiny captioner,
describe with the bundle it wrote, run the same command again (it resumes, trains nothing), then one epoch
more."""

from __future__ import annotations

import json
import math
import re
import shlex
from pathlib import Path

import pytest

from multicap.captioning.attention_maps import caption_image
from multicap.captioning.bundle import load_bundle
from tests.conftest import run_cli
from tests.integration.test_train import TINY_MODEL

# A seconds-long run: the seeded `tiny` encoder at 64 px, a small captioner (the integration tests' recipe),
# with shorter captions.
TINY = [*TINY_MODEL, "decoding.max_len=24"]
LEVELS = {"object", "attribute", "layout", "caption"}
VAL_IMAGES = 6


def _files(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Name → (mtime_ns, bytes) of every file below `folder`: what a rerun must leave alone (the feature
    store's `.build.lock` is taken on every run, and may be touched)."""
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".build.lock"
    }


def test_train_writes_a_bundle_that_describes_and_a_rerun_resumes(tmp_path: Path) -> None:
    scenes, run = tmp_path / "scenes", tmp_path / "run"
    made = run_cli("data", "scenes", "--out", str(scenes), "--n", "40", "--size", "64", "-j", "1")
    assert made.returncode == 0, made.stderr
    # 40 scenes hold no val split: validate on training images, as quick experiments do.
    overrides = [
        f"data.corpus={scenes}",
        f"train.out={run}",
        "data.val_split=train",
        f"data.val_images={VAL_IMAGES}",
        "train.epochs=2",
        *TINY,
    ]
    args = ["train", "--config", "scenes", *(a for o in overrides for a in ("--set", o))]

    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    assert re.fullmatch(
        rf"best bundle: {re.escape(str(run / 'best'))} \(score \d\.\d{{4}}, epoch [12] of 2 epochs run\)",
        first.stdout.splitlines()[0],
    ), first.stdout
    for level in LEVELS:
        assert re.search(rf"^  {level}/fact_f1 +\d\.\d{{4}}$", first.stdout, re.M), first.stdout
    # stderr: one line per validated epoch, with a score per level (the progress bar is off without a tty).
    epochs = [line for line in first.stderr.splitlines() if line.startswith("epoch ")]
    assert [line.split(":")[0] for line in epochs] == ["epoch 1", "epoch 2"], first.stderr
    assert all(f"{level} F1 " in line for line in epochs for level in LEVELS), epochs
    assert "resumed" not in first.stderr

    best = run / "best"
    assert sorted(p.name for p in best.iterdir()) == [
        "config.json",
        "metrics.json",
        "model.safetensors",
        "vocab.json",
    ]
    metrics = json.loads((best / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["command"] == "multicap " + shlex.join(args)
    assert metrics["epoch"] in (1, 2)
    assert set(metrics["validation"]) == LEVELS
    for level, scores in metrics["validation"].items():
        assert scores["level"] == level and scores["n_images"] == VAL_IMAGES, scores
        assert 0.0 <= scores["fact_f1"] <= 1.0 and scores["cider_d"] >= 0.0, scores
    f1 = [s["fact_f1"] for s in metrics["validation"].values()]
    assert abs(metrics["selection_score"] - sum(f1) / len(f1)) < 1e-9  # the score that picks the best epoch
    assert metrics["recipe"]["encoder"]["name"] == "tiny" and metrics["recipe"]["train"]["epochs"] == 2
    assert (run / "last" / "trainer.pt").is_file()

    # describe loads the bundle from its folder alone and says what the bundle says of the image.
    image = scenes / "images" / "000000.png"
    described = run_cli("describe", str(image), "--model", str(best), "--json")
    assert described.returncode == 0, described.stderr
    doc = json.loads(described.stdout.splitlines()[0])
    assert doc["type"] == "image" and doc["path"] == str(image)
    assert set(doc["texts"]) == {"object", "attribute", "layout"}
    bundle = load_bundle(best)  # what this bundle says of the image, captioned here in-process
    for level, text in doc["texts"].items():
        caption, _ = caption_image(bundle, image, level)
        assert text == caption.text and text, (level, text, caption.text)
        assert doc["confidence"][level] == pytest.approx(math.exp(caption.logprob), abs=1e-4)

    # The same command again: it resumes from last/, finds both epochs done, and trains nothing.
    features = scenes / "features"
    assert [p.name for p in features.iterdir()] == ["tiny-64-squash"]  # encoded once, beside the corpus
    before = {**_files(run), **_files(features)}
    again = run_cli(*args)
    assert again.returncode == 0, again.stderr
    assert f"resumed from {run / 'last'}" in again.stderr
    assert "(2 epochs done, train.epochs=2: nothing more to train)" in again.stderr  # not "2 of 2 ... done"
    assert not [line for line in again.stderr.splitlines() if line.startswith("epoch ")], again.stderr
    assert "of 2 epochs run)" in again.stdout.splitlines()[0]
    assert {**_files(run), **_files(features)} == before  # no checkpoint, bundle or feature rewritten

    # One epoch more: only epoch 3 is trained, on top of the checkpoint.
    longer = run_cli(*[a if a != "train.epochs=2" else "train.epochs=3" for a in args])
    assert longer.returncode == 0, longer.stderr
    assert "resumed from" in longer.stderr
    epochs = [line.split(":")[0] for line in longer.stderr.splitlines() if line.startswith("epoch ")]
    assert epochs == ["epoch 3"], longer.stderr
    assert "of 3 epochs run)" in longer.stdout.splitlines()[0]
    assert json.loads((run / "last" / "metrics.json").read_text(encoding="utf-8"))["epoch"] == 3


def test_train_with_an_unknown_config_fails_in_one_line(tmp_path: Path) -> None:
    r = run_cli("train", "--config", "nope", "--set", f"train.out={tmp_path / 'run'}")
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.strip().splitlines() == [
        "error: no config file 'nope' (give a YAML path or a name in configs/)"
    ]
    assert not (tmp_path / "run").exists()
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not text")
    r = run_cli("train", "--config", str(tmp_path / "photo.jpg"))  # a UnicodeDecodeError had escaped
    assert r.returncode == 1 and r.stderr.strip().endswith("is not a YAML recipe: it is not UTF-8 text")
    r = run_cli("train", "--config", "scenes", "--set", "train.epoch=2")  # bad usage, as a missing "="
    assert r.returncode == 2 and r.stdout == ""
    said = r.stderr.strip().splitlines()[-1]
    assert said.startswith("Error: Invalid value for --set: unknown config key 'train.epoch'"), r.stderr
    assert "epochs" in said  # names the keys it knows
    r = run_cli("train", "--config", "scenes", "--set", "train.epochs=0")
    assert r.returncode == 2 and "Invalid value for --set: train.epochs must be at least 1" in r.stderr


def test_a_value_out_of_bounds_is_named_by_its_recipe_key() -> None:
    """ "--set model.dropout=2" failed in torch, "model.hidden_dim=0" only when the bundle was written,
    "train.epochs=2.5" trained two epochs, and "train.lr=0" was one message for three keys."""
    from multicap.captioning.recipe import load_recipe
    from multicap.errors import ConfigError

    for setting, said in (
        ("model.dropout=2", "model.dropout is 2.0, outside 0.0..1.0"),
        ("model.hidden_dim=0", "model.hidden_dim is 0, outside"),
        ("encoder.image_size=7", "encoder.image_size is 7, outside"),
        ("decoding.beam_size=0", "decoding.beam_size is 0, outside"),
        ("loss.label_smoothing=1.5", "loss.label_smoothing must be at least 0 and below 1"),
        ("train.epochs=2.5", "train.epochs: cannot use 2.5 (expected a whole number)"),
        ("train.lr=0", "train.lr must be more than 0"),
        ("train=3", "config key 'train' is a section, not a value: set one of its keys (train.KEY=VALUE)"),
        ("model=abc", "config key 'model' is a section"),  # both had crashed later, in Python's words
        ("train.out=", "train.out must name the run's folder"),  # it had written into the working folder
    ):
        with pytest.raises(ConfigError, match=re.escape(said)):
            load_recipe("scenes", [setting])


def test_ctrl_c_says_which_epoch_is_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bare "interrupted" had not said whether anything was saved (nothing, during the first epoch)."""
    from multicap.cli.train import _say_kept

    _say_kept(tmp_path / "run", "multicap train --config scenes", 10)
    assert f"no epoch had ended: nothing is saved in {tmp_path / 'run'}" in capsys.readouterr().err
    (tmp_path / "run" / "last").mkdir(parents=True)
    (tmp_path / "run" / "last" / "metrics.json").write_text(json.dumps({"epoch": 4}))
    _say_kept(tmp_path / "run", "multicap train --config scenes", 10)
    assert "epoch 4 is saved in" in capsys.readouterr().err
    _say_kept(tmp_path / "run", "multicap train --config scenes", 4)  # the last: nothing left to resume
    assert "epoch 4, the last, is saved in" in capsys.readouterr().err


def test_a_list_key_takes_a_word_or_words_separated_by_commas() -> None:
    """ "--set data.levels=caption" had been the letters c, a, p, t, i, o, n (found when no caption of those
    "levels" was there to train on, after the features were cached)."""
    from multicap.captioning.recipe import load_recipe

    assert load_recipe("scenes", ["data.levels=caption"]).data.levels == ["caption"]
    assert load_recipe("scenes", ["data.canonical=object, layout"]).data.canonical == ["object", "layout"]
    assert load_recipe("scenes", ["data.levels=[object, caption]"]).data.levels == ["object", "caption"]


def test_a_sigterm_says_what_is_kept_and_exits_143(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kill` or a service manager's stop had ended a run by the signal, saying nothing of what it kept."""
    import os
    import signal

    from multicap.captioning import train as training
    from multicap.cli.main import _run

    def killed(*args: object, **kwargs: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # as `kill PID` sends it, mid-run
        raise AssertionError("the signal had not stopped the run")

    monkeypatch.setattr(training, "train", killed)
    before = signal.getsignal(signal.SIGTERM)
    assert _run(["train", "--config", "scenes", "--set", f"train.out={tmp_path / 'run'}"]) == 143
    said = capsys.readouterr().err
    assert "nothing is saved in" in said and said.strip().endswith("terminated"), said
    assert signal.getsignal(signal.SIGTERM) == before  # put back once the run is over
