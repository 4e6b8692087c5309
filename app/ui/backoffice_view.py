"""The back office on the till's screens (thin Qt over app.screens.backoffice_model): a line on the Journal page,
a "Back office" box in Settings (the state, Register… and Push now), and the registration dialog (URL + code)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.i18n import _, on_language_changed
from app.replication.status import status_lines
from app.screens.backoffice_model import BackofficeModel

from .restyle import restyle


class BackofficeLine(QLabel):
    """The Journal page's line: the back office's state, records waiting, last push (hidden with none set)."""

    def __init__(self, model: BackofficeModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.setObjectName("backofficeLine")
        self.setWordWrap(True)
        stop = model.on_change(self.redraw)
        stop_words = on_language_changed(lambda _language: self.redraw())
        self.destroyed.connect(lambda *_args: (stop(), stop_words()))
        self.redraw()

    def redraw(self) -> None:
        text = self.model.line
        self.setText(text)
        self.setVisible(bool(text))
        restyle(self, "level", self.model.line_level)


class RegisterDialog(QDialog):
    """The back office's address and the one-time enrolment code it printed."""

    def __init__(self, url: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backofficeRegister")
        self.setWindowTitle(_("Register with a back office"))
        form = QFormLayout(self)
        note = QLabel(_("The code is printed by `tillqr backoffice enrol` at the back office; it works once."))
        note.setWordWrap(True)
        form.addRow(note)
        self.url = QLineEdit(url)
        self.url.setPlaceholderText(_("https://backoffice.example.com"))
        self.code = QLineEdit()
        self.code.setPlaceholderText(_("e.g. K7QM-2XRT-PL4D-9WZB"))
        form.addRow(_("Back office address"), self.url)
        form.addRow(_("Enrolment code"), self.code)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Register"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class BackofficeBox(QGroupBox):
    """Settings' "Back office" box: the state in lines, Register… and Push now, and what the last one did."""

    def __init__(self, model: BackofficeModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.dialog: RegisterDialog | None = None
        self.setObjectName("backoffice")
        column = QVBoxLayout(self)
        self.lines = QLabel()
        self.lines.setObjectName("backofficeState")
        self.lines.setWordWrap(True)
        column.addWidget(self.lines)
        buttons = QHBoxLayout()
        self.register_button = QPushButton()
        self.register_button.setObjectName("backofficeRegisterButton")
        self.push_button = QPushButton()
        self.push_button.setObjectName("backofficePush")
        buttons.addWidget(self.register_button)
        buttons.addWidget(self.push_button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        self.outcome = QLabel()
        self.outcome.setObjectName("outcome")
        self.outcome.setWordWrap(True)
        column.addWidget(self.outcome)
        self.register_button.clicked.connect(self.open_register)
        self.push_button.clicked.connect(self.on_push)
        stop = model.on_change(self.redraw)
        stop_words = on_language_changed(lambda _language: self.redraw())
        self.destroyed.connect(lambda *_args: (stop(), stop_words()))
        self.redraw()

    def redraw(self) -> None:
        m = self.model
        self.setTitle(_("Back office"))
        self.register_button.setText(_("Register…"))
        self.push_button.setText(_("Push now"))
        self.lines.setText("\n".join(status_lines(m.status)))
        self.register_button.setEnabled(m.can_register)
        self.push_button.setEnabled(m.can_push)
        self.outcome.setText(m.message)
        restyle(self.outcome, "level", m.message_level)

    def open_register(self) -> None:
        self.dialog = RegisterDialog(self.model.status.url or self.model.url, self)
        self.dialog.accepted.connect(self.on_register)
        self.dialog.open()

    @asyncSlot()
    async def on_register(self) -> None:
        if self.dialog is not None:
            await self.model.register(self.dialog.url.text(), self.dialog.code.text())

    @asyncSlot()
    async def on_push(self) -> None:
        await self.model.push_now()


def settings_box(column: QVBoxLayout, model: BackofficeModel) -> BackofficeBox:
    """Settings' Back office box, put at the end of its form ``column`` (before its closing stretch)."""
    box = BackofficeBox(model)
    column.insertWidget(max(0, column.count() - 1), box)
    return box
