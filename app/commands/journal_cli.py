"""``tillqr journal list|export|totals|refund|restore``: the sales journal from a terminal.

Reading the journal needs no provider: a broken config.toml is reported as a warning and the
shop's journal (``TILLQR_HOME``'s data folder) is read anyway; ``refund`` needs the provider and
the manager PIN (app/commands/manager_pin.py), and so does ``refund SALE_ID --close REFUND_ID --note
TEXT``, which closes a refund left pending once the manager has checked with the provider.
``restore`` lists the journal's backups (``data/backups/``), or puts one back under the till lock.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from app.checkout.controller import CheckoutError
from app.checkout.refunds import ClosedRefund, RefundError
from app.config.paths import Paths, paths
from app.config.settings import SettingsError, is_configured, missing_setup, unfinished_text
from app.domain.excerpt import excerpt
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.i18n import _, format_date, format_datetime, format_number, ngettext
from app.runtime import CannotStart, TillBusy, TillLock, load_settings, lock_file
from app.storage.backups import Backup, BackupFailed, list_backups
from app.storage.backups import restore as restore_file
from app.storage.journal import Journal, JournalError
from app.storage.reports import CsvDialect, Total, day_totals, export_csv

from .cli_support import demo_flag, emit, note, say
from .manager_pin import require_pin


def _where(demo_flag: bool | None, *, lenient: bool = False) -> tuple[Paths, bool]:
    """The folders, and whether the command works on the demo journal (asked for, or a store whose setup is
    unfinished: said once). A config.toml that cannot be read is the command's error (SettingsError), except
    when ``lenient`` (only reading the journal: list, export, totals), where it is a warning and the shop's
    journal is read anyway."""
    try:
        p, configured = load_settings()
        unconfigured = not is_configured(configured)
    except SettingsError as exc:
        if not lenient:
            raise
        note(_("warning: {message}; reading the journal anyway").format(message=exc))
        p, configured, unconfigured = paths().ensure(), None, False
    if configured is not None and unconfigured and not demo_flag:
        note(
            _("{unfinished}: the demo journal until it is finished in Settings").format(
                unfinished=unfinished_text(missing_setup(configured))
            )
        )
    return p, bool(demo_flag or unconfigured)


def _file(p: Paths, demo: bool) -> Path:
    return p.data_dir / ("journal-demo.sqlite3" if demo else "journal.sqlite3")


async def journal_of(args, *, demo_flag: bool | None, lenient: bool = False) -> tuple[Journal, bool]:
    """The journal a command reads (demo or the shop's), and whether it is the demo one."""
    p, demo = _where(demo_flag, lenient=lenient)
    return Journal(_file(p, demo)), demo


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
        "cashier": s.cashier or None,
    }


def _number(m: Money) -> str:
    return format_number(m.amount, m.digits)


def line(s: Sale) -> str:
    """One sale as text, in the store's language: the time, the status, the amount, what was received, the
    sale id (what ``journal refund`` takes) and the provider's request id if it differs."""
    flags = "" if s.closed else "  " + _("(open)")
    flags += "  " + _("over-paid {amount}").format(amount=_number(s.overpaid)) if s.overpaid.minor else ""
    flags += "  " + _("refunded {amount}").format(amount=_number(s.refunded)) if s.refunded.minor else ""
    flags += "  " + _("cashier {name}").format(name=s.cashier) if s.cashier else ""
    request = "  " + _("request {id}").format(id=s.request_id) if s.request_id and s.request_id != s.sale_id else ""
    received = _("received {amount}").format(amount=f"{_number(s.received):>10}")
    return (
        f"{format_datetime(s.created_at)}  {s.status.word:<18} {s.amount.display():>14}  "
        f"{received}  {s.provider:<9} {s.sale_id}{request}{flags}"
    )


