"""The warning before a sale expires, "More time" (cancel and charge again: app.checkout.reissue) and the sounds
the counter asks for: CounterModel on the real controller, the in-process sandbox and real SQLite; the clock
of the screen injected, the sounds recorded by an injected player."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.checkout.errors import CheckoutError
from app.checkout.reissue import REASON
from app.domain.sale import SaleStatus, utcnow
from app.runtime import open_runtime
from app.screens.counter_expiry import warn_window_s
from app.screens.counter_model import CounterModel
from app.screens.counter_sounds import CounterSounds, SoundChoice
from app.sound import Cue
from tests.support.till import demo_till, linked_now, sandbox_request, time_travel


class Recorder:
    """The loudspeaker: which cue was asked for, how loud."""

    def __init__(self) -> None:
        self.played: list[tuple[Cue, int]] = []

    def play(self, cue: Cue, volume: int) -> None:
        self.played.append((cue, volume))


class Clock:
    """The screen's clock: the real time, or the moment a test sets (``at``)."""

    def __init__(self) -> None:
        self.at: datetime | None = None

    def __call__(self) -> datetime:
        return self.at or utcnow()


def counter(rt, clock=None, choice=SoundChoice(on_paid=True, on_failure=True, volume=70)):
    model = CounterModel(rt.controller, demo=True, sandbox=rt.sandbox, clock=clock or Clock())
    rt.controller.subscribe(model.on_event)
    sounds = CounterSounds(Recorder(), choice)
    model.on_sale_ended(sounds.sale_ended)
    return model, sounds.player


async def charged(model, amount="12.50", reference="table 4"):
    for key in amount:
        model.press(key)
    model.set_reference(reference)
    sale = await model.charge()
    assert sale is not None and sale.status is SaleStatus.LINKED
    return sale


def test_the_warning_window_is_a_fifth_of_the_lifetime_within_20_to_60_seconds():
    from app.domain.money import Money
    from app.domain.sale import Sale

    def lasting(seconds):
        sale = Sale.new(Money.parse("1.00", "BRL"), "x")
        return sale.move(SaleStatus.LINKED, expires_at=sale.created_at + timedelta(seconds=seconds))

    assert [warn_window_s(lasting(s)) for s in (30, 150, 300, 600, 86400)] == [20, 30, 60, 60, 60]


async def test_the_warning_starts_in_the_last_minute_and_more_time_charges_again(tmp_path):
    async with demo_till(tmp_path, duration_s=300) as rt:
        clock = Clock()
        model, _ = counter(rt, clock)
        old = await charged(model)
        assert old.expires_at is not None
        clock.at = old.expires_at - timedelta(seconds=61)
        assert model.expiry_warning() == ""
        clock.at = old.expires_at - timedelta(seconds=60)
        assert model.expiry_warning() == "Expires in 1:00 — More time?"
        clock.at = old.expires_at - timedelta(seconds=25)
        assert model.expiry_warning() == "Expires in 0:25 — More time?"
        assert model.can_more_time

        new = await model.more_time()

        assert new is not None and new.sale_id != old.sale_id and model.sale == new
        assert (new.status, new.amount, new.reference) == (SaleStatus.LINKED, old.amount, "table 4")
        assert "More time: a new payment request for BRL 12.50" in model.message
        stored_old = await rt.controller.wait_closed(old.sale_id, timeout=10)
        assert (stored_old.status, stored_old.reason) == (SaleStatus.CANCELLED, REASON)
        created = (await rt.journal.events(new.sale_id))[0]
        assert created["kind"] == "created" and created["detail"]["reissue_of"] == old.sale_id
        assert (await sandbox_request(rt, old.request_id))["status"] != "ACTIVE"
        assert await linked_now(rt) == new.request_id  # the sticker now leads to the new request only
        clock.at = None
        assert model.expiry_warning() == ""  # a fresh lifetime


async def test_a_sale_paid_before_more_time_is_not_charged_again(tmp_path):
    async with demo_till(tmp_path, duration_s=300, poll_interval=30) as rt:
        model, player = counter(rt)
        sale = await charged(model)
        await rt.sandbox.pay(sale.payload)
        try:
            answer = await rt.controller.more_time()
        except CheckoutError:
            answer = None  # the watcher saw the payment first: nothing was waiting any more
        if answer is not None:
            assert (answer.sale_id, answer.status) == (sale.sale_id, SaleStatus.SETTLED)
        assert [s.sale_id for s in await rt.journal.list_sales()] == [sale.sale_id]
        closed = await rt.controller.wait_closed(sale.sale_id, timeout=10)
        assert closed.status is SaleStatus.SETTLED


async def test_more_time_is_not_offered_once_part_is_paid(tmp_path):
    rt = await open_runtime(demo=True, provider="pix", home=tmp_path, duration_s=300, poll_interval=0.05)
    try:
        model, _ = counter(rt)
        sale = await charged(model)
        await rt.sandbox.pay(sale.payload, "5.00")
        await _until(model, lambda: model.sale is not None and model.sale.received.minor == 500)
        assert not model.can_more_time
        with pytest.raises(CheckoutError, match="part of it is paid"):
            await rt.controller.more_time()
    finally:
        await rt.aclose()


async def test_paid_chimes_and_a_cancel_is_silent(tmp_path):
    async with demo_till(tmp_path) as rt:
        model, player = counter(rt)
        sale = await charged(model)
        await rt.sandbox.pay(sale.payload)
        await rt.controller.wait_closed(sale.sale_id, timeout=10)
        assert player.played == [(Cue.PAID, 70)]
        await charged(model, "3.00")
        await model.cancel()
        assert player.played == [(Cue.PAID, 70)]


async def test_expired_buzzes_and_a_switched_off_cue_is_silent(tmp_path):
    async with demo_till(tmp_path, duration_s=60) as rt:
        model, player = counter(rt)
        sale = await charged(model)
        await time_travel(rt.sandbox, 120)
        closed = await rt.controller.wait_closed(sale.sale_id, timeout=10)
        assert closed.status is SaleStatus.EXPIRED
        assert player.played == [(Cue.FAILURE, 70)]
    async with demo_till(tmp_path / "b", duration_s=60) as rt:
        model, player = counter(rt, choice=SoundChoice(on_paid=True, on_failure=False, volume=70))
        sale = await charged(model)
        await time_travel(rt.sandbox, 120)
        await rt.controller.wait_closed(sale.sale_id, timeout=10)
        assert player.played == []


async def test_a_refused_sale_buzzes(tmp_path):
    """Depay's stage rule: a payment of an amount ending in 9 fails."""
    rt = await open_runtime(demo=True, provider="depay", home=tmp_path, poll_interval=0.05)
    try:
        model, player = counter(rt)
        sale = await charged(model, "12.59")
        await rt.sandbox.pay(sale.payload)
        closed = await rt.controller.wait_closed(sale.sale_id, timeout=10)
        assert closed.status is SaleStatus.FAILED
        assert player.played == [(Cue.FAILURE, 70)]
    finally:
        await rt.aclose()


async def _until(model: CounterModel, check, timeout: float = 10.0) -> None:
    """Until ``check()`` holds, woken by the model's own changes."""
    import asyncio

    moved = asyncio.Event()
    model.on_change(moved.set)
    async with asyncio.timeout(timeout):
        while not check():
            await moved.wait()
            moved.clear()
