"""Issue 12, defect 2 from the command line: a damaged journal stops `tillqr charge` before anything is written,
and `tillqr journal restore` lists the backups and puts one back (TILLQR_HOME=tmp_path, the in-process sandbox)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.runtime import TillLock
from app.storage.backups import list_backups
from tests.support.damage import aside, journal_with_sales, scribble

pytestmark = pytest.mark.e2e


def tillqr(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TILLQR_SANDBOX_URL"}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        env=dict(env, TILLQR_HOME=str(home)),
        timeout=60,
    )


def lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


async def test_charge_on_a_damaged_journal_exits_1_and_writes_nothing_into_it(tmp_path):
    path = tmp_path / "data" / "journal-demo.sqlite3"
    await journal_with_sales(path, 40)
    damaged = scribble(path)
    done = tillqr(tmp_path, "charge", "5.00", "--demo", "--wait", "1")
    assert done.returncode == 1 and done.stdout == ""
    [kept] = aside(path, "damaged")
    message = done.stderr.strip().splitlines()[-1]
    assert message.startswith(f"tillqr: error: the journal {path} cannot be opened: it is damaged (")
    assert f"it was kept as {kept}; restore a backup with `tillqr journal restore --demo`" in message
    assert "Traceback" not in done.stderr
    assert kept.read_bytes() == damaged and not path.exists()  # no sale went into it, nor into a new one


async def test_restore_lists_the_backups_and_puts_one_back(tmp_path):
    path = tmp_path / "data" / "journal-demo.sqlite3"
    before = await journal_with_sales(path, 3, backup=True)
    after = await journal_with_sales(path, 1)  # a sale made after the backup: kept in the replaced file
    [backup] = list_backups(path)

    listed = tillqr(tmp_path, "journal", "restore", "--demo", "--json")
    assert listed.returncode == 0, listed.stderr
    [row] = lines(listed.stdout)
    assert row["backup"] == backup.name and row["sales"] == 3 and row["size"] == backup.size
    text = tillqr(tmp_path, "journal", "restore", "--demo")
    assert backup.name in text.stdout and "3 sales" in text.stdout and " UTC " in text.stdout

    put = tillqr(tmp_path, "journal", "restore", backup.name, "--demo", "--json")
    assert put.returncode == 0, put.stderr
    [done] = lines(put.stdout)
    [replaced] = aside(path, "replaced")
    assert done == {
        "event": "restored",
        "backup": str(backup.path),
        "journal": str(path),
        "kept_as": str(replaced),
        "sales": 3,
    }
    journal = tillqr(tmp_path, "journal", "list", "--demo", "--json")
    assert sorted(r["sale_id"] for r in lines(journal.stdout)) == sorted(before)
    conn = sqlite3.connect(replaced)
    assert {r[0] for r in conn.execute("SELECT sale_id FROM sales")} == {*before, *after}  # kept, not lost
    conn.close()
    assert backup.path.exists()  # the backup stays a backup


async def test_restore_is_refused_while_a_till_holds_the_journal(tmp_path):
    path = tmp_path / "data" / "journal-demo.sqlite3"
    await journal_with_sales(path, 2, backup=True)
    [backup] = list_backups(path)
    before = path.read_bytes()
    lock = TillLock(tmp_path / "data" / "till-demo.lock")
    try:
        refused = tillqr(tmp_path, "journal", "restore", backup.name, "--demo")
    finally:
        lock.release()
    assert refused.returncode == 1
    assert "the journal cannot be restored now: another TillQR is already running on this till" in refused.stderr
    assert path.read_bytes() == before and aside(path, "replaced") == []


def test_restore_of_an_unknown_backup_says_how_to_list_them(tmp_path):
    refused = tillqr(tmp_path, "journal", "restore", "journal-demo-nope.sqlite3", "--demo")
    assert refused.returncode == 1 and "`tillqr journal restore --demo` lists them" in refused.stderr
    none = tillqr(tmp_path, "journal", "restore", "--demo")
    assert none.returncode == 0 and none.stdout == "" and "no backups of the journal" in none.stderr
