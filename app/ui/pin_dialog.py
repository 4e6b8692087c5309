"""PinDialog: the manager PIN, typed on a digits keypad or the keyboard, checked by a PinGate.

Window-modal and opened with ``open()`` (never ``exec()``): the asyncio loop keeps running
underneath. A wrong PIN and the lock-out after too many are said in words (PinGate's messages);
``accepted`` is emitted only after the gate said yes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator
from PySide6.QtWidgets import (QDialog, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout,
                               QWidget)

from app.config.pin import PinError, PinGate

STYLE = """
QDialog#pinDialog { background: #f4f6f8; }
QLabel#pinTitle { font-size: 22px; font-weight: bold; }
QLineEdit#pinField { font-size: 30px; min-height: 48px; padding: 2px 10px;
                     background: #ffffff; border: 3px solid #1f2933; border-radius: 8px; }
QLabel#pinError { color: #b00020; font-weight: bold; }
QPushButton#pinKey { font-size: 26px; font-weight: bold; min-height: 46px; min-width: 64px; }
QPushButton#pinOk { background: #1b7f3b; color: #ffffff; border-color: #10592a; font-weight: bold; min-height: 46px; }
"""


class PinDialog(QDialog):
    def __init__(self, gate: PinGate, *, purpose: str = "Manager PIN", parent: QWidget | None = None):
        super().__init__(parent)
        self.gate = gate
        self.setObjectName("pinDialog")
        self.setWindowTitle("Manager PIN")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setStyleSheet(STYLE)
        column = QVBoxLayout(self)
        column.setSpacing(6)
        self.title = QLabel(purpose)
        self.title.setObjectName("pinTitle")
        self.title.setWordWrap(True)
        column.addWidget(self.title)
        self.field = QLineEdit()
        self.field.setObjectName("pinField")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setValidator(QRegularExpressionValidator(r"[0-9]{0,8}"))
        self.field.setAccessibleName("Manager PIN")
        self.field.setPlaceholderText("4 to 8 digits")
        self.field.returnPressed.connect(self.submit)
        column.addWidget(self.field)
        self.error = QLabel("")
        self.error.setObjectName("pinError")
        self.error.setWordWrap(True)
        column.addWidget(self.error)
        grid = QGridLayout()
        grid.setSpacing(4)
        for i, key in enumerate("123456789"):
            grid.addWidget(self._key(key), i // 3, i % 3)
        clear = QPushButton("Clear")
        clear.setObjectName("pinKey")
        clear.clicked.connect(self.field.clear)
        grid.addWidget(clear, 3, 0)
        grid.addWidget(self._key("0"), 3, 1)
        back = QPushButton("⌫")
        back.setObjectName("pinKey")
        back.setAccessibleName("Delete last digit")
        back.clicked.connect(self.field.backspace)
        grid.addWidget(back, 3, 2)
        column.addLayout(grid)
        row = QHBoxLayout()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        self.ok_button = QPushButton("Unlock")
        self.ok_button.setObjectName("pinOk")
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self.submit)
        row.addWidget(self.cancel_button)
        row.addWidget(self.ok_button)
        column.addLayout(row)
        self.field.setFocus()

    def _key(self, digit: str) -> QPushButton:
        button = QPushButton(digit)
        button.setObjectName("pinKey")
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the field keeps the keyboard
        button.clicked.connect(lambda: self.field.insert(digit))
        return button

    def submit(self) -> None:
        try:
            self.gate.check(self.field.text())
        except PinError as exc:
            self.field.clear()
            self.error.setText(_sentence(str(exc)))
            return
        self.error.setText("")
        self.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if event.text().isdigit() and not self.field.hasFocus():
            self.field.insert(event.text())
            return
        super().keyPressEvent(event)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
