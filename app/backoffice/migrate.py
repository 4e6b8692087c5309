"""The back office's schema: plain numbered SQL files (``migrations/NNNN_name.sql``) applied in order.

Each file runs in its own transaction and is recorded in ``schema_migrations`` with its sha256, all under one
PostgreSQL advisory lock: several service instances starting at once migrate once (the others wait, then find
nothing left to do). A file already applied whose text has changed is an error, never applied again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import psycopg

LOCK_KEY = 0x7111_0B0F  # pg_advisory_lock's key for "migrating the back office" (any constant both sides share)
_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")


class MigrationError(RuntimeError):
    """The database's schema is not one this code can bring up to date; the message says why."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def migrations() -> list[Migration]:
    """The migrations shipped with this code, in order."""
    found = []
    for entry in resources.files(__package__).joinpath("migrations").iterdir():
        m = _NAME.fullmatch(entry.name)
        if m:
            found.append(Migration(int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise MigrationError("the migrations are not numbered 1, 2, 3 … without gaps")
    return found


def migrate(dsn: str, wanted: list[Migration] | None = None) -> list[Migration]:
    """Applies what is missing; returns what this call applied (empty when the schema was current)."""
    wanted = migrations() if wanted is None else wanted
    applied: list[Migration] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
                " sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {v: sha for v, sha in conn.execute("SELECT version, sha256 FROM schema_migrations")}
            newer = sorted(set(done) - {m.version for m in wanted})
            if newer:
                raise MigrationError(f"the database has migration {newer[-1]}, newer than this code knows")
            for m in wanted:
                if m.version in done:
                    if done[m.version] != m.sha256:
                        raise MigrationError(f"migration {m.version:04d}_{m.name} changed after it was applied")
                    continue
                with conn.transaction():
                    conn.execute(m.sql.encode())  # no parameters: the whole file as one simple query
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, sha256) VALUES (%s, %s, %s)",
                        (m.version, m.name, m.sha256),
                    )
                applied.append(m)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    return applied


def current_version(dsn: str) -> int:
    """The highest migration applied (0 for a database never migrated)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
        if not (exists and exists[0]):
            return 0
        row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
        return int(row[0]) if row else 0
