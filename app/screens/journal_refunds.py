"""The journal screen's refund rules, without Qt and without state: whether a sale can be refunded from
the till, and if not why, in words (``blocked``); the amount a manager typed read against what is left to
refund (``amount``). Both answer before any PIN is asked; the controller checks again when it refunds.
``closable``: the refunds left pending (a Depay refund REJECTED, an answer lost) that the manager may close
with a note after checking with the provider (app.checkout.refunds.Refunds.close).

Used by JournalModel (app/screens/journal_model.py).
"""

from __future__ import annotations

from typing import Any

from app.checkout.refunds import REFUNDABLE, refund_name
from app.domain.money import Money, MoneyError
from app.domain.sale import Sale, SaleStatus
from app.i18n import _
from app.screens.journal_filters import WORDS

S = SaleStatus


def blocked(sale: Sale, available: bool, till_provider: str) -> str | None:
    """Why ``sale`` cannot be refunded from this till (``available``: its provider refunds through TillQR;
    ``till_provider``: the provider this till charges on), in words; None when it can."""
    if not available:
        return _("{provider} refunds cannot be made from TillQR: use the provider's own dashboard.").format(
            provider=sale.provider
        )
    if sale.provider != till_provider:
        return _("This sale was made on {provider}; this till refunds on {till} only.").format(
            provider=sale.provider, till=till_provider
        )
    status = WORDS[sale.status].lower()
    if sale.status not in REFUNDABLE:
        if sale.status in (S.EXPIRED, S.CANCELLED, S.FAILED) and sale.refundable.minor:
            return _(
                "This sale ended {status} with {amount} received: give it back through the provider's dashboard."
            ).format(status=status, amount=sale.refundable.display())
        return _("Only paid sales can be refunded; this one is {status}.").format(status=status)
    if sale.refundable.minor <= 0:
        return _("Nothing is left to refund on this sale.")
    return None


def amount(sale: Sale, amount_text: str) -> Money | str:
    """The amount to refund of ``sale`` (empty: all that is refundable), or why it cannot be, in words."""
    text = amount_text.strip().replace(",", ".")
    if not text:
        return sale.refundable
    try:
        money = Money.parse(text, sale.amount.currency)
    except (MoneyError, ValueError) as exc:
        return _("The refund amount is not valid: {reason}").format(reason=exc)
    if money.minor > sale.refundable.minor:
        return _("At most {most} of this sale can be refunded, not {amount}.").format(
            most=sale.refundable.display(), amount=money.display()
        )
    return money


def closable(refunds: list[dict[str, Any]]) -> list[str]:
    """The names (refund id, else key) of the refunds still pending, which the manager may close with a note."""
    return [refund_name(r) for r in refunds if r["status"] == "pending"]
