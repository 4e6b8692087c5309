"""The asyncio loop of the GUI: qasync's QEventLoop, with timers of any length.

qasync arms one Qt timer per ``call_later``, and Qt timers count milliseconds in a
signed 32-bit int: a delay beyond about 24.8 days raises ``OverflowError`` inside
``asyncio.sleep``. The core sleeps that long for real: a due-date charge (Pix) stays
payable for weeks, and the controller sleeps until its ``expires_at``. ``TillEventLoop``
chains Qt timers of at most ``MAX_TIMER_S`` for such calls, so the core's timers behave
as on any asyncio loop. The returned handle cancels like an ``asyncio.TimerHandle``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import qasync

MAX_TIMER_S = 86400.0  # one Qt timer for at most a day (Qt's limit is 2**31 - 1 ms, about 24.8 days)


class _ChainedTimer:
    """A call far in the future, made of Qt timers of at most ``MAX_TIMER_S`` each."""

    def __init__(self, loop: TillEventLoop, when: float, callback: Callable[..., Any], args: tuple, context: Any):
        self._loop, self._when = loop, when
        self._callback, self._args, self._context = callback, args, context
        self._cancelled = False
        self._inner: asyncio.Handle | None = None
        self._arm()

    def _arm(self) -> None:
        if self._cancelled:
            return
        left = self._when - self._loop.time()
        base = qasync.QEventLoop.call_later
        if left > MAX_TIMER_S:
            self._inner = base(self._loop, MAX_TIMER_S, self._arm)
        else:
            self._inner = base(self._loop, max(0.0, left), self._callback, *self._args, context=self._context)

    def when(self) -> float:
        return self._when

    def cancel(self) -> None:
        self._cancelled = True
        if self._inner is not None:
            self._inner.cancel()

    def cancelled(self) -> bool:
        return self._cancelled

    def __repr__(self) -> str:
        return f"<_ChainedTimer when={self._when:.0f} {self._callback!r}{' cancelled' if self._cancelled else ''}>"


class TillEventLoop(qasync.QEventLoop):
    def call_later(self, delay, callback, *args, context=None):
        if delay > MAX_TIMER_S:
            return _ChainedTimer(self, self.time() + delay, callback, args, context)
        return super().call_later(delay, callback, *args, context=context)
