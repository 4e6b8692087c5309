"""The arguments of ``tillqr bills …`` and ``tillqr sync`` (light: the parser is built for every command;
the commands themselves are ``bills_cli``, imported only when one of them runs)."""

from __future__ import annotations

import argparse

from app.i18n import _


def add_parsers(sub: argparse._SubParsersAction) -> None:
    bills = sub.add_parser("bills", help=_("field work: a route's utility bills and their meter readings"))
    bsub = bills.add_subparsers(dest="bills_command", required=True)
    im = bsub.add_parser("import", help=_("load a route's bills (CSV) and create them at the provider"))
    im.add_argument("file", help=_("the route CSV: bill_id,customer,address,meter_id,previous_reading,tariff[,...]"))
    pr = bsub.add_parser("print", help=_("the pre-printed bills with their QR codes, as a PDF"))
    pr.add_argument("file", help=_("the PDF to write"))
    pr.add_argument("--per-page", type=int, choices=(1, 2, 4), default=1, help=_("bills per A4 sheet (default 1)"))
    rc = bsub.add_parser("record", help=_("a meter reading taken in the field (works offline)"))
    rc.add_argument("bill_id")
    rc.add_argument("reading", help=_("the meter's reading, e.g. 12345"))
    rc.add_argument("--confirm-reset", action="store_true", help=_("the meter rolled over or was replaced"))
    rc.add_argument("--meter", help=_("the meter id read on site (checked against the bill's)"))
    ls = bsub.add_parser("list", help=_("bills with reading, charge and sync state"))
    ls.add_argument("--search", default="", help=_("find by bill, customer, address or meter"))
    rs = bsub.add_parser("resolve", help=_("resolve a bill in conflict: re-issue its charge, or drop the reading"))
    rs.add_argument("bill_id")
    how = rs.add_mutually_exclusive_group(required=True)
    how.add_argument("--reissue", action="store_true", help=_("charge the reading on a new payment request"))
    how.add_argument("--drop", metavar="NOTE", help=_("drop the reading, with a note saying why"))
    bsub.add_parser("close", help=_("close the synced route: customers' names and addresses leave this laptop"))
    for p in (im, pr, rc, ls, rs, *bsub.choices.values()):
        if not any(a.dest == "json" for a in p._actions):
            p.add_argument("--json", action="store_true", help=_("one JSON answer on stdout"))
            p.add_argument("--demo", dest="sub_demo", action="store_true", help=_("run on the sandbox"))
    sy = sub.add_parser("sync", help=_("push the recorded readings to the provider"))
    sy.add_argument("--dry-run", action="store_true", help=_("say what would be sent, send nothing"))
    sy.add_argument("--json", action="store_true", help=_("the summary as one JSON object"))
    sy.add_argument("--demo", dest="sub_demo", action="store_true", help=_("run on the sandbox"))
