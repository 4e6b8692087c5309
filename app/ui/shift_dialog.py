"""ShiftDialog: the end-of-shift report on screen (a ShiftModel drawn), with Print, Save CSV…, Close shift.

Opened from the Journal page (so behind the manager PIN, as the journal is) with ``open()``: window-modal,
the qasync loop keeps running. The report is shown as the receipt printer prints it (the same lines, in a
monospaced font); every command is awaited on the loop and said in the message line.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog, QFileDialog, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget
from qasync import asyncSlot

from app.i18n import _
from app.screens.operations import Busy
from app.screens.shift_model import ShiftModel
from app.ui.qss import local

STYLE = """
QDialog#shift { background: #f4f6f8; }
QLabel#shiftText { background: #ffffff; color: #111111; border: 2px solid #cbd2d9; border-radius: 6px; padding: 10px;
    font-family: "DejaVu Sans Mono", "Liberation Mono", "Noto Sans Mono", monospace; font-size: 15px; }
QLabel#shiftMessage { font-size: 15px; color: #323f4b; }
QPushButton { font-size: 17px; min-height: 40px; padding: 2px 14px; }
QPushButton#closeShift { background: #5e35b1; color: #ffffff; border: 2px solid #3f237a; font-weight: bold; }
QPushButton#closeShift:disabled { background: #ddd6ea; color: #564f63; }
"""


class ShiftDialog(QDialog):
    def __init__(self, model: ShiftModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.setObjectName("shift")
        self.setWindowTitle(_("End-of-shift report"))
        self.setStyleSheet(local(STYLE))
        self.text = QLabel()
        self.text.setObjectName("shiftText")
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setAccessibleName(_("End-of-shift report"))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.text)
        self.message = QLabel()
        self.message.setObjectName("shiftMessage")
        self.message.setWordWrap(True)
        self.print_button = _button(_("Print"), "printShift", _("Print the report where receipts are printed"))
        self.csv_button = _button(_("Save CSV…"), "shiftCsv", _("Save the report as a CSV file"))
        self.close_shift_button = _button(
            _("Close shift"), "closeShift", _("Close this report: the next shift starts now")
        )
        self.done_button = _button(_("Done"), "shiftDone", _("Back to the journal"))
        row = QHBoxLayout()
        for b in (self.print_button, self.csv_button, self.close_shift_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.done_button)
        col = QVBoxLayout(self)
        col.addWidget(scroll, 1)
        col.addWidget(self.message)
        col.addLayout(row)
        self.print_button.clicked.connect(self.print_report)
        self.csv_button.clicked.connect(self.choose_csv)
        self.close_shift_button.clicked.connect(self.close_shift)
        self.done_button.clicked.connect(self.accept)
        stop = model.on_change(self.redraw)
        self.destroyed.connect(lambda *_: stop())
        room = parent.window().size() if parent is not None else None  # a 800×480 panel: no bigger than the window
        self.resize(min(620, room.width()) if room else 620, min(640, room.height()) if room else 640)
        self.redraw()
        QTimer.singleShot(0, self.reload)

    def redraw(self) -> None:
        m = self.model
        self.text.setText("\n".join(m.lines()) or _("Reading the journal…"))
        self.message.setText(m.message)
        self.message.setVisible(bool(m.message))
        idle = m.busy is None and m.report is not None
        for b in (self.print_button, self.csv_button, self.close_shift_button):
            b.setEnabled(idle)
        self.print_button.setText(_("Printing…") if m.busy is Busy.PRINT else _("Print"))

    @asyncSlot()
    async def reload(self) -> None:
        await self.model.load()

    @asyncSlot()
    async def print_report(self) -> None:
        await self.model.print_report()

    @asyncSlot()
    async def close_shift(self) -> None:
        await self.model.close_shift()

    def choose_csv(self) -> None:
        report = self.model.report
        day = report.until.astimezone(self.model.tz) if report else None
        default = f"tillqr-shift-{day:%Y%m%d-%H%M}.csv" if day else "tillqr-shift.csv"
        dialog = QFileDialog(self, _("Save the shift report"), str(Path.home() / default), _("CSV files (*.csv)"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.fileSelected.connect(lambda path: path and self.export_to(path))
        dialog.open()  # not exec(): the qasync loop keeps running

    @asyncSlot(str)
    async def export_to(self, path: str) -> None:
        await self.model.export(Path(path))


def _button(text: str, name: str, accessible: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setAccessibleName(accessible)
    return button
