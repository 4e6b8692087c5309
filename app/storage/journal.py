"""The sales journal: SQLite in WAL mode with synchronous=FULL.

Every state change of a sale is written here *before* anything is shown or the
next provider call is made. All database work runs on one dedicated thread
(a single-worker executor), which serialises writes and keeps the asyncio loop
(the Qt loop, in the GUI) free while SQLite fsyncs.

Schema versions live in ``PRAGMA user_version``; ``MIGRATIONS[n]`` moves a
database from version n to n+1.

Backups (``app.storage.backups``): the journal copies itself with SQLite's online backup API to
``data/backups/journal-<UTC time>.sqlite3`` (the demo journal to ``journal-demo-…``) when it opens and
the newest backup is older than a day, and after every ``BACKUP_EVERY`` (100) closed sales; the newest
``BACKUPS_KEPT`` (7) are kept, and a new one is verified before the oldest is deleted. A journal found
damaged when it opens is moved aside and never written to; ``tillqr journal restore`` puts a backup back.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus, utcnow
from app.i18n import _, lazy_

from .journal_records import refund_record, sale_records
from .replica import MIGRATION as REPLICA_TABLE
from .sqlite import Database, DatabaseError

MIGRATIONS: list[str] = [
    # 0 → 1
    """
    CREATE TABLE sales (
        sale_id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
        currency TEXT NOT NULL,
        reference TEXT NOT NULL DEFAULT '',
        provider TEXT NOT NULL,
        request_id TEXT,
        link_id TEXT,
        payload TEXT,
        expires_at TEXT,
        amount_received_minor INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        closed_at TEXT,
        unlinked INTEGER NOT NULL DEFAULT 0,
        reason TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX sales_open ON sales (closed_at) WHERE closed_at IS NULL;
    CREATE INDEX sales_created ON sales (created_at);
    CREATE TABLE sale_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sale_id TEXT NOT NULL REFERENCES sales (sale_id),
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX sale_events_sale ON sale_events (sale_id, id);
    CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 1 → 2: refunds
    """
    ALTER TABLE sales ADD COLUMN amount_refunded_minor INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sales ADD COLUMN amount_due_minor INTEGER;
    CREATE TABLE refunds (
        refund_key TEXT PRIMARY KEY,
        sale_id TEXT NOT NULL REFERENCES sales (sale_id),
        refund_id TEXT,
        amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
        status TEXT NOT NULL,
        provider_status TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX refunds_sale ON refunds (sale_id);
    """,
    # 2 → 3: a refund the manager closed after checking with the provider (its note, and when)
    """
    ALTER TABLE refunds ADD COLUMN note TEXT NOT NULL DEFAULT '';
    ALTER TABLE refunds ADD COLUMN closed_at TEXT;
    """,
    # 3 → 4: cashiers by name (app.storage.cashiers); who rang up each sale and made each refund, by id and by
    # their name at that time. A cashier is never deleted (only made inactive), so old rows keep their name.
    """
    CREATE TABLE cashiers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL CHECK (length(trim(name)) > 0),
        pin_hash TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX cashiers_active_name ON cashiers (name COLLATE NOCASE) WHERE active = 1;
    ALTER TABLE sales ADD COLUMN cashier_id INTEGER REFERENCES cashiers (id);
    ALTER TABLE sales ADD COLUMN cashier_name TEXT NOT NULL DEFAULT '';
    CREATE INDEX sales_cashier ON sales (cashier_id, created_at) WHERE cashier_id IS NOT NULL;
    ALTER TABLE refunds ADD COLUMN cashier_id INTEGER REFERENCES cashiers (id);
    ALTER TABLE refunds ADD COLUMN cashier_name TEXT NOT NULL DEFAULT '';
    """,
    # 4 → 5: the replication outbox (app.storage.replica): every change below appends its record to it in the
    # same transaction, for the back office
    REPLICA_TABLE,
]


