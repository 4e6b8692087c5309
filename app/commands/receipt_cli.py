"""``tillqr journal receipt SALE_ID [--pdf FILE] [--print]`` and ``tillqr journal shift [--csv FILE] [--close]
[--print]``: a sale's receipt and the end-of-shift report from a terminal (app.receipts).

Without an output option both print their text on stdout (the receipt at the configured paper width, the
report at 48 characters). ``--print`` sends it where ``[printer]`` says (a demo with no printer: a PDF in the
data folder's receipts/); ``--pdf FILE`` writes a PDF. ``shift --close`` closes the report (the next shift
starts now), behind the manager PIN as refunds are; ``shift --cashier NAME`` is one cashier's report (their sales,
refunds and open sales). The PDF and system printers are painted by Qt
(app/ui/receipt_render.py, imported only then).
"""

from __future__ import annotations

from pathlib import Path

from app.checkout.controller import CheckoutError
from app.config.settings import Settings, SettingsError
from app.i18n import _, ngettext
from app.receipts.desk import PrintFailed, ReceiptDesk
from app.receipts.printer import CHARS_PER_LINE
from app.receipts.shift import close_shift, load_report, report_lines, start_words, write_csv
from app.runtime import load_settings
from app.storage.cashiers import Cashiers
from app.ui.receipt_painter import LazyQtPainter

from .cli_support import demo_flag, note, say
from .journal_cli import journal_of
from .manager_pin import require_pin


def _settings() -> Settings:
    """The store's settings for the receipt's header and the printer; the defaults when there are none (or
    they cannot be read: the journal command already said so)."""
    try:
        return load_settings()[1] or Settings()
    except SettingsError:
        return Settings()


async def run(args) -> int:
    """``journal receipt`` or ``journal shift``; exit 0, or 1 with the reason on stderr."""
    journal, demo = await journal_of(args, demo_flag=demo_flag(args), lenient=True)
    if demo:
        note(_("demo mode: the demo journal"))
    settings = _settings()
    data_dir = journal.path.parent
    desk = ReceiptDesk.for_settings(settings, journal, LazyQtPainter(), data_dir, demo=demo)
    try:
        if args.journal_command == "receipt":
            return await _receipt(args, desk)
        return await _shift(args, desk, demo)
    except PrintFailed as exc:
        raise CheckoutError(str(exc)) from None
    finally:
        await journal.aclose()


async def _receipt(args, desk: ReceiptDesk) -> int:
    if args.pdf or args.print:
        pdf = Path(args.pdf) if args.pdf else None
        note(await desk.print_sale(args.sale_id, pdf=pdf))
        return 0
    for line in desk.lines(await desk.receipt(args.sale_id)):
        say(line)
    return 0


async def _shift(args, desk: ReceiptDesk, demo: bool) -> int:
    if args.close and args.cashier:
        raise CheckoutError(_("--close ends the shift of every cashier: run it without --cashier"))
    report = await load_report(desk.journal, cashier=args.cashier or "")
    if args.cashier and not (report.sales or report.refunds or report.open_sales):
        await _known_cashier(desk, args.cashier)  # a mistyped name is said, not shown as an empty shift
    width = desk.printer.chars if (args.print or args.pdf) else CHARS_PER_LINE[80]
    lines = report_lines(report, desk.store_name, width)
    if args.csv:
        try:
            n = write_csv(report, Path(args.csv))
        except OSError as exc:
            raise CheckoutError(_("cannot write {file}: {reason}").format(file=args.csv, reason=exc.strerror)) from None
        note(ngettext("{n} row written to {file}", "{n} rows written to {file}", n).format(n=n, file=args.csv))
    if args.print or args.pdf:
        name = f"shift-{report.until.astimezone():%Y%m%d-%H%M}"
        pdf = Path(args.pdf) if args.pdf else None
        note(await desk.print_lines(lines, name, pdf=pdf, what=_("Shift report")))
    elif not args.csv:
        for line in lines:
            say(line)
    if args.close:
        require_pin(demo=demo, demo_asked=bool(demo_flag(args)), doing=_("closing the shift refused"))
        await close_shift(desk.journal, report)
        note(_("shift closed (it ran {since}); the next one starts now").format(since=start_words(report)))
    return 0


async def _known_cashier(desk: ReceiptDesk, name: str) -> None:
    """CheckoutError when no cashier, active or not, is called ``name`` (any case)."""
    wanted = " ".join(name.split()).casefold()
    if not any(c.name.casefold() == wanted for c in await Cashiers(desk.journal).roster(everyone=True)):
        raise CheckoutError(
            _("there is no cashier called {name}; `tillqr cashiers list` names them").format(
                name=repr(" ".join(name.split()))
            )
        )
