"""One SQLite database owned by one worker thread: the journal's and the field book's common plumbing.

WAL mode with ``synchronous=FULL`` (a committed write survives a power cut), both read back when the
database opens: where SQLite cannot give them (a filesystem that cannot do WAL) it is refused, never
used in a weaker mode. Foreign keys on, schema versions in ``PRAGMA user_version`` (``migrations[n]`` moves a database from version n to n+1, each in
one transaction). All work runs on a single-worker executor, which serialises writes and keeps the
asyncio loop (the Qt loop, in the GUI) free while SQLite fsyncs.

A damaged file is never written to: at open, ``PRAGMA quick_check`` and the tables the migrations made must
agree, and a file that holds nothing while backups of it exist was a database before. A damaged file is moved
aside to ``<name>.damaged-<UTC time>`` (with its -wal and -shm), so nothing is lost and the next start does not
trip on it, and the subclass's error says what happened and what to do. A database with ``backups_kept`` keeps
rolling backups (``app.storage.backups``): at open when the newest is older than ``backup_age``, and whenever
the subclass asks (the journal: every ``BACKUP_EVERY`` closed sales).

``on_commit(path, listener)``: ``listener()`` is called on the asyncio loop after each write transaction to the
file at ``path`` commits, whichever ``Database`` object wrote it (the till's background sender is woken so).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from app.i18n import LazyText, _, ngettext

from .backups import Aside, Backup, BackupFailed, list_backups, quick_check, set_aside, take_backup

T = TypeVar("T")
log = logging.getLogger(__name__)
_committed: dict[Path, list[Callable[[], None]]] = {}  # by the file's resolved path: told after each commit


def on_commit(path: Path, listener: Callable[[], None]) -> Callable[[], None]:
    """``listener()`` after each committed write transaction to the database file at ``path``; returns the
    function that stops it."""
    listeners = _committed.setdefault(path.resolve(), [])
    listeners.append(listener)

    def stop() -> None:
        if listener in listeners:
            listeners.remove(listener)

    return stop


def _tell_committed(path: Path) -> None:
    for listener in list(_committed.get(path, ())):
        try:
            listener()
        except Exception:  # a listener's failure is its own: the write is committed
            log.exception("a commit listener of %s failed", path)


_DAMAGE_CODES = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
_WAL_TRIES = 6  # a new file opened by several processes at once: its switch to WAL can meet another's lock


def _into_wal(conn: sqlite3.Connection) -> None:
    """``PRAGMA journal_mode=WAL``, tried again while another process holds the lock it needs. Switching a new
    file to WAL needs its exclusive lock, and SQLite answers "database is locked" at once (no busy wait: it would
    deadlock) when another connection is upgrading its own lock at that moment."""
    for attempt in range(_WAL_TRIES):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or attempt == _WAL_TRIES - 1:
                raise
            time.sleep(0.02 * 2**attempt)  # noqa: TID251 - on the database's own worker thread, while it opens


_CREATED_TABLE = re.compile(r"\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[\"`]?(\w+)", re.IGNORECASE)
_DROPPED_TABLE = re.compile(r"\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?[\"`]?(\w+)", re.IGNORECASE)


def _private(path: Path, *, create: bool) -> None:
    """``path`` this user's only (0600): created so when ``create`` and missing, tightened when an older TillQR
    left it open. An existing file is never opened here: closing a descriptor of a database file drops every
    POSIX lock this process holds on it (another connection's, in the same process)."""
    with contextlib.suppress(OSError):  # not there (a -wal file), or not ours: SQLite says what it can't open
        if create and not os.path.lexists(path):
            with contextlib.suppress(FileExistsError):  # made meanwhile by another process: tightened below
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, 0o600)


class DatabaseError(Exception):
    """A database that cannot be opened or is from a newer TillQR; the message names the file."""


