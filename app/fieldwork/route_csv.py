"""A route's bills from a CSV file, every row checked before any bill is returned.

Columns (a header line first, in any order, names case-insensitive): ``bill_id, customer, address,
meter_id, previous_reading, tariff`` and the optional ``payment_link_id, due_date`` (``YYYY-MM-DD``).
The file is UTF-8, with or without the byte-order mark spreadsheets write. Values are separated by
commas (DESIGN.md); a file whose header is separated by semicolons (a spreadsheet's export in a
Brazilian locale) is read the same way, since the header shows which one it is. Blank lines are skipped.

``read_route`` returns every bill or raises ``RouteError`` with every problem found, each with its line
number in the file (a bill's line is where its record starts), so a route is never half-imported.
``bill_id`` becomes the provider's external id: 1 to 35 letters, digits, ``-`` or ``_``.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from app.config.paths import RESOURCES
from app.domain.bills import Bill, ReadingRejected, parse_reading
from app.domain.excerpt import excerpt
from app.domain.tariffs import Tariff, shown_number
from app.i18n import _, ngettext, pgettext

DEMO_ROUTE_FILE = RESOURCES / "route-demo.csv"
REQUIRED = ("bill_id", "customer", "address", "meter_id", "previous_reading", "tariff")
OPTIONAL = ("payment_link_id", "due_date")
MAX_SHOWN = 50  # problems listed in RouteError's message; the rest are counted
MAX_FILE_BYTES = 64 * 1024 * 1024
TEXT_LIMITS = {"customer": 100, "address": 200, "meter_id": 35, "payment_link_id": 100}
_BILL_ID = re.compile(r"[A-Za-z0-9_-]{1,35}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class RowProblem:
    line: int  # in the file, the header is line 1
    column: str  # "" for a problem of the whole line or file
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("line {line}, {column}: {problem}").format(
                line=self.line, column=self.column, problem=self.message
            )
        return _("line {line}: {problem}").format(line=self.line, problem=self.message)


class RouteError(ValueError):
    """A route file that cannot be imported; ``problems`` holds every one found."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        shown = [str(p) for p in problems[:MAX_SHOWN]]
        more = len(problems) - MAX_SHOWN
        if more > 0:
            shown.append(ngettext("… and {n} more problem", "… and {n} more problems", more).format(n=more))
        head = ngettext(
            "The route cannot be imported ({n} problem; nothing was imported):",
            "The route cannot be imported ({n} problems; nothing was imported):",
            len(problems),
        ).format(n=len(problems))
        super().__init__("\n".join([head, *shown]))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RouteError(
            [RowProblem(line, "", _("the file is not UTF-8 text; save it from the spreadsheet as “CSV UTF-8”"))]
        ) from None


def _header(first: str) -> tuple[str, list[str]]:
    """The separator and the column names of the header line, or RouteError."""
    sep = ";" if first.count(";") > first.count(",") else ","
    try:
        names = [name.strip().lower() for name in next(csv.reader([first], delimiter=sep, strict=True))]
    except csv.Error as exc:  # e.g. a lone carriage return inside the header line
        raise RouteError([RowProblem(1, "", _("the header line cannot be read ({error})").format(error=exc))]) from None
    problems = []
    known = REQUIRED + OPTIONAL
    for name in names:
        if name not in known:
            problems.append(
                RowProblem(1, name, _("unknown column (the columns are {columns})").format(columns=", ".join(known)))
            )
        elif names.count(name) > 1:
            problems.append(RowProblem(1, name, _("this column appears twice")))
    problems += [RowProblem(1, name, _("missing column")) for name in REQUIRED if name not in names]
    if "\t" in first and len(names) == 1:
        problems = [RowProblem(1, "", _("the columns are separated by tabs: save the file as comma-separated CSV"))]
    if problems:
        raise RouteError(list(dict.fromkeys(problems)))
    return sep, names


class _RowCheck:
    """One data line being checked; problems go to the shared list."""

    def __init__(self, line: int, values: dict[str, str], problems: list[RowProblem]) -> None:
        self.line = line
        self.values = values
        self.problems = problems

    def fail(self, column: str, message: str) -> None:
        self.problems.append(RowProblem(self.line, column, message))

    def text(self, column: str, *, required: bool = True) -> str:
        value = unicodedata.normalize("NFC", self.values.get(column, "").strip())
        limit = TEXT_LIMITS.get(column, 35)
        if not value:
            if required:
                self.fail(column, pgettext("csv value", "empty"))
        elif len(value) > limit:
            self.fail(column, _("too long ({length} characters, at most {most})").format(length=len(value), most=limit))
        elif not value.isprintable():
            self.fail(column, _("has a line break or a control character"))
        return value


