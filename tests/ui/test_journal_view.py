"""The journal screen on the real controller and the in-process sandbox (Depay: refunds)."""

from __future__ import annotations

import csv

import pytest
from PySide6.QtCore import Qt

from app.config.pin import PinGate, hash_pin
from app.domain.sale import SaleStatus
from app.runtime import open_runtime
from app.screens.journal_model import JournalModel
from app.ui.bridge import EventBridge
from app.ui.journal_view import JournalView

pytestmark = pytest.mark.ui

CLICK = Qt.MouseButton.LeftButton
PIN = "246810"


@pytest.fixture(scope="module")
def pin_hash() -> str:
    return hash_pin(PIN)


@pytest.fixture
def depay(run, tmp_path):
    rt = run(open_runtime(demo=True, provider="depay", home=tmp_path, poll_interval=0.05))
    rt.controller.refunds.poll_interval = 0.05
    yield rt
    run(rt.aclose())


@pytest.fixture
def journal_view(qtbot, depay, pin_hash):
    made = []

    def make(size=(1280, 800)):
        model = JournalModel(depay.controller, depay.journal, PinGate(pin_hash))
        bridge = EventBridge(depay.controller)  # the one route of the controller's events, as compose() does
        bridge.follow(model.on_event)
        view = JournalView(model)
        qtbot.addWidget(view)
        view.resize(*size)
        view.show()
        qtbot.waitExposed(view)
        qtbot.waitUntil(lambda: model.loaded, timeout=10000)
        made.append((view, bridge))
        return view

    yield make
    for view, bridge in made:
        bridge.close()
        view.close()


def paid(run, rt, amount: str, ref: str = ""):
    sale = run(rt.controller.charge(amount, ref))
    run(rt.sandbox.pay(sale.payload))
    return run(rt.controller.wait_closed(sale.sale_id, timeout=10))


def cells(view, column: int) -> list[str]:
    m = view.table.model()
    return [m.index(r, column).data() for r in range(m.rowCount())]


def click_row(qtbot, view, sale_id: str) -> None:
    row = view.table_model.row_of(sale_id)
    assert row >= 0, "the sale is listed"
    rect = view.table.visualRect(view.table_model.index(row, 1))
    qtbot.mouseClick(view.table.viewport(), CLICK, pos=rect.center())
    qtbot.waitUntil(lambda: view.model.detail is not None and view.model.detail.sale.sale_id == sale_id, timeout=10000)


def test_lists_filters_searches_and_shows_the_history(qtbot, run, depay, journal_view):
    a = paid(run, depay, "12.50", "Table 4")
    b = paid(run, depay, "20.00", "Order 7")
    open_sale = run(depay.controller.charge("5.00", "left open"))
    run(depay.controller.cancel())
    run(depay.controller.wait_closed(open_sale.sale_id, timeout=10))
    view = journal_view()
    assert view.table.model().rowCount() == 3
    assert cells(view, 1) == ["Cancelled", "Paid", "Paid"]  # newest first, the status in words
    assert cells(view, 2)[1:] == ["ARS 20.00", "ARS 12.50"]  # the Depay sandbox sells in ARS
    assert cells(view, 5) == ["depay"] * 3 and cells(view, 6) == ["left open", "Order 7", "Table 4"]
    assert "Paid: 2 sales, ARS 32.50" in view.totals_text.toolTip() and "<b>Cancelled</b>" in view.totals_text.text()

    view.status_filter.setCurrentIndex(view.status_filter.findData("paid"))
    assert view.table.model().rowCount() == 2 and view.summary.text() == "2 of 3 sales"
    qtbot.keyClicks(view.search, "table 4")
    assert cells(view, 6) == ["Table 4"]
    view.search.clear()
    view.status_filter.setCurrentIndex(view.status_filter.findData("unpaid"))
    assert cells(view, 1) == ["Cancelled"]
    view.status_filter.setCurrentIndex(0)
    view.day_filter.setCurrentIndex(view.day_filter.findData("yesterday"))
    assert view.table.model().rowCount() == 0
    view.day_filter.setCurrentIndex(view.day_filter.findData("today"))
    assert view.table.model().rowCount() == 3

    click_row(qtbot, view, b.sale_id)
    assert view.detail_title.text() == "Paid — ARS 20.00"
    history = view.events_list.text()
    assert "created → Starting" in history and "linked → Waiting" in history and "→ Paid" in history
    assert view.refund_start.isEnabled() and "Up to ARS 20.00" in view.refund_note.text()
    assert a.sale_id != b.sale_id


