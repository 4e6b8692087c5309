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
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from app.commands.cli_support import demo_flag, emit, err, note, say
from app.config.paths import Paths
from app.config.settings import SettingsError, is_configured
from app.domain.bills import ReadingRejected
from app.domain.tariffs import TariffError
from app.fieldwork.billing import UnknownTariff
from app.fieldwork.importer import ImportProgress, ImportReport
from app.fieldwork.opening import book_file, field_provider, lock_file
from app.fieldwork.route_csv import RouteError, read_route
from app.fieldwork.service import BillRow, FieldService, NoSuchBill
from app.fieldwork.sync import SyncProgress, SyncReport
from app.fieldwork.tariff_config import tariffs_for
from app.providers.base import ProviderError
from app.runtime import CannotStart, TillLock, load_settings, open_provider
from app.storage.fieldbook import Fieldbook, FieldbookError

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
                note(f"demo mode: {handle.mode_text}")
        elif demo and not args.json:
            note("demo mode: the sandbox's bills (nothing here reaches a real provider)")
        store = settings.store_name if settings else "TillQR demo utility"
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


# -- the commands ----------------------------------------------------------------------------------
async def import_bills(args: argparse.Namespace) -> int:
    p, settings = load_settings()
    demo = demo_flag(args) or not is_configured(settings)
    try:
        source = await asyncio.to_thread(os.path.abspath, args.file)
        bills = await asyncio.to_thread(read_route, Path(source), tariffs_for(p, demo))
    except RouteError as exc:
        err(f"{args.file}: nothing was imported:")
        for problem in exc.problems:
            where = f"line {problem.line}, {problem.column}: " if problem.column else ""
            note(f"  {where}{problem.message}")
        if args.json:
            emit({"imported": False, "problems": [vars(pr) for pr in exc.problems]})
        return 1
    async with _opened(args, network=True) as f:
        with _bar(args, "import") as bar:
            tasks: dict[str, TaskID] = {}

            def on(step: ImportProgress) -> None:
                if step.step not in tasks:
                    tasks[step.step] = bar.add_task(f"{step.step}", total=step.total)
                bar.update(tasks[step.step], completed=step.done)

            report = await f.service.import_bills(bills, source, on)
    _print_import(args, report)
    return report.exit_code


def _print_import(args: argparse.Namespace, r: ImportReport) -> None:
    if args.json:
        emit(
            {
                "bills": r.bills,
                "added": r.added,
                "links_created": r.links_created,
                "requests_created": r.requests_created,
                "bulk_calls": r.bulk_calls,
                "linked": r.linked,
                "calls": r.calls,
                "complete": r.complete,
                "offline": r.offline,
                "refused": [{"bill_id": b, "reason": why} for b, why in r.refused],
            }
        )
        return
    say(
        f"{r.bills} bills in the route ({r.added} new); at the provider: {r.links_created} payment links created, "
        f"{r.requests_created} payment requests created in {r.bulk_calls} bulk call(s), {r.linked} linked "
        f"({r.calls} calls); {r.complete} of {r.bills} bills ready to print"
    )
    for bill_id, why in r.refused:
        say(f"  refused: {bill_id}: {why}")
    if r.offline:
        note("the provider could not be reached: nothing is lost; run the same import again when online")


async def record(args: argparse.Namespace) -> int:
    async with _opened(args, network=False) as f:
        try:
            row = await f.service.record(
                args.bill_id, args.reading, confirm_reset=args.confirm_reset, meter_id=args.meter
            )
        except ReadingRejected as exc:
            hint = " To confirm it, run the same command with --confirm-reset." if exc.confirmable else ""
            err(f"bill {args.bill_id}: {exc.message}{hint}")
            return 1
        counts = await f.service.counts()
    if args.json:
        emit(row_json(row))
    else:
        charge = row.charge.display() if row.charge else "-"
        say(
            f"bill {row.bill.bill_id}: reading {row.reading} ({row.consumption} kWh), charge {charge}, "
            f"queued to sync ({counts[row.sync_state]} {row.sync_state})"
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
        reading = "-" if r.reading is None else str(r.reading)
        why = f"  ({r.reason})" if r.reason else ""
        say(f"{r.bill.bill_id:<14} {r.bill.customer[:24]:<24} {reading:>10} {charge:>14}  {r.sync_state}{why}")
    if not rows:
        note("no bills: import a route first (`tillqr bills import ROUTE.csv`)")
    return 0


async def resolve(args: argparse.Namespace) -> int:
    async with _opened(args, network=False) as f:
        row = await (f.service.reissue(args.bill_id) if args.reissue else f.service.drop(args.bill_id, args.drop))
    if args.json:
        emit(row_json(row))
    else:
        say(f"bill {row.bill.bill_id}: {row.sync_state}" + (f" ({row.reason})" if row.reason else ""))
        if args.reissue:
            say("the new charge is sent by the next `tillqr sync`")
    return 0


async def close(args: argparse.Namespace) -> int:
    async with _opened(args, network=False) as f:
        closed = await f.service.close_route()
    if args.json:
        emit({"closed": closed})
    else:
        say(f"route closed: {closed} bills; customers' names and addresses removed from this laptop")
    return 0


async def print_bills(args: argparse.Namespace) -> int:
    from app.commands.bills_print import print_pdf  # lazy: Qt only for printing

    async with _opened(args, network=False) as f:
        rows = await f.service.bills()
    pages = print_pdf(rows, Path(args.file), args.per_page, f.store_name, f.service.tariffs)
    if args.json:
        emit({"file": str(args.file), "bills": len(rows), "pages": pages})
    else:
        say(f"{len(rows)} bills on {pages} pages: {args.file}")
    return 0


async def sync(args: argparse.Namespace) -> int:
    async with _opened(args, network=not args.dry_run) as f:
        with _bar(args, "sync") as bar:
            task = bar.add_task("sync", total=None)

            def on(p: SyncProgress) -> None:
                bar.update(
                    task,
                    total=p.total,
                    completed=p.done,
                    description=f"synced {p.synced}, conflicts {p.conflicts}",
                )

            report = await f.service.sync(on, dry_run=args.dry_run)
    _print_sync(args, report)
    return report.exit_code


def _print_sync(args: argparse.Namespace, r: SyncReport) -> None:
    if args.json:
        emit(
            {
                "synced": r.synced,
                "pending": r.pending,
                "conflicts": [{"bill_id": b, "reason": why} for b, why in r.conflicts],
                "offline": r.offline,
                "dry_run": r.dry_run,
                "calls": r.calls,
                "planned": [{"bill_id": p.bill_id, "kind": p.kind.value, "amount": str(p.amount)} for p in r.planned],
                "waiting_import": list(r.waiting_import),
            }
        )
        return
    if r.dry_run:
        say(f"dry run: {r.pending} charges would be sent")
        for p in r.planned:
            say(f"  {p.bill_id}: {p.kind.value} {p.amount.display()}")
    else:
        say(f"synced {r.synced}; still pending {r.pending}; in conflict {len(r.conflicts)}")
    for bill_id, why in r.conflicts:
        say(f"  conflict: {bill_id}: {why}")
    if r.waiting_import:
        note(
            f"{len(r.waiting_import)} bill(s) with a reading are not at the provider yet (their import did not "
            "finish): run `tillqr bills import` with the route again, then `tillqr sync`"
        )
    if r.offline:
        note("offline: the provider could not be reached; nothing is lost, run `tillqr sync` again when online")
    elif r.conflicts:
        note("resolve each conflict with `tillqr bills resolve BILL_ID --reissue` or `--drop NOTE`")


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
