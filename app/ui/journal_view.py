"""JournalView: the journal screen. Renders a JournalModel; forwards choices and commands to it.

Top: status and day filters (a date picker for "On a date…"), the search box,
Refresh and Export CSV… (app/ui/journal_bars.py). Middle: the sales table (time, status in words and
colour, amount, received, refunded, provider, reference) and the selected sale's
detail (app/ui/journal_detail.py): its fields, event history, refunds and the
refund form (amount and the manager PIN, asked inline: no modal dialog spins a
nested event loop under qasync).
Bottom: the day's totals by status (app/ui/journal_bars.py).

Wide (≥ 1000 px): table and detail side by side. Narrow (800×480 kiosks): the
detail opens as a page over the table, with a way back. Every journal read,
refund and export is awaited on the qasync loop (``@asyncSlot``); the model does
the file and PIN work off the loop, so the screen never freezes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QHideEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot
from shiboken6 import isValid

from app.i18n import _, on_language_changed
from app.receipts.desk import ReceiptDesk
from app.screens.journal_filters import export_choices
from app.screens.journal_model import JournalModel
from app.screens.shift_model import ShiftModel, print_receipt
from app.storage.reports import CsvDialect

from .journal_bars import FilterBar, TotalsBar
from .journal_detail import JournalDetail
from .journal_detail import button as _button
from .journal_style import STYLE
from .journal_table import SalesTable
from .qss import local
from .restyle import restyle
from .shift_dialog import ShiftDialog

NARROW_BELOW = 1000  # view width (px) under which the detail opens as a page
COMPACT_BELOW = 600  # view height (px) under which fonts and paddings shrink


class JournalView(QWidget):
    def __init__(self, model: JournalModel, parent: QWidget | None = None, *, receipts: ReceiptDesk | None = None):
        super().__init__(parent)
        self.model = model
        self.receipts = receipts  # prints receipts and the end-of-shift report; None: no such buttons
        self.setObjectName("journal")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(local(STYLE))
        self._narrow: bool | None = None
        self._compact: bool | None = None
        self._shown_detail = False  # narrow layout: the detail page is open
        self._loaded_once = False
        self._rendering = False
        self._build()
        stop = model.on_change(self.redraw)
        unheard = on_language_changed(lambda _language: self.retranslate())

        # a refund or read still awaited when the page goes away must not paint a deleted widget
        def gone(*_args: object) -> None:
            stop()
            unheard()
            model.close()

        self.destroyed.connect(gone)
        self.redraw()

    # -- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.filters = FilterBar(self.model)
        f = self.filters  # its widgets, under the names the view has always had
        self.status_filter, self.day_filter, self.date, self.search = f.status_filter, f.day_filter, f.date, f.search
        self.refresh, self.export = f.refresh, f.export

        self.summary = QLabel()
        self.summary.setObjectName("journalSummary")
        self.message = QLabel()
        self.message.setObjectName("journalMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.table_model = SalesTable(self.model, self)
        self.table = QTableView()
        self.table.setObjectName("sales")
        self.table.setModel(self.table_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)

        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.clicked.connect(self._row_clicked)

        self.detail = JournalDetail(self.model)
        d = self.detail  # its widgets, under the names the view has always had
        self.back, self.detail_title, self.fields = d.back, d.detail_title, d.fields
        self.refund_note, self.refund_start, self.refund_form = d.refund_note, d.refund_start, d.refund_form
        self.refund_amount, self.refund_pin, self.refund_currency = d.refund_amount, d.refund_pin, d.refund_currency
        self.refund_confirm, self.refund_cancel = d.refund_confirm, d.refund_cancel
        self.refunds_title, self.refunds_list = d.refunds_title, d.refunds_list
        self.events_title, self.events_list = d.events_title, d.events_list
        self.back.clicked.connect(self._close_detail_page)
        self.refund_confirm.clicked.connect(self.confirm_refund)
        self.refund_pin.returnPressed.connect(self.confirm_refund)
        self.close_note, self.close_pin, self.close_confirm = d.close_note, d.close_pin, d.close_confirm
        self.close_confirm.clicked.connect(self.confirm_close)
        self.close_pin.returnPressed.connect(self.confirm_close)

        self.totals = TotalsBar(self.model)
        self.totals_title, self.totals_text = self.totals.title, self.totals.text

        middle = self._middle = QHBoxLayout()
        middle.setSpacing(10)
        middle.addWidget(self.table, 5)
        middle.addWidget(self.detail, 3)

        root = QVBoxLayout(self)
        root.setContentsMargins(12, 8, 12, 8)
        root.setSpacing(6)
        root.addWidget(self.filters)
        status_row = QHBoxLayout()
        status_row.addWidget(self.summary)
        status_row.addWidget(self.message, 1)
        self.shift = _button("", "shiftReport", "")
        self.shift.setVisible(self.receipts is not None)
        self.shift.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.shift.clicked.connect(self.open_shift)
        self.detail.printing = self.receipts is not None
        self.detail.print_receipt.clicked.connect(self.print_selected)
        status_row.addWidget(self.shift)
        root.addLayout(status_row)
        root.addLayout(middle, 1)
        root.addWidget(self.totals)

        self.refresh.clicked.connect(self.reload)
        self.export.clicked.connect(self.choose_export)
        self._words()

    def _words(self) -> None:
        self.table.setAccessibleName(_("Sales"))
        self.shift.setText(_("End of shift…"))
        self.shift.setAccessibleName(_("The end-of-shift report: totals, refunds, open sales"))

    def retranslate(self) -> None:
        """The store's language changed: every word of the page is said again in it."""
        self._words()
        self.filters.retranslate()
        self.detail.retranslate()
        self.table_model.retranslate()
        self.model.relabel()

    # -- commands (awaited on the qasync loop) ----------------------------------------------
    @asyncSlot()
    async def reload(self) -> None:
        await self.model.load()

    @asyncSlot()
    async def select_sale(self, sale_id: str | None) -> None:
        if sale_id != self.detail.refund_for:
            self.close_refund()
        await self.model.select(sale_id)

    def open_refund(self) -> None:
        """Show the refund form for the selected sale (amount: all that is refundable), focus the amount."""
        self.detail.open_refund()

    def close_refund(self) -> None:
        self.detail.close_refund()

    @asyncSlot()
    async def confirm_refund(self) -> None:
        pin = self.refund_pin.text()
        self.refund_pin.clear()  # never kept on screen after the try
        done = await self.model.refund(self.refund_amount.text(), pin)
        if done and isValid(self):  # the page may have gone while the provider answered
            self.close_refund()
            self.redraw()

    @asyncSlot()
    async def confirm_close(self) -> None:
        """Close the selected sale's pending refund with the typed note, after the manager PIN."""
        closable = self.model.detail.closable if self.model.detail else []
        pin = self.close_pin.text()
        self.close_pin.clear()  # never kept on screen after the try
        if not closable:
            return
        if await self.model.close_refund(closable[0], self.close_note.text(), pin) and isValid(self):
            self.close_note.clear()
            self.redraw()

    @asyncSlot()
    async def print_selected(self) -> None:
        """The selected sale's receipt, where [printer] says; with no printer set up, saved as a PDF chosen here."""
        sale_id = self.model.selected
        if self.receipts is None or sale_id is None:
            return
        if self.receipts.can_print:
            await print_receipt(self.model.ops, self.receipts, sale_id)
            return
        default = str(Path.home() / f"tillqr-receipt-{sale_id[:8]}.pdf")
        dialog = QFileDialog(self, _("Save the receipt as PDF"), default, "PDF (*.pdf)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("pdf")
        dialog.fileSelected.connect(lambda path: path and self.save_receipt(sale_id, path))
        dialog.open()  # not exec(): the qasync loop keeps running

    @asyncSlot()
    async def save_receipt(self, sale_id: str, path: str) -> None:
        if self.receipts is not None:
            await print_receipt(self.model.ops, self.receipts, sale_id, pdf=Path(path))

    def open_shift(self) -> ShiftDialog | None:
        """The end-of-shift report, window-modal over the journal (already behind the manager PIN)."""
        if self.receipts is None:
            return None
        dialog = ShiftDialog(ShiftModel(self.receipts, tz=self.model.tz), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()
        return dialog

    def choose_export(self) -> None:
        default = f"tillqr-journal-{self.model.totals_day.isoformat()}.csv"
        dialog = QFileDialog(self, _("Export the sales shown"), str(Path.home() / default))
        choices = {f"{words} (*.csv)": dialect for dialect, words in export_choices()}  # the filter is the dialect
        dialog.setNameFilters(list(choices))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.fileSelected.connect(
            lambda path: path and self.export_to(path, choices.get(dialog.selectedNameFilter(), CsvDialect.NEUTRAL))
        )
        dialog.open()  # not exec(): no nested event loop, the qasync loop keeps running

    @asyncSlot()
    async def export_to(self, path: str, dialect: CsvDialect = CsvDialect.NEUTRAL) -> None:
        await self.model.export(path, dialect)

    # -- events -------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if not self._loaded_once or self.model.busy is None:
            # read when shown (never while the window is built), and again at every return to the page:
            # sales made meanwhile by another process (tillqr charge, recover) appear too
            self._loaded_once = True
            QTimer.singleShot(0, self.reload)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt API
        super().hideEvent(event)
        self.model.release()  # back at the counter: the sales are read again when the page is shown

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._apply_size(event.size().width(), event.size().height())

    def _apply_size(self, width: int, height: int) -> None:
        narrow, compact = width < NARROW_BELOW, height < COMPACT_BELOW
        if compact != self._compact:
            self._compact = compact
            self.setProperty("compact", "true" if compact else "false")
            for widget in [self, *self.findChildren(QWidget)]:
                widget.style().unpolish(widget)
                widget.style().polish(widget)
            self.table.verticalHeader().setDefaultSectionSize(26 if compact else 34)
        if narrow != self._narrow:
            self._narrow = narrow
            self.table.setColumnHidden(5, narrow)  # the provider: in the detail on a small screen
            self._layout_pages()
            self.redraw()

    def _layout_pages(self) -> None:
        narrow = bool(self._narrow)
        page = narrow and self._shown_detail and self.model.detail is not None
        self.table.setVisible(not page)
        self.detail.setVisible(not narrow or page)
        self.totals.setVisible(not page)
        self.back.setVisible(page)
        self.detail.setMaximumWidth(16777215 if narrow else 460)  # a page of its own on small screens

    def _row_changed(self, current, _previous) -> None:
        if self._rendering:
            return
        sale_id = self.table_model.sale_id(current.row())
        if sale_id != self.model.selected:
            self.select_sale(sale_id)

    def _row_clicked(self, index) -> None:
        if self._narrow:
            self._shown_detail = True
            if self.table_model.sale_id(index.row()) == self.model.selected:
                self._layout_pages()

    def open_detail_page(self) -> None:
        """Narrow layout: show the selected sale's detail in place of the table."""
        self._shown_detail = True
        self._layout_pages()

    def _close_detail_page(self) -> None:
        self._shown_detail = False
        self.close_refund()
        self._layout_pages()
        self.table.setFocus()

    # -- rendering ------------------------------------------------------------------------------
    def redraw(self) -> None:
        if not self.isVisible():
            # hidden behind the counter: the sales of a busy day must not re-lay the table on every event
            # (showEvent reloads and renders when the page is opened)
            return
        m = self.model
        self._rendering = True
        try:
            self.table_model.refresh()
            row = self.table_model.row_of(m.selected)
            current = self.table.selectionModel().currentIndex().row()
            if row >= 0 and row != current:
                self.table.selectionModel().setCurrentIndex(
                    self.table_model.index(row, 0),
                    QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
                )
            elif row < 0 and current >= 0:
                self.table.selectionModel().clearSelection()
        finally:
            self._rendering = False
        self.filters.redraw()
        self.summary.setText(m.summary)
        self.message.setText(m.message)
        self.message.setVisible(bool(m.message))
        restyle(self.message, "level", m.message_level)
        self._render_detail()
        self.totals.redraw(short=bool(self._narrow))
        if self._narrow is None and self.width() > 0:
            self._apply_size(self.width(), self.height())
        if self._narrow is not None and self._narrow and m.selected and m.detail is not None and self._shown_detail:
            self._layout_pages()

    def _render_detail(self) -> None:
        if not self.detail.redraw() and self._narrow:
            self._shown_detail = False
            self._layout_pages()

    def closeEvent(self, event) -> None:  # noqa: N802
        self.model.close()
        super().closeEvent(event)
