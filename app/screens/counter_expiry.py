"""The warning before the counter's sale expires, and whether "More time" is offered, without Qt.

The warning starts when a fifth of the request's lifetime is left, but never earlier than a minute and never
later than 20 seconds before the end (a 5-minute sale: the last minute; a 30-second one: the last 20 s):
"Expires in 0:25 — More time?".

No provider TillQR speaks can lengthen a counter sale's request: J.P. Morgan's update changes the amount
(and a due-date charge's terms), never an immediate request's ``duration`` (its sandbox answers 400); Depay
cancels every QR 10 minutes after it is made; Razorpay's ``close_by`` is fixed when the QR is created; a Pix
``dynamic_instant`` QR's ``expiration_seconds`` is fixed too (its only change is a write-off). So "More time"
is the controller's ``more_time``: the request is cancelled and the same amount charged again as a new sale
(``app.checkout.reissue``). It is offered only where that is safe: the provider cancels (``Capability.CANCEL``),
nothing was received yet, the request is waiting (not a payment under way), and it is not a due-date charge.
"""

from __future__ import annotations

from datetime import datetime

from app.domain.sale import Sale, SaleStatus
from app.i18n import _

WARN_SHARE = 0.2  # of the request's lifetime
WARN_LONGEST_S = 60.0
WARN_SHORTEST_S = 20.0


def warn_window_s(sale: Sale) -> float:
    """How many seconds before its expiry the warning starts."""
    if sale.expires_at is None:
        return 0.0
    lifetime = (sale.expires_at - sale.created_at).total_seconds()
    return min(WARN_LONGEST_S, max(WARN_SHORTEST_S, WARN_SHARE * lifetime))


def seconds_left(sale: Sale | None, now: datetime) -> float | None:
    """Seconds until the waiting sale's request expires, when the warning is due now (None: no warning)."""
    if sale is None or sale.status is not SaleStatus.LINKED or sale.expires_at is None:
        return None
    left = (sale.expires_at - now).total_seconds()
    return max(0.0, left) if left <= warn_window_s(sale) else None


def can_reissue(sale: Sale | None, *, cancels: bool, due_date: bool) -> bool:
    """Whether "More time" (cancel and charge again) is safe for ``sale``."""
    return (
        cancels
        and not due_date
        and sale is not None
        and sale.status is SaleStatus.LINKED
        and not sale.received.minor
        and sale.request_id is not None
    )


def warning_text(left: float, offer: bool) -> str:
    """ "Expires in 0:25 — More time?" (without the question when it is not offered)."""
    whole = int(left)
    left_text = f"{whole // 60}:{whole % 60:02d}"
    if offer:
        return _("Expires in {left} — More time?").format(left=left_text)
    return _("Expires in {left}").format(left=left_text)


def reissued_text(sale: Sale, static_link: bool) -> str:
    """What the cashier reads once the sale was charged again."""
    if static_link:
        return _("More time: a new payment request for {amount}. The customer scans the sticker again.").format(
            amount=sale.amount.display()
        )
    return _("More time: a new payment request for {amount}. The customer scans the new code.").format(
        amount=sale.amount.display()
    )
