"""A field service for the field screen's tests: a real Fieldbook in a folder, the demo tariffs and the
J.P. Morgan client on the in-process sandbox (httpx ASGI transport; the waits between retries take no time),
plus a raw client on the sandbox's test hooks (``/_sandbox/faults``, ``/_sandbox/pay`` …)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.config.paths import paths
from app.fieldwork.route_csv import DEMO_ROUTE_FILE, read_route
from app.fieldwork.service import FieldService
from app.fieldwork.tariff_config import tariffs_for
from app.providers.http import HttpTimeouts
from app.providers.jpmorgan import JPMorganProvider
from app.retry import FakeTimer
from app.sandbox.server import create_app
from app.screens.field_model import FieldModel
from app.storage.fieldbook import Fieldbook


@dataclass
class FieldKit:
    service: FieldService
    sandbox: httpx.AsyncClient  # the sandbox's own routes: faults, pay, state
    models: list[FieldModel] = field(default_factory=list)  # closed (their tasks stopped) before the book

    def model(self, **kw: object) -> FieldModel:
        """A field screen's model on this service, its events delivered, closed with the kit."""
        made = FieldModel(self.service, **kw)  # type: ignore[arg-type]
        self.service.subscribe(made.on_event)
        self.models.append(made)
        return made

    async def offline(self) -> None:
        """Every provider call from now on has its connection dropped."""
        (await self.sandbox.post("/_sandbox/faults", json={"drop_rate": 1.0})).raise_for_status()

    async def online(self) -> None:
        (await self.sandbox.delete("/_sandbox/faults")).raise_for_status()

    async def import_demo_route(self) -> list[str]:
        bills = read_route(DEMO_ROUTE_FILE, self.service.tariffs)
        report = await self.service.import_bills(bills, DEMO_ROUTE_FILE)
        assert report.complete == len(bills), report
        return [b.bill_id for b in bills]

    async def state(self) -> dict[str, dict[str, object]]:
        """The sandbox's requests by id."""
        answer = (await self.sandbox.get("/_sandbox/state")).json()
        return {r["id"]: r for r in answer["requests"]}


@asynccontextmanager
async def field_kit(folder: Path) -> AsyncIterator[FieldKit]:
    p = paths(folder).ensure()
    app = create_app(fault_hold_s=1.0)
    transport = httpx.ASGITransport(app=app)
    provider = JPMorganProvider(
        "http://sandbox/jpmorgan",
        "test-token",
        transport=transport,
        timeout=HttpTimeouts(connect=1.0, read=1.0, attempt=1.0, deadline=5.0),
        timer=FakeTimer(),  # the waits between attempts take no time
    )
    book = Fieldbook(p.data_dir / "fieldbook-demo.sqlite3")
    service = FieldService(book, tariffs_for(p, True), provider)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as sandbox:
        kit = FieldKit(service, sandbox)
        try:
            yield kit
        finally:
            for model in kit.models:
                await model.aclose()
            await book.aclose()
            await provider.aclose()


class Ticks:
    """A timer for the field screen's probes whose ``sleep`` ends when the test says (``tick``), never on the
    clock; ``sleeping`` counts the sleeps begun (a round of the watch is over when it goes up)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.sleeping = 0

    def now(self) -> float:
        return 0.0

    async def sleep(self, seconds: float) -> None:
        self.sleeping += 1
        await self._event.wait()
        self._event.clear()

    def tick(self) -> None:
        self._event.set()
