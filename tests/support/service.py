"""Driving the back office's API in tests: a device enrolled and registered, records and batches made as the
machine's side makes them (app.replication.wire)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from psycopg_pool import AsyncConnectionPool
from starlette.types import ASGIApp

from app.backoffice import db
from app.domain.jsontypes import JsonObject
from app.replication.wire import API, INGEST, Batch, BatchReply, Record, RecordKind, Stream


@dataclass
class Service:
    client: httpx.AsyncClient
    pool: AsyncConnectionPool
    device_id: str = ""
    token: str = ""
    next_seq: dict[Stream, int] = field(default_factory=dict)

    @classmethod
    async def start(cls, client: httpx.AsyncClient, pool: AsyncConnectionPool, *, store: str = "") -> Service:
        svc = cls(client, pool)
        svc.device_id, svc.token = await svc.register(store=store)
        return svc

    async def register(self, *, store: str = "", name: str = "till 1") -> tuple[str, str]:
        async with self.pool.connection() as conn:
            enrolment = await db.enrol(conn, name=name, store=store)
        answer = await self.client.post(f"{API}/devices", json={"enrolment_code": enrolment.code})
        assert answer.status_code == 201, answer.text
        body = answer.json()
        return body["device_id"], body["token"]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def record(
        self,
        kind: RecordKind = RecordKind.SALE,
        payload: JsonObject | None = None,
        *,
        stream: Stream = Stream.JOURNAL,
        seq: int | None = None,
        device_time: str | None = None,
    ) -> Record:
        """The device's next record on ``stream`` (or at ``seq``)."""
        if seq is None:
            seq = self.next_seq.get(stream, 0) + 1
        self.next_seq[stream] = max(seq, self.next_seq.get(stream, 0))
        body = payload if payload is not None else sale_payload(f"sale-{stream.value}-{seq}")
        return Record.make(self.device_id, stream, seq, kind, body, device_time=device_time)

    async def send(self, records: list[Record], *, sent_at: datetime | None = None) -> httpx.Response:
        at = (sent_at or datetime.now(UTC)).isoformat(timespec="milliseconds")
        batch = Batch(self.device_id, records, at)
        return await self.client.post(f"{API}{INGEST}", json=batch.to_json(), headers=self.auth)

    async def push(self, records: list[Record], *, sent_at: datetime | None = None) -> BatchReply:
        answer = await self.send(records, sent_at=sent_at)
        assert answer.status_code == 200, answer.text
        return BatchReply.from_json(answer.json())

    async def rows(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(sql.encode(), params)
            return await cur.fetchall()


def sale_payload(sale_id: str, status: str = "settled", amount: str = "12.50", **more: str) -> JsonObject:
    created = more.pop("created_at", datetime.now(UTC).isoformat())
    return {
        "sale_id": sale_id,
        "status": status,
        "amount": amount,
        "currency": "BRL",
        "provider": "depay",
        "created_at": created,
        "closed_at": None,
        **more,
    }


def days_ago(n: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=n)


@asynccontextmanager
async def serving(
    dsn: str,
    app_for: Callable[[AsyncConnectionPool], ASGIApp],
    *,
    store: str = "Rua Augusta",
    max_size: int = 4,
    before: Callable[[AsyncConnectionPool], Awaitable[None]] | None = None,
) -> AsyncIterator[Service]:
    """``app_for(pool)`` (the ingest API, or the whole service) in process on a pool of ``dsn``, one device of
    ``store`` registered; ``before(pool)`` runs first (a manager added)."""
    pool = db.make_pool(dsn, max_size=max_size)
    await pool.open(wait=True)
    try:
        if before is not None:
            await before(pool)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app_for(pool)), base_url="http://backoffice.test"
        ) as client:
            yield await Service.start(client, pool, store=store)
    finally:
        await pool.close()
