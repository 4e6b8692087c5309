"""``tillqr journal list|export|totals|refund``: the sales journal from a terminal.

Reading the journal needs no provider: a broken config.toml is reported as a warning and the
shop's journal (``TILLQR_HOME``'s data folder) is read anyway; ``refund`` needs the provider.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from app.checkout.controller import CheckoutError
from app.checkout.refunds import RefundError
from app.config.paths import paths
from app.config.settings import SettingsError
from app.domain.excerpt import excerpt
from app.domain.sale import Sale
from app.runtime import load_settings
from app.storage.journal import Journal
from app.storage.reports import day_totals, export_csv

from .cli_support import demo_flag, emit, note, say


async def journal_of(args, *, demo_flag: bool | None, lenient: bool = False) -> tuple[Journal, bool]:
    """The journal a command reads (demo or the shop's), and whether it is the demo one. A config.toml that
    cannot be read is the command's error (SettingsError), except when ``lenient`` (only reading the journal:
    list, export, totals), where it is a warning and the shop's journal is read anyway."""
    try:
        p, configured = load_settings()
        unconfigured = configured is None
    except SettingsError as exc:
        if not lenient:
            raise
        note(f"warning: {exc}; reading the journal anyway")
        p, unconfigured = paths().ensure(), False
    demo = bool(demo_flag or unconfigured)
    return Journal(p.data_dir / ("journal-demo.sqlite3" if demo else "journal.sqlite3")), demo


def row(s: Sale) -> dict:
    return {
        "sale_id": s.sale_id,
        "status": s.status.value,
        "amount": str(s.amount),
        "amount_received": str(s.received),
        "currency": s.amount.currency,
        "provider": s.provider,
        "request_id": s.request_id,
        "created_at": s.created_at.isoformat(),
        "closed_at": s.closed_at.isoformat() if s.closed_at else None,
        "amount_refunded": str(s.refunded),
        "overpaid": str(s.overpaid),
    }


def line(s: Sale) -> str:
    """One sale as text: the sale id (what ``journal refund`` takes) and the provider's request id if it differs."""
    flags = ("" if s.closed else "  (open)") + (f"  over-paid {s.overpaid}" if s.overpaid.minor else "")
    flags += f"  refunded {s.refunded}" if s.refunded.minor else ""
    request = f"  request {s.request_id}" if s.request_id and s.request_id != s.sale_id else ""
    return (
        f"{s.created_at:%Y-%m-%d %H:%M:%S}  {s.status.value:<18} {s.amount.display():>14}  "
        f"received {str(s.received):>10}  {s.provider:<9} {s.sale_id}{request}{flags}"
    )


async def refund(args, open_runtime_for) -> int:
    journal, demo = await journal_of(args, demo_flag=demo_flag(args))
    try:
        sale = await journal.get(args.sale_id)
    finally:
        await journal.aclose()
    if sale is None:
        raise RefundError(f"there is no sale {args.sale_id} in the {'demo ' if demo else ''}journal")
    rt = await open_runtime_for(args, sale.provider if demo and not getattr(args, "sub_provider", None) else None)
    try:
        sale = await rt.controller.refund(args.sale_id, args.amount)
        done = {
            "event": "refunded",
            "sale_id": sale.sale_id,
            "status": sale.status.value,
            "amount_refunded": str(sale.refunded),
            "currency": sale.amount.currency,
        }
        if args.json:
            emit(done)
        else:
            say(f"{sale.sale_id}: {sale.status.label}, {sale.refunded.display()} refunded in all")
        return 0
    finally:
        await rt.aclose()


async def journal(args, open_runtime_for) -> int:
    if args.journal_command == "refund":
        return await refund(args, open_runtime_for)
    j, demo = await journal_of(args, demo_flag=demo_flag(args), lenient=True)
    try:
        sales = await j.list_sales(limit=None)
    finally:
        await j.aclose()
    if demo:
        note("demo mode: the demo journal")
    if args.journal_command == "export":
        return _export(sales, args.file)
    if args.journal_command == "totals":
        return _totals(sales, args)
    for s in sales:
        if args.json:
            emit(row(s))
        else:
            say(line(s))
    return 0


def _export(sales: list[Sale], file: str) -> int:
    try:
        n = export_csv(reversed(sales), Path(file))
    except OSError as exc:
        raise CheckoutError(f"cannot write {file}: {exc.strerror}") from None
    note(f"{n} sales written to {file}")
    return 0


def _totals(sales: list[Sale], args) -> int:
    try:
        day = date.fromisoformat(args.date) if args.date else datetime.now().astimezone().date()
    except ValueError:
        raise CheckoutError(f"--date must look like 2026-11-25, not {excerpt(args.date)}") from None
    totals = day_totals(sales, day)
    for (status, currency), t in totals.items():
        if args.json:
            emit(
                {
                    "date": day.isoformat(),
                    "status": status,
                    "currency": currency,
                    "count": t.count,
                    "amount": str(t.amount),
                    "amount_received": str(t.received),
                    "amount_refunded": str(t.refunded),
                }
            )
        else:
            say(
                f"{status:<18} {t.count:>5}  {currency} {str(t.amount):>12}  received {str(t.received):>12}"
                f"  refunded {str(t.refunded):>10}"
            )
    if not totals and not args.json:
        say(f"no sales on {day}")
    return 0
