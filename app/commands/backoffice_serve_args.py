"""The arguments of the back office service's commands: ``tillqr backoffice serve|migrate|enrol|revoke|manager|
reconcile|close-day`` (light: the parser is built for every command; they run in ``backoffice_serve_cli``, imported only
when one runs)."""

from __future__ import annotations

import argparse

from app.commands.cli_support import port
from app.i18n import _

SERVICE_COMMANDS = frozenset({"serve", "migrate", "enrol", "revoke", "manager", "reconcile", "close-day"})
PASSWORD_ENV = "TILLQR_BACKOFFICE_PASSWORD"
DEFAULT_PORT = 8780


def add_service_parsers(bsub: argparse._SubParsersAction) -> None:
    """Adds the service's commands to ``tillqr backoffice``'s subcommands."""
    dsn_help = _("the PostgreSQL database, e.g. postgresql://user@host/db (default: $TILLQR_BACKOFFICE_DSN)")
    sv = bsub.add_parser("serve", help=_("run the back office service (ingest API) until interrupted"))
    sv.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default 127.0.0.1)"))
    sv.add_argument(
        "--port",
        type=port,
        default=DEFAULT_PORT,
        help=_("port to listen on (default {port}; 0 picks a free one)").format(port=DEFAULT_PORT),
    )
    sv.add_argument(
        "--reconcile",
        action="store_true",
        help=_("give the /reconcile page a Run now button, with this machine's provider (the sandbox's in demo mode)"),
    )
    sv.add_argument(
        "--demo",
        action="store_true",
        help=_("check the providers' webhooks with the demo sandbox's secret, not the keyring's"),
    )
    mg = bsub.add_parser("migrate", help=_("bring the back office's database schema up to date"))
    en = bsub.add_parser("enrol", help=_("make a one-time code a till or laptop registers with"))
    en.add_argument("--name", default="", help=_("the device's name, as people will see it"))
    en.add_argument("--store", default="", help=_("the store (or route) the device belongs to"))
    en.add_argument("--kind", choices=("till", "laptop"), default="till", help=_("a till (default) or a laptop"))
    rv = bsub.add_parser("revoke", help=_("revoke a device: refused from now on; a laptop deletes its customers' data"))
    rv.add_argument("device", help=_("the device's id"))
    mn = bsub.add_parser("manager", help=_("the managers who log in to the back office's pages"))
    msub = mn.add_subparsers(dest="manager_command", required=True)
    ma = msub.add_parser(
        "add",
        help=_("add a manager (the password is asked, or read from ${env})").format(env=PASSWORD_ENV),
    )
    ma.add_argument("name", help=_("the manager's name, typed to log in"))
    ma.add_argument("--replace", action="store_true", help=_("set a new password for a manager who exists"))
    rc = bsub.add_parser(
        "reconcile",
        help=_("compare the provider's paid requests of a day with the sales the devices reported"),
    )
    rc.add_argument("--day", help=_("the business day (YYYY-MM-DD, this machine's time; default today)"))
    rc.add_argument(
        "--demo", dest="sub_demo", action="store_true", help=_("the embedded sandbox's provider, whatever is set up")
    )
    rc.add_argument("--dsn", help=dsn_help)  # its --verbose comes with its --demo (app.__main__)
    cd = bsub.add_parser(
        "close-day",
        help=_("close a store's business day: its records that arrive later are filed under it, marked late"),
    )
    cd.add_argument("store", help=_("the store, as its devices were enrolled"))
    cd.add_argument("--day", help=_("the business day (YYYY-MM-DD; default today)"))
    for p in (sv, mg, en, rv, ma, cd):
        p.add_argument("--dsn", help=dsn_help)
        p.add_argument(
            "--verbose",
            dest="sub_verbose",
            action="store_true",
            help=_("echo the log on stderr (otherwise it goes only to its file)"),
        )
    for p in (mg, en, rv, ma, rc, cd):
        p.add_argument("--json", action="store_true", help=_("one JSON answer on stdout"))
