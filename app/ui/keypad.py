"""Keypad: the on-screen number pad. Emits the key it stands for; the model decides what it means."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QPushButton, QSizePolicy, QWidget

from app.i18n import _, decimal_symbol

from .a11y import describe

BACK = "back"
CLEAR = "clear"


class Keypad(QWidget):
    """Phone-style pad (1 2 3 on top, like card terminals): digits, decimal point, backspace.

    ``key_pressed`` carries "0"-"9", "." or "back". With a zero-decimal currency the
    point key becomes "00".
    """

    key_pressed = Signal(str)

    def __init__(self, *, decimals: int = 2, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("keypad")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(8)
        point = "." if decimals else "00"
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", point, "0", BACK]
        self.buttons: dict[str, QPushButton] = {}
        for i, key in enumerate(keys):
            button = QPushButton("⌫" if key == BACK else key)
            button.setObjectName("key")
            button.setProperty("key", key)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # Tab reaches it; a click leaves the amount focused
            button.setAutoRepeat(key == BACK)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            button.setMinimumSize(56, 32)
            button.clicked.connect(lambda _checked=False, k=key: self.key_pressed.emit(k))
            grid.addWidget(button, i // 3, i % 3)
            self.buttons[key] = button
        self.retranslate()

    def retranslate(self) -> None:
        """The keys' words in the language in force; the point key shows the store's decimal sign ("," in pt_BR)."""
        for key, button in self.buttons.items():
            if key == BACK:
                describe(button, _("Delete last digit"), _("Deletes the amount's last digit (Backspace)"))
            elif key == ".":
                button.setText(decimal_symbol())
                describe(button, _("Decimal point"), _("Types the decimal point (or type it)"))
            else:
                describe(button, _("Key {key}").format(key=key), _("Types {key} (or type it)").format(key=key))
