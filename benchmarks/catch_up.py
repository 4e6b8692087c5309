"""A till's way to the back office, timed, printed as JSON (fsync on; measured, never asserted):

- ``catch_up``: a till that was offline for 7 days with 5,000 sales (each created then settled: 20,000 records,
  their times spread over the week) runs ``tillqr backoffice push`` once: seconds from the command's start to
  every record acknowledged (Python's start-up included), and records/s. Goal: under 10 s.
- ``visible``: sales made at the counter one after another (``--rate`` a second) with the sender running beside
  the journal as the GUI runs it (``Sender.run``, woken after each write): from each sale's commit on the till
  to its row in the back office's ``sales`` projection with that status (polled every 5 ms on PostgreSQL).
  Goal: p99 under 2 s.

    .venv/bin/python benchmarks/catch_up.py [--sales 5000] [--days 7] [--visible 200] [--rate 20]

``tillqr backoffice serve`` runs in its own process on a throw-away cluster (scripts/pg-cluster.sh).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402 - after the path is set

from app.backoffice.db import DeviceKind  # noqa: E402 - as above
from app.domain.money import Money  # noqa: E402 - as above
from app.domain.sale import Sale, SaleStatus, utcnow  # noqa: E402 - as above
from app.replication.identity import identity_file, load_identity  # noqa: E402 - as above
from app.replication.outbox import Outbox  # noqa: E402 - as above
from app.replication.sender import Sender, sender_lock_file  # noqa: E402 - as above
from app.replication.wire import Stream  # noqa: E402 - as above
from app.storage.journal import Journal  # noqa: E402 - as above
from app.storage.replica import TABLE  # noqa: E402 - as above
from tests.support.fleet import Fleet, Machine  # noqa: E402 - as above
from tests.support.pg import start_cluster  # noqa: E402 - as above

GOALS = {"catch_up": "< 10 s for 5,000 sales offline 7 days", "visible_p99": "< 2 s from commit to the back office"}


def step(what: str) -> None:
    print(f"bench: {what}", file=sys.stderr, flush=True)


def register(fleet: Fleet, name: str) -> Machine:
    """A till's home registered with the fleet's service by the command itself."""
    code = subprocess.run(
        [sys.executable, "-m", "app", "backoffice", "enrol", "--name", name, "--store", "Bench", "--json"],
        capture_output=True, text=True, check=True, env={**os.environ, "TILLQR_BACKOFFICE_DSN": fleet.dsn}, cwd=ROOT,
    )  # fmt: skip
    machine = Machine(name, DeviceKind.TILL, fleet.folder / name)
    done = subprocess.run(
        [sys.executable, "-m", "app", "backoffice", "register", fleet.service.url, "--demo", "--json"],
        capture_output=True, text=True, env=machine.env(json.loads(code.stdout)["code"]), cwd=ROOT,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"register failed: {done.stderr}")
    return machine


async def offline_week(machine: Machine, sales: int, days: int) -> int:
    """``sales`` sales created and settled, spread over the last ``days`` days (their times and their records'
    device times put back to then); the records written."""
    journal = Journal(machine.database)
    start = utcnow() - timedelta(days=days)
    step_s = days * 86400 / sales
    try:
        for i in range(sales):
            at = start + timedelta(seconds=i * step_s)
            sale = Sale.new(Money(100 + i % 9000, "BRL"), "depay", f"order {i}")
            sale = replace(sale, created_at=at, updated_at=at)
            await journal.record(sale, "created")
            await journal.record(sale.move(SaleStatus.SETTLED, closed_at=at, amount_received=sale.amount), "settled")
    finally:
        await journal.aclose()
    with sqlite3.connect(machine.database) as conn:  # the records' own times: when the sales were made
        conn.execute(
            f"UPDATE {TABLE} SET device_time = strftime('%Y-%m-%dT%H:%M:%f+00:00', "
            "json_extract(payload, '$.created_at'), 'utc') WHERE json_extract(payload, '$.created_at') IS NOT NULL"
        )
        return int(conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0])


def catch_up(fleet: Fleet, sales: int, days: int) -> dict[str, object]:
    machine = register(fleet, "offline-till")
    step(f"catch-up: writing {sales} sales over {days} days")
    records = asyncio.run(offline_week(machine, sales, days))
    step("catch-up: tillqr backoffice push")
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "app", "backoffice", "push", "--demo", "--json"],
        capture_output=True, text=True, env=machine.env(), cwd=ROOT,
    )  # fmt: skip
    took = time.perf_counter() - t0
    report = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}
    return {
        "goal": GOALS["catch_up"],
        "sales": sales,
        "records": records,
        "exit": done.returncode,
        "accepted": report.get("accepted"),
        "batches": report.get("batches"),
        "waiting_after": report.get("waiting"),
        "seconds": round(took, 2),
        "records_per_s": round(records / took),
    }


@asynccontextmanager
async def counter_till(fleet: Fleet) -> AsyncIterator[tuple[Journal, Sender]]:
    """A till registered with the fleet's service, its journal and its sender running as the GUI runs it
    (``Sender.run``, woken by whoever sets ``wake``); stopped and closed on the way out."""
    machine = register(fleet, "counter-till")
    os.environ.update({k: v for k, v in machine.env().items() if k.startswith(("TILLQR_", "PYTHON_KEYRING"))})
    path = identity_file(machine.data_dir, True)
    identity = load_identity(path)
    assert identity is not None
    journal = Journal(machine.database)
    sender = Sender(identity, path, [Outbox(journal, Stream.JOURNAL)], token=identity.token() or "")
    stop = asyncio.Event()
    running = asyncio.create_task(sender.run(stop, sender_lock_file(machine.data_dir, True)))
    try:
        yield journal, sender
    finally:
        stop.set()
        await running
        await sender.aclose()
        await journal.aclose()


@contextmanager
def fleet_alone(prefix: str) -> Iterator[Fleet]:
    """A throw-away cluster (fsync on) and ``tillqr backoffice serve``, no machines; all removed on the way out."""
    cluster = start_cluster("")
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        fleet = Fleet.start(cluster, "", folder, tills=0, laptops=0)
        try:
            yield fleet
        finally:
            fleet.close()
    finally:
        cluster.stop("immediate")
        shutil.rmtree(cluster.folder, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


async def visible(fleet: Fleet, count: int, rate: float) -> dict[str, object]:
    lags: list[float] = []
    async with (
        counter_till(fleet) as (journal, sender),
        await psycopg.AsyncConnection.connect(fleet.dsn, autocommit=True) as pg,
    ):
        for i in range(count):
            t_next = time.perf_counter() + 1 / rate
            sale = Sale.new(Money(500 + i, "BRL"), "depay", f"counter {i}")
            await journal.record(sale, "created")
            sender.wake.set()
            await journal.record(sale.move(SaleStatus.SETTLED, closed_at=utcnow()), "settled")
            committed = time.perf_counter()
            sender.wake.set()
            while True:
                cur = await pg.execute("SELECT status FROM sales WHERE sale_id = %s", (sale.sale_id,))
                row = await cur.fetchone()
                if row is not None and row[0] == "settled":
                    break
                await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - committed)
            await asyncio.sleep(max(0.0, t_next - time.perf_counter()))
    lags.sort()
    return {
        "goal": GOALS["visible_p99"],
        "sales": count,
        "rate_per_s": rate,
        "p50_ms": round(statistics.median(lags) * 1000, 1),
        "p99_ms": round(lags[max(0, int(len(lags) * 0.99) - 1)] * 1000, 1),
        "max_ms": round(lags[-1] * 1000, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sales", type=int, default=5000, help="sales made while the till was offline")
    ap.add_argument("--days", type=int, default=7, help="days the till was offline")
    ap.add_argument("--visible", type=int, default=200, help="sales timed from commit to the back office")
    ap.add_argument("--rate", type=float, default=20.0, help="sales a second at the counter")
    args = ap.parse_args()
    step("starting PostgreSQL (fsync on) and tillqr backoffice serve")
    with fleet_alone("tillqr-catchup-") as fleet:
        out = {"cpus": os.cpu_count(), "pg": "fsync on, synchronous_commit on"}
        out["catch_up"] = catch_up(fleet, args.sales, args.days)
        step(f"visible: {args.visible} sales at {args.rate}/s")
        out["visible"] = asyncio.run(visible(fleet, args.visible, args.rate))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
