"""What ``tillqr recover`` says to a person: each sale's line, and why it waits (its JSON, ``Recovered.to_json``,
keeps TillQR's own words)."""

from __future__ import annotations

from app.checkout.recovery import Recovered
from app.domain.sale import Sale, SaleStatus
from app.i18n import LazyWords, _, format_datetime, lazy_p

# what recovery did to a sale, besides closing it with a status (then the status's word says it)
_ACTIONS = LazyWords(
    {
        "resumed": lazy_p("recovery", "resumed"),
        "waited": lazy_p("recovery", "waited"),
        "busy": lazy_p("recovery", "busy"),
        "other_provider": lazy_p("recovery", "other provider"),
        "refund_finished": lazy_p("recovery", "refund finished"),
        "unreachable": lazy_p("recovery", "unreachable"),
        "create_in_flight": lazy_p("recovery", "create may land"),
        "error": lazy_p("recovery", "error"),
        "unlinked_stale": lazy_p("recovery", "stale link removed"),
    }
)


def action_word(action: str) -> str:
    """``Recovered.action`` as a person reads it, in the language in force."""
    if action in _ACTIONS:
        return _ACTIONS[action]
    try:
        return SaleStatus(action).word
    except ValueError:
        return action  # a new action nobody named yet: its own word


def recovered_line(r: Recovered) -> str:
    """One sale ``recover`` reconciled: its id, what was done, its status, amount and the provider's reason."""
    sale = r.sale
    return (
        f"{sale.sale_id}  {action_word(r.action):<16} {sale.status.word:<18} {sale.amount.display():>14}  {sale.reason}"
    )


def waiting_words(sale: Sale, expires_in: int, grace_s: float) -> str:
    """Why ``recover`` waits for an open sale, until when, and how not to wait."""
    words = {
        "sale": sale.sale_id,
        "amount": sale.amount.display(),
        "provider": sale.provider,
        "grace": f"{grace_s:.0f}",
    }
    if sale.expires_at is not None:
        return _(
            "sale {sale} ({amount}) is still open at {provider}: waiting until it expires at {time} (and up to "
            "{grace} s more to unlink) for it to be paid or expire; `tillqr recover --cancel-open` cancels it instead"
        ).format(time=format_datetime(sale.expires_at.astimezone()), **words)
    return _(
        "sale {sale} ({amount}) is still open at {provider}: waiting for up to {seconds} s (and up to {grace} s "
        "more to unlink) for it to be paid or expire; `tillqr recover --cancel-open` cancels it instead"
    ).format(seconds=expires_in, **words)
