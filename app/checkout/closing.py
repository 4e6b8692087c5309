"""Closing a sale: make the provider agree with the journal, unlink, mark CLOSED.

``settle_with_provider`` is the one place where a sale whose end the till decided
on its own (local expiry, a create that timed out, an interrupted start) is
squared with the provider's truth: an open request is cancelled, a payment found
late is recorded, a request the provider never saw fails the sale.

``close_sale`` retries as the retry policy says (``app.retry.CLOSE``: until the
provider answers): a counter is never handed to the next sale while its link may
still hold this one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.domain.sale import Sale, SaleStatus, can_transition, utcnow
from app.i18n import lazy_
from app.providers.base import (
    Capability,
    PaymentProvider,
    ProviderConflict,
    ProviderNotFound,
    ProviderUnavailable,
    RequestInfo,
    linking,
)
from app.retry import CLOSE, SYSTEM_TIMER, Idempotency, RetryPolicy, Timer, retrying
from app.storage.journal import Journal

log = logging.getLogger("tillqr.closing")

Publish = Callable[[Sale], None]


def apply_info(sale: Sale, info: RequestInfo) -> Sale:
    """The sale updated with what the provider says, where the state machine allows it."""
    changes: dict[str, object] = {"request_id": info.request_id}
    if info.payload:
        changes["payload"] = info.payload
    if info.expires_at:
        changes["expires_at"] = info.expires_at
    if info.amount_paid.currency == sale.amount.currency:
        changes["amount_received"] = info.amount_paid
    target = info.status
    if target == SaleStatus.LINKED and sale.status == SaleStatus.PENDING:
        target = SaleStatus.PENDING  # the request exists; whether it is linked is the caller's business
    if target != sale.status and can_transition(sale.status, target):
        return sale.move(target, reason=sale.reason or f"provider: {info.provider_status}", **changes)
    return sale.with_(**changes)


def learned(sale: Sale, info: RequestInfo) -> Sale:
    """``sale`` with every provider id and detail ``info`` tells that it lacked (nothing else changed): the
    journal keeps what it learns, whatever the sale's status (a create that timed out, found again later)."""
    changes: dict[str, object] = {}
    if sale.request_id != info.request_id:
        changes["request_id"] = info.request_id
    if info.payload and not sale.payload:
        changes["payload"] = info.payload
    if info.expires_at and not sale.expires_at:
        changes["expires_at"] = info.expires_at
    return sale.with_(**changes) if changes else sale


# Reasons the journal keeps in English (``.message``); the Journal screen says them in the store's language.
NEVER_CREATED = lazy_(
    "interrupted before the provider created the request: nothing was charged; charge it again if needed"
)
PAID_LATE = lazy_("payment found after the till had ended the sale")


def not_found_reason(request_id: str | None) -> str:
    """Why a sale failed when the provider answers it has no such request: never created, or (a request id
    already known, e.g. ``request_created`` in its history) no longer known to the provider."""
    if request_id is None:
        return NEVER_CREATED.message
    return (
        f"the provider no longer knows request {request_id}, which it had created (a demo sandbox restarted "
        "without its state?); nothing was received through it: check the provider's records"
    )


def settled_due(sale: Sale) -> Sale:
    """A due-date charge the provider settled: what it took that day (fine, interest, discounts applied by
    the provider on the day of payment) is what was due, so it is never mistaken for an over-payment."""
    return sale.with_(amount_due=sale.received)


class StillInProgress(ProviderUnavailable):
    """The provider still holds the request open (a payment processing): closing must wait and ask again."""


async def settle_with_provider(provider: PaymentProvider, sale: Sale) -> Sale:
    """Square a sale the till ended by itself with the provider (may raise ProviderError).

    Never records an end the provider has not confirmed: an open request is cancelled at the provider
    first and its answer applied; a request still processing raises ``StillInProgress`` (retried); a
    payment found (SETTLED) wins over whatever the till had decided.
    """
    try:
        info = await provider.get_request(sale.request_id or sale.sale_id)
    except ProviderNotFound:
        if sale.status.is_open:
            return sale.move(SaleStatus.FAILED, reason=not_found_reason(sale.request_id))
        return sale
    sale = learned(sale, info)  # a create whose answer was lost: the id found now is kept whatever follows
    if info.status == SaleStatus.LINKED:  # ACTIVE: still payable, so stop it first
        try:
            info = await provider.cancel_request(info.request_id, sale.idempotency_key("cancel"))
        except ProviderConflict:
            info = await provider.get_request(info.request_id)  # it moved on meanwhile: take what it says
    if info.status.is_open:
        raise StillInProgress(
            f"the provider still reports {info.provider_status} for this sale; asking again", provider=provider.name
        )
    if info.status == SaleStatus.SETTLED and sale.status != SaleStatus.SETTLED:
        late = not sale.status.is_open
        return sale.move(
            SaleStatus.SETTLED,
            amount_received=info.amount_paid,
            reason=PAID_LATE.message if late else "",
        )
    if sale.status.is_open:
        return apply_info(sale, info)
    if info.amount_paid.currency == sale.amount.currency and info.amount_paid != sale.received:
        return sale.with_(amount_received=info.amount_paid)  # a part paid before the end is kept on record
    return sale


async def unlink_if_linked(provider: PaymentProvider, sale: Sale) -> None:
    if not (sale.link_id and (Capability.STATIC_LINK in provider.capabilities)):
        return
    try:
        await linking(provider).unlink(sale.link_id, sale.request_id or sale.sale_id, sale.idempotency_key("unlink"))
    except (ProviderNotFound, ProviderConflict):
        pass  # not linked to this sale (never was, or holds another): nothing of ours to undo


async def close_sale(
    provider: PaymentProvider,
    journal: Journal,
    sale: Sale,
    publish: Publish,
    *,
    decided_locally: bool = False,
    policy: RetryPolicy = CLOSE,
    timer: Timer = SYSTEM_TIMER,
) -> Sale:
    """Square the sale with the provider, unlink and mark CLOSED, retried as ``policy`` says (``app.retry``:
    ``CLOSE`` until the provider answers; ``CLOSE_AT_RECOVERY`` a few times, then ProviderError)."""

    async def step() -> None:
        nonlocal sale, decided_locally
        if decided_locally or sale.status.is_open:
            settled = await settle_with_provider(provider, sale)
            if settled != sale:
                sale = settled
                await journal.record(sale, "reconciled", reason=sale.reason)
                publish(sale)
            decided_locally = False
        await unlink_if_linked(provider, sale)

    await retrying(policy, step, kind=Idempotency.KEYED, timer=timer, what=f"sale {sale.sale_id}")
    closed = sale.with_(closed_at=utcnow(), unlinked=True)
    await journal.record(closed, "closed")
    log.info("sale %s closed: %s, received %s, unlinked", closed.sale_id, closed.status.value, closed.received)
    publish(closed)
    return closed