async def refund(args, open_runtime_for) -> int:
    """A refund, or with ``--close`` a pending refund closed with a note; both behind the manager PIN."""
    closing = getattr(args, "close", None) is not None
    _check_close_args(args, closing)
    journal, demo = await journal_of(args, demo_flag=demo_flag(args))
    try:
        sale = await journal.get(args.sale_id)
    finally:
        await journal.aclose()
    if sale is None:
        there_is_none = (
            _("there is no sale {sale} in the demo journal") if demo else _("there is no sale {sale} in the journal")
        )
        raise RefundError(there_is_none.format(sale=args.sale_id))
    if not closing and args.amount is not None:
        Money.parse(args.amount, sale.amount.currency)  # a bad amount is said before the PIN is asked
    require_pin(
        demo=demo, demo_asked=bool(demo_flag(args)), doing=_("closing refused") if closing else _("refund refused")
    )
    rt = await open_runtime_for(args, sale.provider if demo and not getattr(args, "sub_provider", None) else None)
    try:
        if closing:
            return _closed(args, await rt.controller.refunds.close(args.sale_id, args.close, args.note))
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
            say(
                _("{sale}: {status}, {amount} refunded in all").format(
                    sale=sale.sale_id, status=sale.status.label, amount=sale.refunded.display()
                )
            )
        return 0
    finally:
        await rt.aclose()


def _check_close_args(args, closing: bool) -> None:
    if closing and args.amount is not None:
        raise RefundError(_("--close closes a refund left pending; it takes no amount"))
    if getattr(args, "note", None) is not None and not closing:
        raise RefundError(_("--note goes with --close REFUND_ID"))
    if closing and not (args.note or "").strip():
        raise RefundError(_("--close needs --note: what the provider said about that refund"))


def _closed(args, closed: ClosedRefund) -> int:
    if args.json:
        emit(
            {
                "event": "refund_closed",
                "sale_id": closed.sale_id,
                "refund_id": closed.refund,
                "status": closed.status,
                "note": closed.note,
                "closed_at": closed.closed_at,
            }
        )
    else:
        say(
            _("{sale}: refund {refund} closed as rejected, with your note; it can be refunded again").format(
                sale=closed.sale_id, refund=closed.refund
            )
        )
    return 0


async def journal(args, open_runtime_for) -> int:
    if args.journal_command == "refund":
        return await refund(args, open_runtime_for)
    if args.journal_command == "restore":
        return await restore(args)
    j, demo = await journal_of(args, demo_flag=demo_flag(args), lenient=True)
    try:
        sales = await j.list_sales(limit=None)
    finally:
        await j.aclose()
    if demo:
        note(_("demo mode: the demo journal"))
    elif not sales:
        await _point_at_demo(paths().ensure())
    if args.journal_command == "export":
        return _export(sales, args.file, CsvDialect(getattr(args, "dialect", None) or CsvDialect.NEUTRAL))
    if args.journal_command == "totals":
        return _totals(sales, args)
    for s in sales:
        if args.json:
            emit(row(s))
        else:
            say(line(s))
    return 0


async def _point_at_demo(p: Paths) -> None:
    """The shop's journal is empty: when the demo journal holds sales, say where they are."""
    demo_file = _file(p, True)
    if not demo_file.exists():
        return
    demo_journal = Journal(demo_file)
    try:
        n = await demo_journal.read(lambda c: int(c.execute("SELECT count(*) FROM sales").fetchone()[0]))
    finally:
        await demo_journal.aclose()
    if n:
        note(_("no sales in the shop's journal; the demo journal has {sales}: add --demo").format(sales=_sales(n)))


def _export(sales: list[Sale], file: str, dialect: CsvDialect) -> int:
    try:
        n = export_csv(reversed(sales), Path(file), dialect)
    except OSError as exc:
        raise CheckoutError(_("cannot write {file}: {reason}").format(file=file, reason=exc.strerror)) from None
    note(ngettext("{n} sale written to {file}", "{n} sales written to {file}", n).format(n=n, file=file))
    return 0


