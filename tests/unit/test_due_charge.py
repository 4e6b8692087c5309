"""A due-date charge through the controller: what settles it is what is owed that day."""

from datetime import timedelta

from app.domain.duedate import amount_due, local_date
from app.domain.dueterms import Discount, DueTerms
from app.domain.money import Money
from app.domain.sale import SaleStatus, utcnow
from app.runtime import open_runtime


def brl(text: str) -> Money:
    return Money.parse(text, "BRL", allow_zero=True)


async def test_paid_two_days_late_owes_fine_and_interest_and_is_not_over_paid(tmp_path):
    rt = await open_runtime(demo=True, provider="pix", home=tmp_path, poll_interval=0.05)
    try:
        today = local_date(utcnow())
        due = DueTerms(
            due_date=today,
            max_payment_days=30,
            fine=brl("3.00"),
            interest_per_day=brl("2.00"),
            rebate=brl("1.00"),
            discounts=(Discount(brl("0.50"), today),),
            payer_name="Random",
            payer_document="00000000000",
        )
        sale = await rt.controller.charge("10.25", "bill 7", due=due)
        late = timedelta(days=2, hours=1)
        resp = await rt.sandbox.client.post("/_sandbox/clock", json={"advance_s": late.total_seconds()})
        assert resp.status_code == 200
        rt.controller.clock = lambda: utcnow() + late
        owed = amount_due(sale.amount, due, local_date(utcnow() + late))
        assert owed.fine == brl("3.00") and owed.discount == brl("0") and owed.total > sale.amount
        await rt.sandbox.pay(sale.payload)
        closed = await rt.controller.wait_closed(sale.sale_id, timeout=10)
        assert closed.status == SaleStatus.SETTLED and closed.received == owed.total
        assert closed.amount_due == owed.total and closed.overpaid.minor == 0
        stored = await rt.journal.get(sale.sale_id)
        assert stored.amount_due == owed.total
    finally:
        await rt.aclose()


async def test_refused_due_charge_frees_the_counter_at_once(tmp_path):
    from app.checkout.controller import ChargeFailed

    rt = await open_runtime(demo=True, provider="pix", home=tmp_path, poll_interval=0.05)
    try:
        today = local_date(utcnow())
        unusable = DueTerms(
            due_date=today,
            max_payment_days=5,
            fine=brl("0"),
            interest_per_day=brl("0"),
            rebate=brl("12.50"),
            payer_name="R",
            payer_document="00000000000",
        )  # rebate = all
        try:
            await rt.controller.charge("12.50", "typo", due=unusable)
            raise AssertionError("terms that leave nothing to pay are refused before anything is written")
        except ChargeFailed as exc:
            assert "rebate" in str(exc) and await rt.journal.list_sales() == []
        stale = DueTerms(
            due_date=today - timedelta(days=1),
            max_payment_days=5,
            fine=brl("0"),
            interest_per_day=brl("0"),
            rebate=brl("0"),
            payer_name="R",
            payer_document="00000000000",
        )
        try:
            await rt.controller.charge("12.50", "due yesterday", due=stale)
            raise AssertionError("the provider should refuse a due date in the past")
        except ChargeFailed as exc:
            assert "refused" in str(exc)
        nxt = await rt.controller.charge("12.50", "next customer")
        assert nxt.status == SaleStatus.LINKED
        [failed] = [s for s in await rt.journal.list_sales() if s.sale_id != nxt.sale_id]
        assert failed.status == SaleStatus.FAILED and failed.closed
        calls = (await rt.sandbox.client.get("/_sandbox/calls")).json()["calls"]
        assert sum(1 for c in calls if c["method"] == "POST" and c["path"].endswith("/qrcode")) == 2
        await rt.controller.cancel()
    finally:
        await rt.aclose()


async def test_due_charge_resumed_after_a_restart_and_paid_late_is_not_over_paid(tmp_path):
    from app.checkout.events import Notice
    from tests.support.till import second_controller

    rt = await open_runtime(demo=True, provider="pix", home=tmp_path, poll_interval=0.05)
    try:
        due = DueTerms(
            due_date=local_date(utcnow()),
            max_payment_days=30,
            fine=brl("3.00"),
            interest_per_day=brl("2.00"),
            rebate=brl("1.00"),
            payer_name="Random",
            payer_document="00000000000",
        )
        sale = await rt.controller.charge("10.25", "bill 7", due=due)
        await rt.controller.aclose()  # the till is switched off overnight
        late = timedelta(days=2, hours=1)
        await rt.sandbox.client.post("/_sandbox/clock", json={"advance_s": late.total_seconds()})
        ctl2 = second_controller(rt)
        ctl2.hub, ctl2.clock = rt.hub, (lambda: utcnow() + late)
        notices = []
        ctl2.subscribe(lambda e: isinstance(e, Notice) and notices.append(e.message))
        assert [r.action for r in await ctl2.recover()] == ["resumed"]
        assert ctl2._due == due  # the terms came back from the journal
        await rt.sandbox.pay(sale.payload)
        closed = await ctl2.wait_closed(sale.sale_id, timeout=10)
        owed = amount_due(sale.amount, due, local_date(utcnow() + late)).total
        assert closed.received == owed and closed.amount_due == owed and closed.overpaid.minor == 0
        assert not any("Over-paid" in n for n in notices)
        await ctl2.aclose()
    finally:
        await rt.aclose()
