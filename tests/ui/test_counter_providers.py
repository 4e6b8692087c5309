"""The counter on every provider (registry.PROVIDERS), the real controller and the in-process sandbox.

What the customer scans is what was charged: the QR is grabbed from the screen, decoded
with zxing-cpp, checked against the amount (UPI ``am=``, EMV tag 54 where present) and
paid through the sandbox's customer side; the banner then says PAID. Partial payments
read "Received X of Y" and never PAID until the rest arrives; over-payments read PAID
with a flagged "Over-paid by …" note; a due-date charge shows its breakdown before and
after Charge.
"""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from PIL import Image
from PySide6.QtCore import Qt

from app.checkout.events import Notice
from app.domain.money import minor_units
from app.providers.base import Capability
from app.providers.registry import PROVIDERS
from app.qr import emv
from app.runtime import SandboxError
from tests.ui.qrgrab import decode_qr

pytestmark = pytest.mark.ui

CLICK = Qt.MouseButton.LeftButton


def amount_for(view, major: str = "12.50") -> str:
    """``major`` written in the till's currency's decimals ("12.50" → "1250" for a zero-decimal one)."""
    whole, _, cents = major.partition(".")
    decimals = view.model.decimals
    return whole + (("." + (cents + "000")[:decimals]) if decimals else cents)


def charge(qtbot, view, amount: str) -> None:
    qtbot.keyClicks(view.amount, amount)
    assert view.amount.text() == amount
    qtbot.mouseClick(view.charge, CLICK)
    qtbot.waitUntil(lambda: view.qr.payload() is not None, timeout=10000)


def scanned_amount(payload: str) -> str | None:
    """The amount a customer's app reads from the payload: UPI ``am=``, EMV tag 54 (None where absent)."""
    if payload.startswith("upi://"):
        return parse_qs(urlsplit(payload).query)["am"][0]
    decoded = emv.decode(payload)
    assert decoded.valid, decoded.errors
    return decoded.fields.get("54")


def notices_of(rt) -> list[str]:
    """The texts of the notices the controller publishes from now on (for "said once" checks)."""
    texts: list[str] = []
    rt.controller.subscribe(lambda ev: texts.append(ev.message) if isinstance(ev, Notice) else None)
    return texts


def wait_mode(qtbot, view, mode: str, timeout: int = 5000) -> None:
    qtbot.waitUntil(lambda: view.banner.property("mode") == mode, timeout=timeout)


def opened(till, provider: str, need: Capability = Capability.NONE, **kw):
    window, view, rt = till(provider=provider, **kw)
    if need and need not in rt.controller.capabilities:
        pytest.skip(f"{provider} has no {need.name}")
    return window, view, rt


