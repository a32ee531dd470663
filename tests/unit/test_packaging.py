from __future__ import annotations

import tomllib

from tests.conftest import REPO


def test_every_package_directory_is_listed_in_pyproject() -> None:
    """`pip install .` (not only -e) must ship every subpackage: the list in pyproject is explicit."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    mapping = config["tool"]["setuptools"]["package-dir"]
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "multicap").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    for name, folder in mapping.items():
        found |= {
            ".".join([name, *init.parent.relative_to(REPO / folder).parts])
            for init in (REPO / folder).rglob("__init__.py")
        }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_cli_is_not_a_top_level_package() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "cli" not in config["tool"]["setuptools"]["packages"]
    assert config["tool"]["setuptools"]["package-dir"]["multicap.cli"] == "cli"
    assert config["project"]["scripts"]["multicap"] == "multicap.cli.main:run"
