"""recover() after the process died at each step of a sale.

Each test replays a sale's steps by hand (journal writes and provider calls, exactly as the controller makes
them) up to the crash point, then a fresh controller on the same journal recovers.
"""

import pytest

from app.checkout.controller import SaleInProgress
from app.checkout.recovery import CREATE_MAY_LAND_S
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.providers.base import ChargeSpec
from app.screens.counter_words import recovery_report
from app.screens.operations import Level
from tests.support.till import demo_till, linked_now, sandbox_request, second_controller, time_travel
from tests.support.waiting import until


async def _steps(rt, upto: str, amount="10.00") -> Sale:
    sale = Sale.new(Money.parse(amount, "BRL"), rt.provider.name, "", rt.link.link_id)
    await rt.journal.record(sale, "created")
    if upto == "journal":
        return sale
    spec = ChargeSpec(sale.sale_id, sale.amount, "", rt.controller.duration_s, sale.idempotency_key("create"))
    info = await rt.provider.create_request(spec)
    if upto == "create":
        return sale
    await rt.provider.link(rt.link.link_id, info.request_id, sale.idempotency_key("link"))
    if upto == "link":
        return sale
    sale = sale.with_(request_id=info.request_id, payload=info.payload, expires_at=info.expires_at).move(
        SaleStatus.LINKED
    )
    await rt.journal.record(sale, "linked")
    return sale


async def test_died_after_journaling_intent_before_create(tmp_path):
    async with demo_till(tmp_path) as rt:
        sale = await _steps(rt, "journal")
        [r] = await second_controller(rt).recover()  # at once: its create may still be on its way
        assert r.action == "create_in_flight" and r.sale.status.is_open and not r.sale.closed
        said = recovery_report([r])
        assert said is not None and said[1] is Level.WARNING and "may still be on its way" in said[0]
        [r] = await second_controller(rt, later_s=CREATE_MAY_LAND_S + 1).recover()  # it never came
        assert r.sale.sale_id == sale.sale_id and r.sale.status == SaleStatus.FAILED and r.sale.closed
        assert (await rt.sandbox.state())["requests"] == []


async def test_a_create_that_lands_after_recovery_looked_is_found_and_cancelled(tmp_path):
    """The till died with its create sent; recovery asked before it reached the provider. It is not called
    "never created": asked again, the request that landed late is cancelled, never left payable and unseen."""
    async with demo_till(tmp_path) as rt:
        sale = await _steps(rt, "journal")
        ctl = second_controller(rt)
        ctl.in_doubt.base_s = 0.05
        try:
            [r] = await ctl.recover()
            assert r.action == "create_in_flight" and list(ctl.in_doubt.sales) == [sale.sale_id]
            spec = ChargeSpec(sale.sale_id, sale.amount, "", rt.controller.duration_s, sale.idempotency_key("create"))
            late = await rt.provider.create_request(spec)  # the dead process's call arrives now
            closed = await ctl.wait_closed(sale.sale_id, timeout=20)
            assert closed.status == SaleStatus.CANCELLED and closed.closed, closed
            assert (await sandbox_request(rt, late.request_id))["status"] != "ACTIVE"  # nobody can pay it now
            assert await linked_now(rt) is None and ctl.in_doubt.sales == {}
        finally:
            await ctl.aclose()


async def test_died_after_create_before_link(tmp_path):
    async with demo_till(tmp_path) as rt:
        sale = await _steps(rt, "create")
        [r] = await second_controller(rt).recover()
        assert r.sale.status == SaleStatus.CANCELLED and r.sale.closed and "before it was shown" in r.sale.reason
        assert (await sandbox_request(rt, sale.sale_id))["status"] == "CANCELLED"
        assert await linked_now(rt) is None


async def test_died_after_link_before_journal_resumes_the_live_sale(tmp_path):
    async with demo_till(tmp_path) as rt:
        sale = await _steps(rt, "link")
        ctl = second_controller(rt)
        [r] = await ctl.recover()
        assert r.action == "resumed" and ctl.current.sale_id == sale.sale_id
        assert ctl.current.status == SaleStatus.LINKED and ctl.current.payload
        await rt.sandbox.pay(rt.link.payload)
        closed = await ctl.wait_closed(sale.sale_id, timeout=10)
        assert closed.status == SaleStatus.SETTLED and closed.unlinked
        await ctl.aclose()


async def test_died_while_waiting_then_resumed_or_cancelled(tmp_path):
    async with demo_till(tmp_path) as rt:
        sale = await _steps(rt, "linked")
        ctl = second_controller(rt)
        [r] = await ctl.recover(cancel_open=True)
        assert r.sale.status == SaleStatus.CANCELLED and r.sale.closed
        assert (await sandbox_request(rt, sale.request_id))["status"] == "CANCELLED"
        assert await linked_now(rt) is None


async def test_payment_that_arrived_while_down_is_found(tmp_path):
    async with demo_till(tmp_path) as rt:
        sale = await _steps(rt, "linked", amount="33.30")
        await rt.sandbox.pay(rt.link.payload)  # the customer paid while TillQR was not running
        [r] = await second_controller(rt).recover()
        assert r.sale.status == SaleStatus.SETTLED and str(r.sale.received) == "33.30"
        assert r.sale.closed and r.sale.unlinked and await linked_now(rt) is None
        stored = await rt.journal.get(sale.sale_id)
        assert stored.status == SaleStatus.SETTLED and stored.closed


