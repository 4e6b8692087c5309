"""Reading and settling one replication outbox (``app.storage.replica``'s table in the journal or the field book).

The sender (``app.replication.sender``) takes the next batch of waiting records in ``seq`` order, stamps them
with the device's id, and once the back office has answered 200 writes what it said, in one transaction:
accepted and duplicate records are acknowledged, refused and conflicting ones set aside with their reason (never
sent again; the queue goes on), and every record at or below the back office's cursor for the stream is
acknowledged. ``resume`` does the last alone, before anything is sent: a till whose journal was put back from a
backup (or copied to a new machine) does not send again what the back office already holds, as CouchDB resumes
from its checkpoint. The sequence is then moved past the cursor, so a record written later never takes a number
the back office already has.

Rows are never deleted: acknowledged ones stay (with ``acked_at``) as the till's own history.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.domain.jsontypes import JsonObject
from app.replication.wire import MAX_BATCH, Outcome, Record, RecordKind, RecordResult, Stream, now_iso
from app.storage.fieldbook import Fieldbook
from app.storage.journal import Journal
from app.storage.replica import FORGET_FIELDBOOK, FORGET_JOURNAL, TABLE, RowState, forget
from app.storage.sqlite import Database

SETTLED = {Outcome.ACCEPTED: RowState.ACKED, Outcome.DUPLICATE: RowState.ACKED}  # the rest: set aside


@dataclass(frozen=True)
class OutboxCounts:
    waiting: int
    set_aside: int
    acked: int
    last_seq: int  # the highest seq written (0: none)
    last_acked_at: datetime | None  # when the back office last acknowledged one of these records


@dataclass(frozen=True)
class SetAside:
    seq: int
    record_id: str
    kind: str
    reason: str


def _record(row: sqlite3.Row, device_id: str, stream: Stream) -> Record:
    payload: JsonObject = json.loads(row["payload"])
    kind: RecordKind | str = row["kind"]
    known = kind in RecordKind.__members__.values()  # an unknown one is sent as it is: the back office refuses it
    return Record(
        device_id,
        stream,
        row["seq"],
        row["record_id"],
        RecordKind(kind) if known else kind,
        row["schema_version"],
        payload,
        row["sha256"],
        row["device_time"],
    )


class Outbox:
    """One stream's outbox in ``db`` (the journal: ``Stream.JOURNAL``; the field book: ``Stream.FIELDBOOK``)."""

    def __init__(self, db: Database, stream: Stream) -> None:
        self.db = db
        self.stream = stream

    async def next_batch(self, device_id: str, limit: int = MAX_BATCH) -> list[Record]:
        """Up to ``limit`` waiting records, lowest seq first, stamped with ``device_id``."""

        def q(c: sqlite3.Connection) -> list[Record]:
            rows = c.execute(f"SELECT * FROM {TABLE} WHERE state=? ORDER BY seq LIMIT ?", (RowState.WAITING, limit))
            return [_record(r, device_id, self.stream) for r in rows]

        return await self.db.read(q)

    async def settle(self, results: list[RecordResult], cursor: int | None) -> int:
        """The back office's answers for this stream's records, and its cursor (None: it sent none), written in one
        transaction; how many records stopped waiting."""
        mine = [r for r in results if r.stream is self.stream]

        def tx(c: sqlite3.Connection) -> int:
            at = now_iso()
            done = 0
            for r in mine:
                state = SETTLED.get(r.outcome, RowState.SET_ASIDE)
                reason = "" if state is RowState.ACKED else f"{r.outcome.value}: {r.reason}".rstrip(": ")
                done += c.execute(
                    f"UPDATE {TABLE} SET state=?, reason=?, acked_at=? WHERE seq=? AND state=?",
                    (state, reason, at if state is RowState.ACKED else None, r.seq, RowState.WAITING),
                ).rowcount
            return done + (_ack_through(c, cursor, at) if cursor is not None else 0)

        return await self.db.transaction(tx)

    async def set_aside(self, seq: int, reason: str) -> bool:
        """One waiting record set aside with ``reason`` (never sent again); False when it was not waiting."""
        return bool(
            await self.db.transaction(
                lambda c: (
                    c.execute(
                        f"UPDATE {TABLE} SET state=?, reason=? WHERE seq=? AND state=?",
                        (RowState.SET_ASIDE, reason, seq, RowState.WAITING),
                    ).rowcount
                )
            )
        )

    async def resume(self, cursor: int) -> int:
        """Every waiting record at or below the back office's ``cursor`` acknowledged without being sent, and the
        sequence moved past it; how many were acknowledged."""
        return await self.db.transaction(lambda c: _ack_through(c, cursor, now_iso()))

    async def resend_above(self, cursor: int) -> int:
        """Records this machine holds as acknowledged (or set aside) above the back office's ``cursor`` made to
        wait again: the back office no longer has them (its database put back from a backup, or a crash with
        ``synchronous_commit`` off lost what it had answered). Sent again with the same bytes they are filed once,
        or acknowledged as duplicates; how many wait again."""
        return await self.db.transaction(
            lambda c: (
                c.execute(
                    f"UPDATE {TABLE} SET state=?, acked_at=NULL WHERE state IN (?, ?) AND seq>?",
                    (RowState.WAITING, RowState.ACKED, RowState.SET_ASIDE, cursor),
                ).rowcount
            )
        )

    async def counts(self) -> OutboxCounts:
        def q(c: sqlite3.Connection) -> OutboxCounts:
            found = dict(c.execute(f"SELECT state, count(*) FROM {TABLE} GROUP BY state").fetchall())
            last_seq, last_acked = c.execute(f"SELECT max(seq), max(acked_at) FROM {TABLE}").fetchone()
            return OutboxCounts(
                waiting=found.get(RowState.WAITING, 0),
                set_aside=found.get(RowState.SET_ASIDE, 0),
                acked=found.get(RowState.ACKED, 0),
                last_seq=last_seq or 0,
                last_acked_at=datetime.fromisoformat(last_acked) if last_acked else None,
            )

        return await self.db.read(q)

    async def forget_personal_data(self) -> int:
        """The customers' personal data this stream's database keeps, deleted (``app.storage.replica.FORGET_*``)
        and wiped from the file (VACUUM, the WAL truncated); rows changed."""
        statements = FORGET_JOURNAL if self.stream is Stream.JOURNAL else FORGET_FIELDBOOK
        changed = await self.db.transaction(lambda c: forget(c, statements))
        await self.db.read(lambda c: (c.execute("VACUUM"), c.execute("PRAGMA wal_checkpoint(TRUNCATE)")))
        return changed

    async def set_aside_records(self) -> list[SetAside]:
        """The records set aside, with their reasons, lowest seq first."""

        def q(c: sqlite3.Connection) -> list[SetAside]:
            rows = c.execute(
                f"SELECT seq, record_id, kind, reason FROM {TABLE} WHERE state=? ORDER BY seq", (RowState.SET_ASIDE,)
            )
            return [SetAside(r["seq"], r["record_id"], r["kind"], r["reason"]) for r in rows]

        return await self.db.read(q)


