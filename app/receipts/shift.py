"""The end-of-shift report: counts and totals of a shift's sales by provider and status, its refunds and the
sales still open (Qt-free).

A shift runs from the moment the last report was *closed* (kept in the journal's key/value store under
``SHIFT_KEY``) to now; before any report was ever closed, from midnight today (the till's local time). Closing
a report (:func:`close_shift`) starts the next shift; nothing is deleted.

The totals are the journal's own (:func:`app.storage.reports.totals_by`, as ``tillqr journal totals``), over
the sales created in the shift; refunds are those made in the shift (of any sale, an earlier shift's too).
Where cashiers sign in (cashiers by name), the totals are also given by cashier (the one who rang each sale up;
"no cashier" for a sale made while nobody was signed in), and a report can be one cashier's alone (``cashier``:
their sales, their refunds, their open sales).
:func:`report_lines` lays the report out in the receipt's plain lines (printed on the same printer),
:func:`write_csv` as one row per total.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, tzinfo
from pathlib import Path

from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus, utcnow
from app.i18n import _, format_datetime, format_number, lazy_, pgettext
from app.screens.journal_filters import WORDS
from app.storage.journal import Journal
from app.storage.reports import STATUS_ORDER, totals_by, write_rows

from .layout import MIN_WIDTH, centred, pair, rule

SHIFT_KEY = "shift.closed_at"
CSV_COLUMNS = (
    "section",
    "provider",
    "status",
    "currency",
    "count",
    "amount",
    "amount_received",
    "amount_refunded",
    "cashier",  # last: the columns before it keep their places
)
NOBODY = "no cashier"  # sales rung up while nobody was signed in, in the totals by cashier (said as NOBODY_WORDS)
NOBODY_WORDS = lazy_("no cashier")


class ShiftStart(str, enum.Enum):
    LAST_CLOSE = "last_close"  # since the last report was closed
    MIDNIGHT = "midnight"  # no report closed yet: since midnight today


@dataclass(frozen=True)
class ShiftTotal:
    provider: str
    status: SaleStatus
    count: int
    amount: Money
    received: Money
    refunded: Money


@dataclass(frozen=True)
class RefundTotal:
    provider: str
    count: int
    amount: Money


@dataclass(frozen=True)
class CashierTotal:
    cashier: str  # the name on the sales (``NOBODY`` for none)
    count: int
    amount: Money
    received: Money
    refunded: Money


@dataclass(frozen=True)
class ShiftReport:
    since: datetime
    until: datetime
    start: ShiftStart
    totals: tuple[ShiftTotal, ...]
    refunds: tuple[RefundTotal, ...]
    open_sales: tuple[Sale, ...]
    by_cashier: tuple[CashierTotal, ...] = ()  # empty when no sale of the shift has a cashier
    cashier: str = ""  # the one cashier this report is about; "" for everyone

    @property
    def sales(self) -> int:
        return sum(t.count for t in self.totals)

    def received(self) -> dict[str, Money]:
        """What the shift's sales received, by currency."""
        return _sum_by_currency(t.received for t in self.totals)

    def refunded(self) -> dict[str, Money]:
        """What was refunded during the shift, by currency."""
        return _sum_by_currency(r.amount for r in self.refunds)


def _sum_by_currency(amounts: Iterable[Money]) -> dict[str, Money]:
    out: dict[str, Money] = {}
    for m in amounts:
        out[m.currency] = out[m.currency] + m if m.currency in out else m
    return out


async def shift_start(
    journal: Journal, *, now: datetime | None = None, tz: tzinfo | None = None
) -> tuple[datetime, ShiftStart]:
    """When the current shift started, and why then."""
    closed = await journal.get_value(SHIFT_KEY)
    if closed:
        return datetime.fromisoformat(closed), ShiftStart.LAST_CLOSE
    local = (now or utcnow()).astimezone(tz)
    return datetime.combine(local.date(), time(0), tzinfo=local.tzinfo), ShiftStart.MIDNIGHT


