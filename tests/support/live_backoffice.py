"""The real back office for the machine's side's tests: ``app.backoffice.ingest`` on a real PostgreSQL
(tests/support/pg.py's ``pg_dsn``), reached in process through httpx's ASGI transport (``LiveBackoffice``) or on
a real socket on 127.0.0.1 (``ServedBackoffice``: ``tillqr backoffice serve`` as a process, killed and started
again on the same port to play a back office that goes away and comes back).

Faults are the network's and a proxy's, put in front of the real app (``FaultyTransport``): a 503, a timeout
before the request arrives or after the batch was committed, an answer that is not JSON, a 413 from a proxy with
a body limit. What the back office holds is read back from PostgreSQL (``Held``), never from the app's memory.
"""

from __future__ import annotations

import asyncio
import enum
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

from app.backoffice import db
from app.backoffice.ingest import create_app
from app.replication.wire import INGEST, Stream

ROOT = Path(__file__).resolve().parents[2]
URL = "http://127.0.0.1:9"  # what the in-process tests register with: the ASGI transport never opens it


class Fault(enum.Enum):
    UNAVAILABLE = "503"  # answered 503 by a proxy, nothing committed
    TIMEOUT_BEFORE = "timeout before"  # the request never arrived
    TIMEOUT_AFTER = "timeout after"  # the batch was committed, the answer lost
    NOT_JSON = "not json"  # the batch was committed, the answer garbled on the way


class FaultyTransport(httpx.AsyncBaseTransport):
    """The real app behind httpx's ASGI transport; ``faults`` are applied in turn to the next batch posts, and a
    batch of more than ``proxy_limit`` records is answered 413 before it reaches the app (a proxy's body limit)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.faults: list[Fault] = []
        self.proxy_limit: int | None = None
        self.posts = 0  # batch posts that reached the back office
        self.sizes: list[int] = []  # records in each of them
        self.gate: asyncio.Event | None = None  # when set: batch posts wait for it (a slow network)
        self.held_back = 0  # batch posts waiting at the gate now

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        is_batch = request.url.path.endswith(INGEST)
        fault = self.faults.pop(0) if self.faults and is_batch else None
        if fault is Fault.TIMEOUT_BEFORE:
            raise httpx.ConnectTimeout("no answer", request=request)
        if fault is Fault.UNAVAILABLE:
            return httpx.Response(503, json={"error": "unavailable"}, request=request)
        if is_batch and self.gate is not None:
            self.held_back += 1
            try:
                await self.gate.wait()
            finally:
                self.held_back -= 1
        if is_batch:
            size = len(json.loads(request.content)["records"])
            if self.proxy_limit is not None and size > self.proxy_limit:
                return httpx.Response(413, text="Request Entity Too Large", request=request)
            self.posts += 1
            self.sizes.append(size)
        response = await self.inner.handle_async_request(request)
        if fault is Fault.TIMEOUT_AFTER:
            await response.aread()
            raise httpx.ReadTimeout("answer lost", request=request)
        if fault is Fault.NOT_JSON:
            await response.aread()
            return httpx.Response(200, content=b'{"results": [', request=request)
        return response


@dataclass(frozen=True)
class HeldRecord:
    seq: int
    record_id: str
    sha256: str


class Held:
    """What the back office's database holds, read with plain SQL (usable from sync and async tests alike)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    def _rows(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            return conn.execute(sql.encode(), params).fetchall()

    def _run(self, sql: str, *params: object) -> int:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            return conn.execute(sql.encode(), params).rowcount

    def enrol(self, name: str = "", store: str = "Rua Augusta") -> str:
        """A one-time enrolment code, as ``tillqr backoffice enrol`` prints it."""

        async def go() -> str:
            async with await psycopg.AsyncConnection.connect(self.dsn, autocommit=True) as conn:
                return (await db.enrol(conn, name=name, store=store)).code

        with ThreadPoolExecutor(1) as pool:  # its own loop: callable inside a running one too
            return pool.submit(asyncio.run, go()).result(30)

    def records(self, device_id: str, stream: Stream = Stream.JOURNAL) -> list[HeldRecord]:
        rows = self._rows(
            "SELECT seq, record_id, sha256 FROM records WHERE device_id = %s AND stream = %s ORDER BY seq",
            device_id,
            stream.value,
        )
        return [HeldRecord(int(str(s)), str(r), str(h)) for s, r, h in rows]

    def cursor(self, device_id: str, stream: Stream = Stream.JOURNAL) -> int:
        rows = self._rows("SELECT seq FROM cursors WHERE device_id = %s AND stream = %s", device_id, stream.value)
        return int(str(rows[0][0])) if rows else 0

    def conflicts(self, device_id: str) -> list[tuple[int, str]]:
        rows = self._rows("SELECT seq, reason FROM conflicts WHERE device_id = %s ORDER BY seq", device_id)
        return [(int(str(s)), str(r)) for s, r in rows]

    def device(self, device_id: str) -> tuple[str, str, str]:
        """(name, kind, store) of a registered device."""
        [(name, kind, store)] = self._rows("SELECT name, kind, store FROM devices WHERE id = %s", device_id)
        return str(name), str(kind), str(store)

    def sale_ids(self) -> list[str]:
        return [str(r[0]) for r in self._rows("SELECT sale_id FROM sales ORDER BY sale_id")]

    def readings(self, device_id: str) -> list[tuple[str, str]]:
        """(bill id, the reading's value) of the device's bills."""
        rows = self._rows(
            "SELECT bill_id, reading->>'value' FROM readings WHERE device_id = %s ORDER BY bill_id", device_id
        )
        return [(str(b), str(v)) for b, v in rows]

    def revoke(self, device_id: str) -> None:
        assert self._run("UPDATE devices SET revoked_at = now() WHERE id = %s", device_id) == 1

    def forget_token(self, device_id: str) -> None:
        """The device's token replaced by one nobody has: the back office no longer knows the device's."""
        assert self._run("UPDATE devices SET token_hash = %s WHERE id = %s", db.token_hash("lost"), device_id) == 1


