"""The replication outbox's table, kept in the journal and in the field book (issue 15, DESIGN.md "Layout").

Every change the back office must see is appended here by ``append`` **inside the transaction that makes the
change** (``Journal.record``, ``record_refund``, ``close_refund``; ``Fieldbook.record``, ``apply``, ``drop``): the
change and its record are kept together or not at all, so no crash can leave one without the other.

``seq`` is SQLite's ``INTEGER PRIMARY KEY AUTOINCREMENT``: a rolled-back append rolls its number back too, and
rows are **never deleted** (acknowledged ones are kept, with ``acked_at``), so the numbers are gap-free from 1 —
what the back office's cursor counts on. The table is named ``replication_outbox`` in both files (the field
book's ``outbox`` is its queue to the provider). Records carry no device id: the sender stamps it when it sends
(``app.replication.outbox``), so what was written before the till registered goes once it has.

Payloads are JSON objects with money as decimal strings and times in ISO 8601 with their offset; ``sha256`` is
``app.replication.wire.digest`` of the payload, computed once here and stored beside its canonical text.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from enum import StrEnum

from app.domain.jsontypes import JsonObject
from app.replication.wire import SCHEMA_VERSION, RecordKind, canonical, new_record_id, now_iso

TABLE = "replication_outbox"

MIGRATION = f"""
    CREATE TABLE {TABLE} (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        record_id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        schema_version INTEGER NOT NULL,
        payload TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        device_time TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'waiting',
        reason TEXT NOT NULL DEFAULT '',
        acked_at TEXT
    );
    CREATE INDEX {TABLE}_waiting ON {TABLE} (state, seq)
"""


class RowState(StrEnum):
    WAITING = "waiting"  # not yet acknowledged by the back office
    ACKED = "acked"  # the back office committed it (accepted, or a duplicate of what it holds)
    SET_ASIDE = "set_aside"  # refused by the back office, or in conflict with what it holds: never sent again


def append(conn: sqlite3.Connection, kind: RecordKind, payload: JsonObject) -> int:
    """One record appended inside the caller's open transaction; its ``seq``."""
    body = canonical(payload)  # made once: stored, and hashed
    cur = conn.execute(
        f"""INSERT INTO {TABLE} (record_id, kind, schema_version, payload, sha256, device_time)
            VALUES (?,?,?,?,?,?)""",
        (new_record_id(), kind.value, SCHEMA_VERSION, body.decode(), hashlib.sha256(body).hexdigest(), now_iso()),
    )
    return int(cur.lastrowid or 0)


def plain(value: object) -> JsonObject:
    """``value`` (a detail dict with dates, Decimals …) as plain JSON: what ``json.dumps(default=str)`` keeps."""
    loaded = json.loads(json.dumps(value, default=str))
    return loaded if isinstance(loaded, dict) else {"value": loaded}


# -- a revoked device forgets its customers (app.replication.sender) ------------------------------------------
#: What "personal data" means here, exactly: a sale's ``reference`` (a customer's name or order number may be
#: typed there) in the journal's sales and in the SALE records of its outbox; a field customer's ``customer``
#: (name) and ``address`` on every bill of the field book, open routes included. Readings' payloads never carry
#: them (``app.storage.fieldbook`` writes bill id, meter and amounts only).
FORGET_JOURNAL = (
    "UPDATE sales SET reference='' WHERE reference != ''",
    f"UPDATE {TABLE} SET payload=json_set(payload, '$.reference', '') WHERE kind='sale' "
    "AND json_extract(payload, '$.reference') != ''",
)
FORGET_FIELDBOOK = ("UPDATE bills SET customer=NULL, address=NULL WHERE customer IS NOT NULL OR address IS NOT NULL",)


def forget(conn: sqlite3.Connection, statements: tuple[str, ...]) -> int:
    """Run ``statements`` (``FORGET_JOURNAL`` or ``FORGET_FIELDBOOK``) in the caller's transaction; rows changed."""
    return sum(conn.execute(sql).rowcount for sql in statements)
