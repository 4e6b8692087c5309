"""Every file TillQR writes is 0600 in folders 0700 (issue 12, defect 6): checked with os.stat on what a
real demo charge leaves behind, and on folders an older TillQR (or a hand) left 0755."""

from __future__ import annotations

import os
import stat

from app.config.paths import paths
from app.runtime import open_runtime
from app.storage.fieldbook import Fieldbook
from app.storage.journal import Journal


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_home_tillqr_creates_is_0700_and_its_open_folders_are_tightened(tmp_path):
    home = tmp_path / "till"
    assert mode(paths(home).ensure().data_dir) == 0o700 and mode(home) == 0o700
    for name in ("config", "data", "logs"):
        (home / name).chmod(0o755)
    home.chmod(0o755)
    paths(home).ensure()
    assert {name: mode(home / name) for name in ("config", "data", "logs")} == dict.fromkeys(
        ("config", "data", "logs"), 0o700
    )
    assert mode(home) == 0o700  # holds nothing but TillQR's folders: TillQR's


def test_a_users_own_folder_as_home_is_left_as_it_is(tmp_path):
    tmp_path.chmod(0o755)
    (tmp_path / "notes.txt").write_text("the user's", encoding="utf-8")
    paths(tmp_path).ensure()
    assert mode(tmp_path) == 0o755 and mode(tmp_path / "data") == 0o700


async def test_journal_field_book_lock_and_sandbox_state_files_are_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("TILLQR_SANDBOX_URL", raising=False)
    rt = await open_runtime(demo=True, home=tmp_path, poll_interval=0.05)
    try:
        sale = await rt.controller.charge("1.00", "modes")
        assert rt.sandbox is not None
        await rt.sandbox.pay(rt.link.payload if rt.link else sale.payload)
        await rt.controller.wait_closed(sale.sale_id, timeout=15)
        book = Fieldbook(tmp_path / "data" / "fieldbook-demo.sqlite3")
        await book.aclose()
        await rt.sandbox.settled()  # the sandbox's background save done: no temporary file being renamed
        files = sorted(p for p in (tmp_path / "data").iterdir())
        names = {p.name for p in files}
        assert {"journal-demo.sqlite3", "fieldbook-demo.sqlite3", "till-demo.lock", "sandbox-demo.json"} <= names
        assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}  # -wal and -shm too
    finally:
        await rt.aclose()


async def test_a_journal_an_older_tillqr_left_0644_is_tightened_when_opened(tmp_path):
    path = tmp_path / "journal.sqlite3"
    journal = Journal(path)
    await journal.aclose()
    path.chmod(0o644)
    journal = Journal(path)
    try:
        assert mode(path) == 0o600
    finally:
        await journal.aclose()
