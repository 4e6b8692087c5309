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

from app.i18n import _
from app.screens.journal_filters import TONES, status_words
from app.screens.journal_model import JournalModel
from app.screens.operations import Busy

from .restyle import restyle


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
        self.back = button("", "journalBack", "")
        col.addWidget(self.back)
        self.detail_title = QLabel()
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
        self.refund_start = button("", "refundStart", "")
        self.print_receipt = button("", "printReceipt", "")
        self.printing = False  # the view sets it when it can print receipts
        self.refund_start.clicked.connect(self.open_refund)
        self.refund_amount = QLineEdit()
        self.refund_amount.setObjectName("refundField")
        self.refund_pin = QLineEdit()
        self.refund_pin.setObjectName("refundField")
        self.refund_pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.refund_pin.setMaxLength(8)
        self.refund_confirm = button("", "refundConfirm", "")
        self.refund_cancel = button("", "refundCancel", "")
        self.refund_form = QWidget()
        form = QGridLayout(self.refund_form)
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(6)
        form.setVerticalSpacing(4)
        self.refund_currency = QLabel()  # "Amount to refund (ARS)"
        self.refund_currency.setObjectName("fieldName")
        self.pin_label = pin_label = QLabel()
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

        self.refunds_title = _section()
        self.refunds_list = _history()
        col.addWidget(self.refunds_title)
        col.addWidget(self.refunds_list)
        self.close_form = self._close_form()
        col.addWidget(self.close_form)
        self.events_title = _section()
        self.events_list = _history()
        col.addWidget(self.events_title)
        col.addWidget(self.events_list)
        col.addStretch(1)

        self.setObjectName("detail")
        self.setWidgetResizable(True)
        self.setWidget(body)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.retranslate()

    def retranslate(self) -> None:
        """The panel's fixed words in the store's language (at start and after a switch; ``redraw`` the rest)."""
        self.setAccessibleName(_("Sale details"))
        for widget, text, accessible in (
            (self.back, _("← Back to the list"), _("Back to the list of sales")),
            (self.refund_start, _("Refund…"), _("Refund this sale, in full or in part")),
            (self.print_receipt, _("Print receipt"), _("Print this sale's receipt")),
            (self.refund_cancel, _("Cancel"), _("Close the refund form")),
            (self.refund_confirm, None, _("Refund the amount, with the manager PIN")),
            (self.close_confirm, _("Close refund"), _("Close the pending refund with the note")),
        ):
            if text is not None:
                widget.setText(text)
            widget.setAccessibleName(accessible)
        self.refund_amount.setAccessibleName(_("Amount to refund"))
        self.refund_amount.setPlaceholderText(_("Amount"))
        for pin in (self.refund_pin, self.close_pin):
            pin.setPlaceholderText(_("Manager PIN"))
            pin.setAccessibleName(_("Manager PIN"))
        self.pin_label.setText(_("Manager PIN"))
        self.close_note.setPlaceholderText(_("What the provider said"))
        self.close_note.setAccessibleName(_("Note: what the provider said about the refund"))
        self.refunds_title.setText(_("Refunds"))
        self.events_title.setText(_("History"))
        self.redraw()

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
        self.close_pin = QLineEdit()
        self.close_pin.setObjectName("refundField")
        self.close_pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.close_pin.setMaxLength(8)
        self.close_confirm = button("", "refundClose", "")
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
        currency = m.detail.sale.amount.currency
        self.refund_currency.setText(_("Amount to refund ({currency})").format(currency=currency))
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
            self.detail_title.setText(_("Select a sale to see its details, its history and to refund it."))
            restyle(self.detail_title, "tone", "")
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
        restyle(self.detail_title, "tone", TONES[sale.status])
        for i, (name, value) in enumerate(d.fields):
            label = QLabel(name)
            label.setObjectName("fieldName")
            text = QLabel(value)
            text.setObjectName("fieldId" if name in (_("Request id"), _("Sale id")) else "fieldValue")  # long: smaller
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
        up_to = _("Up to {amount}; the manager PIN is asked.").format(amount=sale.refundable.display())
        self.refund_note.setText(blocked or up_to)
        self.refund_form.setVisible(form_open)
        self.refund_confirm.setEnabled(m.busy is None)
        self.refund_confirm.setText(_("Refunding…") if m.busy is Busy.REFUND else _("Refund"))
        self.refunds_title.setVisible(bool(d.refunds))
        self.refunds_list.setVisible(bool(d.refunds))
        self.refunds_list.setText("\n".join(d.refunds))
        self.close_form.setVisible(bool(d.closable))
        if d.closable:
            self.close_text.setText(
                _(
                    "Refund {refund} is not confirmed and blocks further refunds. Once the provider has said "
                    "that nothing was refunded, close it with a note."
                ).format(refund=d.closable[0])
            )
        self.close_confirm.setEnabled(m.busy is None)
        self.events_title.setVisible(True)
        self.events_list.setVisible(True)
        self.events_list.setText("\n".join(d.events) or _("no events"))
        return True


def button(text: str, name: str, accessible: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setAccessibleName(accessible)
    return button


def _section() -> QLabel:
    label = QLabel()
    label.setObjectName("sectionTitle")
    return label


def _history() -> QLabel:
    label = QLabel()
    label.setObjectName("history")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label
