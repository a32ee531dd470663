"""Packaging: `pip install .` (not only -e) must ship every module and data file, laid out as installed.

The [tool.setuptools] lists in pyproject.toml are checked against the source tree (not against themselves),
the checks are shown to catch a broken pyproject, and a real wheel is built from a copy of the tree and run.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

from tests.conftest import REPO

# Source folder → the folder it installs as: cli/ and configs/ live at the top level of the repository but
# install inside the multicap package (pyproject.toml, [tool.setuptools]). This is the layout itself, stated
# here on purpose rather than read back from pyproject.toml.
LAYOUT = {"multicap": "multicap", "cli": "multicap/cli", "configs": "multicap/configs"}

# Files an installed multicap cannot work without.
MUST_SHIP = [
    "multicap/cli/main.py",
    "multicap/facts/scene_parse.py",
    "multicap/configs/scenes.yaml",
    "multicap/captioning/bundles/scenes-small/config.json",
    "multicap/captioning/bundles/scenes-small/vocab.json",
    "multicap/captioning/bundles/scenes-small/model.safetensors",
    "multicap/text/data/imagenet_wordnet.json",
    "multicap/text/data/imagenet_classes.json",
]

UNMATCHED_GLOBS: set[tuple[str, str]] = set()  # (package, glob) allowed to match nothing


def _config() -> dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _source_files(root: Path) -> dict[str, Path]:
    """Installed path → source file, for every file a user's install should hold (no caches, no dotfiles)."""
    files: dict[str, Path] = {}
    for src, installed in LAYOUT.items():
        for path in sorted((root / src).rglob("*")):
            rel = path.relative_to(root / src)
            if not path.is_file() or "__pycache__" in rel.parts or path.suffix == ".pyc":
                continue
            if any(part.startswith(".") for part in rel.parts):
                continue
            files[str(Path(installed, rel))] = path
    return files


def _packages_on_disk(root: Path) -> dict[str, Path]:
    """Dotted package name (as installed) → source folder, for every folder with an __init__.py."""
    found: dict[str, Path] = {}
    for src, installed in LAYOUT.items():
        for init in (root / src).rglob("__init__.py"):
            rel = init.parent.relative_to(root / src)
            if "__pycache__" not in rel.parts:
                found[".".join([*Path(installed).parts, *rel.parts])] = init.parent
    return found


def _package_folder(name: str, package_dir: dict[str, str], root: Path) -> Path:
    """Where setuptools looks for package `name`: its longest prefix in package-dir, else its dotted path."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in package_dir:
            return root.joinpath(package_dir[prefix], *parts[i:])
    return root.joinpath(*parts)


def packaging_problems(config: dict[str, Any], root: Path) -> list[str]:
    """What a wheel built with `config` from the tree at `root` would get wrong, one line each."""
    setup = config["tool"]["setuptools"]
    listed: list[str] = setup["packages"]
    package_dir: dict[str, str] = setup.get("package-dir", {})
    package_data: dict[str, list[str]] = setup.get("package-data", {})
    on_disk = _packages_on_disk(root)
    problems: list[str] = []

    # A folder of modules without __init__.py imports in the repository (a namespace package) but is not
    # shipped by an explicit package list.
    for src in LAYOUT:
        for folder in sorted({p.parent for p in (root / src).rglob("*.py")}):
            if "__pycache__" not in folder.parts and not (folder / "__init__.py").is_file():
                problems.append(f"{folder.relative_to(root)} holds modules but no __init__.py")

    for name in sorted(on_disk.keys() - set(listed)):
        problems.append(f"package {name} ({on_disk[name].relative_to(root)}) is not in packages")
    for name in listed:
        folder = _package_folder(name, package_dir, root)
        if not (folder / "__init__.py").is_file():
            problems.append(f"listed package {name} has no {folder.relative_to(root)}/__init__.py")
        elif on_disk.get(name) != folder:
            problems.append(f"listed package {name} is {folder.relative_to(root)}, not where it installs")

    shipped: set[Path] = set()
    for name, patterns in package_data.items():
        if name not in listed:
            problems.append(f"package-data names {name}, which is not a listed package")
            continue
        folder = _package_folder(name, package_dir, root)
        for pattern in patterns:
            matches = {p for p in folder.glob(pattern) if p.is_file()}
            if not matches and (name, pattern) not in UNMATCHED_GLOBS:
                problems.append(
                    f"package-data {name}: {pattern!r} matches no file in {folder.relative_to(root)}"
                )
            shipped |= matches
    for installed, path in _source_files(root).items():
        if path.suffix != ".py" and path not in shipped:
            problems.append(f"{path.relative_to(root)} would not be installed (as {installed})")

    for script, target in config["project"]["scripts"].items():
        module, _, func = target.partition(":")
        package, _, leaf = module.rpartition(".")
        source = on_disk[package] / f"{leaf}.py" if package in on_disk else None
        if source is None or not source.is_file() or f"\ndef {func}(" not in source.read_text("utf-8"):
            problems.append(f"script {script} = {target}: no function {func} in module {module}")
    return problems


def test_pyproject_lists_every_package_and_data_file_of_the_tree() -> None:
    """Every package folder is listed and every listed package exists where it installs; every data file is
    matched by a package-data glob and every glob matches a file; the console script's target exists."""
    assert packaging_problems(_config(), REPO) == []
    assert "cli" not in _config()["tool"]["setuptools"]["packages"]