def build_report(
    sales: Iterable[Sale],
    refunds: Iterable[Mapping[str, object]],
    open_sales: Sequence[Sale],
    *,
    since: datetime,
    until: datetime,
    start: ShiftStart,
    cashier: str = "",
) -> ShiftReport:
    """The report of the ``sales`` created in [since, until], the ``refunds`` rows (Journal.refunds_since)
    made in it, and the ``open_sales``; with ``cashier`` (a name, any case) only theirs."""
    mine = _of(cashier)
    in_shift = [s for s in sales if since <= s.created_at <= until and mine(s.cashier)]
    open_sales = [s for s in open_sales if mine(s.cashier)]
    refunds = [r for r in refunds if mine(str(r.get("cashier_name") or ""))]
    grouped = totals_by(in_shift, lambda s: (s.provider, s.status, s.amount.currency))
    totals = [
        ShiftTotal(provider, status, t.count, t.amount, t.received, t.refunded)
        for (provider, status, _currency), t in grouped.items()
    ]
    totals.sort(key=lambda t: (t.provider, STATUS_ORDER.index(t.status.value), t.amount.currency))
    by_provider: dict[tuple[str, str], RefundTotal] = {}
    for row in refunds:
        when = datetime.fromisoformat(str(row["updated_at"]))
        if not since <= when <= until:
            continue
        provider, currency = str(row["provider"]), str(row["currency"])
        amount = Money(int(str(row["amount_minor"])), currency)
        known = by_provider.get((provider, currency))
        by_provider[(provider, currency)] = (
            RefundTotal(provider, known.count + 1, known.amount + amount) if known else RefundTotal(provider, 1, amount)
        )
    return ShiftReport(
        since, until, start, tuple(totals), tuple(by_provider.values()), tuple(open_sales),
        _by_cashier(in_shift), " ".join(cashier.split()),
    )  # fmt: skip


def _of(cashier: str) -> Callable[[str], bool]:
    """Whether a sale's or refund's cashier name is ``cashier`` (any case); everyone's when ``cashier`` is ""."""
    wanted = " ".join(cashier.split()).casefold()
    return lambda name: not wanted or name.casefold() == wanted


def _by_cashier(sales: Sequence[Sale]) -> tuple[CashierTotal, ...]:
    if not any(s.cashier for s in sales):
        return ()
    grouped = totals_by(sales, lambda s: (s.cashier or NOBODY, s.amount.currency))
    rows = [CashierTotal(name, t.count, t.amount, t.received, t.refunded) for (name, _c), t in grouped.items()]
    return tuple(sorted(rows, key=lambda t: (t.cashier == NOBODY, t.cashier.casefold(), t.amount.currency)))


async def load_report(
    journal: Journal, *, now: datetime | None = None, tz: tzinfo | None = None, cashier: str = ""
) -> ShiftReport:
    """The current shift's report, read from ``journal`` (``cashier``: only that cashier's)."""
    until = now or utcnow()
    since, start = await shift_start(journal, now=until, tz=tz)
    sales = await journal.list_sales(limit=None)
    refunds = await journal.refunds_since(since)
    waiting = [s for s in await journal.open_sales() if s.status.is_open]  # not a cancelled one still unlinking
    return build_report(sales, refunds, waiting, since=since, until=until, start=start, cashier=cashier)


async def close_shift(journal: Journal, report: ShiftReport) -> None:
    """Close ``report``'s shift: the next one starts where it ended."""
    await journal.set_value(SHIFT_KEY, report.until.isoformat())


def start_words(report: ShiftReport) -> str:
    return _("since the last report was closed") if report.start is ShiftStart.LAST_CLOSE else _("since midnight")


def _count(words: str, n: int) -> str:
    return _("{what} ({n})").format(what=words, n=n)