@pytest.mark.parametrize("size", [(1280, 800), (800, 480)], ids=["1280x800", "800x480"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_scan_from_the_screen_pays_and_shows_paid(provider, size, till, qtbot, run, tmp_path):
    window, view, rt = opened(till, provider, size=size)
    currency = rt.controller.currency
    assert (view.due_toggle is not None) == (Capability.DUE_DATE in rt.controller.capabilities)
    assert view.currency.text() == currency and view.model.decimals == minor_units(currency)
    assert view.amount.text() == view.model.placeholder
    amount = amount_for(view)
    charge(qtbot, view, amount)
    sale = rt.controller.current
    scanned = decode_qr(view.qr, save_to=tmp_path / f"{provider}.png")
    assert scanned == [sale.payload], "what the customer scans is what was charged"
    assert scanned_amount(scanned[0]) in (str(sale.amount), None)
    if scanned[0].startswith("upi://"):
        assert scanned_amount(scanned[0]) == str(sale.amount)
    info = run(rt.provider.get_request(sale.request_id))
    if info.image_url:  # the provider drew the QR itself (Razorpay): the screen shows what its image holds
        png = run(rt.sandbox.client.get(info.image_url)).content
        held = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))]
        assert held == scanned
    assert f"Scan to pay {currency} " in view.banner.text()
    assert view.panel.amount.text() == sale.amount.display()

    run(rt.sandbox.pay(scanned[0]))  # the customer's app pays what it scanned
    wait_mode(qtbot, view, "paid")
    assert view.banner.text().startswith("✔ PAID") and f"{sale.amount.display()} received" in view.banner.text()
    assert not view.banner.note.isVisible()
    qtbot.waitUntil(lambda: rt.controller.current is None, timeout=10000)
    charge(qtbot, view, amount_for(view, "3"))  # the next sale goes on the same counter
    assert decode_qr(view.qr) == [rt.controller.current.payload]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_simulate_button_pays_what_the_customer_would_scan(provider, till, qtbot, run):
    window, view, rt = opened(till, provider)
    charge(qtbot, view, amount_for(view, "7.25"))
    assert view.simulate.isVisible() and view.simulate.isEnabled()
    assert view.model.link_payload == (rt.link.payload if rt.link else None)
    qtbot.mouseClick(view.simulate, CLICK)
    wait_mode(qtbot, view, "paid")
    state = run(rt.sandbox.state())
    assert [r["amount_paid"] for r in state["requests"] if r["provider"] == provider] == [str(view.model.sale.amount)]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_partial_payment_reads_received_x_of_y_until_paid_in_full(provider, till, qtbot, run):
    window, view, rt = opened(till, provider, Capability.PARTIAL_PAYMENT)
    cur = rt.controller.currency
    charge(qtbot, view, "12.50")
    payload = decode_qr(view.qr)[0]
    run(rt.sandbox.pay(payload, "8.00"))
    qtbot.waitUntil(lambda: "Received" in view.banner.text(), timeout=10000)
    assert view.banner.title.text() == "Partly paid"
    assert f"Received {cur} 8.00 of {cur} 12.50 · {cur} 4.50 still to pay" == view.banner.detail.text()
    assert view.banner.property("mode") == "waiting" and view.banner.property("flag") == "partial"
    assert "PAID" not in view.banner.text() and view.qr.payload() == payload, "still payable, still shown"
    assert view.cancel.isEnabled() and not view.charge.isEnabled()

    run(rt.sandbox.pay(payload))  # the rest
    wait_mode(qtbot, view, "paid")
    assert f"{cur} 12.50 received" in view.banner.text() and not view.banner.note.isVisible()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_over_payment_is_paid_and_flagged_for_refund(provider, till, qtbot, run):
    window, view, rt = opened(till, provider)
    notices = notices_of(rt)
    cur = rt.controller.currency
    charge(qtbot, view, amount_for(view, "12.50"))
    over = amount_for(view, "15.00")
    try:
        run(rt.sandbox.pay(decode_qr(view.qr)[0], over))
    except SandboxError as exc:
        if "fixed-amount" not in str(exc):
            raise
        pytest.skip(f"{provider}'s QR carries its amount: no wallet can pay another (the sandbox refuses it)")
    wait_mode(qtbot, view, "paid")
    received = view.model.sale.received
    if received == view.model.sale.amount:
        pytest.skip(f"{provider} reports the amount due, not what was paid")
    extra = amount_for(view, "2.50")
    assert view.banner.note.isVisible() and view.banner.property("flag") == "overpaid"
    assert view.banner.note.text() == f"⚠ Over-paid by {cur} {extra} — refund the difference to the customer"
    assert f"{cur} {over} received for {cur} {amount_for(view, '12.50')}" in view.banner.detail.text()
    qtbot.waitUntil(lambda: any("Over-paid by" in n for n in notices))  # the controller's own notice came ...
    assert not view.message.isVisible()  # ... and is said once, on the banner


@pytest.mark.parametrize("ending, mode, title", [("9", "failed", "Failed"), ("8", "cancelled", "Cancelled")])
def test_depay_stage_rules_show_on_the_banner(ending, mode, title, till, qtbot):
    if "depay" not in PROVIDERS:
        pytest.skip("no depay provider yet")
    window, view, rt = opened(till, "depay")
    charge(qtbot, view, amount_for(view, "12.5" + ending))
    qtbot.mouseClick(view.simulate, CLICK)
    wait_mode(qtbot, view, mode)
    assert title in view.banner.title.text() and "PAID" not in view.banner.text()
    assert "Nothing was charged" in view.banner.text() or mode == "failed"
    assert view.qr.payload() is None


