"""CounterModel without Qt: typing, what the screen shows, what may be pressed, commands."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from app.checkout.controller import ChargeFailed, CheckoutError, SaleInProgress
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.providers.base import Capability
from app.screens.counter_model import CounterModel, Mode
from app.screens.operations import Level

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


class FakeController:
    currency = "BRL"

    def __init__(self, currency: str = "BRL", capabilities: Capability = Capability.DYNAMIC_QR):
        self.currency = currency
        self.capabilities = capabilities
        self.current: Sale | None = None
        self.charges: list[tuple[str, str]] = []
        self.dues: list = []
        self.fail_with: Exception | None = None
        self.gate: asyncio.Event | None = None

    async def charge(self, amount, reference="", *, due=None):
        self.charges.append((str(amount), reference))
        self.dues.append(due)
        if self.gate:
            await self.gate.wait()
        if self.fail_with:
            raise self.fail_with
        money = Money.parse(amount, self.currency)
        sale = Sale.new(money, "fake", reference).move(
            SaleStatus.LINKED, request_id="r1", payload="000201PAYLOAD", expires_at=T0 + timedelta(minutes=5)
        )
        self.current = sale
        return sale

    async def cancel(self):
        if self.fail_with:
            raise self.fail_with
        sale, self.current = self.current, None
        return sale.move(SaleStatus.CANCELLED) if sale else None

    async def recover(self, cancel_open=False):
        return []


def model(currency="BRL", capabilities=Capability.DYNAMIC_QR, **kw) -> CounterModel:
    return CounterModel(FakeController(currency, capabilities), clock=lambda: T0, **kw)


def typed(m: CounterModel, keys: str) -> str:
    for k in keys:
        m.press({"<": "back", "C": "clear"}.get(k, k))
    return m.entry


@pytest.mark.parametrize(
    "keys, expected",
    [
        ("1250", "1250"),
        ("12.50", "12.50"),
        ("12,5", "12.5"),
        ("12.505", "12.50"),
        ("1..2", "1.2"),
        (".5", "0.5"),
        ("007", "7"),
        ("0.07", "0.07"),
        ("12<", "1"),
        ("12C3", "3"),
        ("<<", ""),
        ("123456789", "1234567"),
        ("1a2", "12"),
    ],
)
def test_typing_two_decimals(keys, expected):
    assert typed(model(), keys) == expected


def test_typing_zero_and_three_decimal_currencies():
    assert typed(model("JPY"), "12.5") == "125"
    assert typed(model("KWD"), "1.2345") == "1.234"
    assert typed(model("INR"), "123456789") == "12345678", "INR's largest sale has 8 digits"
    assert model("JPY").placeholder == "0" and model("KWD").placeholder == "0.000"


def test_amount_text_shows_placeholder_when_empty():
    m = model()
    assert m.amount_text == "0.00"
    typed(m, "7")
    assert m.amount_text == "7"


@pytest.mark.parametrize("keys, words", [("", "enter an amount"), ("0", "more than zero"), ("0.00", "more than zero")])
def test_validation_messages(keys, words):
    m = model()
    typed(m, keys)
    assert words in m.validate().lower()


@pytest.mark.parametrize("pasted", ["0.001", "0,001", "00.500"])
def test_a_pasted_fraction_too_fine_is_refused_not_read_as_thousands(pasted):
    """ "0.001" is a thousandth, not 1: a thousands group never starts with 0 (it was read as BRL 1.00)."""
    m = model()
    typed(m, "7")
    assert not m.paste(pasted) and m.entry == "7"
    assert "decimals" in m.message
    assert m.paste("1.500") and m.entry == "1500"  # a real thousands group still reads as one


def test_the_amount_refusal_goes_once_the_amount_is_fixed():
    """ "Too large: …" (a key or a paste refused) stayed on screen after the cashier fixed the amount."""
    m = model()
    typed(m, "99999999")
    assert "Too large" in m.message
    typed(m, "<<")
    assert m.message == ""
    assert not m.paste("twelve") and "not an amount" in m.message
    assert m.paste("12,50") and m.entry == "12.50" and m.message == ""


def test_typing_keeps_a_warning_that_is_not_about_the_amount():
    m = model()
    m.message, m.message_level = "2 unfinished sale(s) could not be checked yet", Level.WARNING
    typed(m, "5")
    assert "could not be checked" in m.message


def test_change_listener_and_refused_keys():
    m = model()
    seen = []
    m.on_change(lambda: seen.append(m.entry))
    assert m.press("5") and seen == ["5"]
    assert not m.press("x") and seen == ["5"]


async def test_charge_clears_entry_shows_waiting_and_locks_keypad():
    m = model(demo=True, sandbox=object())
    typed(m, "12.50")
    assert m.can_charge and not m.can_cancel
    sale = await m.charge(" Table 4 ")
    assert m.controller.charges == [("12.50", "Table 4")]
    assert sale is m.sale and m.entry == "" and m.mode is Mode.WAITING
    assert m.show_qr and m.qr_payload == "000201PAYLOAD"
    assert m.banner.title == "Waiting for payment" and "BRL 12.50" in m.banner.detail
    assert m.sale_caption == ("BRL 12.50", "Table 4")
    assert not m.can_charge and m.can_cancel and m.can_simulate
    assert not m.press("1"), "no typing while a sale is open"


async def test_no_double_charge_while_in_flight():
    m = model()
    m.controller.gate = asyncio.Event()
    typed(m, "5")
    first = asyncio.ensure_future(m.charge())
    await asyncio.sleep(0)
    assert m.busy == "charge" and not m.can_charge
    assert m.banner.title == "Starting…"
    assert await m.charge() is None, "a second press is answered at once, not queued"
    assert m.message == "A sale is being started; wait for its QR."
    assert await m.cancel() is None
    assert m.message == "A sale is being started; wait for its QR. Then cancel it."
    m.controller.gate.set()
    await first
    assert len(m.controller.charges) == 1 and m.busy is None
    assert m.message == "", "the words about waiting go once the QR is there"


async def test_bad_amount_is_refused_in_words_without_calling_the_controller():
    m = model()
    typed(m, "0")
    assert await m.charge() is None
    assert m.message_level == "error" and "zero" in m.message
    assert m.controller.charges == []
    typed(m, "5")
    assert m.message == "", "typing clears the error"


@pytest.mark.parametrize(
    "exc", [ChargeFailed("the provider could not be reached"), SaleInProgress("a sale is open"), RuntimeError("boom")]
)
async def test_charge_failure_keeps_the_amount_and_says_why(exc):
    m = model()
    m.controller.fail_with = exc
    typed(m, "9.99")
    assert await m.charge() is None
    assert m.entry == "9.99" and m.busy is None and m.can_charge
    if isinstance(exc, RuntimeError):  # unexpected: said generically, the detail goes to the log
        assert "boom" not in m.message and "details are in its log" in m.message
    else:
        assert str(exc)[1:] in m.message and m.message[0].isupper()


async def test_cancel_and_cancel_failure():
    m = model()
    typed(m, "3")
    await m.charge()
    m.controller.fail_with = CheckoutError("cancel not confirmed: timeout")
    assert await m.cancel() is None and "Cancel not confirmed" in m.message and m.mode is Mode.WAITING
    m.controller.fail_with = None
    await m.cancel()
    assert m.mode is Mode.CANCELLED and "Nothing was charged" in m.banner.detail
    assert not m.can_cancel and not m.show_qr


def _sale(status=SaleStatus.LINKED, **kw) -> Sale:
    base = Sale.new(Money.parse("12.50", "BRL"), "fake", "ref")
    return (
        base.move(SaleStatus.LINKED, request_id="r", payload="P", expires_at=T0 + timedelta(seconds=299)).move(
            status, **kw
        )
        if status is not SaleStatus.PENDING
        else base
    )


def test_modes_and_banners_follow_events():
    m = model()
    assert m.mode is Mode.IDLE and m.banner.title == "Ready"
    linked = _sale()
    m.sale_changed(linked)
    assert m.mode is Mode.WAITING and m.countdown() == "4:59"
    assert m.countdown(T0 + timedelta(seconds=400)) == "0:00"
    paid = linked.move(SaleStatus.SETTLED, amount_received=Money.parse("12.50", "BRL"))
    m.sale_changed(paid)
    assert m.mode is Mode.PAID and m.banner.title == "PAID" and "12.50" in m.banner.detail
    assert m.countdown() == "" and not m.show_qr
    m.sale_changed(linked)  # a late, older snapshot of the same sale
    assert m.mode is Mode.PAID
    assert m.press("7"), "the counter is ready for the next amount"


def test_expired_failed_and_partial():
    m = model()
    linked = _sale()
    m.sale_changed(linked.with_(amount_received=Money.parse("5", "BRL")))
    assert m.mode is Mode.WAITING and m.banner.title == "Partly paid" and m.banner.flag == "partial"
    assert m.banner.detail == "Received BRL 5.00 of BRL 12.50 · BRL 7.50 still to pay"
    m.counter_free(linked.move(SaleStatus.EXPIRED))
    assert m.mode is Mode.EXPIRED and m.banner.title == "Expired" and "Nothing was charged" in m.banner.detail
    starting = _sale(SaleStatus.PENDING)  # the next sale, as the controller publishes it
    m.sale_changed(starting)
    m.sale_changed(starting.move(SaleStatus.FAILED, reason="provider unreachable: timeout"))
    assert m.mode is Mode.FAILED and m.banner.detail == "Provider unreachable: timeout"


def test_an_earlier_sale_ending_off_the_counter_is_said_not_shown():
    m = model()
    last = _sale(SaleStatus.SETTLED, amount_received=Money.parse("12.50", "BRL"))
    m.sale_changed(last)
    found = _sale(
        SaleStatus.SETTLED,
        amount_received=Money.parse("12.50", "BRL"),
        reason="payment found after the till had ended the sale",
    )
    m.sale_changed(found)
    assert m.sale is last
    assert (
        m.message == ("An earlier sale of BRL 12.50 is now paid: payment found after the till had ended the sale.")
        and m.message_level == "warning"
    )


def test_another_sale_finishing_does_not_hide_the_open_one():
    m = model()
    open_sale = _sale()
    m.sale_changed(open_sale)
    m.sale_changed(_sale(SaleStatus.EXPIRED))
    assert m.sale is open_sale


@pytest.mark.parametrize("status", [SaleStatus.LINKED, SaleStatus.PROCESSING, SaleStatus.SETTLED])
def test_an_old_sale_asked_about_again_never_takes_the_counter_from_the_open_one(status):
    """Recovery re-asks old sales in the background: their QR or their PAID must never show over the
    sale the customer in front of the cashier is paying."""
    m = model()
    open_sale = _sale()
    m.sale_changed(open_sale)
    old = _sale(status, **({"amount_received": Money.parse("12.50", "BRL")} if status == SaleStatus.SETTLED else {}))
    m.sale_changed(old)
    assert m.sale is open_sale and m.mode is Mode.WAITING and m.qr_payload == open_sale.payload


def test_notice_is_shown():
    m = model()
    m.notice("warning", "Lost contact with the provider")
    assert (m.message, m.message_level) == ("Lost contact with the provider", "warning")


async def test_simulate_payment_pays_the_link_payload_when_there_is_one():
    paid = []

    class Sandbox:
        async def pay(self, payload, amount=None):
            paid.append(payload)
            return {"status": "settled"}

    m = model(demo=True, sandbox=Sandbox(), link_payload="STICKER")
    assert not m.can_simulate
    typed(m, "1")
    await m.charge()
    assert await m.simulate_payment() == {"status": "settled"} and paid == ["STICKER"]
    m.link_payload = None
    await m.simulate_payment()
    assert paid[-1] == "000201PAYLOAD"


def test_no_simulate_outside_demo():
    m = model(demo=False, sandbox=object())
    m.sale_changed(_sale())
    assert not m.can_simulate


def test_no_qr_before_the_request_is_linked():
    m = model(demo=True, sandbox=object())
    pending = Sale.new(Money.parse("1", "BRL"), "fake").with_(payload="P")
    m.sale_changed(pending)
    assert m.mode is Mode.WAITING and not m.show_qr and not m.can_simulate and not m.can_cancel
    m.sale_changed(pending.move(SaleStatus.LINKED))
    assert m.show_qr and m.can_simulate and m.can_cancel


async def test_recover_summarises_what_it_found_and_survives_errors():
    from types import SimpleNamespace

    m = model()
    found = [SimpleNamespace(sale=_sale(SaleStatus.SETTLED), action="settled")]

    async def recover(cancel_open=False):
        return found

    m.controller.recover = recover
    assert await m.recover() == found
    assert "BRL 12.50 paid" in m.message and m.busy is None

    async def broken(cancel_open=False):
        raise OSError("journal is locked")

    m.controller.recover = broken
    assert await m.recover() == []
    assert m.message_level == "warning" and "journal is locked" in m.message


def test_partial_then_ended_says_to_give_the_money_back_not_nothing_charged():
    m = model()
    part = _sale().with_(amount_received=Money.parse("8", "BRL"))
    for status, title in [
        (SaleStatus.EXPIRED, "Expired"),
        (SaleStatus.CANCELLED, "Cancelled"),
        (SaleStatus.FAILED, "Failed"),
    ]:
        m.sale = None
        m.sale_changed(part.move(status))
        b = m.banner
        assert b.title == title and "Nothing was charged" not in b.detail and b.flag == "refund"
        assert b.note == "BRL 8.00 was received before it ended — refund it to the customer"
        m.notice("warning", f"BRL 8.00 was received for a sale that ended {status.value}: refund it to the customer.")
        assert m.message == "", "said once, on the banner"


def test_settled_only_is_paid_and_over_payment_is_flagged():
    m = model()
    m.sale_changed(_sale(SaleStatus.PROCESSING, amount_received=Money.parse("12.50", "BRL")))
    assert m.mode is Mode.WAITING and "PAID" not in m.banner.title
    assert m.banner.detail == "Received BRL 12.50 of BRL 12.50: confirming"
    m.sale_changed(m.sale.move(SaleStatus.SETTLED, amount_received=Money.parse("15", "BRL")))
    b = m.banner
    assert (b.mode, b.title, b.flag) == (Mode.PAID, "PAID", "overpaid")
    assert b.detail == "BRL 15.00 received for BRL 12.50"
    assert b.note == "Over-paid by BRL 2.50 — refund the difference to the customer"
    m.notice("warning", "Over-paid by BRL 2.50: refund the difference to the customer.")
    assert m.message == "", "said once, on the banner"
    m.notice("warning", "Lost contact with the provider (timeout); still trying…")
    assert m.message.startswith("Lost contact") and m.message_level == "warning"


def test_failure_and_provider_cancel_words():
    m = model()
    m.sale_changed(_sale(SaleStatus.FAILED, reason="provider: FAILED"))
    assert m.banner.detail == "BRL 12.50 could not be charged (provider status FAILED)"
    m.sale = None
    m.sale_changed(_sale(SaleStatus.CANCELLED, reason="provider: CANCELED"))
    assert m.banner.detail == "BRL 12.50 cancelled by the provider. Nothing was charged."
    m.sale = None
    m.sale_changed(_sale(SaleStatus.CANCELLED, reason="cancelled by the cashier"))
    assert m.banner.detail == "BRL 12.50 cancelled. Nothing was charged."


@pytest.mark.parametrize(
    "seconds, text",
    [(299, "4:59"), (3600 + 62, "1:01:02"), (86400 + 1, "1 day 0 h"), (86400 * 37 + 4 * 3600 + 5, "37 days 4 h")],
)
def test_countdown_reads_well_from_minutes_to_weeks(seconds, text):
    m = model()
    m.sale_changed(_sale().with_(expires_at=T0 + timedelta(seconds=seconds)))
    assert m.countdown() == text


def test_no_due_section_without_the_capability():
    m = model()
    assert m.due is None and not m.toggle_due() and not m.show_due_form and m.due_lines == ([], [])


async def test_due_section_terms_breakdown_and_charge():
    m = model(capabilities=Capability.DYNAMIC_QR | Capability.DUE_DATE)
    today = m.today()
    assert m.due is not None and not m.due_open and m.due_check() is None
    assert m.toggle_due() and m.show_due_form
    assert m.due_lines == ([f"Due date {today + timedelta(days=7)}", "Type the amount to see what is due today"], [])
    typed(m, "100")
    m.due.set("rebate", "1.5")
    m.due.add_discount()
    m.due.set_discount(0, amount="5")
    lines, problems = m.due_lines
    assert problems == [] and lines[-1] == f"Total due on {today}: BRL 93.50"
    m.due.set("fine", "2..")
    assert m.due_lines[1] == ["Fine: '2..' is not an amount: use digits and one decimal point, like 12.50"]
    assert await m.charge() is None and m.message.startswith("Fine:") and m.controller.charges == []
    assert m.due.values["fine"] == "2..", "nothing typed is lost"
    m.due.set("fine", "2")
    assert m.message == "", "fixing it clears the refusal"
    sale = await m.charge()
    terms = m.controller.dues[-1]
    assert terms.rebate == Money.parse("1.5", "BRL") and terms.fine == Money.parse("2", "BRL")
    assert [d.amount for d in terms.discounts] == [Money.parse("5", "BRL")]
    assert terms.due_date == today + timedelta(days=7) and terms.max_payment_days == 30
    assert m.due.values["fine"] == "" and m.due_open and not m.show_due_form, "reset, kept open for the next sale"
    assert not m.due.set("fine", "1"), "locked while the sale is open"
    assert m.sale_caption[0] == "BRL 93.50" and m.banner.detail == "Scan to pay BRL 93.50"
    assert m.due_lines[0][0] == f"Due date {terms.due_date}" and m.due_lines[0][-1].endswith("BRL 93.50")
    m.sale_changed(sale.move(SaleStatus.SETTLED, amount_received=Money.parse("93.50", "BRL")))
    assert m.banner.detail == "BRL 93.50 received" and m.banner.note == ""


async def test_due_section_closed_charges_without_terms():
    m = model(capabilities=Capability.DYNAMIC_QR | Capability.DUE_DATE)
    m.toggle_due(True)
    m.toggle_due(False)
    typed(m, "10")
    await m.charge()
    assert m.controller.dues == [None] and m.due_lines == ([], [])


def test_a_settled_due_date_sale_owes_what_the_provider_took():
    m = model(capabilities=Capability.DYNAMIC_QR | Capability.DUE_DATE)
    late = _sale(
        SaleStatus.SETTLED, amount_received=Money.parse("15.50", "BRL"), amount_due=Money.parse("15.50", "BRL")
    )
    m.sale_changed(late)  # 12.50 plus a fine and interest, paid after the due date
    assert m.banner.detail == "BRL 15.50 received" and m.banner.note == "" and m.sale_caption[0] == "BRL 15.50"
