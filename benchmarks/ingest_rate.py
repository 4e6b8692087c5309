"""The back office's ingest rate: records/s committed into PostgreSQL with fsync on, printed as JSON.

    .venv/bin/python benchmarks/ingest_rate.py [--records 60000] [--devices 4] [--instances 1] [--batch 500]

A throw-away cluster (scripts/pg-cluster.sh, fsync and synchronous_commit on, as a shop would run it) and:
- ``http``: ``tillqr backoffice serve`` in its own process(es) (``--instances``, the devices spread over them),
  each device pushing its batches in seq order over HTTP, all devices at once: what a chain's tills see;
- ``direct``: the same batches through ``store_batch`` on a pool in this process, no HTTP: the database's share.
Records are made (and hashed) before the clock starts. Measured, never asserted: the machine is shared.
Goal (issue 15): >= 15,000 records/s on two cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402 - after the path is set
import psycopg  # noqa: E402 - as above

from app.backoffice import db  # noqa: E402 - as above
from app.backoffice.batches import store_batch  # noqa: E402 - as above
from app.backoffice.migrate import migrate  # noqa: E402 - as above
from app.replication.wire import API, INGEST, Batch, Record, RecordKind, Stream  # noqa: E402 - as above
from tests.support.pg import PgCluster, new_database, start_cluster  # noqa: E402 - as above

GOAL = ">= 15000 records/s on two cores, fsync on"


def step(what: str) -> None:
    print(f"bench: {what}", file=sys.stderr, flush=True)


def make_batches(device_id: str, count: int, size: int) -> list[Batch]:
    records = []
    for seq in range(1, count + 1):
        sale = {
            "sale_id": f"{device_id}-{seq // 3}",
            "status": ("pending", "linked", "settled")[seq % 3],
            "amount": f"{seq % 500}.{seq % 100:02d}",
            "currency": "BRL",
            "provider": "depay",
            "created_at": datetime.now(UTC).isoformat(),
            "closed_at": None,
            "reference": f"order {seq}",
        }
        records.append(Record.make(device_id, Stream.JOURNAL, seq, RecordKind.SALE, sale))
    now = datetime.now(UTC).isoformat()
    return [Batch(device_id, records[i : i + size], now) for i in range(0, count, size)]


async def enrol_devices(dsn: str, n: int) -> list[str]:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        return [(await db.enrol(conn, name=f"bench {i}", store="bench")).code for i in range(n)]


def cpu_seconds(pids: list[int]) -> dict[str, float]:
    """CPU seconds so far: the machine's (all cores, busy), the service processes', this process's (the client)."""
    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat", encoding="ascii") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    busy = sum(fields) - fields[3] - fields[4]  # all but idle and iowait
    service = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            stat = fh.read().rsplit(")", 1)[1].split()
        service += int(stat[11]) + int(stat[12])  # utime, stime
    return {"machine": busy / tick, "service": service / tick, "client": time.process_time()}


def cpu_shares(before: dict[str, float], after: dict[str, float], records: int) -> dict[str, float]:
    """Per record, in µs of CPU: the service's, the client's (the tills' work, here on the same cores), and the rest
    (PostgreSQL, mostly)."""
    spent = {k: after[k] - before[k] for k in before}
    rest = spent["machine"] - spent["service"] - spent["client"]
    return {
        "service_cpu_us_per_record": round(spent["service"] / records * 1e6, 1),
        "client_cpu_us_per_record": round(spent["client"] / records * 1e6, 1),
        "postgres_and_other_cpu_us_per_record": round(rest / records * 1e6, 1),
    }


async def over_http(
    urls: list[str], dsn: str, devices: int, per_device: int, size: int, pids: list[int] | None = None
) -> dict[str, float]:
    codes = await enrol_devices(dsn, devices)
    clients = [httpx.AsyncClient(base_url=u, timeout=60) for u in urls]
    try:
        who = []
        for i, code in enumerate(codes):
            answer = await clients[i % len(clients)].post(f"{API}/devices", json={"enrolment_code": code})
            answer.raise_for_status()
            who.append((clients[i % len(clients)], answer.json()["device_id"], answer.json()["token"]))
        # the bodies encoded before the clock starts, as the records are made: that work is the tills', on
        # their own machines, not the back office's (here it would take the service's cores)
        plans = [(c, token, [_body(b) for b in make_batches(dev, per_device, size)]) for c, dev, token in who]
        times: list[float] = []

        async def device(client: httpx.AsyncClient, token: str, bodies: list[bytes]) -> None:
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            for body in bodies:
                t = time.perf_counter()
                answer = await client.post(f"{API}{INGEST}", content=body, headers=headers)
                answer.raise_for_status()
                times.append(time.perf_counter() - t)

        cpu = cpu_seconds(pids or [])
        started = time.perf_counter()
        await asyncio.gather(*(device(c, t, b) for c, t, b in plans))
        took = time.perf_counter() - started
        shares = cpu_shares(cpu, cpu_seconds(pids or []), devices * per_device)
    finally:
        for c in clients:
            await c.aclose()
    return {**_figures(devices * per_device, took, times), **shares}


