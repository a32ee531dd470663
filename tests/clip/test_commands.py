"""Every command with a vision-language model (tiny random weights), through the real `multicap` command:
index into real FAISS + SQLite, search (text tower + full text), describe, compare, models; and the extra
stays optional."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

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
