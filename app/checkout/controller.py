"""CheckoutController: one counter, one sale at a time, nothing lost.

The command layer every front end calls — the counter screen, ``tillqr charge`` (and its Ctrl-C
cancel), ``tillqr recover``: ``charge``, ``cancel``, ``finish``, ``refund``, ``recover``,
``wait_closed``. Qt-free; runs on whatever asyncio loop it is given (qasync's in the GUI).

It is the only code that sets the counter's current sale (``_set_current``) and the only code
that closes a sale (``_begin_close`` / ``close_now``, through ``app.checkout.closing`` and the
retry policy of ``app.retry``). Recovery works through the public port below
(``adopt``, ``publish``, ``notice``, ``close_now``, ``close_in_background``).

Its lock guards state changes only (the current sale, the journal line that goes with it), never a
provider call: a charge journals its intent under the lock, then creates and links with the lock
free, so a second press during a slow create is answered at once (``SaleInProgress``, "a sale is
being started"), and a cancel, a status or an expiry that lands meanwhile is not held up.

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
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from app.domain import dueterms
from app.domain.duedate import problems as due_problems
from app.domain.dueterms import DueTerms
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus, utcnow
from app.providers.base import (
    Capability,
    ChargeSpec,
    PaymentProvider,
    ProviderConflict,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    RequestInfo,
    linking,
)
from app.retry import CLOSE, CLOSE_AT_RECOVERY, SYSTEM_TIMER, Timer
from app.storage.journal import Journal

from .closing import apply_info, close_sale, settled_due
from .errors import ChargeFailed, CheckoutError, SaleInProgress
from .events import CounterFree, EventBus, Level, Listener, Notice, SaleChanged
from .push import PushHub
from .recovery import InDoubt, Recovered, recover
from .refunds import Refunds
from .watcher import PollingWatcher

log = logging.getLogger("tillqr.checkout")

__all__ = ["ChargeFailed", "CheckoutController", "CheckoutError", "SaleInProgress"]

MAX_REFERENCE = 72  # fits EMV tag 62 / provider reference fields
UNPAID_ENDS = (SaleStatus.EXPIRED, SaleStatus.CANCELLED, SaleStatus.FAILED)
PREVIOUS_CLOSE_WAIT_S = 5.0  # a new charge waits this long for the previous sale's unlink
STARTING = "a sale is being started; wait for its QR"


class _Keep:
    """``_set_current``'s default: the due-date terms stay with their sale."""


KEEP = _Keep()