BACKUPS_KEPT = 7
BACKUP_EVERY = 100  # closed sales between two backups
_CLOSED_SINCE_BACKUP = "backup.closed_since"  # kv: sales closed since the last backup


class JournalError(DatabaseError):
    pass


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _row_to_sale(row: sqlite3.Row) -> Sale:
    cur = row["currency"]
    return Sale(
        sale_id=row["sale_id"],
        amount=Money(row["amount_minor"], cur),
        provider=row["provider"],
        reference=row["reference"],
        status=SaleStatus(row["status"]),
        request_id=row["request_id"],
        link_id=row["link_id"],
        payload=row["payload"],
        expires_at=_dt(row["expires_at"]),
        amount_received=Money(row["amount_received_minor"], cur),
        amount_refunded=Money(row["amount_refunded_minor"], cur),
        amount_due=None if row["amount_due_minor"] is None else Money(row["amount_due_minor"], cur),
        created_at=_when(row["created_at"]),
        updated_at=_when(row["updated_at"]),
        closed_at=_dt(row["closed_at"]),
        unlinked=bool(row["unlinked"]),
        reason=row["reason"],
        cashier_id=row["cashier_id"],
        cashier=row["cashier_name"],
    )


class Journal(Database):
    """The sales journal (``Database``: one SQLite connection on one worker thread)."""

    what = "journal"
    title = lazy_("the journal {path}")
    migrations = MIGRATIONS

    error = JournalError
    backups_kept = BACKUPS_KEPT

    # -- writes -------------------------------------------------------------
    async def record(self, sale: Sale, kind: str, **detail: Any) -> Sale:
        """Upsert the sale and append one event, in one transaction. Returns the sale as stored."""
        await self._run(self._record, sale, kind, detail)
        return sale

    def _record(self, sale: Sale, kind: str, detail: dict[str, Any]) -> None:
        def tx(conn: sqlite3.Connection) -> bool:
            closing = sale.closed_at is not None and _still_open(conn, sale.sale_id)
            _write_sale(conn, sale, kind, detail)
            return closing and _count_closed(conn) >= BACKUP_EVERY

        if self._tx(tx):
            self._pool.submit(self._backup_quietly)  # after this write returns: the sale does not wait for it

    # -- backups ------------------------------------------------------------
    @property
    def restore_hint(self) -> str:
        demo = " --demo" if self.path.stem.endswith("-demo") else ""
        return _("restore a backup with {command}").format(command=f"`tillqr journal restore{demo}`")

    def _worth_backing_up(self, conn: sqlite3.Connection) -> bool:
        return conn.execute("SELECT EXISTS (SELECT 1 FROM sales)").fetchone()[0] == 1

    def _after_backup(self, conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM kv WHERE key=?", (_CLOSED_SINCE_BACKUP,))

    async def set_value(self, key: str, value: str) -> None:
        await self._run(
            self._tx,
            lambda c: c.execute(
                "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
                (key, value),
            ),
        )

    async def get_value(self, key: str) -> str | None:
        def q() -> str | None:
            assert self._conn is not None
            row = self._conn.execute("SELECT value FROM kv WHERE key=?", (key,)).fetchone()
            return row[0] if row else None

        return await self._run(q)

    async def record_refund(self, sale: Sale, refund: dict[str, Any]) -> None:
        """Upsert one refund (keyed by its idempotency key) and the sale it changes, in one transaction."""

        def tx(conn: sqlite3.Connection) -> None:
            conn.execute(
                """INSERT INTO refunds (refund_key, sale_id, refund_id, amount_minor, status, provider_status,
                       created_at, updated_at, reason, cashier_id, cashier_name) VALUES (?,?,?,?,?,?,?,?,?,?,?)
                   ON CONFLICT (refund_key) DO UPDATE SET refund_id=excluded.refund_id, status=excluded.status,
                       provider_status=excluded.provider_status, updated_at=excluded.updated_at,
                       reason=excluded.reason""",
                (
                    refund["refund_key"],
                    sale.sale_id,
                    refund.get("refund_id"),
                    refund["amount_minor"],
                    refund["status"],
                    refund.get("provider_status", ""),
                    _iso(utcnow()),
                    _iso(utcnow()),
                    refund.get("reason", ""),
                    refund.get("cashier_id"),
                    refund.get("cashier", ""),
                ),
            )
            _write_sale(conn, sale, "refund", {k: v for k, v in refund.items() if k != "reason"})
            refund_record(conn, sale, refund)

        await self._run(self._tx, tx)

    async def close_refund(self, sale: Sale, refund_key: str, note: str) -> bool:
        """A pending refund of ``sale`` closed by the manager: ``rejected`` (final, nothing refunded) with
        ``note``, and one sale event, in one transaction. False when no such refund is pending (nothing written)."""

        def tx(conn: sqlite3.Connection) -> bool:
            now = _iso(utcnow())
            where = (refund_key, sale.sale_id)
            row = conn.execute(
                "SELECT refund_id, amount_minor FROM refunds WHERE refund_key=? AND sale_id=? AND status='pending'",
                where,
            ).fetchone()
            if row is None:
                return False
            conn.execute(
                "UPDATE refunds SET status='rejected', note=?, closed_at=?, updated_at=? WHERE refund_key=? AND sale_id=?",
                (note, now, now, *where),
            )
            detail = {"refund_key": refund_key, "refund_id": row[0], "amount_minor": row[1], "status": "rejected"}
            _write_sale(conn, sale, "refund_closed", {**detail, "note": note})
            refund_record(conn, sale, {**detail, "note": note, "closed_at": now})
            return True

        return await self._run(self._tx, tx)

    async def refunds(self, sale_id: str) -> list[dict[str, Any]]:
        def q() -> list[dict[str, Any]]:
            assert self._conn is not None
            rows = self._conn.execute("SELECT * FROM refunds WHERE sale_id=? ORDER BY created_at", (sale_id,))
            return [dict(r) for r in rows.fetchall()]

        return await self._run(q)

    async def pending_refunds(self) -> list[dict[str, Any]]:
        def q() -> list[dict[str, Any]]:
            assert self._conn is not None
            rows = self._conn.execute("SELECT * FROM refunds WHERE status='pending' ORDER BY created_at")
            return [dict(r) for r in rows.fetchall()]

        return await self._run(q)

    async def refunds_since(self, since: datetime) -> list[dict[str, Any]]:
        """Refunds made (refunded, partially refunded) since ``since``, oldest first, each with its sale's
        currency and provider: the refunds of a shift (app.receipts.shift)."""

        def q() -> list[dict[str, Any]]:
            assert self._conn is not None
            rows = self._conn.execute(
                """SELECT r.*, s.currency, s.provider FROM refunds r JOIN sales s USING (sale_id)
                   WHERE r.status IN ('refunded', 'partially_refunded') AND r.updated_at >= ?
                   ORDER BY r.updated_at""",
                (since.astimezone(UTC).isoformat(),),
            )
            return [dict(r) for r in rows.fetchall()]

        return await self._run(q)

    # -- reads --------------------------------------------------------------
    def _query(self, sql: str, params: tuple = ()) -> list[Sale]:
        assert self._conn is not None, "journal is closed"
        return [_row_to_sale(r) for r in self._conn.execute(sql, params).fetchall()]

    async def get(self, sale_id: str) -> Sale | None:
        rows = await self._run(self._query, "SELECT * FROM sales WHERE sale_id=?", (sale_id,))
        return rows[0] if rows else None

    async def open_sales(self) -> list[Sale]:
        """Every sale not CLOSED, oldest first: what recover() must finish."""
        return await self._run(self._query, "SELECT * FROM sales WHERE closed_at IS NULL ORDER BY created_at")

    async def sales_by_cashier(self, cashier_id: int, limit: int = 10) -> list[Sale]:
        """The last ``limit`` sales the cashier ``cashier_id`` rang up, newest first (their last sales at a glance)."""
        return await self._run(
            self._query,
            "SELECT * FROM sales WHERE cashier_id=? ORDER BY created_at DESC LIMIT ?",
            (cashier_id, limit),
        )

    async def list_sales(self, limit: int | None = 1000) -> list[Sale]:
        """Newest first; ``limit=None`` for every sale (reconciliation)."""
        return await self._run(
            self._query, "SELECT * FROM sales ORDER BY created_at DESC LIMIT ?", (-1 if limit is None else limit,)
        )

    async def events(self, sale_id: str) -> list[dict[str, Any]]:
        def q() -> list[dict[str, Any]]:
            assert self._conn is not None
            rows = self._conn.execute(
                "SELECT at, kind, status, detail FROM sale_events WHERE sale_id=? ORDER BY id", (sale_id,)
            ).fetchall()
            return [
                {"at": r["at"], "kind": r["kind"], "status": r["status"], "detail": json.loads(r["detail"])}
                for r in rows
            ]

        return await self._run(q)


def _still_open(conn: sqlite3.Connection, sale_id: str) -> bool:
    """The sale is new, or not closed yet (inside the transaction that may close it)."""
    row = conn.execute("SELECT closed_at FROM sales WHERE sale_id=?", (sale_id,)).fetchone()
    return row is None or row[0] is None


def _count_closed(conn: sqlite3.Connection) -> int:
    """One more sale closed since the last backup (inside the caller's transaction); the new count."""
    conn.execute(
        "INSERT INTO kv (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE SET value=CAST(value AS INTEGER) + 1",
        (_CLOSED_SINCE_BACKUP,),
    )
    return int(conn.execute("SELECT value FROM kv WHERE key=?", (_CLOSED_SINCE_BACKUP,)).fetchone()[0])


def _write_sale(conn: sqlite3.Connection, sale: Sale, kind: str, detail: dict[str, Any]) -> None:
    """Upsert ``sale`` and append one event, and their records to the replication outbox (inside the caller's
    transaction)."""
    conn.execute(
        """INSERT INTO sales (sale_id, status, amount_minor, currency, reference, provider, request_id,
               link_id, payload, expires_at, amount_received_minor, amount_refunded_minor, amount_due_minor,
               created_at, updated_at, closed_at, unlinked, reason, cashier_id, cashier_name)
           VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
           ON CONFLICT (sale_id) DO UPDATE SET status=excluded.status, request_id=excluded.request_id,
               link_id=excluded.link_id, payload=excluded.payload, expires_at=excluded.expires_at,
               amount_received_minor=excluded.amount_received_minor,
               amount_refunded_minor=excluded.amount_refunded_minor,
               amount_due_minor=excluded.amount_due_minor, updated_at=excluded.updated_at,
               closed_at=excluded.closed_at, unlinked=excluded.unlinked, reason=excluded.reason""",
        (
            sale.sale_id,
            sale.status.value,
            sale.amount.minor,
            sale.amount.currency,
            sale.reference,
            sale.provider,
            sale.request_id,
            sale.link_id,
            sale.payload,
            _iso(sale.expires_at),
            sale.received.minor,
            sale.refunded.minor,
            sale.amount_due.minor if sale.amount_due else None,
            _iso(sale.created_at),
            _iso(sale.updated_at),
            _iso(sale.closed_at),
            int(sale.unlinked),
            sale.reason,
            sale.cashier_id,
            sale.cashier,
        ),
    )
    at = _iso(utcnow())
    text = json.dumps(detail, default=str)
    event = conn.execute(
        "INSERT INTO sale_events (sale_id, at, kind, status, detail) VALUES (?,?,?,?,?)",
        (sale.sale_id, at, kind, sale.status.value, text),
    )
    sale_records(conn, sale, int(event.lastrowid or 0), at or "", kind, json.loads(text))