def report_lines(report: ShiftReport, store_name: str, width: int, *, tz: tzinfo | None = None) -> list[str]:
    """The report as lines of at most ``width`` characters, as a receipt prints them."""
    width = max(MIN_WIDTH, width)
    out = [*centred(store_name.upper(), width), *centred(_("End-of-shift report"), width), rule(width)]
    out += pair(pgettext("shift", "From"), format_datetime(report.since.astimezone(tz), seconds=False), width)
    out += pair(pgettext("shift", "To"), format_datetime(report.until.astimezone(tz), seconds=False), width)
    out += centred(f"({start_words(report)})", width)
    if report.cashier:
        out += pair(_("Cashier"), report.cashier, width)
    received, refunded = "    " + pgettext("shift", "received"), "    " + pgettext("shift", "refunded")
    out.append(rule(width))
    provider = None
    for t in report.totals:
        if t.provider != provider:
            provider = t.provider
            out.append(provider)
        out += pair("  " + _count(WORDS[t.status], t.count), t.amount.display(), width)
        if t.received.minor and t.received != t.amount:
            out += pair(received, t.received.display(), width)
        if t.refunded.minor:
            out += pair(refunded, t.refunded.display(), width)
    if not report.totals:
        out.append(_("No sales in this shift."))
    out.append(rule(width))
    if report.by_cashier and not report.cashier:
        out.append(_("By cashier"))
        for c in report.by_cashier:
            name = str(NOBODY_WORDS) if c.cashier == NOBODY else c.cashier
            out += pair("  " + _count(name, c.count), c.amount.display(), width)
            out += pair(received, c.received.display(), width)
            if c.refunded.minor:
                out += pair(refunded, c.refunded.display(), width)
        out.append(rule(width))
    for r in report.refunds:
        out += pair(_count(_("Refunds {provider}").format(provider=r.provider), r.count), r.amount.display(), width)
    if not report.refunds:
        out += pair(_("Refunds"), pgettext("refunds", "none"), width)
    out += pair(_("Open sales"), format_number(len(report.open_sales)), width)
    for s in report.open_sales:
        out += pair(f"  {s.sale_id[:8]} {WORDS[s.status]}", s.amount.display(), width)
    out.append(rule(width))
    back_by_currency = report.refunded()
    for currency, took in report.received().items():
        out += pair(_("Received in all"), took.display(), width)
        back = back_by_currency.get(currency, Money(0, currency))
        out += pair(_("Refunded in the shift"), back.display(), width)
        out += pair(_("Net"), (took - back).display(), width)
    return out


def csv_rows(report: ShiftReport) -> list[list[str]]:
    """One row per total (``CSV_COLUMNS``); the cashier column names the cashier of a one-cashier report's rows,
    of each open sale, and of each "cashier" row (the totals by cashier)."""
    rows = [
        [
            "sales",
            t.provider,
            t.status.value,
            t.amount.currency,
            str(t.count),
            str(t.amount),
            str(t.received),
            str(t.refunded),
            report.cashier,
        ]
        for t in report.totals
    ]
    rows += [
        ["refunds", r.provider, "", r.amount.currency, str(r.count), "", "", str(r.amount), report.cashier]
        for r in report.refunds
    ]
    rows += [
        [
            "open",
            s.provider,
            s.status.value,
            s.amount.currency,
            "1",
            str(s.amount),
            str(s.received),
            str(s.refunded),
            s.cashier,
        ]
        for s in report.open_sales
    ]
    rows += [
        ["cashier", "", "", c.amount.currency, str(c.count), str(c.amount), str(c.received), str(c.refunded), c.cashier]
        for c in report.by_cashier
    ]
    return rows


def write_csv(report: ShiftReport, path: Path) -> int:
    """The report as CSV (UTF-8 with BOM for spreadsheets, ``CSV_COLUMNS``), written atomically; rows written."""
    return write_rows(path, CSV_COLUMNS, csv_rows(report))
