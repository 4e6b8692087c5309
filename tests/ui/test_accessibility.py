"""Accessibility (issue 14, item 5): every interactive widget of the whole window, each page built, the PIN dialog
and the cashiers' sign-in included, has an accessible name; the counter's tab order and keyboard; status changes
announced to assistive technology (QAccessible)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from tests.ui.test_cashiers_view import add_cashiers

INTERACTIVE = (
    QAbstractButton,
    QLineEdit,
    QComboBox,
    QAbstractItemView,
    QAbstractSpinBox,
    QAbstractSlider,
    QTextEdit,
    QPlainTextEdit,
)


def _qt_internal(widget: QWidget) -> bool:
    """Parts Qt builds inside a composite control (a combo box's list, a spin box's line edit, a scroll bar, a
    table's corner button): the accessibility layer names them through their owner."""
    name = widget.objectName()
    if name.startswith("qt_") or name in ("qt_spinbox_lineedit", "qt_calendar_calendarview"):
        return True
    if isinstance(widget, QHeaderView) or isinstance(widget.parentWidget(), QLineEdit):
        return True  # a table's headers; a line edit's own clear button
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, (QComboBox, QAbstractSpinBox)) or parent.objectName().startswith("qt_"):
            return True
        if isinstance(parent, QAbstractItemView) and not isinstance(widget, QAbstractItemView):
            return True  # scroll bars, header views, corner button of a table
        parent = parent.parentWidget()
    return False


def unnamed(root: QWidget) -> list[str]:
    """Every interactive widget under ``root`` (visible or not) without an accessible name."""
    missing = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE) or _qt_internal(widget):
            continue
        if not widget.accessibleName().strip():
            text = widget.text() if isinstance(widget, (QAbstractButton, QLineEdit)) else ""
            missing.append(
                f"{type(widget).__name__}#{widget.objectName()} {text!r} in {type(widget.parent()).__name__}"
            )
    return missing


def test_every_interactive_widget_of_every_page_has_an_accessible_name(window_for, qtbot, run, ring, tmp_path):
    home = tmp_path / "home"
    run(add_cashiers(home, ("Ana", "4821")))
    window = window_for(home, pages_on_demand=False)
    qtbot.waitUntil(lambda: window.current_page() == "signin")
    for name in list(window.nav):
        window.show_page(name)
    field = window.pages["field"]
    qtbot.waitUntil(lambda: field.view is not None)  # the Field page opens its field book first
    dialog = window.ask_pin(lambda: None)
    qtbot.waitUntil(dialog.isVisible)
    assert len(window.findChildren(QAbstractButton)) > 40  # the pages are built
    missing = unnamed(window)
    assert missing == [], "\n".join(missing)
    assert unnamed(dialog) == []


def test_the_counter_names_and_describes_its_controls(till):
    _window, view, _rt = till()
    controls = [view.amount, view.reference, view.clear, view.charge, view.cancel, *view.keypad.buttons.values()]
    assert all(c.accessibleName() for c in controls)
    assert all(c.accessibleDescription() for c in controls if c is not view.amount)
    assert view.keypad.buttons["back"].accessibleName() == "Delete last digit"  # not "⌫"
    assert view.charge.accessibleName() == "Charge" and "Charge" in view.charge.text()  # the label is in the name


def test_tab_walks_the_counter_in_order_and_the_keyboard_runs_a_sale(till, qtbot):
    window, view, _rt = till()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    view.amount.setFocus()
    qtbot.waitUntil(view.amount.hasFocus)
    qtbot.keyClicks(view.amount, "4")
    order = [view.amount]
    for _ in range(16):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        order.append(QApplication.focusWidget())
    keys = list(view.keypad.buttons.values())
    expected = [view.amount, view.clear, view.reference, view.due_toggle, *keys, view.charge, view.cancel]
    expected = [w for w in expected if w is not None and w.isEnabled() and w.isVisible()]
    assert view.clear in expected and view.charge in expected and view.cancel not in expected  # nothing to cancel
    assert order[: len(expected)] == expected

    # digits typed with a keypad key focused still go to the amount; Enter on the focused Charge charges
    view.keypad.buttons["5"].setFocus()
    qtbot.keyClicks(view.keypad.buttons["5"], "2")
    qtbot.keyClick(view.keypad.buttons["5"], Qt.Key.Key_Backspace)
    assert view.model.entry == "4"
    view.charge.setFocus()
    qtbot.keyClick(view.charge, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Waiting" in view.banner.accessibleName(), timeout=10000)
    view.simulate.setFocus()  # any button of the counter focused: Escape cancels
    assert view.simulate.hasFocus()
    qtbot.keyClick(view.simulate, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: view.banner.property("mode") == "cancelled", timeout=10000)


def test_status_changes_are_announced(till, qtbot):
    _window, view, _rt = till()
    before = view.banner.accessibleName()
    with qtbot.waitSignal(view.banner.announced, timeout=10000) as said:
        qtbot.keyClicks(view.amount, "3")
        qtbot.keyClick(view.amount, Qt.Key.Key_Return)
    assert said.args[0] != before and said.args[0] == view.banner.accessibleName()
    qtbot.waitUntil(lambda: "Waiting" in view.banner.accessibleName(), timeout=10000)
    face = QAccessible.queryAccessibleInterface(view.banner)  # what a screen reader is given
    assert face.text(QAccessible.Text.Name) == view.banner.accessibleName()
    assert "Waiting" in face.text(QAccessible.Text.Name)
