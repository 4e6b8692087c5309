"""The back office's notification relay in tests: service instances on real uvicorn sockets (127.0.0.1, the
test's own loop), devices registered over HTTP, their sales pushed through the ingest API, and each device's
side as a till runs it (``app.checkout.push.WebSocketHub`` with the device's token), recording what it hears."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import psycopg

from app.backoffice import db
from app.backoffice.serve import serve
from app.checkout.push import WebSocketHub
from app.notifications.serve import DEMO_SECRET
from app.notifications.sources import signature
from app.replication.wire import API, INGEST, Batch, Record, RecordKind, Stream
from tests.support.service import sale_payload
from tests.support.waiting import until

STARTED_S = 30.0


@asynccontextmanager
async def instance(dsn: str) -> AsyncIterator[str]:
    """One service instance (``--demo``'s webhook secret) on a free port; its base URL."""
    started: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(dsn, "127.0.0.1", 0, ready=started.set_result, demo=True))
    await asyncio.wait({task, started}, timeout=STARTED_S, return_when=asyncio.FIRST_COMPLETED)
    if not started.done():
        task.cancel()
        raise RuntimeError(f"the back office did not start: {task.exception() if task.done() else 'timeout'}")
    try:
        yield f"http://127.0.0.1:{started.result()}"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@dataclass
class Till:
    """A registered device and its side of the relay: a ``WebSocketHub`` on the events URL of ``base``."""

    device_id: str
    token: str
    base: str
    heard: list[dict[str, object]] = field(default_factory=list)  # every event the hub dispatched, in order
    hub: WebSocketHub | None = None
    seq: int = 0

    @property
    def events_url(self) -> str:
        return f"ws{self.base[len('http') :]}{API}/devices/{self.device_id}/events"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def listen(self, base: str | None = None) -> WebSocketHub:
        """The hub started (on ``base``'s instance, else the one it registered with) and connected."""
        if base is not None:
            self.base = base
        hub = self.hub = _RecordingHub(self.events_url, self.heard, headers=self.auth, max_backoff=0.2)
        await hub.start()
        await until(lambda: hub.connected)
        return hub

    async def sell(self, client: httpx.AsyncClient, request_id: str) -> None:
        """A sale of this till holding ``request_id``, pushed to the back office."""
        self.seq += 1
        payload = sale_payload(f"sale-{self.device_id[:8]}-{self.seq}", status="pending", request_id=request_id)
        record = Record.make(self.device_id, Stream.JOURNAL, self.seq, RecordKind.SALE, payload)
        batch = Batch(self.device_id, [record], "2026-01-01T00:00:00.000+00:00")
        reply = await client.post(f"{self.base}{API}{INGEST}", json=batch.to_json(), headers=self.auth)
        assert reply.status_code == 200, reply.text

    def requests_heard(self) -> list[str]:
        return [str(e["request_id"]) for e in self.heard]

    async def aclose(self) -> None:
        if self.hub is not None:
            await self.hub.aclose()


class _RecordingHub(WebSocketHub):
    def __init__(self, url: str, heard: list[dict[str, object]], *, headers: dict[str, str], max_backoff: float):
        super().__init__(url, headers=headers, max_backoff=max_backoff)
        self._heard = heard

    def dispatch(self, event: Mapping[str, object]) -> None:
        self._heard.append(dict(event))
        super().dispatch(event)


async def register(client: httpx.AsyncClient, dsn: str, base: str, name: str = "till") -> Till:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        code = (await db.enrol(conn, name=name, store="Rua Augusta")).code
    reply = await client.post(f"{base}{API}/devices", json={"enrolment_code": code})
    assert reply.status_code == 201, reply.text
    return Till(reply.json()["device_id"], reply.json()["token"], base)


def razorpay(
    request_id: str, paise: int = 1250, *, event_id: str = "evt_1", secret: str = DEMO_SECRET
) -> tuple[bytes, dict[str, str]]:
    """A ``qr_code.credited`` webhook as Razorpay (and the sandbox) sends it: its body and headers."""
    body = json.dumps(
        {
            "entity": "event",
            "event": "qr_code.credited",
            "contains": ["payment", "qr_code"],
            "payload": {
                "payment": {"entity": {"id": "pay_1", "amount": paise, "currency": "INR"}},
                "qr_code": {"entity": {"id": request_id, "payments_amount_received": paise}},
            },
        }
    ).encode()
    headers = {
        "content-type": "application/json",
        "x-razorpay-signature": signature(secret, body),
        "x-razorpay-event-id": event_id,
    }
    return body, headers


def jpmorgan(request_id: str, event_id: str = "evt-jpm-1", paid: str = "12.50") -> dict[str, object]:
    return {
        "eventId": event_id,
        "eventType": "PAYMENT_REQUEST_STATUS_CHANGED",
        "paymentRequestId": request_id,
        "status": "PAID",
        "paidAmount": paid,
    }
