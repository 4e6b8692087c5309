"""The checkout's invariants against the in-process sandbox (real HTTP over ASGI, real SQLite)."""

import asyncio

import pytest

from app.checkout.controller import ChargeFailed, CheckoutError, SaleInProgress
from app.checkout.events import CounterFree, SaleChanged
from app.domain.money import MoneyError
from app.domain.sale import SaleStatus
from app.qr.emv import decode
from app.runtime import SandboxError
from tests.support.till import demo_till, journal_row, linked_now, sandbox_request


async def test_sale_end_to_end_through_the_static_link(tmp_path):
    async with demo_till(tmp_path) as rt:
        ctl = rt.controller
        sale = await ctl.charge("12.50", "table 4")
        assert sale.status == SaleStatus.LINKED and sale.request_id == sale.sale_id
        assert await linked_now(rt) == sale.request_id
        shown = decode(sale.payload)
        assert shown.valid and shown.fields["54"] == "12.50"
        await rt.sandbox.pay(rt.link.payload)  # the customer scans the printed sticker
        closed = await ctl.wait_closed(sale.sale_id, timeout=10)
        assert closed.status == SaleStatus.SETTLED and closed.unlinked and str(closed.received) == "12.50"
        assert await linked_now(rt) is None and ctl.current is None
        kinds = [e["kind"] for e in await rt.journal.events(sale.sale_id)]
        assert kinds[:3] == ["created", "request_created", "linked"] and kinds[-1] == "closed"
        assert "status" in kinds


async def test_second_charge_while_open_is_refused_and_creates_nothing(tmp_path):
    async with demo_till(tmp_path) as rt:
        first = await rt.controller.charge("5.00")
        with pytest.raises(SaleInProgress):
            await rt.controller.charge("6.00")
        state = await rt.sandbox.state()
        assert [r["id"] for r in state["requests"]] == [first.request_id]
        assert len(await rt.journal.list_sales()) == 1
        await rt.controller.cancel()


async def test_concurrent_charges_link_only_one(tmp_path):
    async with demo_till(tmp_path) as rt:
        results = await asyncio.gather(*(rt.controller.charge(f"{n}.00") for n in (1, 2, 3)), return_exceptions=True)
        ok = [r for r in results if not isinstance(r, Exception)]
        assert len(ok) == 1 and all(isinstance(r, SaleInProgress) for r in results if isinstance(r, Exception))
        assert len((await rt.sandbox.state())["requests"]) == 1
        await rt.controller.cancel()


async def test_bad_amount_is_refused_before_anything_is_written(tmp_path):
    async with demo_till(tmp_path) as rt:
        for bad in ("0", "-3", "1.234", "abc", "99999999"):
            with pytest.raises(MoneyError):
                await rt.controller.charge(bad)
        assert await rt.journal.list_sales() == [] and (await rt.sandbox.state())["requests"] == []


async def test_expired_sale_is_unlinked_and_next_sale_works(tmp_path):
    async with demo_till(tmp_path, duration_s=1) as rt:
        sale = await rt.controller.charge("3.00")
        closed = await rt.controller.wait_closed(sale.sale_id, timeout=10)
        assert closed.status == SaleStatus.EXPIRED and closed.unlinked
        assert await linked_now(rt) is None
        with pytest.raises(SandboxError):
            await rt.sandbox.pay(rt.link.payload)  # nothing payable behind the sticker any more
        nxt = await rt.controller.charge("4.00")
        assert await linked_now(rt) == nxt.request_id
        await rt.sandbox.pay(rt.link.payload)
        assert (await rt.controller.wait_closed(nxt.sale_id, timeout=10)).status == SaleStatus.SETTLED


async def test_cancel(tmp_path):
    async with demo_till(tmp_path) as rt:
        sale = await rt.controller.charge("7.00")
        cancelled = await rt.controller.cancel()
        assert cancelled.status == SaleStatus.CANCELLED
        closed = await rt.controller.wait_closed(sale.sale_id, timeout=10)
        assert closed.unlinked and await linked_now(rt) is None
        assert (await sandbox_request(rt, sale.request_id))["status"] == "CANCELLED"
        assert await rt.controller.cancel() is None  # nothing open: nothing to cancel