def _ack_through(c: sqlite3.Connection, cursor: int, at: str) -> int:
    """Waiting records at or below ``cursor`` acknowledged; the sequence never below ``cursor`` (inside the
    caller's transaction)."""
    done = c.execute(
        f"UPDATE {TABLE} SET state=?, acked_at=? WHERE state=? AND seq<=?",
        (RowState.ACKED, at, RowState.WAITING, cursor),
    ).rowcount
    row = c.execute("SELECT seq FROM sqlite_sequence WHERE name=?", (TABLE,)).fetchone()
    if row is None and cursor > 0:
        c.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (TABLE, cursor))
    elif row is not None and row[0] < cursor:
        c.execute("UPDATE sqlite_sequence SET seq=? WHERE name=?", (cursor, TABLE))
    return int(done)


def journal_path(data_dir: Path, demo: bool) -> Path:
    return data_dir / ("journal-demo.sqlite3" if demo else "journal.sqlite3")


def fieldbook_path(data_dir: Path, demo: bool) -> Path:
    return data_dir / ("fieldbook-demo.sqlite3" if demo else "fieldbook.sqlite3")


def open_outboxes(data_dir: Path, demo: bool) -> list[Outbox]:
    """The outboxes of this machine's journal and field book (the demo ones with ``demo``), those whose file
    exists (a till has no field book, a field laptop may have no journal); each ``db`` to be closed by the caller."""
    found: list[Outbox] = []
    if journal_path(data_dir, demo).exists():
        found.append(Outbox(Journal(journal_path(data_dir, demo)), Stream.JOURNAL))
    if fieldbook_path(data_dir, demo).exists():
        found.append(Outbox(Fieldbook(fieldbook_path(data_dir, demo)), Stream.FIELDBOOK))
    return found
