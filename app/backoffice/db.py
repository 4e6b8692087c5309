"""The back office's database: the connection pool, and the devices — enrolment codes, tokens, revocation.

A device's token is 256 random bits (``secrets.token_urlsafe(32)``) shown once, at registration; the database
keeps only its sha256. A token is not a password (nothing to guess, no dictionary), so a fast hash is the right
one: argon2 is for the managers' passwords. An enrolment code is made by a person (``tillqr backoffice enrol``),
typed on the machine once, valid for a day by default, and kept as its sha256 too.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import psycopg
from psycopg.rows import class_row
from psycopg_pool import AsyncConnectionPool

DSN_ENV = "TILLQR_BACKOFFICE_DSN"
ENROLMENT_VALID = timedelta(hours=24)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand


class DeviceKind(StrEnum):
    TILL = "till"
    LAPTOP = "laptop"


class EnrolmentError(ValueError):
    """An enrolment code that is unknown, already used or expired."""


@dataclass(frozen=True)
class Device:
    id: str
    name: str
    kind: str
    store: str
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True)
class Enrolment:
    code: str  # shown once
    expires_at: datetime


def dsn_from(arg: str | None) -> str:
    """The DSN given, else TILLQR_BACKOFFICE_DSN's, else ""."""
    return arg or os.environ.get(DSN_ENV, "")


def make_pool(dsn: str, *, max_size: int = 10) -> AsyncConnectionPool:
    """An unopened pool of autocommit connections (each unit of work opens its own transaction). Each connection
    is checked as it is handed out, so after PostgreSQL restarts no request gets a dead one (a 500)."""
    return AsyncConnectionPool(
        dsn,
        min_size=1,
        max_size=max_size,
        open=False,
        kwargs={"autocommit": True},
        check=AsyncConnectionPool.check_connection,
    )


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_code() -> str:
    """A one-time code of 16 characters (80 bits) in four groups: ``K7QM-2XRT-…``."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


async def enrol(
    conn: psycopg.AsyncConnection,
    *,
    name: str = "",
    store: str = "",
    kind: DeviceKind = DeviceKind.TILL,
    valid: timedelta = ENROLMENT_VALID,
) -> Enrolment:
    code = new_code()
    cur = await conn.execute(
        "INSERT INTO enrolments (code_hash, name, kind, store, expires_at) VALUES (%s, %s, %s, %s, now() + %s)"
        " RETURNING expires_at",
        (hashlib.sha256(normalise_code(code).encode()).digest(), name, kind.value, store, valid),
    )
    row = await cur.fetchone()
    assert row is not None
    return Enrolment(code, row[0])


async def register(conn: psycopg.AsyncConnection, code: str, *, name: str = "") -> tuple[str, str]:
    """(device id, token) for a valid enrolment code, which is then used up; EnrolmentError otherwise. The
    device's kind and store are the enrolment's (a person chose them); its name too, unless that was left empty."""
    code_hash = hashlib.sha256(normalise_code(code).encode()).digest()
    token = secrets.token_urlsafe(32)
    device_id = str(uuid.uuid4())
    async with conn.transaction():
        cur = await conn.execute(
            "SELECT name, kind, store FROM enrolments WHERE code_hash = %s AND used_at IS NULL AND expires_at > now()"
            " FOR UPDATE",
            (code_hash,),
        )
        row = await cur.fetchone()
        if row is None:
            raise EnrolmentError("enrolment code unknown, used or expired")
        e_name, kind, store = row
        await conn.execute(
            "INSERT INTO devices (id, name, kind, store, token_hash) VALUES (%s, %s, %s, %s, %s)",
            (device_id, e_name or name, kind, store, token_hash(token)),
        )
        await conn.execute(
            "UPDATE enrolments SET used_at = now(), device_id = %s WHERE code_hash = %s", (device_id, code_hash)
        )
    return device_id, token


async def device_for_token(conn: psycopg.AsyncConnection, token: str) -> Device | None:
    async with conn.cursor(row_factory=class_row(Device)) as cur:
        await cur.execute(
            "SELECT id, name, kind, store, revoked_at FROM devices WHERE token_hash = %s", (token_hash(token),)
        )
        return await cur.fetchone()


async def revoke(conn: psycopg.AsyncConnection, device_id: str) -> bool:
    """Revokes the device (its next contact is answered 403 ``{"revoked": true}``, and every service instance
    closes its open events websocket: ``REVOKED_CHANNEL``); False when unknown."""
    cur = await conn.execute(
        "UPDATE devices SET revoked_at = coalesce(revoked_at, now()) WHERE id = %s RETURNING id", (device_id,)
    )
    if await cur.fetchone() is None:
        return False
    await conn.execute("SELECT pg_notify(%s, %s)", (REVOKED_CHANNEL, device_id))  # sent once committed
    return True


REVOKED_CHANNEL = "tillqr_revoked"  # NOTIFY: a device just revoked (its id), for the relay's open websockets


async def close_day(conn: psycopg.AsyncConnection, store: str, day: str, by: str = "") -> None:
    """Closes a store's business day (YYYY-MM-DD): its records arriving later are filed under it, marked late."""
    await conn.execute(
        "INSERT INTO closed_days (store, day, closed_by) VALUES (%s, %s::date, %s) ON CONFLICT DO NOTHING",
        (store, day, by),
    )
