"""Targets that read files: ``config`` (app.config.settings.load), ``tariffs``
(app.fieldwork.tariff_config.load_tariffs) and ``csv`` (app.fieldwork.route_csv.read_route, then the bills
added to a real field book: all of a route, or the book as it was)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from hypothesis import strategies as st

from app.config import settings
from app.domain.bills import Bill
from app.domain.tariffs import TariffError
from app.fieldwork.route_csv import OPTIONAL, REQUIRED, RouteError, read_route
from app.fieldwork.tariff_config import DEMO_TARIFFS_FILE, load_tariffs
from app.storage.fieldbook import Fieldbook, FieldbookError

from . import Check, Target, expect, words
from .generate import NOT_UTF8, edited, toml_inputs

# -- config.toml -----------------------------------------------------------------------------------
GOOD_CONFIG = settings.dumps(settings.Settings(base_url="https://api.example.com", payment_link_id="pl_1"))
CONFIG_SECTIONS = {
    section: tuple(keys)
    for section, keys in {
        "store": ("name", "city", "country", "mcc", "currency"),
        "provider": ("name", "base_url", "payment_link_id", "pos_external_reference", "local_country"),
        "checkout": ("expires_in", "poll_interval"),
        "manager": ("pin_hash",),
        "tariffs.residential": ("currency", "fixed_fee"),
    }.items()
}


@contextmanager
def _config(workdir: Path) -> Iterator[Check]:
    path = workdir / "config.toml"

    def check(data: object) -> None:
        assert isinstance(data, bytes)
        path.write_bytes(data)
        try:
            settings.load(path)
        except settings.SettingsError as exc:
            words(str(exc))
            expect(str(path) in str(exc), f"the error does not name the file: {str(exc)[:200]!r}")
            expect(len(str(exc).splitlines()) <= 3, f"the error is not a short message: {str(exc)[:200]!r}")
        expect(path.read_bytes() == data, "reading the config changed the file")

    yield check


# -- tariffs -----------------------------------------------------------------------------------------
GOOD_TARIFFS = DEMO_TARIFFS_FILE.read_text(encoding="utf-8")
TARIFF_KEYS = (
    "label currency fixed_fee tiers taxes due_days max_payment_days fine_rate interest_rate_per_day rebate "
    "max_consumption meter_digits"
).split()
TARIFF_SECTIONS = {"tariffs.residential": tuple(TARIFF_KEYS), "tariffs.x": tuple(TARIFF_KEYS), "tariffs": ()}


@contextmanager
def _tariffs(workdir: Path) -> Iterator[Check]:
    path = workdir / "tariffs.toml"

    def check(data: object) -> None:
        assert isinstance(data, bytes)
        path.write_bytes(data)
        try:
            found = load_tariffs(path)
        except TariffError as exc:
            words(str(exc))
            expect(str(exc).startswith(f"{path}: "), f"the error does not name the file: {str(exc)[:200]!r}")
        else:
            expect(bool(found), "no tariffs and no error")
        expect(path.read_bytes() == data, "reading the tariffs changed the file")

    yield check


# -- route CSV ---------------------------------------------------------------------------------------
TARIFFS = load_tariffs(DEMO_TARIFFS_FILE)
COLUMNS = REQUIRED + OPTIONAL
GOOD_VALUES = {
    "bill_id": st.from_regex(r"B-[0-9]{1,3}", fullmatch=True),
    "customer": st.sampled_from(["Maria da Silva", "João Souza", "Zé"]),
    "address": st.sampled_from(["Rua A, 12", "Sítio Novo", '"Quoted" Road']),
    "meter_id": st.from_regex(r"RM-[0-9]{1,3}", fullmatch=True),
    "previous_reading": st.sampled_from(["0", "1350", "12.5", "99999", "1234,5"]),
    "tariff": st.sampled_from(["residential", "commercial"]),
    "payment_link_id": st.sampled_from(["", "pl_1"]),
    "due_date": st.sampled_from(["", "2025-07-10", "2024-02-29"]),
}
ODD_VALUES = st.text(max_size=40) | st.sampled_from(["-1", "1e9", "2025-02-30", "x" * 300, "\n", '"', "0" * 40])


def _cell(value: str, sep: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in (sep, '"', "\n", "\r")) else value


@st.composite
def route_files(draw: st.DrawFn) -> bytes:
    sep = draw(st.sampled_from([",", ";", "\t"]))
    columns = list(REQUIRED) + [c for c in OPTIONAL if draw(st.booleans())]
    columns = draw(st.permutations(columns))
    if draw(st.integers(0, 9)) == 0:
        columns = draw(st.lists(st.sampled_from(COLUMNS) | st.text(max_size=8), max_size=9))
    lines = [sep.join(columns)]
    for _ in range(draw(st.integers(0, 5))):
        row = [draw(ODD_VALUES if draw(st.integers(0, 12)) == 0 else GOOD_VALUES.get(c, ODD_VALUES)) for c in columns]
        if draw(st.integers(0, 15)) == 0:
            row = row[: draw(st.integers(0, len(row)))]
        lines.append(sep.join(_cell(v, sep) for v in row))
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))
    if draw(st.integers(0, 5)) == 0:
        text = draw(edited(text))
    data = (draw(st.sampled_from(["", "\ufeff"])) + text).encode("utf-8")
    if draw(st.integers(0, 12)) == 0:
        data += draw(NOT_UTF8)
    return data


CSV_INPUTS = route_files() | st.text(max_size=300).map(lambda t: t.encode("utf-8")) | NOT_UTF8
_LINE = re.compile(r"^line ([0-9]+)\b")


@contextmanager
def _csv(workdir: Path) -> Iterator[Check]:
    path = workdir / "route.csv"
    runner = asyncio.Runner()
    book = Fieldbook(workdir / "fieldbook.sqlite3")
    kept = [Bill("B-1", "Kept Customer", "Rua K", "RM-900", Decimal(7), "residential")]
    runner.run(book.add_route("kept.csv", [(b, "BRL") for b in kept]))

    def check(data: object) -> None:
        assert isinstance(data, bytes)
        path.write_bytes(data)
        try:
            bills = read_route(path, TARIFFS)
        except RouteError as exc:
            words(str(exc))
            expect(bool(exc.problems), "a RouteError without problems")
            lines = data.count(b"\n") + 2
            for problem in exc.problems:
                expect(1 <= problem.line <= lines, f"a problem on line {problem.line} of a {lines - 1}-line file")
            expect(str(exc).startswith("The route cannot be imported"), f"unclear: {str(exc)[:120]!r}")
            return
        expect(bool(bills), "no bills and no error")
        expect(len({b.bill_id for b in bills}) == len(bills), "a bill id twice in one route")
        before = runner.run(book.bills(open_routes_only=False))
        try:
            runner.run(book.add_route(f"route-{len(before)}.csv", [(b, TARIFFS[b.tariff].currency) for b in bills]))
        except FieldbookError as exc:
            words(str(exc))
            after = runner.run(book.bills(open_routes_only=False))
            expect(after == before, "a route refused by the field book was half-imported")
            return
        ids = {s.bill.bill_id for s in runner.run(book.bills(open_routes_only=False))}
        expect(all(b.bill_id in ids for b in bills), "an imported route is missing bills")

    try:
        yield check
    finally:
        book.close()
        runner.close()


TARGETS = (
    Target("config", toml_inputs(CONFIG_SECTIONS, GOOD_CONFIG), _config),
    Target("tariffs", toml_inputs(TARIFF_SECTIONS, GOOD_TARIFFS), _tariffs),
    Target("csv", CSV_INPUTS, _csv),
)
