"""The journal for reconciliation: CSV export and end-of-day totals (Qt-free; used by the CLI and the screen).

The CSV comes in two dialects (``CsvDialect``): *neutral*, the default, for programs (comma separated, amounts
"12.50", times in ISO 8601 with their offset), and *locale*, for the spreadsheet of the store's language: where
that language writes a decimal comma (pt_BR, es) the columns are separated by ``;`` and amounts read "12,50";
elsewhere (en, hi) it is the neutral separator and point. Its times are local, "2026-11-25 14:03:05", a form
every spreadsheet reads as a date and time. The column names are the same in both.
"""

from __future__ import annotations

import csv
import os
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from enum import Enum
from pathlib import Path
from typing import TypeVar

from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.i18n import decimal_symbol

COLUMNS = (
    "sale_id",
    "created_at",
    "closed_at",
    "status",
    "currency",
    "amount",
    "amount_received",
    "amount_refunded",
    "overpaid",
    "provider",
    "request_id",
    "reference",
    "reason",
    "cashier",  # last: the columns before it keep their places (cashiers by name came later)
)
K = TypeVar("K", bound=Hashable)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """Text as a spreadsheet will show it: a cell that starts like a formula is quoted so it stays text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


class CsvDialect(str, Enum):
    NEUTRAL = "neutral"  # for programs: "," and "12.50"
    LOCALE = "locale"  # for the store's language's spreadsheets: ";" and "12,50" where it writes a decimal comma


@dataclass(frozen=True)
class CsvForm:
    """How a dialect writes: the column separator, the decimal mark, and times local (spreadsheet) or ISO."""

    separator: str
    decimal: str
    local_times: bool


def csv_form(dialect: CsvDialect) -> CsvForm:
    """The separator and decimal mark of ``dialect`` in the language in force."""
    if dialect is CsvDialect.NEUTRAL:
        return CsvForm(",", ".", local_times=False)
    decimal = decimal_symbol()
    return CsvForm(";" if decimal == "," else ",", decimal, local_times=True)


def _time(when: datetime, form: CsvForm) -> str:
    return f"{when.astimezone():%Y-%m-%d %H:%M:%S}" if form.local_times else when.isoformat()


def row(sale: Sale, form: CsvForm | None = None) -> list[str]:
    form = form or csv_form(CsvDialect.NEUTRAL)

    def amount(m: Money) -> str:
        return str(m).replace(".", form.decimal)

    return [
        _cell(v)
        for v in (
            sale.sale_id,
            _time(sale.created_at, form),
            _time(sale.closed_at, form) if sale.closed_at else "",
            sale.status.value,
            sale.amount.currency,
            amount(sale.amount),
            amount(sale.received),
            amount(sale.refunded),
            amount(sale.overpaid),
            sale.provider,
            sale.request_id or "",
            sale.reference,
            sale.reason,
            sale.cashier,
        )
    ]


def export_csv(sales: Iterable[Sale], path: Path, dialect: CsvDialect = CsvDialect.NEUTRAL) -> int:
    """Write ``sales`` to ``path`` (UTF-8 with BOM for spreadsheets) in ``dialect``, atomically; the number
    written."""
    form = csv_form(dialect)
    return write_rows(Path(path), COLUMNS, (row(sale, form) for sale in sales), delimiter=form.separator)


def write_rows(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]], *, delimiter: str = ",") -> int:
    """A CSV file for spreadsheets (UTF-8 with BOM), written atomically: a temporary file, fsync, rename; never a
    stray half file beside the target. The number of rows written (the header not counted)."""
    tmp = path.with_name(path.name + ".tmp")
    n = 0
    try:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh, delimiter=delimiter)
            writer.writerow(header)
            for line in rows:
                writer.writerow(line)
                n += 1
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return n


@dataclass
class Total:
    count: int
    amount: Money
    received: Money
    refunded: Money


def totals_by(sales: Iterable[Sale], key: Callable[[Sale], K]) -> dict[K, Total]:
    """Counts and totals of ``sales`` grouped by ``key(sale)``, in the order keys are first met."""
    totals: dict[K, Total] = OrderedDict()
    for sale in sales:
        k = key(sale)
        t = totals.get(k)
        if t is None:
            zero = Money(0, sale.amount.currency)
            t = totals[k] = Total(0, zero, zero, zero)
        t.count += 1
        t.amount, t.received, t.refunded = (
            t.amount + sale.amount,
            t.received + sale.received,
            t.refunded + sale.refunded,
        )
    return totals


STATUS_ORDER = [s.value for s in SaleStatus]


def day_totals(sales: Iterable[Sale], day: date, tz: tzinfo | None = None) -> dict[tuple[str, str], Total]:
    """Totals of the sales created on ``day`` (in ``tz``, default the machine's), by (status, currency)."""
    on_day = (s for s in sales if _local(s.created_at, tz).date() == day)
    totals = totals_by(on_day, lambda s: (s.status.value, s.amount.currency))
    return dict(sorted(totals.items(), key=lambda kv: (STATUS_ORDER.index(kv[0][0]), kv[0][1])))


def _local(when: datetime, tz: tzinfo | None) -> datetime:
    return when.astimezone(tz)
