"""Refunds through the controller on a provider that can (Depay), against its sandbox."""

import asyncio

import pytest

from app.checkout.refunds import RefundError
from app.domain.sale import SaleStatus
from app.runtime import open_runtime
from tests.support.faults import seed_where


@pytest.fixture
async def depay(tmp_path):
    rt = await open_runtime(demo=True, provider="depay", home=tmp_path, poll_interval=0.05)
    rt.controller.refunds.poll_interval = 0.05
    yield rt
    await rt.aclose()


async def paid_sale(rt, amount="100.00"):
    sale = await rt.controller.charge(amount, "refund test")
    await rt.sandbox.pay(sale.payload)
    return await rt.controller.wait_closed(sale.sale_id, timeout=10)


async def test_partial_then_full_refund(depay):
    sale = await paid_sale(depay)
    assert sale.status == SaleStatus.SETTLED
    part = await depay.controller.refund(sale.sale_id, "30.00")
    assert part.status == SaleStatus.PARTIALLY_REFUNDED and str(part.refunded) == "30.00"
    rest = await depay.controller.refund(sale.sale_id)
    assert rest.status == SaleStatus.REFUNDED and str(rest.refunded) == "100.00"
    stored = await depay.journal.get(sale.sale_id)
    assert stored.status == SaleStatus.REFUNDED and str(stored.refunded) == "100.00"
    rows = await depay.journal.refunds(sale.sale_id)
    assert [r["amount_minor"] for r in rows] == [3000, 7000] and {r["status"] for r in rows} <= {
        "refunded",
        "partially_refunded",
    }
    assert len({r["refund_key"] for r in rows}) == 2


async def test_refunds_refused_in_words(depay):
    sale = await paid_sale(depay, "20.00")
    with pytest.raises(RefundError, match="at most"):
        await depay.controller.refund(sale.sale_id, "20.01")
    with pytest.raises(RefundError, match="no sale"):
        await depay.controller.refund("nope")
    open_sale = await depay.controller.charge("5.00")
    with pytest.raises(RefundError, match="only paid sales"):
        await depay.controller.refund(open_sale.sale_id)
    await depay.controller.cancel()
    assert await depay.journal.refunds(sale.sale_id) == []  # nothing was asked of the provider


async def test_a_refund_that_never_left_the_till_is_not_pending(depay):
    sale = await paid_sale(depay, "40.00")
    await depay.sandbox.faults(error_rate=1.0)  # the order cannot even be read: no refund is asked for
    with pytest.raises(RefundError, match="nothing was refunded"):
        await depay.controller.refund(sale.sale_id, "15.00")
    await depay.sandbox.faults()
    [row] = await depay.journal.refunds(sale.sale_id)
    assert row["status"] == "rejected" and row["reason"].startswith("not sent")
    calls = (await depay.sandbox.client.get("/_sandbox/calls")).json()["calls"]
    assert not any(c["path"].endswith("/v2/qr/refund") for c in calls)
    again = await depay.controller.refund(sale.sale_id, "15.00")  # free to ask now
    assert again.status == SaleStatus.PARTIALLY_REFUNDED and str(again.refunded) == "15.00"


async def test_lost_refund_answer_is_never_sent_twice_and_its_outcome_is_found(depay):
    sale = await paid_sale(depay, "40.00")
    # The order is read; the refund is made, but its answer never arrives.
    await depay.sandbox.faults(timeout_rate=0.5, seed=seed_where([None, "timeout"], timeout_rate=0.5))
    with pytest.raises(RefundError, match="never sent twice"):
        await depay.controller.refund(sale.sale_id, "15.00")
    await depay.sandbox.faults()
    [row] = await depay.journal.refunds(sale.sale_id)
    assert row["status"] == "pending" and row["refund_id"]  # the refund's place in the order's history
    with pytest.raises(RefundError, match="not confirmed"):  # no second refund while one is unknown
        await depay.controller.refund(sale.sale_id, "15.00")
    fresh = second_runtime_controller(depay)
    try:
        await fresh.recover()  # a restart: its outcome is read from the order, nothing is sent again
    finally:
        await fresh.aclose()
    [row] = await depay.journal.refunds(sale.sale_id)
    assert row["status"] == "partially_refunded"
    stored = await depay.journal.get(sale.sale_id)
    assert stored.status == SaleStatus.PARTIALLY_REFUNDED and str(stored.refunded) == "15.00"
    calls = (await depay.sandbox.client.get("/_sandbox/calls")).json()["calls"]
    assert sum(1 for c in calls if c["path"].endswith("/v2/qr/refund")) == 1


async def test_two_recovers_at_once_count_a_found_refund_once(depay):
    sale = await paid_sale(depay, "40.00")
    await depay.sandbox.faults(timeout_rate=0.5, seed=seed_where([None, "timeout"], timeout_rate=0.5))
    with pytest.raises(RefundError):
        await depay.controller.refund(sale.sale_id, "15.00")  # made; its answer lost
    await depay.sandbox.faults()
    refunds = depay.controller.refunds
    await asyncio.gather(refunds.resume(), refunds.resume())  # the background re-check and a charge's
    stored = await depay.journal.get(sale.sale_id)
    assert str(stored.refunded) == "15.00" and stored.status == SaleStatus.PARTIALLY_REFUNDED


async def test_a_refund_the_provider_keeps_pending_does_not_hold_every_start(depay):
    """Depay's REJECTED is "not final": the refund stays pending for a person, but a restart looks
    once, it does not follow it for half a minute."""
    sale = await paid_sale(depay, "40.00")
    depay.controller.refunds.follow_for = 0.2
    with pytest.raises(RefundError, match="REJECTED"):
        await depay.controller.refund(sale.sale_id, "2.89")  # the sandbox rejects amounts ending in 9
    fresh = second_runtime_controller(depay)
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await fresh.recover()
        assert loop.time() - started < 10  # it followed for 30 s before (a loose bound: shared machines)
    finally:
        await fresh.aclose()
    [row] = await depay.journal.refunds(sale.sale_id)
    assert (row["status"], row["provider_status"]) == ("pending", "REJECTED")


def second_runtime_controller(rt):
    from tests.support.till import second_controller

    return second_controller(rt)


async def test_providers_without_refunds_say_so(tmp_path):
    rt = await open_runtime(demo=True, provider="jpmorgan", home=tmp_path, poll_interval=0.05)
    try:
        sale = await paid_sale(rt, "10.00") if rt.link is None else None
        if sale is None:
            s = await rt.controller.charge("10.00")
            await rt.sandbox.pay(rt.link.payload)
            sale = await rt.controller.wait_closed(s.sale_id, timeout=10)
        with pytest.raises(RefundError, match="dashboard"):
            await rt.controller.refund(sale.sale_id)
    finally:
        await rt.aclose()
