"""ManagerWindow: the manager's side of the till's main window, which app/ui/main_window.py's MainWindow builds on.

- the manager PIN dialog (``ask_pin``; app/ui/pin_dialog.py, window-modal and opened with ``open()``, so the
  asyncio loop never stops), refitted when the window's size changes;
- kiosk mode (app/screens/kiosk_model.py holds its rules): full screen and frameless (``show_on_screen``),
  back to full screen when taken out of it;
- the manager's way out (``request_exit``: the header's Exit button and Ctrl+Q): the PIN when one is set,
  then (kiosk mode) leave full screen or quit; the app's own closes go through ``close_for_good``.

The subclass lays out the window and sets ``stack`` (the pages, where the PIN dialog is anchored).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import QMainWindow

from app.config.pin import PinGate
from app.i18n import _
from app.screens.kiosk_model import ExitChoice, KioskModel
from app.screens.touch import touch_px

from .kiosk import ExitDialog, PageStack, screen_touch_px
from .pin_dialog import PinDialog


class ManagerWindow(QMainWindow):
    """``gate``: the manager PIN; ``kiosk``: full screen, frameless, left only past the PIN;
    ``touch_dpi`` overrides the screen's density for the 9 mm buttons."""

    stack: PageStack  # set by the subclass's layout

    def __init__(self, *, gate: PinGate | None, kiosk: bool, touch_dpi: float | None):
        super().__init__()
        self.gate = gate or PinGate(None)
        self.kiosk = KioskModel(kiosk=kiosk, pin_set=lambda: self.gate.configured)
        self.touch = touch_px(touch_dpi) if touch_dpi is not None else screen_touch_px(self)  # 9 mm, in px
        self.exit_dialog: ExitDialog | None = None
        self.pin_dialog: PinDialog | None = None
        self.unlocked = False  # the manager's pages are open (past the PIN)

    # -- the manager PIN -------------------------------------------------------------------
    def ask_pin(self, then: Callable[[], object], purpose: str = "", *, unlock: bool = True) -> PinDialog:
        """The PIN dialog; ``then`` once the gate said yes (``unlock``: the manager's pages open too)."""
        purpose = purpose or _("Manager PIN to open this page")
        dialog = PinDialog(self.gate, purpose=purpose, parent=self, anchor=self.stack, touch=self.touch)

        def unlocked() -> None:
            if unlock:
                self.unlocked = True
            then()

        dialog.accepted.connect(unlocked)
        dialog.finished.connect(lambda _code: setattr(self, "pin_dialog", None))
        self.pin_dialog = dialog
        dialog.open()
        return dialog

    def _refit_pin_dialog(self) -> None:
        if self.pin_dialog is not None:
            self.pin_dialog.fit()

    # -- kiosk mode and the manager's exit ---------------------------------------------------
    def show_on_screen(self) -> None:
        """Full screen and frameless in kiosk mode; else 1280×800, maximised on a smaller screen."""
        if self.kiosk.kiosk:
            self.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
            self.showFullScreen()
            return
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is not None and (screen.width() < 1280 or screen.height() < 800):
            self.showMaximized()
        else:
            self.show()

    def request_exit(self) -> None:
        """The Exit button and Ctrl+Q: the manager PIN when one is set, then the kiosk model's choices."""
        if self.pin_dialog is not None or self.exit_dialog is not None:
            return
        if self.kiosk.exit_needs_pin():
            self.ask_pin(self._offer_exit, purpose=self.kiosk.exit_purpose(), unlock=False)
        else:
            self._offer_exit()

    def _offer_exit(self) -> None:
        choices = self.kiosk.exit_choices()
        if len(choices) == 1:
            self.exit_with(choices[0])
            return
        dialog = ExitDialog(choices, touch=self.touch, parent=self)
        dialog.chosen.connect(self.exit_with)
        dialog.finished.connect(lambda _code: setattr(self, "exit_dialog", None))
        self.exit_dialog = dialog
        dialog.open()

    def exit_with(self, choice: ExitChoice) -> None:
        """Do what the manager chose (past the PIN)."""
        self.kiosk.choose(choice)
        if choice is ExitChoice.LEAVE_KIOSK:
            self.setWindowFlag(Qt.WindowType.FramelessWindowHint, False)
            self.showNormal()
            self.show_on_screen()
        elif choice is ExitChoice.QUIT:
            self.close()

    def close_for_good(self) -> None:
        """The app closes its own window (a restart, a smoke run): never refused, even in kiosk mode."""
        self.kiosk.release()
        self.close()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        super().changeEvent(event)
        if event.type() == QEvent.Type.WindowStateChange and self.kiosk.keeps_full_screen() and self.isVisible():
            if not self.isFullScreen():
                QTimer.singleShot(0, self._back_to_full_screen)

    def _back_to_full_screen(self) -> None:
        if self.kiosk.keeps_full_screen() and not self.isFullScreen():
            self.showFullScreen()
