"""Rolling backups of a SQLite file, and the damaged or replaced file kept aside instead of deleted.

A backup is taken with SQLite's online backup API (``sqlite3.Connection.backup``: a consistent copy while
the database stays in use) into ``<data>/backups/<stem>-<UTC time>.sqlite3`` (files 0600, the folder
0700): ``journal-20260115T101500.123456Z.sqlite3`` for the shop's journal, ``journal-demo-…`` for the
demo one. The copy is switched to a rollback journal (one self-contained file) and verified with
``PRAGMA quick_check`` before it is renamed into place, and only then are the oldest beyond the number
kept deleted. When and how many: see ``app.storage.journal`` (the database decides).

A file set aside keeps its name with a tag and the UTC time: ``journal.sqlite3.damaged-20260115T101500Z``
(its ``-wal`` and ``-shm`` beside it under the same new name, so SQLite still opens it whole).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

from app.i18n import _

BACKUP_FOLDER = "backups"
_STAMP = "%Y%m%dT%H%M%S.%fZ"
_ASIDE_STAMP = "%Y%m%dT%H%M%SZ"
SIDE_FILES = ("-wal", "-shm")


class BackupFailed(Exception):
    """A backup could not be made, or a file offered as one is not a sound database; the message says why."""


class Aside(Enum):
    """Why a database file was moved aside: the tag in its new name."""

    DAMAGED = "damaged"
    REPLACED = "replaced"


@dataclass(frozen=True)
class Backup:
    """One backup file and the UTC time it was taken (from its name)."""

    path: Path
    taken_at: datetime

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def count(self, table: str) -> int | None:
        """Rows in ``table`` (None when the backup cannot be read or has no such table)."""
        try:
            conn = _read_only(self.path)
        except sqlite3.Error:
            return None
        try:
            return int(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
        except sqlite3.Error:
            return None
        finally:
            conn.close()


def folder_of(db_path: Path) -> Path:
    """Where the backups of ``db_path`` live: ``backups/`` beside it."""
    return db_path.parent / BACKUP_FOLDER


def _pattern(db_path: Path) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(db_path.stem)}-(\d{{8}}T\d{{6}}\.\d{{6}}Z)\.sqlite3$")


def list_backups(db_path: Path) -> list[Backup]:
    """The backups of ``db_path``, newest first (``journal-demo-…`` is not a backup of ``journal``)."""
    folder, pattern = folder_of(db_path), _pattern(db_path)
    found = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in folder.iterdir():
            match = pattern.match(entry.name)
            if match and entry.is_file():
                taken = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
                found.append(Backup(entry, taken))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def quick_check(conn: sqlite3.Connection) -> list[str]:
    """What ``PRAGMA quick_check`` finds wrong (empty when the file is sound); a page too damaged to be
    checked at all is reported as such rather than raised."""
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    if rows == ["ok"]:
        return []
    lines = (line.strip() for row in rows for line in row.splitlines())  # one finding a line, no banners
    return [line for line in lines if line and not line.startswith("***")]


def take_backup(conn: sqlite3.Connection, db_path: Path, keep: int, now: datetime | None = None) -> Backup:
    """A verified copy of ``conn``'s database in ``db_path``'s backup folder; then only the newest ``keep``
    stay. Raises BackupFailed (nothing deleted) when the copy is not sound."""
    folder = folder_of(db_path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # a folder made by an older TillQR, or with a loose umask
        os.chmod(folder, 0o700)
    when = now or datetime.now(UTC)
    target = folder / f"{db_path.stem}-{when:{_STAMP}}.sqlite3"
    while target.exists():  # a coarse clock: the next microsecond
        when = when.replace(microsecond=(when.microsecond + 1) % 1_000_000)
        target = folder / f"{db_path.stem}-{when:{_STAMP}}.sqlite3"
    part = target.with_name(target.name + ".part")
    os.close(os.open(part, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600))
    try:
        dest = sqlite3.connect(str(part), isolation_level=None)
        try:
            conn.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal to lose
            problems = quick_check(dest)
        finally:
            dest.close()
        if problems:
            raise BackupFailed(
                _("the backup of {path} failed its check: {problems}").format(
                    path=db_path, problems="; ".join(problems[:3])
                )
            )
        _fsync(part)
        os.replace(part, target)
        _fsync_folder(folder)
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise
    for old in list_backups(db_path)[max(keep, 1) :]:
        with contextlib.suppress(OSError):
            old.path.unlink()
    return Backup(target, when.replace(tzinfo=UTC))


def set_aside(db_path: Path, why: Aside, now: datetime | None = None) -> Path:
    """Move ``db_path`` (and its -wal/-shm) to ``<name>.<why>-<UTC time>``; returns the new path."""
    stamp = f"{(now or datetime.now(UTC)):{_ASIDE_STAMP}}"
    target = db_path.with_name(f"{db_path.name}.{why.value}-{stamp}")
    n = 1
    while target.exists():
        target = db_path.with_name(f"{db_path.name}.{why.value}-{stamp}.{n}")
        n += 1
    for suffix in SIDE_FILES:  # the side files first: a main file without its WAL would look older than it is
        side = Path(f"{db_path}{suffix}")
        if side.exists():
            os.replace(side, Path(f"{target}{suffix}"))
    if db_path.exists():
        os.replace(db_path, target)
    _fsync_folder(db_path.parent)
    return target


def restore(backup: Path, db_path: Path) -> Path | None:
    """Put a copy of ``backup`` in place of ``db_path`` (kept aside as ``….replaced-<time>`` first);
    returns where the replaced file went (None when there was none). The caller holds the file's lock.
    Raises BackupFailed, with nothing moved, when ``backup`` is not a sound SQLite database."""
    try:
        conn = _read_only(backup)
        try:
            problems = quick_check(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        problems = [str(exc)]
    if problems:
        raise BackupFailed(
            _("{path} is not a sound backup: {problems}").format(path=backup, problems="; ".join(problems[:3]))
        )
    part = db_path.with_name(db_path.name + ".restoring")
    os.close(os.open(part, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600))
    try:
        shutil.copyfile(backup, part)
        _fsync(part)
        replaced = set_aside(db_path, Aside.REPLACED) if _exists(db_path) else None
        os.replace(part, db_path)
        _fsync_folder(db_path.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise
    return replaced


def _exists(db_path: Path) -> bool:
    return any(Path(f"{db_path}{s}").exists() for s in ("", *SIDE_FILES))


def _read_only(path: Path) -> sqlite3.Connection:
    """``path`` opened without writing anything, not even a -wal or -shm beside it."""
    if not path.is_file():
        raise sqlite3.OperationalError(_("no such file: {path}").format(path=path))
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every OS lets a folder be opened (Windows)
        _fsync(folder)
