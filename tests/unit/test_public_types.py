"""No ``Any`` in the public signatures of the core's packages (issue 10).

Public: the parameters and return type of a function, method or constructor (``__init__`` counts) whose name
does not start with ``_``, in a class whose name does not either; the fields of a public class (dataclass,
TypedDict, Protocol); public module-level type aliases and annotated names. Private helpers may keep ``Any``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app/domain", "app/checkout", "app/providers", "app/fieldwork")


def _public(name: str) -> bool:
    return not name.startswith("_") or name == "__init__"


def _any_names(tree: ast.Module) -> set[str]:
    """The names ``Any`` goes by in this module (``from typing import Any as A`` included)."""
    names = {"Any"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("typing", "typing_extensions"):
            names |= {a.asname or a.name for a in node.names if a.name == "Any"}
    return names


def _mentions_any(node: ast.AST | None, names: set[str]) -> bool:
    for sub in ast.walk(node) if node is not None else ():
        if isinstance(sub, ast.Name) and sub.id in names or isinstance(sub, ast.Attribute) and sub.attr == "Any":
            return True
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):  # a quoted annotation
            try:
                quoted = ast.parse(sub.value, mode="eval")
            except SyntaxError:
                continue
            if _mentions_any(quoted, names):
                return True
    return False


def _signature_parts(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[str, ast.expr | None]]:
    a = fn.args
    params = [*a.posonlyargs, *a.args, *a.kwonlyargs, *(p for p in (a.vararg, a.kwarg) if p is not None)]
    return [(p.arg, p.annotation) for p in params] + [("return", fn.returns)]


def public_any(path: Path, root: Path) -> list[str]:
    """``module:line name (part)`` for each ``Any`` in a public signature, field or alias of ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = _any_names(tree)
    where = path.relative_to(root).as_posix()
    found: list[str] = []

    def visit(body: list[ast.stmt], prefix: str, in_class: bool) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _public(node.name):
                found.extend(
                    f"{where}:{node.lineno} {prefix}{node.name} ({part})"
                    for part, annotation in _signature_parts(node)
                    if _mentions_any(annotation, names)
                )
            elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                visit(node.body, f"{prefix}{node.name}.", True)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                alias = not in_class and ast.unparse(node.annotation).endswith("TypeAlias")
                mentions = _mentions_any(node.value if alias else node.annotation, names)
                if not node.target.id.startswith("_") and mentions:
                    found.append(f"{where}:{node.lineno} {prefix}{node.target.id} (field or alias)")
            elif isinstance(node, ast.Assign) and not in_class:  # a plain alias: ``Rule = Callable[[Any], bool]``
                targets = [t.id for t in node.targets if isinstance(t, ast.Name) and not t.id.startswith("_")]
                if targets and _mentions_any(node.value, names):
                    found.extend(f"{where}:{node.lineno} {t} (alias)" for t in targets)

    visit(tree.body, "", False)
    return found


def scan(package: Path, root: Path) -> list[str]:
    return [hit for module in sorted(package.rglob("*.py")) for hit in public_any(module, root)]


def test_no_any_in_the_public_signatures_of_the_core() -> None:
    for package in PACKAGES:
        assert list((ROOT / package).glob("*.py")), f"{package} has no modules: is the list up to date?"
    found = [hit for package in PACKAGES for hit in scan(ROOT / package, ROOT)]
    assert found == [], "Any in public signatures (use app.domain.jsontypes, object, or a precise type):\n" + "\n".join(
        found
    )


def test_the_scan_finds_any_wherever_it_is_public(tmp_path: Path) -> None:
    package = tmp_path / "planted"
    package.mkdir()
    (package / "mod.py").write_text(
        """
from __future__ import annotations
import typing
from dataclasses import dataclass
from typing import Any as Anything, TypeAlias

Alias = dict[str, Anything]
Typed: TypeAlias = "list[Anything]"
Fine: TypeAlias = dict[str, object]


def parse(data: Anything) -> int: ...
async def fetch(path: str, **kw: object) -> typing.Any: ...
def _helper(data: Anything) -> Anything: ...


@dataclass
class Entry:
    body: dict[str, Anything]
    name: str = ""

    def __init__(self, *args: "Anything") -> None: ...
    def _private(self, x: Anything) -> None: ...


class _Hidden:
    def method(self, x: Anything) -> None: ...
""",
        encoding="utf-8",
    )
    found = [hit.split(" ", 1)[1] for hit in scan(package, tmp_path)]
    assert found == [
        "Alias (alias)",
        "Typed (field or alias)",
        "parse (data)",
        "fetch (return)",
        "Entry.body (field or alias)",
        "Entry.__init__ (args)",
    ]
