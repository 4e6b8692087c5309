"""The field screen's words: a bill's row and detail, the sync states, the banner, a sync's summary.

Qt-free and pure (no I/O): ``app.screens.field_model`` composes them, the view only paints what they say.
Every state reads in words and a symbol, so colour is never the only sign.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from app.domain.tariffs import Charge, number_text
from app.fieldwork.importer import ImportProgress
from app.fieldwork.service import BillRow
from app.fieldwork.sync import SyncProgress, SyncReport
from app.storage.fieldbook import SyncState

COLUMNS = ("Bill", "Customer", "Meter", "Previous", "Reading", "Charge", "State")
NUMERIC_COLUMNS = frozenset({3, 4, 5})  # right-aligned

STATE_WORDS = {
    SyncState.NEW: "○ Not read",
    SyncState.PENDING: "◷ Pending",
    SyncState.SYNCED: "✔ Synced",
    SyncState.CONFLICT: "⚠ Conflict",
}


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
        return f"{self.title} — {self.detail}" if self.detail else self.title


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


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def number(value: Decimal | None) -> str:
    return "" if value is None else number_text(value, grouped=True)


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
        return "No reading yet."
    if row.sync_state is SyncState.PENDING:
        return "Reading recorded on this laptop; waiting to be synced."
    if row.sync_state is SyncState.SYNCED:
        return "Synced: the printed QR now asks this charge." + (f" ({row.reason})" if row.reason else "")
    return f"Conflict: {row.reason or 'the provider side changed'}. Re-issue the charge, or drop the reading."


def meter_line(row: BillRow) -> str:
    return f"Meter {row.bill.meter_id} · previous reading {number(row.bill.previous_reading)} · {row.tariff_label}"


def reading_line(row: BillRow) -> str:
    """The recorded reading, its consumption and charge ("" before a reading)."""
    if row.reading is None:
        return ""
    used = f" ({number(row.consumption)} kWh)" if row.consumption is not None else ""
    charge = f" · {row.charge.display()} if paid today" if row.charge is not None else ""
    return f"Recorded {number(row.reading)}{used}{charge}"


def charge_lines(charge: Charge) -> list[tuple[str, str]]:
    """The charge as (label, amount) lines: the tariff's printed lines, then the total."""
    lines = [(line.label, line.amount.display()) for line in charge.lines]
    return [*lines, (f"Total for {number(charge.consumption)} kWh", charge.total.display())]


def banner(connection: Connection, detail: str, counts: dict[SyncState, int], progress: SyncProgress | None) -> Banner:
    """The line over the field screen: online or offline, and how many readings wait."""
    pending = counts.get(SyncState.PENDING, 0)
    conflicts = counts.get(SyncState.CONFLICT, 0)
    waiting = plural(pending, "reading") + " waiting to sync" if pending else "nothing waiting to sync"
    extra = f"; {plural(conflicts, 'bill')} in conflict" if conflicts else ""
    if connection is Connection.SYNCING:
        done = f"{progress.done} of {progress.total}" if progress and progress.total else "starting"
        return Banner(connection, "Online — syncing", f"{done}{extra}")
    if connection is Connection.ONLINE:
        return Banner(connection, "Online", f"{waiting}{extra}")
    if connection is Connection.OFFLINE:
        kept = ": kept on this laptop until the network is back" if pending else ""
        return Banner(connection, "Offline", f"{waiting}{kept}{extra}")
    return Banner(connection, "Checking the connection…", f"{waiting}{extra}")


def sync_summary(report: SyncReport) -> str:
    """The end of a sync in one sentence: what went, what waits, what the agent must decide."""
    conflicts = len(report.conflicts)
    decide = f"; {plural(conflicts, 'bill')} in conflict (see the bill to decide)" if conflicts else ""
    if report.offline:
        return (
            f"Sync stopped: the provider could not be reached. Nothing is lost: {plural(report.pending, 'reading')} "
            f"still pending; it syncs by itself when the network is back{decide}."
        )
    still = f", {report.pending} still pending" if report.pending else ""
    return f"Sync done: {report.synced} synced{still}{decide}."


def import_words(step: ImportProgress) -> str:
    what = {"links": "payment links", "requests": "payment requests", "linking": "linking"}.get(step.step, step.step)
    return f"Loading the route: {what} {step.done} of {step.total}"