async def test_cancel_after_payment_keeps_the_payment(tmp_path):
    async with demo_till(tmp_path, poll_interval=30) as rt:  # the watcher has not seen the payment yet
        sale = await rt.controller.charge("8.00")
        await rt.sandbox.pay(sale.payload)
        result = await rt.controller.cancel()
        assert result.status == SaleStatus.SETTLED
        assert (await rt.controller.wait_closed(sale.sale_id, timeout=10)).status == SaleStatus.SETTLED


async def test_journal_is_written_before_every_event(tmp_path):
    async with demo_till(tmp_path) as rt:
        seen = []

        def listener(ev):
            if isinstance(ev, SaleChanged):
                row = journal_row(rt, ev.sale.sale_id)  # another connection: only committed data is visible
                seen.append(
                    (
                        ev.sale.status.value,
                        row["status"] if row else None,
                        ev.sale.closed,
                        row["closed_at"] is not None if row else None,
                    )
                )

        rt.controller.subscribe(listener)
        sale = await rt.controller.charge("9.10")
        await rt.sandbox.pay(sale.payload)
        await rt.controller.wait_closed(sale.sale_id, timeout=10)
        assert len(seen) >= 4
        assert all(published == stored and closed == stored_closed for published, stored, closed, stored_closed in seen)


async def test_counter_free_is_published_after_unlink(tmp_path):
    async with demo_till(tmp_path) as rt:
        free = asyncio.Event()
        linked_at_free = []

        def listener(ev):
            if isinstance(ev, CounterFree):
                linked_at_free.append(ev.last.unlinked)
                free.set()

        rt.controller.subscribe(listener)
        sale = await rt.controller.charge("2.00")
        await rt.sandbox.pay(sale.payload)
        await asyncio.wait_for(free.wait(), 10)
        assert linked_at_free == [True] and await linked_now(rt) is None


async def test_partial_payment_does_not_settle(tmp_path):
    async with demo_till(tmp_path) as rt:
        sale = await rt.controller.charge("12.50")
        await rt.sandbox.pay(sale.payload, amount="8.00")
        for _ in range(100):
            await asyncio.sleep(0.05)
            if str(rt.controller.current.received) == "8.00":
                break
        assert rt.controller.current.status == SaleStatus.LINKED and str(rt.controller.current.received) == "8.00"
        await rt.sandbox.pay(sale.payload, amount="4.50")
        closed = await rt.controller.wait_closed(sale.sale_id, timeout=10)
        assert closed.status == SaleStatus.SETTLED and str(closed.received) == "12.50"


async def test_an_answer_that_is_not_json_is_not_called_no_answer(tmp_path):
    async with demo_till(tmp_path) as rt:
        await rt.sandbox.faults(garbage_rate=1.0)
        with pytest.raises(ChargeFailed, match="gave an answer that could not be used"):
            await rt.controller.charge("5.00")
        await rt.sandbox.faults()


async def test_provider_down_at_create_fails_cleanly_and_leaves_nothing_linked(tmp_path):
    async with demo_till(tmp_path) as rt:
        await rt.sandbox.faults(error_rate=1.0)
        with pytest.raises(ChargeFailed, match="is having trouble: it answered with an error"):
            await rt.controller.charge("5.00")
        failed = (await rt.journal.list_sales())[0]
        assert failed.status == SaleStatus.FAILED and not failed.closed
        with pytest.raises(ChargeFailed):  # the counter is not handed on while the closing cannot finish
            await rt.controller.charge("5.00")
        await rt.sandbox.faults()
        closed = await rt.controller.wait_closed(failed.sale_id, timeout=30)
        assert closed.closed and await linked_now(rt) is None
        nxt = await rt.controller.charge("5.00")
        assert nxt.status == SaleStatus.LINKED
        await rt.controller.cancel()


