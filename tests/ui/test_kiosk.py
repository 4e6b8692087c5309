"""Kiosk mode on the real window (app/ui/main_window.py, app/ui/kiosk.py): full screen and frameless,
a close refused, the manager's Exit behind the PIN (a wrong one refused, the lock-out of the one shared
gate), and the counter fitting small touch screens with keys of at least 9 mm."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QPushButton

from app.config import settings as st
from app.config.pin import hash_pin
from app.screens.kiosk_model import ExitChoice
from app.screens.touch import MIN_TOUCH_MM, mm_to_px, px_to_mm

pytestmark = [pytest.mark.ui, pytest.mark.usefixtures("ring")]

PIN = "135790"


@pytest.fixture
def kiosk_window(window_for, tmp_path, qtbot):
    """``kiosk_window(size, pin=True, **compose_kw)``: a demo till on a home with the manager PIN, in kiosk
    mode, full screen; released at teardown (so the fixtures' own close is not refused)."""
    made = []

    def make(size=(800, 480), *, pin: bool = True, **kw):
        home = tmp_path / f"home{len(made)}"
        st.save(
            st.Settings(store_name="Padaria Central", pin_hash=hash_pin(PIN) if pin else ""),
            home / "config/config.toml",
        )
        window = window_for(home, size, kiosk=True, **kw)
        if window.pin_dialog is not None:  # a PIN alone is not a finished setup (yet): Settings' PIN asked first
            window.pin_dialog.reject()
            qtbot.waitUntil(lambda: window.pin_dialog is None)
        window.show_on_screen()
        qtbot.waitUntil(window.isFullScreen)
        made.append(window)
        return window

    yield make
    for window in made:
        window.kiosk.release()


def type_pin(qtbot, dialog, pin: str) -> None:
    dialog.field.clear()
    qtbot.keyClicks(dialog.field, pin)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


def test_kiosk_mode_is_full_screen_frameless_and_refuses_a_close(kiosk_window, qtbot):
    window = kiosk_window()
    assert window.windowFlags() & Qt.WindowType.FramelessWindowHint
    closed = []
    window.closed.connect(lambda: closed.append(True))
    assert window.close() is False  # the window manager's close (its button, Alt+F4) is refused
    assert window.isVisible() and window.isFullScreen() and closed == []
    window.showNormal()  # taken out of full screen (a window manager's key): it goes back
    qtbot.waitUntil(window.isFullScreen)


def test_a_wrong_pin_keeps_the_kiosk_and_the_right_one_quits(kiosk_window, qtbot):
    window = kiosk_window()
    qtbot.mouseClick(window.exit_button, Qt.MouseButton.LeftButton)
    dialog = window.pin_dialog
    assert dialog is not None and dialog.title.text() == "Manager PIN to leave or quit"
    type_pin(qtbot, dialog, "000000")
    assert "wrong pin" in dialog.error.text().lower() and dialog.isVisible() and window.exit_dialog is None
    assert window.isFullScreen() and window.close() is False
    type_pin(qtbot, dialog, PIN)
    qtbot.waitUntil(lambda: window.exit_dialog is not None)
    choices = window.exit_dialog
    assert list(choices.buttons) == [ExitChoice.LEAVE_KIOSK, ExitChoice.QUIT, ExitChoice.STAY]
    assert not window.unlocked, "the exit's PIN does not open the manager's pages"
    with qtbot.waitSignal(window.closed, timeout=5000):
        qtbot.mouseClick(choices.buttons[ExitChoice.QUIT], Qt.MouseButton.LeftButton)
    assert not window.isVisible()


def test_the_right_pin_can_leave_full_screen_for_a_normal_window(kiosk_window, qtbot):
    window = kiosk_window()
    window.request_exit()
    type_pin(qtbot, window.pin_dialog, PIN)
    qtbot.waitUntil(lambda: window.exit_dialog is not None)
    qtbot.mouseClick(window.exit_dialog.buttons[ExitChoice.LEAVE_KIOSK], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.isFullScreen())
    assert not window.windowFlags() & Qt.WindowType.FramelessWindowHint and window.isVisible()
    with qtbot.waitSignal(window.closed, timeout=5000):
        assert window.close() is True  # a normal window again: its close works as on any desktop


def test_back_to_the_counter_stays_in_kiosk_mode(kiosk_window, qtbot):
    window = kiosk_window()
    window.request_exit()
    type_pin(qtbot, window.pin_dialog, PIN)
    qtbot.waitUntil(lambda: window.exit_dialog is not None)
    qtbot.mouseClick(window.exit_dialog.buttons[ExitChoice.STAY], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.exit_dialog is None)
    assert window.isFullScreen() and window.close() is False


def test_wrong_pins_at_the_exit_lock_the_one_gate_of_the_till(kiosk_window, qtbot):
    window = kiosk_window()
    window.request_exit()
    dialog = window.pin_dialog
    for _ in range(window.gate.max_failures):
        type_pin(qtbot, dialog, "000000")
    assert "locked" in dialog.error.text().lower() and window.gate.locked_until > time.time()
    type_pin(qtbot, dialog, PIN)  # the right PIN, during the lock-out: refused too
    assert "try again" in dialog.error.text().lower() and window.exit_dialog is None and dialog.isVisible()
    dialog.reject()
    qtbot.waitUntil(lambda: window.pin_dialog is None)
    window.request_page("journal")  # the Journal's PIN counts in the same gate: locked as well
    type_pin(qtbot, window.pin_dialog, PIN)
    assert "try again" in window.pin_dialog.error.text().lower() and window.current_page() == "counter"
    assert window.isFullScreen() and window.close() is False


def test_ctrl_q_quits_a_normal_window_after_the_pin(window_for, tmp_path, qtbot):
    home = tmp_path / "home"
    st.save(st.Settings(pin_hash=hash_pin(PIN)), home / "config/config.toml")
    window = window_for(home, (1280, 800))
    if window.pin_dialog is not None:  # as in kiosk_window
        window.pin_dialog.reject()
        qtbot.waitUntil(lambda: window.pin_dialog is None)
    assert not window.kiosk.kiosk and not window.isFullScreen()
    qtbot.keyClick(window.counter.amount, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    dialog = window.pin_dialog
    assert dialog is not None and dialog.title.text() == "Manager PIN to quit TillQR"
    with qtbot.waitSignal(window.closed, timeout=5000):
        type_pin(qtbot, dialog, PIN)
    assert window.exit_dialog is None  # one choice: done at once


@pytest.mark.parametrize("size", [(800, 480), (1024, 600), (1280, 800), (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_page_fits_the_screen(window_for, tmp_path, qtbot, size):
    """The window asks for no more room than the screen has, whichever page is shown (a QStackedWidget
    would ask for its largest page's: the Journal's wide layout made the counter need 972 px)."""
    home = tmp_path / "home"
    window = window_for(home, size, pages_on_demand=False)
    window.page("field")  # built too: every page exists
    assert set(window.pages) == {"counter", "journal", "settings", "field"}
    qtbot.waitUntil(lambda: window.size() == QSize(*size))

    def fits() -> bool:
        hint = window.minimumSizeHint()
        return hint.width() <= size[0] and hint.height() <= size[1]

    for name in ("counter", "journal", "settings", "field", "counter"):
        window.show_page(name)
        qtbot.waitUntil(fits, timeout=3000)  # once the page has laid itself out for the window's size
        assert window.store_label.parentWidget().minimumSizeHint().width() <= size[0]  # the header too
    assert window.exit_button.isVisible()


def touch_targets(window) -> list[QPushButton]:
    return [*window.counter.touch_targets(), *window.nav.values(), window.exit_button]


@pytest.mark.parametrize(("size", "dpi"), [((800, 480), 133.0), ((1024, 600), 170.0), ((1920, 1080), 92.0)], ids=str)
def test_keys_are_at_least_9_mm_at_the_screens_density(window_for, tmp_path, qtbot, size, dpi):
    home = tmp_path / "home"
    st.save(st.Settings(pin_hash=hash_pin(PIN)), home / "config/config.toml")
    window = window_for(home, size, touch_dpi=dpi)
    if window.pin_dialog is not None:  # as in kiosk_window
        window.pin_dialog.reject()
        qtbot.waitUntil(lambda: window.pin_dialog is None)
    qtbot.waitUntil(lambda: window.size() == QSize(*size))
    side = mm_to_px(MIN_TOUCH_MM, dpi)
    assert window.touch == side
    qtbot.waitUntil(lambda: window.counter.keypad.buttons["5"].height() >= side, timeout=3000)  # laid out
    for button in touch_targets(window):
        if button.isVisible():
            assert min(button.width(), button.height()) >= side, (button.objectName(), button.size(), side)
    assert px_to_mm(window.counter.keypad.buttons["5"].height(), dpi) >= MIN_TOUCH_MM
    counter = window.counter
    for button in (counter.charge, counter.keypad.buttons["0"]):  # the lowest row is whole, not cut off
        assert button.geometry().bottom() < counter.height() - 4, (button.objectName(), button.geometry())
    assert counter.keypad.geometry().bottom() < counter.charge.geometry().top(), "the keypad runs under Charge"
    window.request_exit()  # the PIN dialog's keys too
    dialog = window.pin_dialog
    qtbot.waitExposed(dialog)
    for button in dialog.findChildren(QPushButton):
        assert min(button.width(), button.height()) >= side, (button.text(), button.size())
    assert window.geometry().contains(dialog.geometry())
    dialog.reject()
