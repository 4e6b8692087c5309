"""The counter screen against a scripted controller: keyboard, keypad, QR, banner, demo mark, no freezing."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.domain.sale import SaleStatus
from app.qr import emv
from app.screens.counter_words import Standing
from app.ui.app import compose
from tests.ui.fakes import FakeController, FakeRuntime
from tests.ui.qrgrab import decode_qr

pytestmark = pytest.mark.ui


@pytest.fixture
def make_window(qtbot, aloop):
    keep = []  # qtbot.addWidget holds windows weakly: a window bound to `_` would be collected

    def make(*, demo: bool = True, delay: float = 0.0, size=(1280, 800)):
        controller = FakeController(delay=delay)
        runtime = FakeRuntime(controller, demo=demo)
        window = compose(runtime)
        qtbot.addWidget(window)
        window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        keep.append(window)
        return window, window.counter, controller, runtime

    return make


def test_typed_amount_is_what_the_qr_charges(make_window, qtbot):
    window, view, controller, _ = make_window()
    qtbot.keyClicks(view.amount, "12.50")
    assert view.amount.text() == "12.50"
    qtbot.keyClicks(view.reference, "Table 4")
    qtbot.keyClick(view.amount, Qt.Key.Key_Return)
    # the QR is painted on the LINKED event, the entry cleared once the charge command returns: both follow
    qtbot.waitUntil(lambda: view.qr.payload() is not None and view.amount.text() == "0.00", timeout=10000)
    sale = controller.current
    assert view.qr.payload() == sale.payload
    assert decode_qr(view.qr) == [sale.payload]
    assert emv.decode(sale.payload).fields["54"] == "12.50"
    assert view.panel.amount.text() == "BRL 12.50" and view.panel.reference.text() == "Table 4"
    assert view.panel.countdown.text().startswith("Expires in 4:5") or view.panel.countdown.text() == "Expires in 5:00"
    assert "Waiting for payment" in view.banner.text()
    assert view.amount.text() == "0.00" and view.reference.text() == ""


def test_qr_is_square_integer_modules_with_quiet_zone(make_window, qtbot):
    _, view, _, _ = make_window(size=(800, 480))
    qtbot.keyClicks(view.amount, "3")
    qtbot.mouseClick(view.charge, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.qr.payload() is not None, timeout=10000)
    rect, n = view.qr.symbol_rect(), view.qr.modules()
    assert rect.width() == rect.height() and rect.width() % n == 0 and rect.width() // n >= 3
    image = view.qr.grab().toImage()
    module = rect.width() // n
    for dx in range(4 * module):  # the quiet zone is white
        assert image.pixelColor(rect.left() + dx, rect.top() + dx).name() == "#ffffff"
    assert decode_qr(view.qr) == [view.qr.payload()]


def test_keypad_builds_the_amount(make_window, qtbot):
    _, view, _, _ = make_window()
    for key in ["7", ".", "5", "back", "2", "5"]:
        qtbot.mouseClick(view.keypad.buttons[key], Qt.MouseButton.LeftButton)
    assert view.amount.text() == "7.25"
    qtbot.mouseClick(view.clear, Qt.MouseButton.LeftButton)
    assert view.amount.text() == "0.00" and not view.charge.isEnabled()


def test_in_flight_charge_disables_buttons_and_window_keeps_painting(make_window, qtbot):
    _, view, controller, _ = make_window(delay=2.0)  # long enough to look at, even on a slow machine
    qtbot.keyClicks(view.amount, "5")
    qtbot.mouseClick(view.charge, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.charge.text() == "Charging…", timeout=10000)
    assert not view.charge.isEnabled() and not view.keypad.isEnabled()
    qtbot.keyClick(view.amount, Qt.Key.Key_Return)  # Enter again: no second charge
    qtbot.wait(150)  # the Qt loop keeps running while the request is in flight
    assert "Starting" in view.banner.text()
    qtbot.waitUntil(lambda: view.qr.payload() is not None, timeout=10000)
    assert controller.calls == ["charge 5"]


def test_bad_amount_is_said_in_words(make_window, qtbot):
    _, view, controller, _ = make_window()
    qtbot.keyClicks(view.amount, "0")
    qtbot.keyClick(view.amount, Qt.Key.Key_Enter)
    qtbot.waitUntil(view.message.isVisible, timeout=10000)
    assert "more than zero" in view.message.text() and view.message.property("level") == "error"
    assert controller.calls == []


def test_refused_charge_shows_failed_and_reason(make_window, qtbot):
    _, view, controller, _ = make_window()
    controller.refuse = "amount above the account's limit"
    qtbot.keyClicks(view.amount, "99")
    qtbot.mouseClick(view.charge, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Failed" in view.banner.text(), timeout=10000)
    assert "limit" in view.message.text() and view.banner.property("mode") == "failed"
    assert view.amount.text() == "99" and view.charge.isEnabled(), "the amount stays for a retry"


def test_escape_cancels(make_window, qtbot):
    _, view, controller, _ = make_window()
    qtbot.keyClicks(view.amount, "8")
    qtbot.keyClick(view.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(view.cancel.isEnabled, timeout=10000)
    qtbot.keyClick(view.amount, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: "Cancelled" in view.banner.text(), timeout=10000)
    assert view.qr.payload() is None and view.banner.property("mode") == "cancelled"
    assert view.charge.isEnabled() is False and view.keypad.isEnabled()


def test_simulated_payment_shows_paid_then_next_sale(make_window, qtbot):
    _, view, controller, runtime = make_window()
    qtbot.keyClicks(view.amount, "4.20")
    qtbot.keyClick(view.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(view.simulate.isEnabled, timeout=10000)
    payload = view.qr.payload()
    qtbot.mouseClick(view.simulate, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "PAID" in view.banner.text(), timeout=10000)
    assert runtime.sandbox.paid == [payload]
    assert view.banner.property("mode") == "paid" and "BRL 4.20 received" in view.banner.text()
    qtbot.keyClicks(view.amount, "1")
    assert view.charge.isEnabled(), "the counter is ready for the next amount"


def test_expiry_and_notices_come_from_events(make_window, qtbot):
    _, view, controller, _ = make_window()
    qtbot.keyClicks(view.amount, "2")
    qtbot.keyClick(view.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.qr.payload() is not None, timeout=10000)
    controller.notice("warning", "Lost contact with the provider; still trying…")
    assert view.message.text().startswith("Lost contact") and view.message.property("level") == "warning"
    controller.finish(SaleStatus.EXPIRED, reason="expired")
    assert "Expired" in view.banner.text() and view.panel.countdown.text() == "" and view.qr.payload() is None


def test_demo_mark_and_simulate_only_in_demo(make_window):
    window, view, _, _ = make_window(demo=True)
    assert window.demo_mark is not None and window.demo_mark.isVisible()
    assert window.demo_mark.text() == "DEMO — sandbox" and "DEMO" in window.windowTitle()
    assert view.simulate.isVisible()
    window2, view2, _, _ = make_window(demo=False)
    assert window2.demo_mark is None and not view2.simulate.isVisible()
    assert "DEMO" not in window2.windowTitle()


def test_escape_from_the_reference_field_cancels_too(make_window, qtbot):
    _, view, controller, _ = make_window()
    qtbot.keyClicks(view.amount, "6")
    qtbot.keyClick(view.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(view.cancel.isEnabled, timeout=10000)
    view.reference.setEnabled(True)  # locked while the sale is open; force focus there to test the key path
    view.reference.setFocus()
    qtbot.keyClick(view.reference, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: "Cancelled" in view.banner.text(), timeout=10000)
    assert controller.calls == ["charge 6", "cancel"]


@pytest.mark.parametrize("size", [(800, 480), (1280, 800)])
def test_the_longest_amount_is_never_clipped(make_window, qtbot, size):
    from PySide6.QtGui import QFontMetrics

    _, view, _, _ = make_window(size=size)
    qtbot.keyClicks(view.amount, "5")
    qtbot.wait(50)
    assert view.amount.font().pixelSize() >= 26, "a short amount is shown large"
    qtbot.keyClick(view.amount, Qt.Key.Key_Backspace)
    qtbot.keyClicks(view.amount, "9999999.99")
    assert view.amount.text() == "9999999.99"
    qtbot.wait(50)
    shown = QFontMetrics(view.amount.font()).horizontalAdvance(view.amount.text())
    assert shown <= view.amount.contentsRect().width() - 24


def test_on_a_short_panel_the_notes_give_way_to_the_qr(make_window, qtbot):
    """800×480 with both standing notes said: the notes shrink to a line each (their whole text in the
    tooltip), so the code keeps at least 3 px a module and scans."""
    _, view, controller, _ = make_window(size=(800, 480))
    unfinished = "Setup is unfinished: the provider's address and the payment link (Settings names the fields)."
    view.model.set_standing(Standing.SETUP, unfinished)
    view.model.set_standing(Standing.PROVIDER, "The provider does not answer: sales cannot start until it does.")
    qtbot.keyClicks(view.amount, "3")
    qtbot.mouseClick(view.charge, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.qr.payload() is not None, timeout=10000)
    qtbot.wait(50)
    rect, n = view.qr.symbol_rect(), view.qr.modules()
    assert rect.width() // n >= 3, f"{rect.width()} px for {n} modules"
    assert decode_qr(view.qr) == [view.qr.payload()]
    assert view.standing.toolTip().startswith(unfinished) and view.standing.text().endswith("…")
    assert view.standing.height() <= 2 * view.standing.fontMetrics().height() + 12
