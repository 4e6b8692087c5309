"""QrWidget: paints a payload's QR matrix crisply at any size.

Integer pixels per module, centred, a white quiet zone of 4 modules, no
antialiasing: what a phone camera needs. The matrix is segno's own (app.qr.render),
painted straight from its rows, one rectangle a run of dark modules: no image in
between. The widget holds no rules beyond painting.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.i18n import _, ngettext
from app.qr.render import QrMatrix, qr_matrix
from app.ui.print_paint import paint_modules

QUIET_ZONE = 4  # modules of white around the symbol (ISO/IEC 18004)


class QrWidget(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._payload: str | None = None
        self._matrix: QrMatrix = ()
        self._hint = ""
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setMinimumSize(120, 120)  # smaller than its room on a short panel would be cut, not shrunk
        self._say()
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)

    # -- content -------------------------------------------------------------------------
    def payload(self) -> str | None:
        return self._payload

    def set_payload(self, payload: str | None) -> None:
        if payload == self._payload:
            return
        self._payload = payload or None
        self._matrix = qr_matrix(payload) if payload else ()
        self._say()
        self.update()

    def _say(self) -> None:
        """Its accessible name and description, in the language in force."""
        self.setAccessibleName(_("Payment QR code"))
        n = len(self._matrix)
        self.setAccessibleDescription(
            ngettext("QR code, {n} module", "QR code, {n} modules", n).format(n=n) if n else _("no code")
        )

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.LanguageChange:  # Qt's catalogue changed with the store's language
            self._say()
        super().changeEvent(event)

    def set_hint(self, text: str) -> None:
        """Words painted in place of the code while there is none."""
        if text != self._hint:
            self._hint = text
            self.update()

    def modules(self) -> int:
        """Modules a side including the quiet zone (0 when empty)."""
        return len(self._matrix) + 2 * QUIET_ZONE if self._matrix else 0

    def symbol_rect(self) -> QRect:
        """Where the code (quiet zone included) is painted: square, integer module size, centred."""
        n = self.modules()
        if not n:
            return QRect()
        module = max(1, min(self.width(), self.height()) // n)
        side = module * n
        return QRect((self.width() - side) // 2, (self.height() - side) // 2, side, side)

    # -- geometry ------------------------------------------------------------------------
    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt API
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return width

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(360, 360)

    # -- painting ------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        if not self._matrix:
            self._paint_hint()
            return
        rect = self.symbol_rect()
        module = rect.width() // self.modules()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.fillRect(rect, QColor("white"))
        paint_modules(
            painter, self._matrix, rect.left() + QUIET_ZONE * module, rect.top() + QUIET_ZONE * module, module
        )
        painter.end()

    def _paint_hint(self) -> None:
        if not self._hint:
            return
        painter = QPainter(self)
        painter.setPen(QColor("#52606d"))
        font = painter.font()
        font.setPixelSize(max(14, min(26, self.height() // 14)))
        painter.setFont(font)
        box = self.rect().adjusted(20, 20, -20, -20)
        painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), self._hint)
        painter.end()
