"""What ``tillqr bills import`` and ``tillqr sync`` print: one JSON object with ``--json`` (TillQR's own words,
whatever the language), else a summary in the language in force, with the sync states' words."""

from __future__ import annotations

import argparse

from app.fieldwork.importer import ImportReport
from app.fieldwork.sync import SyncReport
from app.i18n import LazyWords, _, lazy_p, ngettext
from app.storage.fieldbook_rows import EntryKind, SyncState

from .cli_support import emit, note, say

STATES = LazyWords(
    {
        SyncState.NEW: lazy_p("sync state", "new"),
        SyncState.PENDING: lazy_p("sync state", "pending"),
        SyncState.SYNCED: lazy_p("sync state", "synced"),
        SyncState.CONFLICT: lazy_p("sync state", "conflict"),
    }
)

KINDS = LazyWords(
    {EntryKind.UPDATE: lazy_p("sync entry", "update"), EntryKind.REISSUE: lazy_p("sync entry", "re-issue")}
)

# the steps of an import, as its progress bars name them
STEPS = LazyWords(
    {
        "links": lazy_p("import step", "payment links"),
        "requests": lazy_p("import step", "payment requests"),
        "linking": lazy_p("import step", "linking"),
    }
)


def print_import(args: argparse.Namespace, r: ImportReport) -> None:
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
        ngettext("{n} bill in the route ({added} new)", "{n} bills in the route ({added} new)", r.bills).format(
            n=r.bills, added=r.added
        )
    )
    say(
        _(
            "at the provider: payment links created: {links}; payment requests created: {requests} (bulk calls: "
            "{bulk}); linked: {linked}; calls: {calls}"
        ).format(links=r.links_created, requests=r.requests_created, bulk=r.bulk_calls, linked=r.linked, calls=r.calls)
    )
    say(_("ready to print: {complete} of {bills} bills").format(complete=r.complete, bills=r.bills))
    for bill_id, why in r.refused:
        say("  " + _("refused: {bill}: {reason}").format(bill=bill_id, reason=why))
    if r.offline:
        note(_("the provider could not be reached: nothing is lost; run the same import again when online"))


def print_sync(args: argparse.Namespace, r: SyncReport) -> None:
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
        say(
            ngettext("dry run: {n} charge would be sent", "dry run: {n} charges would be sent", r.pending).format(
                n=r.pending
            )
        )
        for p in r.planned:
            say(f"  {p.bill_id}: {KINDS[p.kind]} {p.amount.display()}")
    else:
        say(
            _("synced: {synced}; still pending: {pending}; in conflict: {conflicts}").format(
                synced=r.synced, pending=r.pending, conflicts=len(r.conflicts)
            )
        )
    for bill_id, why in r.conflicts:
        say("  " + _("conflict: {bill}: {reason}").format(bill=bill_id, reason=why))
    if r.waiting_import:
        n = len(r.waiting_import)
        note(
            ngettext(
                "{n} bill with a reading is not at the provider yet (its import did not finish): run "
                "`tillqr bills import` with the route again, then `tillqr sync`",
                "{n} bills with a reading are not at the provider yet (their import did not finish): run "
                "`tillqr bills import` with the route again, then `tillqr sync`",
                n,
            ).format(n=n)
        )
    if r.offline:
        note(_("offline: the provider could not be reached; nothing is lost, run `tillqr sync` again when online"))
    elif r.conflicts:
        note(_("resolve each conflict with `tillqr bills resolve BILL_ID --reissue` or `--drop NOTE`"))