def _body(batch: Batch) -> bytes:
    return json.dumps(batch.to_json(), separators=(",", ":"), ensure_ascii=False).encode()


async def direct(dsn: str, devices: int, per_device: int, size: int) -> dict[str, float]:
    pool = db.make_pool(dsn, max_size=devices)
    await pool.open(wait=True)
    try:
        codes = await enrol_devices(dsn, devices)
        plans = []
        async with pool.connection() as conn:
            for code in codes:
                device_id, _token = await db.register(conn, code)
                found = await conn.execute("SELECT id, name, kind, store, revoked_at FROM devices WHERE id = %s",
                                           (device_id,))  # fmt: skip
                row = await found.fetchone()
                assert row is not None
                plans.append((db.Device(*row), make_batches(device_id, per_device, size)))
        times: list[float] = []

        async def device(who: db.Device, batches: list[Batch]) -> None:
            for batch in batches:
                t = time.perf_counter()
                async with pool.connection() as conn:
                    await store_batch(conn, who, batch, datetime.now(UTC))
                times.append(time.perf_counter() - t)

        started = time.perf_counter()
        await asyncio.gather(*(device(d, b) for d, b in plans))
        took = time.perf_counter() - started
    finally:
        await pool.close()
    return _figures(devices * per_device, took, times)


def _figures(records: int, took: float, times: list[float]) -> dict[str, float]:
    times.sort()
    return {
        "records_per_s": round(records / took),
        "seconds": round(took, 2),
        "batch_ms_p50": round(statistics.median(times) * 1000, 1),
        "batch_ms_p95": round(times[int(len(times) * 0.95) - 1] * 1000, 1),
    }


def start_services(dsn: str, n: int) -> tuple[list[subprocess.Popen[str]], list[str]]:
    procs, urls = [], []
    env = {**os.environ, "TILLQR_BACKOFFICE_DSN": dsn, "PYTHONPATH": str(ROOT)}
    for _ in range(n):
        p = subprocess.Popen([sys.executable, "-m", "app", "backoffice", "serve", "--port", "0"],
                             stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
        line = p.stdout.readline() if p.stdout else ""
        if " on http://" not in line:
            raise SystemExit(f"the service did not start: {line!r}")
        procs.append(p)
        urls.append(line.strip().rsplit(" on ", 1)[1])
    return procs, urls


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=60000, help="records in all, per mode")
    ap.add_argument("--devices", type=int, default=4, help="devices pushing at once")
    ap.add_argument("--instances", type=int, default=1, help="service processes (http mode)")
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
    per_device = args.records // args.devices
    step("starting PostgreSQL (fsync on)")
    cluster: PgCluster = start_cluster(options="")
    try:
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            fsync = conn.execute("SELECT current_setting('fsync'), current_setting('synchronous_commit')").fetchone()
            conn.execute(b'CREATE DATABASE "bench_template"')
        migrate(cluster.dsn("bench_template"))
        out: dict[str, object] = {
            "goal": GOAL,
            "fsync": fsync[0] if fsync else "?",
            "synchronous_commit": fsync[1] if fsync else "?",
            "cpus": os.cpu_count(),
            "records": per_device * args.devices,
            "devices": args.devices,
            "batch": args.batch,
        }
        step("direct: store_batch on a pool")
        out["direct"] = asyncio.run(
            direct(cluster.dsn(new_database(cluster, "bench_template")), args.devices, per_device, args.batch)
        )
        step(f"http: {args.instances} service process(es)")
        dsn = cluster.dsn(new_database(cluster, "bench_template"))
        procs, urls = start_services(dsn, args.instances)
        try:
            out["http"] = {
                "instances": args.instances,
                **asyncio.run(over_http(urls, dsn, args.devices, per_device, args.batch, [p.pid for p in procs])),
            }
        finally:
            for p in procs:
                p.terminate()
                p.wait(timeout=10)
        print(json.dumps(out, indent=2))
    finally:
        cluster.stop()
        shutil.rmtree(cluster.folder, ignore_errors=True)


if __name__ == "__main__":
    main()
