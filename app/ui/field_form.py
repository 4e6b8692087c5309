"""ReadingForm: the selected bill, the reading typed for it with its charge as it is typed, and a conflict's
way out. Draws a FieldModel; forwards keys and clicks to it (the rules live in the model).

The reading field is the keyboard's home on the field screen (``ReadingEdit``): digits type the reading,
Enter records it (the model then selects the next bill to read), Esc clears it, Up/Down (and Page Up/Down)
move in the list. A reading that is questioned (lower than the previous one, an absurd jump) shows why,
and a confirmation (Ctrl+R) when the agent may say it is right.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.i18n import _
from app.screens.field_lines import STATE_WORDS, charge_lines, meter_line, reading_line, state_line
from app.screens.field_model import FieldModel
from app.screens.operations import Busy

from .restyle import restyle

PAGE = 10  # rows Page Up / Page Down move


class ReadingEdit(QLineEdit):
    """The reading field: Enter, Esc and the arrow keys become the form's commands."""

    submitted = Signal()
    cleared = Signal()
    moved = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submitted.emit()
        elif key == Qt.Key.Key_Escape:
            self.cleared.emit()
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self.moved.emit(-1 if key == Qt.Key.Key_Up else 1)
        elif key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            self.moved.emit(-PAGE if key == Qt.Key.Key_PageUp else PAGE)
        else:
            super().keyPressEvent(event)