class CheckoutController:
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
        self.provider = provider
        self.journal = journal
        self.link_id = link_id if Capability.STATIC_LINK in provider.capabilities else None
        self.currency = currency
        self.duration_s = duration_s
        self.poll_interval = poll_interval
        self.pushed_poll_interval = pushed_poll_interval  # the safety-net poll while push events arrive
        self.hub = hub  # status events, when the provider pushes them (PUSH_STATUS)
        self.clock = clock  # wall time of sales (expires_at)
        self.timer = timer  # waits: expiry, retries (injected in tests)
        self.bus = EventBus()
        self._current: Sale | None = None  # the sale occupying the counter until it is CLOSED
        self._due: DueTerms | None = None  # the current sale's due-date terms, if it has them
        self._starting: str | None = None  # the sale whose create/link is in flight
        self._cancelling: asyncio.Task[Sale | None] | None = None
        self._lock = asyncio.Lock()  # state changes only; never held across a provider call
        self._recovering = asyncio.Lock()  # one recover() at a time (it never blocks a charge or a cancel)
        self._watcher: PollingWatcher | None = None
        self._expiry: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[Sale] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed_waiters: dict[str, list[asyncio.Future[Sale]]] = {}
        self.refunds = Refunds(provider, journal, self.bus, poll_interval=poll_interval)
        self.in_doubt = InDoubt(self)  # sales recover() could not ask about: asked again in the background

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

    # -- commands --------------------------------------------------------------------------
    async def charge(self, amount: Money | str, reference: str = "", *, due: DueTerms | None = None) -> Sale:
        """Open a sale of ``amount``; with ``due`` (DUE_DATE providers) a charge whose amount owed
        depends on the day it is paid (fine, interest, rebate, discounts; app.domain.duedate)."""
        money = amount if isinstance(amount, Money) else Money.parse(amount, self.currency)
        if due is not None and Capability.DUE_DATE not in self.capabilities:
            raise ChargeFailed(f"{self.provider.name} has no charges with a due date")
        if due is not None and (found := due_problems(money, due)):
            raise ChargeFailed("the due-date terms cannot be charged: " + "; ".join(found))
        if money.currency != self.currency:
            raise ChargeFailed(f"this till charges in {self.currency}, not {money.currency}")
        reference = " ".join(str(reference).split())
        if len(reference) > MAX_REFERENCE:
            raise ChargeFailed(f"the reference is too long ({len(reference)} characters, at most {MAX_REFERENCE})")
        if self._starting is not None:
            raise SaleInProgress(STARTING)
        if self.in_doubt.sales and self.link_id:
            await self.in_doubt.before_charge()
        await self._previous_closed()
        async with self._lock:
            self._check_free()
            sale = Sale.new(money, self.provider.name, reference, self.link_id)
            self._starting = sale.sale_id
            try:
                await self._save(sale, "created", **({"due": dueterms.to_json(due)} if due else {}))
            except BaseException:
                self._starting = None
                raise
            self._set_current(sale, due)
        try:
            return await self._start(sale, due)
        finally:
            self._starting = None

    async def cancel(self) -> Sale | None:
        """Cancel the open sale: the provider decides atomically whether it can still be paid.
        A second cancel while one is under way joins it."""
        async with self._lock:
            sale = self._current
            if sale is None or not sale.status.is_open:
                return None
            if self._starting == sale.sale_id or sale.request_id is None:
                raise CheckoutError("the sale is still starting; try again in a moment")
            if self._cancelling is None or self._cancelling.done():
                self._cancelling = self._spawn(self._cancel(sale), report=False)
            cancelling = self._cancelling
        return await asyncio.shield(cancelling)

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
                trouble = f"could not cancel it ({exc}); "
            except TimeoutError:
                trouble = "the provider did not confirm the cancel in time; "
        try:
            return await self.wait_closed(sale_id, timeout=max(0.0, deadline - loop.time()))
        except TimeoutError:
            stored = await self.journal.get(sale_id)
            where = (
                "is still open"
                if stored is None or stored.status.is_open
                else f"ended ({stored.status.value}) here, but the provider has not confirmed its unlink yet"
            )
            raise CheckoutError(
                f"sale {sale_id} {where}: {trouble}run `tillqr recover` when the provider is back"
            ) from None

    async def wait_closed(self, sale_id: str, timeout: float | None = None) -> Sale:
        """The sale once CLOSED (TimeoutError after ``timeout`` s)."""
        # The waiter is in place before the journal is read: a close landing in between is not missed.
        fut: asyncio.Future[Sale] = asyncio.get_running_loop().create_future()
        waiters = self._closed_waiters.setdefault(sale_id, [])
        waiters.append(fut)
        try:
            stored = await self.journal.get(sale_id)
            if stored is not None and stored.closed:
                return stored
            async with asyncio.timeout(timeout):
                return await fut
        finally:
            if fut in waiters:
                waiters.remove(fut)
            if not waiters and self._closed_waiters.get(sale_id) is waiters:
                del self._closed_waiters[sale_id]

    async def refund(self, sale_id: str, amount: Money | str | None = None) -> Sale:
        """Refund a paid sale, fully or in part (REFUND providers); raises RefundError in words."""
        return await self.refunds.refund(sale_id, amount)

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
        if self._watcher:
            await self._watcher.stop()
        await self.in_doubt.aclose()
        pending = [t for t in (self._expiry, self._closing, self._cancelling, *self._tasks) if t is not None]
        for task in pending:
            if not task.done():
                task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    # -- the port recovery works through ---------------------------------------------------------
    def publish(self, sale: Sale) -> None:
        """A sale changed (also one closed off the counter, by recovery): the screen, then its waiters."""
        self.bus.publish(SaleChanged(sale))
        if sale.closed:
            for fut in self._closed_waiters.pop(sale.sale_id, []):
                if not fut.done():
                    fut.set_result(sale)

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
            self._watch(sale)
            return True

    async def close_now(self, sale: Sale, *, decided_locally: bool) -> Sale:
        """Close a sale off the counter with a few quick tries (``CLOSE_AT_RECOVERY``); ProviderError after."""
        return await close_sale(
            self.provider, self.journal, sale, self.publish, decided_locally=decided_locally,
            policy=CLOSE_AT_RECOVERY, timer=self.timer,
        )  # fmt: skip

    def close_in_background(self, sale: Sale) -> None:
        """Close a sale off the counter until the provider answers (``CLOSE``)."""
        self._spawn(
            close_sale(self.provider, self.journal, sale, self.publish, decided_locally=True, policy=CLOSE,
                       timer=self.timer)
        )  # fmt: skip

    # -- the sale's life ----------------------------------------------------------------------
    def _set_current(self, sale: Sale | None, due: DueTerms | None | _Keep = KEEP) -> None:
        """The one place the counter's sale changes hands (``due``: its terms; by default kept for the
        same sale and cleared for another)."""
        if not isinstance(due, _Keep):
            self._due = due
        elif sale is None or self._current is None or self._current.sale_id != sale.sale_id:
            self._due = None
        self._current = sale

    def _check_free(self) -> None:
        """Under the lock: the counter takes a new sale, or SaleInProgress / ChargeFailed in words."""
        current = self._current
        if self._starting is not None:
            raise SaleInProgress(STARTING)
        if current is None:
            return
        if current.status.is_open:
            raise SaleInProgress(f"a sale of {current.amount.display()} is open: finish or cancel it first")
        if self._closing is not None and not self._closing.done():
            raise ChargeFailed(
                "the previous sale is still being unlinked from the payment link "
                "(the provider is not answering); try again shortly"
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
        except ProviderRejected as exc:
            await self._stopped(sale, str(exc), str(exc))
            raise ChargeFailed(f"The provider refused the sale: {exc.message}") from exc
        except ProviderError as exc:
            # The call may have happened (an answer lost on the way back): closing asks the provider,
            # cancels what it finds open, and records a payment if the customer was quicker.
            await self._stopped(sale, f"provider unreachable: {exc}", str(exc))
            what = "did not answer" if isinstance(exc, ProviderUnavailable) else "gave an answer that could not be used"
            raise ChargeFailed(
                f"The provider {what} ({exc.message}). The sale was stopped; if the "
                "customer paid anyway, the payment is found and shown. Try again."
            ) from exc
        except asyncio.CancelledError:
            raise  # shutting down: the journal keeps the sale for recover() at the next start
        except BaseException as exc:
            log.exception("charge %s failed unexpectedly", sale.sale_id)
            try:
                await self._stopped(sale, f"internal error: {type(exc).__name__}", type(exc).__name__)
            except Exception:
                log.exception("could not journal the failure of %s", sale.sale_id)
                self._begin_close(sale, decided_locally=True)
            raise
        async with self._lock:
            sale = sale.move(SaleStatus.LINKED, reason="")
            await self._save(sale, "linked", link_id=self.link_id)
            self._watch(sale)
        return sale

    async def _stopped(self, sale: Sale, reason: str, error: str) -> None:
        """A start that did not reach its QR: journaled FAILED and closed (the counter is never left stuck)."""
        async with self._lock:
            latest = self._current if self.holds(sale.sale_id) and self._current is not None else sale
            if latest.status.is_open:
                latest = latest.move(SaleStatus.FAILED, reason=reason)
                await self._save(latest, "failed", error=error)
            self._begin_close(latest, decided_locally=True)

    async def _cancel(self, sale: Sale) -> Sale | None:
        assert sale.request_id is not None
        try:
            info = await self.provider.cancel_request(sale.request_id, sale.idempotency_key("cancel"))
        except ProviderConflict:
            found = await self._truth(sale)
            if found is None:
                raise CheckoutError(
                    "the provider would not cancel and its status could not be read; try again"
                ) from None
            info = found
        except ProviderError as exc:
            self.notice(
                Level.ERROR,
                f"Could not reach the provider to cancel ({exc}). The request expires by itself at its expiry time.",
            )
            raise CheckoutError(f"cancel not confirmed: {exc}") from exc
        if info.status.is_open:
            raise CheckoutError("the provider did not cancel the request; try again")
        async with self._lock:
            latest = self._current
            if latest is None or latest.sale_id != sale.sale_id or not latest.status.is_open:
                # the watcher or the expiry ended it meanwhile, from the provider's own answer: that stands
                return latest if latest is not None and latest.sale_id == sale.sale_id else None
            ended = apply_info(latest, info)
            too_late = ended.status != SaleStatus.CANCELLED and not ended.status.is_open
            if ended.status.is_open:
                ended = ended.move(SaleStatus.CANCELLED, reason="cancelled by the cashier")
            elif ended.status == SaleStatus.CANCELLED:
                ended = ended.with_(reason="cancelled by the cashier")
            await self._save(ended, "cancel")
            if too_late:
                self.notice(Level.WARNING, f"Too late to cancel: the sale is {ended.status.label}.")
            await self._end(ended)
            return ended

    def _watch(self, sale: Sale) -> None:
        assert sale.request_id
        self._watcher = PollingWatcher(
            self.provider,
            sale.request_id,
            self._on_info,
            on_trouble=self._on_trouble,
            interval=self.poll_interval,
            slow_interval=self.pushed_poll_interval,
            hub=self.hub,
        ).start()
        if sale.expires_at is not None:
            self._expiry = self._spawn(self._expire_at(sale.sale_id, sale.expires_at))

    async def _on_info(self, info: RequestInfo) -> bool:
        async with self._lock:
            sale = self._current
            if sale is None or sale.request_id != info.request_id or not sale.status.is_open:
                return True
            updated = apply_info(sale, info)
            if updated.status == sale.status and updated.received == sale.received:
                return False
            if self._due is not None and updated.status == SaleStatus.SETTLED:
                updated = settled_due(updated)
            if updated.status == SaleStatus.LINKED and updated.received != sale.received:
                await self._save(updated, "partial_payment", received=str(updated.received))
            else:
                extra = {"overpaid": str(updated.overpaid)} if updated.overpaid.minor else {}
                await self._save(updated, "status", provider_status=info.provider_status, **extra)
                if extra:
                    self.notice(
                        Level.WARNING,
                        f"Over-paid by {updated.overpaid.display()}: refund the difference to the customer.",
                    )
            if not updated.status.is_open:
                await self._end(updated, from_watcher=True)
                return True
            return False

    def _on_trouble(self, exc: ProviderError | None) -> None:
        if exc is None:
            self.notice(Level.INFO, "Connection to the provider is back.")
        else:
            self.notice(Level.WARNING, f"Lost contact with the provider ({exc.message}); still trying…")

    async def _expire_at(self, sale_id: str, expires_at: datetime) -> None:
        while (delay := (expires_at - self.clock()).total_seconds()) > 0:
            await self.timer.sleep(min(delay, 3600.0))  # in hours: due-date charges live for weeks
        if not (self.holds(sale_id) and self._current is not None and self._current.status.is_open):
            return
        info = await self._truth(self._current, quick=True)  # the lock is free while the provider is asked
        async with self._lock:
            sale = self._current
            if sale is None or sale.sale_id != sale_id or not sale.status.is_open:
                return
            if info is not None and not info.status.is_open:
                sale = apply_info(sale, info)
                await self._save(sale, "status", provider_status=info.provider_status)
                await self._end(sale)
                return
            if info is not None and info.status == SaleStatus.PROCESSING:
                # A payment is under way: never cut short; asked again shortly, in case it fails and the
                # request is back to waiting (then past its deadline it expires as usual).
                self._expiry = self._spawn(self._expire_at(sale_id, self.clock() + timedelta(seconds=5)))
                return
            paid = (
                {"amount_received": info.amount_paid}
                if info is not None and info.amount_paid.currency == sale.amount.currency
                else {}
            )
            sale = sale.move(SaleStatus.EXPIRED, reason="expired", **paid)  # a part paid is kept on record
            await self._save(sale, "expired", confirmed_by_provider=info is not None)
            await self._end(sale, decided_locally=True)

    async def _truth(self, sale: Sale, quick: bool = False) -> RequestInfo | None:
        try:
            async with asyncio.timeout(3.0 if quick else None):
                return await self.provider.get_request(sale.request_id or sale.sale_id)
        except (ProviderError, TimeoutError):
            return None

    async def _end(self, sale: Sale, *, from_watcher: bool = False, decided_locally: bool = False) -> None:
        """The sale is over for the customer: stop watching and start closing (unlink)."""
        if self._watcher and not from_watcher:
            await self._watcher.stop()
        self._watcher = None
        if self._expiry and self._expiry is not asyncio.current_task():
            self._expiry.cancel()
        self._expiry = None
        self._begin_close(sale, decided_locally=decided_locally)

    def _begin_close(self, sale: Sale, *, decided_locally: bool) -> None:
        self._set_current(sale)
        self._closing = self._spawn(
            close_sale(self.provider, self.journal, sale, self._closing_step, decided_locally=decided_locally,
                       policy=CLOSE, timer=self.timer)
        )  # fmt: skip

    def _closing_step(self, sale: Sale) -> None:
        """What the close of the counter's sale publishes: the sale, and the counter free once it is CLOSED."""
        if self.holds(sale.sale_id):
            self._set_current(None if sale.closed else sale)
        self.publish(sale)
        if sale.closed and sale.received.minor and sale.status in UNPAID_ENDS:
            self.notice(
                Level.WARNING,
                f"{sale.received.display()} was received for a sale that ended "
                f"{sale.status.label.lower()}: refund it to the customer.",
            )
        if sale.closed and self._current is None:
            self.bus.publish(CounterFree(sale))

    # -- helpers --------------------------------------------------------------------------
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

    def _spawn(self, coro: Coroutine[Any, Any, Any], *, report: bool = True) -> asyncio.Task[Any]:
        """A background task, held until it ends; its failure is logged and (``report``) told the cashier."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            failure = None if t.cancelled() else t.exception()  # read, so an unreported one is not "never retrieved"
            if report and failure is not None:
                log.error("background task failed", exc_info=failure)
                self.notice(Level.ERROR, f"Internal error: {failure}")

        task.add_done_callback(done)
        return task
