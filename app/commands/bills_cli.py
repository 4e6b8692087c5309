"""``tillqr bills import|print|record|list|resolve|close`` and ``tillqr sync``: the field agent's commands.

Exit codes (DESIGN.md): 0 done; 1 an error, the reason on stderr; 3 the provider could not be reached
(nothing is lost: run it again when online); 4 some bills are in conflict or were refused (listed with reasons).
``record`` and ``list`` never need the network. Every command takes ``--demo`` (the sandbox, whatever is
configured) and ``--json``. Progress bars (rich) go to stderr, so stdout stays the command's answer.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from app.commands.cli_support import demo_flag, emit, err, note, say
from app.config.paths import Paths
from app.config.settings import SettingsError, is_configured
from app.domain.bills import ReadingRejected
from app.domain.tariffs import TariffError
from app.fieldwork.billing import UnknownTariff
from app.fieldwork.importer import ImportProgress
from app.fieldwork.opening import book_file, field_provider, lock_file
from app.fieldwork.route_csv import RouteError, read_route
from app.fieldwork.service import BillRow, FieldService, NoSuchBill
from app.fieldwork.sync import SyncProgress
from app.fieldwork.tariff_config import tariffs_for
from app.i18n import _, format_number, ngettext, pgettext
from app.providers.base import ProviderError
from app.runtime import CannotStart, TillLock, load_settings, open_provider
from app.storage.fieldbook import Fieldbook, FieldbookError

from .bills_text import STATES, STEPS, print_import, print_sync

EXPECTED = (
    CannotStart,
    SettingsError,
    sqlite3.Error,
    FieldbookError,
    TariffError,
    UnknownTariff,
    NoSuchBill,
    ProviderError,
    OSError,
    ValueError,
)


@dataclass
class _Field:
    service: FieldService
    paths: Paths
    demo: bool
    store_name: str


@contextlib.asynccontextmanager
async def _opened(args: argparse.Namespace, *, network: bool) -> AsyncIterator[_Field]:
    p, settings = load_settings()
    demo = demo_flag(args) or not is_configured(settings)
    tariffs = tariffs_for(p, demo)
    book = Fieldbook(book_file(p, demo))
    handle = None
    lock = None
    try:
        if network:
            lock = TillLock(lock_file(p, demo))
            name = field_provider(settings.provider if settings else None, demo)
            handle = await open_provider(demo=demo, provider=name)
            if demo and not args.json:
                note(_("demo mode: {mode}").format(mode=handle.mode_text))
        elif demo and not args.json:
            note(_("demo mode: the sandbox's bills (nothing here reaches a real provider)"))
        store = settings.store_name if settings else _("TillQR demo utility")
        durable = handle.sandbox.settled if handle and handle.sandbox else None
        service = FieldService(book, tariffs, handle.provider if handle else None, durable=durable)
        yield _Field(service, p, demo, store)
    finally:
        if handle is not None:
            await handle.aclose()
        await book.aclose()
        if lock is not None:
            lock.release()


@contextlib.contextmanager
def _bar(args: argparse.Namespace, what: str) -> Iterator[Progress]:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=bool(args.json),
        transient=False,
    )
    with progress:
        yield progress


def row_json(r: BillRow) -> dict[str, object]:
    """One bill as ``tillqr bills list --json`` prints it (DESIGN.md's fields)."""
    return {
        "bill_id": r.bill.bill_id,
        "customer": r.bill.customer,
        "address": r.bill.address,
        "meter_id": r.bill.meter_id,
        "previous_reading": str(r.bill.previous_reading),
        "reading": None if r.reading is None else str(r.reading),
        "charge": None if r.charge is None else str(r.charge),
        "currency": r.currency,
        "sync_state": r.sync_state.value,
        "reason": r.reason,
        "payment_link_id": r.payment_link_id,
        "payload": r.payload,
        "due_date": r.due_date.isoformat() if r.due_date else None,
    }


def _number(value: Decimal | None) -> str:
    return "-" if value is None else format_number(value)


# -- the commands ----------------------------------------------------------------------------------
async def import_bills(args: argparse.Namespace) -> int:
    p, settings = load_settings()
    demo = demo_flag(args) or not is_configured(settings)
    try:
        source = await asyncio.to_thread(os.path.abspath, args.file)
        bills = await asyncio.to_thread(read_route, Path(source), tariffs_for(p, demo))
    except RouteError as exc:
        err(_("{file}: nothing was imported:").format(file=args.file))
        for problem in exc.problems:
            if problem.column:
                said = _("line {line}, {column}: {problem}").format(
                    line=problem.line, column=problem.column, problem=problem.message
                )
            else:
                said = problem.message
            note(f"  {said}")
        if args.json:
            emit({"imported": False, "problems": [vars(pr) for pr in exc.problems]})
        return 1
    async with _opened(args, network=True) as f:
        with _bar(args, "import") as bar:
            tasks: dict[str, TaskID] = {}

            def on(step: ImportProgress) -> None:
                if step.step not in tasks:
                    tasks[step.step] = bar.add_task(STEPS.get(step.step, step.step), total=step.total)
                bar.update(tasks[step.step], completed=step.done)

            report = await f.service.import_bills(bills, source, on)
    print_import(args, report)
    return report.exit_code


async def record(args: argparse.Namespace) -> int:
    async with _opened(args, network=False) as f:
        try:
            row = await f.service.record(
                args.bill_id, args.reading, confirm_reset=args.confirm_reset, meter_id=args.meter
            )
        except ReadingRejected as exc:
            said = _("bill {bill}: {reason}").format(bill=args.bill_id, reason=exc.message)
            hint = " " + _("To confirm it, run the same command with --confirm-reset.") if exc.confirmable else ""
            err(said + hint)
            return 1
        counts = await f.service.counts()
    if args.json:
        emit(row_json(row))
    else:
        say(
            _("bill {bill}: reading {reading} ({used} kWh), charge {charge}, queued to sync ({count} {state})").format(
                bill=row.bill.bill_id,
                reading=_number(row.reading),
                used=_number(row.consumption),
                charge=row.charge.display() if row.charge else "-",
                count=counts[row.sync_state],
                state=STATES[row.sync_state],
            )
        )
    return 0


async def list_bills(args: argparse.Namespace) -> int:
    async with _opened(args, network=False) as f:
        rows = await f.service.bills(args.search)
    if args.json:
        say(json.dumps([row_json(r) for r in rows], ensure_ascii=False))
        return 0
    for r in rows:
        charge = r.charge.display() if r.charge else "-"
        reading = _number(r.reading)
        why = f"  ({r.reason})" if r.reason else ""
        say(f"{r.bill.bill_id:<14} {r.bill.customer[:24]:<24} {reading:>10} {charge:>14}  {STATES[r.sync_state]}{why}")
    if not rows:
        note(_("no bills: import a route first (`tillqr bills import ROUTE.csv`)"))
    return 0


async def resolve(args: argparse.Namespace) -> int:
    async with _opened(args, network=False) as f:
        row = await (f.service.reissue(args.bill_id) if args.reissue else f.service.drop(args.bill_id, args.drop))
    if args.json:
        emit(row_json(row))
    else:
        state = STATES[row.sync_state] + (f" ({row.reason})" if row.reason else "")
        say(_("bill {bill}: {state}").format(bill=row.bill.bill_id, state=state))
        if args.reissue:
            say(_("the new charge is sent by the next `tillqr sync`"))
    return 0


async def close(args: argparse.Namespace) -> int:
    async with _opened(args, network=False) as f:
        closed = await f.service.close_route()
    if args.json:
        emit({"closed": closed})
    else:
        say(
            ngettext(
                "route closed: {n} bill; customers' names and addresses removed from this laptop",
                "route closed: {n} bills; customers' names and addresses removed from this laptop",
                closed,
            ).format(n=closed)
        )
    return 0


async def print_bills(args: argparse.Namespace) -> int:
    from app.commands.bills_print import print_pdf  # lazy: Qt only for printing

    async with _opened(args, network=False) as f:
        rows = await f.service.bills()
    pages = print_pdf(rows, Path(args.file), args.per_page, f.store_name, f.service.tariffs)
    if args.json:
        emit({"file": str(args.file), "bills": len(rows), "pages": pages})
    else:
        say(_("{file}: bills: {bills}; pages: {pages}").format(file=args.file, bills=len(rows), pages=pages))
    return 0


async def sync(args: argparse.Namespace) -> int:
    async with _opened(args, network=not args.dry_run) as f:
        with _bar(args, "sync") as bar:
            task = bar.add_task(pgettext("progress", "sync"), total=None)

            def on(p: SyncProgress) -> None:
                bar.update(
                    task,
                    total=p.total,
                    completed=p.done,
                    description=_("synced {synced}, conflicts {conflicts}").format(
                        synced=p.synced, conflicts=p.conflicts
                    ),
                )

            report = await f.service.sync(on, dry_run=args.dry_run)
    print_sync(args, report)
    return report.exit_code


COMMANDS = {
    "import": import_bills,
    "print": print_bills,
    "record": record,
    "list": list_bills,
    "resolve": resolve,
    "close": close,
}


def dispatch(args: argparse.Namespace) -> int:
    runner = sync if args.command == "sync" else COMMANDS[args.bills_command]
    try:
        return asyncio.run(runner(args))
    except EXPECTED as exc:
        err(str(exc))
        return 1
