"""QrPanel: the QR code with the sale's amount, reference, countdown and due-date breakdown beside or under it.

On a wide, short panel (800×480 kiosks) the caption goes beside the code so the
code keeps as much height as possible; otherwise under it.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QLabel, QVBoxLayout, QWidget

from app.i18n import _

from .qr_widget import QrWidget

WIDE = 1.45  # width / height above which the caption moves beside the code


class QrPanel(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("qrPanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.qr = QrWidget()
        self.amount = _label("saleAmount")
        self.reference = _label("saleReference")
        self.reference.setWordWrap(True)
        self.countdown = _label("countdown")
        self.details = _label("dueBreakdown")  # what a due-date charge costs today, line by line
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setVisible(False)
        caption = QWidget()
        column = QVBoxLayout(caption)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.amount)
        column.addWidget(self.reference)
        column.addWidget(self.countdown)
        column.addWidget(self.details)
        self.caption = caption
        self._layout = QBoxLayout(QBoxLayout.Direction.TopToBottom, self)
        self._layout.setContentsMargins(10, 6, 10, 6)
        self._layout.setSpacing(6)
        self._layout.addWidget(self.qr, 1)
        self._layout.addWidget(caption)

    def show_sale(self, payload: str | None, hint: str, amount: str, reference: str) -> None:
        self.qr.set_payload(payload)
        self.qr.set_hint(hint)
        self.amount.setText(amount)
        self.amount.setVisible(bool(amount))
        self.reference.setText(reference)
        self.reference.setVisible(bool(reference))
        self._fit_code()

    def show_details(self, lines: list[str]) -> None:
        """Line by line, the last one (the total) in bold."""
        rows = [html.escape(line) for line in lines]
        if rows:
            rows[-1] = f"<b>{rows[-1]}</b>"
        text = "<br>".join(rows)
        if text != self.details.text():
            self.details.setText(text)
            self.details.setAccessibleDescription("\n".join(lines))
        self.details.setVisible(bool(lines))
        self._fit_code()

    def _fit_code(self) -> None:
        """No code yet but a breakdown to read: the breakdown gets the room, not the hint."""
        self.qr.setVisible(self.qr.payload() is not None or not self.details.isVisibleTo(self))
        self._arrange()

    def details_text(self) -> str:
        """The breakdown as plain lines (for tests and accessibility)."""
        return self.details.accessibleDescription()

    def set_countdown(self, text: str, warning: str = "") -> None:
        """ "Expires in 4:59"; in the sale's last seconds the ``warning`` instead, marked (colour and words)."""
        self.countdown.setText(warning or (_("Expires in {left}").format(left=text) if text else ""))
        self.countdown.setVisible(bool(text or warning))
        self.countdown.setWordWrap(bool(warning))
        if self.countdown.property("warning") != bool(warning):
            self.countdown.setProperty("warning", bool(warning))
            pad = 6 if warning else 0  # margins, not the style's padding: word wrap counts them
            self.countdown.setContentsMargins(pad, pad // 3, pad, pad // 3)
            self.countdown.style().unpolish(self.countdown)
            self.countdown.style().polish(self.countdown)

    def add_caption_widget(self, widget: QWidget) -> None:
        """A widget under the caption's lines (the counter's "More time", beside the countdown it answers)."""
        layout = self.caption.layout()
        if layout is not None:
            layout.addWidget(widget)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._arrange()

    def _arrange(self) -> None:
        """Caption beside the code on a wide, short panel; under it otherwise, or when there is no code."""
        wide = self.width() > WIDE * self.height() and self.qr.isVisibleTo(self)
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self._layout.direction() != direction:
            self._layout.setDirection(direction)
            self.caption.setMaximumWidth(240 if wide else 16777215)
        align = (
            Qt.AlignmentFlag.AlignVCenter
            if wide
            else (Qt.AlignmentFlag(0) if self.qr.isVisibleTo(self) else Qt.AlignmentFlag.AlignTop)
        )
        item = self._layout.itemAt(1)
        if item is not None and item.alignment() != align:
            self._layout.setAlignment(self.caption, align)


def _label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    return label
