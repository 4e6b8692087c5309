"""The journal screen's tables of words (looked up in the store's language each time they are shown): the
table's column headings, the kinds of events in a sale's history and the names of their details, and the
statuses of a refund. What is not in a table (a kind added later) is said as the journal keeps it.

Used by app/screens/journal_lines.py and app/ui/journal_table.py.
"""

from __future__ import annotations

from app.i18n import LazyText, LazyWords, current, lazy_p

# the sales table's headings, in the order of Row.cells()
COLUMNS: tuple[LazyText, ...] = (
    lazy_p("column", "Time"),
    lazy_p("column", "Status"),
    lazy_p("column", "Amount"),
    lazy_p("column", "Received"),
    lazy_p("column", "Refunded"),
    lazy_p("column", "Provider"),
    lazy_p("column", "Reference"),
)

# the kinds of event the journal records (app.checkout: controller, outcomes, recovery, closing, refunds)
EVENT_KINDS = LazyWords(
    {
        "created": lazy_p("event", "created"),
        "request_created": lazy_p("event", "request created"),
        "linked": lazy_p("event", "linked"),
        "failed": lazy_p("event", "failed"),
        "partial_payment": lazy_p("event", "part payment"),
        "status": lazy_p("event", "status"),
        "cancel": lazy_p("event", "cancel"),
        "expired": lazy_p("event", "expired"),
        "recovered": lazy_p("event", "recovered"),
        "reconciled": lazy_p("event", "reconciled"),
        "closed": lazy_p("event", "closed"),
        "refund": lazy_p("event", "refund"),
    }
)

# the details an event may carry, by the name the journal gives them
DETAIL_NAMES = LazyWords(
    {
        "amount": lazy_p("event detail", "amount"),
        "received": lazy_p("event detail", "received"),
        "provider_status": lazy_p("event detail", "provider status"),
        "link_id": lazy_p("event detail", "link"),
        "error": lazy_p("event detail", "error"),
        "reason": lazy_p("event detail", "reason"),
        "cashier": lazy_p("event detail", "cashier"),
        "confirmed_by_provider": lazy_p("event detail", "confirmed by the provider"),
        "refund_id": lazy_p("event detail", "refund id"),
        "status": lazy_p("event detail", "status"),
    }
)

# a refund's status (app.checkout.refunds: pending until the provider's answer is final)
REFUND_STATUSES = LazyWords(
    {
        "pending": lazy_p("refund", "pending"),
        "refunded": lazy_p("refund", "refunded"),
        "partially_refunded": lazy_p("refund", "part refunded"),
        "rejected": lazy_p("refund", "rejected"),
    }
)


def said(table: LazyWords[str], key: str) -> str:
    """``key`` in ``table``'s words, or as the journal keeps it (underscores as spaces) when it has none."""
    return table[key] if key in table else key.replace("_", " ")


def stored(text: str) -> str:
    """A text the journal keeps in English (TillQR's own reasons, written once, read in any language later) in
    the store's language when the catalogue has it; as kept otherwise (a provider's words, a manager's note)."""
    return current().translations.gettext(text) if text else text
