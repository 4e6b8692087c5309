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

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.config.paths import paths
from app.fieldwork.route_csv import read_route
from app.fieldwork.service import FieldService
from app.fieldwork.sync import SyncProgress
from app.fieldwork.tariff_config import tariffs_for
from app.providers.jpmorgan import SPEC
from app.sandbox.server import create_app
from app.storage.fieldbook import Fieldbook
from tests.support.routes import reading_for, write_route

GOALS = {"sync_updates_per_s": ">= 500", "till_memory_growth_during_sync_mb": "flat (~0)"}
SANDBOX_CODE = str(Path(__file__).resolve().parents[1] / "app" / "sandbox")


def rss_mb() -> float:
    return round(psutil.Process().memory_info().rss / 2**20, 1)


async def bench(n: int, concurrency: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        p = paths(home).ensure()
        tariffs = tariffs_for(p, True)
        route = home / "route.csv"
        ids = write_route(route, n)
        app = create_app(modules=(SPEC.sandbox_module,))
        transport = httpx.ASGITransport(app=app)
        provider = SPEC.create(
            base_url="http://sandbox.invalid/jpmorgan", credentials=SPEC.demo_credentials(), transport=transport
        )
        book = Fieldbook(p.data_dir / "fieldbook.sqlite3")
        service = FieldService(book, tariffs, provider, concurrency=concurrency)
        try:
            bills = read_route(route, tariffs)
            t0 = time.perf_counter()
            imported = await service.import_bills(bills, route)
            t_import = time.perf_counter() - t0
            t0 = time.perf_counter()
            for i, bill_id in enumerate(ids, 1):
                await service.record(bill_id, reading_for(i, 1000 + i))
            t_record = time.perf_counter() - t0
            samples: list[tuple[int, float]] = [(0, rss_mb())]

            def sample(progress: SyncProgress) -> None:
                if progress.done % 1000 == 0:
                    samples.append((progress.done, rss_mb()))

            t0 = time.perf_counter()
            report = await service.sync(sample)
            t_sync = time.perf_counter() - t0
        finally:
            await book.aclose()
            await provider.aclose()
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
    the till's side (field book, sync, provider client, httpx) must not."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        p = paths(home).ensure()
        tariffs = tariffs_for(p, True)
        route = home / "route.csv"
        ids = write_route(route, n)
        app = create_app(modules=(SPEC.sandbox_module,))
        transport = httpx.ASGITransport(app=app)
        provider = SPEC.create(
            base_url="http://sandbox.invalid/jpmorgan", credentials=SPEC.demo_credentials(), transport=transport
        )
        book = Fieldbook(p.data_dir / "fieldbook.sqlite3")
        service = FieldService(book, tariffs, provider)
        snaps: list[tracemalloc.Snapshot] = []
        try:
            await service.import_bills(read_route(route, tariffs), route)
            for i, bill_id in enumerate(ids, 1):
                await service.record(bill_id, reading_for(i, 1000 + i))
            tracemalloc.start(25)

            def snap(progress: SyncProgress) -> None:
                if progress.done in (n // 10, n * 9 // 10):
                    gc.collect()
                    snaps.append(tracemalloc.take_snapshot())

            await service.sync(snap)
            tracemalloc.stop()
        finally:
            await book.aclose()
            await provider.aclose()
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
