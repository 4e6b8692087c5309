"""The ``tillqr`` command (see DESIGN.md, "Command-line contract").

    tillqr [--demo] [--provider P] [--field] [--kiosk] [--customer-display auto|window|off]
                                            the kiosk GUI (--field: the field agent's screen; --kiosk: full
                                            screen, frameless, the manager's PIN to leave; --customer-display:
                                            the customer's screen, whatever [display] mode says)
    tillqr sandbox [--host H] [--port P]    the simulator alone
    tillqr charge AMOUNT [...]              one sale as JSON lines
    tillqr recover [--cancel-open] [--json] finish sales left open
    tillqr journal list [--json]            the sales journal
    tillqr journal restore [BACKUP]         the journal's backups; put one back
    tillqr journal receipt|shift            a sale's receipt; the end-of-shift report (app.receipts)
    tillqr cashiers list|add|pin|rename|deactivate  the cashiers who sign in (changes: manager PIN)
    tillqr qr decode PAYLOAD | qr build S   QR payloads as JSON; payloads and stickers
    tillqr bills import|print|record|list   a field agent's route of utility bills (works offline)
    tillqr sync [--dry-run] [--json]        the recorded readings pushed to the provider
    tillqr backoffice register|status|push  this machine and the back office (register: manager PIN)
    tillqr notifications serve [--demo]     the receiver of providers' notifications alone
    tillqr backoffice serve|migrate|enrol|revoke  the back office service on PostgreSQL (its extra)
    tillqr self-test                        smoke test of the installation

Exit codes: 0 success, 1 error or usage error (reason on stderr), 2 a sale that ended unpaid,
3 the provider could not be reached (sync, bills import), 4 bills in conflict or refused.
"""

from __future__ import annotations

import argparse
import os
import sys

from app.commands import backoffice_args, backoffice_serve_args, bills_args, qr_cli
from app.commands.cli_support import (
    Parser,
    delay,
    err,
    port,
    quiet_stdout,
    seconds,
    speak_argparse,
    whole_seconds,
)
from app.i18n import _, hold_neutral, lazy_

