"""TillEventLoop: the GUI's asyncio loop takes timers longer than Qt's 24.8-day limit (due-date charges)."""

from __future__ import annotations

import asyncio

import pytest

from app.ui import qtloop
from tests.support.waiting import until

pytestmark = pytest.mark.ui

FORTY_DAYS = 40 * 86400.0


def test_a_sleep_of_weeks_is_armed_and_cancels_cleanly(run, aloop):
    async def sleeper():
        await asyncio.sleep(FORTY_DAYS)

    task = asyncio.ensure_future(sleeper())
    run(asyncio.sleep(0.05))
    assert not task.done(), "armed, not failed with OverflowError"
    task.cancel()
    run(asyncio.gather(task, return_exceptions=True))
    assert task.cancelled()


def test_long_calls_are_chained_timers_that_fire_on_time(run, aloop, monkeypatch):
    monkeypatch.setattr(qtloop, "MAX_TIMER_S", 0.05)  # so a "long" delay is short enough to watch
    fired = []
    start = aloop.time()
    handle = aloop.call_later(0.18, lambda: fired.append(aloop.time() - start))
    assert abs(handle.when() - (start + 0.18)) < 0.01
    cancelled = aloop.call_later(0.12, lambda: fired.append("cancelled one ran"))
    cancelled.cancel()
    run(until(lambda: fired))  # the cancelled one (due at 0.12 s) would have come first, had it run
    assert len(fired) == 1 and 0.17 <= fired[0] < 0.35 and cancelled.cancelled()
