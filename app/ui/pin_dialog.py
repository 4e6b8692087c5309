"""PinDialog: the manager PIN (or a cashier's), typed on a digits keypad or the keyboard, checked by a PinGate.

Window-modal and opened with ``open()`` (never ``exec()``): the asyncio loop keeps running
underneath. A wrong PIN and the lock-out after too many are said in words (PinGate's messages);
``accepted`` is emitted only after the gate said yes.

Placement: centred over ``anchor`` (the window's page area, under its header) and kept inside
the window; where the room is short (an 800×480 kiosk) the dialog takes its compact size, so the
title has a margin above it and the header (store name, DEMO mark, navigation) stays in view.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator
from PySide6.QtWidgets import QDialog, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.config.pin import PinError, PinGate
from app.i18n import _
from app.screens.amount_entry import sentence

from .a11y import describe
from .kiosk import fit_for_touch, refit_touch
from .qss import local

STYLE = """
QDialog#pinDialog { background: #f4f6f8; border: 2px solid #52606d; }
QLabel#pinTitle { font-size: 22px; font-weight: bold; }
QLineEdit#pinField { font-size: 30px; min-height: 48px; padding: 2px 10px;
                     background: #ffffff; border: 3px solid #1f2933; border-radius: 8px; }
QLabel#pinError { color: #b00020; font-weight: bold; }
QPushButton#pinKey { font-size: 26px; font-weight: bold; min-height: 46px; min-width: 64px; }
QPushButton#pinOk { background: #1b7f3b; color: #ffffff; border-color: #10592a; font-weight: bold; min-height: 46px; }
QPushButton#pinCancel { min-height: 46px; }
QDialog#pinDialog[compact="true"] QLabel#pinTitle { font-size: 18px; }
QDialog#pinDialog[compact="true"] QLineEdit#pinField { font-size: 22px; min-height: 32px; border-width: 2px; }
QDialog#pinDialog[compact="true"] QLabel#pinError { font-size: 14px; }
QDialog#pinDialog[compact="true"] QPushButton#pinKey { font-size: 20px; min-height: 30px; padding: 2px; }
QDialog#pinDialog[compact="true"] QPushButton#pinOk, QDialog#pinDialog[compact="true"] QPushButton#pinCancel {
    min-height: 32px; padding: 2px; }
