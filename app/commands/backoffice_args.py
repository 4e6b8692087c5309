"""The arguments of ``tillqr backoffice register|status|push``: this machine's side of the back office (light: the
parser is built for every command; the commands themselves are ``backoffice_cli``, imported only when one runs)."""

from __future__ import annotations

import argparse

from app.i18n import _

CODE_ENV = "TILLQR_ENROLMENT_CODE"


def add_parsers(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """``backoffice`` and its machine-side commands; returns its subcommands (the service's are added there too)."""
    bo = sub.add_parser("backoffice", help=_("the back office: register this machine, its status, push its records"))
    bsub = bo.add_subparsers(dest="backoffice_command", required=True)
    rg = bsub.add_parser(
        "register",
        help=_("register this till or laptop with a back office (manager PIN; the device token goes to the keyring)"),
    )
    rg.add_argument("url", help=_("the back office's address, https://… (plain http only to this machine)"))
    rg.add_argument(
        "--code",
        help=_("the one-time enrolment code the back office printed (default: asked, or {variable})").format(
            variable=CODE_ENV
        ),
    )
    rg.add_argument("--name", default="", help=_("how the back office lists this machine (default: its host name)"))
    rg.add_argument("--kind", choices=("till", "laptop"), default="till", help=_("a till, or a field laptop"))
    st = bsub.add_parser("status", help=_("the back office's state: connected, records waiting, last push"))
    ps = bsub.add_parser("push", help=_("send what the outbox holds now, and say what happened"))
    for p in (rg, st, ps):
        p.add_argument("--json", action="store_true")
        p.add_argument("--demo", dest="sub_demo", action="store_true", help=_("the demo journal's device"))
    return bsub
