"""``tillqr charge``'s waits are bounded and end through the controller's own command layer.

The command has no closing path of its own any more: a wait that runs out, Ctrl-C and SIGTERM all call
``CheckoutController.finish`` (cancel, then unlink), which is bounded itself and says in words when the
provider does not confirm (the journal keeps the sale; ``tillqr recover`` finishes it later).
"""

import asyncio

import pytest

from app.checkout.errors import CheckoutError
from app.commands import checkout_cli
from app.domain.sale import SaleStatus
from tests.support.till import demo_till, linked_now


@pytest.fixture(autouse=True)
def short_grace(monkeypatch):
    monkeypatch.setattr(checkout_cli, "UNLINK_GRACE_S", 2.0)


async def test_a_wait_that_runs_out_cancels_and_unlinks_the_sale(tmp_path):
    async with demo_till(tmp_path) as rt:
        sale = await rt.controller.charge("3.00")
        closed = await checkout_cli._wait(rt, sale, 0.0)
        assert closed.status == SaleStatus.CANCELLED and closed.closed and closed.unlinked
        assert await linked_now(rt) is None
        assert (await rt.journal.get(sale.sale_id)).closed


async def test_an_interrupt_cancels_the_sale_through_the_controller(tmp_path):
    async with demo_till(tmp_path) as rt:
        sale = await rt.controller.charge("4.00")
        waiting = asyncio.ensure_future(checkout_cli._wait(rt, sale, None))
        await asyncio.sleep(0)  # the wait has begun
        waiting.cancel()  # Ctrl-C / SIGTERM
        closed = await waiting
        assert closed.status == SaleStatus.CANCELLED and closed.unlinked
        assert await linked_now(rt) is None


async def test_a_provider_that_never_confirms_ends_with_run_recover_and_the_sale_kept(tmp_path):
    async with demo_till(tmp_path) as rt:
        sale = await rt.controller.charge("5.00")
        await rt.sandbox.faults(latency_ms=60_000)  # every answer from now on comes after a minute
        with pytest.raises(CheckoutError, match="tillqr recover") as caught:
            await asyncio.wait_for(checkout_cli._wait(rt, sale, 0.0), 15)
        assert "did not confirm the cancel" in str(caught.value)
        stored = await rt.journal.get(sale.sale_id)
        assert stored is not None and stored.status.is_open and not stored.closed  # kept for recover
        await rt.sandbox.faults()


async def test_a_sale_closed_before_the_wait_began_is_found_in_the_journal(tmp_path):
    async with demo_till(tmp_path) as rt:
        sale = await rt.controller.charge("6.00")
        await rt.sandbox.pay(rt.link.payload)
        closed = await rt.controller.wait_closed(sale.sale_id, timeout=10)
        again = await asyncio.wait_for(checkout_cli._wait(rt, sale, 30.0), 5)  # returns at once
        assert again.status == SaleStatus.SETTLED and again.closed and again == closed
