"""``tillqr charge``'s waits are bounded whatever the controller does (app/commands/checkout_cli.py).

The controller is a stand-in here so that each way of never answering can be staged exactly:
a cancel that is confirmed and journaled but never returns (the rare hang after
``{"event":"status","status":"cancelled"}``), a provider that never confirms the cancel, and a
close that lands while nobody is registered to hear it.
"""

import asyncio
from types import SimpleNamespace

import pytest

from app.checkout.controller import CheckoutError
from app.commands import checkout_cli
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus, utcnow
from app.providers.base import Capability, RequestInfo
from app.storage.journal import Journal


class StuckController:
    """cancel() journals the cancel (as the real one does before unlinking) and then never returns."""

    def __init__(self, journal: Journal, sale: Sale, *, confirm: bool = True):
        self.journal, self.current, self.confirm = journal, sale, confirm
        self.cancel_cancelled = False

    async def cancel(self):
        if self.confirm:
            self.current = self.current.move(SaleStatus.CANCELLED, reason="cancelled by the cashier")
            await self.journal.record(self.current, "cancel")
        try:
            await asyncio.Event().wait()  # e.g. deadlocked on its own lock
        except asyncio.CancelledError:
            self.cancel_cancelled = True
            raise

    async def wait_closed(self, sale_id: str, timeout: float | None = None) -> Sale:
        stored = await self.journal.get(sale_id)
        if stored is not None and stored.closed:
            return stored
        await asyncio.sleep(timeout)  # a waiter nobody ever resolves
        raise TimeoutError


@pytest.fixture
async def till(tmp_path, monkeypatch):
    monkeypatch.setattr(checkout_cli, "UNLINK_GRACE_S", 3.0)
    monkeypatch.setattr(checkout_cli, "ENDED_GRACE_S", 0.5)
    monkeypatch.setattr(checkout_cli, "POLL_S", 0.2)
    journal = Journal(tmp_path / "journal.sqlite3")
    sale = Sale.new(Money.parse("5.00", "BRL"), "fake", "")
    await journal.record(sale, "created")
    sale = sale.with_(request_id=sale.sale_id).move(SaleStatus.LINKED)
    await journal.record(sale, "linked")
    asked: list[str] = []

    async def get_request(request_id: str) -> RequestInfo:  # the provider confirms the cancel
        asked.append(request_id)
        return RequestInfo(request_id, SaleStatus.CANCELLED, "CANCELLED", sale.amount, Money(0, "BRL"), None, None)

    provider = SimpleNamespace(name="fake", capabilities=Capability(0), get_request=get_request, asked=asked)
    yield journal, sale, provider
    await journal.aclose()


def _rt(ctl, journal, provider):
    return SimpleNamespace(
        controller=ctl, journal=journal, provider=provider, settings=SimpleNamespace(expires_in=300), sandbox=None
    )


async def test_a_cancel_that_never_returns_still_ends_with_the_sale_closed(till):
    journal, sale, provider = till
    ctl = StuckController(journal, sale)
    closed = await asyncio.wait_for(checkout_cli._wait(_rt(ctl, journal, provider), sale, 0.1), 10)
    assert closed.status == SaleStatus.CANCELLED and closed.closed and closed.unlinked
    assert (await journal.get(sale.sale_id)).closed
    assert ctl.cancel_cancelled  # nothing of the stuck cancel is left running
    assert provider.asked == [sale.request_id]  # closed only once the provider confirmed the end


async def test_a_cancel_the_provider_never_confirms_ends_with_run_recover(till):
    journal, sale, provider = till
    ctl = StuckController(journal, sale, confirm=False)
    with pytest.raises(CheckoutError, match="tillqr recover"):
        await asyncio.wait_for(checkout_cli._wait(_rt(ctl, journal, provider), sale, 0.1), 15)
    assert ctl.cancel_cancelled


async def test_a_close_nobody_was_told_about_is_found_in_the_journal(till):
    journal, sale, provider = till
    ctl = StuckController(journal, sale)
    done = sale.move(SaleStatus.SETTLED, amount_received=sale.amount).with_(closed_at=utcnow(), unlinked=True)

    async def close_soon():
        await asyncio.sleep(0.1)
        await journal.record(done, "closed")

    closing = asyncio.ensure_future(close_soon())
    found = await asyncio.wait_for(checkout_cli._closed(_rt(ctl, journal, provider), sale.sale_id, 30), 5)
    await closing
    assert found.status == SaleStatus.SETTLED and found.closed
