"""Races where the customer's payment meets the till's own decision to end a sale.

The provider's truth wins: a payment is never recorded as expired, failed or cancelled. The customer's
move is injected at the exact moment through a provider subclass that calls the real sandbox.
"""

import asyncio
from datetime import timedelta

from app.checkout.controller import ChargeFailed, CheckoutController
from app.domain.sale import SaleStatus, utcnow
from app.providers.jpmorgan import JPMorganProvider
from tests.support.till import bare_till, time_travel
from tests.support.waiting import until

LATER = timedelta(seconds=61)


async def _truth(till, request_id):
    state = await till.sandbox.state()
    return next(r for r in state["requests"] if r["id"] == request_id)


async def linked(sandbox, request_id) -> bool:
    return any(link["linked_request"] == request_id for link in (await sandbox.state())["links"])


async def test_payment_processing_at_expiry_is_followed_to_settled(tmp_path):
    async with bare_till(tmp_path, settle_delay_s=2.0, duration_s=1) as till:  # paid at once, settled after expiry
        sale = await till.controller.charge("12.50")
        assert (await till.sandbox.pay(till.link.payload))["status"] == "PROCESSING"
        closed = await till.controller.wait_closed(sale.sale_id, timeout=20)
        assert closed.status == SaleStatus.SETTLED and str(closed.received) == "12.50"
        assert (await _truth(till, sale.request_id))["status"] == "SETTLED"


async def test_link_answer_lost_then_customer_pays_is_recorded_paid(tmp_path):
    hook = {}

    class LinkAnswerLost(JPMorganProvider):
        async def link(self, link_id, request_id, key):
            await hook["sandbox"].faults(timeout_rate=1.0)  # the sandbox links, then holds the answer

            async def customer():
                await until(lambda: linked(hook["sandbox"], request_id))  # the sandbox has linked it
                await hook["sandbox"].pay(hook["payload"])

            paying = asyncio.ensure_future(customer())
            try:
                return await super().link(link_id, request_id, key)
            finally:
                await paying
                await hook["sandbox"].faults()

    async with bare_till(tmp_path, provider_cls=LinkAnswerLost) as till:
        hook.update(sandbox=till.sandbox, payload=till.link.payload)
        try:
            await till.controller.charge("12.50")
            raise AssertionError("the charge should report the lost answer")
        except ChargeFailed as exc:
            assert "Nothing was charged" not in str(exc)
        [sale] = await till.journal.list_sales()
        closed = await till.controller.wait_closed(sale.sale_id, timeout=15)
        assert closed.status == SaleStatus.SETTLED and str(closed.received) == "12.50" and closed.unlinked


async def test_recover_cancel_open_loses_the_race_to_the_customer(tmp_path):
    armed = {"on": False}

    class PaysBeforeCancel(JPMorganProvider):
        async def cancel_request(self, request_id, key):
            if armed["on"]:
                await armed["sandbox"].pay(armed["payload"])
            return await super().cancel_request(request_id, key)

    async with bare_till(tmp_path, provider_cls=PaysBeforeCancel) as till:
        sale = await till.controller.charge("12.50")
        await till.controller.aclose()  # the process "dies" with the sale linked
        armed.update(on=True, sandbox=till.sandbox, payload=till.link.payload)
        ctl2 = CheckoutController(till.provider, till.journal, link_id=till.link.link_id, poll_interval=0.05)
        [r] = await ctl2.recover(cancel_open=True)
        assert r.sale.status == SaleStatus.SETTLED and str(r.sale.received) == "12.50" and r.sale.closed
        stored = await till.journal.get(sale.sale_id)
        assert stored.status == SaleStatus.SETTLED and stored.closed


async def test_recover_while_payment_processing_waits_for_it(tmp_path):
    async with bare_till(tmp_path, settle_delay_s=1.0) as till:
        sale = await till.controller.charge("12.50")
        await till.controller.aclose()
        await till.sandbox.pay(till.link.payload)  # PROCESSING while the till is down
        ctl2 = CheckoutController(till.provider, till.journal, link_id=till.link.link_id, poll_interval=0.05)
        [r] = await ctl2.recover(cancel_open=True)
        assert r.action == "resumed" and r.sale.status == SaleStatus.PROCESSING
        closed = await ctl2.wait_closed(sale.sale_id, timeout=15)
        assert closed.status == SaleStatus.SETTLED
        await ctl2.aclose()


async def test_recover_that_cannot_finish_never_rewrites_a_found_payment(tmp_path):
    class UnlinkDown(JPMorganProvider):
        async def unlink(self, *a):
            from app.providers.base import ProviderUnavailable

            raise ProviderUnavailable("down for the test")

    async with bare_till(tmp_path, duration_s=60, provider_cls=UnlinkDown) as till:
        sale = await till.controller.charge("12.50")
        await till.controller.aclose()
        await till.sandbox.pay(till.link.payload)
        await time_travel(till.sandbox, 61)  # and its expiry passes while the till is down
        ctl2 = CheckoutController(
            till.provider, till.journal, link_id=till.link.link_id, poll_interval=0.05, clock=lambda: utcnow() + LATER
        )
        results = await ctl2.recover()
        assert {x.action for x in results} == {"unreachable"}  # the sale, and the link it still holds
        r = results[0]
        assert r.sale.sale_id == sale.sale_id and r.sale.status == SaleStatus.SETTLED and not r.sale.closed
        stored = await till.journal.get(sale.sale_id)
        assert stored.status == SaleStatus.SETTLED and str(stored.received) == "12.50"


async def test_unexpected_error_in_start_does_not_block_the_counter(tmp_path):
    class Broken(JPMorganProvider):
        calls = 0

        async def create_request(self, spec):
            Broken.calls += 1
            if Broken.calls == 1:
                raise ValueError("a bug")
            return await super().create_request(spec)

    async with bare_till(tmp_path, provider_cls=Broken) as till:
        try:
            await till.controller.charge("1.00")
        except ValueError:
            pass
        first = (await till.journal.list_sales())[0]
        assert first.status == SaleStatus.FAILED
        await till.controller.wait_closed(first.sale_id, timeout=10)
        nxt = await till.controller.charge("2.00")
        assert nxt.status == SaleStatus.LINKED
        await till.controller.cancel()
