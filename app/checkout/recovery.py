"""recover(): finish every sale the journal has not CLOSED, from the provider's truth.

Run at every start of the GUI and by ``tillqr recover``. For each open sale:

- the provider never saw it (404)           → failed, closed; but while its create may still be on its way
  (no request id journaled, started less than ``CREATE_MAY_LAND_S`` ago: the till died with the call sent)
  it is left open ("create_in_flight") and asked about again, so a request that lands late is found and
  cancelled, never left payable and unseen;
- it ended at the provider (paid, expired…) → that status, unlinked, closed —
  a payment that arrived while the app was down is found here;
- it is still open and linked to our link   → resumed on the counter and watched
  (or, with ``cancel_open``, cancelled and unlinked);
- it is open but was never linked/shown, or is past its expiry → cancelled/expired, unlinked, closed;
- the provider cannot be reached            → left open and asked about again in the background
  (CheckoutController.recover: every 2 s at first, at most every minute) until it answers; a new
  sale on the static link first tries once more and waits while one may still be linked (past its
  expiry it is expired locally and the unlink keeps being retried in the background);
- it was made with another provider         → left untouched ("other_provider"): only that
  provider can tell what became of it (a till that changed provider, or demo sales per provider).

Finally the static link is checked: a request of ours still linked there after
its sale ended is unlinked, so the next sale can link.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from app.domain import dueterms
from app.domain.dueterms import DueTerms
from app.domain.jsontypes import Json, JsonObject
from app.domain.sale import Sale, SaleStatus
from app.i18n import _, lazy_
from app.providers.base import PaymentProvider, ProviderError, ProviderNotFound, ProviderUnavailable, linking
from app.retry import IN_DOUBT, PROVIDER_CALL, RetryPolicy, Timer
from app.storage.journal import Journal

from .closing import apply_info, not_found_reason, settled_due
from .errors import SaleInProgress
from .events import Level
from .refunds import Refunds

# Why recovery ended a sale: the journal keeps the English source (``.message``), the Journal screen says it in
# the store's language.
RESUMED = lazy_("resumed after restart")
EXPIRED_WHILE_DOWN = lazy_("expired while the till was down")
CANCELLED_AT_RECOVERY = lazy_("cancelled at recovery")
NEVER_SHOWN = lazy_("interrupted before it was shown")

log = logging.getLogger("tillqr.recovery")

# A create sent just before the till died can reach the provider this long after the sale began: three times the
# provider call's own deadline (app.retry.PROVIDER_CALL), room for a slow proxy. Until then "not found" is not the end.
CREATE_MAY_LAND_S = 3 * (PROVIDER_CALL.deadline_s or 20.0)


class Counter(Protocol):
    """What recovery needs of the controller: its public port (app.checkout.controller), nothing private.
    The controller alone changes the counter's sale (``adopt``) and closes sales (``close_now``,
    ``close_in_background``)."""

    provider: PaymentProvider
    journal: Journal
    link_id: str | None
    clock: Callable[[], datetime]
    timer: Timer
    refunds: Refunds

    @property
    def current(self) -> Sale | None: ...

    def holds(self, sale_id: str) -> bool: ...

    def publish(self, sale: Sale) -> None: ...

    def notice(self, level: Level, message: str) -> None: ...

    async def adopt(self, sale: Sale, due: DueTerms | None) -> bool: ...

    async def close_now(self, sale: Sale, *, decided_locally: bool) -> Sale: ...

    def close_in_background(self, sale: Sale) -> None: ...

    async def recover_once(self, cancel_open: bool = False) -> list[Recovered]: ...


@dataclass(frozen=True)
class Recovered:
    sale: Sale
    action: str  # resumed | settled | expired | cancelled | failed | … | unreachable | unlinked_stale

    def to_json(self) -> dict:
        return {
            "sale_id": self.sale.sale_id,
            "action": self.action,
            "status": self.sale.status.value,
            "amount": str(self.sale.amount),
            "currency": self.sale.amount.currency,
            "amount_received": str(self.sale.received),
            "closed": self.sale.closed,
            "reason": self.sale.reason,
        }


async def recover(ctl: Counter, cancel_open: bool = False) -> list[Recovered]:
    """One pass over the journal's open sales; provider calls are made with no lock held (the
    controller takes its own for the one state change here, ``adopt``)."""
    results: list[Recovered] = []
    for sale in await ctl.journal.open_sales():
        if ctl.holds(sale.sale_id):
            continue  # live in this process already
        if sale.provider != ctl.provider.name:
            # Only its own provider knows the truth about a sale: asking another one would call it
            # "never created" and lose a payment. It waits for a recover on that provider.
            results.append(Recovered(sale, "other_provider"))
            continue
        try:
            results.append(await _recover_one(ctl, sale, cancel_open))
        except ProviderUnavailable as exc:
            results.append(await _unreachable(ctl, sale, exc))
        except ProviderError as exc:  # it answered, but not about this sale (refused, unreadable)
            results.append(await _unreachable(ctl, sale, exc, action="error"))
    stale = await _unlink_stale(ctl)
    if stale:
        results.append(stale)
    results.extend(Recovered(sale, "refund_finished") for sale in await ctl.refunds.resume())
    return results


async def _record(ctl: Counter, sale: Sale, kind: str, **detail: object) -> Sale:
    await ctl.journal.record(sale, kind, **detail)
    ctl.publish(sale)
    return sale


async def _recover_one(ctl: Counter, sale: Sale, cancel_open: bool) -> Recovered:
    try:
        info = await ctl.provider.get_request(sale.request_id or sale.sale_id)
    except ProviderNotFound:
        if sale.status.is_open:
            created = sale.request_id is not None or await _created_in_history(ctl, sale)
            if not created and ctl.clock() - sale.created_at < timedelta(seconds=CREATE_MAY_LAND_S):
                return Recovered(sale, "create_in_flight")  # asked about again (InDoubt) until it lands or is late
            why = not_found_reason(sale.request_id or sale.sale_id if created else None)
            sale = await _record(ctl, sale.move(SaleStatus.FAILED, reason=why), "recovered")
        return await _finish(ctl, sale, decided_locally=False)

    has_due = "due" in await _created_detail(ctl, sale)
    sale = apply_info(sale, info)
    if has_due and sale.status == SaleStatus.SETTLED and sale.amount_due is None:
        sale = settled_due(sale)
    if not info.status.is_open or not sale.status.is_open:
        sale = await _record(ctl, sale, "recovered", provider_status=info.provider_status)
        return await _finish(ctl, sale, decided_locally=True)  # an open request behind an ended sale is cancelled

    expired = info.expires_at is not None and info.expires_at <= ctl.clock()
    shown = sale.status in (SaleStatus.LINKED, SaleStatus.PROCESSING)
    if not shown and ctl.link_id:
        link = await linking(ctl.provider).get_link(ctl.link_id)
        shown = link.linked_request_id == info.request_id  # died between link and journal: it is live
    processing = info.status == SaleStatus.PROCESSING  # a payment under way is followed, never cut short
    if processing or not (expired or cancel_open or not shown or ctl.current is not None):
        if sale.status == SaleStatus.PENDING:
            sale = sale.move(SaleStatus.PROCESSING if processing else SaleStatus.LINKED, reason=RESUMED.message)
        due = _due_terms((await _created_detail(ctl, sale)).get("due"), sale.amount.currency)
        if ctl.current is None and await ctl.adopt(sale, due):
            return Recovered(sale, "resumed")
        # Another sale holds the counter: this one is left open at the provider and asked about again.
        stored = await ctl.journal.get(sale.sale_id)
        if stored is None or (stored.status, stored.received) != (sale.status, sale.received):
            sale = await _record(ctl, sale, "recovered")  # only what changed: asked again every minute
        return Recovered(sale, "busy")
    # The provider decides how it ends: cancelled (or expired) once it confirms, paid if the customer won the race.
    why = (
        EXPIRED_WHILE_DOWN.message
        if expired
        else CANCELLED_AT_RECOVERY.message
        if (cancel_open or shown)
        else NEVER_SHOWN.message
    )
    return await _finish(ctl, sale.with_(reason=why), decided_locally=True)


CREATED_KINDS = ("request_created", "linked")  # history events that prove the provider made the request


async def _created_in_history(ctl: Counter, sale: Sale) -> bool:
    """The sale's history shows the provider made its request (``request_created`` or ``linked``)."""
    return any(e["kind"] in CREATED_KINDS for e in await ctl.journal.events(sale.sale_id))


