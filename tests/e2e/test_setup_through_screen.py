"""A till set up from an empty TILLQR_HOME entirely through the Settings screen, then `tillqr charge`
(not --demo) against a real `tillqr sandbox` with that configuration; the secret is in no file under
TILLQR_HOME (the keyring is a test backend whose file lives outside it, shared with the child)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import keyring
import pytest
from PySide6.QtCore import Qt

from app.config import settings as st
from app.ui.app import compose, open_or_fallback
from tests.support.filekeyring import ENV, FileKeyring
from tests.ui.conftest import aloop, run  # noqa: F401 - the qasync loop under pytest-qt

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
CANARY = "CANARY-TOKEN-SETUP-93b1"


@pytest.fixture
def file_keyring(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, str(tmp_path / "keyring-outside-home.json"))
    before = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield tmp_path / "keyring-outside-home.json"
    keyring.set_keyring(before)


def test_setup_through_the_screen_then_charge(sandbox_url, tmp_path, qtbot, run, file_keyring, monkeypatch):
    monkeypatch.delenv("TILLQR_SANDBOX_URL", raising=False)
    home = tmp_path / "home"
    rt, problem = run(open_or_fallback(demo=None, provider=None, home=home))
    assert rt.demo and problem is None  # nothing configured: demo
    window = compose(rt, config_file=home / "config" / "config.toml")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        qtbot.mouseClick(window.nav["settings"], Qt.MouseButton.LeftButton)
        assert window.current_page() == "settings" and window.pin_dialog is None  # first run: no PIN yet
        view = window.settings

        def type_into(key, text):
            editor = view.editors[key]
            editor.selectAll()
            qtbot.keyClicks(editor, text)

        type_into("store.name", "Padaria Central")
        type_into("store.city", "SAO PAULO")
        view.editors["provider.name"].setCurrentText("jpmorgan")
        type_into("provider.base_url", f"{sandbox_url}/jpmorgan")
        qtbot.keyClicks(view.cred_fields["client_id"], "till-client-1")
        qtbot.keyClicks(view.cred_fields["client_secret"], CANARY)
        assert view.cred_state["client_secret"].text() == "typed, not saved yet"
        qtbot.keyClicks(view.pin_new, "246810")
        qtbot.keyClicks(view.pin_repeat, "246810")
        qtbot.mouseClick(view.pin_button, Qt.MouseButton.LeftButton)

        qtbot.mouseClick(view.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: view.outcome.text().startswith(("Connection OK", "Cannot", "Credentials")), timeout=10000
        )
        assert view.outcome.text().startswith("Connection OK"), view.outcome.text()

        qtbot.mouseClick(view.link_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(view.editors["provider.payment_link_id"].text()), timeout=10000)
        link = view.model.link
        assert view.editors["provider.payment_link_id"].text() == link.link_id

        qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
        assert "Saved" in view.outcome.text(), view.outcome.text()
        assert view.cred_state["client_secret"].text() == "set" and view.cred_fields["client_secret"].text() == ""

        for name in ("sticker.pdf", "sticker.png"):
            ok, text = run(view.print_sticker(str(tmp_path / name)), timeout=30)
            assert ok and (tmp_path / name).stat().st_size > 1000, text
    finally:
        window.close()
        run(rt.aclose())

    saved = st.load(home / "config" / "config.toml")
    assert saved.provider == "jpmorgan" and saved.payment_link_id == link.link_id and saved.pin_hash

    env = dict(
        os.environ,
        TILLQR_HOME=str(home),
        PYTHON_KEYRING_BACKEND="tests.support.filekeyring.FileKeyring",
        **{ENV: str(file_keyring)},
    )
    env.pop("TILLQR_SANDBOX_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "charge", "12.50"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline()
        assert first, proc.stderr.read()
        linked = json.loads(first)
        assert linked["event"] == "linked" and linked["provider"] == "jpmorgan" and linked["amount"] == "12.50"
        paid = httpx.post(f"{sandbox_url}/_sandbox/pay", json={"payload": link.payload})
        # the customer scans the printed sticker (the static link): it pays the sale linked to it now
        assert paid.status_code == 200 and paid.json()["request_id"] == linked["request_id"]
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "demo" not in err.lower()
    closed = json.loads(out.splitlines()[-1])
    assert closed["status"] == "settled" and closed["amount_received"] == "12.50" and closed["unlinked"] is True

    assert CANARY in file_keyring.read_text(encoding="utf-8")  # it is in the keyring …
    for path in home.rglob("*"):  # … and in no file under TILLQR_HOME
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path
