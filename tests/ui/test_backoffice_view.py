"""The back office on the till's screens, against the real service (``tillqr backoffice serve``'s app on a real
PostgreSQL, on 127.0.0.1): registered from Settings' box, a sale made at the counter reaches PostgreSQL without
anyone doing anything more; the Journal's line says "records waiting" while the service is down and clears once
it is back. The sender waits on quick retry policies here (the real ones wait seconds)."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from shiboken6 import isValid

from app.replication.background import open_till_sender
from app.replication.identity import register
from app.replication.status import BackofficeState
from app.retry import RetryPolicy
from app.runtime import open_runtime
from app.screens.backoffice_model import BackofficeModel
from app.ui.app import compose
from app.ui.backoffice_view import BackofficeBox, BackofficeLine
from tests.support.live_backoffice import ServedBackoffice
from tests.support.pg import pg_cluster, pg_dsn  # noqa: F401 - fixtures: a real PostgreSQL

pytestmark = pytest.mark.ui

CLICK = Qt.MouseButton.LeftButton
SHOTS = os.environ.get("TILLQR_BACKOFFICE_SHOTS")  # a folder: the screenshots are saved there too
QUICK = RetryPolicy("test push", max_attempts=2, base_s=0.02, max_s=0.05, deadline_s=5.0)
QUICK_AWAY = RetryPolicy("test away", max_attempts=None, base_s=0.05, max_s=0.2, deadline_s=None)


@pytest.fixture
def served(pg_dsn: str) -> Iterator[ServedBackoffice]:
    backoffice = ServedBackoffice(pg_dsn)
    backoffice.start()
    yield backoffice
    backoffice.stop()


@pytest.fixture
def demo_window(qtbot, run, tmp_path, ring):
    """(window, model, runtime): a demo till on the real controller and sandbox, its back office model on quick
    policies; closed after the test."""
    opened = []

    def open_window():
        home = tmp_path / "home"
        rt = run(open_runtime(demo=True, home=home, poll_interval=0.05))
        data = rt.paths.data_dir

        def opener(url: str):
            return open_till_sender(data, True, url, rt.journal, policy=QUICK, away=QUICK_AWAY)

        model = BackofficeModel(data, rt.journal, demo=True, config_file=rt.paths.config_file, opener=opener)
        window = compose(rt, config_file=rt.paths.config_file, backoffice=model)
        run(started(model))
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        qtbot.waitExposed(window)
        opened.append((window, model, rt))
        return window, model, rt

    yield open_window
    for window, model, rt in opened:
        run(model.aclose())
        if isValid(window):
            window.close()
        run(rt.aclose())


async def started(model: BackofficeModel) -> None:
    model.start()
    await asyncio.sleep(0)


def charge(qtbot, window, amount: str) -> None:
    window.show_page("counter")
    view = window.counter
    qtbot.keyClicks(view.amount, amount)
    qtbot.mouseClick(view.charge, CLICK)
    qtbot.waitUntil(lambda: view.qr.payload() is not None, timeout=10000)


def shot(widget, name: str, tmp_path: Path) -> None:
    for folder in (tmp_path, *([Path(SHOTS)] if SHOTS else [])):
        assert widget.grab().save(str(folder / f"backoffice-{name}.png"))


def test_registered_from_settings_a_counter_sale_reaches_postgresql(demo_window, served, qtbot, tmp_path):
    window, model, rt = demo_window()
    window.show_page("settings")
    box = window.settings.findChild(BackofficeBox)
    assert box is not None and not box.push_button.isEnabled()  # not registered: nothing to push
    qtbot.waitUntil(lambda: "no back office" in box.lines.text())
    shot(box, "settings-not-registered", tmp_path)
    qtbot.mouseClick(box.register_button, CLICK)
    dialog = box.dialog
    assert dialog is not None
    dialog.url.setText(served.url)
    dialog.code.setText(served.held.enrol(name="Till 1"))
    qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok), CLICK)
    qtbot.waitUntil(lambda: model.sender is not None and model.sender.last is not None, timeout=10000)
    qtbot.waitUntil(lambda: model.status.state is BackofficeState.CONNECTED, timeout=10000)
    assert box.push_button.isEnabled() and "Registered" in box.outcome.text()

    charge(qtbot, window, "12.50")  # the cashier does nothing more
    sale = rt.controller.current
    assert sale is not None
    qtbot.waitUntil(lambda: sale.sale_id in served.held.sale_ids(), timeout=30000)
    window.show_page("settings")
    qtbot.waitUntil(lambda: "Records waiting: 0" in box.lines.text() and "Last push" in box.lines.text())
    shot(box, "settings-connected", tmp_path)

    qtbot.mouseClick(box.push_button, CLICK)  # a background push may be under way: its report answers

    def said() -> None:
        assert re.fullmatch(r"\d+ records? sent\.", box.outcome.text()), box.outcome.text()

    qtbot.waitUntil(said, timeout=10000)
    qtbot.waitUntil(lambda: "Records waiting: 0" in box.lines.text())
    assert served.held.sale_ids() == [sale.sale_id]


def test_the_journal_line_shows_records_waiting_while_the_service_is_down(
    demo_window, served, qtbot, run, tmp_path
) -> None:
    code = served.held.enrol(name="Till 2")
    window, model, rt = demo_window()
    run(register(served.url, code, data_dir=rt.paths.data_dir, demo=True))
    run(model.aclose())
    model.start()  # as at the next start of the till: registered, so the sender runs
    assert model.sender is not None
    window.show_page("journal")
    line = window.findChild(BackofficeLine)
    assert line is not None
    qtbot.waitUntil(lambda: line.isVisible() and "connected" in line.text(), timeout=10000)

    served.stop()
    charge(qtbot, window, "7.00")
    sale = rt.controller.current
    assert sale is not None
    window.show_page("journal")
    qtbot.waitUntil(lambda: "records waiting" in line.text() and "cannot be reached" in line.text(), timeout=30000)
    assert line.property("level") == "warning"
    shot(window, "journal-waiting", tmp_path)
    assert sale.sale_id not in served.held.sale_ids()

    served.start()  # back on the same address: the sender finds it on its own
    qtbot.waitUntil(  # a bound, not a speed: a service process restarting on a loaded machine takes its time
        lambda: "waiting" not in line.text() and "connected" in line.text(), timeout=30000
    )
    assert sale.sale_id in served.held.sale_ids()
    shot(window, "journal-connected", tmp_path)
