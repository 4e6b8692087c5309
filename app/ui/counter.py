"""CounterView: the counter screen. Renders a CounterModel; forwards keys, clicks and events to it.

Left: amount (keyboard or keypad), optional reference, Charge / Cancel; on
providers with due dates a "Due date" toggle whose section (app/ui/due_panel.py)
takes the keypad's place while open (the keyboard still types the amount).
Right: the status banner, the QR with amount, reference, countdown and any
due-date breakdown beside or under it, and in demo mode a "Simulate customer
payment" button.

Every provider call is an awaited coroutine on the qasync loop (``@asyncSlot``) that the
model runs through its operation runner (app/screens/operations.py), so the window keeps
painting while a request is in flight; the model disables what must not be pressed twice and
answers a second press (Enter, Esc) at once in words.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.domain.sale import Sale, SaleStatus
from app.i18n import _, on_language_changed
from app.receipts.desk import ReceiptDesk
from app.screens.counter_model import CounterModel
from app.screens.last_sales_model import LastSalesModel
from app.screens.operations import Busy
from app.screens.shift_model import print_receipt

from .a11y import describe, tab_order
from .amount_field import TYPED, AmountField
from .due_panel import DuePanel
from .elided_label import FittingNote
from .keypad import CLEAR, Keypad
from .last_sales_panel import LastSalesPanel
from .qr_panel import QrPanel
from .restyle import restyle
from .status_banner import StatusBanner

SHORT_PANEL = 600  # px of counter height under which the notes above the QR keep to one line (800×480, 1024×600)


class CounterView(QWidget):
    def __init__(self, model: CounterModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.receipts: ReceiptDesk | None = None  # set_receipts: a "Print receipt" button once a sale is paid
        self.last_sales: LastSalesPanel | None = None  # set_last_sales: the "Last sales" panel over the keypad
        self.setObjectName("counter")
        self._build()
        stop = model.on_change(self.redraw)  # the controller's events reach the model, not the view (app/ui/bridge.py)
        stop_words = on_language_changed(lambda _language: self.retranslate())  # a switch: the new words at once
        self.destroyed.connect(lambda *_args: (stop(), stop_words()))  # a press's task may end after the window is gone
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._render_countdown)  # the clock only; status comes from events
        self._tick.start()
        self.redraw()
        self.amount.setFocus()

    # -- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        m = self.model
        self.currency = QLabel(m.currency)
        self.currency.setObjectName("currency")
        self.amount = AmountField()
        self.clear = _button("clear")
        amount_row = QHBoxLayout()
        amount_row.addWidget(self.currency)
        amount_row.addWidget(self.amount, 1)
        amount_row.addWidget(self.clear)

        self.reference = QLineEdit()
        self.reference.setObjectName("reference")
        self.reference.setMaxLength(72)
        reference_row = QHBoxLayout()
        reference_row.addWidget(self.reference, 1)
        self.due_toggle: QPushButton | None = None
        self.due_panel: DuePanel | None = None
        if m.due is not None:
            self.due_toggle = _button("dueToggle")
            self.due_toggle.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
            self.due_toggle.setCheckable(True)
            self.due_toggle.toggled.connect(self._toggle_due)
            reference_row.addWidget(self.due_toggle)
            self.due_panel = DuePanel(m.due, m.placeholder)
            self.due_panel.submitted.connect(self.on_charge)
        self.keypad = Keypad(decimals=m.decimals)
        self.charge = _button("charge")
        self.cancel = _button("cancel")
        actions = QHBoxLayout()
        actions.setSpacing(10)
        actions.addWidget(self.charge, 3)
        actions.addWidget(self.cancel, 2)

        left = QVBoxLayout()
        left.setSpacing(10)
        left.addLayout(amount_row)
        left.addLayout(reference_row)
        left.addWidget(self.keypad, 1)
        if self.due_panel is not None:
            left.addWidget(self.due_panel, 1)
        left.addLayout(actions)

        self.standing = FittingNote()  # what holds until it changes: setup unfinished, the provider not answering
        self.standing.setObjectName("message")
        self.standing.setProperty("level", "warning")
        self.banner = StatusBanner()
        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.panel = QrPanel()
        self.qr = self.panel.qr
        self.simulate = _button("simulate")
        self.simulate.setVisible(m.demo and m.sandbox is not None)
        self.more_time = _button("moreTime")
        self.more_time.setVisible(False)
        self.more_time.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        self.panel.add_caption_widget(self.more_time)  # beside the countdown it answers

        right = self.right_column = QVBoxLayout()  # app/ui/cashier_view.py puts the cashier's bar on top
        right.setSpacing(8)
        right.addWidget(self.standing)
        right.addWidget(self.banner)
        right.addWidget(self.message)
        right.addWidget(self.panel, 1)
        self.print_receipt = _button("printReceipt")
        self.print_receipt.setVisible(False)
        self.show_last_sales = _button("lastSalesButton")
        self.show_last_sales.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.show_last_sales.setVisible(False)
        self._bottom = bottom = QHBoxLayout()  # one row: the demo's payment or the receipt, and the last sales
        bottom.setSpacing(8)
        bottom.addWidget(self.simulate, 1)
        bottom.addWidget(self.print_receipt, 1)
        bottom.addWidget(self.show_last_sales)
        right.addLayout(bottom)

        self._left = left
        root = self._root = QHBoxLayout(self)
        root.setContentsMargins(12, 10, 12, 10)
        root.setSpacing(14)
        root.addLayout(left, 2)
        root.addLayout(right, 3)

        keys = self.keypad.buttons.values()
        tab_order(
            self.amount, self.clear, self.reference, self.due_toggle, *keys, self.charge, self.cancel, self.more_time
        )
        tab_order(self.cancel, self.more_time, self.simulate, self.print_receipt, self.show_last_sales)
        self.amount.key_typed.connect(m.press)
        self.amount.pasted.connect(m.paste)
        self.keypad.key_pressed.connect(m.press)
        self.clear.clicked.connect(lambda: m.press(CLEAR))
        self.reference.textEdited.connect(m.set_reference)
        self.amount.submitted.connect(self.on_charge)
        self.reference.returnPressed.connect(self.on_charge)
        self.amount.escaped.connect(self.on_cancel)
        self.charge.clicked.connect(self.on_charge)
        self.cancel.clicked.connect(self.on_cancel)
        self.simulate.clicked.connect(self.on_simulate)
        self.print_receipt.clicked.connect(self.on_print_receipt)
        self.more_time.clicked.connect(self.on_more_time)
        self.retranslate()

    def retranslate(self) -> None:
        """The counter's fixed words in the language in force (at start and on a switch); the rest repaints."""
        _words(self.clear, _("Clear"), _("Clear the amount"))
        self.reference.setPlaceholderText(_("Reference (optional)"))
        describe(self.reference, _("Reference"), _("Optional: an order or table number, sent with the request"))
        self.amount.setAccessibleName(_("Amount"))
        if self.due_toggle is not None:
            _words(self.due_toggle, _("&Due date…"), _("Charge with a due date, fine, interest, discounts"))
        _words(
            self.simulate,
            _("Simulate customer payment (demo)"),
            _("Pay the code through the sandbox, as a customer's banking app would"),
        )
        _words(self.more_time, _("More time"), _("Give the customer more time: a new request, same amount"))
        _words(self.print_receipt, _("Print receipt"), _("Print the receipt of the paid sale"))
        _words(self.show_last_sales, _("Last sales"), _("The last sales of this till, to reprint"))
        self.keypad.retranslate()
        self.redraw()

    def set_receipts(self, desk: ReceiptDesk | None) -> None:
        """Where receipts are printed; the button shows after a paid sale when a printer (or PDF) is set up."""
        self.receipts = desk
        self.redraw()

    def set_last_sales(self, model: LastSalesModel | None) -> None:
        """The "Last sales" button and its panel (over the keypad), read again whenever the counter's sale ends."""
        if model is None or self.last_sales is not None:
            return
        self.last_sales = LastSalesPanel(model, self)
        self.last_sales.hide()
        self.show_last_sales.setVisible(True)
        self.show_last_sales.clicked.connect(self._open_last_sales)
        self.last_sales.closed.connect(self.amount.setFocus)
        self.model.on_sale_ended(self._sale_ended)

    def _sale_ended(self, _sale: Sale) -> None:
        if self.last_sales is not None:
            self.last_sales.refresh()

    def touch_targets(self) -> list[QPushButton]:
        """The buttons a finger presses (the window sizes them for its screen: at least 9 mm)."""
        buttons = [*self.keypad.buttons.values(), self.clear, self.charge, self.cancel, self.simulate]
        buttons += [self.more_time, self.show_last_sales, self.print_receipt]
        if self.last_sales is not None:
            buttons.append(self.last_sales.close_button)
        return buttons + ([self.due_toggle] if self.due_toggle is not None else [])

    # -- commands (awaited on the qasync loop; the model catches and words every failure) ----
    @asyncSlot()
    async def on_charge(self) -> None:
        await self.model.charge()
        self.amount.setFocus()

    @asyncSlot()
    async def on_cancel(self) -> None:
        await self.model.cancel()

    @asyncSlot()
    async def on_simulate(self) -> None:
        await self.model.simulate_payment()

    @asyncSlot()
    async def on_more_time(self) -> None:
        await self.model.more_time()

    def _open_last_sales(self) -> None:
        if self.last_sales is not None:
            self._place_last_sales()
            self.last_sales.open_panel()

    def _place_last_sales(self) -> None:
        if self.last_sales is not None:
            self.last_sales.setGeometry(self._left.geometry())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._place_last_sales()
        short = self.height() < SHORT_PANEL  # the notes keep to a line each: the room goes to the QR
        self.standing.set_compact(short)
        self.banner.set_compact(short)

    @asyncSlot()
    async def on_print_receipt(self) -> None:
        if self.receipts is not None and self.model.sale is not None:
            await print_receipt(self.model.ops, self.receipts, self.model.sale.sale_id)

    def _toggle_due(self, on: bool) -> None:
        self.model.toggle_due(on)
        if on and self.due_panel is not None:
            self.due_panel.first_field().setFocus()
        else:
            self.amount.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - keys a focused button or field left unused
        """Esc cancels; Enter presses the focused button; digits and Backspace on a button still reach the amount."""
        focused = self.focusWidget()
        if event.key() == Qt.Key.Key_Escape:
            self.on_cancel()
            event.accept()
        elif isinstance(focused, QPushButton) and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            focused.animateClick()
        elif focused is not self.amount and (event.key() == Qt.Key.Key_Backspace or event.text() in TYPED | {"\r"}):
            self.amount.keyPressEvent(event)
        else:
            super().keyPressEvent(event)

    # -- rendering ------------------------------------------------------------------------
    def redraw(self) -> None:
        m = self.model
        self.amount.show_amount(m.amount_text)
        restyle(self.amount, "empty", "false" if m.entry else "true")
        locked = m.entry_locked
        self.keypad.setEnabled(not locked)
        editing_due = m.show_due_form
        self.keypad.setVisible(not editing_due)
        lines, problems = m.due_lines
        if self.due_panel is not None and self.due_toggle is not None:
            self.due_panel.setVisible(editing_due)
            self.due_panel.redraw(problems, locked)
            self._root.setStretch(0, 1 if editing_due else 2)  # the form's rows need the room; no QR yet
            self._root.setStretch(1, 1 if editing_due else 3)
            if self.due_toggle.isChecked() != m.due_open:
                self.due_toggle.setChecked(m.due_open)
            self.due_toggle.setEnabled(not locked)
        self.panel.show_details(lines)
        self.clear.setEnabled(not locked and bool(m.entry))
        self.reference.setEnabled(not locked)
        if self.reference.text() != m.reference:
            self.reference.setText(m.reference)
        self.charge.setEnabled(m.can_charge)
        _words(self.charge, _("Charging…") if m.busy is Busy.CHARGE else _("Charge"), _("Charge the amount"))
        self.cancel.setEnabled(m.can_cancel)
        _words(self.cancel, _("Cancelling…") if m.busy is Busy.CANCEL else _("Cancel"), _("Cancel the open sale"))
        self.simulate.setEnabled(m.can_simulate)
        paid = m.sale is not None and m.sale.status is SaleStatus.SETTLED
        self.print_receipt.setVisible(paid and self.receipts is not None and self.receipts.can_print)
        self.simulate.setVisible(m.demo and m.sandbox is not None and not self.print_receipt.isVisibleTo(self))
        self.print_receipt.setEnabled(m.busy is None)
        self.banner.show_banner(m.banner)
        self.panel.show_sale(m.qr_payload, m.panel_hint, *m.sale_caption)
        self.message.setText(m.message)
        self.message.setVisible(bool(m.message))
        self.standing.set_note(m.standing)
        self.standing.setVisible(bool(m.standing))
        restyle(self.message, "level", m.message_level)
        self._render_countdown()

    def _render_countdown(self) -> None:
        warning = self.model.expiry_warning()
        self.panel.set_countdown(self.model.countdown(), warning)
        self.more_time.setVisible(bool(warning) and self.model.can_more_time)


def _button(name: str) -> QPushButton:
    """A button of the counter (its words: ``_words``); reached by Tab, never by a click (a press leaves the
    keyboard with the amount field)."""
    button = QPushButton()
    button.setObjectName(name)
    button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return button


def _words(button: QPushButton, text: str, accessible: str) -> None:
    """Named as it reads (WCAG's label in name), ``accessible`` its description."""
    if button.text() != text:
        button.setText(text)
    describe(button, text.replace("&", "").rstrip("…"), accessible)