@dataclass
class LiveBackoffice:
    held: Held
    transport: FaultyTransport
    client: httpx.AsyncClient


@asynccontextmanager
async def live_backoffice(dsn: str) -> AsyncIterator[LiveBackoffice]:
    """The real API on ``dsn`` (a migrated database), in process, behind a ``FaultyTransport``."""
    pool = db.make_pool(dsn, max_size=4)
    await pool.open(wait=True)
    transport = FaultyTransport(httpx.ASGITransport(app=create_app(pool)))
    try:
        async with httpx.AsyncClient(transport=transport) as client:
            yield LiveBackoffice(Held(dsn), transport, client)
    finally:
        await pool.close()


class ServedBackoffice:
    """``tillqr backoffice serve`` as its own process on 127.0.0.1 (as a shop runs it); ``stop`` kills it (its
    connections die with it, as with a crash or a pulled cable's RST) and ``start`` again keeps the port (the
    address a till registered with)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.held = Held(dsn)
        self.port = 0
        self._proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "TILLQR_BACKOFFICE_DSN": self.dsn, "PYTHONPATH": str(ROOT)}
        argv = [sys.executable, "-m", "app", "backoffice", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self._proc = proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT
        )
        banner = proc.stdout.readline() if proc.stdout else ""  # printed once it listens (it migrated first)
        if " on http://127.0.0.1:" not in banner:
            proc.kill()
            _out, err = proc.communicate(timeout=10)
            raise RuntimeError(f"the back office did not start: {banner!r} {err.strip()}")
        self.port = int(banner.strip().rsplit(":", 1)[1])

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.communicate(timeout=10)
            self._proc = None
