"""SaleWatch: follows the counter's open sale until it ends — its status at the provider and its deadline.

It decides nothing: every status snapshot goes to the controller's ``on_info`` and the deadline to its
``on_deadline``, which apply them under the controller's lock (app/checkout/controller.py). Status
comes from a ``PollingWatcher`` (woken at once by pushed events); the deadline waits on the injected
timer and the sale's wall clock, in hours at most (a due-date charge lives for weeks).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime

from app.domain.sale import Sale
from app.i18n import _
from app.providers.base import PaymentProvider, ProviderError, RequestInfo
from app.retry import Timer

from .events import Level
from .push import PushHub
from .watcher import InfoHandler, PollingWatcher

log = logging.getLogger("tillqr.checkout")

QUICK_TRUTH_S = 3.0  # how long the deadline waits for the provider's word before expiring locally


class SaleWatch:
    def __init__(
        self,
        provider: PaymentProvider,
        *,
        interval: float,
        slow_interval: float,
        hub: PushHub | None,
        clock: Callable[[], datetime],
        timer: Timer,
        spawn: Callable[[Coroutine[object, object, None]], asyncio.Task[None]],
        on_info: InfoHandler,
        on_deadline: Callable[[str], Awaitable[None]],
        notice: Callable[[Level, str], None],
    ) -> None:
        self.provider = provider
        # read at each start: the poll interval, the safety-net poll while pushed events arrive, and
        # the push hub (status events, when the provider pushes them)
        self.interval, self.slow_interval, self.hub = interval, slow_interval, hub
        self.clock, self.timer, self._spawn = clock, timer, spawn
        self._on_info, self._on_deadline, self._notice = on_info, on_deadline, notice
        self._watcher: PollingWatcher | None = None
        self._deadline: asyncio.Task[None] | None = None

    def start(self, sale: Sale) -> None:
        assert sale.request_id
        self._watcher = PollingWatcher(
            self.provider,
            sale.request_id,
            self._on_info,
            on_trouble=self._on_trouble,
            interval=self.interval,
            slow_interval=self.slow_interval,
            hub=self.hub,
        ).start()
        if sale.expires_at is not None:
            self.deadline_at(sale.sale_id, sale.expires_at)

    @property
    def polls(self) -> int:
        """How often the open sale's status was asked for (0 when none is watched)."""
        return self._watcher.polls if self._watcher is not None else 0

    def deadline_at(self, sale_id: str, when: datetime) -> None:
        """(Again) hand the deadline ``when`` of ``sale_id`` to the controller once it has passed."""
        self._deadline = self._spawn(self._wait_deadline(sale_id, when))

    async def stop(self, *, from_watcher: bool = False) -> None:
        """No more snapshots or deadline (``from_watcher``: called from the watcher's own handler)."""
        watcher, self._watcher = self._watcher, None
        if watcher is not None and not from_watcher:
            await watcher.stop()
        deadline, self._deadline = self._deadline, None
        if deadline is not None and deadline is not asyncio.current_task():
            deadline.cancel()

    async def truth(self, sale: Sale, *, quick: bool = False) -> RequestInfo | None:
        """What the provider says of the sale now, or None when it cannot say (quickly)."""
        try:
            async with asyncio.timeout(QUICK_TRUTH_S if quick else None):
                return await self.provider.get_request(sale.request_id or sale.sale_id)
        except (ProviderError, TimeoutError):
            return None

    async def _wait_deadline(self, sale_id: str, when: datetime) -> None:
        while (delay := (when - self.clock()).total_seconds()) > 0:
            await self.timer.sleep(min(delay, 3600.0))
        await self._on_deadline(sale_id)

    def _on_trouble(self, exc: ProviderError | None) -> None:
        if exc is None:
            self._notice(Level.INFO, _("Connection to the provider is back."))
        else:
            log.info("lost contact with the provider: %s", exc)
            self._notice(Level.WARNING, _("Lost contact with the provider; still trying…"))
