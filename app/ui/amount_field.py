"""The counter's amount field: the typed amount, large, kept by the counter's model (select-all, paste)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QFont, QFontMetrics, QGuiApplication, QKeyEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QLineEdit,
    QMenu,
    QWidget,
)

from app.i18n import _

from .keypad import CLEAR

TYPED = frozenset("0123456789.,")  # the keys an amount is typed with (both decimal signs)


class AmountField(QLineEdit):
    """Shows the model's amount; turns keyboard presses into keypad keys, Enter and Esc into commands.
    Select all (Ctrl+A, or the context menu) and paste (Ctrl+V, Shift+Insert, the menu) work: a key typed
    over the whole amount selected starts it again, and pasted text goes to the model (``pasted``), which
    reads it or refuses it in words."""

    key_typed = Signal(str)
    pasted = Signal(str)
    submitted = Signal()
    escaped = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("amount")
        self.setReadOnly(True)  # the model owns the text; keys arrive through keyPressEvent
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.DefaultContextMenu)
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._size = 0

    def _all_selected(self) -> bool:
        return bool(self.text()) and self.selectedText() == self.text()

    def show_amount(self, text: str) -> None:
        if text != self.text():
            self.setText(text)
            self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """The largest bold font (up to 62% of the height) that shows every digit: never clip an amount."""
        room = self.contentsRect().width() - 28  # padding and frame
        font = QFont(self.font())
        font.setBold(True)
        size = max(14, min(48, int(self.height() * 0.62)))
        while size > 14:
            font.setPixelSize(size)
            if QFontMetrics(font).horizontalAdvance(self.text()) <= room:
                break
            size -= 2
        if size != self._size:
            self._size = size
            self.setStyleSheet(f"QLineEdit#amount {{ font-size: {size}px; }}")  # beats the app sheet

    def paste_clipboard(self) -> None:
        self.pasted.emit(QGuiApplication.clipboard().text())

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt API
        menu = QMenu(self)
        menu.addAction(_("Select all"), self.selectAll)
        menu.addAction(_("Copy"), self.copy).setEnabled(self.hasSelectedText())
        menu.addAction(_("Paste"), self.paste_clipboard)
        menu.exec(event.globalPos())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        key, text = event.key(), event.text()
        if event.matches(QKeySequence.StandardKey.Paste):
            self.paste_clipboard()
        elif event.matches(QKeySequence.StandardKey.SelectAll):
            self.selectAll()
        elif event.matches(QKeySequence.StandardKey.Copy):
            self.copy()
        elif self._all_selected() and (key == Qt.Key.Key_Backspace or (text and text in TYPED)):
            self.deselect()
            self.key_typed.emit(CLEAR)  # typing over the whole amount selected starts it again
            if key != Qt.Key.Key_Backspace:
                self.key_typed.emit(text)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submitted.emit()
        elif key == Qt.Key.Key_Escape:
            self.escaped.emit()
        elif key == Qt.Key.Key_Backspace:
            self.key_typed.emit("back")
        elif key == Qt.Key.Key_Delete:
            self.key_typed.emit(CLEAR)
        elif text and text in TYPED:
            self.key_typed.emit(text)
        else:
            event.ignore()
            return
        event.accept()
