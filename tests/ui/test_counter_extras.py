"""The counter's warning before a sale expires (the screen's clock injected), "More time", and the last sales with
Reprint (a PDF in demo mode): the real window, controller, in-process sandbox and SQLite."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.domain.sale import SaleStatus, utcnow

pytestmark = pytest.mark.ui

CLICK = Qt.MouseButton.LeftButton


class Clock:
    """The screen's clock: the real time, or the moment a test sets (``at``)."""

    def __init__(self) -> None:
        self.at: datetime | None = None

    def __call__(self) -> datetime:
        return self.at or utcnow()


def charge(qtbot, view, amount: str = "12.50"):
    for key in amount:
        qtbot.mouseClick(view.keypad.buttons[key], CLICK)
    qtbot.mouseClick(view.charge, CLICK)
    qtbot.waitUntil(lambda: view.model.sale is not None and view.model.sale.status is SaleStatus.LINKED)
    return view.model.sale


def test_the_warning_shows_in_the_last_minute_and_more_time_gives_a_new_request(till, qtbot, run):
    window, view, rt = till(duration_s=300, size=(800, 480))
    clock = Clock()
    view.model.clock = clock
    old = charge(qtbot, view)
    clock.at = old.expires_at - timedelta(seconds=61)
    qtbot.waitUntil(lambda: view.panel.countdown.text() == "Expires in 1:01")  # the screen's 1 s tick
    assert not view.more_time.isVisible() and view.panel.countdown.property("warning") is False

    clock.at = old.expires_at - timedelta(seconds=25)
    qtbot.waitUntil(lambda: view.more_time.isVisible())
    assert view.panel.countdown.text() == "Expires in 0:25 — More time?"
    assert view.panel.countdown.property("warning") is True

    qtbot.mouseClick(view.more_time, CLICK)
    qtbot.waitUntil(lambda: view.model.sale is not None and view.model.sale.sale_id != old.sale_id)
    qtbot.waitUntil(lambda: view.model.sale.status is SaleStatus.LINKED)
    new = view.model.sale
    assert new.amount == old.amount and view.qr.payload() == new.payload != old.payload
    qtbot.waitUntil(lambda: view.message.text().startswith("More time: a new payment request for BRL 12.50."))
    clock.at = None  # (said once the press ends, a moment after the new sale's LINKED event)
    qtbot.waitUntil(lambda: not view.more_time.isVisible())
    assert view.panel.countdown.text().startswith("Expires in 4:")
    assert run(rt.controller.wait_closed(old.sale_id, timeout=10)).reason.startswith("cancelled for more time")


def test_last_sales_update_after_a_sale_and_reprint_writes_a_pdf(till, qtbot):
    window, view, rt = till(size=(800, 480))
    assert view.last_sales is not None and view.show_last_sales.isVisible()
    qtbot.mouseClick(view.show_last_sales, CLICK)
    panel = view.last_sales
    qtbot.waitUntil(lambda: panel.isVisible() and panel.model.loaded)
    assert panel.model.empty_text == "No sales yet on this till."
    assert panel.geometry() == view._left.geometry()  # over the keypad; the QR's side stays in sight

    sale = charge(qtbot, view, "7.25")  # the keyboard still types with the panel open; the keypad is under it
    qtbot.mouseClick(view.simulate, CLICK)
    qtbot.waitUntil(lambda: [(line.amount, line.status) for line in panel.model.lines] == [("BRL 7.25", "Paid")])
    qtbot.waitUntil(lambda: panel.reprint_buttons[sale.sale_id].isVisible())
    button = panel.reprint_buttons[sale.sale_id]
    assert button.height() >= window.touch and button.width() >= window.touch
    qtbot.mouseClick(button, CLICK)
    qtbot.waitUntil(lambda: panel.model.message.startswith("Receipt saved as "))
    pdf = Path(panel.model.message.removeprefix("Receipt saved as ").removesuffix("."))
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and b"/Type /Page" in data
    qtbot.mouseClick(panel.close_button, CLICK)
    assert not panel.isVisible()
