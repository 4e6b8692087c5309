"""The field screen's words: a bill's row and detail, the sync states, the banner, a sync's summary.

Qt-free and pure (no I/O): ``app.screens.field_model`` composes them, the view only paints what they say.
Every state reads in words and a symbol, so colour is never the only sign.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from app.domain.tariffs import Charge, shown_number
from app.fieldwork.importer import ImportProgress
from app.fieldwork.service import BillRow
from app.fieldwork.sync import SyncProgress, SyncReport
from app.i18n import LazyWords, _, lazy_p, ngettext, pgettext
from app.storage.fieldbook import SyncState

# the table's headings (lazy: a language switch shows at once)
COLUMNS = (
    lazy_p("bill column", "Bill"),
    lazy_p("bill column", "Customer"),
    lazy_p("bill column", "Meter"),
    lazy_p("bill column", "Previous"),
    lazy_p("bill column", "Reading"),
    lazy_p("bill column", "Charge"),
    lazy_p("bill column", "State"),
)
CUSTOMER_COLUMN = 1  # the one that stretches
NUMERIC_COLUMNS = frozenset({3, 4, 5})  # right-aligned

STATE_WORDS = LazyWords(
    {
        SyncState.NEW: lazy_p("bill state", "○ Not read"),
        SyncState.PENDING: lazy_p("bill state", "◷ Pending"),
        SyncState.SYNCED: lazy_p("bill state", "✔ Synced"),
        SyncState.CONFLICT: lazy_p("bill state", "⚠ Conflict"),
    }
)


class Connection(enum.Enum):
    """What the banner knows of the network: only what a probe or a sync said, never a guess."""

    UNKNOWN = "unknown"  # no probe has answered yet
    ONLINE = "online"
    OFFLINE = "offline"
    SYNCING = "syncing"


@dataclass(frozen=True)
class Banner:
    connection: Connection
    title: str  # "Offline"
    detail: str  # "12 readings waiting to sync: kept on this laptop until the network is back"

    def text(self) -> str:
        return _("{state} — {detail}").format(state=self.title, detail=self.detail) if self.detail else self.title


@dataclass(frozen=True)
class Preview:
    """What the typed reading gives: its charge, or what is wrong with it (and whether the agent may confirm
    it as right: a meter that rolled over or was replaced, a jump that is real)."""

    charge: Charge | None = None
    problem: str = ""
    confirmable: bool = False

    @property
    def ok(self) -> bool:
        return self.charge is not None


def number(value: Decimal | None) -> str:
    """A reading or a consumption as the store's locale writes it ("1.350,5" in pt_BR)."""
    return "" if value is None else shown_number(value)


def cells(row: BillRow) -> tuple[str, ...]:
    """One table row, in ``COLUMNS`` order."""
    return (
        row.bill.bill_id,
        row.bill.customer,
        row.bill.meter_id,
        number(row.bill.previous_reading),
        number(row.reading),
        row.charge.display() if row.charge is not None else "",
        STATE_WORDS[row.sync_state],
    )


def state_line(row: BillRow) -> str:
    """The bill's sync state in a sentence, with the reason when there is one."""
    if row.sync_state is SyncState.NEW:
        return _("No reading yet.")
    if row.sync_state is SyncState.PENDING:
        return _("Reading recorded on this laptop; waiting to be synced.")
    if row.sync_state is SyncState.SYNCED:
        if row.reason:
            return _("Synced: the printed QR now asks this charge ({reason}).").format(reason=row.reason)
        return _("Synced: the printed QR now asks this charge.")
    return _("Conflict: {reason}. Re-issue the charge, or drop the reading.").format(
        reason=row.reason or _("the provider side changed")
    )


def meter_line(row: BillRow) -> str:
    return _("Meter {meter} · previous reading {previous} · {tariff}").format(
        meter=row.bill.meter_id, previous=number(row.bill.previous_reading), tariff=row.tariff_label
    )


def reading_line(row: BillRow) -> str:
    """The recorded reading, its consumption and charge ("" before a reading)."""
    if row.reading is None:
        return ""
    reading = number(row.reading)
    if row.consumption is None:
        return _("Recorded {reading}").format(reading=reading)
    if row.charge is None:
        return _("Recorded {reading} ({kwh} kWh)").format(reading=reading, kwh=number(row.consumption))
    return _("Recorded {reading} ({kwh} kWh) · {charge} if paid today").format(
        reading=reading, kwh=number(row.consumption), charge=row.charge.display()
    )


def charge_lines(charge: Charge) -> list[tuple[str, str]]:
    """The charge as (label, amount) lines: the tariff's printed lines, then the total."""
    lines = [(line.label, line.amount.display()) for line in charge.lines]
    total = _("Total for {kwh} kWh").format(kwh=number(charge.consumption))
    return [*lines, (total, charge.total.display())]


