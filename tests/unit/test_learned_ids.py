"""The journal keeps every provider id it learns (issue 12, defect 4), and recovery reads a sale's history
before it calls a request "never created" (defect 5).

A create whose answer the sandbox holds past the client's timeout (``timeout_rate``: the call *is*
processed) fails the sale; closing then finds the request at the provider, and that id must reach the
journal, not be dropped because the sale had already ended here.
"""

from __future__ import annotations

import sqlite3

import pytest

from app.checkout.controller import CheckoutController
from app.checkout.errors import ChargeFailed
from app.checkout.recovery import CREATE_MAY_LAND_S
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.providers.http import HttpTimeouts
from app.storage.journal import Journal
from tests.support.till import demo_till, second_controller

SHORT = HttpTimeouts(connect=0.2, read=0.2, attempt=0.2, deadline=1.0)


def _row(path, sale_id: str) -> sqlite3.Row:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM sales WHERE sale_id=?", (sale_id,)).fetchone()
    finally:
        conn.close()


async def test_a_create_that_timed_out_after_the_provider_made_it_is_journaled_with_its_request_id(
    tmp_path, jpm_factory, sb_http
):
    provider = jpm_factory(timeout=SHORT)
    link = await provider.create_link("c" * 32, "counter")
    journal = Journal(tmp_path / "journal.sqlite3")
    ctl = CheckoutController(provider, journal, link_id=link.link_id, currency="BRL", poll_interval=0.05)
    try:
        await sb_http.post("/_sandbox/faults", json={"timeout_rate": 1.0})  # processed, answer held
        with pytest.raises(ChargeFailed, match="is slow: it did not answer in time"):
            await ctl.charge("7.00")
        [made] = (await sb_http.get("/_sandbox/state")).json()["requests"]  # the provider did make it
        await sb_http.delete("/_sandbox/faults")  # the provider answers again: closing finds the request
        [sale] = await journal.list_sales()
        closed = await ctl.wait_closed(sale.sale_id, timeout=10)
        assert closed.request_id == made["id"]
        assert _row(journal.path, sale.sale_id)["request_id"] == made["id"]  # what another process reads
        [truth] = (await sb_http.get("/_sandbox/state")).json()["requests"]
        assert truth["status"] == "CANCELLED" and closed.status is SaleStatus.FAILED
    finally:
        await ctl.aclose()
        await journal.aclose()


async def test_recovery_of_a_created_request_the_provider_lost_does_not_say_it_was_never_created(tmp_path):
    """A kill during a linked demo sale, and a sandbox that came back without the request: the history holds
    ``request_created`` and ``linked``, so recovery says the provider lost it, not "interrupted before"."""
    async with demo_till(tmp_path) as rt:
        sale = Sale.new(Money.parse("4.00", "BRL"), rt.provider.name, "", rt.link.link_id)
        await rt.journal.record(sale, "created")
        ghost = sale.with_(request_id="f" * 32)  # an id the sandbox does not hold (its state was lost)
        await rt.journal.record(ghost, "request_created", provider_status="ACTIVE")
        await rt.journal.record(ghost.move(SaleStatus.LINKED), "linked", link_id=rt.link.link_id)
        [r] = await second_controller(rt).recover()
        assert r.sale.status is SaleStatus.FAILED and r.sale.closed
        assert "interrupted before" not in r.sale.reason
        assert "no longer knows request " + "f" * 32 in r.sale.reason and "which it had created" in r.sale.reason


async def test_recovery_of_a_sale_never_created_still_says_so_and_what_to_do(tmp_path):
    async with demo_till(tmp_path) as rt:
        sale = Sale.new(Money.parse("4.00", "BRL"), rt.provider.name, "", rt.link.link_id)
        await rt.journal.record(sale, "created")
        [r] = await second_controller(rt, later_s=CREATE_MAY_LAND_S + 1).recover()  # its create can no longer land
        assert r.sale.status is SaleStatus.FAILED
        assert r.sale.reason.startswith("interrupted before the provider created the request")
        assert "nothing was charged" in r.sale.reason
