"""JournalDetail: the journal screen's detail panel for the selected sale.

Its title (status in words and colour), fields, event history, refunds and the
refund form (amount and the manager PIN, asked inline: no modal dialog spins a
nested event loop under qasync). Renders the JournalModel's ``detail``; the
JournalView (app/ui/journal_view.py) places it, wires the refund command and the
back button, and exposes its widgets under the names it always had.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.screens.journal_model import TONES, JournalModel, status_words
from app.screens.operations import Busy


class JournalDetail(QScrollArea):
    """The selected sale's detail in a scroll area (object name ``detail``, for the view's style sheet)."""

    def __init__(self, model: JournalModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.refund_for: str | None = None  # the sale the open refund form is for
        body = QWidget()
        body.setObjectName("detailBody")
        col = QVBoxLayout(body)
        col.setContentsMargins(10, 8, 10, 8)
        col.setSpacing(6)
        self.back = button("← Back to the list", "journalBack", "Back to the list of sales")
        col.addWidget(self.back)
        self.detail_title = QLabel("Select a sale to see its details.")
        self.detail_title.setObjectName("detailTitle")
        self.detail_title.setWordWrap(True)
        col.addWidget(self.detail_title)
        self.fields = QGridLayout()
        self.fields.setHorizontalSpacing(10)
        self.fields.setVerticalSpacing(2)
        self.fields.setColumnStretch(1, 1)

        self.refund_note = QLabel()
        self.refund_note.setObjectName("refundNote")
        self.refund_note.setWordWrap(True)
        self.refund_start = button("Refund…", "refundStart", "Refund this sale, in full or in part")
        self.print_receipt = button("Print receipt", "printReceipt", "Print this sale's receipt")
        self.printing = False  # the view sets it when it can print receipts
        self.refund_start.clicked.connect(self.open_refund)
        self.refund_amount = QLineEdit()
        self.refund_amount.setObjectName("refundField")
        self.refund_amount.setAccessibleName("Amount to refund")
        self.refund_amount.setPlaceholderText("Amount")
        self.refund_pin = QLineEdit()
        self.refund_pin.setObjectName("refundField")
        self.refund_pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.refund_pin.setMaxLength(8)
        self.refund_pin.setPlaceholderText("Manager PIN")
        self.refund_pin.setAccessibleName("Manager PIN")
        self.refund_confirm = button("Refund", "refundConfirm", "Refund the amount, with the manager PIN")
        self.refund_cancel = button("Cancel", "refundCancel", "Close the refund form")
        self.refund_form = QWidget()
        form = QGridLayout(self.refund_form)
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(6)
        form.setVerticalSpacing(4)
        self.refund_currency = QLabel()  # "Amount to refund (ARS)"
        self.refund_currency.setObjectName("fieldName")
        pin_label = QLabel("Manager PIN")
        pin_label.setObjectName("fieldName")
        form.addWidget(self.refund_currency, 0, 0)
        form.addWidget(pin_label, 0, 1)
        form.addWidget(self.refund_amount, 1, 0)
        form.addWidget(self.refund_pin, 1, 1)
        form.addWidget(self.refund_confirm, 2, 0)
        form.addWidget(self.refund_cancel, 2, 1)
        self.refund_cancel.clicked.connect(self.close_refund)
        refund_row = QHBoxLayout()
        refund_row.addWidget(self.print_receipt)
        refund_row.addWidget(self.refund_start)
        refund_row.addWidget(self.refund_note, 1)
        col.addLayout(refund_row)  # the action first: on a small screen it stays above the fold
        col.addWidget(self.refund_form)
        self.refund_form.setVisible(False)
        col.addLayout(self.fields)

        self.refunds_title = _section("Refunds")
        self.refunds_list = _history()
        col.addWidget(self.refunds_title)
        col.addWidget(self.refunds_list)
        self.close_form = self._close_form()
        col.addWidget(self.close_form)
        self.events_title = _section("History")
        self.events_list = _history()
        col.addWidget(self.events_title)
        col.addWidget(self.events_list)
        col.addStretch(1)

        self.setObjectName("detail")
        self.setWidgetResizable(True)
        self.setWidget(body)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAccessibleName("Sale details")

    def _close_form(self) -> QWidget:
        """A refund left pending, closed with the manager's note (after checking with the provider) and PIN."""
        box = QWidget()
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        self.close_text = QLabel()
        self.close_text.setObjectName("refundNote")
        self.close_text.setWordWrap(True)
        self.close_note = QLineEdit()
        self.close_note.setObjectName("refundField")
        self.close_note.setMaxLength(500)
        self.close_note.setPlaceholderText("What the provider said")
        self.close_note.setAccessibleName("Note: what the provider said about the refund")
        self.close_pin = QLineEdit()
        self.close_pin.setObjectName("refundField")
        self.close_pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.close_pin.setMaxLength(8)
        self.close_pin.setPlaceholderText("Manager PIN")
        self.close_pin.setAccessibleName("Manager PIN")
        self.close_confirm = button("Close refund", "refundClose", "Close the pending refund with the note")
        grid.addWidget(self.close_text, 0, 0, 1, 2)
        grid.addWidget(self.close_note, 1, 0, 1, 2)
        grid.addWidget(self.close_pin, 2, 0)
        grid.addWidget(self.close_confirm, 2, 1)
        box.setVisible(False)
        return box

    # -- the refund form --------------------------------------------------------------------
    def open_refund(self) -> None:
        """Show the refund form for the selected sale (amount: all that is refundable), focus the amount."""
        m = self.model
        blocked = m.refund_blocked()
        if blocked or m.detail is None:
            return
        self.refund_for = m.detail.sale.sale_id
        self.refund_currency.setText(f"Amount to refund ({m.detail.sale.amount.currency})")
        self.refund_amount.setText(m.refund_default())
        self.refund_pin.clear()
        self.refund_form.setVisible(True)
        self.refund_start.setVisible(False)
        self.refund_amount.setFocus()
        self.refund_amount.selectAll()

    def close_refund(self) -> None:
        self.refund_for = None
        self.refund_pin.clear()
        self.refund_form.setVisible(False)
        self.refund_start.setVisible(True)

    # -- rendering ------------------------------------------------------------------------------
    def redraw(self) -> bool:
        """Repaint from the model's ``detail``; False when no sale is selected (nothing to show)."""
        m = self.model
        d = m.detail
        while self.fields.count():
            item = self.fields.takeAt(0)
            gone = item.widget() if item is not None else None
            if gone is not None:
                gone.deleteLater()
        if d is None:
            self.detail_title.setText("Select a sale to see its details, its history and to refund it.")
            set_property(self.detail_title, "tone", "")
            for w in (
                self.print_receipt,
                self.refund_start,
                self.refund_note,
                self.refund_form,
                self.refunds_title,
                self.refunds_list,
                self.close_form,
                self.events_title,
                self.events_list,
            ):
                w.setVisible(False)
            return False
        sale = d.sale
        self.detail_title.setText(f"{status_words(sale)} — {sale.amount.display()}")
        set_property(self.detail_title, "tone", TONES[sale.status])
        for i, (name, value) in enumerate(d.fields):
            label = QLabel(name)
            label.setObjectName("fieldName")
            text = QLabel(value)
            text.setObjectName("fieldId" if name.endswith(" id") else "fieldValue")  # long ids: smaller
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            self.fields.addWidget(label, i, 0, Qt.AlignmentFlag.AlignTop)
            self.fields.addWidget(text, i, 1)
        blocked = m.refund_blocked()
        form_open = self.refund_for == sale.sale_id and blocked is None
        if not form_open and self.refund_form.isVisible():
            self.close_refund()
        self.refund_start.setVisible(not form_open)
        self.print_receipt.setVisible(self.printing and not form_open)
        self.print_receipt.setEnabled(m.busy is None)
        self.refund_start.setEnabled(blocked is None and m.busy is None)
        self.refund_note.setVisible(True)
        self.refund_note.setText(blocked or f"Up to {sale.refundable.display()}; the manager PIN is asked.")
        self.refund_form.setVisible(form_open)
        self.refund_confirm.setEnabled(m.busy is None)
        self.refund_confirm.setText("Refunding…" if m.busy is Busy.REFUND else "Refund")
        self.refunds_title.setVisible(bool(d.refunds))
        self.refunds_list.setVisible(bool(d.refunds))
        self.refunds_list.setText("\n".join(d.refunds))
        self.close_form.setVisible(bool(d.closable))
        if d.closable:
            self.close_text.setText(
                f"Refund {d.closable[0]} is not confirmed and blocks further refunds. Once the provider has said "
                "that nothing was refunded, close it with a note."
            )
        self.close_confirm.setEnabled(m.busy is None)
        self.events_title.setVisible(True)
        self.events_list.setVisible(True)
        self.events_list.setText("\n".join(d.events) or "no events")
        return True


def button(text: str, name: str, accessible: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setAccessibleName(accessible)
    return button


def _section(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionTitle")
    return label


def _history() -> QLabel:
    label = QLabel()
    label.setObjectName("history")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


def set_property(widget: QWidget, name: str, value: object) -> None:
    if widget.property(name) != value:
        widget.setProperty(name, value)
        widget.style().unpolish(widget)
        widget.style().polish(widget)
