"""The field book: a route's utility bills, the meter readings taken offline, and the outbox of charges to sync.

SQLite (``Database``: WAL, synchronous=FULL, one worker thread), one file per till home
(``data/fieldbook.sqlite3``; demo mode ``data/fieldbook-demo.sqlite3``). What makes it safe offline:

- a reading and its outbox entry are written in **one transaction**, and the entry carries its idempotency
  key from that moment (a uuid4, like every key here: stored before the first send, never derived again);
- every provider id a bill will get (its link's idempotency key, its payment request's client-assigned id)
  is chosen and stored at import, before any call, so an import or a sync interrupted anywhere and run
  again sends the very same calls, and the provider answers the replays with what it did the first time;
- results are written in batches (``apply``): a batch lost to a crash only means those calls are replayed.

The outbox's entries, per bill, in the order they were written: ``pending`` until the provider answered,
then ``synced`` or ``conflict``; a newer reading *supersedes* an older entry that was never sent (one that
may have been sent stays, and is settled first). Personal data (``customer``, ``address``) is removed when
a route is closed (``close_route``); the rest stays for the record.
"""

from __future__ import annotations

import enum
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from app.domain.bills import Bill
from app.domain.money import Money

from .sqlite import Database, DatabaseError

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
]


class FieldbookError(DatabaseError):
    """The field book cannot be opened or refuses a change; the message says why."""


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


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


_BILL_SELECT = """
    SELECT b.*, r.value AS r_value, r.consumption AS r_consumption, r.charge_minor AS r_charge,
           r.recorded_at AS r_at
    FROM bills b LEFT JOIN readings r ON r.bill_id = b.bill_id AND r.status = 'active'
"""


def _stored(row: sqlite3.Row) -> StoredBill:
    cur = row["currency"]
    bill = Bill(
        bill_id=row["bill_id"],
        customer=row["customer"] or "",
        address=row["address"] or "",
        meter_id=row["meter_id"],
        previous_reading=Decimal(row["previous_reading"]),
        tariff=row["tariff"],
        payment_link_id=row["payment_link_id"],
        due_date=_date(row["due_date"]),
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
    )


def _entry(row: sqlite3.Row, currency: str) -> OutboxEntry:
    return OutboxEntry(
        entry_id=row["entry_id"],
        bill_id=row["bill_id"],
        reading_id=row["reading_id"],
        kind=EntryKind(row["kind"]),
        idempotency_key=row["idempotency_key"],
        request_id=row["request_id"],
        amount=Money(row["amount_minor"], currency),
        due_date=_date(row["due_date"]),
        attempts=row["attempts"],
    )


def new_key() -> str:
    """A fresh idempotency key or client-assigned id: 32 hex digits (a valid Pix txid)."""
    return uuid.uuid4().hex


