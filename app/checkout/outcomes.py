"""What an answer does to the counter's sale: pure functions, no I/O, no lock (the controller applies them).

- ``checked_charge``: the cashier's input, refused in words before anything is journaled;
- ``start_failure``: a create or link the provider refused or did not answer, in the cashier's words;
- ``after_status``: a status snapshot from the watcher (a part paid, settled, an over-payment);
- ``after_cancel``: the provider's answer to the cashier's cancel (too late when it was paid);
- ``at_expiry``: the sale at its deadline, with what the provider said (or nothing).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from app.domain.duedate import problems as due_problems
from app.domain.dueterms import DueTerms
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.i18n import _, lazy_
from app.providers.base import (
    Capability,
    ProviderAuthError,
    ProviderConflict,
    ProviderError,
    ProviderMisconfigured,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    ProviderUntrusted,
    RequestInfo,
)

from .closing import apply_info, settled_due
from .errors import ChargeFailed

MAX_REFERENCE = 72  # fits EMV tag 62 / provider reference fields


def checked_charge(
    amount: Money | str, reference: str, due: DueTerms | None, *, currency: str, capabilities: Capability, provider: str
) -> tuple[Money, str]:
    """The amount as Money and the reference tidied, or ChargeFailed / MoneyError in words."""
    money = amount if isinstance(amount, Money) else Money.parse(amount, currency)
    if due is not None and Capability.DUE_DATE not in capabilities:
        raise ChargeFailed(_("{provider} has no charges with a due date").format(provider=provider))
    if due is not None and (found := due_problems(money, due)):
        raise ChargeFailed(_("the due-date terms cannot be charged: {problems}").format(problems="; ".join(found)))
    if money.currency != currency:
        raise ChargeFailed(
            _("this till charges in {currency}, not {other}").format(currency=currency, other=money.currency)
        )
    tidy = " ".join(str(reference).split())
    if len(tidy) > MAX_REFERENCE:
        raise ChargeFailed(
            _("the reference is too long ({n} characters, at most {most})").format(n=len(tidy), most=MAX_REFERENCE)
        )
    return money, tidy


# Why a start stopped: the journal keeps the English source (``.message``, neutral like the rest of it), the
# banner says it in the store's language (``reason_words``).
MISCONFIGURED = lazy_("the provider's settings look wrong")
IN_THE_WAY = lazy_("the provider refused the sale: something is still in the way")
KEYS_REFUSED = lazy_("the provider did not accept the till's access keys")
UNTRUSTED = lazy_("the provider's server could not be trusted")
REFUSED = lazy_("the provider refused the sale")
SLOW = lazy_("provider unreachable: the provider is slow: it did not answer in time")
TROUBLE = lazy_("provider unreachable: the provider is having trouble: it answered with an error")
SILENT = lazy_("provider unreachable: the provider does not answer")
UNUSABLE = lazy_("provider unreachable: the provider gave an answer that could not be used")
_REASONS = {
    r.message: r for r in (MISCONFIGURED, IN_THE_WAY, KEYS_REFUSED, UNTRUSTED, REFUSED, SLOW, TROUBLE, SILENT, UNUSABLE)
}


def reason_words(reason: str) -> str:
    """A journaled reason why a start stopped, in the store's language (another reason: as it is)."""
    known = _REASONS.get(reason)
    return str(known) if known is not None else reason


