"""The house rules of the code's structure (../shared/DESIGN.md), read from the source's own imports.

Every import counts: at the top, inside functions and under ``TYPE_CHECKING``. Relative imports are
resolved. A planted module shows each check can fail.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path, known: set[str] | None = None) -> set[str]:
    """Every module ``path`` imports (absolute names, relative ones resolved), wherever the import is."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path, root)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            submodules = {f"{mod}.{alias.name}" for alias in node.names} & (known or set())
            found.update(submodules)  # `from pkg import module` is an import of the module
            if len(submodules) < len(node.names):
                found.add(mod)
    return found


def graph(root: Path, package: str = "app") -> dict[str, set[str]]:
    files = {module_name(p, root): p for p in (root / package).rglob("*.py")}
    return {
        name: {m for m in imports_of(path, root, set(files)) if m in files and m != name}
        for name, path in files.items()
    }


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def reaching(edges: dict[str, set[str]], start: str, prefix: str) -> list[str]:
    """Modules under ``prefix`` that ``start`` imports directly."""
    return sorted(m for m in edges.get(start, ()) if m == prefix or m.startswith(prefix + "."))


def test_no_import_cycle_anywhere_in_app():
    assert cycles(graph(ROOT)) == []


def _violations(edges: dict[str, set[str]], floor: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{mod} imports {target}"
        for mod in sorted(edges)
        if mod == floor or mod.startswith(floor + ".")
        for bad in forbidden
        for target in reaching(edges, mod, bad)
    ]


def test_the_domain_imports_nothing_above_it():
    above = ("app.qr", "app.providers", "app.sandbox", "app.checkout", "app.screens", "app.storage",
             "app.config", "app.commands", "app.ui", "app.runtime")  # fmt: skip
    assert _violations(graph(ROOT), "app.domain", above) == []


def test_i18n_imports_nothing_from_app():
    """app.i18n is the floor under the domain (``Money.display`` formats through it): it stands on Babel alone."""
    assert sorted(m for m in imports_of(APP / "i18n.py", ROOT) if m == "app" or m.startswith("app.")) == []


def test_the_sandbox_never_imports_the_client_layer():
    assert _violations(graph(ROOT), "app.sandbox", ("app.providers", "app.checkout", "app.screens", "app.ui")) == []


def test_the_screens_and_the_command_layer_are_qt_free():
    edges = graph(ROOT)
    for floor in ("app.checkout", "app.screens", "app.domain", "app.providers", "app.storage"):
        assert _violations(edges, floor, ("app.ui",)) == []
    assert _violations(edges, "app.checkout", ("app.screens", "app.commands")) == []


def test_only_app_ui_imports_qt():
    offenders = [
        str(path.relative_to(ROOT))
        for path in APP.rglob("*.py")
        if not path.is_relative_to(APP / "ui")
        and any(m == "PySide6" or m.startswith(("PySide6.", "qasync")) for m in imports_of(path, ROOT))
    ]
    assert offenders == ["app/commands/selftest.py"]  # self-test checks Qt is installed, imported lazily


def test_the_checks_can_fail(tmp_path):
    pkg = tmp_path / "app"
    (pkg / "domain").mkdir(parents=True)
    (pkg / "sandbox").mkdir()
    for d in (pkg, pkg / "domain", pkg / "sandbox"):
        (d / "__init__.py").write_text("")
    (pkg / "domain" / "a.py").write_text("def f():\n    from ..sandbox import b\n")  # a lazy import counts
    (pkg / "sandbox" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from app.domain import a\n"
    )
    edges = graph(tmp_path)
    assert cycles(edges) == [["app.domain.a", "app.sandbox.b"]]
    assert _violations(edges, "app.domain", ("app.sandbox",)) == ["app.domain.a imports app.sandbox.b"]


@pytest.mark.parametrize("folder", ["domain", "checkout", "providers", "screens", "sandbox"])
def test_noqa_comments_give_their_reason(folder):
    bare = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in (APP / folder).rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "# noqa" in line and " - " not in line.split("# noqa", 1)[1]
    ]
    assert bare == []


def _unmarked_lazy_imports(root: Path) -> list[str]:
    """Imports below module level that do not say why they are lazy (``# lazy: why``); those under
    ``if TYPE_CHECKING:`` are types only and need no mark."""
    found = []
    for path in root.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        typing_only = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and node.col_offset > 0 and id(node) not in typing_only:
                text = " ".join(lines[node.lineno - 1 : (node.end_lineno or node.lineno)])
                if "lazy" not in text:
                    found.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    return found


def test_imports_are_at_the_top_unless_marked_lazy(tmp_path):
    assert _unmarked_lazy_imports(APP) == []
    planted = tmp_path / "app"
    planted.mkdir()
    (planted / "m.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import os\n"
        "def f():\n    import json  # lazy: only here\n    import csv\n"
    )
    assert _unmarked_lazy_imports(planted) == ["app/m.py:6"]
