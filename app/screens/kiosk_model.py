"""The kiosk's rules without Qt: may the window close now, and what the manager's Exit does.

In kiosk mode (``tillqr --kiosk`` or ``[kiosk] enabled = true``) the till is full screen and
frameless, and nothing a customer can do closes it: the window manager's close (its button, Alt+F4)
is refused, and the window goes back to full screen if something takes it out. The manager's Exit
(the header's button, Ctrl+Q) asks the manager PIN when one is set, then offers to leave kiosk
mode (a normal window again, for maintenance) or to quit TillQR. Outside kiosk mode Exit quits,
after the PIN when one is set; the window's own close button works as on any desktop.

The app's own closes (a restart after Settings, a smoke run) ``release`` the window first.
An app cannot stop a console switch (Ctrl+Alt+F2): README's "Kiosk mode" shows the OS side.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path

from app.config.settings import SettingsError, read_toml
from app.i18n import LazyWords, _, lazy_


class ExitChoice(Enum):
    LEAVE_KIOSK = "leave"  # a normal window again (frame, not full screen); the till keeps running
    QUIT = "quit"  # TillQR ends (its runtime closed as after any close)
    STAY = "stay"  # back to the counter


class CloseVerdict(Enum):
    ALLOW = "allow"
    REFUSE = "refuse"


CHOICE_WORDS: LazyWords[ExitChoice] = LazyWords(
    {
        ExitChoice.LEAVE_KIOSK: lazy_("Leave full screen"),
        ExitChoice.QUIT: lazy_("Quit TillQR"),
        ExitChoice.STAY: lazy_("Back to the counter"),
    }
)
# Key chords a window manager or toolkit may turn into "close this window"; swallowed in kiosk mode
# (the window's refusal to close catches them too, where the window manager sends a close instead).
CLOSING_CHORDS = frozenset({"Alt+F4", "Ctrl+W", "Ctrl+F4"})


class KioskModel:
    """``kiosk``: started in kiosk mode; ``pin_set``: whether a manager PIN exists now (asked each time:
    the manager may set one in Settings while the till runs)."""

    def __init__(self, *, kiosk: bool, pin_set: Callable[[], bool]):
        self.kiosk = kiosk  # full screen and frameless now
        self.pin_set = pin_set
        self.released = False  # the manager chose Quit, or the app closes itself: the window may close

    def close_verdict(self) -> CloseVerdict:
        """The window manager asks to close the window (its button, Alt+F4, a logout)."""
        return CloseVerdict.ALLOW if self.released or not self.kiosk else CloseVerdict.REFUSE

    def keeps_full_screen(self) -> bool:
        """Whether a window taken out of full screen (by the window manager) must go back to it."""
        return self.kiosk and not self.released

    def swallows(self, chord: str) -> bool:
        """Whether the key chord (Qt's portable text, e.g. "Alt+F4") is to do nothing."""
        return self.kiosk and chord in CLOSING_CHORDS

    def exit_needs_pin(self) -> bool:
        return self.pin_set()

    def exit_purpose(self) -> str:
        """The PIN dialog's title for the Exit button."""
        return _("Manager PIN to leave or quit") if self.kiosk else _("Manager PIN to quit TillQR")

    def exit_choices(self) -> tuple[ExitChoice, ...]:
        """What the manager may do once past the PIN; a single choice is done at once, without asking."""
        if self.kiosk:
            return (ExitChoice.LEAVE_KIOSK, ExitChoice.QUIT, ExitChoice.STAY)
        return (ExitChoice.QUIT,)

    def choose(self, choice: ExitChoice) -> None:
        if choice is ExitChoice.LEAVE_KIOSK:
            self.kiosk = False
        elif choice is ExitChoice.QUIT:
            self.released = True

    def release(self) -> None:
        """The app closes its own window (a restart, a smoke run): no PIN, no refusal."""
        self.released = True


def kiosk_configured(config_file: Path | None) -> bool:
    """``[kiosk] enabled`` of ``config_file``, read even when the rest of the file cannot be used (a till
    set to kiosk mode stays in it while the manager fixes its configuration); False when absent."""
    if config_file is None:
        return False
    try:
        data = read_toml(config_file) or {}
    except SettingsError:
        return False
    section = data.get("kiosk")
    return isinstance(section, dict) and section.get("enabled") is True
