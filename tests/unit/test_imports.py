"""The layering rules of docs/architecture.md, checked on the source: no import cycle between files or
packages (imports inside functions and registries' "module:attribute" strings count as edges too, so no
cycle can hide behind a late import), no late imports in the library, and a lean `describe --model`."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_MODULE_NAME = re.compile(r"^(multicap(?:\.\w+)+)(?::\w+)?$")

# The packages, bottom-up, and what each may import (docs/architecture.md, "Packages").
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "_version": set(),
    "config": {"errors"},
    "io": {"errors"},
    "facts": {"errors"},
    "text": {"errors", "facts"},
    "encoders": {"errors", "io", "text"},
    "data": {"errors", "io", "facts", "text", "encoders"},
    "evaluation": {"errors", "facts", "text", "data"},
    "captioning": {"errors", "config", "io", "facts", "text", "encoders", "data", "evaluation"},
    "describe": {"errors", "io", "facts", "text", "encoders", "captioning"},
    "index": {"errors", "io", "facts", "text", "encoders", "data", "describe", "captioning"},
    "compare": {"errors", "io", "facts", "encoders", "describe", "index"},
    "serve": {
        "_version",
        "errors",
        "io",
        "facts",
        "text",
        "encoders",
        "describe",
        "captioning",
        "index",
        "compare",
    },
    "scale": {
        "errors",
        "io",
        "facts",
        "text",
        "encoders",
        "data",
        "describe",
        "captioning",
        "index",
        "compare",
    },
    "catalog": {"errors", "encoders", "captioning", "describe", "weights_pull"},
    "weights_pull": {"errors"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for base, package in ((ROOT / "multicap", "multicap"), (ROOT / "cli", "multicap.cli")):
        for path in base.rglob("*.py"):
            parts = path.relative_to(base).with_suffix("").parts
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            found[".".join((package, *parts))] = path
    return found


def _edges(modules: dict[str, Path]) -> tuple[dict[str, set[str]], list[str]]:
    """module → the multicap modules it imports anywhere (or names as "module:attribute"); and the imports
    made inside a function in the library, as "module:line"."""
    edges: dict[str, set[str]] = defaultdict(set)
    late: list[str] = []

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        in_function = {
            id(node)
            for fn in ast.walk(tree)
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
            for node in ast.walk(fn)
        }
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                match = _MODULE_NAME.match(node.value)
                targets = [match.group(1)] if match and match.group(1) in modules else []
            for target in targets:
                hit = known(target) if target.startswith("multicap") else None
                if hit is not None and hit != name:
                    edges[name].add(hit)
                    late_import = id(node) in in_function and not isinstance(node, ast.Constant)
                    if late_import and not name.startswith("multicap.cli"):
                        late.append(f"{name}:{node.lineno}")
    return edges, sorted(set(late))


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _package(module: str) -> str:
    return module.split(".")[1] if module.count(".") else module


@pytest.fixture(scope="module")
def graph() -> tuple[dict[str, Path], dict[str, set[str]], list[str]]:
    modules = _modules()
    return (modules, *_edges(modules))


def test_no_file_import_cycles(graph) -> None:
    _, edges, _ = graph
    assert _cycles(edges) == []


def test_no_package_import_cycles_and_layers_import_downwards(graph) -> None:
    _, edges, _ = graph
    packages: dict[str, set[str]] = defaultdict(set)
    for a, targets in edges.items():
        for b in targets:
            pa, pb = _package(a), _package(b)
            if pa != pb and not a.startswith("multicap.cli") and a != "multicap":
                packages[pa].add(pb)
    assert _cycles(packages) == []
    upward = sorted(f"{a} -> {b}" for a, bs in packages.items() for b in bs if b not in ALLOWED.get(a, set()))
    assert upward == [], "a package imports one it may not (docs/architecture.md, Packages)"


def test_the_checker_sees_late_imports_and_registry_strings(tmp_path: Path) -> None:
    """The rules above can fail: a cycle through a function-level import or a "module:attribute" string."""
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("import multicap.b\n")
    b.write_text('def f():\n    from multicap import a\nX = "multicap.a:thing"\n')
    edges, late = _edges({"multicap.a": a, "multicap.b": b})
    assert _cycles(edges) == [["multicap.a", "multicap.b"]]
    assert late == ["multicap.b:2"]


def test_no_late_imports_in_the_library(graph) -> None:
    """Only the CLI imports inside functions (so that `--help` and each command load only what they use)."""
    _, _, late = graph
    assert late == []


def test_describe_with_a_bundle_loads_neither_the_scenes_generator_nor_the_metrics(tmp_path: Path) -> None:
    image = ROOT / "examples" / "scenes" / "images" / "000000.png"
    code = (
        "import json, sys\n"
        "from multicap.cli.main import _run\n"
        f"code = _run(['describe', {str(image)!r}, {str(image)!r}, '--model', 'scenes-small', '--json'])\n"
        "mods = sorted(m for m in sys.modules\n"
        "              if m.startswith('multicap') and not m.startswith('multicap.cli'))\n"
        "print(json.dumps({'code': code, 'modules': mods}), file=sys.stderr)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    result = json.loads(run.stderr.strip().splitlines()[-1])
    assert result["code"] == 0
    modules = result["modules"]
    assert not [m for m in modules if m.startswith(("multicap.data", "multicap.evaluation"))]
    # 42: multicap.describe.verbalize (set summaries phrase objects); 43: multicap.captioning.domain (what
    # images the bundle was trained on); 44: multicap.text.articles ("a unicycle", "an hourglass")
    assert len(modules) <= 44, modules
