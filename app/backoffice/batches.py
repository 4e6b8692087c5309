"""One batch of records into PostgreSQL in one transaction, exactly once (``store_batch``).

The batch's records are COPYed into a temporary staging table, then ``INSERT … SELECT … ON CONFLICT DO NOTHING
RETURNING`` files the new ones; the rest already had a row with their ``(device, stream, seq)`` or their
``record_id``: the same record with the same bytes is a DUPLICATE (acknowledged again), anything else a CONFLICT
(listed in ``conflicts`` for a person; the first stands). A record ``Record.problem()`` rejects is REFUSED and
kept in ``refused`` with its reason. The projections (``sales``, ``readings``) are updated in the same
transaction, from the records accepted now. Each stream's cursor then moves to the highest seq below which every
seq is handled (a gap stops it: seq 1, 2, 4 → 2), under the cursor row's lock, so several service instances on
one database agree. A record of a business day already closed is never refused: filed under its day, ``late``.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

import psycopg
from psycopg import errors as pgerrors
from psycopg.types.json import Jsonb

from app.domain.jsontypes import Json
from app.replication.wire import (
    ACCEPTED_SCHEMA_VERSIONS,
    Batch,
    BatchReply,
    Outcome,
    Record,
    RecordKind,
    RecordResult,
    Stream,
)

from .db import Device
from .fastjson import hashed_canonical

log = logging.getLogger("tillqr.backoffice")

SKEW_FLAG_S = 120.0  # a device further off than this is flagged
ATTEMPTS = 5  # a batch's transaction tried again after a deadlock or a serialization failure

_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS staging (
    stream text, seq bigint, record_id text, kind text, schema_version integer, payload jsonb, sha256 text,
    device_time timestamptz, business_day date,
    sale_id text, status text, amount numeric, currency text, provider text, created_at timestamptz,
    closed_at timestamptz, sale_day date, bill_id text
) ON COMMIT DELETE ROWS
"""
_COLUMNS = (
    "stream, seq, record_id, kind, schema_version, payload, sha256, device_time, business_day,"
    " sale_id, status, amount, currency, provider, created_at, closed_at, sale_day, bill_id"
)
# One statement files the batch and, when it holds sales, projects the ones filed now (a data-modifying CTE: no
# second pass over the staging rows to mark which were filed). It answers the (stream, seq) filed.
_INSERT = """
WITH ins AS (
    INSERT INTO records (device_id, stream, seq, record_id, kind, schema_version, payload, sha256, device_time,
                         business_day, late)
    SELECT %(device)s, s.stream, s.seq, s.record_id, s.kind, s.schema_version, s.payload, s.sha256, s.device_time,
           s.business_day, EXISTS (SELECT 1 FROM closed_days c WHERE c.store = %(store)s AND c.day = s.business_day)
    FROM staging s ORDER BY s.stream, s.seq
    ON CONFLICT DO NOTHING
    RETURNING stream, seq
){sales}
SELECT stream, seq FROM ins
"""
_SALES = """, projected AS (
INSERT INTO sales (sale_id, device_id, seq, store, status, amount, currency, provider, created_at, closed_at,
                   business_day, payload)
SELECT DISTINCT ON (s.sale_id) s.sale_id, %(device)s, s.seq, %(store)s, coalesce(s.status, ''), s.amount,
       coalesce(s.currency, ''), coalesce(s.provider, ''), s.created_at, s.closed_at, s.sale_day, s.payload
FROM staging s JOIN ins ON ins.stream = s.stream AND ins.seq = s.seq
WHERE s.kind = 'sale' AND s.sale_id IS NOT NULL
ORDER BY s.sale_id, s.seq DESC
ON CONFLICT (sale_id) DO UPDATE SET seq = excluded.seq, status = excluded.status, amount = excluded.amount,
    currency = excluded.currency, provider = excluded.provider, created_at = excluded.created_at,
    closed_at = excluded.closed_at, business_day = excluded.business_day, payload = excluded.payload
WHERE sales.device_id = excluded.device_id AND sales.seq < excluded.seq
)"""
_FILE_ONLY = _INSERT.format(sales="")
_FILE_AND_SALES = _INSERT.format(sales=_SALES)
# The staging rows among (stream, seq) pairs given as two arrays (the filed ones, or the ones not filed).
_AMONG = (
    "JOIN unnest(%(streams)s::text[], %(seqs)s::bigint[]) AS m(stream, seq) ON m.stream = s.stream AND m.seq = s.seq"
)
_READINGS = """
INSERT INTO readings (device_id, bill_id, {seq}, {value}, business_day)
SELECT DISTINCT ON (s.bill_id) %(device)s, s.bill_id, s.seq, s.payload, s.business_day
FROM staging s {among} WHERE s.kind = %(kind)s AND s.bill_id IS NOT NULL
ORDER BY s.bill_id, s.seq DESC
ON CONFLICT (device_id, bill_id) DO UPDATE SET {seq} = excluded.{seq}, {value} = excluded.{value},
    business_day = excluded.business_day
WHERE readings.{seq} IS NULL OR readings.{seq} < excluded.{seq}
"""
_READING_SQL = {
    RecordKind.READING: _READINGS.format(seq="reading_seq", value="reading", among=_AMONG),
    RecordKind.BILL_STATE: _READINGS.format(seq="state_seq", value="state", among=_AMONG),
}
_FILED = f"""
SELECT s.stream, s.seq, s.record_id, s.sha256, s.payload, f.device_id, f.stream, f.seq, f.record_id, f.sha256
FROM staging s {_AMONG} CROSS JOIN LATERAL (
    (SELECT r.device_id, r.stream, r.seq, r.record_id, r.sha256 FROM records r
     WHERE r.device_id = %(device)s AND r.stream = s.stream AND r.seq = s.seq)
    UNION ALL
    (SELECT r.device_id, r.stream, r.seq, r.record_id, r.sha256 FROM records r WHERE r.record_id = s.record_id)
    LIMIT 1
) f
"""
_CONFLICT = """
INSERT INTO conflicts (device_id, stream, seq, record_id, sha256, payload, first_sha256, reason)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING
"""
_REFUSED = """
INSERT INTO refused (device_id, stream, seq, record_id, kind, schema_version, payload, sha256, reason)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (device_id, stream, seq) DO UPDATE SET record_id = excluded.record_id, kind = excluded.kind,
    schema_version = excluded.schema_version, payload = excluded.payload, sha256 = excluded.sha256,
    reason = excluded.reason, received_at = now()
"""
_HANDLED_UP_TO = """
SELECT coalesce(max(seq), %(c)s) FROM (
    SELECT seq, seq - row_number() OVER (ORDER BY seq) AS island FROM (
        SELECT seq FROM records WHERE device_id = %(d)s AND stream = %(s)s AND seq > %(c)s
        UNION SELECT seq FROM refused WHERE device_id = %(d)s AND stream = %(s)s AND seq > %(c)s
        UNION SELECT seq FROM conflicts WHERE device_id = %(d)s AND stream = %(s)s AND seq > %(c)s
    ) handled
) numbered WHERE island = %(c)s
"""