def _waiting(pending: int) -> str:
    if not pending:
        return _("nothing waiting to sync")
    return ngettext("{n} reading waiting to sync", "{n} readings waiting to sync", pending).format(n=pending)


def _with_conflicts(text: str, conflicts: int) -> str:
    if not conflicts:
        return text
    return ngettext("{text}; {n} bill in conflict", "{text}; {n} bills in conflict", conflicts).format(
        text=text, n=conflicts
    )


def banner(connection: Connection, detail: str, counts: dict[SyncState, int], progress: SyncProgress | None) -> Banner:
    """The line over the field screen: online or offline, and how many readings wait."""
    pending = counts.get(SyncState.PENDING, 0)
    conflicts = counts.get(SyncState.CONFLICT, 0)
    if connection is Connection.SYNCING:
        if progress and progress.total:
            done = _("{done} of {total}").format(done=progress.done, total=progress.total)
        else:
            done = _("starting")
        return Banner(connection, _("Online — syncing"), _with_conflicts(done, conflicts))
    if connection is Connection.ONLINE:
        return Banner(connection, pgettext("network", "Online"), _with_conflicts(_waiting(pending), conflicts))
    if connection is Connection.OFFLINE:
        waiting = _waiting(pending)
        if pending:
            waiting = _("{waiting}: kept on this laptop until the network is back").format(waiting=waiting)
        return Banner(connection, pgettext("network", "Offline"), _with_conflicts(waiting, conflicts))
    return Banner(connection, _("Checking the connection…"), _with_conflicts(_waiting(pending), conflicts))


def sync_summary(report: SyncReport) -> str:
    """The end of a sync in words: what went, what waits, what the agent must decide."""
    if report.offline:
        said = ngettext(
            "Sync stopped: the provider could not be reached. Nothing is lost: {n} reading still pending; "
            "it syncs by itself when the network is back.",
            "Sync stopped: the provider could not be reached. Nothing is lost: {n} readings still pending; "
            "they sync by themselves when the network is back.",
            report.pending,
        ).format(n=report.pending)
    elif report.pending:
        said = _("Sync done: {synced} synced, {pending} still pending.").format(
            synced=report.synced, pending=report.pending
        )
    else:
        said = _("Sync done: {synced} synced.").format(synced=report.synced)
    conflicts = len(report.conflicts)
    if not conflicts:
        return said
    decide = ngettext(
        "{n} bill in conflict: see the bill to decide.", "{n} bills in conflict: see the bill to decide.", conflicts
    ).format(n=conflicts)
    return f"{said} {decide}"


IMPORT_STEPS = LazyWords(
    {
        "links": lazy_p("import step", "payment links"),
        "requests": lazy_p("import step", "payment requests"),
        "linking": lazy_p("import step", "linking"),
    }
)


def import_words(step: ImportProgress) -> str:
    what = IMPORT_STEPS.get(step.step, step.step)
    return _("Loading the route: {step} {done} of {total}").format(step=what, done=step.done, total=step.total)


def demo_loaded(bills: int) -> str:
    return ngettext("Demo route loaded: {n} bill to read.", "Demo route loaded: {n} bills to read.", bills).format(
        n=bills
    )


def summary(loaded: bool, shown: int, total: int, counts: dict[SyncState, int], searching: bool) -> str:
    """Beside the search: how many bills are shown and how many are still to read."""
    if not loaded:
        return _("Reading the field book…")
    if total == 0:
        return _("No route on this laptop yet.")
    unread = counts.get(SyncState.NEW, 0)
    if searching:
        found = ngettext("{shown} of {total} bill", "{shown} of {total} bills", total).format(shown=shown, total=total)
    else:
        found = ngettext("{total} bill", "{total} bills", total).format(total=total)
    return _("{bills} · {unread} to read").format(bills=found, unread=unread)


def problem_words(preview: Preview) -> str:
    """Why the typed reading is not taken, and how to confirm it when the agent may."""
    if preview.confirmable:
        return _("{problem} Look again; if it is right, tick the confirmation (Ctrl+R).").format(
            problem=preview.problem
        )
    return preview.problem


def recorded_words(bill_id: str, row: BillRow) -> str:
    """What Enter did: the reading written on this laptop, and its charge."""
    reading = number(row.reading)
    if row.base_charge is None:
        return _("Bill {bill}: reading {reading} recorded.").format(bill=bill_id, reading=reading)
    return _("Bill {bill}: reading {reading} recorded: {charge}.").format(
        bill=bill_id, reading=reading, charge=row.base_charge.display()
    )