class ReadingForm(QFrame):
    def __init__(self, model: FieldModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.setObjectName("readingForm")
        column = QVBoxLayout(self)
        column.setContentsMargins(14, 10, 14, 10)
        column.setSpacing(4)

        top = QHBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("billTitle")
        self.state = QLabel()
        self.state.setObjectName("stateChip")
        top.addWidget(self.title, 1)
        top.addWidget(self.state)
        column.addLayout(top)
        self.customer = self._label("billCustomer", column)
        self.address = self._label("billAddress", column)
        self.meter = self._label("billMeter", column)
        self.state_text = self._label("billState", column)
        self.recorded = self._label("billRecorded", column)

        self.caption = QLabel()
        self.caption.setObjectName("readingCaption")
        column.addWidget(self.caption)
        self.reading = ReadingEdit()
        self.reading.setObjectName("reading")
        self.caption.setBuddy(self.reading)
        column.addWidget(self.reading)
        self.confirm = QCheckBox()
        self.confirm.setObjectName("confirmReset")
        self.confirm.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard stays in the reading
        column.addWidget(self.confirm)

        self.problem = self._label("readingProblem", column)
        self.charge = QLabel()
        self.charge.setObjectName("chargePreview")
        self.charge.setTextFormat(Qt.TextFormat.RichText)
        column.addWidget(self.charge)

        buttons = QHBoxLayout()
        self.record_button = QPushButton()
        self.record_button.setObjectName("recordButton")
        self.clear_button = QPushButton()
        for b in (self.record_button, self.clear_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            buttons.addWidget(b)
        column.addLayout(buttons)

        self.conflict = QFrame()
        self.conflict.setObjectName("conflictBox")
        box = QVBoxLayout(self.conflict)
        box.setContentsMargins(10, 6, 10, 8)
        box.setSpacing(4)
        self.conflict_title = QLabel()
        self.conflict_title.setObjectName("conflictTitle")
        box.addWidget(self.conflict_title)
        self.reissue_button = QPushButton()
        self.reissue_button.setObjectName("reissueButton")
        box.addWidget(self.reissue_button)
        drop_row = QHBoxLayout()
        self.note = QLineEdit()
        self.note.setObjectName("dropNote")
        self.drop_button = QPushButton()
        self.drop_button.setObjectName("dropButton")
        drop_row.addWidget(self.note, 1)
        drop_row.addWidget(self.drop_button)
        box.addLayout(drop_row)
        column.addWidget(self.conflict)
        column.addStretch(1)

        self.reading.textEdited.connect(model.set_text)
        self.reading.submitted.connect(model.record_now)  # moves on now: the next keys are the next reading
        self.reading.cleared.connect(model.clear)
        self.reading.moved.connect(model.move)
        self.confirm.toggled.connect(model.set_confirm)
        self.record_button.clicked.connect(model.record_now)
        self.clear_button.clicked.connect(model.clear)
        self.reissue_button.clicked.connect(self.reissue)
        self.drop_button.clicked.connect(self.drop)
        self.note.returnPressed.connect(self.drop)

    def retranslate(self) -> None:
        """The form's fixed words in the language in force (the view calls it at start and on a switch)."""
        self.caption.setText(_("New reading"))
        self.reading.setPlaceholderText(_("meter's number"))
        self.reading.setAccessibleName(_("New meter reading"))
        self.confirm.setText(_("I checked: the number is right (Ctrl+R)"))
        self.confirm.setToolTip(_("The meter rolled over or was replaced, or the consumption really jumped"))
        self.record_button.setText(_("Record (Enter)"))
        self.clear_button.setText(_("Clear (Esc)"))
        self.conflict_title.setText(_("Resolve the conflict"))
        self.reissue_button.setText(_("Re-issue the charge"))
        self.reissue_button.setToolTip(_("A new payment request for this reading, linked to the printed QR"))
        self.note.setPlaceholderText(_("why drop it?"))
        self.note.setToolTip(_("Why the reading is dropped: the note is kept with it"))
        self.drop_button.setText(_("Drop the reading"))

    @staticmethod
    def _label(name: str, column: QVBoxLayout) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setWordWrap(True)
        column.addWidget(label)
        return label

    # -- commands ----------------------------------------------------------------------------
    @asyncSlot()
    async def reissue(self) -> None:
        await self.model.reissue()
        self.reading.setFocus()

    @asyncSlot()
    async def drop(self) -> None:
        if await self.model.drop(self.note.text()):
            self.note.clear()
            self.reading.setFocus()

    def toggle_confirm(self) -> None:
        if self.confirm.isVisible():
            self.confirm.toggle()

    # -- drawing ---------------------------------------------------------------------------------
    def redraw(self) -> None:
        m = self.model
        row = m.current
        if row is None:
            self.title.setText(_("No bill selected"))
            for label in (self.customer, self.address, self.meter, self.state_text, self.recorded):
                label.setText("")
            self.state.setText("")
        else:
            self.title.setText(row.bill.bill_id)
            self.state.setText(STATE_WORDS[row.sync_state])
            restyle(self.state, "state", row.sync_state.value)
            self.customer.setText(row.bill.customer)
            self.address.setText(row.bill.address)
            self.meter.setText(meter_line(row))
            self.state_text.setText(state_line(row))
            self.recorded.setText(reading_line(row))
            self.recorded.setVisible(bool(self.recorded.text()))
        if self.reading.text() != m.text:
            self.reading.setText(m.text)
        preview = m.preview
        self.confirm.blockSignals(True)
        self.confirm.setChecked(m.confirm_reset)
        self.confirm.blockSignals(False)
        self.confirm.setVisible(preview.confirmable or m.confirm_reset)
        self.problem.setText(f"⚠ {preview.problem}" if preview.problem else "")
        self.problem.setVisible(bool(preview.problem))
        if preview.charge is not None:
            lines = charge_lines(preview.charge)
            html = "".join(
                f"<tr><td>{escape(what)}</td><td align='right'>{escape(amount)}</td></tr>"
                for what, amount in lines[:-1]
            )
            what, amount = lines[-1]
            html += f"<tr><td><b>{escape(what)}</b></td><td align='right'><b>{escape(amount)}</b></td></tr>"
            self.charge.setText(f"<table width='100%' cellspacing='0' cellpadding='1'>{html}</table>")
        else:
            self.charge.setText("")
        self.charge.setVisible(preview.charge is not None)
        self.record_button.setEnabled(m.can_record)
        self.clear_button.setEnabled(bool(m.text))
        self.conflict.setVisible(m.in_conflict)
        resolving = m.busy is Busy.RESOLVE
        self.reissue_button.setEnabled(not resolving)
        self.drop_button.setEnabled(not resolving)

    def charge_text(self) -> str:
        """The preview as plain text (tests and accessibility)."""
        preview = self.model.preview
        if preview.charge is None:
            return preview.problem
        lines = charge_lines(preview.charge)
        return "\n".join(f"{label}: {amount}" for label, amount in lines)