class Fieldbook(Database):
    """The bills, readings and outbox of this laptop's routes."""

    what = "field book"
    migrations = MIGRATIONS
    error = FieldbookError

    # -- import --------------------------------------------------------------------------------
    async def add_route(self, source: str, bills: Sequence[tuple[Bill, str]]) -> tuple[str, int]:
        """Add ``bills`` (each with its currency) as one route, all or nothing: (route id, bills added).

        A bill already in the book with the same data is left as it is (an import run again resumes);
        one with other data refuses the whole route (FieldbookError naming it)."""

        def tx(conn: sqlite3.Connection) -> tuple[str, int]:
            found = conn.execute("SELECT route_id FROM routes WHERE source=? AND closed_at IS NULL", (source,))
            row = found.fetchone()
            route_id = row[0] if row else new_key()
            if not row:
                conn.execute(
                    "INSERT INTO routes (route_id, source, imported_at) VALUES (?,?,?)", (route_id, source, now_iso())
                )
            added = 0
            for position, (bill, currency) in enumerate(bills):
                old = conn.execute(_BILL_SELECT + " WHERE b.bill_id=?", (bill.bill_id,)).fetchone()
                if old is not None:
                    kept = _stored(old).bill
                    if kept.payment_link_id is not None and bill.payment_link_id is None:
                        kept = Bill(**{**kept.__dict__, "payment_link_id": None})
                    if kept != bill:
                        raise FieldbookError(
                            f"bill {bill.bill_id} is already in the field book with other details; "
                            "a bill id is imported once"
                        )
                    continue
                conn.execute(
                    """INSERT INTO bills (bill_id, route_id, position, customer, address, meter_id,
                           previous_reading, tariff, currency, due_date, link_key, payment_link_id,
                           request_id, request_key, link_call_key, updated_at)
                       VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                    (
                        bill.bill_id,
                        route_id,
                        position,
                        bill.customer,
                        bill.address,
                        bill.meter_id,
                        str(bill.previous_reading),
                        bill.tariff,
                        currency,
                        bill.due_date.isoformat() if bill.due_date else None,
                        new_key(),
                        bill.payment_link_id,
                        new_key(),
                        new_key(),
                        new_key(),
                        now_iso(),
                    ),
                )
                added += 1
            return route_id, added

        return await self.transaction(tx)

    async def set_link(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """(bill id, payment link id, its printed payload) for each bill whose link is known."""
        await self.transaction(
            lambda c: c.executemany(
                "UPDATE bills SET payment_link_id=?, payload=?, updated_at=? WHERE bill_id=?",
                [(link, payload, now_iso(), bill) for bill, link, payload in rows],
            )
        )

    async def set_created(self, rows: Iterable[tuple[str, int | None, Money]]) -> None:
        """(bill id, revision, amount) for each bill whose payment request now exists."""
        await self.transaction(
            lambda c: c.executemany(
                "UPDATE bills SET request_created=1, revision=?, amount_minor=?, updated_at=? WHERE bill_id=?",
                [(rev, amount.minor, now_iso(), bill) for bill, rev, amount in rows],
            )
        )

    async def set_linked(self, bill_ids: Iterable[str]) -> None:
        await self.transaction(
            lambda c: c.executemany(
                "UPDATE bills SET linked=1, updated_at=? WHERE bill_id=?", [(now_iso(), b) for b in bill_ids]
            )
        )

    # -- reads ---------------------------------------------------------------------------------
    async def bills(self, *, open_routes_only: bool = True) -> list[StoredBill]:
        where = " WHERE b.route_id IN (SELECT route_id FROM routes WHERE closed_at IS NULL)" if open_routes_only else ""
        return await self.read(
            lambda c: [_stored(r) for r in c.execute(_BILL_SELECT + where + " ORDER BY b.route_id, b.position")]
        )

    async def bill(self, bill_id: str) -> StoredBill | None:
        rows = await self.read(lambda c: c.execute(_BILL_SELECT + " WHERE b.bill_id=?", (bill_id,)).fetchall())
        return _stored(rows[0]) if rows else None

    async def pending(self) -> list[tuple[OutboxEntry, StoredBill]]:
        """Every pending outbox entry with its bill, oldest first."""

        def q(c: sqlite3.Connection) -> list[tuple[OutboxEntry, StoredBill]]:
            bills = {r["bill_id"]: _stored(r) for r in c.execute(_BILL_SELECT)}
            rows = c.execute("SELECT * FROM outbox WHERE state='pending' ORDER BY seq")
            return [(_entry(r, bills[r["bill_id"]].currency), bills[r["bill_id"]]) for r in rows]

        return await self.read(q)

    async def counts(self) -> dict[SyncState, int]:
        def q(c: sqlite3.Connection) -> dict[SyncState, int]:
            rows = c.execute(
                "SELECT sync_state, count(*) FROM bills WHERE route_id IN "
                "(SELECT route_id FROM routes WHERE closed_at IS NULL) GROUP BY sync_state"
            )
            found = {SyncState(s): n for s, n in rows}
            return {s: found.get(s, 0) for s in SyncState}

        return await self.read(q)

    # -- readings and the outbox -------------------------------------------------------------------
    async def record(
        self,
        bill_id: str,
        *,
        value: Decimal,
        consumption: Decimal,
        charge: Money,
        reset: bool,
        due_date: date | None,
        kind: EntryKind = EntryKind.UPDATE,
    ) -> OutboxEntry:
        """A reading and its outbox entry (with its idempotency key), in one transaction.

        A still pending entry of the same bill that was never sent is superseded; one that may have been
        sent stays ahead of the new one (the provider's answer to it is settled first)."""

        def tx(conn: sqlite3.Connection) -> OutboxEntry:
            row = conn.execute("SELECT request_id, sync_state FROM bills WHERE bill_id=?", (bill_id,)).fetchone()
            if row is None:
                raise FieldbookError(f"no bill {bill_id} in the field book")
            at = now_iso()
            conn.execute("UPDATE readings SET status='superseded' WHERE bill_id=? AND status='active'", (bill_id,))
            conn.execute(
                "UPDATE outbox SET state='superseded', updated_at=? WHERE bill_id=? AND state='pending' AND attempts=0",
                (at, bill_id),
            )
            reading_id = new_key()
            conn.execute(
                """INSERT INTO readings (reading_id, bill_id, value, consumption, charge_minor, reset, recorded_at)
                   VALUES (?,?,?,?,?,?,?)""",
                (reading_id, bill_id, str(value), str(consumption), charge.minor, int(reset), at),
            )
            entry_id, key = new_key(), new_key()
            request_id = row["request_id"] if kind is EntryKind.UPDATE else new_key()
            conn.execute(
                """INSERT INTO outbox (entry_id, bill_id, reading_id, kind, idempotency_key, request_id, amount_minor,
                       due_date, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)""",
                (
                    entry_id,
                    bill_id,
                    reading_id,
                    kind.value,
                    key,
                    request_id,
                    charge.minor,
                    due_date.isoformat() if due_date else None,
                    at,
                    at,
                ),
            )
            conn.execute(
                "UPDATE bills SET sync_state='pending', reason='', updated_at=? WHERE bill_id=?", (at, bill_id)
            )
            return OutboxEntry(entry_id, bill_id, reading_id, kind, key, request_id, charge, due_date, 0)

        return await self.transaction(tx)

    async def reissue(self, bill_id: str) -> OutboxEntry:
        """The bill's active reading again, as a new payment request (its conflict is being resolved)."""
        stored = await self.bill(bill_id)
        if stored is None or stored.reading is None or stored.charge is None or stored.consumption is None:
            raise FieldbookError(f"bill {bill_id} has no reading to re-issue")
        due = await self.read(
            lambda c: c.execute(
                "SELECT due_date FROM outbox WHERE bill_id=? ORDER BY seq DESC LIMIT 1", (bill_id,)
            ).fetchone()
        )
        return await self.record(
            bill_id,
            value=stored.reading,
            consumption=stored.consumption,
            charge=stored.charge,
            reset=False,
            due_date=_date(due[0]) if due else None,
            kind=EntryKind.REISSUE,
        )

    async def drop(self, bill_id: str, note: str) -> None:
        """The agent drops the bill's reading (with a note): nothing more is sent for it."""

        def tx(conn: sqlite3.Connection) -> None:
            at = now_iso()
            conn.execute(
                "UPDATE readings SET status='dropped', note=? WHERE bill_id=? AND status='active'", (note, bill_id)
            )
            conn.execute(
                "UPDATE outbox SET state='dropped', reason=?, updated_at=? WHERE bill_id=? AND state IN "
                "('pending', 'conflict')",
                (note, at, bill_id),
            )
            conn.execute(
                "UPDATE bills SET sync_state='new', reason=?, updated_at=? WHERE bill_id=?",
                (f"reading dropped: {note}", at, bill_id),
            )

        await self.transaction(tx)

    async def attempted(self, entry_ids: Sequence[str]) -> None:
        """These entries are about to be sent (from now on a newer reading cannot simply replace them)."""
        await self.transaction(
            lambda c: c.executemany("UPDATE outbox SET attempts=attempts+1 WHERE entry_id=?", [(e,) for e in entry_ids])
        )

    async def apply(self, results: Sequence[Applied]) -> None:
        """Write the provider's answers to outbox entries, in one transaction."""

        def tx(conn: sqlite3.Connection) -> None:
            at = now_iso()
            for r in results:
                conn.execute(
                    "UPDATE outbox SET state=?, reason=?, updated_at=? WHERE entry_id=?",
                    (r.state.value, r.reason, at, r.entry_id),
                )
                later = conn.execute(
                    "SELECT count(*) FROM outbox WHERE bill_id=? AND state='pending'", (r.bill_id,)
                ).fetchone()[0]
                if r.state is EntryState.SYNCED:
                    request = (
                        [r.request_id]
                        if r.request_id
                        else conn.execute("SELECT request_id FROM outbox WHERE entry_id=?", (r.entry_id,)).fetchone()
                    )
                    conn.execute(
                        """UPDATE bills SET revision=?, amount_minor=?, request_id=?, request_created=1, linked=1,
                               sync_state=?, reason='', updated_at=? WHERE bill_id=?""",
                        (
                            r.revision,
                            r.amount.minor if r.amount else None,
                            request[0],
                            "pending" if later else "synced",
                            at,
                            r.bill_id,
                        ),
                    )
                else:
                    conn.execute(
                        "UPDATE bills SET sync_state='conflict', reason=?, updated_at=? WHERE bill_id=?",
                        (r.reason, at, r.bill_id),
                    )
                    # what came after a conflicting entry waits for the agent's decision, not for the network
                    conn.execute(
                        "UPDATE outbox SET state='superseded', updated_at=? WHERE bill_id=? AND state='pending'",
                        (at, r.bill_id),
                    )

        await self.transaction(tx)

    # -- routes and personal data ----------------------------------------------------------------
    async def close_route(self, route_id: str | None = None) -> int:
        """Close the open routes (or one), removing customers' names and addresses; returns bills closed.

        Refused while a bill still has a reading to sync or a conflict to resolve."""

        def tx(conn: sqlite3.Connection) -> int:
            routes = [
                r[0]
                for r in conn.execute("SELECT route_id FROM routes WHERE closed_at IS NULL")
                if route_id is None or r[0] == route_id
            ]
            marks = ",".join("?" * len(routes))
            busy = conn.execute(
                f"SELECT count(*) FROM bills WHERE route_id IN ({marks}) AND sync_state IN ('pending', 'conflict')",
                routes,
            ).fetchone()[0]
            if busy:
                raise FieldbookError(
                    f"{busy} bill(s) still have a reading to sync or a conflict to resolve: sync them first"
                )
            conn.execute(f"UPDATE routes SET closed_at=? WHERE route_id IN ({marks})", (now_iso(), *routes))
            return int(
                conn.execute(
                    f"UPDATE bills SET customer=NULL, address=NULL WHERE route_id IN ({marks})", routes
                ).rowcount
            )

        closed = await self.transaction(tx)
        # the removed text must leave the file too, not linger in free pages or the WAL
        await self.read(lambda c: (c.execute("VACUUM"), c.execute("PRAGMA wal_checkpoint(TRUNCATE)")))
        return closed

    async def get_value(self, key: str) -> str | None:
        row = await self.read(lambda c: c.execute("SELECT value FROM kv WHERE key=?", (key,)).fetchone())
        return None if row is None else str(row[0])

    async def set_value(self, key: str, value: str) -> None:
        await self.transaction(
            lambda c: c.execute(
                "INSERT INTO kv (key, value) VALUES (?,?) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
                (key, value),
            )
        )
