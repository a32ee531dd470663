"""Every command with a vision-language model (tiny random weights), through the real `multicap` command:
index into real FAISS + SQLite, search (text tower + full text), describe, compare, models; and the extra
stays optional."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file, save_file

from tests.conftest import EXAMPLES, run_cli


def test_index_search_describe_compare_with_clip_and_coca(tiny_models, tmp_path: Path) -> None:
    env = {"MULTICAP_INDEX_DIR": str(tmp_path / "indexes"), "MULTICAP_WEIGHTS_DIR": str(tmp_path / "w")}
    for family in ("clip", "coca"):
        model = str(tiny_models[family])
        r = run_cli("index", str(EXAMPLES), "--model", model, "--index", family, "--json", env=env)
        assert r.returncode == 0, r.stderr
        summary = json.loads(r.stdout)
        assert summary["added"] == 5 and summary["failed"] == 0
        r = run_cli("search", "dog on a beach", "--index", family, "--json", "--explain", env=env)
        assert r.returncode == 0, r.stderr
        hits = [json.loads(line) for line in r.stdout.splitlines()]
        hits = [h for h in hits if "path" in h]
        assert len(hits) == 5 and all("image" in h["parts"] for h in hits)  # the text tower's list, fused
        if family == "coca":
            continue  # describe and compare go the same way for every family (and take time)
        r = run_cli("describe", str(EXAMPLES), "--model", model, "--json", "--level", "all", env=env)
        assert r.returncode == 0, r.stderr
        rows = [json.loads(line) for line in r.stdout.splitlines()]
        images = [row for row in rows if row["type"] == "image"]
        assert len(images) == 5 and rows[-1]["type"] == "set"
        assert {"object", "attribute", "layout"} <= images[0]["texts"].keys()
        objects = [o for im in images for o in im["facts"]["objects"]]
        assert objects and all(
            {"colour", "wnid", "tags", "position"} <= o["attributes"].keys() for o in objects
        )
        assert any("material" in o["attributes"] for o in objects)
        # describe --index without --model: the index's model (the grounded one had described them)
        r = run_cli("describe", str(EXAMPLES / "coffee.jpg"), "--index", family, "--json", env=env)
        assert r.returncode == 0 and "not " + model + "'s" in r.stderr, r.stderr  # not reused: said
        coffee = next(im for im in images if im["path"].endswith("coffee.jpg"))
        assert json.loads(r.stdout.splitlines()[0])["texts"] == coffee["texts"]
        r = run_cli("compare", str(EXAMPLES), "--model", model, "--json", env=env)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout.splitlines()[-1])["type"] == "summary"
    r = run_cli(
        "describe", str(EXAMPLES / "coffee.jpg"), "--model", str(tiny_models["coca"]), "--level", "caption"
    )
    assert r.returncode == 0 and r.stdout.split("caption:")[1].strip(), r.stderr  # CoCa's own sentence


def test_a_registered_name_finds_pulled_weights_and_models_says_so(tiny_models, tmp_path: Path) -> None:
    weights = tmp_path / "w"
    env = {"MULTICAP_WEIGHTS_DIR": str(weights), "HF_HUB_CACHE": str(tmp_path / "hub")}
    r = run_cli("models", "--json", env=env)
    rows = {row["name"]: row for row in map(json.loads, r.stdout.splitlines())}
    assert rows["clip-vit-b-32"]["weights_present"] is False
    assert rows["clip-vit-b-32"]["fetch"] == "multicap models pull clip-vit-b-32"
    r = run_cli("describe", str(EXAMPLES / "coffee.jpg"), "--model", "clip-vit-b-32", env=env)
    assert r.returncode == 1 and "multicap models pull clip-vit-b-32" in r.stderr
    shutil.copytree(tiny_models["siglip"], weights / "siglip-vit-b-16")  # as a pulled open_clip folder
    r = run_cli("models", "--json", env=env)
    rows = {row["name"]: row for row in map(json.loads, r.stdout.splitlines())}
    assert rows["siglip-vit-b-16"]["weights_present"] is True
    pair = [str(EXAMPLES / "coffee.jpg"), str(EXAMPLES / "camera.jpg")]
    r = run_cli("compare", *pair, "--model", "siglip-vit-b-16", "--json", env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.splitlines()[0])["type"] == "pair"


def _run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_default_commands_never_import_open_clip() -> None:
    code = (
        "import sys\n"
        "from multicap.cli.main import _run\n"
        f"_run(['describe', {str(EXAMPLES / 'coffee.jpg')!r}, '--json'])\n"
        "_run(['models', '--json'])\n"
        "_run(['--help'])\n"
    )
    code += (
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('open_clip', 'timm')), file=sys.stderr)"
    )
    r = _run_python(code)
    assert r.stderr.strip().splitlines()[-1] == "[]"


def test_without_the_extra_one_line_names_it() -> None:
    code = (
        "import multicap.encoders.clip_models as m\n"
        "m.open_clip_installed = lambda: False\n"
        "from multicap.cli.main import _run\n"
        f"sys_code = _run(['describe', {str(EXAMPLES / 'coffee.jpg')!r}, '--model', 'clip-vit-b-32'])\n"
        "raise SystemExit(sys_code)\n"
    )
    r = _run_python(code)
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "error: clip-vit-b-32 needs open_clip, which is not installed: "
        "pip install -e '.[clip]' in multicap's folder"
    ]


def test_a_models_weights_are_checked_where_an_index_reads_them(tiny_models, tmp_path: Path) -> None:
    """A walkthrough's open_clip folder without its weights file had been built with random weights (exit
    0, an index filled with them); a fine-tune copied over the weights had been taken for the same model
    (old and new vectors mixed, queries embedded by the new text tower); an empty query had answered
    with arbitrary images; compare --index with another --model had crashed."""
    folder = tmp_path / "m"
    shutil.copytree(tiny_models["clip"], folder)
    weights = folder / "open_clip_model.safetensors"
    env = {"MULTICAP_INDEX_DIR": str(tmp_path / "indexes"), "MULTICAP_WEIGHTS_DIR": str(tmp_path / "w" / "x")}
    (tmp_path / "w").write_text("a file: the vocabulary's cache cannot be written under it")
    photos = [str(EXAMPLES / "coffee.jpg"), str(EXAMPLES / "chelsea.jpg")]
    kept = tmp_path / "kept.safetensors"
    weights.rename(kept)
    r = run_cli("index", *photos, "--model", str(folder), "--index", "none", env=env)
    assert r.returncode == 1 and "holds no weights" in r.stderr and "never a random" in r.stderr, r.stderr
    assert not (tmp_path / "indexes" / "none").exists()
    kept.rename(weights)
    assert run_cli("index", *photos, "--model", str(folder), "--index", "m", env=env).returncode == 0
    r = run_cli("search", "", "--index", "m", env=env)
    assert r.returncode == 1 and "no word that tells images apart" in r.stderr and not r.stdout
    r = run_cli("compare", *photos, "--index", "m", "--model", "grounded", env=env)
    assert r.returncode == 1 and "was built with" in r.stderr and "drop --model" in r.stderr, r.stderr
    other = tmp_path / "other.safetensors"
    shutil.copy(weights, kept)
    tensors = load_file(weights)  # a fine-tune: the same tensors, one changed
    name = next(iter(tensors))
    tensors[name] = tensors[name] + 1.0
    save_file(tensors, other)
    os.replace(other, weights)
    r = run_cli("search", "cat", "--index", "m", env=env)
    assert r.returncode == 1 and "weights of" in r.stderr and "changed since" in r.stderr, r.stderr
    r = run_cli("index", *photos, "--index", "m", env=env)
    assert r.returncode == 1 and "model_stamp" in r.stderr and "--reembed" in r.stderr, r.stderr
    for named in ([], ["--model", str(folder)]):  # had mixed them, unsaid
        r = run_cli("compare", *photos, str(EXAMPLES / "rocket.jpg"), "--index", "m", *named, env=env)
        assert r.returncode == 1 and "changed since" in r.stderr and "--reembed" in r.stderr, r.stderr
    os.replace(kept, weights)  # the old weights back: the old model again
    assert run_cli("search", "cat", "--index", "m", env=env).returncode == 0
    folder.rename(tmp_path / "moved")  # had been "no bundle folder or registered name"
    r = run_cli("search", "cat", "--index", "m", env=env)
    assert r.returncode == 1 and "is not there (moved or deleted)" in r.stderr, r.stderr
    moved = ["--index", "m", "--model", str(tmp_path / "moved"), "--json"]  # the same weights: no --reembed
    r = run_cli("index", *photos, *moved, env=env)  # (had been refused as another model)
    assert r.returncode == 0 and json.loads(r.stdout.splitlines()[-1])["unchanged"] == 2, r.stderr
    assert run_cli("search", "cat", "--index", "m", env=env).returncode == 0
    (tmp_path / "moved").rename(folder)
    index_dir = tmp_path / "indexes" / "b"  # a captioner's index re-embedded by the CLIP model: it had kept
    assert run_cli("index", *photos, "--model", "scenes-small", "--index", "b", env=env).returncode == 0
    assert (index_dir / "query_words.npz").is_file()  # the captioner's words, and searched with them
    r = run_cli("index", *photos, "--model", str(folder), "--index", "b", "--reembed", env=env)
    assert r.returncode == 0 and not (index_dir / "query_words.npz").exists(), r.stderr
    r = run_cli("search", "a cat", "--index", "b", "--explain", env=env)
    assert r.returncode == 0 and "in the text space of m" in r.stdout, r.stdout
    (folder / "open_clip_model.safetensors").write_bytes(b"not weights")
    r = run_cli("describe", photos[0], "--model", str(folder), env=env)
    assert r.returncode == 1 and str(folder) in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_a_broken_open_clip_folder_says_what_is_wrong_with_it(tmp_path: Path) -> None:
    """A config that cannot be read had been said to be missing ("neither a registered model nor a folder
    with open_clip_config.json"); weights without their config, that model.safetensors was missing."""
    from multicap.captioning.bundle import load_bundle
    from multicap.encoders.clip import build_encoder
    from multicap.errors import MulticapError

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "open_clip_config.json").write_text("{not json")
    with pytest.raises(MulticapError, match=r"open_clip_config\.json cannot be read"):
        build_encoder(str(bad))
    (bad / "open_clip_config.json").write_text('{"preprocess_cfg": {}}')
    with pytest.raises(MulticapError, match="names no model"):
        build_encoder(str(bad))
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "open_clip_model.safetensors").write_bytes(b"")
    with pytest.raises(MulticapError, match=r"open_clip folder\? its open_clip_config\.json is missing"):
        load_bundle(alone)
