"""The back office's managers: who may open its pages, their sessions, and the key cookies are signed with.

A manager's password is hashed with argon2id (argon2-cffi's ``PasswordHasher``, its default parameters, rehashed
at the next login when they change); hashing runs on a worker thread, never on the event loop. A login for a name
that does not exist still verifies against a dummy hash, so the answer's time does not tell which names exist.

A session is 256 random bits: the cookie holds the id signed with the database's page key (HMAC-SHA256, so a
cookie made up elsewhere is refused before any query), the database only its sha256, with the session's CSRF
token and its expiry. Everything is in PostgreSQL: any instance of the service answers any request.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.i18n import _

SESSION_TTL = timedelta(hours=12)
MIN_PASSWORD = 10  # characters
_HASHER = PasswordHasher()
_ADD = "INSERT INTO managers (name, password_hash) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING RETURNING true"
# xmax = 0: the row was inserted, not updated
_REPLACE = (
    "INSERT INTO managers (name, password_hash) VALUES (%s, %s) ON CONFLICT (name)"
    " DO UPDATE SET password_hash = excluded.password_hash, disabled_at = NULL RETURNING (xmax = 0)"
)


@functools.cache
def _dummy() -> str:
    """A hash verified against when the name is unknown (made once, at the first such login)."""
    return _HASHER.hash(secrets.token_urlsafe(16))


class ManagerError(ValueError):
    """A manager that cannot be added (a name taken, a password too short); the message is for people."""


@dataclass(frozen=True)
class Session:
    manager: str
    csrf: str


def _hash(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


async def add_manager(conn: psycopg.AsyncConnection, name: str, password: str, *, replace: bool = False) -> bool:
    """Adds the manager (or, with ``replace``, sets a new password for one); True when added, False when replaced.
    ManagerError for an empty name, a short password, or a name taken (without ``replace``)."""
    name = name.strip()
    if not name:
        raise ManagerError(_("a manager needs a name"))
    if len(password) < MIN_PASSWORD:
        raise ManagerError(_("the password must have at least {n} characters").format(n=MIN_PASSWORD))
    hashed = await asyncio.to_thread(_HASHER.hash, password)
    cur = await conn.execute(_REPLACE if replace else _ADD, (name, hashed))
    row = await cur.fetchone()
    if row is None:
        raise ManagerError(_("there is already a manager {name}").format(name=name))
    if not row[0]:  # an update: that manager's sessions end with the old password
        await conn.execute("DELETE FROM manager_sessions WHERE manager = %s", (name,))
    return bool(row[0])


MAX_FAILURES = 5  # wrong passwords for one name within FAILURE_WINDOW, then it waits
FAILURE_WINDOW = timedelta(minutes=15)


async def locked_for(conn: psycopg.AsyncConnection, name: str) -> timedelta | None:
    """How long ``name`` must wait before another try (None: it may try now): past MAX_FAILURES wrong passwords
    within FAILURE_WINDOW, until the oldest of them leaves the window. By name, not by address: behind the shop's
    proxy every address is the proxy's."""
    await conn.execute("DELETE FROM login_failures WHERE at < now() - %s", (FAILURE_WINDOW,))
    cur = await conn.execute(
        "SELECT count(*), min(at) + %s - now() FROM login_failures WHERE name = %s", (FAILURE_WINDOW, name)
    )
    row = await cur.fetchone()
    if row is None or row[0] < MAX_FAILURES:
        return None
    wait = row[1]
    return wait if isinstance(wait, timedelta) and wait > timedelta(0) else timedelta(seconds=1)


async def note_failure(conn: psycopg.AsyncConnection, name: str) -> None:
    await conn.execute("INSERT INTO login_failures (name) VALUES (%s)", (name,))


async def forget_failures(conn: psycopg.AsyncConnection, name: str) -> None:
    await conn.execute("DELETE FROM login_failures WHERE name = %s", (name,))


async def check_password(conn: psycopg.AsyncConnection, name: str, password: str) -> bool:
    """True when ``name`` is an active manager and ``password`` is theirs."""
    cur = await conn.execute("SELECT password_hash FROM managers WHERE name = %s AND disabled_at IS NULL", (name,))
    row = await cur.fetchone()
    stored = row[0] if row else _dummy()
    try:
        await asyncio.to_thread(_HASHER.verify, stored, password)
    except (VerificationError, InvalidHashError):
        return False
    if row is None:
        return False
    if _HASHER.check_needs_rehash(stored):
        rehashed = await asyncio.to_thread(_HASHER.hash, password)
        await conn.execute("UPDATE managers SET password_hash = %s WHERE name = %s", (rehashed, name))
    return True


async def open_session(conn: psycopg.AsyncConnection, manager: str) -> tuple[str, Session]:
    """A new session for ``manager``: (its id, for the cookie; the session)."""
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await conn.execute("DELETE FROM manager_sessions WHERE expires_at < now()")
    await conn.execute(
        "INSERT INTO manager_sessions (id_hash, manager, csrf, expires_at) VALUES (%s, %s, %s, now() + %s)",
        (_hash(session_id), manager, csrf, SESSION_TTL),
    )
    return session_id, Session(manager, csrf)


async def session_for(conn: psycopg.AsyncConnection, session_id: str) -> Session | None:
    """The live session of that id (its manager still active), or None."""
    cur = await conn.execute(
        "SELECT s.manager, s.csrf FROM manager_sessions s JOIN managers m ON m.name = s.manager"
        " WHERE s.id_hash = %s AND s.expires_at > now() AND m.disabled_at IS NULL",
        (_hash(session_id),),
    )
    row = await cur.fetchone()
    return Session(row[0], row[1]) if row else None


async def close_session(conn: psycopg.AsyncConnection, session_id: str) -> None:
    await conn.execute("DELETE FROM manager_sessions WHERE id_hash = %s", (_hash(session_id),))


async def page_key(conn: psycopg.AsyncConnection) -> bytes:
    """The key cookies are signed with: made once, by whichever instance asks first, and shared."""
    await conn.execute(
        "INSERT INTO page_keys (id, key) VALUES (1, %s) ON CONFLICT DO NOTHING", (secrets.token_bytes(32),)
    )
    cur = await conn.execute("SELECT key FROM page_keys WHERE id = 1")
    row = await cur.fetchone()
    assert row is not None
    return bytes(row[0])


def sign(key: bytes, value: str) -> str:
    mac = hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
    return f"{value}.{mac}"


def unsign(key: bytes, signed: str) -> str | None:
    """The value ``sign`` signed, or None when the signature does not match."""
    value, _dot, mac = signed.rpartition(".")
    if not value or not hmac.compare_digest(hmac.new(key, value.encode(), hashlib.sha256).hexdigest(), mac):
        return None
    return value
