"""MainWindow: a header (store name, demo mark, Counter / Journal / Settings / Field) over a stack of pages.

The counter is the home page. Pages added with ``guarded=True`` (Journal, Settings) ask for the
manager PIN first (app/ui/pin_dialog.py, opened window-modal with ``open()``, so the asyncio loop
never stops); they lock again whenever the counter is shown. With no PIN set yet (first run), Settings
opens as it is and asks for a PIN before it saves anything; a page added with ``needs_pin=True`` (the
Journal) does not open at all until a PIN exists: Settings opens instead, saying so. Shortcuts:
F1 / Ctrl+1 counter, F2 / Ctrl+2 journal, F3 / Ctrl+3 settings, F4 / Ctrl+4 the field agent's
screen (a mode the user picks, as the counter is the cashier's: no PIN). ``closers``: what a page
opened of its own (the Field page's field book), closed by ``aclose_pages`` when the app ends.

Kiosk mode (``kiosk=True``, app/screens/kiosk_model.py holds its rules): full screen and frameless
(``show_on_screen``), the window manager's close refused, back to full screen when taken out of it.
The header's Exit button and Ctrl+Q are the manager's way out in both modes: the PIN when one is
set, then (kiosk mode) leave full screen or quit. The app's own closes go through ``close_for_good``.
The PIN dialog, kiosk mode and the way out are app/ui/manager_window.py's (ManagerWindow, the base class).
Buttons are at least 9 mm on the window's screen (``touch_dpi`` overrides the screen's density).

The window holds no business rules and no reference to the runtime; whoever composes it
(app/ui/app.py) adds the pages and hands it the PinGate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.config.pin import PinGate
from app.i18n import LazyText, _, lazy_, on_language_changed
from app.screens.kiosk_model import CloseVerdict

from .a11y import describe
from .elided_label import ElidedLabel
from .kiosk import PageStack, fit_for_touch, refit_touch
from .manager_window import ManagerWindow
from .qss import local

if TYPE_CHECKING:
    from .counter import CounterView
    from .settings_view import SettingsView

IDLE_LOCK_S = 180  # seconds a manager's page stays unlocked without any input
_INPUT = (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.Wheel)
COMPACT_BELOW = 620  # window height (px) under which the compact style applies (800x480 kiosks)

NAV_STYLE = """
QPushButton#nav { background: #323f4b; color: #ffffff; border: 2px solid #52606d; border-radius: 6px;
                  padding: 2px 14px; font-size: 17px; font-weight: bold; min-height: 30px; }
QPushButton#nav:checked { background: #ffffff; color: #1f2933; border-color: #ffffff; }
QPushButton#exit { background: #1f2933; color: #ffffff; border: 2px solid #9aa5b1; border-radius: 6px;
                   padding: 2px 12px; font-size: 17px; }