async def test_died_after_settled_before_unlink(tmp_path):
    async with demo_till(tmp_path) as rt:
        sale = await _steps(rt, "linked")
        await rt.sandbox.pay(rt.link.payload)
        await rt.journal.record(sale.move(SaleStatus.SETTLED, amount_received=sale.amount), "status")
        assert await linked_now(rt) == sale.request_id
        [r] = await second_controller(rt).recover()
        assert r.sale.status == SaleStatus.SETTLED and r.sale.closed and await linked_now(rt) is None


async def test_expired_while_down(tmp_path):
    async with demo_till(tmp_path, duration_s=60) as rt:
        await _steps(rt, "linked")
        await time_travel(rt.sandbox, 61)  # the till is down past the request's expiry ...
        [r] = await second_controller(rt, later_s=61).recover()  # ... and starts again after it
        assert r.sale.status == SaleStatus.EXPIRED and r.sale.closed and await linked_now(rt) is None


async def test_provider_unreachable_at_recovery_loses_nothing(tmp_path):
    async with demo_till(tmp_path) as rt:
        sale = await _steps(rt, "linked")
        await rt.sandbox.faults(error_rate=1.0)
        [r] = await second_controller(rt).recover()
        assert r.action == "unreachable" and not r.sale.closed
        assert [s.sale_id for s in await rt.journal.open_sales()] == [sale.sale_id]
        await rt.sandbox.faults()
        await rt.sandbox.pay(rt.link.payload)
        [r2] = await second_controller(rt).recover()
        assert r2.sale.status == SaleStatus.SETTLED and r2.sale.closed


async def test_a_sale_in_doubt_is_asked_about_again_until_the_provider_answers(tmp_path):
    """A payment made while the till was down, and an outage during the start-up recover(): the
    sale is not forgotten for the session; it is asked about again and its waiters are told."""
    async with demo_till(tmp_path) as rt:
        sale = await _steps(rt, "linked", amount="21.00")
        await rt.sandbox.pay(rt.link.payload)
        await rt.sandbox.faults(error_rate=1.0)
        ctl = second_controller(rt)
        ctl.in_doubt.base_s = 0.05
        try:
            [r] = await ctl.recover()
            assert r.action == "unreachable" and list(ctl.in_doubt.sales) == [sale.sale_id]
            first = ctl.in_doubt.sales
            await until(lambda: ctl.in_doubt.sales is not first)  # asked again (each answer is a new dict) ...
            assert list(ctl.in_doubt.sales) == [sale.sale_id]  # ... still down: still in doubt
            await rt.sandbox.faults()  # the provider answers again
            closed = await ctl.wait_closed(sale.sale_id, timeout=20)
            assert closed.status == SaleStatus.SETTLED and str(closed.received) == "21.00" and closed.unlinked
            assert ctl.in_doubt.sales == {} and await linked_now(rt) is None
        finally:
            await ctl.aclose()


async def test_no_new_sale_on_the_link_while_an_earlier_one_may_still_be_payable_there(tmp_path):
    async with demo_till(tmp_path) as rt:
        earlier = await _steps(rt, "linked", amount="5.00")
        await rt.sandbox.faults(error_rate=1.0)
        ctl = second_controller(rt)
        ctl.in_doubt.base_s = 60  # only the charge asks again, in this test
        try:
            [r] = await ctl.recover()
            assert r.action == "unreachable"
            with pytest.raises(SaleInProgress, match="could not be checked with the provider yet"):
                await ctl.charge("7.00")
            await rt.sandbox.faults()
            with pytest.raises(SaleInProgress, match="is open"):  # found live: back on the counter
                await ctl.charge("7.00")
            assert ctl.current.sale_id == earlier.sale_id and await linked_now(rt) == earlier.request_id
            await ctl.cancel()
            await ctl.wait_closed(earlier.sale_id, timeout=10)
            nxt = await ctl.charge("7.00")
            assert nxt.status == SaleStatus.LINKED and await linked_now(rt) == nxt.request_id
        finally:
            await ctl.aclose()


async def test_recovery_is_idempotent(tmp_path):
    async with demo_till(tmp_path) as rt:
        await _steps(rt, "linked")
        await rt.sandbox.pay(rt.link.payload)
        first = await second_controller(rt).recover()
        again = await second_controller(rt).recover()
        assert len(first) == 1 and again == []


async def test_sales_of_another_provider_are_left_to_that_provider(tmp_path):
    from app.runtime import open_runtime

    depay = await open_runtime(demo=True, provider="depay", home=tmp_path, poll_interval=0.05)
    sale = await depay.controller.charge("11.00")
    await depay.controller.aclose()  # the process dies with the Depay sale open
    await depay.provider.aclose()
    await depay.journal.aclose()
    depay.lock.release()
    jpm = await open_runtime(demo=True, provider="jpmorgan", home=tmp_path, poll_interval=0.05)
    try:
        [r] = await jpm.controller.recover()
        assert r.action == "other_provider" and r.sale.sale_id == sale.sale_id
        stored = await jpm.journal.get(sale.sale_id)
        assert stored.status.is_open and not stored.closed  # never "failed": jpmorgan knows nothing of it
    finally:
        await jpm.aclose()


async def test_one_till_process_at_a_time(tmp_path):
    import pytest

    from app.runtime import CannotStart, open_runtime

    first = await open_runtime(demo=True, home=tmp_path)
    try:
        with pytest.raises(CannotStart, match="another TillQR is already running on this till"):
            await open_runtime(demo=True, home=tmp_path)
    finally:
        await first.aclose()
    again = await open_runtime(demo=True, home=tmp_path)  # free once the first has closed
    await again.aclose()