"""

COMPACT_BELOW = 560  # px of room (the page area under the header) under which the compact size applies


class PinDialog(QDialog):
    def __init__(
        self,
        gate: PinGate,
        *,
        purpose: str = "",
        parent: QWidget | None = None,
        anchor: QWidget | None = None,
        touch: int | None = None,
        field_name: str = "",
    ):
        """``touch``: the side of a finger's target in px (its keys and buttons at least that big);
        ``field_name``: whose PIN it is, as the field and the window name it (a cashier's: "PIN")."""
        super().__init__(parent)
        field_name = field_name or _("Manager PIN")
        purpose = purpose or field_name
        self.gate = gate
        self.anchor = anchor
        self.setObjectName("pinDialog")
        self.setWindowTitle(field_name)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setStyleSheet(local(STYLE))
        self.setMinimumWidth(440)  # "Manager PIN to open Settings" on one line
        column = QVBoxLayout(self)
        column.setContentsMargins(22, 18, 22, 18)
        column.setSpacing(8)
        self.column = column
        self.title = QLabel(purpose)
        self.title.setObjectName("pinTitle")
        self.title.setWordWrap(True)
        column.addWidget(self.title)
        self.field = QLineEdit()
        self.field.setObjectName("pinField")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setValidator(QRegularExpressionValidator(r"[0-9]{0,8}"))
        self.field.setAccessibleName(field_name)
        self.field.setPlaceholderText(field_name)
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
        clear = QPushButton(_("Clear"))
        clear.setObjectName("pinKey")
        describe(clear, _("Clear the PIN"), _("Deletes every digit typed"))
        clear.clicked.connect(self.field.clear)
        grid.addWidget(clear, 3, 0)
        grid.addWidget(self._key("0"), 3, 1)
        back = QPushButton("⌫")
        back.setObjectName("pinKey")
        describe(back, _("Delete last digit"), _("Deletes the last digit of the PIN (Backspace)"))
        back.clicked.connect(self.field.backspace)
        grid.addWidget(back, 3, 2)
        column.addLayout(grid)
        row = QHBoxLayout()
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.setObjectName("pinCancel")
        self.cancel_button.clicked.connect(self.reject)
        self.ok_button = QPushButton(_("Unlock"))
        self.ok_button.setObjectName("pinOk")
        self.ok_button.setDefault(True)
        describe(self.cancel_button, _("Cancel"), _("Closes without unlocking (Escape)"))
        describe(self.ok_button, _("Unlock"), _("Checks the PIN typed (Enter)"))
        self.ok_button.clicked.connect(self.submit)
        row.addWidget(self.cancel_button)
        row.addWidget(self.ok_button)
        column.addLayout(row)
        if touch:
            fit_for_touch(touch, *grid_buttons(grid), self.cancel_button, self.ok_button)
        self.field.setFocus()

    # -- size and place ----------------------------------------------------------------
    def open(self) -> None:
        self.fit()
        super().open()

    def room(self) -> QRect:
        """Where the dialog may go, in global coordinates: the anchor, else the parent window."""
        parent = self.parentWidget()
        area = self.anchor or (parent.window() if parent is not None else None)
        if area is None:
            screen = self.screen()
            return screen.availableGeometry() if screen else QRect(0, 0, 1280, 800)
        return QRect(area.mapToGlobal(QPoint(0, 0)), area.size())

    def fit(self) -> None:
        """Compact where the room is short, then centred in the room (kept inside the window)."""
        room = self.room()
        self.ensurePolished()  # the style sheet's minimums first (at the first open), then the finger's
        compact = room.height() < COMPACT_BELOW
        if self.property("compact") != ("true" if compact else "false"):
            self.setProperty("compact", "true" if compact else "false")
            m = (18, 12, 18, 12) if compact else (22, 18, 22, 18)
            self.column.setContentsMargins(*m)
            self.column.setSpacing(4 if compact else 8)
            for widget in [self, *self.findChildren(QWidget)]:  # re-apply the [compact] rules
                widget.style().unpolish(widget)
                widget.style().polish(widget)
        refit_touch(self)
        self.adjustSize()
        size = self.size()
        x = room.x() + max(0, (room.width() - size.width()) // 2)
        y = room.y() + max(0, (room.height() - size.height()) // 2)
        parent = self.parentWidget()
        window = parent.window() if parent is not None else None
        if window is not None:  # never past the window's bottom edge
            bottom = window.mapToGlobal(QPoint(0, window.height())).y()
            y = max(min(y, bottom - size.height()), window.mapToGlobal(QPoint(0, 0)).y())
        self.move(x, y)

    def _key(self, digit: str) -> QPushButton:
        button = QPushButton(digit)
        button.setObjectName("pinKey")
        describe(button, _("Digit {digit}").format(digit=digit), _("Types this digit into the PIN"))
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the field keeps the keyboard
        button.clicked.connect(lambda: self.field.insert(digit))
        return button

    def submit(self) -> None:
        try:
            self.gate.check(self.field.text())
        except PinError as exc:
            self.field.clear()
            self.error.setText(sentence(str(exc)))
            return
        self.error.setText("")
        self.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if event.text().isdigit() and not self.field.hasFocus():
            self.field.insert(event.text())
            return
        super().keyPressEvent(event)


def grid_buttons(grid: QGridLayout) -> list[QPushButton]:
    items = (grid.itemAt(i) for i in range(grid.count()))
    return [w for w in (item.widget() for item in items if item is not None) if isinstance(w, QPushButton)]