# A NUL in canonical JSON: "\u0000" after an even number of backslashes (an odd one makes it the text "\u0000")
_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


class BatchRefused(ValueError):
    """A batch that is not one (HTTP 400): the message says why."""


@dataclass(frozen=True)
class _Filed:
    outcome: Outcome
    reason: str


async def store_batch(conn: psycopg.AsyncConnection, device: Device, batch: Batch, received: datetime) -> BatchReply:
    """Files ``batch`` for ``device`` in one transaction (tried again after a deadlock); the reply to send."""
    check_batch(device, batch)
    sent_at = _aware(batch.sent_at)
    if sent_at is None:
        raise BatchRefused("sent_at must be ISO 8601 with its offset")
    skew = (sent_at - received).total_seconds()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with conn.transaction():
                return await _store(conn, device, batch, skew, received)
        except (pgerrors.DeadlockDetected, pgerrors.SerializationFailure) as exc:
            if attempt == ATTEMPTS:
                raise
            log.info("batch of %s tried again (%s)", device.id, type(exc).__name__)
    raise AssertionError("unreachable")


def check_batch(device: Device, batch: Batch) -> None:
    if batch.device_id != device.id or "\x00" in batch.sent_at:
        raise BatchRefused("the batch's device_id is not the token's device")
    seen: set[tuple[Stream, int]] = set()
    for r in batch.records:
        if any("\x00" in text for text in (r.record_id, str(r.kind), r.device_time)):
            raise BatchRefused(f"record {r.stream.value}/{r.seq} holds a NUL character outside its payload")
        if r.device_id != device.id:
            raise BatchRefused(f"record {r.stream.value}/{r.seq} names another device")
        if (r.stream, r.seq) in seen:
            raise BatchRefused(f"{r.stream.value}/{r.seq} appears twice in the batch")
        seen.add((r.stream, r.seq))


