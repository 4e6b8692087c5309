"""QrPanel: the QR code with the sale's amount, reference and countdown beside or under it.

On a wide, short panel (800×480 kiosks) the caption goes beside the code so the
code keeps as much height as possible; otherwise under it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QLabel, QVBoxLayout, QWidget

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
        caption = QWidget()
        column = QVBoxLayout(caption)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.amount)
        column.addWidget(self.reference)
        column.addWidget(self.countdown)
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
        self.reference.setText(reference)
        self.reference.setVisible(bool(reference))

    def set_countdown(self, text: str) -> None:
        self.countdown.setText(f"Expires in {text}" if text else "")

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        size = event.size()
        wide = size.width() > WIDE * size.height()
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self._layout.direction() != direction:
            self._layout.setDirection(direction)
            self.caption.setMaximumWidth(240 if wide else 16777215)
            self._layout.setAlignment(self.caption, Qt.AlignmentFlag.AlignVCenter if wide else Qt.AlignmentFlag(0))


def _label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    return label