EPILOG = lazy_("""exit codes: 0 success (charge: the sale settled); 1 an error or a usage error, the reason
on stderr; 2 (charge) the sale ended unpaid: expired, cancelled or failed. `tillqr sync` and
`tillqr bills import` also use 3 (the provider could not be reached: nothing is lost, run it again)
and 4 (some bills in conflict, or refused by the provider: listed with their reasons).""")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, its texts in the language in force (argparse's own words too)."""
    speak_argparse()
    parser = Parser(
        prog="tillqr",
        description=_("TillQR: a point-of-sale kiosk for QR payments."),
        epilog=str(EPILOG),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--demo", action="store_true", help=_("run on the embedded sandbox, whatever is configured"))
    parser.add_argument(
        "--provider", help=_("in demo mode: which sandbox provider to use (default: the first TillQR lists)")
    )
    parser.add_argument(
        "--field", action="store_true", help=_("open the GUI on the field agent's screen (meter readings)")
    )
    parser.add_argument(
        "--kiosk",
        action="store_true",
        help=_("full screen and frameless, nothing a customer can close; the manager's PIN to leave or quit"),
    )
    parser.add_argument(
        "--customer-display",
        choices=("auto", "window", "off"),
        help=_(
            "the customer's screen: auto (on a second screen when there is one), window (always), off; "
            "default: [display] mode in the settings"
        ),
    )
    parser.add_argument("--verbose", action="store_true", help=str(VERBOSE_HELP))
    sub = parser.add_subparsers(dest="command")

    sb = sub.add_parser("sandbox", help=_("run the provider simulator until interrupted"))
    sb.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default 127.0.0.1)"))
    sb.add_argument("--port", type=port, default=8765, help=_("port to listen on (default 8765; 0 picks a free one)"))

    ch = sub.add_parser("charge", help=_("one sale without the GUI; prints JSON lines"))
    ch.add_argument("amount", help=_('amount in major units, e.g. "12.50"'))
    ch.add_argument("--currency", help=_("ISO 4217 code (default: the store's)"))
    ch.add_argument("--ref", default="", help=_("a reference printed with the sale"))
    ch.add_argument(
        "--cashier", metavar="NAME", help=_("the active cashier the sale is recorded for (no PIN: the name is a label)")
    )
    ch.add_argument("--provider", dest="sub_provider", help=_("in demo mode: which sandbox provider"))
    ch.add_argument(
        "--wait", type=seconds, help=_("seconds to wait for payment before cancelling (default: until expiry)")
    )
    ch.add_argument("--demo", dest="sub_demo", action="store_true", help=_("run on the sandbox"))
    ch.add_argument(
        "--expires-in",
        type=whole_seconds,
        help=_("seconds the request stays payable, 1 to 86400 (default: configured)"),
    )
    ch.add_argument(
        "--pay-after",
        type=delay,
        help=_("demo only: the sandbox's customer pays the static link after this many seconds"),
    )
    due = ch.add_argument_group(_("charge with a due date (providers that have them, e.g. pix)"))
    due.add_argument("--due", metavar="YYYY-MM-DD", help=_("the due date; fines and interest count after it"))
    due.add_argument("--max-days", type=int, default=30, help=_("days after the due date it can still be paid"))
    due.add_argument("--fine", default="0", help=_("fine once paid late (amount)"))
    due.add_argument("--interest", default="0", help=_("interest per day late (amount)"))
    due.add_argument("--rebate", default="0", help=_("rebate always granted (amount)"))
    due.add_argument(
        "--discount",
        action="append",
        default=[],
        metavar="AMOUNT@YYYY-MM-DD",
        help=_("discount for paying on or before a date (repeatable)"),
    )

    rc = sub.add_parser("recover", help=_("reconcile every sale the journal has not closed"))
    rc.add_argument("--cancel-open", action="store_true", help=_("cancel and unlink requests still open"))
    rc.add_argument("--json", action="store_true")
    rc.add_argument("--demo", dest="sub_demo", action="store_true")

    jr = sub.add_parser("journal", help=_("the sales journal"))
    jsub = jr.add_subparsers(dest="journal_command", required=True)
    jl = jsub.add_parser("list", help=_("sales with status, amounts, ids and times"))
    jl.add_argument("--json", action="store_true")
    jl.add_argument("--demo", dest="sub_demo", action="store_true")
    je = jsub.add_parser("export", help=_("the sales journal as CSV, for reconciliation"))
    je.add_argument("file", help=_("the CSV file to write"))
    je.add_argument(
        "--dialect",
        choices=["neutral", "locale"],
        default="neutral",
        help=_(
            "neutral (default): ',' and 12.50, for programs; locale: the store's language's spreadsheet form "
            "(pt_BR, es: ';' and 12,50)"
        ),
    )
    je.add_argument("--demo", dest="sub_demo", action="store_true")
    jt = jsub.add_parser("totals", help=_("end-of-day totals by status"))
    jt.add_argument("--date", help=_("the day (YYYY-MM-DD, local time; default today)"))
    jt.add_argument("--json", action="store_true")
    jt.add_argument("--demo", dest="sub_demo", action="store_true")
    jf = jsub.add_parser(
        "refund",
        help=_(
            "refund a paid sale, fully or in part (providers that can); manager PIN asked, or in TILLQR_MANAGER_PIN"
        ),
    )
    jf.add_argument("sale_id")
    jf.add_argument("amount", nargs="?", help=_("amount to refund (default: all that is refundable)"))
    jf.add_argument(
        "--close",
        metavar="REFUND_ID",
        help=_("close a refund left pending (e.g. REJECTED by Depay) after checking with the provider"),
    )
    jf.add_argument("--note", help=_("with --close: what the provider said (kept in the journal)"))
    jf.add_argument("--json", action="store_true")
    jf.add_argument("--demo", dest="sub_demo", action="store_true")
    jf.add_argument("--provider", dest="sub_provider", help=_("in demo mode: which sandbox provider"))
    jb = jsub.add_parser(
        "restore",
        help=_("list the journal's backups, or put one back (the current file is kept aside)"),
        description=_(
            "Without BACKUP: the journal's backups, newest first. With BACKUP (a name from that list, "
            "or a file): the current journal is kept aside as journal.sqlite3.replaced-<UTC time> and the backup "
            "is put in its place. Refused while a till is running on this journal."
        ),
    )
    jb.add_argument("backup", nargs="?", help=_("the backup to put back (its name, or a path)"))
    jb.add_argument("--json", action="store_true")
    jb.add_argument("--demo", dest="sub_demo", action="store_true")
    _receipt_parsers(jsub)

    nt = sub.add_parser("notifications", help=_("the receiver of providers' notifications (webhooks)"))
    nsub = nt.add_subparsers(dest="notifications_command", required=True)
    ns = nsub.add_parser("serve", help=_("run the receiver alone until interrupted: POST /notifications/<provider>"))
    ns.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default 127.0.0.1)"))
    ns.add_argument("--port", type=port, default=8766, help=_("port to listen on (default 8766; 0 picks a free one)"))
    ns.add_argument(
        "--demo", dest="sub_demo", action="store_true", help=_("the sandbox's demo webhook secret; no keyring needed")
    )

    _cashier_parsers(sub)
    qr_cli.add_parser(sub)
    bills_args.add_parsers(sub)
    backoffice_serve_args.add_service_parsers(backoffice_args.add_parsers(sub))  # this machine's, then the service's
    sub.add_parser("self-test", help=_("check imports, Qt, SQLite, keyring, QR round trip"))
    _verbose_beside_demo(parser)
    return parser


