"""LastSalesPanel: the till's last sales at a glance, over the counter's keypad, each paid one with "Reprint".

It draws a LastSalesModel (app/screens/last_sales_model.py) and forwards "Reprint" and "Close" to it. The counter
places it over its left column (the keypad is not needed while the list is read, and the QR on the right stays in
the customer's sight); two lines a sale ("14:05 · BRL 12.50" / "Paid · table 4") so it fits a 310 px column of an
800×480 panel, scrolled when the screen is shorter than the list.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy, QVBoxLayout, QWidget
from qasync import asyncSlot

from app.i18n import _
from app.screens.last_sales_model import LastSalesModel, SaleLine

from .kiosk import TOUCH_PX, fit_for_touch


class LastSalesPanel(QFrame):
    closed = Signal()

    def __init__(self, model: LastSalesModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.setObjectName("lastSales")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        title = QLabel(_("Last sales"))
        title.setObjectName("lastSalesTitle")
        self.close_button = QPushButton(_("Close"))
        self.close_button.setObjectName("lastSalesClose")
        self.close_button.setAccessibleName(_("Close the last sales"))
        self.close_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.close_button.clicked.connect(self.hide_panel)
        head = QHBoxLayout()
        head.addWidget(title, 1)
        head.addWidget(self.close_button)
        self.rows = QWidget()
        self.rows.setObjectName("lastSalesRows")
        self._rows = QVBoxLayout(self.rows)
        self._rows.setContentsMargins(0, 0, 0, 0)
        self._rows.setSpacing(4)
        scroll = QScrollArea()
        scroll.setObjectName("lastSalesScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.rows)
        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        column = QVBoxLayout(self)
        column.setContentsMargins(8, 6, 8, 8)
        column.setSpacing(6)
        column.addLayout(head)
        column.addWidget(scroll, 1)
        column.addWidget(self.message)
        self.reprint_buttons: dict[str, QPushButton] = {}
        model.on_change(self.redraw)
        self.redraw()

    # -- commands ----------------------------------------------------------------------------
    @asyncSlot()
    async def open_panel(self) -> None:
        self.show()
        self.raise_()
        await self.model.load()

    def hide_panel(self) -> None:
        self.hide()
        self.closed.emit()

    @asyncSlot()
    async def refresh(self) -> None:
        """A sale ended: read the list again if it is on screen (it is read anyway when it opens)."""
        if self.isVisible():
            await self.model.load()

    @asyncSlot(str)
    async def reprint(self, sale_id: str) -> None:
        await self.model.reprint(sale_id)

    # -- rendering ----------------------------------------------------------------------------
    def redraw(self) -> None:
        m = self.model
        while self._rows.count():
            item = self._rows.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.reprint_buttons = {}
        for line in m.lines:
            self._rows.addWidget(self._row(line))
        if m.empty_text:
            empty = QLabel(m.empty_text)
            empty.setObjectName("lastSalesEmpty")
            self._rows.addWidget(empty)
        self._rows.addStretch(1)
        self.message.setText(m.message)
        self.message.setVisible(bool(m.message))
        self.message.setProperty("level", m.message_level)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)

    def _row(self, line: SaleLine) -> QWidget:
        row = QFrame()
        row.setObjectName("lastSale")
        row.setProperty("paid", "true" if line.can_reprint else "false")
        words = QLabel(
            f"<b>{line.time} · {line.amount}</b><br>{' · '.join(filter(None, [line.status, line.reference]))}"
        )
        words.setObjectName("lastSaleWords")
        words.setTextFormat(Qt.TextFormat.RichText)
        words.setAccessibleName(f"{line.time}, {line.amount}, {line.status}")
        layout = QHBoxLayout(row)
        layout.setContentsMargins(6, 2, 4, 2)
        layout.addWidget(words, 1)
        if line.can_reprint:
            button = QPushButton(_("Reprint"))
            button.setObjectName("reprint")
            button.setAccessibleName(
                _("Reprint the receipt of {amount} at {time}").format(amount=line.amount, time=line.time)
            )
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
            px = self.close_button.property(TOUCH_PX)  # the window sized Close for a finger on this screen
            if isinstance(px, int):
                fit_for_touch(px, button)
            button.setEnabled(self.model.can_reprint)
            button.clicked.connect(lambda _checked=False, sale_id=line.sale_id: self.reprint(sale_id))
            layout.addWidget(button)
            self.reprint_buttons[line.sale_id] = button
        return row
