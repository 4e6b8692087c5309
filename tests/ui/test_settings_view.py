"""The Settings page, the PIN dialog and the navigation, on a real window (pytest-qt, offscreen)."""

from __future__ import annotations

import time

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt

from app.config import settings as st
from app.config.pin import hash_pin

pytestmark = pytest.mark.ui
CANARY = "CANARY-UI-5e1d"


def write_config(home, text):
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(text, encoding="utf-8")


def test_corrupt_config_opens_settings_with_the_key_named(window_for, tmp_path, qtbot, ring):
    home = tmp_path / "home"
    write_config(home, '[store]\nname = "Padaria Central"\nmcc = "12"\n')
    window = window_for(home)
    view = window.settings
    assert window.current_page() == "settings" and window.demo_mark is not None
    assert view.problem.isVisible() and "store.mcc" in view.problem.text()
    mcc = view.rows["store.mcc"]
    assert mcc.error.isVisible() and "store.mcc" in mcc.error.text()
    assert view.editors["store.name"].text() == "Padaria Central"  # what was readable is kept
    # fix it on screen and save
    qtbot.keyClicks(view.pin_new, "246810")
    qtbot.keyClicks(view.pin_repeat, "246810")
    qtbot.mouseClick(view.pin_button, Qt.MouseButton.LeftButton)
    view.editors["store.mcc"].clear()
    qtbot.keyClicks(view.editors["store.mcc"], "5462")
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    assert "Saved" in view.outcome.text(), view.outcome.text()
    assert not view.problem.isVisible()
    assert st.load(home / "config" / "config.toml").store_mcc == "5462"


def test_toml_syntax_error_is_named_too(window_for, tmp_path, ring):
    home = tmp_path / "home"
    write_config(home, "[store\nname = 1\n")
    window = window_for(home, size=(800, 480))
    assert window.current_page() == "settings"
    assert "not valid TOML" in window.settings.problem.text()


def test_settings_and_journal_ask_for_the_pin(window_for, tmp_path, qtbot, ring):
    home = tmp_path / "home"
    st.save(st.Settings(pin_hash=hash_pin("135790")), home / "config" / "config.toml")
    # a file with the PIN only (no base URL yet) is a demo till until setup ends: nothing to fix at start
    window = window_for(home)
    assert window.pin_dialog is None and window.current_page() == "counter"
    assert "setup is unfinished" in window.counter.standing.text()
    qtbot.mouseClick(window.nav["journal"], Qt.MouseButton.LeftButton)  # a PIN exists: the Journal asks for it
    assert window.pin_dialog is not None and window.current_page() == "counter"
    window.pin_dialog.reject()
    qtbot.waitUntil(lambda: window.pin_dialog is None)
    window.gate.max_failures = 2
    qtbot.mouseClick(window.nav["settings"], Qt.MouseButton.LeftButton)
    dialog = window.pin_dialog
    assert dialog is not None and window.current_page() == "counter"
    for digit in "0000":
        qtbot.mouseClick(
            next(b for b in dialog.findChildren(type(dialog.ok_button)) if b.text() == digit), Qt.MouseButton.LeftButton
        )
    dialog.submit()
    assert "Wrong PIN" in dialog.error.text() and "1 try left" in dialog.error.text()
    qtbot.keyClicks(dialog.field, "9999")
    dialog.submit()
    assert "locked for 300 s" in dialog.error.text()
    qtbot.keyClicks(dialog.field, "135790")
    dialog.submit()
    assert "Too many wrong PINs: try again in" in dialog.error.text() and window.current_page() == "counter"
    window.gate.clock = lambda: time.time() + 301  # the lock-out's five minutes have passed
    qtbot.keyClicks(dialog.field, "135790")
    qtbot.keyClick(dialog.field, Qt.Key.Key_Return)
    assert window.current_page() == "settings"
    window.request_page("journal")  # unlocked until the counter shows again
    assert window.current_page() == "journal" and window.pin_dialog is None
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_F1)
    assert window.current_page() == "counter"
    window.request_page("journal")
    assert window.pin_dialog is not None and window.current_page() == "counter"


def test_first_run_opens_settings_without_pin_and_asks_for_one(window_for, tmp_path, qtbot, ring):
    window = window_for(tmp_path / "home")  # nothing configured: plain demo, no problem
    assert window.current_page() == "counter" and window.settings.problem.isHidden()
    qtbot.keyClick(window, Qt.Key.Key_F3)
    assert window.current_page() == "settings" and window.pin_dialog is None
    view = window.settings
    assert view.first_run.isVisible()
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    assert "PIN" in view.outcome.text() and not (tmp_path / "home" / "config" / "config.toml").exists()


