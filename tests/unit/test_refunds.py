"""Refunds through the controller on a provider that can (Depay), against its sandbox."""

import pytest

from app.checkout.refunds import RefundError
from app.domain.sale import SaleStatus
from app.runtime import open_runtime


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
        "refunded", "partially_refunded"}
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


async def test_lost_refund_answer_is_never_sent_twice(depay):
    sale = await paid_sale(depay, "40.00")
    await depay.sandbox.faults(timeout_rate=1.0)  # the refund is made, its answer never arrives
    with pytest.raises(RefundError):
        await depay.controller.refund(sale.sale_id, "15.00")
    await depay.sandbox.faults()
    assert [r["status"] for r in await depay.journal.refunds(sale.sale_id)] == ["pending"]
    with pytest.raises(RefundError, match="not confirmed"):  # no second refund while one is unknown
        await depay.controller.refund(sale.sale_id, "15.00")
    fresh = second_runtime_controller(depay)
    await fresh.recover()  # a restart: Depay cannot tell a retry from a new refund, so nothing is re-sent
    [row] = await depay.journal.refunds(sale.sale_id)
    assert row["status"] == "pending" and "dashboard" in row["reason"]
    calls = (await depay.sandbox.client.get("/_sandbox/calls")).json()["calls"]
    assert sum(1 for c in calls if c["path"].endswith("/v2/qr/refund")) <= 3  # the client's own retries only


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
