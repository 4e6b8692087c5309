"""The field book's schema and records: its migrations, the states of a bill and of an outbox entry, and the
rows read back as typed values (``StoredBill``, ``OutboxEntry``); the provider's answers to write (``Applied``).
The book itself (every read and write) is ``app.storage.fieldbook``; ``FieldbookError`` is its refusal."""

from __future__ import annotations

import enum
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from app.domain.bills import Bill
from app.domain.money import Money
from app.replication.wire import RecordKind

from .replica import MIGRATION as REPLICA_TABLE
from .replica import append
from .sqlite import DatabaseError


class FieldbookError(DatabaseError):
    """The field book cannot be opened or refuses a change; the message says why."""


MIGRATIONS: list[str] = [
    # 0 -> 1
    """
    CREATE TABLE routes (
        route_id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        closed_at TEXT
    );
    CREATE TABLE bills (
        bill_id TEXT PRIMARY KEY,
        route_id TEXT NOT NULL REFERENCES routes (route_id),
        position INTEGER NOT NULL,
        customer TEXT,
        address TEXT,
        meter_id TEXT NOT NULL,
        previous_reading TEXT NOT NULL,
        tariff TEXT NOT NULL,
        currency TEXT NOT NULL,
        due_date TEXT,
        link_key TEXT NOT NULL,
        payment_link_id TEXT,
        payload TEXT,
        request_id TEXT NOT NULL,
        request_key TEXT NOT NULL,
        request_created INTEGER NOT NULL DEFAULT 0,
        link_call_key TEXT NOT NULL,
        linked INTEGER NOT NULL DEFAULT 0,
        revision INTEGER,
        amount_minor INTEGER,
        sync_state TEXT NOT NULL DEFAULT 'new',
        reason TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL
    );
    CREATE INDEX bills_route ON bills (route_id, position);
    CREATE TABLE readings (
        reading_id TEXT PRIMARY KEY,
        bill_id TEXT NOT NULL REFERENCES bills (bill_id),
        value TEXT NOT NULL,
        consumption TEXT NOT NULL,
        charge_minor INTEGER NOT NULL,
        reset INTEGER NOT NULL DEFAULT 0,
        recorded_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'active',
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX readings_bill ON readings (bill_id, recorded_at);
    CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        entry_id TEXT NOT NULL UNIQUE,
        bill_id TEXT NOT NULL REFERENCES bills (bill_id),
        reading_id TEXT NOT NULL REFERENCES readings (reading_id),
        kind TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        request_id TEXT NOT NULL,
        amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
        due_date TEXT,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        reason TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX outbox_pending ON outbox (state, seq);
    CREATE INDEX outbox_bill ON outbox (bill_id, state);
    CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 1 -> 2: the replication outbox to the back office (app.storage.replica), appended to in the same transaction
    # as each reading and each bill's sync state
    REPLICA_TABLE,
]


class SyncState(str, enum.Enum):
    """A bill's sync state, in the words of ``tillqr bills list``."""

    NEW = "new"  # no reading yet
    PENDING = "pending"  # a reading not yet at the provider
    SYNCED = "synced"  # the provider charges what the reading says
    CONFLICT = "conflict"  # the provider's side changed; the agent decides (re-issue or drop)

    def __str__(self) -> str:
        return self.value


class EntryKind(str, enum.Enum):
    UPDATE = "update"  # set the amount of the bill's payment request
    REISSUE = "reissue"  # a new payment request for the bill (its old one finished or changed), linked to its link


class EntryState(str, enum.Enum):
    PENDING = "pending"
    SYNCED = "synced"
    CONFLICT = "conflict"
    SUPERSEDED = "superseded"  # a newer reading of the same bill replaced it before it was ever sent
    DROPPED = "dropped"  # the agent dropped its reading


@dataclass(frozen=True)
class StoredBill:
    """One bill as the field book keeps it, with what the provider has of it."""

    bill: Bill
    route_id: str
    currency: str
    link_key: str
    payload: str | None
    request_id: str
    request_key: str
    request_created: bool
    link_call_key: str
    linked: bool
    revision: int | None  # the request's revision TillQR last saw (its version check)
    amount: Money | None  # what TillQR last set (or created) at the provider
    sync_state: SyncState
    reason: str
    reading: Decimal | None  # the active reading, if any
    consumption: Decimal | None
    charge: Money | None  # the reading's charge (before due-date terms)
    recorded_at: datetime | None
    imported_at: datetime  # when its route was first imported: what the import's requests are computed from
    closed: bool  # its route is closed (personal data removed)
    charged_due: date | None  # the due date the reading's charge was queued with (fixed when it was recorded)

    @property
    def at_provider(self) -> bool:
        """Its link and its payment request exist and are linked: the printed QR charges it."""
        return self.bill.payment_link_id is not None and self.request_created and self.linked


@dataclass(frozen=True)
class OutboxEntry:
    entry_id: str
    bill_id: str
    reading_id: str
    kind: EntryKind
    idempotency_key: str
    request_id: str
    amount: Money
    due_date: date | None
    attempts: int


@dataclass(frozen=True)
class Applied:
    """A provider's answer to one outbox entry, to be written (``Fieldbook.apply``)."""

    entry_id: str
    bill_id: str
    state: EntryState  # SYNCED or CONFLICT
    revision: int | None = None
    amount: Money | None = None
    request_id: str | None = None  # the request that charges the bill now, when not the entry's own
    reason: str = ""


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def parse_date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


BILL_SELECT = """
    SELECT b.*, r.value AS r_value, r.consumption AS r_consumption, r.charge_minor AS r_charge,
           r.recorded_at AS r_at, rt.imported_at AS rt_imported, rt.closed_at AS rt_closed,
           (SELECT o.due_date FROM outbox o WHERE o.bill_id = b.bill_id AND o.state NOT IN ('superseded', 'dropped')
            ORDER BY o.seq DESC LIMIT 1) AS o_due
    FROM bills b JOIN routes rt ON rt.route_id = b.route_id
    LEFT JOIN readings r ON r.bill_id = b.bill_id AND r.status = 'active'
"""


def stored_bill(row: sqlite3.Row) -> StoredBill:
    cur = row["currency"]
    bill = Bill(
        bill_id=row["bill_id"],
        customer=row["customer"] or "",
        address=row["address"] or "",
        meter_id=row["meter_id"],
        previous_reading=Decimal(row["previous_reading"]),
        tariff=row["tariff"],
        payment_link_id=row["payment_link_id"],
        due_date=parse_date(row["due_date"]),
    )
    return StoredBill(
        bill=bill,
        route_id=row["route_id"],
        currency=cur,
        link_key=row["link_key"],
        payload=row["payload"],
        request_id=row["request_id"],
        request_key=row["request_key"],
        request_created=bool(row["request_created"]),
        link_call_key=row["link_call_key"],
        linked=bool(row["linked"]),
        revision=row["revision"],
        amount=None if row["amount_minor"] is None else Money(row["amount_minor"], cur),
        sync_state=SyncState(row["sync_state"]),
        reason=row["reason"],
        reading=None if row["r_value"] is None else Decimal(row["r_value"]),
        consumption=None if row["r_consumption"] is None else Decimal(row["r_consumption"]),
        charge=None if row["r_charge"] is None else Money(row["r_charge"], cur),
        recorded_at=None if row["r_at"] is None else datetime.fromisoformat(row["r_at"]),
        imported_at=datetime.fromisoformat(row["rt_imported"]),
        closed=row["rt_closed"] is not None,
        charged_due=parse_date(row["o_due"]),
    )


def outbox_entry(row: sqlite3.Row, currency: str) -> OutboxEntry:
    return OutboxEntry(
        entry_id=row["entry_id"],
        bill_id=row["bill_id"],
        reading_id=row["reading_id"],
        kind=EntryKind(row["kind"]),
        idempotency_key=row["idempotency_key"],
        request_id=row["request_id"],
        amount=Money(row["amount_minor"], currency),
        due_date=parse_date(row["due_date"]),
        attempts=row["attempts"],
    )


def new_key() -> str:
    """A fresh idempotency key or client-assigned id: 32 hex digits (a valid Pix txid)."""
    return uuid.uuid4().hex


# -- records for the back office (app.storage.replica), inside the caller's transaction ---------------------------
# No customer's name or address: the back office needs the bill, its meter and the amounts.
def reading_record(conn: sqlite3.Connection, reading_id: str, entry: OutboxEntry, value: Decimal, reset: bool) -> None:
    row = conn.execute(
        "SELECT r.consumption, r.recorded_at, b.meter_id, b.route_id, b.currency FROM readings r "
        "JOIN bills b ON b.bill_id = r.bill_id WHERE r.reading_id=?",
        (reading_id,),
    ).fetchone()
    append(
        conn,
        RecordKind.READING,
        {
            "reading_id": reading_id,
            "bill_id": entry.bill_id,
            "route_id": row["route_id"],
            "meter_id": row["meter_id"],
            "value": str(value),
            "consumption": row["consumption"],
            "charge": str(entry.amount),
            "currency": row["currency"],
            "reset": reset,
            "kind": entry.kind.value,
            "request_id": entry.request_id,
            "due_date": entry.due_date.isoformat() if entry.due_date else None,
            "recorded_at": row["recorded_at"],
        },
    )


def bill_state_record(conn: sqlite3.Connection, bill_id: str) -> None:
    """The bill's sync state as it now stands (after a provider's answer, or a reading dropped)."""
    row = conn.execute(
        "SELECT route_id, sync_state, reason, revision, amount_minor, currency, request_id, updated_at FROM bills "
        "WHERE bill_id=?",
        (bill_id,),
    ).fetchone()
    amount = None if row["amount_minor"] is None else str(Money(row["amount_minor"], row["currency"]))
    append(
        conn,
        RecordKind.BILL_STATE,
        {
            "bill_id": bill_id,
            "route_id": row["route_id"],
            "sync_state": row["sync_state"],
            "reason": row["reason"],
            "revision": row["revision"],
            "amount": amount,
            "currency": row["currency"],
            "request_id": row["request_id"],
            "updated_at": row["updated_at"],
        },
    )
