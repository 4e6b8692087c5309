"""No widget of app/ui hides a Qt method under its own attribute or method (a ``render()`` on a QWidget,
a ``scroll`` attribute, a signal named ``event``): Qt calls the method and would find something else."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "app" / "ui"
# Qt's virtual methods a class is meant to override (widgets, dialogs, item models), besides every ``…Event``
OVERRIDES = {
    "eventFilter",
    "sizeHint",
    "minimumSizeHint",
    "hasHeightForWidth",
    "heightForWidth",
    "setVisible",
    "open",  # QDialog.open(): PinDialog places itself, then calls it
    "rowCount",
    "columnCount",
    "data",
    "headerData",
    "flags",
}


def _names(cls_node: ast.ClassDef) -> list[tuple[int, str]]:
    """(line, name) of the class's methods and class attributes, and of every ``self.X = …``."""
    found = []
    for node in cls_node.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append((node.lineno, node.name))
        elif isinstance(node, ast.Assign):
            found += [(node.lineno, t.id) for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found.append((node.lineno, node.target.id))
    for node in ast.walk(cls_node):
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        for target in targets:
            for t in target.elts if isinstance(target, ast.Tuple) else [target]:
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self":
                    found.append((node.lineno, t.attr))
    return found


def test_no_widget_shadows_a_qt_method():
    shadowing = []
    for path in sorted(UI.glob("*.py")):
        module = importlib.import_module(f"app.ui.{path.stem}")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            qt = [
                b
                for b in getattr(getattr(module, node.name, None), "__mro__", ())
                if b.__module__.startswith("PySide6")
            ]
            if not qt:
                continue
            qt_names = set().union(*(dir(b) for b in qt))
            for line, name in _names(node):
                if (
                    name in qt_names
                    and not name.startswith("__")
                    and not name.endswith("Event")
                    and name not in OVERRIDES
                ):
                    shadowing.append(f"{path.name}:{line} {node.name}.{name}")
    assert not shadowing, f"these hide a Qt method of the same name: {sorted(set(shadowing))}"
