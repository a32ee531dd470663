"""Bundle faults (issue 27, item 7 and deliverable 3): config.json and vocab.json are checked against a
schema with bounded sizes before any tensor is allocated, and every error is one line naming the file and
the field. Each case edits a copy of the shipped `scenes-small` bundle."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from multicap.captioning import bundle as bundle_module
from multicap.captioning.bundle import EncoderSettings, list_bundles, load_bundle
from multicap.captioning.decoding import DecodeConfig
from multicap.captioning.model import CaptionerConfig
from multicap.errors import ConfigError, DataError
from tests.conftest import REPO, run_cli


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    folder = tmp_path / "bundle"
    shutil.copytree(list_bundles()["scenes-small"], folder)
    return folder


def _edit(name: str, change: Callable[[Any], Any]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / name
        data = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps(change(data) or data), encoding="utf-8")

    return apply


def _set(section: str, key: str, value: Any) -> Callable[[Any], None]:
    return lambda data: data[section].__setitem__(key, value)


# (damage, the file and field the one line must name)
CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "short vocabulary": (
        _edit("vocab.json", lambda v: {**v, "itos": v["itos"][:-5]}),
        "vocab.json: itos holds 102",
    ),
    "long vocabulary": (_edit("vocab.json", lambda v: {**v, "itos": [*v["itos"], "x"]}), "vocab.json: itos"),
    "no captioner": (
        _edit("config.json", lambda c: c.pop("captioner") and None),
        "config.json: captioner is missing",
    ),
    "no itos": (_edit("vocab.json", lambda v: v.pop("itos") and None), "vocab.json: itos is missing"),
    "terabytes": (
        _edit("config.json", _set("captioner", "hidden_dim", 10**12)),
        "config.json: captioner.hidden_dim",
    ),
    "too many parameters": (
        _edit(
            "config.json", lambda c: c["captioner"].update(hidden_dim=8192, embed_dim=4096, value_dim=4096)
        ),
        "config.json: captioner asks for",
    ),
    "huge grid": (
        _edit("config.json", _set("captioner", "grid_hw", [128, 128])),
        "config.json: captioner.grid_hw",
    ),
    "negative size": (
        _edit("config.json", _set("captioner", "embed_dim", -1)),
        "config.json: captioner.embed_dim",
    ),
    "size as text": (
        _edit("config.json", _set("captioner", "value_dim", "128")),
        "config.json: captioner.value_dim",
    ),
    "size as bool": (
        _edit("config.json", _set("captioner", "grid_conv", True)),
        "config.json: captioner.grid_conv",
    ),
    "nan dropout": (
        _edit("config.json", _set("captioner", "dropout", float("nan"))),
        "config.json: captioner.dropout",
    ),
    "unknown key": (_edit("config.json", _set("captioner", "layers", 9)), "config.json: captioner.layers"),
    "unknown section": (_edit("config.json", lambda c: {**c, "exec": "rm"}), "config.json: exec"),
    "huge beam": (
        _edit("config.json", _set("decoding", "beam_size", 10**9)),
        "config.json: decoding.beam_size",
    ),
    "huge image": (
        _edit("config.json", _set("encoder", "image_size", 10**6)),
        "config.json: encoder.image_size",
    ),
    "levels not a list": (_edit("vocab.json", lambda v: {**v, "levels": "object"}), "vocab.json: levels"),
    "token not text": (
        _edit("vocab.json", lambda v: {**v, "itos": [*v["itos"][:-1], 7]}),
        "vocab.json: itos[106]",
    ),
    "not an object": (
        lambda f: (f / "config.json").write_text("[1, 2]"),
        "config.json: it must be a JSON object",
    ),
    "broken JSON": (lambda f: (f / "vocab.json").write_text('{"levels": '), "vocab.json: unreadable"),
    "shape mismatch": (
        _edit("config.json", _set("captioner", "hidden_dim", 128)),
        "model.safetensors: tensor",
    ),
    "weights not safetensors": (
        lambda f: (f / "model.safetensors").write_bytes(b"\xff" * 64),
        "model.safetensors",
    ),
    "another bundle's vocabulary": (  # as many words, in another order: it had loaded and said nonsense
        _edit("vocab.json", lambda v: {**v, "itos": [*v["itos"][:-2], v["itos"][-1], v["itos"][-2]]}),
        "vocab.json is not the vocabulary this bundle was trained with",
    ),
    "digest not text": (
        _edit("config.json", lambda c: {**c, "vocab_sha256": 5}),
        "config.json: vocab_sha256",
    ),
    "huge config file": (
        lambda f: (f / "config.json").write_text(" " * (2 << 20)),
        "config.json: 2,097,152 bytes",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_damaged_bundle_is_one_line_naming_the_file_and_field(bundle: Path, case: str) -> None:
    damage, expected = CASES[case]
    damage(bundle)
    start = time.perf_counter()
    with pytest.raises(DataError) as err:
        load_bundle(bundle)
    said = str(err.value)
    assert "\n" not in said and said.startswith(str(bundle)), said
    assert expected in said, said
    assert time.perf_counter() - start < 5  # refused before anything of the size asked for was allocated


def test_the_schema_covers_every_field() -> None:
    """A field added to a config dataclass must get its bounds here, or bundles that hold it are refused."""
    assert set(bundle_module._CAPTIONER) == {f.name for f in fields(CaptionerConfig)}
    assert set(bundle_module._ENCODER) == {f.name for f in fields(EncoderSettings)}
    assert set(bundle_module._DECODING) == {f.name for f in fields(DecodeConfig)}


def test_a_bundle_saved_by_multicap_still_loads(bundle: Path, tmp_path: Path) -> None:
    saved = load_bundle(bundle).save(tmp_path / "again", half=True)
    assert len(load_bundle(saved).vocab) == 107


def test_the_cli_says_one_line_for_a_short_vocabulary(bundle: Path) -> None:
    CASES["short vocabulary"][0](bundle)
    image = REPO / "examples" / "scenes" / "images" / "000000.png"
    run = run_cli("describe", str(image), "--model", str(bundle))
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "vocab.json: itos holds 102 tokens" in lines[0], run.stderr


def test_a_bundle_that_would_not_load_is_never_written(bundle: Path, tmp_path: Path) -> None:
    loaded = load_bundle(bundle)
    loaded.decoding = DecodeConfig(beam_size=1000)
    with pytest.raises(ConfigError, match=r"not writing .*config\.json: decoding\.beam_size is 1000"):
        loaded.save(tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_bundle_of_nan_weights_is_refused_in_one_line(bundle: Path) -> None:
    """A diverged run's bundle (saved before `train` stopped such runs) had described every image as
    ",  (nan)" and scored 0 without a word."""
    import torch
    from safetensors.torch import load_file, save_file

    state = load_file(str(bundle / "model.safetensors"))
    name = next(k for k, v in state.items() if v.is_floating_point())
    state[name] = torch.full_like(state[name], float("nan"))
    save_file(state, str(bundle / "model.safetensors"))
    with pytest.raises(
        DataError, match=r"model\.safetensors: 1 of its tensors hold values that are not numbers"
    ):
        load_bundle(bundle)
    said = run_cli("describe", str(REPO / "examples" / "photos" / "coffee.jpg"), "--model", str(bundle))
    assert said.returncode == 1 and "diverged; train again with a lower train.lr" in " ".join(
        said.stderr.split()
    )