async def _created_detail(ctl: Counter, sale: Sale) -> JsonObject:
    events = await ctl.journal.events(sale.sale_id)
    detail = events[0]["detail"] if events and events[0]["kind"] == "created" else None
    return detail if isinstance(detail, dict) else {}


def _due_terms(data: Json, currency: str) -> DueTerms | None:
    """The DueTerms journaled with a sale at its creation, or None."""
    return dueterms.from_json(data, currency) if isinstance(data, dict) and data else None


async def _finish(ctl: Counter, sale: Sale, *, decided_locally: bool) -> Recovered:
    """Close with a few tries; a provider that stops answering leaves the sale open for the next recover()."""
    try:
        closed = await ctl.close_now(sale, decided_locally=decided_locally)
    except ProviderError as exc:
        latest = await ctl.journal.get(sale.sale_id) or sale
        return Recovered(latest.with_(reason=f"{latest.reason} (not finished: {exc})".strip()), "unreachable")
    return Recovered(closed, closed.status.value)


async def _unreachable(ctl: Counter, sale: Sale, exc: ProviderError, action: str = "unreachable") -> Recovered:
    if sale.status.is_open and sale.expires_at is not None and sale.expires_at <= ctl.clock():
        sale = sale.move(SaleStatus.EXPIRED, reason=f"expired; provider unreachable at recovery ({exc})")
        sale = await _record(ctl, sale, "expired", confirmed_by_provider=False)
        ctl.close_in_background(sale)
        return Recovered(sale, "expired")
    return Recovered(sale.with_(reason=f"{sale.reason} ({exc.message})".strip()) if action == "error" else sale, action)


