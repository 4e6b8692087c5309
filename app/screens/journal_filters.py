"""The journal screen's rules, without Qt and without state: which sales a filter keeps,
which day a day filter means, and how a status is said in words (and coloured).

Used by JournalBrowse (app/screens/journal_browse.py), the base of JournalModel.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo

from app.domain.sale import OPEN_STATUSES, Sale, SaleStatus
from app.i18n import LazyText, LazyWords, _, format_date, lazy_
from app.storage.reports import CsvDialect, csv_form

S = SaleStatus

# (key, words on screen, test)
STATUS_FILTERS: dict[str, tuple[LazyText, Callable[[Sale], bool]]] = {
    "all": (lazy_("All sales"), lambda s: True),
    "paid": (lazy_("Paid"), lambda s: s.status == S.SETTLED),
    "refunded": (lazy_("Refunded (in full or part)"), lambda s: s.status in (S.REFUNDED, S.PARTIALLY_REFUNDED)),
    "unpaid": (
        lazy_("Not paid (expired, cancelled, failed)"),
        lambda s: s.status in (S.EXPIRED, S.CANCELLED, S.FAILED),
    ),
    "open": (lazy_("Open (waiting, processing)"), lambda s: s.status in OPEN_STATUSES),
    "to_refund": (lazy_("Money to give back"), lambda s: s.overpaid.minor > 0 and s.refundable.minor > 0),
}

DAY_FILTERS = LazyWords(
    {"all": lazy_("All days"), "today": lazy_("Today"), "yesterday": lazy_("Yesterday"), "date": lazy_("On a date…")}
)

# the status in words for the table (the colour in the view always comes with these words), in the store's
# language each time they are read
WORDS = LazyWords(
    {
        S.PENDING: lazy_("Starting"),
        S.LINKED: lazy_("Waiting"),
        S.PROCESSING: lazy_("Processing"),
        S.SETTLED: lazy_("Paid"),
        S.EXPIRED: lazy_("Expired"),
        S.CANCELLED: lazy_("Cancelled"),
        S.FAILED: lazy_("Failed"),
        S.REFUNDED: lazy_("Refunded"),
        S.PARTIALLY_REFUNDED: lazy_("Part refunded"),
        S.RETURNED: lazy_("Returned"),
    }
)

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
            return _("{status} · part paid").format(status=words)
        return _("{status} · over-paid").format(status=words)
    return words


def export_choices() -> list[tuple[CsvDialect, str]]:
    """The CSV dialects the export offers, each with its words (a file dialog's name filters, ``*.csv``)."""
    form = csv_form(CsvDialect.LOCALE)
    local = _("CSV for this language's spreadsheets (“{separator}” between columns, “{decimal}” in amounts)")
    return [
        (CsvDialect.NEUTRAL, _("CSV for programs (“,” between columns, “.” in amounts)")),
        (CsvDialect.LOCALE, local.format(separator=form.separator, decimal=form.decimal)),
    ]


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
    """ "Today (2024-05-01)", "Yesterday (2024-04-30)" or the date itself (in the locale's form)."""
    shown = format_date(day)
    if day == today:
        return _("Today ({date})").format(date=shown)
    if day == today - timedelta(days=1):
        return _("Yesterday ({date})").format(date=shown)
    return shown


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
