"""No text of TillQR reaches the screen unwrapped: every string literal passed to a Qt call that shows words
(a label's text, a button's, a tooltip, a title, a placeholder, an accessible name or description, a dialog's
message, a table's headings) goes through ``_()`` and friends, so a language switch leaves no English behind.
The walk reads the source of app/ui; a literal made only of symbols, digits or spaces ("·", "—", "0") is not a word."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "app" / "ui"

# Qt calls whose string arguments a person reads.
SHOWN = {
    "setText",
    "setToolTip",
    "setStatusTip",
    "setWhatsThis",
    "setWindowTitle",
    "setPlaceholderText",
    "setAccessibleName",
    "setAccessibleDescription",
    "setTitle",
    "setLabelText",
    "setInformativeText",
    "setDetailedText",
    "setSuffix",
    "setPrefix",
    "setSpecialValueText",
    "setHeaderLabels",
    "setHorizontalHeaderLabels",
    "setVerticalHeaderLabels",
    "addRow",
    "addItem",
    "addItems",
    "addTab",
    "addAction",
    "insertItem",
    "setTabText",
    "setItemText",
    "showMessage",
    "addButton",
    "QLabel",
    "QPushButton",
    "QCheckBox",
    "QRadioButton",
    "QGroupBox",
    "QAction",
    "QToolButton",
    "QTableWidgetItem",
    "QListWidgetItem",
    "information",
    "warning",
    "critical",
    "question",
    "about",
    "getText",
    "getInt",
    "getItem",
    "getSaveFileName",
    "getOpenFileName",
    "getExistingDirectory",
}
WORD = re.compile(r"[^\W\d_]{2,}")  # two letters together: a word, in any script
WRAPPERS = {"_", "lazy_", "ngettext", "pgettext", "lazy_p"}
LOGGERS = {"log", "logger", "logging", "_log", "LOG"}  # log.warning(...) is for support, in English
NOT_WORDS = re.compile(r"<[^>]*>|&\w+;|\bTillQR\b")  # markup and the product's name


def _texts(node: ast.AST) -> list[ast.AST]:
    """The string literals an argument is made of (an f-string's literal parts, a list's items, a
    conditional's branches), skipping what is already wrapped."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in WRAPPERS:
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    found: list[ast.AST] = []
    if isinstance(node, ast.JoinedStr | ast.List | ast.Tuple | ast.IfExp | ast.BinOp | ast.FormattedValue):
        for child in ast.iter_child_nodes(node):
            found += _texts(child)
    return found


def bare_texts(root: Path) -> list[str]:
    out = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in SHOWN or (
                isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in LOGGERS
            ):
                continue
            for arg in [*node.args, *(k.value for k in node.keywords if k.arg not in ("objectName", "filter"))]:
                for lit in _texts(arg):
                    assert isinstance(lit, ast.Constant)
                    if WORD.search(NOT_WORDS.sub("", lit.value)) and not lit.value.startswith(("*.", "#", ":/")):
                        out.append(f"{path.relative_to(root.parents[1])}:{lit.lineno} {lit.value!r}")
    return out


def test_no_text_reaches_the_screen_unwrapped():
    assert bare_texts(UI) == []


def test_the_walk_finds_bare_text(tmp_path):
    ui = tmp_path / "app" / "ui"
    ui.mkdir(parents=True)
    (ui / "m.py").write_text(
        "w.setText('Paid')\nw.setText(_('Paid'))\nQLabel(f'Total {x}')\nw.setToolTip('—')\n"
        "t.setHorizontalHeaderLabels([_('When'), 'Amount'])\nb = QPushButton('भुगतान')\nw.setText(str(n))\n"
        "log.warning('font %s missing', f)\nw.setText('<b>' + _('Paid') + '</b><br>')\nw.setWindowTitle('TillQR — ')\n"
    )
    assert [line.split(" ", 1)[0] for line in bare_texts(ui)] == [
        "app/ui/m.py:1",
        "app/ui/m.py:3",
        "app/ui/m.py:5",
        "app/ui/m.py:6",
    ]