async def _unlink_stale(ctl: Counter) -> Recovered | None:
    if not ctl.link_id:
        return None
    try:
        link = await linking(ctl.provider).get_link(ctl.link_id)
    except ProviderError:
        return None
    held = link.linked_request_id
    if held is None or (ctl.current is not None and ctl.current.request_id == held):
        return None
    ours = await ctl.journal.get(held)  # request ids are sale ids (client-assigned)
    if ours is None:
        ctl.notice(
            Level.WARNING,
            _(
                "The payment link holds request {request}, which this till did not make; "
                "it will refuse new sales until that request ends or is unlinked."
            ).format(request=held),
        )
        return None
    try:
        await linking(ctl.provider).unlink(ctl.link_id, held, ours.idempotency_key("unlink"))
    except ProviderError:
        return Recovered(ours, "unreachable")
    return Recovered(ours, "unlinked_stale")


class InDoubt:
    """The sales recover() left open: the provider could not be reached ("unreachable"), answered
    with an error about them ("error"), or they are still open while another sale holds the counter
    ("busy").

    They are asked about again in the background (``recover()`` again: every ``base_s`` at first,
    doubling up to every ``max_s``) until each has an answer. An unreachable one that may still be
    linked blocks the static link: ``before_charge`` tries once more and refuses a new sale while it
    may still be payable on the sticker. (An error is not a reason to block: it may never go away.)
    """

    def __init__(self, ctl: Counter, base_s: float = IN_DOUBT.base_s, max_s: float = IN_DOUBT.max_s):
        self.ctl = ctl
        self.base_s, self.max_s = base_s, max_s  # app.retry.IN_DOUBT (tests shorten them)
        self.sales: dict[str, Recovered] = {}
        self._task: asyncio.Task[None] | None = None

    def note(self, results: list[Recovered], cancel_open: bool = False) -> None:
        self.sales = _open_ones(results)
        if self.sales and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._again(cancel_open))

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _again(self, cancel_open: bool) -> None:
        policy = RetryPolicy(IN_DOUBT.name, None, self.base_s, self.max_s, None, IN_DOUBT.jitter)
        rng, attempt = random.Random(), 0
        while self.sales:
            attempt += 1
            await self.ctl.timer.sleep(policy.wait(attempt, rng))
            try:
                results = await self.ctl.recover_once(cancel_open)
            except Exception:
                log.exception("asking again about the sales in doubt failed")
                continue
            for r in results:
                if r.action not in DOUBT:
                    log.info("sale %s, in doubt, is now %s", r.sale.sale_id, r.action)
            self.sales = _open_ones(results)

    async def before_charge(self) -> None:
        """One more try before a new sale on the static link; SaleInProgress while one may be linked."""
        try:
            self.note(await self.ctl.recover_once())
        except ProviderError:
            pass
        holding = [
            r.sale
            for r in self.sales.values()
            if r.action == "unreachable"
            and r.sale.link_id == self.ctl.link_id
            and r.sale.status in (SaleStatus.LINKED, SaleStatus.PROCESSING)
        ]
        if holding:
            raise SaleInProgress(
                _(
                    "an earlier sale of {amount} could not be checked with the provider yet and may still be "
                    "payable on the sticker; TillQR keeps asking: try again shortly"
                ).format(amount=holding[0].amount.display())
            )


DOUBT = ("unreachable", "error", "busy", "create_in_flight")  # recover() results that leave a sale open, asked again


def _open_ones(results: list[Recovered]) -> dict[str, Recovered]:
    return {r.sale.sale_id: r for r in results if r.action in DOUBT and not r.sale.closed}
