"""What the back office's pages show, read from PostgreSQL (the ``sales`` and ``readings`` projections, the
records, devices, cursors and conflicts of migrations 0001–0002). Plain rows, no words: ``pages`` renders them.

Amounts stay exact: ``numeric`` read as Decimal, or the payload's own decimal strings (the CSV export).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from app.domain.jsontypes import JsonObject
from app.domain.sale import OPEN_STATUSES

SALES_SHOWN = 500  # of one day, newest first (the CSV export has them all)
READINGS_SHOWN = 500


class Dimension(StrEnum):
    """What the day's sales are counted by."""

    STORE = "store"
    DEVICE = "device"
    PROVIDER = "provider"
    STATUS = "status"


class Resolution(StrEnum):
    KEEP_FIRST = "keep_first"  # what the back office holds stands
    TAKE_SECOND = "take_second"  # the version sent later replaces it


@dataclass(frozen=True)
class Tally:
    key: str
    currency: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class Total:
    currency: str
    count: int
    open: int
    amount: Decimal
    received: Decimal
    refunded: Decimal


@dataclass(frozen=True)
class SaleRow:
    sale_id: str
    store: str
    device: str
    provider: str
    status: str
    amount: Decimal | None
    currency: str
    created_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True)
class DayView:
    day: date
    totals: list[Total]
    tallies: dict[Dimension, list[Tally]]
    open_sales: list[SaleRow]
    sales: list[SaleRow]


@dataclass(frozen=True)
class HistoryRow:
    device: str
    stream: str
    seq: int
    kind: str
    device_time: datetime
    received_at: datetime
    late: bool
    payload: JsonObject


@dataclass(frozen=True)
class ReadingRow:
    device: str
    store: str
    bill_id: str
    business_day: date
    reading: JsonObject | None
    state: JsonObject | None


@dataclass(frozen=True)
class StreamLag:
    stream: str
    cursor: int
    highest: int  # the highest seq received (accepted, refused or in conflict)

    @property
    def behind(self) -> int:
        """Records missing below the highest received (a gap the device has still to fill)."""
        return self.highest - self.cursor


@dataclass(frozen=True)
class DeviceRow:
    id: str
    name: str
    kind: str
    store: str
    created_at: datetime
    last_seen: datetime | None
    last_skew_s: float | None
    flagged_skew: bool
    revoked_at: datetime | None
    streams: list[StreamLag]


@dataclass(frozen=True)
class ConflictRow:
    id: int
    device: str
    stream: str
    seq: int
    record_id: str
    reason: str
    reported_at: datetime
    first: JsonObject | None  # what the back office holds
    second: JsonObject  # what was sent later
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None


_SALE_COLUMNS = """s.sale_id, s.store, coalesce(nullif(d.name, ''), d.id) AS device, s.provider, s.status, s.amount,
    s.currency, s.created_at, s.closed_at"""
_TALLY = {
    Dimension.STORE: "s.store",
    Dimension.DEVICE: "coalesce(nullif(d.name, ''), d.id)",
    Dimension.PROVIDER: "s.provider",
    Dimension.STATUS: "s.status",
}
_DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"
# a sale still waiting for its customer or its provider (the domain's OPEN_STATUSES)
_OPEN = "s.status IN ({})".format(", ".join(f"'{s.value}'" for s in sorted(OPEN_STATUSES)))
_TOTALS = f"""
SELECT s.currency, count(*), count(*) FILTER (WHERE {_OPEN}), coalesce(sum(s.amount), 0),
    coalesce(sum(CASE WHEN s.payload->>'amount_received' ~ '{_DECIMAL}' THEN (s.payload->>'amount_received')::numeric
    END), 0),
    coalesce(sum(CASE WHEN s.payload->>'amount_refunded' ~ '{_DECIMAL}' THEN (s.payload->>'amount_refunded')::numeric
    END), 0)
FROM sales s WHERE s.business_day = %s GROUP BY s.currency ORDER BY s.currency
"""
# the record a conflict is about: the one at its (device, stream, seq), else the one filed with its record_id
_FIRST = """
LEFT JOIN LATERAL (
    (SELECT r.device_id, r.stream, r.seq, r.kind, r.payload FROM records r
     WHERE r.device_id = c.device_id AND r.stream = c.stream AND r.seq = c.seq)
    UNION ALL
    (SELECT r.device_id, r.stream, r.seq, r.kind, r.payload FROM records r WHERE r.record_id = c.record_id)
    LIMIT 1
) f ON true
"""
_TIME = r"^\d{4}-\d\d-\d\dT[0-9:.]+([+-]\d\d:?\d\d|Z)$"
_REPROJECT = f"""
UPDATE sales SET status = coalesce(%(p)s::jsonb->>'status', ''),
    amount = CASE WHEN %(p)s::jsonb->>'amount' ~ '{_DECIMAL}' THEN (%(p)s::jsonb->>'amount')::numeric END,
    currency = coalesce(%(p)s::jsonb->>'currency', ''), provider = coalesce(%(p)s::jsonb->>'provider', ''),
    closed_at = CASE WHEN %(p)s::jsonb->>'closed_at' ~ '{_TIME}' THEN (%(p)s::jsonb->>'closed_at')::timestamptz END,
    payload = %(p)s::jsonb
WHERE sale_id = %(p)s::jsonb->>'sale_id' AND device_id = %(device)s AND seq = %(seq)s
"""


