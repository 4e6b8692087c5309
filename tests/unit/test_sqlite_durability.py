"""The WAL and synchronous=FULL asked of SQLite are read back (issue 12, defect 7): a database SQLite cannot
run in WAL (here: a VFS without shared memory, as on some network filesystems) is refused in words, and
``tillqr self-test`` prints what is really in force."""

from __future__ import annotations

import pytest

from app.commands.selftest import _sqlite
from app.storage.journal import Journal, JournalError
from app.storage.sqlite import Durability


class JournalWithoutSharedMemory(Journal):
    vfs = "unix-none"  # SQLite's own VFS with no shared memory: `PRAGMA journal_mode=WAL` answers "delete"


async def test_the_journal_reads_back_wal_and_full(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    try:
        assert await journal.durability() == Durability("wal", 2)
    finally:
        await journal.aclose()


def test_a_journal_where_wal_is_refused_by_sqlite_is_not_opened(tmp_path):
    path = tmp_path / "j.sqlite3"
    with pytest.raises(JournalError) as caught:
        JournalWithoutSharedMemory(path)
    message = str(caught.value)
    assert str(path) in message and "journal_mode=DELETE" in message and "local disk" in message, message


def test_durability_names_what_sqlite_gave():
    assert str(Durability("wal", 2)) == "journal_mode=WAL, synchronous=FULL" and Durability("wal", 3).safe
    assert not Durability("wal", 1).safe and not Durability("delete", 2).safe
    assert str(Durability("delete", 1)) == "journal_mode=DELETE, synchronous=NORMAL"


def test_self_test_prints_the_journal_mode_read_back_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TILLQR_HOME", str(tmp_path))
    detail = _sqlite()
    assert "journal_mode=WAL, synchronous=FULL (read back, in the data folder)" in detail
    assert list((tmp_path / "data").iterdir()) == []  # its scratch journal is gone again
