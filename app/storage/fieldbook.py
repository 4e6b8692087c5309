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
a route is closed (``close_route``); the rest stays for the record. The two route transactions (import,
close) are ``app.storage.fieldbook_routes``'; the schema, records and ``FieldbookError`` ``fieldbook_rows``'.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from app.domain.bills import Bill
from app.domain.money import Money
from app.i18n import _

from . import fieldbook_routes as routes
from .fieldbook_rows import (
    BILL_SELECT,
    MIGRATIONS,
    Applied,
    EntryKind,
    EntryState,
    FieldbookError,
    OutboxEntry,
    StoredBill,
    SyncState,
    bill_state_record,
    new_key,
    now_iso,
    outbox_entry,
    reading_record,
    stored_bill,
)
from .sqlite import Database

__all__ = [
    "MIGRATIONS",
    "Applied",
    "EntryKind",
    "EntryState",
    "Fieldbook",
    "FieldbookError",
    "OutboxEntry",
    "StoredBill",
    "SyncState",
    "new_key",
]


class Fieldbook(Database):
    """The bills, readings and outbox of this laptop's routes."""

    what = "field book"
    migrations = MIGRATIONS
    error = FieldbookError

    @property
    def restore_hint(self) -> str:
        return _(
            "the next start begins an empty field book: import the route again with `{command}` "
            "(readings not yet synced are still in the kept file)"
        ).format(command="tillqr bills import")

    # -- import --------------------------------------------------------------------------------
    async def add_route(self, source: str, bills: Sequence[tuple[Bill, str]]) -> tuple[str, int]:
        """Add ``bills`` (each with its currency) as one route, all or nothing: (route id, bills added).

        A bill already in the book with the same data is left as it is (an import run again resumes);
        one with other data refuses the whole route (FieldbookError naming it)."""

        return await self.transaction(lambda conn: routes.add_route(conn, source, bills))

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
            lambda c: [stored_bill(r) for r in c.execute(BILL_SELECT + where + " ORDER BY b.route_id, b.position")]
        )

    async def bill(self, bill_id: str) -> StoredBill | None:
        rows = await self.read(lambda c: c.execute(BILL_SELECT + " WHERE b.bill_id=?", (bill_id,)).fetchall())
        return stored_bill(rows[0]) if rows else None

    async def pending(self, *, claim: bool = False) -> list[tuple[OutboxEntry, StoredBill]]:
        """Every pending outbox entry with its bill, oldest first. ``claim``: the sync is about to send them, so
        they are marked attempted in the same transaction (a reading recorded from now on cannot supersede an
        entry that may be on its way; it queues behind it)."""

        def q(c: sqlite3.Connection) -> list[tuple[OutboxEntry, StoredBill]]:
            bills = {r["bill_id"]: stored_bill(r) for r in c.execute(BILL_SELECT)}
            rows = c.execute("SELECT * FROM outbox WHERE state='pending' ORDER BY seq").fetchall()
            if claim:  # only what can go now: not a bill in conflict (it waits for the agent), nor one not yet imported
                rows = [
                    r
                    for r in rows
                    if bills[r["bill_id"]].sync_state is not SyncState.CONFLICT and bills[r["bill_id"]].at_provider
                ]
                c.executemany(
                    "UPDATE outbox SET attempts=attempts+1 WHERE entry_id=?", [(r["entry_id"],) for r in rows]
                )
            return [(outbox_entry(r, bills[r["bill_id"]].currency), bills[r["bill_id"]]) for r in rows]

        return await (self.transaction(q) if claim else self.read(q))

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
            row = conn.execute(
                "SELECT b.request_id, b.sync_state, r.closed_at FROM bills b JOIN routes r ON r.route_id = b.route_id "
                "WHERE b.bill_id=?",
                (bill_id,),
            ).fetchone()
            if row is None:
                raise FieldbookError(_("no bill {bill} in the field book").format(bill=bill_id))
            if row["closed_at"] is not None:
                raise FieldbookError(
                    _("bill {bill} belongs to a closed route: its readings were all sent").format(bill=bill_id)
                )
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
            if kind is EntryKind.REISSUE or row["sync_state"] != SyncState.CONFLICT.value:
                conn.execute(
                    "UPDATE bills SET sync_state='pending', reason='', updated_at=? WHERE bill_id=?", (at, bill_id)
                )
            # else: a bill in conflict stays so (the new reading waits with it) until the agent re-issues or drops
            entry = OutboxEntry(entry_id, bill_id, reading_id, kind, key, request_id, charge, due_date, 0)
            reading_record(conn, reading_id, entry, value, reset)
            return entry

        return await self.transaction(tx)

    async def reissue(self, bill_id: str) -> OutboxEntry:
        """The bill's active reading again, as a new payment request (its conflict is being resolved)."""
        stored = await self.bill(bill_id)
        if stored is None or stored.reading is None or stored.charge is None or stored.consumption is None:
            raise FieldbookError(_("bill {bill} has no reading to re-issue").format(bill=bill_id))
        return await self.record(
            bill_id,
            value=stored.reading,
            consumption=stored.consumption,
            charge=stored.charge,
            reset=False,
            due_date=stored.charged_due,
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
                (_("reading dropped: {note}").format(note=note), at, bill_id),
            )
            bill_state_record(conn, bill_id)

        await self.transaction(tx)

    async def apply(self, results: Sequence[Applied]) -> None:
        """Write the provider's answers to outbox entries, in one transaction."""

        def tx(conn: sqlite3.Connection) -> None:
            at = now_iso()
            for r in results:
                if not conn.execute(
                    "UPDATE outbox SET state=?, reason=?, updated_at=? WHERE entry_id=? AND state='pending'",
                    (r.state.value, r.reason, at, r.entry_id),
                ).rowcount:
                    continue  # already answered (a replay's answer written twice): nothing more to change
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
                    # what came after a conflicting entry waits with the bill for the agent's decision (the sync
                    # does not send a bill in conflict); re-issue supersedes it, drop drops it
                    conn.execute(
                        "UPDATE bills SET sync_state='conflict', reason=?, updated_at=? WHERE bill_id=?",
                        (r.reason, at, r.bill_id),
                    )
                bill_state_record(conn, r.bill_id)

        await self.transaction(tx)

    # -- routes and personal data ----------------------------------------------------------------
    async def close_route(self, route_id: str | None = None) -> int:
        """Close the open routes (or one), removing customers' names and addresses; returns bills closed.

        Refused while a bill still has a reading to sync or a conflict to resolve."""

        closed = await self.transaction(lambda conn: routes.close_routes(conn, route_id))
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
