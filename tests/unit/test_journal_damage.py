"""Issue 12, defect 2: a damaged journal is refused at open and kept aside, never written to; backups roll."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus, utcnow
from app.storage.backups import BackupFailed, list_backups, quick_check, restore
from app.storage.fieldbook import Fieldbook, FieldbookError
from app.storage.journal import BACKUP_EVERY, BACKUPS_KEPT, Journal, JournalError
from tests.support.damage import aside, closed_sale, journal_with_sales, scribble


async def test_a_journal_damaged_inside_its_pages_is_refused_and_kept_aside_untouched(tmp_path):
    path = tmp_path / "journal.sqlite3"
    await journal_with_sales(path, 40)
    damaged = scribble(path)
    with pytest.raises(JournalError) as refused:
        Journal(path)
    text = str(refused.value)
    [kept] = aside(path, "damaged")
    assert f"the journal {path} cannot be opened: it is damaged (" in text and "\n" not in text
    assert f"it was kept as {kept}" in text and "restore a backup with `tillqr journal restore`" in text
    assert kept.read_bytes() == damaged  # nothing was written into it
    assert not path.exists()
    fresh = Journal(path)  # the next start does not trip on it again
    try:
        assert await fresh.list_sales() == []
    finally:
        await fresh.aclose()


def test_a_journal_with_a_garbage_header_is_kept_aside(tmp_path):
    path = tmp_path / "journal-demo.sqlite3"
    path.write_bytes(b"this is not a database" * 300)
    with pytest.raises(JournalError, match=r"damaged \(file is not a database\).*`tillqr journal restore --demo`"):
        Journal(path)
    assert [p.read_bytes()[:8] for p in aside(path, "damaged")] == [b"this is "]


async def test_an_emptied_journal_with_backups_points_to_restore(tmp_path):
    path = tmp_path / "journal.sqlite3"
    await journal_with_sales(path, 2, backup=True)
    path.write_bytes(b"")
    with pytest.raises(JournalError, match=r"damaged \(the file is empty\).*tillqr journal restore"):
        Journal(path)
    assert len(aside(path, "damaged")) == 1 and not path.exists()
    assert len(list_backups(path)) == 1  # the way back is still there


async def test_an_empty_journal_without_backups_is_a_first_run(tmp_path):
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(b"")
    j = Journal(path)
    try:
        await j.record(closed_sale(), "closed")
        assert len(await j.list_sales()) == 1
    finally:
        await j.aclose()
    assert aside(path, "damaged") == []


async def test_a_journal_whose_tables_vanished_is_refused(tmp_path):
    path = tmp_path / "journal.sqlite3"
    await journal_with_sales(path, 2)
    conn = sqlite3.connect(path)
    conn.executescript("DROP TABLE kv; DROP TABLE sale_events; DROP TABLE refunds; DROP TABLE sales;")
    conn.close()
    with pytest.raises(JournalError, match=r"damaged \(tables missing: kv, refunds, sale_events, sales\)"):
        Journal(path)
    assert len(aside(path, "damaged")) == 1


async def test_backups_are_made_with_the_backup_api_verified_and_rotated(tmp_path):
    path = tmp_path / "journal.sqlite3"
    j = Journal(path)
    try:
        await j.record(closed_sale(), "closed")
        made = [await j.backup() for _ in range(BACKUPS_KEPT + 2)]
    finally:
        await j.aclose()
    kept = list_backups(path)
    assert [b.path for b in kept] == [b.path for b in reversed(made[-BACKUPS_KEPT:])]  # newest first, oldest gone
    assert not made[0].path.exists() and not made[1].path.exists()
    folder = kept[0].path.parent
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for b in kept:
        assert stat.S_IMODE(b.path.stat().st_mode) == 0o600 and b.count("sales") == 1
        assert b.name.startswith("journal-") and not Path(f"{b.path}-wal").exists()
        conn = sqlite3.connect(b.path)
        assert quick_check(conn) == [] and conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        conn.close()


async def test_a_backup_after_every_hundred_closed_sales(tmp_path):
    path = tmp_path / "journal.sqlite3"
    j = Journal(path)  # a new journal: nothing to back up at open
    try:
        for i in range(BACKUP_EVERY - 1):
            await j.record(closed_sale(f"{i + 1}.00"), "closed")
        open_sale = Sale.new(Money.parse("1.00", "BRL"), "jpmorgan", "", link_id="L1")
        await j.record(open_sale, "created")  # an open sale does not count
        await j.schema_version()  # whatever the writes queued has run
        assert j.backups() == []
        await j.record(open_sale.move(SaleStatus.CANCELLED).with_(closed_at=utcnow()), "closed")
        await j.schema_version()
        [backup] = j.backups()
        assert backup.count("sales") == BACKUP_EVERY
        assert await j.get_value("backup.closed_since") is None  # counting starts again
    finally:
        await j.aclose()


async def test_a_backup_at_open_when_the_newest_is_a_day_old(tmp_path):
    path = tmp_path / "journal.sqlite3"
    await journal_with_sales(path, 1)
    for _ in range(2):  # the first open makes one; the second finds it young enough
        Journal(path).close()
    [first] = list_backups(path)
    older = first.taken_at - timedelta(days=1, minutes=1)
    os.replace(first.path, first.path.with_name(f"journal-{older:%Y%m%dT%H%M%S.%fZ}.sqlite3"))
    Journal(path).close()
    assert [b.taken_at > older for b in list_backups(path)] == [True, False]


async def test_a_damaged_backup_is_not_restored_and_nothing_moves(tmp_path):
    path = tmp_path / "journal.sqlite3"
    await journal_with_sales(path, 30, backup=True)
    [backup] = list_backups(path)
    scribble(backup.path)
    before = path.read_bytes()
    with pytest.raises(BackupFailed, match="not a sound backup"):
        restore(backup.path, path)
    assert path.read_bytes() == before and aside(path, "replaced") == []


async def test_a_field_book_damaged_inside_its_pages_is_refused_and_kept_aside(tmp_path):
    path = tmp_path / "fieldbook.sqlite3"
    Fieldbook(path).close()
    damaged = scribble(path)
    with pytest.raises(FieldbookError, match=r"the field book .* is damaged \(.*tillqr bills import"):
        Fieldbook(path)
    [kept] = aside(path, "damaged")
    assert kept.read_bytes() == damaged and not path.exists()
