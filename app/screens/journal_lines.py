"""What the journal screen shows of a sale, in words and without Qt: its table row, its detail
fields, its event history and its refunds (times in the till's local time, via ``local``); and the
day's totals by status (``total_lines``, ``total_entries``).

Used by JournalBrowse (app/screens/journal_browse.py), the base of JournalModel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.i18n import _, format_datetime, format_time, ngettext, pgettext
from app.screens.journal_filters import TONES, WORDS, status_words
from app.screens.journal_words import DETAIL_NAMES, EVENT_KINDS, REFUND_STATUSES, said, stored
from app.storage import reports

__all__ = [
    "Detail",
    "Local",
    "Row",
    "TotalLine",
    "event_line",
    "refund_line",
    "sale_fields",
    "sale_row",
    "total_entries",
    "total_lines",
]

Local = Callable[[datetime], datetime]


@dataclass(frozen=True)
class Row:
    sale_id: str
    time: str
    status: str
    tone: str
    amount: str
    received: str
    refunded: str
    provider: str
    reference: str
    attention: bool  # money to give back

    def cells(self) -> tuple[str, ...]:
        return (self.time, self.status, self.amount, self.received, self.refunded, self.provider, self.reference)


@dataclass
class Detail:
    sale: Sale
    fields: list[tuple[str, str]]
    events: list[str] = field(default_factory=list)
    refunds: list[str] = field(default_factory=list)
    closable: list[str] = field(default_factory=list)  # refunds left pending the manager may close (their names)


@dataclass(frozen=True)
class TotalLine:
    status: str
    words: str
    tone: str
    currency: str
    count: int
    amount: Money
    received: Money
    refunded: Money


def sale_row(sale: Sale, local: Local, today: date) -> Row:
    """The table row of ``sale``: the time alone when it is of ``today``, else the date too."""
    when = local(sale.created_at)
    time = format_time(when, seconds=True) if when.date() == today else format_datetime(when, seconds=False)
    zero = sale.received.minor == 0
    return Row(
        sale.sale_id,
        time,
        status_words(sale),
        TONES[sale.status],
        sale.amount.display(),
        "—" if zero else sale.received.display(),
        sale.refunded.display() if sale.refunded.minor else "—",
        sale.provider,
        sale.reference,
        attention=sale.overpaid.minor > 0 and sale.refundable.minor > 0,
    )


def sale_fields(sale: Sale, local: Local) -> list[tuple[str, str]]:
    """Every field of the detail, as (name, value), in the store's language."""

    def when(dt: datetime | None) -> str:
        return format_datetime(local(dt)) if dt else "—"

    out = [(_("Status"), f"{status_words(sale)} ({sale.status.value})"), (_("Amount"), sale.amount.display())]
    if sale.amount_due is not None and sale.amount_due != sale.amount:
        out.append((_("Amount due that day"), sale.amount_due.display()))
    out += [
        (_("Received"), sale.received.display()),
        (pgettext("amount", "Refunded"), sale.refunded.display()),
        (_("Refundable"), sale.refundable.display()),
    ]
    if sale.overpaid.minor:
        out.append((_("To give back"), sale.overpaid.display()))
    out += [
        (_("Provider"), sale.provider),
        (_("Request id"), sale.request_id or "—"),
        (_("Reference"), sale.reference or "—"),
        *([(_("Cashier"), sale.cashier)] if sale.cashier else []),  # who rang it up (cashiers by name)
        (_("Sale id"), sale.sale_id),
        (_("Created"), when(sale.created_at)),
        (_("Closed"), when(sale.closed_at) if sale.closed else _("not yet")),
    ]
    if sale.expires_at:
        out.append((_("Expires"), when(sale.expires_at)))
    if sale.reason:
        out.append((_("Reason"), stored(sale.reason)))  # the journal keeps TillQR's own reasons in English
    return out


def _value(value: object) -> str:
    if isinstance(value, bool):
        return pgettext("answer", "yes") if value else pgettext("answer", "no")
    return stored(value) if isinstance(value, str) else str(value)


def event_line(event: dict[str, Any], currency: str, local: Local) -> str:
    """One line of the history; amounts in minor units are said in ``currency`` (when known)."""
    try:
        at = format_time(local(datetime.fromisoformat(event["at"])), seconds=True)
    except (TypeError, ValueError):
        at = str(event.get("at", ""))
    detail = dict(event.get("detail") or {})
    detail.pop("refund_key", None)  # an internal idempotency key: nothing a manager reads
    detail.pop("cashier_id", None)  # the cashier's name says who it was
    if isinstance(detail.get("amount_minor"), int) and currency:
        detail["amount"] = Money(detail.pop("amount_minor"), currency).display()
    if "status" in detail and str(detail["status"]) in REFUND_STATUSES:
        detail["status"] = REFUND_STATUSES[str(detail["status"])]
    extra = ", ".join(f"{said(DETAIL_NAMES, k)} {_value(v)}" for k, v in detail.items() if v not in (None, "", [], {}))
    words = (
        WORDS.get(SaleStatus(event["status"]), event["status"])
        if event.get("status") in SaleStatus._value2member_map_
        else event.get("status", "")
    )
    return f"{at}  {said(EVENT_KINDS, str(event.get('kind', '')))} → {words}" + (f"  ({extra})" if extra else "")


def refund_line(sale: Sale, refund: dict[str, Any], local: Local) -> str:
    """One line of the refunds list."""
    money = Money(refund["amount_minor"], sale.amount.currency).display()
    try:
        at = format_datetime(local(datetime.fromisoformat(refund["created_at"])), seconds=False)
    except (TypeError, ValueError, KeyError):
        at = ""
    line = f"{at}  {money} — {said(REFUND_STATUSES, refund['status'])}"
    if refund.get("refund_id"):
        line += " " + _("(id {refund})").format(refund=refund["refund_id"])
    if refund.get("cashier_name"):
        line += _(", by {cashier}").format(cashier=refund["cashier_name"])
    if refund.get("closed_at"):
        line += _(", closed by the manager: {note}").format(note=refund.get("note", ""))
    elif refund.get("reason"):
        line += f": {stored(refund['reason'])}"  # the journal keeps TillQR's own reasons in English
    return line


def total_lines(sales: list[Sale], day: date, tz: tzinfo | None) -> list[TotalLine]:
    """End-of-day totals of ``day`` by status (and currency), every sale of that day."""
    lines = []
    for (status, currency), t in reports.day_totals(sales, day, tz).items():
        st = SaleStatus(status)
        lines.append(TotalLine(status, WORDS[st], TONES[st], currency, t.count, t.amount, t.received, t.refunded))
    return lines


def total_entries(lines: list[TotalLine]) -> list[tuple[str, str, str]]:
    """Per status: (words, "2 sales", "BRL 22.50, received BRL 27.50") for a compact or a full layout."""
    out = []
    for t in lines:
        money = [t.amount.display()]
        if t.received != t.amount and t.received.minor:
            money.append(_("received {amount}").format(amount=t.received.display()))
        if t.refunded.minor:
            money.append(_("refunded {amount}").format(amount=t.refunded.display()))
        count = ngettext("{n} sale", "{n} sales", t.count).format(n=t.count)
        out.append((t.words, count, ", ".join(money)))
    return out
