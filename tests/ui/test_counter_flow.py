"""The counter on the real controller and the in-process sandbox: what the customer scans is what was charged."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.qr import emv
from app.runtime import open_runtime
from app.ui.app import compose
from tests.ui.qrgrab import decode_qr

pytestmark = pytest.mark.ui

CLICK = Qt.MouseButton.LeftButton


def charge(qtbot, view, amount: str) -> None:
    qtbot.keyClicks(view.amount, amount)
    qtbot.mouseClick(view.charge, CLICK)
    qtbot.waitUntil(lambda: view.qr.payload() is not None, timeout=10000)


def test_scan_of_the_painted_qr_pays_the_typed_amount(till, qtbot, run, tmp_path):
    window, view, rt = till()
    charge(qtbot, view, "12.50")
    sale = rt.controller.current
    scanned = decode_qr(view.qr, save_to=tmp_path / "qr.png")
    assert scanned == [sale.payload], "what the customer scans is what was charged"
    decoded = emv.decode(scanned[0])
    assert decoded.valid and decoded.fields["54"] == "12.50" and decoded.fields["53"] == "986"
    assert "Waiting for payment" in view.banner.text() and view.panel.countdown.text().startswith("Expires in 0:5")

    answer = run(rt.sandbox.pay(scanned[0]))  # the customer's banking app pays what it scanned
    assert answer["request_id"] == sale.request_id
    qtbot.waitUntil(lambda: view.banner.property("mode") == "paid", timeout=10000)
    assert "PAID" in view.banner.text() and "BRL 12.50 received" in view.banner.text()
    assert view.qr.payload() is None and view.panel.countdown.text() == ""
    qtbot.waitUntil(lambda: rt.controller.current is None, timeout=10000)  # unlinked, counter free

    charge(qtbot, view, "3")  # the next sale goes on the same counter
    assert emv.decode(decode_qr(view.qr)[0]).fields["54"] == "3.00"


def test_simulate_button_pays_the_static_link(till, qtbot, run):
    window, view, rt = till()
    assert window.demo_mark is not None and window.demo_mark.isVisible() and view.simulate.isVisible()
    charge(qtbot, view, "7.25")
    assert rt.link is not None
    qtbot.mouseClick(view.simulate, CLICK)
    qtbot.waitUntil(lambda: "PAID" in view.banner.text(), timeout=10000)
    state = run(rt.sandbox.state())
    paid = [r for r in state["requests"] if r["status"].lower() in ("settled", "completed", "paid")]
    assert [r["amount_paid"] for r in paid] == ["7.25"]


def test_cancel_frees_the_counter(till, qtbot, run):
    _, view, rt = till()
    charge(qtbot, view, "9")
    qtbot.waitUntil(view.cancel.isEnabled, timeout=10000)
    qtbot.mouseClick(view.cancel, CLICK)
    qtbot.waitUntil(lambda: "Cancelled" in view.banner.text(), timeout=10000)
    assert view.qr.payload() is None and not view.cancel.isEnabled()
    qtbot.waitUntil(lambda: rt.controller.current is None, timeout=10000)
    charge(qtbot, view, "1")


def test_expiry_shows_expired_and_next_sale_works(till, qtbot):
    _, view, rt = till(duration_s=2)
    charge(qtbot, view, "4.40")
    qtbot.waitUntil(lambda: view.banner.property("mode") == "expired", timeout=10000)
    assert "Expired" in view.banner.text() and "Nothing was charged" in view.banner.text()
    assert view.qr.payload() is None
    charge(qtbot, view, "5")
    assert view.banner.property("mode") == "waiting"


def test_bad_amounts_are_refused_in_words(till, qtbot):
    _, view, rt = till()
    qtbot.keyClicks(view.amount, "1234567")
    qtbot.keyClick(view.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(view.message.isVisible, timeout=10000)
    assert "more than one sale can be" in view.message.text()
    qtbot.keyClick(view.amount, Qt.Key.Key_Delete)
    qtbot.keyClicks(view.amount, "0.00")
    qtbot.keyClick(view.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "more than zero" in view.message.text(), timeout=10000)
    assert rt.controller.current is None and view.qr.payload() is None


def test_recover_at_start_reports_nothing_to_do(till, qtbot, run):
    _, view, rt = till()
    assert run(view.model.recover()) == []
    assert view.model.busy is None and view.banner.text().startswith("Ready")


def test_a_sale_left_open_by_a_dead_process_is_resumed_on_screen(qtbot, run, tmp_path):
    from types import SimpleNamespace

    from tests.support.till import second_controller

    rt = run(open_runtime(demo=True, home=tmp_path / "home", duration_s=60, poll_interval=0.05))
    try:
        sale = run(rt.controller.charge("8.80", "Order 17"))
        run(rt.controller.aclose())  # the process "dies": nothing watches the sale any more
        restarted = SimpleNamespace(
            controller=second_controller(rt),
            demo=True,
            store_name="Restarted",
            link=rt.link,
            sandbox=rt.sandbox,
            mode_text="",
        )
        window = compose(restarted)
        qtbot.addWidget(window)
        window.show()
        view = window.counter
        found = run(view.model.recover())
        assert [r.action for r in found] == ["resumed"]
        qtbot.waitUntil(lambda: view.qr.payload() == sale.payload, timeout=10000)
        assert decode_qr(view.qr) == [sale.payload] and "BRL 8.80" in view.message.text()
        assert view.cancel.isEnabled() and not view.charge.isEnabled()
        run(rt.sandbox.pay(rt.link.payload))
        qtbot.waitUntil(lambda: "PAID" in view.banner.text(), timeout=10000)
        window.close()
        run(restarted.controller.aclose())
    finally:
        run(rt.aclose())
