"""The customer display on the real controller and the in-process sandbox: it follows the counter's sale from
start to PAID and to EXPIRED, shows the static sticker's QR between sales (decoded from its pixels), never what
the cashier types; and it goes to a second screen when one is plugged in (offscreen, two screens)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app.config.settings import DisplayMode
from app.domain.sale import utcnow
from app.ui.customer_display import CustomerDisplay
from tests.ui.qrgrab import decode_qr

pytestmark = pytest.mark.ui

CLICK = Qt.MouseButton.LeftButton
ROOT = Path(__file__).resolve().parents[2]


def shown_display(window) -> CustomerDisplay:
    """The window's customer display, as a window on the one offscreen screen (mode "window")."""
    display = window.customer_display
    assert isinstance(display, CustomerDisplay)
    display.mode = DisplayMode.WINDOW
    placement = display.place_now()
    assert placement.shown and not placement.full_screen
    return display


def words(display: CustomerDisplay) -> str:
    return " | ".join(label.text() for label in display.findChildren(QLabel) if label.isVisibleTo(display))


def test_follows_a_sale_from_idle_to_paid_and_back(till, qtbot, run, tmp_path):
    window, view, rt = till()
    display = shown_display(window)
    assert rt.link is not None
    assert display.property("face") == "idle"
    assert decode_qr(display, save_to=tmp_path / "idle.png") == [rt.link.payload]  # the sticker, between sales

    qtbot.keyClicks(view.amount, "12.50")
    view.model.set_reference("table 4")
    assert view.amount.text() == "12.50"
    assert "12.50" not in words(display) and display.property("face") == "idle"  # typed, not charged: not shown

    qtbot.mouseClick(view.charge, CLICK)
    qtbot.waitUntil(lambda: view.qr.payload() is not None, timeout=10000)
    sale = rt.controller.current
    qtbot.waitUntil(lambda: display.qr.payload() == sale.payload, timeout=5000)
    assert decode_qr(display, save_to=tmp_path / "waiting.png") == [sale.payload]  # what the customer scans
    assert display.amount.text() == view.panel.amount.text() == "BRL 12.50"  # one money format on both screens
    assert display.countdown.text().startswith("Time left 0:5") and "table 4" not in words(display)

    run(rt.sandbox.pay(sale.payload))
    qtbot.waitUntil(lambda: display.property("face") == "paid", timeout=10000)
    assert display.title.text() == "PAID" and not display.qr.isVisibleTo(display)

    later: datetime = utcnow() + timedelta(seconds=6)  # the result's few seconds, on the model's clock
    display.model.clock = lambda: later
    assert display.model.tick()
    assert display.property("face") == "idle" and decode_qr(display) == [rt.link.payload]


def test_follows_a_sale_to_expired(till, qtbot):
    window, view, rt = till(duration_s=2)
    display = shown_display(window)
    qtbot.keyClicks(view.amount, "4.40")
    qtbot.mouseClick(view.charge, CLICK)
    qtbot.waitUntil(lambda: display.property("face") == "waiting" and display.qr.payload() is not None, timeout=10000)
    qtbot.waitUntil(lambda: display.property("face") == "expired", timeout=10000)
    assert display.title.text() == "EXPIRED" and display.amount.text() == "BRL 4.40"
    assert "Nothing was charged" in display.detail.text() and not display.qr.isVisibleTo(display)


def test_off_means_no_window(till, qtbot, run, tmp_path):
    from app.ui.app import compose

    window, _view, rt = till()
    again = compose(rt, display=DisplayMode.OFF)
    qtbot.addWidget(again)
    assert again.customer_display is None and window.customer_display is not None


# -- screens plugged in and unplugged (a child process: the offscreen platform with two screens) ----------
SCRIPT = textwrap.dedent(
    """
    import json
    from PySide6.QtWidgets import QApplication, QWidget
    from app.config.settings import DisplayMode
    from app.screens.customer_display_model import CustomerDisplayModel
    from app.ui.customer_display import CustomerDisplay

    app = QApplication([])
    by_name = {s.name(): s for s in app.screens()}
    cashier, customer = by_name["A-cashier"], by_name["B-customer"]
    main = QWidget()
    main.setGeometry(100, 100, 600, 400)
    main.show()
    plugged = [cashier]  # what QGuiApplication.screens() would list: the offscreen platform cannot unplug

    def state(step):
        app.processEvents()
        w = display
        g = w.geometry()
        where = w.screen().name() if w.screen() else ""
        print(json.dumps({"step": step, "cashier": main.screen().name(), "visible": w.isVisible(),
                          "screen": where, "full": w.isFullScreen(), "geometry": [g.x(), g.y(), g.width(), g.height()]}))

    display = CustomerDisplay(CustomerDisplayModel("Shop"), DisplayMode.AUTO, anchor=main, screens=lambda: list(plugged))
    display.place_now()
    state("auto, one screen")
    plugged.append(customer)
    app.screenAdded.emit(customer)
    state("auto, plugged in")
    plugged.remove(customer)
    app.screenRemoved.emit(customer)
    state("auto, unplugged")
    display.mode = DisplayMode.WINDOW
    display.place_now()
    state("window, one screen")
    plugged.append(customer)
    app.screenAdded.emit(customer)
    state("window, plugged in again")
    """
)


def test_goes_to_the_second_screen_when_one_is_plugged_in(tmp_path):
    config = tmp_path / "screens.json"
    screens = [
        {"name": "A-cashier", "x": 0, "y": 0, "width": 1280, "height": 800},
        {"name": "B-customer", "x": 1280, "y": 0, "width": 1024, "height": 768},
    ]
    config.write_text(json.dumps({"windowFrameMargins": False, "screens": screens}), encoding="utf-8")
    env = {"QT_QPA_PLATFORM": f"offscreen:configfile={config}", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    steps = {s["step"]: s for s in map(json.loads, done.stdout.splitlines())}
    assert all(s["cashier"] == "A-cashier" for s in steps.values())
    assert not steps["auto, one screen"]["visible"]
    plugged = steps["auto, plugged in"]
    assert (plugged["visible"], plugged["screen"], plugged["full"]) == (True, "B-customer", True)
    assert plugged["geometry"] == [1280, 0, 1024, 768]
    assert not steps["auto, unplugged"]["visible"]
    alone = steps["window, one screen"]
    assert (alone["visible"], alone["screen"], alone["full"]) == (True, "A-cashier", False)
    assert alone["geometry"] == [160, 100, 960, 600]
    again = steps["window, plugged in again"]
    assert (again["visible"], again["screen"], again["full"], again["geometry"]) == (
        True,
        "B-customer",
        True,
        [1280, 0, 1024, 768],
    )