def _receipt_parsers(jsub: argparse._SubParsersAction) -> None:
    """``journal receipt`` and ``journal shift`` (app/commands/receipt_cli.py)."""
    rp = jsub.add_parser("receipt", help=_("a sale's receipt: as text, as PDF, or printed (not a fiscal document)"))
    rp.add_argument("sale_id", help=_("the sale's id (or the short id a receipt shows)"))
    rp.add_argument("--pdf", metavar="FILE", help=_("write the receipt as a PDF file"))
    rp.add_argument("--print", action="store_true", help=_("print it where [printer] in config.toml says"))
    rp.add_argument("--demo", dest="sub_demo", action="store_true")
    sh = jsub.add_parser(
        "shift",
        help=_("the end-of-shift report: counts and totals by provider and status, refunds, open sales"),
        description=_(
            "A shift runs from when the last report was closed (--close) to now; before any was "
            "closed, from midnight today."
        ),
    )
    sh.add_argument("--csv", metavar="FILE", help=_("write the report as CSV"))
    sh.add_argument("--pdf", metavar="FILE", help=_("write the report as a PDF file"))
    sh.add_argument("--print", action="store_true", help=_("print it where [printer] in config.toml says"))
    sh.add_argument("--close", action="store_true", help=_("close the report: the next shift starts now (manager PIN)"))
    sh.add_argument("--cashier", metavar="NAME", help=_("only this cashier's sales, refunds and open sales"))
    sh.add_argument("--demo", dest="sub_demo", action="store_true")


CASHIER_PIN_ENV = "TILLQR_CASHIER_PIN"  # app/commands/cashiers_cli.py reads it


def _cashier_parsers(sub: argparse._SubParsersAction) -> None:
    """``cashiers list|add|pin|rename|deactivate`` (app/commands/cashiers_cli.py)."""
    cs = sub.add_parser("cashiers", help=_("the cashiers who sign in at the counter (changes: manager PIN)"))
    csub = cs.add_subparsers(dest="cashiers_command", required=True)
    ls = csub.add_parser("list", help=_("the cashiers, active ones first"))
    ls.add_argument("--json", action="store_true", help=_('one object a line: {"id", "name", "active", "created_at"}'))
    ad = csub.add_parser(
        "add",
        help=_("a new cashier; their PIN (4 to 6 digits) is typed twice, or given in {variable}").format(
            variable=CASHIER_PIN_ENV
        ),
    )
    ad.add_argument("name")
    pn = csub.add_parser(
        "pin", help=_("a new PIN for a cashier, typed twice, or given in {variable}").format(variable=CASHIER_PIN_ENV)
    )
    pn.add_argument("name")
    rn = csub.add_parser("rename", help=_("a cashier's new name (their earlier sales keep the old one)"))
    rn.add_argument("name")
    rn.add_argument("new_name")
    dv = csub.add_parser("deactivate", help=_("take a cashier off the sign-in list (their sales keep their name)"))
    dv.add_argument("name")
    for p in (ls, ad, pn, rn, dv):
        p.add_argument("--demo", dest="sub_demo", action="store_true", help=_("the demo journal's cashiers"))


VERBOSE_HELP = lazy_("echo the log on stderr (otherwise it goes only to its file)")