@pytest.mark.parametrize("provider", PROVIDERS)
def test_due_date_section_breakdown_charge_scan_pay(provider, till, qtbot, run, tmp_path):
    window, view, rt = opened(till, provider, Capability.DUE_DATE)
    cur = rt.controller.currency
    m = view.model
    assert view.due_toggle is not None and view.due_toggle.isVisible() and not view.due_panel.isVisible()
    qtbot.keyClicks(view.amount, "100")
    window.activateWindow()
    qtbot.keyClick(window.windowHandle(), Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)  # the mnemonic
    qtbot.waitUntil(view.due_panel.isVisible, timeout=10000)
    assert view.due_panel.isVisible() and not view.keypad.isVisible()
    assert window.focusWidget() is view.due_panel.due_date, "the keyboard goes to the section"
    today = m.today()
    assert view.panel.details.isVisible() and "Total due on" in view.panel.details_text()

    panel = view.due_panel
    qtbot.keyClicks(panel.fields["fine"], "2")
    qtbot.keyClicks(panel.fields["interest"], "0.10")
    qtbot.keyClicks(panel.fields["rebate"], "1.5x")  # a typo: refused in words, nothing lost
    qtbot.waitUntil(panel.problems.isVisible, timeout=10000)
    assert "Rebate: '1.5x' is not an amount" in panel.problems.text()
    qtbot.keyClick(panel.fields["rebate"], Qt.Key.Key_Return)  # Enter charges: refused, in words
    qtbot.waitUntil(lambda: "Rebate" in view.message.text(), timeout=10000)
    assert rt.controller.current is None and panel.fields["rebate"].text() == "1.5x"
    qtbot.keyClick(panel.fields["rebate"], Qt.Key.Key_Backspace)
    assert not panel.problems.isVisible() and not view.message.isVisible()
    qtbot.mouseClick(panel.add, CLICK)
    assert len(panel.discount_rows) == 1 and window.focusWidget() is panel.discount_rows[0].amount
    qtbot.keyClicks(panel.discount_rows[0].amount, "5")
    lines = view.panel.details_text().splitlines()
    due = m.due.due_date
    assert lines == [
        f"Due date {due}",
        f"Amount: {cur} 100.00",
        f"Rebate: -{cur} 1.50",
        f"Discount until {due}: -{cur} 5.00",
        f"Total due on {today}: {cur} 93.50",
    ]

    qtbot.keyClick(panel.due_date, Qt.Key.Key_Return)  # Enter charges, from any field of the section
    qtbot.waitUntil(lambda: view.qr.payload() is not None and view.model.busy is None, timeout=10000)
    sale = rt.controller.current
    assert view.panel.details_text().splitlines() == lines, "the sale keeps its breakdown on screen"
    assert not panel.widget().isEnabled() and panel.fields["fine"].text() == "", "reset for the next sale"
    assert not panel.isVisible() and view.keypad.isVisible() and not view.keypad.isEnabled()
    assert view.due_toggle.isChecked() and not view.due_toggle.isEnabled(), "open again for the next sale"
    assert view.panel.amount.text() == f"{cur} 93.50" and "days" in view.panel.countdown.text()
    assert f"Scan to pay {cur} 93.50" in view.banner.text()
    scanned = decode_qr(view.qr, save_to=tmp_path / "due.png")
    assert scanned == [sale.payload] and scanned_amount(scanned[0]) in (None, "100.00", "93.50")
    state = run(rt.sandbox.state())
    assert [r["amount"] for r in state["requests"]] == ["100.00"]

    run(rt.sandbox.pay(scanned[0]))
    wait_mode(qtbot, view, "paid")
    assert f"{cur} 93.50 received" in view.banner.text() and not view.banner.note.isVisible()


def test_lost_contact_and_back_are_said_in_words(till, qtbot, run):
    window, view, rt = opened(till, PROVIDERS[0])
    charge(qtbot, view, amount_for(view, "5"))
    run(rt.sandbox.faults(error_rate=1.0))  # every provider call answers 5xx
    qtbot.waitUntil(lambda: "Lost contact with the provider" in view.message.text(), timeout=20000)
    assert view.message.property("level") == "warning" and view.banner.property("mode") == "waiting"
    run(rt.sandbox.faults())
    qtbot.waitUntil(lambda: "Connection to the provider is back" in view.message.text(), timeout=20000)
    run(rt.sandbox.pay(view.qr.payload()))
    wait_mode(qtbot, view, "paid")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_part_paid_then_cancelled_says_to_give_it_back(provider, till, qtbot, run):
    window, view, rt = opened(till, provider, Capability.PARTIAL_PAYMENT)
    notices = notices_of(rt)
    cur = rt.controller.currency
    charge(qtbot, view, "12.50")
    run(rt.sandbox.pay(decode_qr(view.qr)[0], "8.00"))
    qtbot.waitUntil(lambda: view.banner.title.text() == "Partly paid", timeout=10000)
    qtbot.mouseClick(view.cancel, CLICK)
    wait_mode(qtbot, view, "cancelled")
    assert "Nothing was charged" not in view.banner.text() and view.banner.property("flag") == "refund"
    assert view.banner.note.text() == f"⚠ {cur} 8.00 was received before it ended — refund it to the customer"
    qtbot.waitUntil(lambda: any("refund it to the customer" in n for n in notices))
    assert not view.message.isVisible(), "the controller's notice says the same: shown once"
