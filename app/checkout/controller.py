"""CheckoutController: one counter, one sale at a time, nothing lost.

The command layer every front end calls (GUI, ``tillqr charge``, ``tillqr recover``).
Qt-free; runs on whatever asyncio loop it is given (qasync's in the GUI).

Invariants (tests in tests/unit/test_controller*.py):
- one open sale per counter, so at most one request linked to the static link:
  a second ``charge`` is refused while a sale is open, and the next link only
  happens once the previous request is unlinked;
- the journal is written before an event is published (journal before UI) and
  before the next provider call (intent before action);
- every provider call carries the sale's idempotency key for that action;
- expiry is enforced locally at ``expires_at`` even if the provider is silent;
- unlink is retried until it succeeds.
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
from app.providers.base import (
    Capability,
    ChargeSpec,
    PaymentProvider,
    ProviderConflict,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    RequestInfo,
)
from app.storage.journal import Journal

from .closing import apply_info, close_sale, settled_due
from .events import CounterFree, EventBus, Notice, SaleChanged
from .push import PushHub
from .recovery import InDoubt
from .refunds import Refunds
from .watcher import PollingWatcher

log = logging.getLogger("tillqr.checkout")

MAX_REFERENCE = 72  # fits EMV tag 62 / provider reference fields
UNPAID_ENDS = (SaleStatus.EXPIRED, SaleStatus.CANCELLED, SaleStatus.FAILED)


class CheckoutError(Exception):
    """A charge or cancel that did not happen; the message is for the cashier."""


class SaleInProgress(CheckoutError):
    pass


class ChargeFailed(CheckoutError):
    pass


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
        self.clock = clock
        self.bus = EventBus()
        self.current: Sale | None = None  # the sale occupying the counter until it is CLOSED
        self._lock = asyncio.Lock()
        self._watcher: PollingWatcher | None = None
        self._expiry: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[Sale] | None = None
        self._tasks: set[asyncio.Task] = set()
        self._closed_waiters: dict[str, list[asyncio.Future[Sale]]] = {}
        self.refunds = Refunds(provider, journal, self.bus, poll_interval=poll_interval)
        self._due: DueTerms | None = None  # the open sale's due-date terms, if it has them
        self.in_doubt = InDoubt(self)  # sales recover() could not ask about: asked again in the background

    # -- public -----------------------------------------------------------------
    @property
    def capabilities(self) -> Capability:
        return self.provider.capabilities

    @property
    def due_terms(self) -> DueTerms | None:
        """The open sale's due-date terms (also after a restart resumed it), or None."""
        return self._due if self.current is not None else None

    def subscribe(self, listener):
        return self.bus.subscribe(listener)

    async def charge(self, amount: Money | str, reference: str = "", *, due: DueTerms | None = None) -> Sale:
        """Open a sale of ``amount``; with ``due`` (DUE_DATE providers) a charge whose amount owed
        depends on the day it is paid (fine, interest, rebate, discounts; app.domain.duedate)."""
        money = amount if isinstance(amount, Money) else Money.parse(amount, self.currency)
        if due is not None and Capability.DUE_DATE not in self.capabilities:
            raise ChargeFailed(f"{self.provider.name} has no charges with a due date")
        if due is not None:
            from app.domain.duedate import problems

            if found := problems(money, due):
                raise ChargeFailed("the due-date terms cannot be charged: " + "; ".join(found))
        if money.currency != self.currency:
            raise ChargeFailed(f"this till charges in {self.currency}, not {money.currency}")
        reference = " ".join(str(reference).split())
        if len(reference) > MAX_REFERENCE:
            raise ChargeFailed(f"the reference is too long ({len(reference)} characters, at most {MAX_REFERENCE})")
        if self.in_doubt.sales and self.link_id:
            await self.in_doubt.before_charge()
        async with self._lock:
            await self._free_counter()
            sale = Sale.new(money, self.provider.name, reference, self.link_id)
            await self._save(sale, "created", **({"due": dueterms.to_json(due)} if due else {}))
            self.current = sale
            self._due = due
            return await self._start(sale, due)

    async def cancel(self) -> Sale | None:
        """Cancel the open sale: the provider decides atomically whether it can still be paid."""
        async with self._lock:
            sale = self.current
            if sale is None or not sale.status.is_open:
                return None
            if sale.request_id is None:
                raise CheckoutError("the sale is still starting; try again in a moment")
            try:
                info = await self.provider.cancel_request(sale.request_id, sale.idempotency_key("cancel"))
            except ProviderConflict:
                info = await self._truth(sale)
                if info is None:
                    raise CheckoutError(
                        "the provider would not cancel and its status could not be read; try again"
                    ) from None
            except ProviderError as exc:
                self._notice(
                    "error",
                    f"Could not reach the provider to cancel ({exc}). "
                    "The request expires by itself at its expiry time.",
                )
                raise CheckoutError(f"cancel not confirmed: {exc}") from exc
            if info.status.is_open:
                raise CheckoutError("the provider did not cancel the request; try again")
            sale = apply_info(sale, info)
            too_late = sale.status not in (SaleStatus.CANCELLED,) and not sale.status.is_open
            if sale.status.is_open:
                sale = sale.move(SaleStatus.CANCELLED, reason="cancelled by the cashier")
            elif sale.status == SaleStatus.CANCELLED:
                sale = sale.with_(reason="cancelled by the cashier")
            await self._save(sale, "cancel")
            if too_late:
                self._notice("warning", f"Too late to cancel: the sale is {sale.status.label}.")
            await self._end(sale)
            return sale

    async def wait_closed(self, sale_id: str, timeout: float | None = None) -> Sale:
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

    async def recover(self, cancel_open: bool = False):
        """Finish every sale the journal left open (app.checkout.recovery). Sales the provider could
        not be asked about stay open and are asked about again in the background, every 2 s at first
        and then less often (at most every minute), until each has an answer."""
        from .recovery import recover

        results = await recover(self, cancel_open=cancel_open)
        self.in_doubt.note(results, cancel_open)
        return results

    async def aclose(self) -> None:
        """Stop watching (the journal keeps every open sale for recover() at the next start)."""
        if self._watcher:
            await self._watcher.stop()
        for task in [self._expiry, self._closing, *self._tasks]:
            if task and not task.done():
                task.cancel()
        await asyncio.gather(*[t for t in [self._expiry, self._closing, *self._tasks] if t], return_exceptions=True)

    # -- the sale's life ------------------------------------------------------------
    async def _start(self, sale: Sale, due: DueTerms | None = None) -> Sale:
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
            sale = apply_info(sale, info)
            await self._save(sale, "request_created", provider_status=info.provider_status)
            if self.link_id:
                await self.provider.link(self.link_id, info.request_id, sale.idempotency_key("link"))
        except ProviderRejected as exc:
            sale = sale.move(SaleStatus.FAILED, reason=str(exc))
            await self._save(sale, "failed", error=str(exc))
            self._begin_close(sale, decided_locally=True)
            raise ChargeFailed(f"The provider refused the sale: {exc.message}") from exc
        except ProviderError as exc:
            # The call may have happened (an answer lost on the way back): closing asks the provider,
            # cancels what it finds open, and records a payment if the customer was quicker.
            sale = sale.move(SaleStatus.FAILED, reason=f"provider unreachable: {exc}")
            await self._save(sale, "failed", error=str(exc))
            self._begin_close(sale, decided_locally=True)
            what = "did not answer" if isinstance(exc, ProviderUnavailable) else "gave an answer that could not be used"
            raise ChargeFailed(
                f"The provider {what} ({exc.message}). The sale was stopped; if the "
                "customer paid anyway, the payment is found and shown. Try again."
            ) from exc
        except asyncio.CancelledError:
            raise  # shutting down: the journal keeps the sale for recover() at the next start
        except BaseException as exc:
            log.exception("charge %s failed unexpectedly", sale.sale_id)
            if sale.status.is_open:
                sale = sale.move(SaleStatus.FAILED, reason=f"internal error: {type(exc).__name__}")
                try:
                    await self._save(sale, "failed", error=type(exc).__name__)
                except Exception:
                    log.exception("could not journal the failure of %s", sale.sale_id)
            self._begin_close(sale, decided_locally=True)  # the counter is never left stuck on it
            raise
        sale = sale.move(SaleStatus.LINKED, reason="")
        await self._save(sale, "linked", link_id=self.link_id)
        self._watch(sale)
        return sale

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
            sale = self.current
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
                    self._notice(
                        "warning", f"Over-paid by {updated.overpaid.display()}: refund the difference to the customer."
                    )
            if not updated.status.is_open:
                await self._end(updated, from_watcher=True)
                return True
            return False

    def _on_trouble(self, exc: ProviderError | None) -> None:
        if exc is None:
            self._notice("info", "Connection to the provider is back.")
        else:
            self._notice("warning", f"Lost contact with the provider ({exc.message}); still trying…")

    async def _expire_at(self, sale_id: str, expires_at: datetime) -> None:
        while (delay := (expires_at - self.clock()).total_seconds()) > 0:  # noqa: ASYNC110 - a deadline
            await asyncio.sleep(min(delay, 3600.0))  # in hours: due-date charges live for weeks
        async with self._lock:
            sale = self.current
            if sale is None or sale.sale_id != sale_id or not sale.status.is_open:
                return
            info = await self._truth(sale, quick=True)
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
        self.current = sale
        self._closing = self._spawn(
            close_sale(self.provider, self.journal, sale, self._publish_closing, decided_locally=decided_locally)
        )

    def _publish_closing(self, sale: Sale) -> None:
        if self.current is not None and self.current.sale_id == sale.sale_id:
            self.current = None if sale.closed else sale
        self._publish_sale(sale)
        if sale.closed and sale.received.minor and sale.status in UNPAID_ENDS:
            self._notice(
                "warning",
                f"{sale.received.display()} was received for a sale that ended "
                f"{sale.status.label.lower()}: refund it to the customer.",
            )
        if sale.closed and self.current is None:
            self.bus.publish(CounterFree(sale))

    def _publish_sale(self, sale: Sale) -> None:
        """A sale changed (also one closed off the counter, by recovery): the screen, then its waiters."""
        self.bus.publish(SaleChanged(sale))
        if sale.closed:
            for fut in self._closed_waiters.pop(sale.sale_id, []):
                if not fut.done():
                    fut.set_result(sale)

    async def _free_counter(self) -> None:
        """Refuse a second sale while one is open; wait briefly for a closing one to unlink."""
        if self.current is None:
            return
        if self.current.status.is_open:
            raise SaleInProgress(f"a sale of {self.current.amount.display()} is open: finish or cancel it first")
        closing = self._closing
        if closing is not None and not closing.done():
            done, _ = await asyncio.wait({closing}, timeout=5.0)
            if not done:
                raise ChargeFailed(
                    "the previous sale is still being unlinked from the payment link "
                    "(the provider is not answering); try again shortly"
                )
        self.current = None

    # -- helpers -------------------------------------------------------------------
    async def _save(self, sale: Sale, kind: str, **detail) -> None:
        await self.journal.record(sale, kind, **detail)  # journal first …
        log.info(
            "sale %s %s: %s %s%s",
            sale.sale_id,
            kind,
            sale.status.value,
            sale.amount.display(),
            f" ({sale.reason})" if sale.reason else "",
        )
        if self.current is None or self.current.sale_id == sale.sale_id:
            self.current = sale
        self.bus.publish(SaleChanged(sale))  # … then the screen

    def _notice(self, level: str, message: str) -> None:
        self.bus.publish(Notice(level, message))

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("background task failed", exc_info=t.exception())
                self._notice("error", f"Internal error: {t.exception()}")

        task.add_done_callback(done)
        return task