def _totals(sales: list[Sale], args) -> int:
    try:
        day = date.fromisoformat(args.date) if args.date else datetime.now().astimezone().date()
    except ValueError:
        raise CheckoutError(_("--date must look like 2026-11-25, not {text}").format(text=excerpt(args.date))) from None
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
            say(_total_line(SaleStatus(status), t))
    if not totals and not args.json:
        say(_("no sales on {date}").format(date=format_date(day)))
    return 0


def _total_line(status: SaleStatus, t: Total) -> str:
    """One line of the day's totals, in the store's language: status, count, amount, received, refunded."""
    received = _("received {amount}").format(amount=f"{t.received.display():>16}")
    refunded = _("refunded {amount}").format(amount=f"{t.refunded.display():>14}")
    return f"{status.word:<18} {t.count:>5}  {t.amount.display():>16}  {received}  {refunded}"


# -- restore ---------------------------------------------------------------------------------------------
async def restore(args) -> int:
    """Without ``args.backup``: the backups, newest first. With it: that backup put in place of the journal."""
    p, demo = _where(demo_flag(args))
    path = _file(p, demo)
    if demo:
        note(_("demo mode: the demo journal"))
    if args.backup is None:
        return _list_backups(path, args.json)
    backup = _chosen(path, args.backup, demo)
    try:
        lock = TillLock(lock_file(p, demo))
    except TillBusy as exc:
        raise CannotStart(_("the journal cannot be restored now: {reason}").format(reason=exc)) from None
    try:
        replaced = restore_file(backup, path)
        restored = Journal(path)  # opens (checked, brought to this version) as the next till will
        try:
            sales = await restored.read(lambda c: int(c.execute("SELECT count(*) FROM sales").fetchone()[0]))
        finally:
            await restored.aclose()
    except BackupFailed as exc:
        raise JournalError(str(exc)) from None
    finally:
        lock.release()
    if args.json:
        emit(
            {
                "event": "restored",
                "backup": str(backup),
                "journal": str(path),
                "kept_as": str(replaced) if replaced else None,
                "sales": sales,
            }
        )
    else:
        say(
            _("the journal {journal} is now the backup {backup} ({sales})").format(
                journal=path, backup=backup.name, sales=_sales(sales)
            )
        )
        if replaced:
            say(_("the file it replaced was kept as {file}").format(file=replaced))
    return 0


def _list_backups(path: Path, as_json: bool) -> int:
    backups = list_backups(path)
    for b in backups:
        sales = b.count("sales")
        if as_json:
            emit(
                {
                    "backup": b.name,
                    "path": str(b.path),
                    "taken_at": b.taken_at.isoformat(),
                    "size": b.size,
                    "sales": sales,
                }
            )
        else:
            counted = _("unreadable") if sales is None else _sales(sales)
            say(f"{format_datetime(b.taken_at)} UTC  {_size(b):>10}  {counted:<12} {b.name}")  # as in its name
    if not backups:
        note(
            _("no backups of the journal {journal} yet (they are kept in {folder})").format(
                journal=path, folder=path.parent / "backups"
            )
        )
    return 0


def _sales(n: int) -> str:
    return ngettext("{n} sale", "{n} sales", n).format(n=format_number(n))


def _size(b: Backup) -> str:
    n = b.size
    if n < 1024:
        return ngettext("{n} byte", "{n} bytes", n).format(n=format_number(n))
    if n < 1024 * 1024:
        return _("{size} KiB").format(size=format_number(Decimal(n) / 1024, 1))
    return _("{size} MiB").format(size=format_number(Decimal(n) / 1024 / 1024, 1))


def _chosen(path: Path, name: str, demo: bool) -> Path:
    """The backup named (one of the list's names, or a file's path)."""
    for b in list_backups(path):
        if b.name == name:
            return b.path
    given = Path(name).expanduser()
    if given.is_file():
        return given
    listing = f"`tillqr journal restore{' --demo' if demo else ''}`"
    raise JournalError(
        _("there is no backup {name} of the journal {journal}; {command} lists them").format(
            name=repr(name), journal=path, command=listing
        )
    )