"""
DEMO_MARK, DEMO_MARK_SHORT = lazy_("DEMO — sandbox"), lazy_("DEMO")
NARROW_BELOW = 1000  # window width (px) under which the header takes its short words (800-px kiosks)


class MainWindow(ManagerWindow):
    closed = Signal()
    page_changed = Signal(str)

    def __init__(
        self,
        counter: CounterView,
        *,
        store_name: str,
        demo: bool,
        mode_text: str = "",
        gate: PinGate | None = None,
        kiosk: bool = False,
        touch_dpi: float | None = None,
    ):
        super().__init__(gate=gate, kiosk=kiosk, touch_dpi=touch_dpi)
        self.setWindowTitle(f"TillQR — {store_name}" + (f" — {DEMO_MARK_SHORT}" if demo else ""))
        self.setMinimumSize(760, 420)
        self.resize(1280, 800)

        header = QWidget()
        header.setObjectName("header")
        header.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        header.setStyleSheet(local(NAV_STYLE))
        row = QHBoxLayout(header)
        row.setContentsMargins(14, 6, 14, 6)
        self.store_label = ElidedLabel(store_name)
        self.store_label.setObjectName("storeName")
        self.store_label.setToolTip(store_name)
        self.store_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # clipped, not wider
        row.addWidget(self.store_label, 1)
        self.demo_mark: QLabel | None = None
        if demo:
            self.demo_mark = QLabel(str(DEMO_MARK))
            self.demo_mark.setObjectName("demoMark")
            self.demo_mark.setToolTip(mode_text or _("Demo mode: payments are simulated, no money moves"))
            self.demo_mark.setAccessibleName(_("Demo mode: sandbox, no real payments"))
            row.addWidget(self.demo_mark)
        self.nav_row = QHBoxLayout()
        self.nav_row.setSpacing(6)
        row.addLayout(self.nav_row)
        self.exit_button = QPushButton(_("Exit"))
        self.exit_button.setObjectName("exit")
        self.exit_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.exit_button.setToolTip(_("Leave kiosk mode or quit TillQR (Ctrl+Q) — manager PIN"))
        self.exit_button.setAccessibleName(_("Exit: leave kiosk mode or quit, with the manager PIN"))
        self.exit_button.clicked.connect(self.request_exit)
        row.addWidget(self.exit_button)
        QShortcut(QKeySequence("Ctrl+Q"), self).activated.connect(self.request_exit)
        fit_for_touch(self.touch, self.exit_button)

        self.stack = PageStack()
        page = QWidget()
        page.setObjectName("page")
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(header)
        column.addWidget(self.stack, 1)
        self.setCentralWidget(page)
        self.counter = counter
        self.settings: SettingsView | None = None  # the Settings page, once built (app.ui.app.compose)
        self.pages: dict[str, QWidget] = {}
        self._builders: dict[str, Callable[[], QWidget]] = {}  # pages built when first shown
        self.guarded: set[str] = set()
        self.needs_pin: set[str] = set()  # pages that open only once a manager PIN exists
        self.nav: dict[str, QPushButton] = {}
        self._titles: dict[str, str | LazyText] = {}  # each page's button words (lazy: a switch re-reads them)
        stop_words = on_language_changed(lambda _language: self.retranslate())
        self.destroyed.connect(lambda *_args: stop_words())
        self._compact: bool | None = None
        self.closers: list[Callable[[], Awaitable[None]]] = []
        self.customer_display: QWidget | None = None  # the customer's window, when shown (app.ui.app.compose)
        # Cashiers by name (app/ui/cashier_view.py): True while the counter waits for a cashier to sign in;
        # the counter page then shows the "signin" page in its place.
        self.sign_in_needed: Callable[[], bool] | None = None
        self.add_page("counter", lazy_("Counter"), counter)
        fit_for_touch(self.touch, *counter.touch_targets())
        # A manager's page left open goes back to the counter (and locks) after IDLE_LOCK_S without input.
        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.setInterval(IDLE_LOCK_S * 1000)
        self.idle.timeout.connect(self._idle_lock)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    # -- pages -------------------------------------------------------------------------
    def add_page(
        self,
        name: str,
        title: str | LazyText,
        widget: QWidget | Callable[[], QWidget],
        *,
        guarded: bool = False,
        needs_pin: bool = False,
    ) -> None:
        """``widget``, or a function that builds it when the page is first shown (the counter starts sooner);
        ``needs_pin``: the page stays shut until a manager PIN is set (Settings opens instead)."""
        if isinstance(widget, QWidget):
            self.pages[name] = widget
            self.stack.addWidget(widget)
        else:
            self._builders[name] = widget
        if guarded:
            self.guarded.add(name)
        if needs_pin:
            self.needs_pin.add(name)
        n = len(self.nav) + 1
        button = QPushButton(str(title))
        button.setObjectName("nav")
        button.setCheckable(True)
        button.setChecked(name == self.current_page())
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the counter's amount field keeps the keyboard
        if guarded:
            button.setToolTip(_("{page} (F{n} or Ctrl+{n}) — manager PIN").format(page=title, n=n))
            opens = _("Opens the {page} page; key F{n} or Ctrl+{n}, manager PIN").format(page=title, n=n)
        else:
            button.setToolTip(_("{page} (F{n} or Ctrl+{n})").format(page=title, n=n))
            opens = _("Opens the {page} page; key F{n} or Ctrl+{n}").format(page=title, n=n)
        describe(button, _("{page} page").format(page=title), opens)
        button.clicked.connect(lambda: self.request_page(name))
        fit_for_touch(self.touch, button)
        self.nav[name] = button
        self._titles[name] = title
        self.nav_row.addWidget(button)
        for keys in (f"F{n}", f"Ctrl+{n}"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(lambda: self.request_page(name))

    def add_screen(self, name: str, widget: QWidget) -> None:
        """A page with no navigation button of its own (the cashiers' sign-in, shown in the counter's place)."""
        self.pages[name] = widget
        self.stack.addWidget(widget)

    def page(self, name: str) -> QWidget:
        """Page ``name``, built now if it was added as a builder and is shown for the first time."""
        if name not in self.pages:
            self.pages[name] = self._builders.pop(name)()
            self.stack.addWidget(self.pages[name])
        return self.pages[name]

    def retranslate(self) -> None:
        """The header's words in the language in force (after a switch); the pages word themselves."""
        for name, button in self.nav.items():
            button.setText(str(self._titles[name]))
        self.exit_button.setText(_("Exit"))
        if self.demo_mark is not None:
            self.demo_mark.setText(str(DEMO_MARK if self.width() >= NARROW_BELOW else DEMO_MARK_SHORT))

    def current_page(self) -> str:
        current = self.stack.currentWidget()
        return next((n for n, w in self.pages.items() if w is current), "counter")

    def request_page(self, name: str) -> None:
        """Show page ``name``, asking for the manager PIN first when it is guarded and locked."""
        if name not in self.pages and name not in self._builders:
            return
        if name in self.needs_pin and not self.gate.configured:
            self._pin_first(name)
            return
        if name in self.guarded and not self.unlocked and self.gate.configured:
            self._sync_nav()
            title = self.nav[name].text() if name in self.nav else name
            self.ask_pin(lambda: self.show_page(name), purpose=_("Manager PIN to open {page}").format(page=title))
            return
        self.show_page(name)

    def _pin_first(self, name: str) -> None:
        """Page ``name`` asked for before any manager PIN exists: Settings, where the PIN is set, instead."""
        title = self.nav[name].text() if name in self.nav else name
        if "settings" in self.pages or "settings" in self._builders:
            self.show_page("settings")
        else:
            self._sync_nav()
        if self.settings is not None:
            self.settings.show_outcome(
                False, _("Set a manager PIN first: the {page} opens once one is saved.").format(page=title)
            )

    def _idle_lock(self) -> None:
        if self.current_page() in self.guarded and self.pin_dialog is None:
            self.show_page("counter")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() in _INPUT and self.idle.isActive():
            self.idle.start()  # any key, click or touch on a manager's page: still in use
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and self.kiosk.kiosk:
            chord = QKeySequence(event.keyCombination()).toString(QKeySequence.SequenceFormat.PortableText)
            return self.kiosk.swallows(chord)  # Alt+F4 and the like do nothing in kiosk mode
        return False

    def show_page(self, name: str) -> None:
        """Switch without asking (after the PIN, or at start-up with a broken configuration)."""
        if name == "counter" and self.sign_in_needed is not None and self.sign_in_needed() and "signin" in self.pages:
            name = "signin"  # the counter is the signed-in cashier's
        if name in self.guarded:
            self.unlocked = True
            self.idle.start()
        else:
            self.idle.stop()
        if name in ("counter", "signin"):
            self.unlocked = False  # back at the counter: the manager's pages lock again
        self.stack.setCurrentWidget(self.page(name))
        self._sync_nav()
        if name in ("counter", "signin"):
            self.page(name).setFocus()
        self.page_changed.emit(name)

    def _sync_nav(self) -> None:
        current = "counter" if self.current_page() == "signin" else self.current_page()
        for n, button in self.nav.items():
            button.setChecked(n == current)

    # -- Qt ----------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if self.demo_mark is not None:  # the long words where there is room for them
            self.demo_mark.setText(str(DEMO_MARK if event.size().width() >= NARROW_BELOW else DEMO_MARK_SHORT))
        if self.pin_dialog is not None:  # e.g. asked at start-up, before the window was maximised
            QTimer.singleShot(0, self._refit_pin_dialog)
        compact = event.size().height() < COMPACT_BELOW
        if compact != self._compact:
            self._compact = compact
            page = self.centralWidget()
            if page is None:
                return
            page.setProperty("compact", "true" if compact else "false")  # strings: QSS matches them
            for widget in [page, *page.findChildren(QWidget)]:  # re-apply the style sheet's [compact] rules
                if widget.objectName() == "settings":
                    widget.setProperty("compact", "true" if compact else "false")
                widget.style().unpolish(widget)
                widget.style().polish(widget)
            refit_touch(page)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        refit_touch(self)  # after the style sheet's first polish
        if self.pin_dialog is not None:
            QTimer.singleShot(0, self._refit_pin_dialog)

    async def aclose_pages(self) -> None:
        """Close what the pages opened of their own (each once; one failing does not stop the others)."""
        closers, self.closers = self.closers, []
        await asyncio.gather(*(close() for close in closers), return_exceptions=True)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.kiosk.close_verdict() is CloseVerdict.REFUSE:
            event.ignore()  # kiosk mode: only the manager's Exit (or the app itself) closes the till
            return
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.closed.emit()
        super().closeEvent(event)
