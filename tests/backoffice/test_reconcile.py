"""Reconciliation on a real PostgreSQL against J.P. Morgan's sandbox in process: requests created and paid (or not)
at the provider, sales pushed by a device through the ingest API, then each group holds exactly what it should,
with exact amounts, stored as the last run. A provider that cannot search: a clear message, nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.backoffice import reconcile
from app.backoffice.reconcile import CannotSearch, Kind
from app.domain.money import Money
from app.domain.sale import SaleStatus
from app.providers.base import PaymentProvider, RequestInfo
from app.replication.wire import Outcome
from tests.support.reconcile import chain
from tests.support.service import Service

TODAY = datetime.now(UTC).date()


async def run(service: Service, provider: PaymentProvider) -> reconcile.Run:
    async with service.pool.connection() as conn:
        return await reconcile.reconcile(conn, provider, TODAY, zone=UTC)


async def test_each_group_holds_exactly_the_sales_it_should(service: Service) -> None:
    async with chain(service) as c:
        agreed = await c.request("12.50")  # paid there, reported paid here: no finding
        lost = await c.request("30.00")  # paid there, never reached the back office
        stale = await c.request("7.25")  # paid there, the till still says linked
        unpaid = await c.request("9.90")  # the till says settled, the provider says it waits
        short = await c.request("20.00")  # both paid, the till recorded another amount
        partly = await c.request("15.00")  # paid in part at the provider, the till says 15.00 arrived
        open_ = await c.request("4.00")  # open on both sides: nothing to say
        bill = await c.request("55.00", external_id="BILL-0001")  # a field agent's bill: not a sale
        other_day = await c.request("3.00")  # held under yesterday: yesterday's run tells of it
        for paid in (agreed, lost, stale, short, bill, other_day):
            await c.pay(paid)
        await c.pay(partly, "10.00")
        yesterday = datetime.now(UTC) - timedelta(days=1)
        reply = await service.push(
            [
                c.sale(agreed.request_id, "settled", "12.50"),
                c.sale(stale.request_id, "linked", "7.25"),
                c.sale(unpaid.request_id, "settled", "9.90"),
                c.sale("GHOST0000000000000000000000000000", "settled", "5.00"),  # unknown at the provider
                c.sale(short.request_id, "settled", "20.00", received="19.99"),
                c.sale(partly.request_id, "settled", "15.00"),
                c.sale(open_.request_id, "linked", "4.00"),
                c.sale(other_day.request_id, "linked", "3.00", created_at=yesterday),
            ]
        )
        assert all(r.outcome is Outcome.ACCEPTED for r in reply.results), reply
        done = await run(service, c.provider)

    def groups(kind: Kind) -> dict[str, tuple[str | None, str | None, Decimal | None, Decimal | None]]:
        return {
            f.request_id: (f.held_status, f.provider_status, f.provider_amount, f.held_amount) for f in done.of(kind)
        }

    assert groups(Kind.PAID_NOT_REPORTED) == {
        lost.request_id: (None, "settled", Decimal("30.00"), None),
        stale.request_id: ("linked", "settled", Decimal("7.25"), Decimal("0.00")),
    }
    assert groups(Kind.REPORTED_NOT_PAID) == {
        unpaid.request_id: ("settled", "linked", Decimal("0.00"), Decimal("9.90")),
        "GHOST0000000000000000000000000000": ("settled", None, None, Decimal("5.00")),
        partly.request_id: ("settled", "linked", Decimal("10.00"), Decimal("15.00")),  # paid in part: still open
    }
    assert groups(Kind.AMOUNT_DIFFERS) == {
        short.request_id: ("settled", "settled", Decimal("20.00"), Decimal("19.99")),
    }
    assert {f.sale_id for f in done.findings if f.request_id == lost.request_id} == {None}
    assert [f.sale_id for f in done.of(Kind.AMOUNT_DIFFERS)] == [f"sale-{short.request_id}"]
    assert bill.request_id not in {f.request_id for f in done.findings}
    assert other_day.request_id not in {f.request_id for f in done.findings}
    assert (done.requests_seen, done.sales_seen) == (8, 7)  # the bill left out; yesterday's sale is not today's

    async with service.pool.connection() as conn:
        stored = await reconcile.last_run(conn)
        assert await reconcile.last_run(conn, TODAY - timedelta(days=1)) is None
    assert stored == done


async def test_a_clean_day_stores_a_run_without_findings(service: Service) -> None:
    async with chain(service) as c:
        paid = await c.request("10.00")
        await c.pay(paid)
        await service.push([c.sale(paid.request_id, "settled", "10.00")])
        first = await run(service, c.provider)
        second = await run(service, c.provider)
    assert first.clean and second.clean and (second.requests_seen, second.sales_seen) == (1, 1)
    async with service.pool.connection() as conn:
        latest = await reconcile.last_run(conn)
    assert latest is not None and latest.id == second.id > first.id


async def test_a_sale_filed_under_the_next_day_is_asked_for_on_its_own(service: Service) -> None:
    """The till's clock put the sale just past midnight; the provider made its request before: the next day's run
    asks the provider for it (its search of that day does not list it), today's leaves it to the next day's."""
    async with chain(service) as c:
        agreed, short = await c.request("6.00"), await c.request("8.00")
        await c.pay(agreed)
        await c.pay(short)
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        await service.push(
            [
                c.sale(agreed.request_id, "settled", "6.00", created_at=tomorrow),
                c.sale(short.request_id, "settled", "8.00", received="7.00", created_at=tomorrow),
            ]
        )
        today = await run(service, c.provider)
        async with service.pool.connection() as conn:
            next_day = await reconcile.reconcile(conn, c.provider, TODAY + timedelta(days=1), zone=UTC)
    assert today.clean and (today.requests_seen, today.sales_seen) == (2, 0)
    assert (next_day.requests_seen, next_day.sales_seen) == (0, 2)
    assert [(f.kind, f.request_id, f.provider_amount, f.held_amount) for f in next_day.findings] == [
        (Kind.AMOUNT_DIFFERS, short.request_id, Decimal("8.00"), Decimal("7.00"))
    ]


async def test_a_provider_that_cannot_search_says_so_and_stores_nothing(service: Service) -> None:
    async with chain(service, "razorpay") as c:
        with pytest.raises(CannotSearch, match="razorpay cannot list its payment requests"):
            await run(service, c.provider)
    assert await service.rows("SELECT count(*) FROM reconciliation_runs") == [(0,)]


def test_compare_is_exact_about_money() -> None:
    def info(rid: str, paid: str) -> RequestInfo:
        return RequestInfo(rid, SaleStatus.SETTLED, "PAID", Money.parse(paid, "BRL"), Money.parse(paid, "BRL"),
                           None, None)  # fmt: skip

    held = [
        reconcile.HeldSale("s1", "r1", "settled", Decimal("0.10"), Decimal("0.1"), "BRL", TODAY),
        reconcile.HeldSale("s2", "r2", "settled", Decimal("0.30"), Decimal("0.30000000001"), "BRL", TODAY),
    ]
    found = reconcile.compare(TODAY, [info("r1", "0.10"), info("r2", "0.30")], held)
    assert [(f.kind, f.request_id) for f in found] == [(Kind.AMOUNT_DIFFERS, "r2")]