@dataclass(frozen=True)
class Durability:
    """What SQLite really runs a database with, read back (``PRAGMA journal_mode``, ``PRAGMA synchronous``)."""

    journal_mode: str  # "wal", or what SQLite fell back to ("delete", "memory", ...)
    synchronous: int  # 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA

    @property
    def safe(self) -> bool:
        """WAL, and every commit fsync'd (FULL or EXTRA): a committed sale survives a power cut."""
        return self.journal_mode == "wal" and self.synchronous >= _FULL

    def __str__(self) -> str:  # "WAL, synchronous=FULL"
        names = ("OFF", "NORMAL", "FULL", "EXTRA")
        level = names[self.synchronous] if 0 <= self.synchronous < len(names) else str(self.synchronous)
        return f"journal_mode={self.journal_mode.upper()}, synchronous={level}"


_FULL = 2


def _durability(conn: sqlite3.Connection) -> Durability:
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    return Durability(str(mode).lower(), int(conn.execute("PRAGMA synchronous").fetchone()[0]))


class Database:
    """Async façade over one SQLite connection owned by one worker thread."""

    what = "database"  # how the log names it ("journal", "field book")
    title: LazyText | None = None  # how messages name it: lazy_("the journal {path}"); None: "the <what> <path>"
    vfs: str | None = None  # SQLite's VFS (None: the platform's); one without shared memory cannot do WAL
    migrations: Sequence[str] = ()
    error: type[DatabaseError] = DatabaseError
    backups_kept = 0  # rolling backups kept (0: none)
    backup_age = timedelta(days=1)  # at open, a backup when the newest is older than this

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop of the last call (on_commit's listeners)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"tillqr-{self.what.replace(' ', '-')}")
        self._conn: sqlite3.Connection | None = None
        self._pool.submit(self._open).result()

    def _open(self) -> None:
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._refuse_emptied()
            for path in (self.path, *(self.path.with_name(self.path.name + tail) for tail in ("-wal", "-shm"))):
                _private(path, create=path == self.path)  # 0600; SQLite gives its -wal and -shm files its mode
        conn: sqlite3.Connection | None = None
        try:
            if self.vfs is None:
                conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
            else:
                uri = f"file:{quote(str(self.path.absolute()))}?vfs={self.vfs}"
                conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            _into_wal(conn)
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=5000")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            durability = _durability(conn)
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                conn.close()
            if _is_damage(exc):
                raise self._damaged(str(exc)) from exc
            raise self.error(
                _("{database} cannot be opened: {reason}").format(database=self.named, reason=exc)
            ) from exc
        self._refuse_damaged(conn, version)
        if not durability.safe and str(self.path) != ":memory:":
            conn.close()
            raise self.error(
                _(
                    "{database} cannot be kept safely there: SQLite runs it with {durability}, not WAL and "
                    "synchronous=FULL (a folder on a network share, or a filesystem without shared memory?); "
                    "put {variable} on a local disk"
                ).format(database=self.named, durability=durability, variable="TILLQR_HOME")
            )
        known = len(self.migrations)
        if version > known:
            conn.close()
            raise self.error(
                _("{database} is from a newer TillQR (schema {version}, this one knows {known})").format(
                    database=self.named, version=version, known=known
                )
            )
        for n in range(version, known):
            conn.execute("BEGIN IMMEDIATE")
            try:
                if conn.execute("PRAGMA user_version").fetchone()[0] > n:  # another process opening it migrated it
                    conn.execute("COMMIT")
                    continue
                for stmt in filter(str.strip, self.migrations[n].split(";")):
                    conn.execute(stmt)
                conn.execute(f"PRAGMA user_version={n + 1}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        self._conn = conn
        self._backup_at_open()

    @property
    def conn(self) -> sqlite3.Connection:
        """The connection, for code running on the worker thread (inside ``_run``)."""
        if self._conn is None:
            raise self.error(_("{database} is closed").format(database=self.named))
        return self._conn

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        self._loop = asyncio.get_running_loop()
        return await self._loop.run_in_executor(self._pool, fn, *args)

    def _tx(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn)
            conn.execute("COMMIT")
            if _committed and self._loop is not None:
                with contextlib.suppress(RuntimeError):  # a loop already closed: nobody left to tell
                    self._loop.call_soon_threadsafe(_tell_committed, self.path.resolve())  # on_commit's listeners
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

    async def durability(self) -> Durability:
        """The journal mode and synchronous level in force now, read back from SQLite (not what was asked)."""
        return await self.read(_durability)

    async def schema_version(self) -> int:
        return await self.read(lambda c: int(c.execute("PRAGMA user_version").fetchone()[0]))

    # -- damage and backups -----------------------------------------------------------------------------
    @property
    def restore_hint(self) -> str:
        """What to do about a damaged file, as the end of a sentence."""
        return _("the next start begins a new, empty database")

    def _damaged(self, reason: str) -> DatabaseError:
        """The error for a damaged file, after moving it (with its -wal and -shm) aside."""
        try:
            kept = _("it was kept as {path}").format(path=set_aside(self.path, Aside.DAMAGED))
        except OSError as exc:
            kept = _("it could not be moved aside ({reason}): move it away yourself").format(reason=exc.strerror or exc)
        return self.error(
            _("{database} cannot be opened: it is damaged ({reason}); {kept}; {hint}").format(
                database=self.named, reason=reason, kept=kept, hint=self.restore_hint
            )
        )

    @property
    def named(self) -> str:
        """How a message names this file: "the journal /…/journal.sqlite3"."""
        if self.title is not None:
            return self.title.format(path=self.path)
        return f"the {self.what} {self.path}"

    def _refuse_emptied(self) -> None:
        """A file that exists but holds nothing while backups of it exist was a database before."""
        wal = Path(f"{self.path}-wal")
        if self.backups_kept and _size(self.path) == 0 and not _size(wal) and list_backups(self.path):
            raise self._damaged(_("the file is empty"))

    def _refuse_damaged(self, conn: sqlite3.Connection, version: int) -> None:
        """Raise (the file moved aside) unless quick_check passes and every table the migrations made is there."""
        try:
            problems = quick_check(conn)
            if not problems:
                tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                newer = version > len(self.migrations)  # refused as such once this check passes
                missing = [] if newer else sorted(_made_tables(self.migrations[:version]) - tables)
                if missing:
                    problems = [
                        ngettext("table missing: {tables}", "tables missing: {tables}", len(missing)).format(
                            tables=", ".join(missing)
                        )
                    ]
                elif version == 0 and not tables and self.backups_kept and list_backups(self.path):
                    problems = [_("it holds no tables")]
        except sqlite3.DatabaseError as exc:
            problems = [str(exc)]
        if problems:
            conn.close()
            raise self._damaged("; ".join(problems[:3]))

    def _worth_backing_up(self, conn: sqlite3.Connection) -> bool:
        return True

    def _after_backup(self, conn: sqlite3.Connection) -> None:
        """Called on the worker thread after each backup (the journal resets its count of closed sales)."""

    def _backup_at_open(self) -> None:
        if self.backups_kept and str(self.path) != ":memory:":
            self._pool.submit(self._backup_quietly, True)  # queued behind the open: the caller does not wait

    def _backup(self) -> Backup:
        backup = take_backup(self.conn, self.path, self.backups_kept)
        self._after_backup(self.conn)
        return backup

    def _backup_quietly(self, only_if_old: bool = False) -> None:
        """A backup, if there is something to keep (and with ``only_if_old``, none is younger than
        ``backup_age``); a failure is logged, never raised: the sale goes on, the journal is intact."""
        try:
            if self._conn is None or not self._worth_backing_up(self._conn):
                return
            newest = list_backups(self.path)[:1]
            if only_if_old and newest and datetime.now(UTC) - newest[0].taken_at < self.backup_age:
                return
            self._backup()
        except (sqlite3.Error, OSError, BackupFailed) as exc:
            log.warning("no backup of the %s %s: %s", self.what, self.path, exc)

    async def backup(self) -> Backup:
        """A verified backup now (the oldest beyond ``backups_kept`` deleted); raises BackupFailed or OSError."""
        return await self._run(self._backup)

    def backups(self) -> list[Backup]:
        """This database's backups, newest first."""
        return list_backups(self.path)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    """SQLite says the file is corrupt, or not a database at all (its header overwritten)."""
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _DAMAGE_CODES


def _made_tables(migrations: Sequence[str]) -> set[str]:
    """The tables these migrations leave behind."""
    made: set[str] = set()
    for migration in migrations:
        made |= set(_CREATED_TABLE.findall(migration))
        made -= set(_DROPPED_TABLE.findall(migration))
    return made
