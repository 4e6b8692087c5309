"""One SQLite database owned by one worker thread: the journal's and the field book's common plumbing.

WAL mode with ``synchronous=FULL`` (a committed write survives a power cut), foreign keys on, schema
versions in ``PRAGMA user_version`` (``migrations[n]`` moves a database from version n to n+1, each in
one transaction). All work runs on a single-worker executor, which serialises writes and keeps the
asyncio loop (the Qt loop, in the GUI) free while SQLite fsyncs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class DatabaseError(Exception):
    """A database that cannot be opened or is from a newer TillQR; the message names the file."""


class Database:
    """Async façade over one SQLite connection owned by one worker thread."""

    what = "database"  # how messages name it ("journal", "field book")
    migrations: Sequence[str] = ()
    error: type[DatabaseError] = DatabaseError

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"tillqr-{self.what.replace(' ', '-')}")
        self._conn: sqlite3.Connection | None = None
        self._pool.submit(self._open).result()

    def _open(self) -> None:
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with contextlib.suppress(OSError):  # created 0600 (its -wal and -shm files take its mode)
                os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        try:
            conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=5000")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise self.error(f"the {self.what} {self.path} cannot be opened: {exc}") from exc
        known = len(self.migrations)
        if version > known:
            conn.close()
            raise self.error(
                f"the {self.what} {self.path} is from a newer TillQR (schema {version}, this one knows {known})"
            )
        for n in range(version, known):
            conn.execute("BEGIN IMMEDIATE")
            try:
                for stmt in filter(str.strip, self.migrations[n].split(";")):
                    conn.execute(stmt)
                conn.execute(f"PRAGMA user_version={n + 1}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        self._conn = conn

    @property
    def conn(self) -> sqlite3.Connection:
        """The connection, for code running on the worker thread (inside ``_run``)."""
        if self._conn is None:
            raise self.error(f"the {self.what} {self.path} is closed")
        return self._conn

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def _tx(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn)
            conn.execute("COMMIT")
            return result
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    async def transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in one write transaction on the worker thread: all of it is kept, or none."""
        return await self._run(self._tx, fn)

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` (reads only) on the worker thread."""
        return await self._run(lambda: fn(self.conn))

    def close(self) -> None:
        def _close() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        self._pool.submit(_close).result()
        self._pool.shutdown(wait=True)

    async def aclose(self) -> None:
        conn = self._conn
        if conn is not None:
            await self._run(conn.close)
        self._conn = None
        self._pool.shutdown(wait=False)

    async def schema_version(self) -> int:
        return await self.read(lambda c: int(c.execute("PRAGMA user_version").fetchone()[0]))