def _row(check: _RowCheck, tariffs: Mapping[str, Tariff], first_line: dict[str, int]) -> Bill | None:
    before = len(check.problems)
    bill_id = check.values.get("bill_id", "").strip()
    if not _BILL_ID.fullmatch(bill_id):
        check.fail(
            "bill_id", _("{value} must be 1 to 35 letters, digits, - or _ (no spaces)").format(value=excerpt(bill_id))
        )
    elif bill_id in first_line:
        check.fail("bill_id", _("{value} is already on line {line}").format(value=bill_id, line=first_line[bill_id]))
    else:
        first_line[bill_id] = check.line
    customer, address, meter_id = check.text("customer"), check.text("address"), check.text("meter_id")
    link = check.text("payment_link_id", required=False)
    tariff_name = check.values.get("tariff", "").strip()
    tariff = tariffs.get(tariff_name)
    if tariff is None:
        known = ", ".join(sorted(tariffs)) or pgettext("tariffs", "none")
        check.fail(
            "tariff", _("{value} is not a tariff (known: {known})").format(value=excerpt(tariff_name), known=known)
        )
    previous = Decimal(0)
    try:
        previous = parse_reading(check.values.get("previous_reading", ""))
    except ReadingRejected as exc:
        check.fail("previous_reading", exc.message)
    else:
        if tariff is not None and previous >= Decimal(10) ** tariff.meter_digits:
            check.fail(
                "previous_reading",
                _("{value} has more digits than the {digits}-digit meters of tariff {tariff}").format(
                    value=shown_number(previous), digits=tariff.meter_digits, tariff=tariff.name
                ),
            )
    due: date | None = None
    due_text = check.values.get("due_date", "").strip()
    if due_text:
        try:
            due = date.fromisoformat(due_text) if _ISO_DATE.fullmatch(due_text) else None
        except ValueError:
            due = None
        if due is None:
            check.fail(
                "due_date",
                _("{value} is not a date: write it as YYYY-MM-DD, like 2025-07-10").format(value=excerpt(due_text)),
            )
    if len(check.problems) > before:
        return None
    return Bill(bill_id, customer, address, meter_id, previous, tariff_name, link or None, due)


def read_route(path: Path, tariffs: Mapping[str, Tariff]) -> list[Bill]:
    """Every bill of the route file ``path``, in file order, or RouteError listing every problem."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise RouteError(
                [RowProblem(1, "", _("the file is larger than {size} MB").format(size=MAX_FILE_BYTES // 2**20))]
            )
        text = _decode(path.read_bytes())
    except OSError as exc:
        raise RouteError(
            [RowProblem(1, "", _("the file cannot be read ({error})").format(error=exc.strerror))]
        ) from None
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first.strip():
        raise RouteError(
            [RowProblem(1, "", _("the first line must be the header: {columns}").format(columns=",".join(REQUIRED)))]
        )
    sep, names = _header(first)
    # lines end at "\n" only (a spreadsheet's "\r\n" too): a lone "\r" inside a quoted value is part of it, so
    # every line number is the one an editor shows
    reader = csv.reader(io.StringIO(text, newline="\n"), delimiter=sep, strict=True)
    problems: list[RowProblem] = []
    bills: list[Bill] = []
    first_line: dict[str, int] = {}
    line = 1
    try:
        next(reader)  # the header, checked above
        line = reader.line_num + 1
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(value.strip() for value in record):
                continue  # a blank line, or a spreadsheet's empty row
            if len(record) != len(names):
                problems.append(
                    RowProblem(
                        start,
                        "",
                        ngettext(
                            "{n} value for {columns} columns (a value with a {separator} must be in quotes)",
                            "{n} values for {columns} columns (a value with a {separator} must be in quotes)",
                            len(record),
                        ).format(n=len(record), columns=len(names), separator=sep),
                    )
                )
                continue
            bill = _row(_RowCheck(start, dict(zip(names, record)), problems), tariffs, first_line)
            if bill is not None:
                bills.append(bill)
    except csv.Error as exc:
        problems.append(RowProblem(line, "", _("the CSV cannot be read from here on ({error})").format(error=exc)))
    if not problems and not bills:
        problems.append(RowProblem(2, "", _("the route has no bills")))
    if problems:
        raise RouteError(problems)
    return bills


__all__ = ["DEMO_ROUTE_FILE", "MAX_SHOWN", "RouteError", "RowProblem", "read_route"]