def test_credentials_refused_without_a_keyring(window_for, tmp_path, qtbot):
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        home = tmp_path / "home"
        window = window_for(home)
        qtbot.keyClick(window, Qt.Key.Key_F3)
        view = window.settings
        assert view.cred_state["client_secret"].text() == "keyring unavailable"
        qtbot.keyClicks(view.cred_fields["client_secret"], CANARY)
        qtbot.keyClicks(view.pin_new, "246810")
        qtbot.keyClicks(view.pin_repeat, "246810")
        qtbot.mouseClick(view.pin_button, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
        assert "no OS keyring" in view.outcome.text() and "no OS keyring" in view.cred_error.text()
        assert view.cred_error.isVisible()
    finally:
        keyring.set_keyring(before)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path


def test_provider_choice_shows_its_pos_ids_and_credentials(window_for, tmp_path, qtbot, ring):
    window = window_for(tmp_path / "home")
    window.show_page("settings")
    view = window.settings
    assert view.rows["provider.payment_link_id"].isVisibleTo(view)
    view.editors["provider.name"].setCurrentText("razorpay")
    assert set(view.cred_fields) == {"key_id", "key_secret", "webhook_secret"}
    assert not view.rows["provider.payment_link_id"].isVisibleTo(view) and not view.link_button.isVisibleTo(view)
    view.editors["provider.name"].setCurrentText("depay")
    assert view.rows["provider.pos_external_reference"].isVisibleTo(view)
    view.editors["provider.name"].setCurrentText("pix")
    assert all(
        view.rows[k].isVisibleTo(view) for k in ("provider.pix_account", "provider.pix_alias", "provider.pix_key")
    )
    name = view.editors["store.name"]
    name.clear()
    qtbot.keyClicks(name, "A name longer than the QR allows")
    assert "too long" in view.rows["store.name"].note.text()


def test_a_managers_page_left_idle_locks_again(window_for, tmp_path, qtbot, ring):
    home = tmp_path / "home"
    st.save(st.Settings(pin_hash=hash_pin("135790")), home / "config" / "config.toml")
    window = window_for(home)
    if window.pin_dialog is not None:
        window.pin_dialog.reject()
        qtbot.waitUntil(lambda: window.pin_dialog is None)
    window.idle.setInterval(300)
    window.show_page("journal")  # as after the right PIN
    assert window.current_page() == "journal" and window.unlocked
    qtbot.waitUntil(lambda: window.idle.remainingTime() < 200)  # time passes idle ...
    qtbot.keyClick(window.pages["journal"], Qt.Key.Key_Shift)  # ... and input keeps it open: the count restarts
    assert window.current_page() == "journal" and window.idle.remainingTime() > 200
    qtbot.waitUntil(lambda: window.current_page() == "counter", timeout=10000)
    assert not window.unlocked
    window.request_page("journal")
    assert window.pin_dialog is not None and window.current_page() == "counter"


def test_pages_on_demand_are_built_when_first_opened_and_restart_is_wired(window_for, tmp_path, qtbot):
    """How run_gui composes: the counter first; Journal and Settings built when first opened."""
    restarts = []
    window = window_for(tmp_path / "home", pages_on_demand=True, on_restart=lambda: restarts.append(1))
    assert set(window.pages) == {"counter"} and window.settings is None
    qtbot.keyClick(window, Qt.Key.Key_F3)  # no PIN set yet (first run): Settings opens as it is
    qtbot.waitUntil(lambda: window.current_page() == "settings")
    assert window.settings is not None and window.pages["settings"] is window.settings
    window.settings.restart_requested.emit()
    assert restarts == [1]
    qtbot.keyClick(window, Qt.Key.Key_F2)  # no PIN yet: the Journal stays shut, Settings says why
    assert window.current_page() == "settings" and "journal" not in window.pages
    assert "Set a manager PIN first" in window.settings.outcome.text()
    window.gate.stored = hash_pin("135790")  # as once a PIN is saved (the window shares the model's gate)
    window.show_page("counter")
    window.request_page("journal")
    window.pin_dialog.field.setText("135790")
    window.pin_dialog.submit()
    qtbot.waitUntil(lambda: window.current_page() == "journal")
    assert window.stack.currentWidget() is window.pages["journal"]