def test_the_checks_catch_a_broken_pyproject(tmp_path: Path) -> None:
    """Each kind of mistake in pyproject.toml is reported, naming what to fix."""

    def problems_after(change: Any) -> str:
        config = copy.deepcopy(_config())
        change(config["tool"]["setuptools"], config["project"])
        return "\n".join(packaging_problems(config, REPO))

    assert "package multicap.facts (multicap/facts) is not in packages" in problems_after(
        lambda st, _: st["packages"].remove("multicap.facts")
    )
    assert "package multicap.cli (cli) is not in packages" in problems_after(
        lambda st, _: st["packages"].remove("multicap.cli")
    )
    assert "listed package multicap.ghost has no multicap/ghost/__init__.py" in problems_after(
        lambda st, _: st["packages"].append("multicap.ghost")
    )
    assert "listed package cli is cli, not where it installs" in problems_after(
        lambda st, _: st["packages"].append("cli")
    )
    assert "listed package multicap.configs has no multicap/configs/__init__.py" in problems_after(
        lambda st, _: st["package-dir"].pop("multicap.configs")
    )
    dropped = problems_after(
        lambda st, _: st["package-data"]["multicap.captioning"].remove("bundles/*/*.safetensors")
    )
    assert "multicap/captioning/bundles/scenes-small/model.safetensors would not be installed" in dropped
    assert "configs/scenes.yaml would not be installed" in problems_after(
        lambda st, _: st["package-data"].pop("multicap.configs")
    )
    assert "'*.txt' matches no file in multicap/describe/data" in problems_after(
        lambda st, _: st["package-data"]["multicap.describe.data"].append("*.txt")
    )
    assert "no function run in module multicap.cli.nope" in problems_after(
        lambda _, project: project["scripts"].update(multicap="multicap.cli.nope:run")
    )

    # A folder of modules that forgot its __init__.py, in a small tree of the same layout.
    for folder in ("multicap", "multicap/extra", "cli", "configs"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "cli" / "main.py").write_text("\ndef run() -> None: ...\n", encoding="utf-8")
    tree = {
        "project": {"scripts": {"multicap": "multicap.cli.main:run"}},
        "tool": {
            "setuptools": {
                "packages": ["multicap", "multicap.extra", "multicap.cli", "multicap.configs"],
                "package-dir": {"multicap.cli": "cli", "multicap.configs": "configs"},
            }
        },
    }
    assert packaging_problems(tree, tmp_path) == []
    (tmp_path / "multicap" / "extra" / "__init__.py").unlink()
    (tmp_path / "multicap" / "extra" / "more.py").write_text("", encoding="utf-8")
    assert packaging_problems(tree, tmp_path) == [
        "multicap/extra holds modules but no __init__.py",
        "listed package multicap.extra has no multicap/extra/__init__.py",
    ]


def test_a_wheel_built_from_the_tree_ships_the_installed_layout_and_runs(tmp_path: Path) -> None:
    """Build a real wheel (from a copy of the tree, so the shared working tree gets no build/ folder): it
    holds exactly the tree's files at their installed paths, no top-level cli package, and, unpacked on its
    own, it imports, finds its recipes and loads the shipped bundle."""
    config = _config()
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", config["project"]["readme"]):
        shutil.copy2(REPO / name, src / name)
    for folder in LAYOUT:
        shutil.copytree(REPO / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
    built = subprocess.run(
        [*pip_wheel, "-q", str(src), "-w", str(tmp_path / "dist")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("multicap-*.whl")

    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        info = {n.split("/", 1)[1]: zf.read(n).decode() for n in names if ".dist-info/" in n}
        shipped = {n for n in names if ".dist-info/" not in n}
        assert set(MUST_SHIP) <= shipped, sorted(set(MUST_SHIP) - shipped)
        weights = zf.read("multicap/captioning/bundles/scenes-small/model.safetensors")
    source = _source_files(REPO)
    assert not any(n.startswith("cli/") for n in shipped)
    assert info["top_level.txt"].split() == ["multicap"]
    assert "multicap = multicap.cli.main:run" in info["entry_points.txt"]
    assert shipped == set(source), {
        "missing": sorted(set(source) - shipped),
        "extra": sorted(shipped - set(source)),
    }
    expected = (REPO / "multicap/captioning/bundles/scenes-small/model.safetensors").read_bytes()
    assert hashlib.sha256(weights).digest() == hashlib.sha256(expected).digest()

    # Unpacked alone (a pure wheel installs by unzipping), ahead of the editable install on sys.path.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "import json, sys; sys.path.insert(0, sys.argv[1])\n"
        "import multicap, multicap.cli.main, multicap.facts.scene_parse\n"
        "from multicap.captioning.bundle import load_bundle\n"
        "from multicap.captioning.recipe import load_recipe\n"
        "b = load_bundle('scenes-small')\n"
        "print(json.dumps({'files': [multicap.__file__, multicap.cli.main.__file__],"
        " 'epochs': load_recipe('scenes').train.epochs, 'levels': list(b.levels)}))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", probe, str(site)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    doc = json.loads(ran.stdout)
    assert all(Path(f).is_relative_to(site) for f in doc["files"]), doc["files"]
    assert doc["epochs"] == _recipe_epochs()
    assert {"object", "attribute", "layout"} <= set(doc["levels"])


def _recipe_epochs() -> int:
    import yaml

    return int(
        yaml.safe_load((REPO / "configs" / "scenes.yaml").read_text(encoding="utf-8"))["train"]["epochs"]
    )