def test_refund_with_the_manager_pin_end_to_end(qtbot, run, depay, journal_view):
    sale = paid(run, depay, "100.00", "Refund me")
    view = journal_view()
    click_row(qtbot, view, sale.sale_id)
    qtbot.mouseClick(view.refund_start, CLICK)
    assert view.refund_form.isVisible() and view.refund_amount.text() == "100.00"
    view.refund_amount.setText("130.00")
    qtbot.keyClicks(view.refund_pin, PIN)
    qtbot.mouseClick(view.refund_confirm, CLICK)
    qtbot.waitUntil(lambda: "At most ARS 100.00" in view.message.text(), timeout=10000)
    assert view.model.pin.failures == 0  # refused before the PIN was even checked

    view.refund_amount.setText("30.00")
    qtbot.keyClicks(view.refund_pin, "1111")
    qtbot.mouseClick(view.refund_confirm, CLICK)
    qtbot.waitUntil(lambda: "wrong PIN" in view.message.text(), timeout=10000)
    assert view.refund_pin.text() == "" and run(depay.journal.refunds(sale.sale_id)) == []

    qtbot.keyClicks(view.refund_pin, PIN)
    qtbot.keyClick(view.refund_pin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: cells(view, 1)[0] == "Part refunded", timeout=10000)
    qtbot.waitUntil(lambda: "Refunded ARS 30.00" in view.message.text(), timeout=10000)
    assert cells(view, 4)[0] == "ARS 30.00" and not view.refund_form.isVisible()
    assert "ARS 30.00 — partially refunded" in view.refunds_list.text() or "30.00" in view.refunds_list.text()
    assert "refund → Part refunded" in view.events_list.text()
    stored = run(depay.journal.get(sale.sale_id))
    assert stored.status == SaleStatus.PARTIALLY_REFUNDED and str(stored.refunded) == "30.00"

    qtbot.mouseClick(view.refund_start, CLICK)  # the rest
    assert view.refund_amount.text() == "70.00"
    qtbot.keyClicks(view.refund_pin, PIN)
    qtbot.mouseClick(view.refund_confirm, CLICK)
    qtbot.waitUntil(lambda: cells(view, 1)[0] == "Refunded" and view.model.busy is None, timeout=10000)
    assert not view.refund_start.isEnabled() and "Only paid sales" in view.refund_note.text()


def test_live_rows_and_export(qtbot, run, depay, journal_view, tmp_path):
    view = journal_view()
    assert view.table.model().rowCount() == 0 and not view.export.isEnabled()
    sale = run(depay.controller.charge("7.25", "live"))
    qtbot.waitUntil(lambda: view.table.model().rowCount() == 1, timeout=10000)
    assert cells(view, 1) == ["Waiting"]
    run(depay.sandbox.pay(sale.payload))
    qtbot.waitUntil(lambda: cells(view, 1) == ["Paid"], timeout=10000)
    paid(run, depay, "3.00", "second")
    qtbot.waitUntil(lambda: view.table.model().rowCount() == 2, timeout=10000)

    view.search.setText("live")
    out = tmp_path / "export.csv"
    task = view.export_to(str(out))
    qtbot.waitUntil(task.done, timeout=10000)
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["sale_id"], r["status"], r["amount"]) for r in rows] == [(sale.sale_id, "settled", "7.25")]
    assert f"Exported 1 sale to {out}" in view.message.text()


def test_small_screen_opens_the_detail_as_a_page(qtbot, run, depay, journal_view):
    sale = paid(run, depay, "9.90", "small")
    view = journal_view(size=(800, 440))
    assert view.table.isVisible() and not view.detail.isVisible()
    assert view.property("compact") == "true"
    click_row(qtbot, view, sale.sale_id)
    qtbot.waitUntil(view.detail.isVisible, timeout=10000)
    assert not view.table.isVisible() and view.back.isVisible()
    qtbot.mouseClick(view.back, CLICK)
    assert view.table.isVisible() and not view.detail.isVisible()


def test_a_rejected_refund_is_closed_on_screen_with_a_note_and_the_pin(qtbot, run, depay, journal_view):
    """Issue 12, defect 10: a Depay refund left REJECTED blocked the sale's refunds for ever."""
    depay.controller.refunds.follow_for = 5.0
    sale = paid(run, depay, "40.00", "Rejected refund")
    view = journal_view()
    click_row(qtbot, view, sale.sale_id)
    qtbot.mouseClick(view.refund_start, CLICK)
    view.refund_amount.setText("2.89")  # the sandbox rejects amounts ending in 9
    qtbot.keyClicks(view.refund_pin, PIN)
    qtbot.mouseClick(view.refund_confirm, CLICK)
    qtbot.waitUntil(lambda: "may still retry it" in view.message.text() and view.model.busy is None, timeout=15000)
    qtbot.waitUntil(view.close_note.isVisible, timeout=10000)
    assert "blocks further refunds" in view.detail.close_text.text()
    qtbot.keyClicks(view.close_note, "Depay support: failed, nothing sent")
    qtbot.keyClicks(view.close_pin, "1111")
    qtbot.mouseClick(view.close_confirm, CLICK)
    qtbot.waitUntil(lambda: "Closing refused: wrong PIN" in view.message.text(), timeout=10000)
    assert view.close_pin.text() == "" and run(depay.journal.refunds(sale.sale_id))[0]["status"] == "pending"
    qtbot.keyClicks(view.close_pin, PIN)
    qtbot.keyClick(view.close_pin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "closed as rejected" in view.message.text(), timeout=10000)
    qtbot.waitUntil(lambda: not view.close_note.isVisible(), timeout=10000)
    assert "closed by the manager: Depay support: failed, nothing sent" in view.refunds_list.text()
    qtbot.mouseClick(view.refund_start, CLICK)  # the sale can be refunded again
    view.refund_amount.setText("10.00")
    qtbot.keyClicks(view.refund_pin, PIN)
    qtbot.mouseClick(view.refund_confirm, CLICK)
    qtbot.waitUntil(lambda: "Refunded ARS 10.00" in view.message.text(), timeout=15000)
