"""The /reconcile page over httpx's ASGI transport on a real PostgreSQL, with J.P. Morgan's sandbox in process: the
last run's findings in their groups with links to the sales held, "Run now" behind the session's form token, and a
service started without a provider showing the last run only."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import httpx
import pytest
from psycopg_pool import AsyncConnectionPool

from app.backoffice import db, managers, reconcile
from app.backoffice.pages_render import money
from app.backoffice.service import create_service
from app.providers.base import PaymentProvider
from tests.backoffice.test_pages import PASSWORD, logged_in
from tests.support.reconcile import Chain, on_sandbox
from tests.support.service import Service


@pytest.fixture
async def kit(pg_dsn: str) -> AsyncIterator[tuple[Chain, AsyncConnectionPool]]:
    """The whole service (API and pages) started with J.P. Morgan's client on the sandbox; manager "ana"."""
    pool = db.make_pool(pg_dsn, max_size=4)
    await pool.open(wait=True)
    try:
        async with pool.connection() as conn:
            await managers.add_manager(conn, "ana", PASSWORD)
        async with on_sandbox() as (provider, sandbox):
            async with site(pool, provider) as service:
                yield Chain(provider, sandbox, service), pool
    finally:
        await pool.close()


def site(pool: AsyncConnectionPool, provider: PaymentProvider | None) -> _Site:
    return _Site(pool, provider)


class _Site:
    """The service on ``pool`` (started with ``provider``) in process, one device of "Rua Augusta" registered."""

    def __init__(self, pool: AsyncConnectionPool, provider: PaymentProvider | None) -> None:
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_service(pool, provider)), base_url="http://backoffice.test"
        )
        self.pool = pool

    async def __aenter__(self) -> Service:
        return await Service.start(self.client, self.pool, store="Rua Augusta")

    async def __aexit__(self, *_exc: object) -> None:
        await self.client.aclose()


def rows_of(page: str, group: str) -> list[str]:
    """The request ids listed in the page's section ``group``."""
    section = re.search(rf'<section class="findings" id="{group}">(.*?)</section>', page, re.S)
    return re.findall(r'data-request-id="([^"]+)"', section.group(1)) if section else []


async def test_the_page_shows_the_last_run_s_groups_and_runs_one_now(kit: tuple[Chain, AsyncConnectionPool]) -> None:
    c, _pool = kit
    site = c.service
    csrf = await logged_in(site)
    empty = await site.client.get("/reconcile")
    assert empty.status_code == 200 and "No reconciliation has run yet." in empty.text
    assert 'href="/reconcile"' in empty.text  # in the nav

    lost, stale, unpaid, short = [await c.request(a) for a in ("30.00", "7.25", "9.90", "20.00")]
    for paid in (lost, stale, short):
        await c.pay(paid)
    await site.push(
        [
            c.sale(stale.request_id, "linked", "7.25"),
            c.sale(unpaid.request_id, "settled", "9.90"),
            c.sale(short.request_id, "settled", "20.00", received="19.99"),
        ]
    )
    refused = await site.client.post("/reconcile", data={"csrf": "forged", "day": date.today().isoformat()})
    assert refused.status_code == 403
    assert (await site.client.get("/reconcile")).text.count('class="findings"') == 0
    ran = await site.client.post("/reconcile", data={"csrf": csrf, "day": ""})
    assert ran.status_code == 303 and ran.headers["location"] == f"/reconcile?day={date.today().isoformat()}"

    page = html.unescape((await site.client.get("/reconcile")).text)
    assert rows_of(page, "paid_not_reported") == sorted([lost.request_id, stale.request_id])
    assert rows_of(page, "reported_not_paid") == [unpaid.request_id]
    assert rows_of(page, "amount_differs") == [short.request_id]
    assert f'href="/sales/sale-{short.request_id}"' in page and f'href="/sales/sale-{lost.request_id}"' not in page
    row = re.search(rf'<tr data-request-id="{short.request_id}">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = re.findall(r'<td class="n">([^<]*)</td>', row.group(1))
    assert cells == [money(Decimal("20.00"), "BRL"), money(Decimal("19.99"), "BRL")]  # exact, as people read it
    last = re.search(r'<p id="last-run">(.*?)</p>', page, re.S)
    assert last is not None and "· ana" in last.group(1)


async def test_without_a_provider_the_page_shows_the_last_run_and_no_run_button(
    kit: tuple[Chain, AsyncConnectionPool],
) -> None:
    c, pool = kit
    paid = await c.request("10.00")
    await c.pay(paid)
    async with pool.connection() as conn:
        await reconcile.reconcile(conn, c.provider, date.today())  # as the command line runs it
    async with site(pool, None) as plain:
        csrf = await logged_in(plain)
        page = html.unescape((await plain.client.get("/reconcile")).text)
        assert rows_of(page, "paid_not_reported") == [paid.request_id]
        assert 'method="post" action="/reconcile"' not in page and 'method="get" action="/reconcile"' in page
        refused = await plain.client.post("/reconcile", data={"csrf": csrf})
        assert refused.status_code == 409 and "started without a provider" in refused.text


async def test_run_now_with_a_provider_that_cannot_search_says_so(kit: tuple[Chain, AsyncConnectionPool]) -> None:
    _c, pool = kit
    async with on_sandbox("razorpay") as (razorpay, _sandbox), site(pool, razorpay) as plain:
        csrf = await logged_in(plain)
        answer = await plain.client.post("/reconcile", data={"csrf": csrf, "day": "2026-01-02"})
        assert answer.status_code == 409 and "razorpay cannot list its payment requests" in html.unescape(answer.text)
        bad_day = await plain.client.post("/reconcile", data={"csrf": csrf, "day": "Jan 2"})
        assert bad_day.status_code == 400 and "Jan 2 is not a day" in bad_day.text
    assert await plain.rows("SELECT count(*) FROM reconciliation_runs") == [(0,)]


async def test_another_day_shows_that_days_last_run_or_says_there_is_none(
    kit: tuple[Chain, AsyncConnectionPool],
) -> None:
    c, pool = kit
    paid = await c.request("10.00")
    await c.pay(paid)
    async with pool.connection() as conn:
        await reconcile.reconcile(conn, c.provider, date.today())
    async with site(pool, None) as plain:
        await logged_in(plain)
        today = html.unescape((await plain.client.get(f"/reconcile?day={date.today().isoformat()}")).text)
        assert rows_of(today, "paid_not_reported") == [paid.request_id]
        other = html.unescape((await plain.client.get("/reconcile?day=2026-01-02")).text)
        assert 'id="none"' in other and "2026-01-02" in other and rows_of(other, "paid_not_reported") == []
        bad = await plain.client.get("/reconcile?day=yesterday")
        assert bad.status_code == 400 and "is not a day" in html.unescape(bad.text)
