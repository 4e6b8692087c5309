"""CustomerDisplay: the customer's own window. Draws a CustomerDisplayModel; decides nothing itself.

Full screen and frameless on a screen other than the cashier's when there is one; with one screen, a normal
window on it ([display] mode = "window") or none ("auto", "off"): the decision is ``place`` in
app/screens/customer_display_model.py, fed ``QGuiApplication.screens()``. A screen plugged in or unplugged
(``screenAdded`` / ``screenRemoved``) places it again, so the display comes back on its screen by itself.

It never takes the keyboard from the counter (shown without activating, never focused). The QR is painted by
the counter's own QrWidget (integer module size, its 4-module white quiet zone) as large as the window allows;
amount and state in large type, each state in its colour and words (``COLOURS``: at least 4.5:1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics, QGuiApplication, QResizeEvent, QScreen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.config.settings import DisplayMode
from app.i18n import _
from app.screens.customer_display_model import CustomerDisplayModel, Look, Placement, ScreenBox, place

from .qr_widget import QrWidget

Screens = Callable[[], Sequence[QScreen]]


class CustomerDisplay(QWidget):
    """``anchor``: the cashier's window (the display goes on another screen); ``screens``: the screens to
    choose from (default ``QGuiApplication.screens``)."""

    def __init__(
        self,
        model: CustomerDisplayModel,
        mode: DisplayMode,
        *,
        anchor: QWidget | None = None,
        screens: Screens = QGuiApplication.screens,
    ):
        super().__init__(None, Qt.WindowType.Window)
        self.model = model
        self.mode = mode
        self.anchor = anchor
        self.screens = screens
        self.placement = Placement(False)
        self.setObjectName("customerDisplay")
        self.setWindowTitle(_("TillQR — customer display"))
        self.setAccessibleName(_("Customer display"))
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
        self.setWindowFlag(Qt.WindowType.WindowDoesNotAcceptFocus, True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._build()
        self._sheet = ""
        model.on_change(self.redraw)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._on_tick)  # the clock only: the countdown and the result's end
        self._tick.start()
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.screenAdded.connect(self._screen_added)
            app.screenRemoved.connect(self._screen_removed)
        self.redraw()

    # -- layout ----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.store = _label("cdStore")
        self.qr = QrWidget()
        self.qr.setMinimumSize(0, 0)
        self.qr.setAccessibleName(_("QR code to pay"))
        self.title = _label("cdTitle")
        self.amount = _label("cdAmount")
        self.countdown = _label("cdCountdown")
        self.detail = _label("cdDetail")
        self.detail.setWordWrap(True)
        self.title.setWordWrap(True)
        words = QVBoxLayout()
        words.setSpacing(12)
        words.addStretch(1)
        for label in (self.title, self.amount, self.countdown, self.detail):
            words.addWidget(label)
        words.addStretch(1)
        middle = QHBoxLayout()
        middle.setSpacing(24)
        middle.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignCenter)
        middle.addLayout(words, 1)
        root = QVBoxLayout(self)
        root.setContentsMargins(24, 16, 24, 16)
        root.setSpacing(8)
        root.addWidget(self.store)
        root.addLayout(middle, 1)

    # -- drawing -------------------------------------------------------------------------------------
    def redraw(self) -> None:
        look = self.model.look()
        self.store.setText(look.store_name)
        self.qr.set_payload(look.payload)
        self.qr.setVisible(look.payload is not None)
        self.title.setText(look.title)
        self.title.setVisible(bool(look.title))
        self.amount.setText(look.amount)
        self.amount.setVisible(bool(look.amount))
        self.detail.setText(look.detail)
        self.detail.setVisible(bool(look.detail))
        self.setProperty("face", look.face.value)
        self._show_countdown(look)
        centred = look.payload is None  # no code: the words take the middle of the screen
        align = Qt.AlignmentFlag.AlignCenter if centred else Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        for label in (self.title, self.amount, self.countdown, self.detail):
            label.setAlignment(align)
        self.store.setAlignment(Qt.AlignmentFlag.AlignCenter if centred else Qt.AlignmentFlag.AlignLeft)
        self._restyle(look)
        self._fit_code()

    def _show_countdown(self, look: Look) -> None:
        text = _("Time left {left}").format(left=look.countdown) if look.countdown else ""
        self.countdown.setText(text)
        self.countdown.setVisible(bool(text))
        self.countdown.setAccessibleDescription(text)

    def _on_tick(self) -> None:
        if not self.model.tick():  # a change of face redraws through on_change
            self._show_countdown(self.model.look())

    def _restyle(self, look: Look) -> None:
        """Colours for the face, type sizes for the window (its own sheet: beats the app's): 1% of the usable
        height a unit, the title and the amount shrunk where needed to fit the room beside the code."""
        unit = max(8, min(self.height(), self.width() * 2 // 3) // 100)
        result = look.face.value not in ("idle", "waiting")
        room = self._text_room(look)
        title = _fitted(self.title, look.title, unit * (14 if result else 7), room)
        amount = _fitted(self.amount, look.amount, unit * (8 if result else 11), room)
        background, text = look.colours
        sheet = (
            f"QWidget#customerDisplay {{ background: {background}; }}"
            f"QWidget#customerDisplay QLabel {{ color: {text}; background: transparent; }}"
            f"QLabel#cdStore {{ font-size: {unit * 5}px; font-weight: bold; }}"
            f"QLabel#cdTitle {{ font-size: {title}px; font-weight: bold; }}"
            f"QLabel#cdAmount {{ font-size: {amount}px; font-weight: bold; }}"
            f"QLabel#cdCountdown {{ font-size: {unit * 5}px; }}"
            f"QLabel#cdDetail {{ font-size: {unit * 4}px; }}"
        )
        if sheet != self._sheet:
            self._sheet = sheet
            self.setStyleSheet(sheet)

    def _code_side(self) -> int:
        """The code's side: the height under the store's name, at most 60% of the width (the amount's room)."""
        layout = self.layout()
        margins = layout.contentsMargins() if layout is not None else None
        vertical = margins.top() + margins.bottom() if margins is not None else 0
        return max(120, min(self.height() - vertical - self.store.sizeHint().height() - 16, self.width() * 3 // 5))

    def _text_room(self, look: Look) -> int:
        """The width the words have: beside the code, or the whole window without one."""
        layout = self.layout()
        margins = layout.contentsMargins() if layout is not None else None
        horizontal = margins.left() + margins.right() if margins is not None else 0
        beside = self._code_side() + 24 if look.payload is not None else 0
        return max(100, self.width() - horizontal - beside - 8)

    def _fit_code(self) -> None:
        """The code as large as the window allows (the layout settled at once, so a grab sees it in place)."""
        if not self.qr.isVisibleTo(self):
            return
        side = self._code_side()
        if self.qr.width() != side or self.qr.height() != side:
            self.qr.setFixedSize(side, side)
            layout = self.layout()
            if layout is not None:
                layout.activate()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._restyle(self.model.look())
        self._fit_code()

    # -- where the window goes -------------------------------------------------------------------
    def place_now(self, leaving: QScreen | None = None) -> Placement:
        """Place the window on the screens there are now (``leaving``: one being unplugged, left out)."""
        screens = [s for s in self.screens() if s is not leaving]
        boxes = [ScreenBox(s.name(), *_rect(s)) for s in screens]
        cashier = self.anchor.screen() if self.anchor is not None else None
        placement = place(self.mode, boxes, cashier.name() if cashier is not None and cashier is not leaving else None)
        self.placement = placement
        if not placement.shown:
            self.hide()
            return placement
        target = next(s for s in screens if s.name() == placement.screen)
        if placement.full_screen:
            if not self.windowFlags() & Qt.WindowType.FramelessWindowHint:
                self.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
            self.setScreen(target)
            self.setGeometry(*placement.geometry)
            self.setWindowState(Qt.WindowState.WindowFullScreen)  # not showFullScreen(): it activates
            self.show()
        else:
            if self.windowFlags() & Qt.WindowType.FramelessWindowHint:
                self.setWindowFlag(Qt.WindowType.FramelessWindowHint, False)
            self.setWindowState(Qt.WindowState.WindowNoState)
            self.setScreen(target)
            self.setGeometry(*placement.geometry)
            self.show()
        return placement

    def _screen_added(self, _screen: QScreen) -> None:
        self.place_now()

    def _screen_removed(self, screen: QScreen) -> None:
        self.place_now(leaving=screen)

    def close_for_good(self) -> None:
        """With the till's window: stop following the screens and close."""
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.screenAdded.disconnect(self._screen_added)
            app.screenRemoved.disconnect(self._screen_removed)
        self._tick.stop()
        self.close()


def _fitted(label: QLabel, text: str, size: int, room: int) -> int:
    """The largest bold pixel size up to ``size`` at which ``text`` fits ``room`` pixels (never clip an amount)."""
    font = QFont(label.font())
    font.setBold(True)
    while size > 12:
        font.setPixelSize(size)
        if QFontMetrics(font).horizontalAdvance(text) <= room:
            break
        size -= max(1, size // 20)
    return size


def _rect(screen: QScreen) -> tuple[int, int, int, int]:
    g = screen.geometry()
    return g.x(), g.y(), g.width(), g.height()


def _label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    return label


__all__ = ["CustomerDisplay"]
