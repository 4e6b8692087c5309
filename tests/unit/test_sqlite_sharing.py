"""Two parts of one SQLite file shared between processes and connections (app/storage/sqlite.py): a new journal
opened by several processes at the same moment is migrated once, none failing on a table another made (the
back office's sender and the GUI both start on a first run); and ``on_commit`` tells a listener of each
committed write to the file, whichever connection made it, never of a read."""

from __future__ import annotations

import asyncio
import multiprocessing
from pathlib import Path

from app.storage.journal import MIGRATIONS, Journal
from app.storage.sqlite import on_commit

OPENERS = 6


def _open_at_once(path: str, barrier: multiprocessing.synchronize.Barrier, results) -> None:
    barrier.wait(timeout=30)
    try:
        journal = Journal(path)
        journal.close()
        results.put("ok")
    except Exception as exc:
        results.put(f"{type(exc).__name__}: {exc}")


def test_a_new_journal_opened_by_several_processes_at_once_is_migrated_once(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    ctx = multiprocessing.get_context(
        "spawn"
    )  # not fork: a forked child of a threaded test process can inherit a held lock
    barrier, results = ctx.Barrier(OPENERS), ctx.Queue()
    procs = [ctx.Process(target=_open_at_once, args=(str(path), barrier, results)) for _ in range(OPENERS)]
    for p in procs:
        p.start()
    said = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert said == ["ok"] * OPENERS
    journal = Journal(path)
    try:
        version = asyncio.run(journal.read(lambda c: c.execute("PRAGMA user_version").fetchone()[0]))
    finally:
        journal.close()
    assert version == len(MIGRATIONS)


async def test_on_commit_tells_of_each_write_from_any_connection_and_not_of_reads(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    mine, theirs = Journal(path), Journal(path)  # two connections, as the GUI's journal and a sender's
    told = asyncio.Queue[str]()
    stop = on_commit(path, lambda: told.put_nowait("commit"))
    try:
        await mine.transaction(lambda c: c.execute("INSERT INTO kv (key, value) VALUES ('a', '1')"))
        assert await asyncio.wait_for(told.get(), 10) == "commit"
        await theirs.transaction(lambda c: c.execute("INSERT INTO kv (key, value) VALUES ('b', '2')"))
        assert await asyncio.wait_for(told.get(), 10) == "commit"
        await mine.read(lambda c: c.execute("SELECT * FROM kv").fetchall())
        stop()
        await mine.transaction(lambda c: c.execute("INSERT INTO kv (key, value) VALUES ('c', '3')"))
        await mine.read(lambda c: None)  # the worker has run past the commit: a listener would have been told
        await asyncio.sleep(0)
        assert told.empty()  # neither the read nor the write after stop() was told
    finally:
        stop()
        mine.close()
        theirs.close()