def start_failure(exc: ProviderError) -> tuple[str, ChargeFailed]:
    """Why a start that did not reach its QR stopped (journaled as the sale's reason, shown on its banner) and
    what the cashier reads: what happened, in the cashier's words, and what to do next. The provider's own
    account (``str(exc)``) goes to the journal's event detail and the log, never to the counter."""
    if isinstance(exc, ProviderMisconfigured):
        return MISCONFIGURED.message, ChargeFailed(str(ProviderMisconfigured.words))
    if isinstance(exc, ProviderConflict):  # e.g. the counter's QR still holds another payment (another till?)
        return IN_THE_WAY.message, ChargeFailed(
            _(
                "The payment provider refused the sale: the counter's QR or this payment is still tied to another "
                "one. Nothing was charged. Try again in a moment; if it keeps happening, call the manager."
            )
        )
    if isinstance(exc, ProviderAuthError):
        return KEYS_REFUSED.message, ChargeFailed(
            _(
                "The payment provider did not accept this till's access keys. Nothing was charged. "
                "The manager must set them again in Settings."
            )
        )
    if isinstance(exc, ProviderUntrusted):
        return UNTRUSTED.message, ChargeFailed(
            _(
                "TillQR could not make sure it was talking to the real payment provider. Nothing was sent or "
                "charged. Call the manager."
            )
        )
    if isinstance(exc, ProviderRejected):
        return REFUSED.message, ChargeFailed(
            _(
                "The payment provider refused the sale. Nothing was charged. Check the amount and try again; "
                "if it keeps happening, call the manager."
            )
        )
    if isinstance(exc, ProviderTimeout):
        why, said = SLOW, _("The payment provider is slow: it did not answer in time.")
    elif isinstance(exc, ProviderUnavailable) and exc.status_code:
        why, said = TROUBLE, _("The payment provider is having trouble: it answered with an error.")
    elif isinstance(exc, ProviderUnavailable):
        why, said = SILENT, _("The payment provider does not answer.")
    else:
        why, said = UNUSABLE, _("The payment provider gave an answer that could not be used.")
    return why.message, ChargeFailed(
        said + " " + _("The sale was stopped; if the customer paid anyway, the payment is found and shown. Try again.")
    )


@dataclass(frozen=True)
class Update:
    """A change to journal (``kind`` and ``detail`` go to the journal line) and what the cashier reads."""

    sale: Sale
    kind: str
    detail: dict[str, object] = field(default_factory=dict)
    warning: str = ""


def after_status(sale: Sale, info: RequestInfo, *, has_due: bool) -> Update | None:
    """A watcher's snapshot applied to the open sale; None when nothing changed."""
    updated = apply_info(sale, info)
    if updated.status == sale.status and updated.received == sale.received:
        return None
    if has_due and updated.status == SaleStatus.SETTLED:
        updated = settled_due(updated)
    if updated.status == SaleStatus.LINKED and updated.received != sale.received:
        return Update(updated, "partial_payment", {"received": str(updated.received)})
    detail: dict[str, object] = {"provider_status": info.provider_status}
    warning = ""
    if updated.overpaid.minor:
        detail["overpaid"] = str(updated.overpaid)
        warning = _("Over-paid by {over}: refund the difference to the customer.").format(
            over=updated.overpaid.display()
        )
    return Update(updated, "status", detail, warning)


def after_cancel(sale: Sale, info: RequestInfo, reason: str = "cancelled by the cashier") -> Update:
    """The open sale once the provider answered a cancel that it no longer holds open (``reason``: why, journaled)."""
    ended = apply_info(sale, info)
    warning = ""
    if ended.status.is_open:
        ended = ended.move(SaleStatus.CANCELLED, reason=reason)
    elif ended.status == SaleStatus.CANCELLED:
        ended = ended.with_(reason=reason)
    else:
        warning = _("Too late to cancel: the sale is {status}.").format(status=ended.status.label)
    return Update(ended, "cancel", {}, warning)


class AtExpiry(enum.Enum):
    ENDED = "ended"  # the provider had ended it (paid, cancelled, expired): its word stands
    PAYING = "paying"  # a payment is under way: never cut short, asked again shortly
    EXPIRED = "expired"  # expired here (confirmed by the provider or not), a part paid kept on record


def at_expiry(sale: Sale, info: RequestInfo | None) -> tuple[AtExpiry, Update | None]:
    if info is not None and not info.status.is_open:
        return AtExpiry.ENDED, Update(apply_info(sale, info), "status", {"provider_status": info.provider_status})
    if info is not None and info.status == SaleStatus.PROCESSING:
        return AtExpiry.PAYING, None
    paid = info is not None and info.amount_paid.currency == sale.amount.currency
    expired = sale.move(
        SaleStatus.EXPIRED, reason="expired", **({"amount_received": info.amount_paid} if paid and info else {})
    )
    return AtExpiry.EXPIRED, Update(expired, "expired", {"confirmed_by_provider": info is not None})
