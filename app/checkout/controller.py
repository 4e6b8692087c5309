"""CheckoutController: one counter, one sale at a time, nothing lost.

The command layer every front end calls — the counter screen, ``tillqr charge`` (and its Ctrl-C
cancel), ``tillqr recover``: ``charge``, ``cancel``, ``finish``, ``refund``, ``recover``,
``wait_closed``. Qt-free; runs on whatever asyncio loop it is given (qasync's in the GUI).

It is the only code that sets the counter's current sale (``_set_current``) and the only code
that closes a sale (``_begin_close`` / ``close_now``, through ``app.checkout.closing`` and the
retry policy of ``app.retry``). Recovery works through the public port
(``adopt``, ``publish``, ``notice``, ``close_now``, ``close_in_background``). The sale's state, that port,
``_set_current`` and the journal-first ``_save`` are the base class's, ``app.checkout.counter_port.CounterPort``;
this module adds the commands and the sale's life.

Its lock guards state changes only (the current sale, the journal line that goes with it), never a
provider call: a charge journals its intent under the lock, then creates and links with the lock
free, so a second press during a slow create is answered at once (``SaleInProgress``, "a sale is
being started"), and a cancel, a status or an expiry that lands meanwhile is not held up.

Its helpers hold no state of the sale: ``SaleWatch`` (status and deadline), ``outcomes`` (pure: what an
answer does to the sale), ``closing``, ``recovery``, ``refunds``, ``background``. What stays in the controller
and its base class is every change of the counter's sale and its ordering with the journal.

Invariants (tests in tests/unit/test_controller.py, test_races.py, test_recovery.py):
- one open sale per counter, so at most one request linked to the static link: a second
  ``charge`` is refused while a sale is starting or open, and the next link only happens once the
  previous request is unlinked;
- the journal is written before an event is published (journal before UI) and before the next
  provider call (intent before action);
- every provider call carries the sale's idempotency key for that action;
- expiry is enforced locally at ``expires_at`` even if the provider is silent;
- closing (cancel what is open, unlink) is retried until the provider answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from app.domain import dueterms
from app.domain.dueterms import DueTerms
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus, utcnow
from app.i18n import _, lazy_
from app.providers.base import (
    Capability,
    ChargeSpec,
    PaymentProvider,
    ProviderConflict,
    ProviderError,
    RequestInfo,
    linking,
)
from app.retry import CLOSE, SYSTEM_TIMER, Timer
from app.storage.journal import Journal

from .closing import apply_info, close_sale
from .counter_port import CounterPort
from .errors import ChargeFailed, CheckoutError, SaleInProgress
from .events import CounterFree, Level
from .outcomes import AtExpiry, after_cancel, after_status, at_expiry, checked_charge, start_failure
from .push import PushHub
from .recovery import InDoubt, Recovered, recover
from .refunds import Refunds
from .reissue import reissue
from .watch import SaleWatch

log = logging.getLogger("tillqr.checkout")

__all__ = ["ChargeFailed", "CheckoutController", "CheckoutError", "SaleInProgress"]

PAYING_RECHECK_S = 5.0  # a payment under way at expiry: asked about again after this long
UNPAID_ENDS = (SaleStatus.EXPIRED, SaleStatus.CANCELLED, SaleStatus.FAILED)
PREVIOUS_CLOSE_WAIT_S = 5.0  # a new charge waits this long for the previous sale's unlink
STARTING = lazy_("a sale is being started; wait for its QR")


class CheckoutController(CounterPort):
    def __init__(
        self,
        provider: PaymentProvider,
        journal: Journal,
        *,
        link_id: str | None = None,
        currency: str = "BRL",
        duration_s: int = 300,
        poll_interval: float = 1.0,
        pushed_poll_interval: float = 5.0,
        clock: Callable[[], datetime] = utcnow,
        timer: Timer = SYSTEM_TIMER,
        hub: PushHub | None = None,
    ):
        if duration_s < 1:
            raise ValueError(f"a payment request must stay payable at least 1 second, not {duration_s}")
        super().__init__(provider, journal, clock=clock, timer=timer)
        self.link_id = link_id if Capability.STATIC_LINK in provider.capabilities else None
        self.currency = currency
        self.duration_s = duration_s
        self.poll_interval = poll_interval
        self._cancelling: asyncio.Task[Sale | None] | None = None
        self._recovering = asyncio.Lock()  # one recover() at a time (it never blocks a charge or a cancel)
        self.watch = SaleWatch(
            provider, interval=poll_interval, slow_interval=pushed_poll_interval, hub=hub, clock=clock, timer=timer,
            spawn=self._background.spawn, on_info=self._on_info, on_deadline=self._on_deadline, notice=self.notice,
        )  # fmt: skip
        self.refunds = Refunds(provider, journal, self.bus, poll_interval=poll_interval)
        self.in_doubt = InDoubt(self)  # sales recover() could not ask about: asked again in the background

    # -- commands (reading, recovery's port and the journal writes: CounterPort's) ---------------
    async def charge(
        self, amount: Money | str, reference: str = "", *, due: DueTerms | None = None, reissue_of: str | None = None
    ) -> Sale:
        """Open a sale of ``amount``; with ``due`` (DUE_DATE providers) a charge whose amount owed
        depends on the day it is paid (fine, interest, rebate, discounts; app.domain.duedate).
        ``reissue_of``: the sale this one replaces ("More time", ``more_time``), journaled with its creation."""
        money, reference = checked_charge(
            amount, reference, due, currency=self.currency, capabilities=self.capabilities, provider=self.provider.name
        )
        if self._starting is not None:
            raise SaleInProgress(str(STARTING))
        if self.in_doubt.sales and self.link_id:
            await self.in_doubt.before_charge()
        await self._previous_closed()
        async with self._lock:
            self._check_free()
            by = self.cashier
            sale = Sale.new(
                money, self.provider.name, reference, self.link_id,
                cashier_id=by.id if by else None, cashier=by.name if by else "",
            )  # fmt: skip
            self._starting = sale.sale_id
            try:
                detail: dict[str, object] = {"due": dueterms.to_json(due)} if due else {}
                if reissue_of:
                    detail["reissue_of"] = reissue_of
                await self._save(sale, "created", **detail, **self._by())
            except BaseException:
                self._starting = None
                raise
            self._set_current(sale, due)
        try:
            return await self._start(sale, due)
        finally:
            self._starting = None

    async def cancel(self, reason: str = "cancelled by the cashier") -> Sale | None:
        """Cancel the open sale: the provider decides atomically whether it can still be paid.
        A second cancel while one is under way joins it. ``reason``: why, as the journal keeps it."""
        async with self._lock:
            sale = self._current
            if sale is None or not sale.status.is_open:
                return None
            if self._starting == sale.sale_id or sale.request_id is None:
                raise CheckoutError(_("the sale is still starting; try again in a moment"))
            if self._cancelling is None or self._cancelling.done():
                self._cancelling = self._background.spawn(self._cancel(sale, reason), report=False)
            cancelling = self._cancelling
        return await asyncio.shield(cancelling)

    async def more_time(self) -> Sale:
        """More time for the open sale where no provider can lengthen a request: cancelled, then the same
        amount charged again as a new sale (app.checkout.reissue). The new sale, or the old one when it ended
        otherwise meanwhile (paid: nothing is charged again); CheckoutError in words when it cannot be done."""
        return await reissue(self)

    async def finish(self, sale_id: str, *, timeout: float) -> Sale:
        """The sale closed within ``timeout`` s: cancelled first if it is still open (the provider decides
        whether it was paid), then unlinked. CheckoutError in words when the provider does not confirm in
        time: the journal keeps the sale and ``recover()`` finishes it later."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        trouble = ""
        current = self._current
        if current is not None and current.sale_id == sale_id and current.status.is_open:
            try:
                async with asyncio.timeout(timeout):
                    await self.cancel()
            except CheckoutError as exc:
                trouble = _("could not cancel it ({reason}); ").format(reason=exc)
            except TimeoutError:
                trouble = _("the provider did not confirm the cancel in time; ")
        try:
            return await self.wait_closed(sale_id, timeout=max(0.0, deadline - loop.time()))
        except TimeoutError:
            stored = await self.journal.get(sale_id)
            where = (
                _("sale {sale} is still open")
                if stored is None or stored.status.is_open
                else _("sale {sale} ended ({status}) here, but the provider has not confirmed its unlink yet")
            ).format(sale=sale_id, status=stored.status.word if stored else "")
            raise CheckoutError(
                _("{what}: {trouble}run `tillqr recover` when the provider is back").format(what=where, trouble=trouble)
            ) from None

    async def wait_closed(self, sale_id: str, timeout: float | None = None) -> Sale:
        """The sale once CLOSED (TimeoutError after ``timeout`` s)."""
        # The waiter is in place before the journal is read: a close landing in between is not missed.
        fut = self._closed_waiters.add(sale_id)
        try:
            stored = await self.journal.get(sale_id)
            if stored is not None and stored.closed:
                return stored
            async with asyncio.timeout(timeout):
                closed: Sale = await fut
                return closed
        finally:
            self._closed_waiters.remove(sale_id, fut)

    async def refund(self, sale_id: str, amount: Money | str | None = None) -> Sale:
        """Refund a paid sale, fully or in part (REFUND providers); raises RefundError in words. The refund
        records the cashier signed in now."""
        return await self.refunds.refund(sale_id, amount, by=self.cashier)

    async def recover(self, cancel_open: bool = False) -> list[Recovered]:
        """Finish every sale the journal left open (app.checkout.recovery). Sales the provider could
        not be asked about stay open and are asked about again in the background (``app.retry.IN_DOUBT``)."""
        results = await self.recover_once(cancel_open)
        self.in_doubt.note(results, cancel_open)
        return results

    async def recover_once(self, cancel_open: bool = False) -> list[Recovered]:
        """One pass of recovery (the in-doubt queue's own tries come here too)."""
        async with self._recovering:
            return await recover(self, cancel_open=cancel_open)

    async def aclose(self) -> None:
        """Stop watching (the journal keeps every open sale for recover() at the next start)."""
        await self.watch.stop()
        await self.in_doubt.aclose()
        await self._background.aclose()  # closing, expiry, a cancel under way

    # -- the sale's life ----------------------------------------------------------------------
    def _check_free(self) -> None:
        """Under the lock: the counter takes a new sale, or SaleInProgress / ChargeFailed in words."""
        current = self._current
        if self._starting is not None:
            raise SaleInProgress(str(STARTING))
        if current is None:
            return
        if current.status.is_open:
            raise SaleInProgress(
                _("a sale of {amount} is open: finish or cancel it first").format(amount=current.amount.display())
            )
        if self._closing is not None and not self._closing.done():
            raise ChargeFailed(
                _(
                    "the previous sale is still being unlinked from the payment link "
                    "(the provider is not answering); try again shortly"
                )
            )
        self._set_current(None)

    async def _previous_closed(self) -> None:
        """Wait (lock free, bounded) for the previous sale's unlink, so the next link finds the link free."""
        closing = self._closing
        if closing is not None and not closing.done():
            await asyncio.wait({closing}, timeout=PREVIOUS_CLOSE_WAIT_S)

    async def _start(self, sale: Sale, due: DueTerms | None) -> Sale:
        spec = ChargeSpec(
            request_id=sale.sale_id,
            amount=sale.amount,
            reference=sale.reference,
            duration_s=self.duration_s,
            idempotency_key=sale.idempotency_key("create"),
            due=due,
        )
        try:
            info = await self.provider.create_request(spec)
            async with self._lock:
                sale = apply_info(sale, info)
                await self._save(sale, "request_created", provider_status=info.provider_status)
            if self.link_id:
                await linking(self.provider).link(self.link_id, info.request_id, sale.idempotency_key("link"))
        except ProviderError as exc:
            # Refused, or the call may have happened (an answer lost on the way back): closing asks the
            # provider, cancels what it finds open, and records a payment if the customer was quicker.
            reason, failure = start_failure(exc)
            log.info("charge %s stopped: %s", sale.sale_id, exc)
            await self._stopped(sale, reason, str(exc))
            raise failure from exc
        except asyncio.CancelledError:
            raise  # shutting down: the journal keeps the sale for recover() at the next start
        except BaseException as exc:
            log.exception("charge %s failed unexpectedly", sale.sale_id)
            try:
                await self._stopped(sale, "stopped by an error inside TillQR (details in the log)", type(exc).__name__)
            except Exception:
                log.exception("could not journal the failure of %s", sale.sale_id)
                self._begin_close(sale, decided_locally=True)
            raise
        async with self._lock:
            sale = sale.move(SaleStatus.LINKED, reason="")
            await self._save(sale, "linked", link_id=self.link_id)
            self.watch.start(sale)
        return sale

    async def _stopped(self, sale: Sale, reason: str, error: str) -> None:
        """A start that did not reach its QR: journaled FAILED and closed (the counter is never left stuck)."""
        async with self._lock:
            latest = self._current if self.holds(sale.sale_id) and self._current is not None else sale
            if latest.status.is_open:
                latest = latest.move(SaleStatus.FAILED, reason=reason)
                await self._save(latest, "failed", error=error)
            self._begin_close(latest, decided_locally=True)

    async def _cancel(self, sale: Sale, reason: str) -> Sale | None:
        assert sale.request_id is not None
        by = self._by()  # who pressed Cancel, even if they sign out while the provider is asked
        try:
            info = await self.provider.cancel_request(sale.request_id, sale.idempotency_key("cancel"))
        except ProviderConflict:
            found = await self.watch.truth(sale)
            if found is None:
                raise CheckoutError(
                    _("the provider would not cancel and its status could not be read; try again")
                ) from None
            info = found
        except ProviderError as exc:
            log.info("cancel of %s not confirmed: %s", sale.sale_id, exc)
            self.notice(
                Level.ERROR,
                _(
                    "The cancel did not reach the payment provider. {why} "
                    "If nothing is done, the payment request expires by itself at its expiry time."
                ).format(why=exc.words),
            )
            raise CheckoutError(_("The cancel is not confirmed yet; try again.")) from exc
        if info.status.is_open:
            raise CheckoutError(_("the provider did not cancel the request; try again"))
        async with self._lock:
            latest = self._current
            if latest is None or latest.sale_id != sale.sale_id or not latest.status.is_open:
                # the watcher or the expiry ended it meanwhile, from the provider's own answer: that stands
                return latest if latest is not None and latest.sale_id == sale.sale_id else None
            update = after_cancel(latest, info, reason)
            await self._save(update.sale, update.kind, **update.detail, **by)
            if update.warning:
                self.notice(Level.WARNING, update.warning)
            await self._end(update.sale)
            return update.sale

    async def _on_info(self, info: RequestInfo) -> bool:
        async with self._lock:
            sale = self._current
            if sale is None or sale.request_id != info.request_id or not sale.status.is_open:
                return True
            update = after_status(sale, info, has_due=self._due is not None)
            if update is None:
                return False
            await self._save(update.sale, update.kind, **update.detail)
            if update.warning:
                self.notice(Level.WARNING, update.warning)
            if update.sale.status.is_open:
                return False
            await self._end(update.sale, from_watcher=True)
            return True

    async def _on_deadline(self, sale_id: str) -> None:
        current = self._current
        if current is None or current.sale_id != sale_id or not current.status.is_open:
            return
        info = await self.watch.truth(current, quick=True)  # the lock is free while the provider is asked
        async with self._lock:
            sale = self._current
            if sale is None or sale.sale_id != sale_id or not sale.status.is_open:
                return
            what, update = at_expiry(sale, info)
            if what is AtExpiry.PAYING:  # asked again shortly, in case the payment fails and the request waits again
                self.watch.deadline_at(sale_id, self.clock() + timedelta(seconds=PAYING_RECHECK_S))
                return
            assert update is not None
            await self._save(update.sale, update.kind, **update.detail)
            await self._end(update.sale, decided_locally=what is AtExpiry.EXPIRED)

    async def _end(self, sale: Sale, *, from_watcher: bool = False, decided_locally: bool = False) -> None:
        """The sale is over for the customer: stop watching and start closing (unlink)."""
        await self.watch.stop(from_watcher=from_watcher)
        self._begin_close(sale, decided_locally=decided_locally)

    def _begin_close(self, sale: Sale, *, decided_locally: bool) -> None:
        self._set_current(sale)
        self._closing = self._background.spawn(
            close_sale(self.provider, self.journal, sale, self._closing_step, decided_locally=decided_locally,
                       policy=CLOSE, timer=self.timer)
        )  # fmt: skip

    def _closing_step(self, sale: Sale) -> None:
        """What the close of the counter's sale publishes: the sale, and the counter free once it is CLOSED."""
        if self.holds(sale.sale_id):
            self._set_current(None if sale.closed else sale)
        self.publish(sale)
        if sale.closed and sale.received.minor and sale.status in UNPAID_ENDS:
            words = _("{amount} was received for a sale that ended {status}: refund it to the customer.")
            self.notice(Level.WARNING, words.format(amount=sale.received.display(), status=sale.status.label.lower()))
        if sale.closed and self._current is None:
            self.bus.publish(CounterFree(sale))
