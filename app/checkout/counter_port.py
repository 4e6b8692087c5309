"""CounterPort: the counter's sale as ``app.checkout.controller.CheckoutController`` holds it, and the port
recovery works through (``app.checkout.recovery.Counter``); the base class of the controller, which adds the
commands (charge, cancel, finish …) and the sale's life (start, statuses, expiry, closing).

What lives here is the state every path of the controller shares and the few places it changes:
- ``_set_current``: the one place the counter's sale changes hands (and its due-date terms with it);
- ``_save``: journal first, then the screen (``SaleChanged`` on the bus); the counter's sale follows its own
  updates;
- the lock (state changes only, never held across a provider call), the sale being started, the close of
  the last sale under way, the held background tasks, the waiters for a sale's close;
- the port: ``publish``, ``notice``, ``holds``, ``adopt`` (a sale recovery found open, back on the counter),
  ``close_now`` and ``close_in_background`` (sales closed off the counter).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from app.domain.dueterms import DueTerms
from app.domain.sale import Sale
from app.i18n import _
from app.providers.base import Capability, PaymentProvider
from app.retry import CLOSE, CLOSE_AT_RECOVERY, Timer
from app.storage.cashiers import Cashier
from app.storage.journal import Journal

from .background import Background, ClosedWaiters
from .closing import close_sale
from .events import EventBus, Level, Listener, Notice, SaleChanged
from .watch import SaleWatch

log = logging.getLogger("tillqr.checkout")


class _Keep:
    """``_set_current``'s default: the due-date terms stay with their sale."""


KEEP = _Keep()


class CounterPort:
    """The counter's sale and what goes with it, for ``provider`` and ``journal``; ``clock``: the wall time of
    sales, ``timer``: waits (both injected in tests). The subclass sets ``watch``."""

    watch: SaleWatch  # the open sale's status and deadline (set by the controller, whose callbacks it calls)

    def __init__(self, provider: PaymentProvider, journal: Journal, *, clock: Callable[[], datetime], timer: Timer):
        self.provider = provider
        self.journal = journal
        self.clock = clock  # wall time of sales (expires_at)
        self.timer = timer  # waits: expiry, retries (injected in tests)
        self.bus = EventBus()
        self._current: Sale | None = None  # the sale occupying the counter until it is CLOSED
        self._due: DueTerms | None = None  # the current sale's due-date terms, if it has them
        self._starting: str | None = None  # the sale whose create/link is in flight
        self._lock = asyncio.Lock()  # state changes only; never held across a provider call
        self._closing: asyncio.Task[Sale] | None = None
        self._background = Background(
            lambda exc: self.notice(Level.ERROR, _("Something went wrong inside TillQR (details in the log)."))
        )
        self._closed_waiters = ClosedWaiters()
        # Who is signed in at the counter (the counter's model sets it; ``tillqr charge --cashier``): each sale,
        # cancel and refund records them, in the same journal write. None: nobody (a one-person shop).
        self.cashier: Cashier | None = None

    # -- reading ------------------------------------------------------------------------
    @property
    def current(self) -> Sale | None:
        """The sale on the counter (open, or ended and being closed), or None when it is free."""
        return self._current

    @property
    def starting(self) -> bool:
        """A charge is between its journaled intent and its QR (create and link in flight)."""
        return self._starting is not None

    @property
    def capabilities(self) -> Capability:
        return self.provider.capabilities

    @property
    def due_terms(self) -> DueTerms | None:
        """The open sale's due-date terms (also after a restart resumed it), or None."""
        return self._due if self._current is not None else None

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self.bus.subscribe(listener)

    # -- the port recovery works through ---------------------------------------------------------
    def publish(self, sale: Sale) -> None:
        """A sale changed (also one closed off the counter, by recovery): the screen, then its waiters."""
        self.bus.publish(SaleChanged(sale))
        if sale.closed:
            self._closed_waiters.closed(sale.sale_id, sale)

    def notice(self, level: Level, message: str) -> None:
        self.bus.publish(Notice(level, message))

    def holds(self, sale_id: str) -> bool:
        return self._current is not None and self._current.sale_id == sale_id

    async def adopt(self, sale: Sale, due: DueTerms | None) -> bool:
        """Put a sale found open by recovery back on the counter and watch it; False when the counter is taken."""
        async with self._lock:
            if self._current is not None or self._starting is not None:
                return False
            self._set_current(sale, due)
            try:
                await self._save(sale, "resumed")
            except BaseException:
                self._set_current(None)
                raise
            self.watch.start(sale)
            return True

    async def close_now(self, sale: Sale, *, decided_locally: bool) -> Sale:
        """Close a sale off the counter with a few quick tries (``CLOSE_AT_RECOVERY``); ProviderError after."""
        return await close_sale(
            self.provider, self.journal, sale, self.publish, decided_locally=decided_locally,
            policy=CLOSE_AT_RECOVERY, timer=self.timer,
        )  # fmt: skip

    def close_in_background(self, sale: Sale) -> None:
        """Close a sale off the counter until the provider answers (``CLOSE``)."""
        self._background.spawn(
            close_sale(self.provider, self.journal, sale, self.publish, decided_locally=True, policy=CLOSE,
                       timer=self.timer)
        )  # fmt: skip

    # -- the counter's sale and the journal ------------------------------------------------
    def _set_current(self, sale: Sale | None, due: DueTerms | None | _Keep = KEEP) -> None:
        """The one place the counter's sale changes hands (``due``: its terms; by default kept for the
        same sale and cleared for another)."""
        if not isinstance(due, _Keep):
            self._due = due
        elif sale is None or self._current is None or self._current.sale_id != sale.sale_id:
            self._due = None
        self._current = sale

    # -- helpers --------------------------------------------------------------------------
    def _by(self) -> dict[str, int | str]:
        """The signed-in cashier as an event's detail (``cashier_id``, ``cashier``), or nothing."""
        return self.cashier.by if self.cashier is not None else {}

    async def _save(self, sale: Sale, kind: str, **detail: object) -> None:
        """Journal first, then the screen; the counter's sale follows its own updates."""
        await self.journal.record(sale, kind, **detail)
        log.info(
            "sale %s %s: %s %s%s",
            sale.sale_id,
            kind,
            sale.status.value,
            sale.amount.display(),
            f" ({sale.reason})" if sale.reason else "",
        )
        if self.holds(sale.sale_id):
            self._set_current(sale)
        self.bus.publish(SaleChanged(sale))
