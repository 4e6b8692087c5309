"""run_gui end to end in a child process (its own QApplication and qasync loop), and the event bridge."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.checkout.events import CounterFree, EventBus, Notice, SaleChanged
from app.domain.money import Money
from app.domain.sale import Sale
from app.ui.bridge import EventBridge

pytestmark = pytest.mark.ui

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from app.ui.app import run_gui

    app = QApplication(sys.argv)
    seen = []

    def close_when_shown():
        windows = [w for w in app.topLevelWidgets() if w.isVisible()]
        if not windows:
            QTimer.singleShot(100, close_when_shown)
            return
        for w in windows:
            seen.append(w.windowTitle())
            w.close()

    QTimer.singleShot(300, close_when_shown)
    rc = run_gui(demo=True)
    print("TITLES", seen)
    sys.exit(rc)
""")


def test_run_gui_opens_the_demo_counter_and_shuts_down_cleanly(tmp_path):
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        TILLQR_HOME=str(tmp_path / "home"),
        PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    )
    env.pop("TILLQR_SANDBOX_URL", None)
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "DEMO" in done.stdout and "TillQR" in done.stdout


def test_bridge_is_the_one_route_of_core_events_to_the_models(qtbot):
    class Source:
        bus = EventBus()

        def subscribe(self, listener):
            return self.bus.subscribe(listener)

    source = Source()
    bridge = EventBridge(source)
    got: list[object] = []
    bridge.follow(got.append)
    sale = Sale.new(Money.parse("1", "BRL"), "fake")
    events = [SaleChanged(sale), CounterFree(None), Notice("warning", "Lost contact")]
    for event in events:
        with qtbot.waitSignal(bridge.arrived) as seen:
            source.bus.publish(event)
        assert seen.args == [event]
    assert got == events
    bridge.close()
    with qtbot.assertNotEmitted(bridge.arrived):
        source.bus.publish(Notice("info", "after close"))
    assert got == events
