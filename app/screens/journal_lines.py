"""What the journal screen shows of a sale, in words and without Qt: its table row, its detail
fields, its event history and its refunds (times in the till's local time, via ``local``); and the
day's totals by status (``total_lines``, ``total_entries``).

Used by JournalModel (app/screens/journal_model.py), which re-exports these names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.screens.journal_filters import TONES, WORDS, status_words
from app.storage import reports

COLUMNS = ("Time", "Status", "Amount", "Received", "Refunded", "Provider", "Reference")

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
    amount: str
    received: str
    refunded: str


def sale_row(sale: Sale, local: Local, today: date) -> Row:
    """The table row of ``sale``: the time alone when it is of ``today``, else the date too."""
    when = local(sale.created_at)
    time = when.strftime("%H:%M:%S") if when.date() == today else when.strftime("%Y-%m-%d %H:%M")
    zero = sale.received.minor == 0
    return Row(
        sale.sale_id,
        time,
        status_words(sale),
        TONES[sale.status],
        sale.amount.display(),
        "—" if zero else str(sale.received),
        str(sale.refunded) if sale.refunded.minor else "—",
        sale.provider,
        sale.reference,
        attention=sale.overpaid.minor > 0 and sale.refundable.minor > 0,
    )


def sale_fields(sale: Sale, local: Local) -> list[tuple[str, str]]:
    """Every field of the detail, as (name, value)."""

    def when(dt: datetime | None) -> str:
        return local(dt).strftime("%Y-%m-%d %H:%M:%S") if dt else "—"

    out = [("Status", f"{status_words(sale)} ({sale.status.value})"), ("Amount", sale.amount.display())]
    if sale.amount_due is not None and sale.amount_due != sale.amount:
        out.append(("Amount due that day", sale.amount_due.display()))
    out += [
        ("Received", sale.received.display()),
        ("Refunded", sale.refunded.display()),
        ("Refundable", sale.refundable.display()),
    ]
    if sale.overpaid.minor:
        out.append(("To give back", sale.overpaid.display()))
    out += [
        ("Provider", sale.provider),
        ("Request id", sale.request_id or "—"),
        ("Reference", sale.reference or "—"),
        *([("Cashier", sale.cashier)] if sale.cashier else []),  # who rang it up (cashiers by name)
        ("Sale id", sale.sale_id),
        ("Created", when(sale.created_at)),
        ("Closed", when(sale.closed_at) if sale.closed else "not yet"),
    ]
    if sale.expires_at:
        out.append(("Expires", when(sale.expires_at)))
    if sale.reason:
        out.append(("Reason", sale.reason))
    return out


def event_line(event: dict[str, Any], currency: str, local: Local) -> str:
    """One line of the history; amounts in minor units are said in ``currency`` (when known)."""
    try:
        at = local(datetime.fromisoformat(event["at"])).strftime("%H:%M:%S")
    except (TypeError, ValueError):
        at = str(event.get("at", ""))
    detail = dict(event.get("detail") or {})
    detail.pop("refund_key", None)  # an internal idempotency key: nothing a manager reads
    detail.pop("cashier_id", None)  # the cashier's name says who it was
    if isinstance(detail.get("amount_minor"), int) and currency:
        detail["amount"] = Money(detail.pop("amount_minor"), currency).display()
    extra = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in detail.items() if v not in (None, "", [], {}))
    words = (
        WORDS.get(SaleStatus(event["status"]), event["status"])
        if event.get("status") in SaleStatus._value2member_map_
        else event.get("status", "")
    )
    return f"{at}  {event.get('kind', '').replace('_', ' ')} → {words}" + (f"  ({extra})" if extra else "")


def refund_line(sale: Sale, refund: dict[str, Any], local: Local) -> str:
    """One line of the refunds list."""
    money = Money(refund["amount_minor"], sale.amount.currency).display()
    try:
        at = local(datetime.fromisoformat(refund["created_at"])).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError, KeyError):
        at = ""
    line = f"{at}  {money} — {refund['status'].replace('_', ' ')}"
    if refund.get("refund_id"):
        line += f" (id {refund['refund_id']})"
    if refund.get("cashier_name"):
        line += f", by {refund['cashier_name']}"
    if refund.get("closed_at"):
        line += f", closed by the manager: {refund.get('note', '')}"
    elif refund.get("reason"):
        line += f": {refund['reason']}"
    return line


def total_lines(sales: list[Sale], day: date, tz: tzinfo | None) -> list[TotalLine]:
    """End-of-day totals of ``day`` by status (and currency), every sale of that day."""
    lines = []
    for (status, currency), t in reports.day_totals(sales, day, tz).items():
        st = SaleStatus(status)
        lines.append(
            TotalLine(status, WORDS[st], TONES[st], currency, t.count, str(t.amount), str(t.received), str(t.refunded))
        )
    return lines


def total_entries(lines: list[TotalLine]) -> list[tuple[str, str, str]]:
    """Per status: (words, "2 sales", "BRL 22.50, received BRL 27.50") for a compact or a full layout."""
    out = []
    for t in lines:
        cur = t.currency
        money = [f"{cur} {t.amount}"]
        if t.received != t.amount and Money.parse(t.received, cur, allow_zero=True).minor:
            money.append(f"received {cur} {t.received}")
        if Money.parse(t.refunded, cur, allow_zero=True).minor:
            money.append(f"refunded {cur} {t.refunded}")
        out.append((t.words, f"{t.count} sale{'s' if t.count != 1 else ''}", ", ".join(money)))
    return out