async def test_expiry_is_enforced_locally_when_the_provider_is_silent(tmp_path):
    async with demo_till(tmp_path, duration_s=2) as rt:
        sale = await rt.controller.charge("6.00")
        await rt.sandbox.faults(error_rate=1.0)
        for _ in range(200):
            await asyncio.sleep(0.05)
            if rt.controller.current and rt.controller.current.status == SaleStatus.EXPIRED:
                break
        cur = rt.controller.current
        assert cur.status == SaleStatus.EXPIRED and not cur.closed  # expired here, unlink still to do
        await rt.sandbox.faults()
        closed = await rt.controller.wait_closed(sale.sale_id, timeout=30)
        assert closed.status == SaleStatus.EXPIRED and closed.unlinked and await linked_now(rt) is None


async def test_link_busy_with_a_foreign_request_fails_the_charge_clearly(tmp_path):
    async with demo_till(tmp_path) as rt:
        from app.domain.money import Money
        from app.providers.base import ChargeSpec

        foreign = await rt.provider.create_request(ChargeSpec("f" * 32, Money.parse("1.00", "BRL"), "", 60, "f" * 32))
        await rt.provider.link(rt.link.link_id, foreign.request_id, "foreign-link")
        with pytest.raises(ChargeFailed):
            await rt.controller.charge("2.00")
        assert await linked_now(rt) == foreign.request_id  # another's request is never unlinked by us
        failed = (await rt.journal.list_sales())[0]
        closed = await rt.controller.wait_closed(failed.sale_id, timeout=10)
        assert (await sandbox_request(rt, closed.request_id or closed.sale_id))["status"] == "CANCELLED"


async def test_cancel_refused_while_provider_unreachable_keeps_sale_open(tmp_path):
    async with demo_till(tmp_path) as rt:
        sale = await rt.controller.charge("3.30")
        await rt.sandbox.faults(error_rate=1.0)
        with pytest.raises(CheckoutError, match="not confirmed"):
            await rt.controller.cancel()
        assert rt.controller.current.status.is_open
        await rt.sandbox.faults()
        assert (await rt.controller.cancel()).status == SaleStatus.CANCELLED
        await rt.controller.wait_closed(sale.sale_id, timeout=10)


async def test_part_paid_then_expired_keeps_the_money_on_record_and_says_refund(tmp_path):
    from app.checkout.events import Notice

    async with demo_till(tmp_path, duration_s=1, poll_interval=30) as rt:  # only the deadline ends it
        rt.controller.watch.hub = None
        notices = []
        rt.controller.subscribe(lambda ev: isinstance(ev, Notice) and notices.append(ev.message))
        sale = await rt.controller.charge("12.50")
        await rt.sandbox.pay(sale.payload, amount="8.00")
        closed = await rt.controller.wait_closed(sale.sale_id, timeout=10)
        assert closed.status == SaleStatus.EXPIRED and str(closed.received) == "8.00"
        assert str(closed.overpaid) == "8.00" and any("refund it" in n for n in notices)
        assert str((await rt.journal.get(sale.sale_id)).received) == "8.00"


async def test_a_second_press_during_a_slow_create_is_refused_at_once_and_nothing_waits_on_the_provider(tmp_path):
    """The lock guards state changes only: while the provider takes its time over the create, a second
    charge and a cancel are answered at once, and the first charge still ends linked."""
    async with demo_till(tmp_path) as rt:
        ctl = rt.controller
        await rt.sandbox.faults(latency_ms=1000)
        journaled = asyncio.Event()  # the intent is journaled; the create is on its way
        ctl.subscribe(
            lambda ev: isinstance(ev, SaleChanged) and ev.sale.status == SaleStatus.PENDING and journaled.set()
        )
        first = asyncio.ensure_future(ctl.charge("7.00"))
        await journaled.wait()
        assert ctl.starting
        with pytest.raises(SaleInProgress, match="a sale is being started"):
            await ctl.charge("8.00")
        with pytest.raises(CheckoutError, match="still starting"):
            await ctl.cancel()
        assert not first.done()  # both answers came while the create was still in flight
        await rt.sandbox.faults()
        sale = await first
        assert sale.status == SaleStatus.LINKED and not ctl.starting
        assert await linked_now(rt) == sale.request_id
        assert [s.amount for s in await rt.journal.list_sales()] == [sale.amount]  # the refused press left no sale