def refusal(record: Record) -> tuple[str, bytes]:
    """Why the back office refuses ``record`` for good ("" when it takes it), and its payload's canonical bytes:
    the contract's reasons, and the two PostgreSQL adds (a time without its offset has no business day; jsonb
    cannot hold a NUL character)."""
    vetted = _vet(record)
    return (vetted, b"") if isinstance(vetted, str) else ("", vetted[0])


def _vet(record: Record) -> str | tuple[bytes, datetime]:
    """``refusal``'s work: the reason, or the canonical bytes (made once: hashed, then COPYed) and the device time."""
    if not isinstance(record.kind, RecordKind) or record.schema_version not in ACCEPTED_SCHEMA_VERSIONS:
        return record.problem()
    try:
        body, matches = hashed_canonical(record.payload, record.sha256)
    except ValueError as exc:  # NaN, or a lone surrogate: bytes that cannot be hashed as the contract says
        return f"the payload cannot be hashed ({exc})"
    if not matches:
        return record.problem(body)
    at = _aware(record.device_time)
    if at is None:
        return "device_time must be ISO 8601 with its offset"
    if b"\\u0000" in body and _NUL.search(body):  # the plain search first: the pattern is slow, NULs are rare
        return "the payload holds a NUL character"
    return body, at


async def _store(
    conn: psycopg.AsyncConnection, device: Device, batch: Batch, skew: float, received: datetime
) -> BatchReply:
    await conn.execute(_STAGING)
    outcomes: dict[tuple[Stream, int], _Filed] = {}
    refused = []
    rows: list[tuple[object, ...]] = []
    for r in batch.records:
        vetted = _vet(r)
        if isinstance(vetted, str):
            refused.append((r, vetted))
            outcomes[(r.stream, r.seq)] = _Filed(Outcome.REFUSED, vetted)
        else:
            rows.append(_staged(r, *vetted))
    async with conn.cursor() as cur:
        if rows:
            async with cur.copy(f"COPY staging ({_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    await copy.write_row(row)
        keys = {"device": device.id, "store": device.store}
        kinds = {r.kind for r in batch.records}
        filed: list[tuple[str, int]] = []
        if rows:  # one round trip: filed, the sales among them projected, and which were filed
            await cur.execute(_FILE_AND_SALES if RecordKind.SALE in kinds else _FILE_ONLY, keys)
            filed = [(stream, seq) for stream, seq in await cur.fetchall()]
            for stream, seq in filed:
                outcomes[(_STREAMS[stream], seq)] = _Filed(Outcome.ACCEPTED, "")
        if filed:  # the readings' projections, from the records filed now
            for kind, sql in _READING_SQL.items():
                if kind in kinds:
                    await cur.execute(sql, {**keys, **_pairs(filed), "kind": kind.value})
        found = []
        if len(filed) < len(rows):  # some were filed before: as they were (a duplicate), or not (a conflict)
            staged = [(r.stream.value, r.seq) for r in batch.records if (r.stream, r.seq) not in outcomes]
            await cur.execute(_FILED, {**keys, **_pairs(staged)})
            found = await cur.fetchall()
        conflicts = []
        for stream, seq, rid, sha, payload, f_dev, f_stream, f_seq, f_rid, f_sha in found:
            here = (f_dev, f_stream, f_seq) == (device.id, stream, seq)
            if here and f_rid == rid and f_sha == sha:
                outcomes[(Stream(stream), seq)] = _Filed(Outcome.DUPLICATE, "")
                continue
            if not here:
                reason = f"record_id {rid} is already filed as {f_stream}/{f_seq} of device {f_dev}"
            elif f_rid != rid:
                reason = f"{stream}/{seq} already holds record {f_rid}"
            else:
                reason = f"{stream}/{seq} already holds other bytes (sha256 {f_sha})"
            outcomes[(Stream(stream), seq)] = _Filed(Outcome.CONFLICT, reason)
            conflicts.append((device.id, stream, seq, rid, sha, payload, f_sha, reason))
        if conflicts:
            await cur.executemany(_CONFLICT, [(*c[:5], Jsonb(c[5]), *c[6:]) for c in conflicts])
        if refused:
            await cur.executemany(_REFUSED, [_refused_row(device.id, r, reason) for r, reason in refused])
        missing = [f"{s.value}/{n}" for s, n in ((r.stream, r.seq) for r in batch.records) if (s, n) not in outcomes]
        if missing:  # every record was filed one way or the other: a miss is a bug, never an answer
            raise RuntimeError(f"records neither filed nor found: {', '.join(missing[:5])}")
        for stream in sorted({r.stream for r in batch.records}):
            await _advance(cur, device.id, stream)
        await cur.execute(
            "UPDATE devices SET last_seen = %s, last_skew_s = %s, flagged_skew = %s WHERE id = %s",
            (received, skew, abs(skew) > SKEW_FLAG_S, device.id),
        )
        cursors = await read_cursors(cur, device.id)
    results = [RecordResult(r.stream, r.seq, *_pair(outcomes[(r.stream, r.seq)])) for r in batch.records]
    return BatchReply(results, cursors, skew, received.isoformat(timespec="milliseconds"))


def _pairs(keys: list[tuple[str, int]]) -> dict[str, list[str] | list[int]]:
    """(stream, seq) pairs as the two arrays ``_AMONG`` unnests."""
    return {"streams": [k[0] for k in keys], "seqs": [k[1] for k in keys]}


def _pair(filed: _Filed) -> tuple[Outcome, str]:
    return filed.outcome, filed.reason


async def _advance(cur: psycopg.AsyncCursor, device_id: str, stream: Stream) -> None:
    """Moves the stream's cursor as far as every seq is handled, under its row's lock (taken by the upsert)."""
    keys = {"d": device_id, "s": stream.value}
    await cur.execute(_LOCK_CURSOR, keys)
    row = await cur.fetchone()
    assert row is not None
    await cur.execute(_MOVE_CURSOR, {**keys, "c": row[0]})


_LOCK_CURSOR = """
INSERT INTO cursors (device_id, stream) VALUES (%(d)s, %(s)s)
ON CONFLICT (device_id, stream) DO UPDATE SET seq = cursors.seq RETURNING seq
"""
_MOVE_CURSOR = f"""
UPDATE cursors SET seq = h.up_to FROM ({_HANDLED_UP_TO}) h (up_to)
WHERE device_id = %(d)s AND stream = %(s)s AND h.up_to > cursors.seq
"""


async def read_cursors(cur: psycopg.AsyncCursor, device_id: str) -> dict[Stream, int]:
    await cur.execute("SELECT stream, seq FROM cursors WHERE device_id = %s", (device_id,))
    known = set(Stream.__members__.values())
    return {Stream(s): int(n) for s, n in await cur.fetchall() if s in known}


def _staged(r: Record, body: bytes, at: datetime) -> tuple[object, ...]:
    """The record's staging row (its columns: ``_COLUMNS``)."""
    day = at.date()
    p = r.payload
    sale: tuple[object, ...] = _NO_SALE
    if r.kind is RecordKind.SALE:
        created = _aware(_text(p.get("created_at")))
        sale = (
            _text(p.get("sale_id")),
            _text(p.get("status")),
            finite_decimal(p.get("amount")),
            _text(p.get("currency")),
            _text(p.get("provider")),
            created,
            _aware(_text(p.get("closed_at"))),
            created.date() if created else day,
        )
    bill = _text(p.get("bill_id")) if r.kind in _READING_SQL else None
    return (r.stream.value, r.seq, r.record_id, str(r.kind), r.schema_version, body.decode(), r.sha256, at, day,
            *sale, bill)  # fmt: skip


_NO_SALE = (None,) * 8
_STREAMS = {s.value: s for s in Stream}


def _refused_row(device_id: str, r: Record, reason: str) -> tuple[object, ...]:
    body = json.dumps(r.payload, sort_keys=True, ensure_ascii=True)  # as text, whatever made it refused
    return (device_id, r.stream.value, r.seq, r.record_id, str(r.kind), r.schema_version, body, r.sha256, reason)


def _aware(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def _text(value: Json) -> str | None:
    return value if isinstance(value, str) and value else None


def finite_decimal(value: Json) -> Decimal | None:
    """A decimal string as its exact value; None for anything else (not a string, not a number, NaN, infinite)."""
    if not isinstance(value, str):
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None