async def day_view(conn: psycopg.AsyncConnection, day: date) -> DayView:
    tallies: dict[Dimension, list[Tally]] = {}
    async with conn.cursor() as cur:
        for dim, expr in _TALLY.items():
            await cur.execute(
                f"SELECT {expr}, s.currency, count(*), coalesce(sum(s.amount), 0) FROM sales s"
                " JOIN devices d ON d.id = s.device_id WHERE s.business_day = %s GROUP BY 1, 2 ORDER BY 1, 2",
                (day,),
            )
            tallies[dim] = [Tally(*row) for row in await cur.fetchall()]
        await cur.execute(_TOTALS, (day,))
        totals = [Total(*row) for row in await cur.fetchall()]
    return DayView(day, totals, tallies, await _sales(conn, day, open_only=True), await _sales(conn, day))


@dataclass(frozen=True)
class StoreDay:
    """A store's business day: closed or not (by whom, when), and the records that reached it after it closed."""

    store: str
    closed_at: datetime | None
    closed_by: str
    late: int


_STORE_DAYS = """
WITH stores AS (
    SELECT store FROM sales WHERE business_day = %(day)s
    UNION SELECT store FROM closed_days WHERE day = %(day)s
)
SELECT st.store, c.closed_at, coalesce(c.closed_by, ''),
       (SELECT count(*) FROM records r JOIN devices d ON d.id = r.device_id
        WHERE d.store = st.store AND r.business_day = %(day)s AND r.late)
FROM stores st LEFT JOIN closed_days c ON c.store = st.store AND c.day = %(day)s
ORDER BY st.store
"""


async def store_days(conn: psycopg.AsyncConnection, day: date) -> list[StoreDay]:
    """The stores with sales on ``day`` (or closed on it), each with its day's state."""
    cur = await conn.execute(_STORE_DAYS, {"day": day})
    return [StoreDay(str(store), at, str(by), int(late)) for store, at, by, late in await cur.fetchall()]


async def _sales(conn: psycopg.AsyncConnection, day: date, *, open_only: bool = False) -> list[SaleRow]:
    where = f" AND {_OPEN}" if open_only else ""
    async with conn.cursor(row_factory=class_row(SaleRow)) as cur:
        await cur.execute(
            f"SELECT {_SALE_COLUMNS} FROM sales s JOIN devices d ON d.id = s.device_id"
            f" WHERE s.business_day = %s{where} ORDER BY s.created_at DESC NULLS LAST, s.sale_id LIMIT %s",
            (day, SALES_SHOWN),
        )
        return await cur.fetchall()


async def sale_history(conn: psycopg.AsyncConnection, sale_id: str) -> tuple[SaleRow | None, list[HistoryRow]]:
    """The sale as it stands, and every record about it, by device and seq."""
    async with conn.cursor(row_factory=class_row(SaleRow)) as cur:
        await cur.execute(
            f"SELECT {_SALE_COLUMNS} FROM sales s JOIN devices d ON d.id = s.device_id WHERE s.sale_id = %s",
            (sale_id,),
        )
        sale = await cur.fetchone()
    async with conn.cursor(row_factory=class_row(HistoryRow)) as cur:
        await cur.execute(
            "SELECT coalesce(nullif(d.name, ''), d.id) AS device, r.stream, r.seq, r.kind, r.device_time,"
            " r.received_at, r.late, r.payload FROM records r JOIN devices d ON d.id = r.device_id"
            " WHERE r.payload->>'sale_id' = %s AND r.kind IN ('sale', 'sale_event', 'refund')"
            " ORDER BY r.device_id, r.stream, r.seq",
            (sale_id,),
        )
        return sale, await cur.fetchall()


async def readings(conn: psycopg.AsyncConnection) -> list[ReadingRow]:
    async with conn.cursor(row_factory=class_row(ReadingRow)) as cur:
        await cur.execute(
            "SELECT coalesce(nullif(d.name, ''), d.id) AS device, d.store, r.bill_id, r.business_day, r.reading,"
            " r.state FROM readings r JOIN devices d ON d.id = r.device_id"
            " ORDER BY r.business_day DESC, d.store, r.bill_id LIMIT %s",
            (READINGS_SHOWN,),
        )
        return await cur.fetchall()


