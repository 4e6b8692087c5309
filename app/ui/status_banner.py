"""StatusBanner: the big line that says what is happening, in words and colour (never colour alone)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.i18n import _
from app.screens.counter_model import Banner, Mode

from .a11y import announce

# The states a screen reader says at once, interrupting (the others wait for a pause).
_URGENT = {Mode.PAID, Mode.EXPIRED, Mode.FAILED}
# A symbol in front of the title, so the state reads even without colour vision.
_SYMBOL = {
    Mode.IDLE: "",
    Mode.WAITING: "…",
    Mode.PAID: "✔",
    Mode.EXPIRED: "◷",
    Mode.CANCELLED: "✖",
    Mode.FAILED: "⚠",
    Mode.REFUNDED: "↩",
}


class StatusBanner(QWidget):
    """Its ``mode`` property selects the colours in resources/style.qss. Every change of its words is announced to
    assistive technology (app/ui/a11y.py) and emitted as ``announced``."""

    announced = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAccessibleDescription(_("The sale's state in words; read out when it changes"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 8)
        layout.setSpacing(0)
        self.title = QLabel()
        self.title.setObjectName("bannerTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail = QLabel()
        self.detail.setObjectName("bannerDetail")
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setWordWrap(True)
        self.note = QLabel()  # what the cashier must act on: over-payment, money to give back
        self.note.setObjectName("bannerNote")
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setWordWrap(True)
        self.note.setVisible(False)
        keep = self.note.sizePolicy()
        keep.setRetainSizeWhenHidden(True)  # the banner keeps its height when a note comes or goes: no jump
        self.note.setSizePolicy(keep)
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        layout.addWidget(self.note)
        self._style: tuple[Mode, str] | None = None

    def set_compact(self, compact: bool) -> None:
        """On a short panel the banner gives up the line it keeps for a note that is not there (it grows when
        one comes); on a tall one it keeps it, so nothing jumps."""
        keep = self.note.sizePolicy()
        keep.setRetainSizeWhenHidden(not compact)
        self.note.setSizePolicy(keep)

    def show_banner(self, banner: Banner) -> None:
        symbol = _SYMBOL.get(banner.mode, "")
        text = banner.title if banner.mode is Mode.WAITING or not symbol else f"{symbol} {banner.title}"
        self.title.setText(text)
        self.detail.setText(banner.detail)
        self.note.setText(f"⚠ {banner.note}" if banner.note else "")
        self.note.setVisible(bool(banner.note))
        words = " ".join(f"{t}." for t in (banner.title, banner.detail, banner.note) if t)
        if announce(self, words, urgent=banner.mode in _URGENT):
            self.announced.emit(words)
        if (banner.mode, banner.flag) != self._style:
            self._style = (banner.mode, banner.flag)
            self.setProperty("mode", banner.mode.value)
            self.setProperty("flag", banner.flag)
            for widget in (self, self.title, self.detail, self.note):  # re-apply the style sheet
                widget.style().unpolish(widget)
                widget.style().polish(widget)

    def text(self) -> str:
        return " ".join(t for t in (self.title.text(), self.detail.text(), self.note.text()) if t)
