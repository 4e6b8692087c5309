"""The journal screen's rules, without Qt and without state: which sales a filter keeps,
which day a day filter means, and how a status is said in words (and coloured).

Used by JournalModel (app/screens/journal_model.py), which re-exports these names.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo

from app.domain.sale import OPEN_STATUSES, Sale, SaleStatus

S = SaleStatus

# (key, words on screen, test)
STATUS_FILTERS: dict[str, tuple[str, Callable[[Sale], bool]]] = {
    "all": ("All sales", lambda s: True),
    "paid": ("Paid", lambda s: s.status == S.SETTLED),
    "refunded": ("Refunded (in full or part)", lambda s: s.status in (S.REFUNDED, S.PARTIALLY_REFUNDED)),
    "unpaid": ("Not paid (expired, cancelled, failed)", lambda s: s.status in (S.EXPIRED, S.CANCELLED, S.FAILED)),
    "open": ("Open (waiting, processing)", lambda s: s.status in OPEN_STATUSES),
    "to_refund": ("Money to give back", lambda s: s.overpaid.minor > 0 and s.refundable.minor > 0),
}

DAY_FILTERS = {"all": "All days", "today": "Today", "yesterday": "Yesterday", "date": "On a date…"}

# the status in words for the table (the colour in the view always comes with these words)
WORDS = {
    S.PENDING: "Starting",
    S.LINKED: "Waiting",
    S.PROCESSING: "Processing",
    S.SETTLED: "Paid",
    S.EXPIRED: "Expired",
    S.CANCELLED: "Cancelled",
    S.FAILED: "Failed",
    S.REFUNDED: "Refunded",
    S.PARTIALLY_REFUNDED: "Part refunded",
    S.RETURNED: "Returned",
}

# a colour group per status, for the view's palette: the words above say the same
TONES = {
    S.PENDING: "open",
    S.LINKED: "open",
    S.PROCESSING: "open",
    S.SETTLED: "paid",
    S.EXPIRED: "unpaid",
    S.CANCELLED: "unpaid",
    S.FAILED: "failed",
    S.REFUNDED: "refunded",
    S.PARTIALLY_REFUNDED: "refunded",
    S.RETURNED: "refunded",
}


def status_words(sale: Sale) -> str:
    """The status as the table says it, with what needs a person's eye: over-paid, part paid."""
    words = WORDS[sale.status]
    if sale.overpaid.minor and sale.refundable.minor:
        if sale.status in (S.EXPIRED, S.CANCELLED, S.FAILED):
            words += " · part paid"
        else:
            words += " · over-paid"
    return words


def day_of(day_filter: str, day: date | None, today: date) -> date | None:
    """The calendar day a day filter shows (``day``: the date of the "date" filter), or None for every day."""
    if day_filter == "today":
        return today
    if day_filter == "yesterday":
        return today - timedelta(days=1)
    if day_filter == "date":
        return day or today
    return None


def day_title(day: date, today: date) -> str:
    """ "Today (2024-05-01)", "Yesterday (2024-04-30)" or the date itself."""
    name = "Today" if day == today else "Yesterday" if day == today - timedelta(days=1) else day.isoformat()
    return f"{name} ({day.isoformat()})" if name in ("Today", "Yesterday") else name


def matches(sale: Sale, status_filter: str, day: date | None, search: str, tz: tzinfo | None) -> bool:
    """Whether ``sale`` passes the status filter, is of ``day`` (None: any, in ``tz``'s local time)
    and holds ``search`` in its sale id, request id, reference or amount."""
    if not STATUS_FILTERS[status_filter][1](sale):
        return False
    if day is not None and _local(sale.created_at, tz).date() != day:
        return False
    needle = search.strip().lower()
    if needle:
        hay = " ".join(
            [
                sale.sale_id,
                sale.request_id or "",
                sale.reference,
                str(sale.amount),
                sale.amount.display(),
                str(sale.received),
            ]
        ).lower()
        if needle not in hay and needle.replace(",", ".") not in hay:
            return False
    return True


def _local(when: datetime, tz: tzinfo | None) -> datetime:
    return when.astimezone(tz)
