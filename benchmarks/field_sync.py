"""Field work at scale: a route of 10,000 bills imported, read and synced against the in-process sandbox.

    .venv/bin/python benchmarks/field_sync.py [--bills 10000] [--concurrency 16]

Prints one JSON object: the import (bills/s, bulk calls), recording readings (readings/s, each its own
fsync'd transaction, as in the field), the sync (updates/s; goal >= 500) and the process's RSS sampled every
1,000 updates during the sync. The sandbox runs in this process (httpx's ASGI transport), so its own work is
counted in the time and in the RSS too; a second, traced pass (``--memory-bills``) splits the memory that grows
during a sync between the sandbox (which keeps every answer for idempotent replays, by design) and the till's
side (goal: flat). Nothing is asserted: figures are read, not enforced.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.fieldwork.importer import ImportReport
from app.fieldwork.route_csv import read_route
from app.fieldwork.sync import SyncProgress
from tests.support.field import Laptop, laptop
from tests.support.routes import reading_for, write_route

GOALS = {"sync_updates_per_s": ">= 500", "till_memory_growth_during_sync_mb": "flat (~0)"}
SANDBOX_CODE = str(Path(__file__).resolve().parents[1] / "app" / "sandbox")


def rss_mb() -> float:
    return round(psutil.Process().memory_info().rss / 2**20, 1)


async def _route(lap: Laptop, n: int) -> tuple[list[str], float, float, ImportReport]:
    """Import ``n`` bills and record a reading for each: (ids, import seconds, record seconds, import report)."""
    route = lap.home / "route.csv"
    ids = write_route(route, n)
    t0 = time.perf_counter()
    imported = await lap.service.import_bills(read_route(route, lap.service.tariffs), route)
    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i, bill_id in enumerate(ids, 1):
        await lap.service.record(bill_id, reading_for(i, 1000 + i))
    return ids, t_import, time.perf_counter() - t0, imported


async def bench(n: int, concurrency: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        async with laptop(Path(tmp)) as lap:
            lap.service.concurrency = concurrency
            _, t_import, t_record, imported = await _route(lap, n)
            samples: list[tuple[int, float]] = [(0, rss_mb())]

            def sample(progress: SyncProgress) -> None:
                if progress.done % 1000 == 0:
                    samples.append((progress.done, rss_mb()))

            t0 = time.perf_counter()
            report = await lap.service.sync(sample)
            t_sync = time.perf_counter() - t0
    rss = [mb for _, mb in samples]
    return {
        "bills": n,
        "import_s": round(t_import, 2),
        "import_bills_per_s": round(n / t_import),
        "import_bulk_calls": imported.bulk_calls,
        "import_calls": imported.calls,
        "record_readings_per_s": round(n / t_record),
        "sync_s": round(t_sync, 2),
        "sync_updates_per_s": round(report.synced / t_sync),
        "sync_synced": report.synced,
        "sync_pending": report.pending,
        "sync_conflicts": len(report.conflicts),
        "rss_during_sync_mb": samples,
        "rss_drift_during_sync_mb": round(rss[-1] - rss[1], 1) if len(rss) > 2 else None,
        "goals": GOALS,
    }


async def memory_split(n: int) -> dict[str, float]:
    """Growth of Python allocations during a sync of ``n`` bills (from its 10th to its 90th percent), split by
    whose code made them: the in-process sandbox keeps every answer (idempotency replays) and grows by design;
    the till's side (field book, sync, provider client, httpx) must not. Split by where an allocation was *made*:
    the request paths httpx builds on the till's side and the sandbox's call log keeps (bounded: its last 10,000
    calls) count on the till's side, about 0.4 KB an update until that log is full."""
    snaps: list[tracemalloc.Snapshot] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with laptop(Path(tmp)) as lap:
            await _route(lap, n)
            tracemalloc.start(25)

            def snap(progress: SyncProgress) -> None:
                if progress.done in (n // 10, n * 9 // 10):
                    gc.collect()
                    snaps.append(tracemalloc.take_snapshot())

            await lap.service.sync(snap)
            tracemalloc.stop()
    split = {"sandbox": 0, "till": 0}
    for stat in snaps[1].compare_to(snaps[0], "traceback"):
        side = "sandbox" if any(f.filename.startswith(SANDBOX_CODE) for f in stat.traceback) else "till"
        split[side] += stat.size_diff
    return {f"{side}_mb": round(size / 2**20, 2) for side, size in split.items()} | {"updates": n * 8 // 10}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bills", type=int, default=10_000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--memory-bills", type=int, default=3000, help="bills of the (slower, traced) memory pass")
    args = ap.parse_args()
    figures = asyncio.run(bench(args.bills, args.concurrency))
    figures["memory_growth_during_sync"] = asyncio.run(memory_split(args.memory_bills))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
