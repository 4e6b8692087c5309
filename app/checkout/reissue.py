""" "More time" for a waiting sale: cancel its request and charge the same amount again as a new sale.

No provider TillQR speaks can lengthen an immediate request (J.P. Morgan's update changes only the amount and a
due-date charge's terms; Depay's 10 minutes, Razorpay's ``close_by`` and Pix's ``expiration_seconds`` are fixed
when the request is made), so the counter's "More time" is this one operation of the command layer, built on its
own public commands and so on their guarantees:

1. ``cancel`` with the reason "cancelled for more time": the provider decides atomically whether it could still
   be paid. Paid meanwhile (or part paid) → that sale is the answer and nothing is charged again;
2. ``charge`` of the same amount and reference, journaled with ``reissue_of`` (the cancelled sale's id). The charge
   waits for the cancelled request's unlink first, as every charge does, so a static payment link never holds two
   requests; both sales stay in the journal, each with its own idempotency keys.
"""

from __future__ import annotations

from typing import Protocol

from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.i18n import _, lazy_
from app.providers.base import Capability

from .errors import CheckoutError

REASON = lazy_("cancelled for more time: charged again as a new sale").message  # the journal keeps English
_REISSUABLE_ENDS = frozenset({SaleStatus.CANCELLED, SaleStatus.EXPIRED})


class Till(Protocol):
    """What ``reissue`` needs of the controller (its public commands)."""

    @property
    def current(self) -> Sale | None: ...

    @property
    def capabilities(self) -> Capability: ...

    @property
    def due_terms(self) -> object | None: ...

    async def cancel(self, reason: str = ...) -> Sale | None: ...

    async def charge(
        self, amount: Money | str, reference: str = "", *, due: None = None, reissue_of: str | None = None
    ) -> Sale: ...


async def reissue(till: Till) -> Sale:
    """Cancel the open sale and charge its amount again; the new sale, or the old one if it ended otherwise."""
    sale = till.current
    if sale is None or not sale.status.is_open:
        raise CheckoutError(_("there is no sale waiting for payment"))
    if Capability.CANCEL not in till.capabilities:
        raise CheckoutError(_("this provider cannot cancel a request, so it cannot be charged again"))
    if till.due_terms is not None:
        raise CheckoutError(_("a charge with a due date stays payable until its last day; it needs no more time"))
    if sale.received.minor:
        raise CheckoutError(_("part of it is paid already; let it finish, or cancel it and refund"))
    ended = await till.cancel(REASON)
    if ended is None or ended.sale_id != sale.sale_id:
        raise CheckoutError(_("the sale ended meanwhile; check the banner"))
    if ended.status not in _REISSUABLE_ENDS or ended.received.minor:
        return ended  # paid (or part paid) meanwhile: it stands, nothing is charged again
    return await till.charge(sale.amount, sale.reference, reissue_of=sale.sale_id)