async def devices(conn: psycopg.AsyncConnection) -> list[DeviceRow]:
    async with conn.cursor() as cur:
        await cur.execute(
            "SELECT c.device_id, c.stream, c.seq, greatest(c.seq,"
            " (SELECT max(seq) FROM records r WHERE r.device_id = c.device_id AND r.stream = c.stream),"
            " (SELECT max(seq) FROM refused x WHERE x.device_id = c.device_id AND x.stream = c.stream),"
            " (SELECT max(seq) FROM conflicts k WHERE k.device_id = c.device_id AND k.stream = c.stream))"
            " FROM cursors c ORDER BY c.device_id, c.stream"
        )
        lags: dict[str, list[StreamLag]] = {}
        for device_id, stream, cursor, highest in await cur.fetchall():
            lags.setdefault(device_id, []).append(StreamLag(stream, cursor, highest))
        await cur.execute(
            "SELECT id, name, kind, store, created_at, last_seen, last_skew_s, flagged_skew, revoked_at FROM devices"
            " ORDER BY store, name, id"
        )
        return [
            DeviceRow(id_, name, kind, store, created, seen, skew, flagged, revoked, lags.get(id_, []))
            for id_, name, kind, store, created, seen, skew, flagged, revoked in await cur.fetchall()
        ]


async def conflicts(conn: psycopg.AsyncConnection) -> list[ConflictRow]:
    """Open conflicts first (oldest first), then the resolved ones (newest first)."""
    async with conn.cursor(row_factory=class_row(ConflictRow)) as cur:
        await cur.execute(
            "SELECT c.id, coalesce(nullif(d.name, ''), d.id) AS device, c.stream, c.seq, c.record_id, c.reason,"
            " c.reported_at, f.payload AS first, c.payload AS second, c.resolved_at, c.resolved_by, c.resolution"
            f" FROM conflicts c JOIN devices d ON d.id = c.device_id {_FIRST}"
            " ORDER BY c.resolved_at IS NOT NULL, c.resolved_at DESC, c.reported_at, c.id LIMIT 500"
        )
        return await cur.fetchall()


async def resolve_conflict(conn: psycopg.AsyncConnection, conflict_id: int, how: Resolution, by: str) -> bool:
    """Resolves an open conflict (False when there is none of that id); ``TAKE_SECOND`` puts the version sent later
    in the record's place (its payload and hash), and in the sale's projection when that record is its latest."""
    async with conn.transaction():
        cur = await conn.execute(
            "SELECT c.payload, c.sha256, c.record_id, f.device_id, f.stream, f.seq, f.kind FROM conflicts c"
            f" {_FIRST} WHERE c.id = %s AND c.resolved_at IS NULL FOR UPDATE OF c",
            (conflict_id,),
        )
        row = await cur.fetchone()
        if row is None:
            return False
        payload, sha, record_id, device, stream, seq, kind = row
        if how is Resolution.TAKE_SECOND and device is not None:
            await conn.execute(
                "UPDATE records SET payload = %s, sha256 = %s, record_id = CASE WHEN EXISTS (SELECT 1 FROM records"
                " o WHERE o.record_id = %s) THEN record_id ELSE %s END WHERE device_id = %s AND stream = %s AND seq = %s",
                (Jsonb(payload), sha, record_id, record_id, device, stream, seq),
            )
            if kind == "sale":
                await conn.execute(_REPROJECT, {"p": Jsonb(payload), "device": device, "seq": seq})
        await conn.execute(
            "UPDATE conflicts SET resolved_at = now(), resolved_by = %s, resolution = %s WHERE id = %s",
            (by, how.value, conflict_id),
        )
    return True


async def export_rows(conn: psycopg.AsyncConnection, day: date) -> list[tuple[str, ...]]:
    """The day's sales for the CSV: amounts as the payloads' own decimal strings, times in ISO 8601."""
    cur = await conn.execute(
        "SELECT s.sale_id, s.business_day::text, s.store, coalesce(nullif(d.name, ''), d.id), s.device_id,"
        " s.provider, s.status, coalesce(s.payload->>'amount', ''), s.currency,"
        " coalesce(s.payload->>'amount_received', ''), coalesce(s.payload->>'amount_refunded', ''),"
        " coalesce(s.payload->>'created_at', ''), coalesce(s.payload->>'closed_at', '')"
        " FROM sales s JOIN devices d ON d.id = s.device_id WHERE s.business_day = %s"
        " ORDER BY s.created_at NULLS LAST, s.sale_id",
        (day,),
    )
    return [tuple(str(v) for v in row) for row in await cur.fetchall()]