def _verbose_beside_demo(parser: argparse.ArgumentParser) -> None:
    """``--verbose`` on every subcommand that takes ``--demo`` (DESIGN.md: every command takes both)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                if any(a.dest == "sub_demo" for a in child._actions):
                    child.add_argument("--verbose", dest="sub_verbose", action="store_true", help=str(VERBOSE_HELP))
                _verbose_beside_demo(child)


def main(argv: list[str] | None = None) -> int:
    """The exit status of one ``tillqr`` command; a reader closing stdout early stops it quietly."""
    try:
        try:
            status = _main(argv)
        except SystemExit as done:  # argparse's --help and usage errors: their text is still buffered
            status = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
            if done.code is not None and not isinstance(done.code, int):
                print(done.code, file=sys.stderr)
        sys.stdout.flush()
        return status
    except BrokenPipeError:  # `tillqr journal list | head -1`: the reader has what it wanted
        quiet_stdout()
        return 0
    except Exception as exc:  # noqa: BLE001 - the last resort: one line for the user, the traceback to the log
        return _unexpected(exc)


def _unexpected(exc: Exception) -> int:
    """A failure no command expected: said in one line on stderr, the traceback kept in the log file."""
    import logging  # lazy: only on this path

    try:
        from app.config.logs import setup_logging  # lazy: as above
        from app.config.paths import paths  # lazy: as above

        if not logging.getLogger().handlers:  # a command that logs nothing (qr): the log file now
            setup_logging(paths().ensure(), verbose=False)
        logging.getLogger("tillqr").error("unexpected failure", exc_info=exc)
        log = paths().log_dir / "tillqr.log"
    except Exception:  # noqa: BLE001 - the folders themselves may be what failed: say it without them
        log = None
    if log is None:
        err(_("an unexpected failure stopped this command ({reason})").format(reason=_first_line(exc)))
    else:
        err(
            _("an unexpected failure stopped this command ({reason}); the details are in {file}").format(
                reason=_first_line(exc), file=log
            )
        )
    return 1


def _first_line(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def _for_programs(args: argparse.Namespace) -> bool:
    """Whether the command's stdout is JSON: ``--json``, ``charge``'s JSON lines, ``qr decode``."""
    if args.command == "qr":
        return args.qr_command == "decode"
    return args.command == "charge" or bool(getattr(args, "json", False))


def _main(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:2] == ["qr", "decode"] and len(argv) == 3 and argv[2].startswith("-") and argv[2] not in ("-h", "--help"):
        argv.insert(2, "--")  # a payload is data, even one that starts like an option: decode it, say why it is bad
    args = build_parser().parse_args(argv)
    cmd = args.command
    if _for_programs(args):
        hold_neutral()  # its stdout is JSON: the same words and formats whatever the language (DESIGN.md)
    if cmd == "qr":
        return qr_cli.dispatch(args)
    if cmd not in ("sandbox", "self-test"):
        from app.config.logs import setup_logging  # lazy: each command loads what it needs, no more
        from app.config.paths import paths  # lazy: as above

        try:
            setup_logging(paths().ensure(), verbose=args.verbose or getattr(args, "sub_verbose", False))
        except OSError as exc:
            where = os.environ.get("TILLQR_HOME")
            reason = str(exc.strerror or exc) + (f": {exc.filename}" if exc.filename else "")
            if where:
                err(
                    _("cannot use the TillQR home {folder} (TILLQR_HOME): {reason}").format(folder=where, reason=reason)
                )
            else:
                err(_("cannot use TillQR's folders: {reason}").format(reason=reason))
            return 1
    try:
        if cmd is None:
            # The GUI's Qt-free layers first: once PySide6 is imported, its import hook reads the source of
            # every module imported after it (about a third of the counter's import time).
            from app import runtime  # noqa: F401 - lazy: imported before Qt, see above
            from app.config.settings import DisplayMode  # lazy: as above
            from app.screens import counter_model, settings_model  # noqa: F401 - lazy: as above
            from app.ui.app import run_gui  # lazy: Qt only for the GUI

            shown = DisplayMode(args.customer_display) if args.customer_display else None
            return run_gui(
                demo=True if args.demo else None,
                provider=args.provider,
                field=args.field,
                kiosk=args.kiosk,
                display=shown,
            )
        if cmd == "sandbox":
            from app.providers.registry import sandbox_modules  # lazy: the registry only for `tillqr sandbox`
            from app.sandbox.server import run  # lazy: the simulator and its web stack only for `tillqr sandbox`

            return run(host=args.host, port=args.port, modules=sandbox_modules())
        if cmd == "self-test":
            from app.commands.selftest import self_test  # lazy: each command loads what it needs

            return self_test()
        if cmd == "notifications":
            from app.config.paths import paths  # lazy: as above
            from app.notifications.serve import run as serve_notifications  # lazy: the receiver's web stack

            demo = bool(args.demo or args.sub_demo)
            return serve_notifications(args.host, args.port, demo=demo, data_dir=paths().data_dir)
        if cmd == "cashiers":
            from app.commands import cashiers_cli  # lazy: each command loads what it needs

            return cashiers_cli.dispatch(args)
        if cmd == "backoffice" and args.backoffice_command in backoffice_serve_args.SERVICE_COMMANDS:
            from app.commands import backoffice_serve_cli  # lazy: the service's commands (and its extra)

            return backoffice_serve_cli.dispatch(args)
        if cmd == "backoffice":
            from app.commands import backoffice_cli  # lazy: each command loads what it needs

            return backoffice_cli.dispatch(args)
        if cmd in ("bills", "sync"):
            from app.commands import bills_cli as field_cli  # lazy: each command loads what it needs

            return field_cli.dispatch(args)
        from app.commands import checkout_cli  # lazy: each command loads what it needs

        return checkout_cli.dispatch(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
