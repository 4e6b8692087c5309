"""A chain's day to reconcile: J.P. Morgan's sandbox in process (httpx ASGI) with requests created and some paid
there, and sales pushed to the back office through the real ingest API (``tests.support.service.Service``)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from app.backoffice.ingest import create_app as create_ingest
from app.domain.money import Money
from app.providers.base import ChargeSpec, PaymentProvider, RequestInfo
from app.providers.registry import BY_NAME
from app.replication.wire import Record
from app.sandbox.server import create_app

from .service import Service, sale_payload, serving

SANDBOX = "http://sandbox.test"


@dataclass
class Chain:
    """The provider's side (``provider``, ``sandbox`` for the customer's) and the devices' (``service``)."""

    provider: PaymentProvider
    sandbox: httpx.AsyncClient
    service: Service

    async def request(self, amount: str, *, external_id: str | None = None) -> RequestInfo:
        rid = uuid.uuid4().hex
        spec = ChargeSpec(rid, Money.parse(amount, "BRL"), "sale", 3600, rid, external_id=external_id)
        return await self.provider.create_request(spec)

    async def pay(self, info: RequestInfo, amount: str | None = None) -> None:
        body = {"payload": info.payload, **({"amount": amount} if amount else {})}
        answer = await self.sandbox.post("/_sandbox/pay", json=body)
        assert answer.status_code == 200, answer.text

    def sale(self, request_id: str, status: str, amount: str, *, received: str | None = None,
             created_at: datetime | None = None) -> Record:  # fmt: skip
        """A device's SALE record of the sale ``sale-<request id>`` holding ``request_id``."""
        payload = sale_payload(
            f"sale-{request_id}",
            status,
            amount,
            provider="jpmorgan",
            request_id=request_id,
            amount_received=received if received is not None else (amount if status == "settled" else "0.00"),
            created_at=(created_at or datetime.now(UTC)).isoformat(),
        )
        return self.service.record(payload=payload)


@asynccontextmanager
async def on_sandbox(provider: str = "jpmorgan") -> AsyncIterator[tuple[PaymentProvider, httpx.AsyncClient]]:
    """``provider``'s client on the sandbox in process, and a client of the sandbox's own routes."""
    spec = BY_NAME[provider]
    transport = httpx.ASGITransport(app=create_app(modules=(spec.sandbox_module,)))
    client = spec.create(base_url=f"{SANDBOX}/{provider}", credentials=spec.demo_credentials(), transport=transport)
    try:
        async with httpx.AsyncClient(transport=transport, base_url=SANDBOX) as sandbox:
            yield client, sandbox
    finally:
        await client.aclose()


@asynccontextmanager
async def chain(service: Service, provider: str = "jpmorgan") -> AsyncIterator[Chain]:
    """``provider``'s client on the sandbox in process, beside the back office of ``service``."""
    async with on_sandbox(provider) as (client, sandbox):
        yield Chain(client, sandbox, service)


@asynccontextmanager
async def ingest(dsn: str) -> AsyncIterator[Service]:
    """The ingest API on ``dsn`` in process, one device of "Rua Augusta" registered (for tests without the
    ``service`` fixture's loop: a command line run between)."""
    async with serving(dsn, create_ingest, max_size=2) as svc:
        yield svc
