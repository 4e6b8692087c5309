"""Start-up failures: what a failed assembly opened is closed again, and the GUI says why in one line.

The message box for a start-up failure must never open inside the running asyncio task (a modal box
runs a nested event loop: the loop's other tasks, e.g. the push hub, would then be entered while
``_main`` is still the current task). It is shown by ``run_gui`` after the loop has ended, and only
where someone can click it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import app.runtime as runtime_mod
from app.runtime import CannotStart, open_runtime
from app.ui.app import open_or_fallback

pytestmark = pytest.mark.ui

ROOT = Path(__file__).resolve().parents[2]


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    return f"http://127.0.0.1:{port}"


async def test_a_failed_assembly_closes_the_push_hub_and_clients_it_opened(tmp_path, monkeypatch):
    url = dead_url()
    monkeypatch.setenv("TILLQR_SANDBOX_URL", url)
    made = []
    real = runtime_mod.demo_provider

    def recording(*args):
        parts = real(*args)
        made.append(parts)
        return parts

    monkeypatch.setattr(runtime_mod, "demo_provider", recording)
    with pytest.raises(Exception) as caught:
        await open_runtime(demo=True, home=tmp_path)
    ((sandbox, provider, hub),) = made
    assert [t for t in asyncio.all_tasks() if t.get_name() == "push-hub" and not t.done()] == []
    assert hub._task is None and not hub.connected
    assert sandbox.client.is_closed and provider.http._client.is_closed
    assert isinstance(caught.value, CannotStart)
    assert url in str(caught.value) and "TILLQR_SANDBOX_URL" in str(caught.value)
    monkeypatch.delenv("TILLQR_SANDBOX_URL")  # the till lock was released too: a till opens now
    rt = await open_runtime(demo=True, home=tmp_path)
    await rt.aclose()


async def test_a_dead_demo_sandbox_is_not_retried_and_names_the_url(tmp_path, monkeypatch):
    url = dead_url()
    monkeypatch.setenv("TILLQR_SANDBOX_URL", url)
    calls = []
    real = runtime_mod.open_runtime

    async def counting(**kw):
        calls.append(kw)
        return await real(**kw)

    monkeypatch.setattr(runtime_mod, "open_runtime", counting)
    with pytest.raises(CannotStart) as caught:
        await open_or_fallback(demo=None, provider=None, home=tmp_path)
    message = str(caught.value)
    assert url in message and "TILLQR_SANDBOX_URL" in message and "\n" not in message
    assert len(calls) == 1  # demo mode would use the same dead sandbox: no second attempt


async def test_an_unknown_provider_is_said_not_retried_in_demo_mode(tmp_path):
    with pytest.raises(CannotStart) as caught:
        await open_or_fallback(demo=True, provider="bogus", home=tmp_path)
    assert str(caught.value).startswith("unknown provider 'bogus': choose one of jpmorgan")


async def test_when_the_demo_fallback_fails_too_both_reasons_are_said(tmp_path, monkeypatch):
    (tmp_path / "config").mkdir(parents=True)
    (tmp_path / "config" / "config.toml").write_text('[store]\nmcc = "54"\n', encoding="utf-8")
    url = dead_url()
    monkeypatch.setenv("TILLQR_SANDBOX_URL", url)
    with pytest.raises(CannotStart) as caught:
        await open_or_fallback(demo=None, provider=None, home=tmp_path)
    message = str(caught.value)
    assert url in message and "store.mcc" in message and "\n" not in message


SCRIPT = textwrap.dedent("""
    import asyncio, sys
    from PySide6.QtWidgets import QApplication, QMessageBox
    import app.ui.app as gui

    app = QApplication(sys.argv)
    boxes = []

    def critical(parent, title, text, *a, **kw):
        boxes.append((title, text, asyncio._get_running_loop() is not None))
        return QMessageBox.StandardButton.Ok

    QMessageBox.critical = critical
    gui._dialogs_wanted = lambda: True  # as on a real display
    rc = gui.run_gui(demo=True)
    print("BOXES", boxes)
    sys.exit(rc)
""")


def test_the_cannot_start_box_opens_after_the_loop_has_ended_with_one_line_on_stderr(tmp_path):
    url = dead_url()
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        TILLQR_HOME=str(tmp_path / "home"),
        TILLQR_SANDBOX_URL=url,
        PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    )
    env.pop("TILLQR_EXIT_WHEN_READY", None)
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)
    assert done.returncode == 1, done.stderr
    boxes = next(line for line in done.stdout.splitlines() if line.startswith("BOXES"))
    assert "TillQR cannot start" in boxes and url in boxes
    assert boxes.count("TillQR cannot start") == 1 and ", False)" in boxes and ", True)" not in boxes
    assert "Traceback" not in done.stderr and "Cannot enter into task" not in done.stderr
    said = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(said) == 1 and said[0].startswith("tillqr: cannot start:") and "TILLQR_SANDBOX_URL" in said[0]
