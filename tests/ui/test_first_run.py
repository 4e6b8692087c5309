"""The first run as a shop lives it: only the manager PIN set (what the first-run banner asks for), then a
restart. The till must stay a working demo that says setup is unfinished, in words, and recover must work."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from app.screens.settings_model import SettingsModel

pytestmark = pytest.mark.ui

CLICK = Qt.MouseButton.LeftButton


def test_pin_only_first_run_restarts_as_a_demo_till_that_says_setup_is_unfinished(
    window_for, tmp_path, qtbot, run, ring, monkeypatch
):
    home = tmp_path / "home"
    monkeypatch.setenv("TILLQR_HOME", str(home))
    monkeypatch.delenv("TILLQR_SANDBOX_URL", raising=False)
    settings = SettingsModel(home / "config" / "config.toml")  # the Settings screen's model, as the manager uses it
    settings.set_pin("246810", "246810")
    assert settings.save(), settings.message
    assert "Base URL" in (settings.setup_advice or "")  # the manager's screen names the fields

    window = window_for(home)  # "Restart now": a new runtime and window on the saved configuration
    view = window.counter
    assert window.current_page() == "counter" and window.pin_dialog is None  # no "configuration unusable"
    assert window.demo_mark is not None and view.standing.isVisible()
    said = view.standing.text()
    assert "setup is unfinished" in said and "the provider's address and the payment link" in said
    assert "base_url" not in said and "provider." not in said  # words, not config keys

    qtbot.keyClicks(view.amount, "12.50")  # the demo till works
    qtbot.mouseClick(view.charge, CLICK)
    qtbot.waitUntil(lambda: view.qr.payload() is not None, timeout=10000)
    qtbot.mouseClick(view.simulate, CLICK)
    qtbot.waitUntil(lambda: "PAID" in view.banner.text(), timeout=10000)
    assert run(view.model.recover()) == [] and view.model.message == ""  # recover runs (also at every start)
    assert (home / "data" / "journal-demo.sqlite3").exists()  # demo sales kept apart from the shop's
    assert not (home / "data" / "journal.sqlite3").exists()


def test_the_journal_stays_shut_until_a_pin_exists(window_for, tmp_path, qtbot, ring):
    window = window_for(tmp_path / "home")
    qtbot.keyClick(window, Qt.Key.Key_F2)
    assert window.current_page() == "settings"
    assert "Set a manager PIN first" in window.settings.outcome.text()


def test_amount_field_select_all_and_paste(till, qtbot):
    _, view, _rt = till()
    QGuiApplication.clipboard().setText("1.234,56")
    qtbot.keyClick(view.amount, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert view.amount.text() == "1234.56"
    qtbot.keyClick(view.amount, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert view.amount.selectedText() == "1234.56"
    qtbot.keyClicks(view.amount, "7")  # typed over the whole amount selected: it starts again
    assert view.amount.text() == "7"
    QGuiApplication.clipboard().setText("twelve")
    qtbot.keyClick(view.amount, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert view.amount.text() == "7" and "not an amount" in view.message.text()  # refused, nothing lost
    qtbot.keyClicks(view.amount, "9999999999")
    assert view.amount.text() == "7999999" and "Too large" in view.message.text()  # refused in words, not cut
