"""StatusWatcher: follows one payment request until its status is final.

Polling: about every ``interval`` seconds while the sale is open; on errors it
backs off exponentially with full jitter (never below ``interval``, never above
``max_backoff``) and tells the controller once the connection is lost and once
it is back. It stops when the handler says the sale is over, or on ``stop()``.

Push (``hub``, app/checkout/push.py): an event for the request wakes the watcher
at once, and it asks the provider right away. While the hub is connected it polls
only every ``slow_interval`` seconds as a safety net; when the hub drops, the
normal interval applies from the next wait on, so nothing is missed.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

from app.providers.base import PaymentProvider, ProviderError, RequestInfo

from .push import PushHub

log = logging.getLogger("tillqr.watcher")

InfoHandler = Callable[[RequestInfo], Awaitable[bool]]  # returns True when nothing more is to be watched
TroubleHandler = Callable[[ProviderError | None], None]  # an error, or None when the connection is back


class PollingWatcher:
    def __init__(
        self,
        provider: PaymentProvider,
        request_id: str,
        on_info: InfoHandler,
        *,
        on_trouble: TroubleHandler | None = None,
        interval: float = 1.0,
        max_backoff: float = 15.0,
        rng: Callable[[], float] = random.random,
        hub: PushHub | None = None,
        slow_interval: float = 5.0,
    ):
        self.provider = provider
        self.request_id = request_id
        self.on_info = on_info
        self.on_trouble = on_trouble
        self.interval = interval
        self.max_backoff = max_backoff
        self._rng = rng
        self._task: asyncio.Task[None] | None = None
        self.polls = 0
        self.hub = hub
        self.slow_interval = max(slow_interval, interval)
        self._wake = asyncio.Event()
        self._stopped = False

    def start(self) -> PollingWatcher:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"watch-{self.request_id}")
        return self

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        self._stopped = True  # even should a cancel be lost, no status is handed on after this
        task, self._task = self._task, None
        if task is None or task is asyncio.current_task():
            return
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass

    def backoff(self, failures: int) -> float:
        """Delay after ``failures`` consecutive failures: full jitter over an exponential ceiling."""
        ceiling = min(self.max_backoff, self.interval * (2**failures))
        return self.interval + self._rng() * max(0.0, ceiling - self.interval)

    async def _pause(self) -> None:
        """Until the next poll: the interval, or sooner when a pushed event says the request changed."""
        pushed = self.hub is not None and self.hub.connected
        # asyncio.timeout, not wait_for: on Python 3.11, wait_for swallows a cancel that arrives as
        # the event is set (a push at the moment of stop()), and the watcher would poll on.
        try:
            async with asyncio.timeout(self.slow_interval if pushed else self.interval):
                await self._wake.wait()
        except TimeoutError:
            pass
        self._wake.clear()

    async def _run(self) -> None:
        unsubscribe = self.hub.subscribe(self.request_id, self._wake.set) if self.hub else None
        try:
            await self._follow()
        finally:
            if unsubscribe:
                unsubscribe()

    async def _follow(self) -> None:
        failures = 0
        while not self._stopped:
            try:
                self.polls += 1
                info = await self.provider.get_request(self.request_id)
            except ProviderError as exc:
                failures += 1
                if failures == 1 and self.on_trouble:
                    self.on_trouble(exc)
                log.warning("status of %s unavailable (%s); retry %d", self.request_id, exc, failures)
                await asyncio.sleep(self.backoff(failures))
                continue
            if failures and self.on_trouble:
                self.on_trouble(None)
            failures = 0
            if self._stopped:
                return
            try:
                done = await self.on_info(info)
            except Exception:
                log.exception("handling the status of %s failed; retrying", self.request_id)
                failures += 1
                await asyncio.sleep(self.backoff(failures))
                continue
            if done:
                return
            await self._pause()
