"""A field agent's laptop for tests: a real field book in a temporary folder, the demo tariffs, and the J.P. Morgan
client talking to the in-process sandbox (httpx's ASGI transport), with the sandbox's test hooks at hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from app.config.paths import paths
from app.fieldwork.route_csv import read_route
from app.fieldwork.service import FieldService
from app.fieldwork.tariff_config import tariffs_for
from app.providers.jpmorgan import SPEC
from app.retry import FakeTimer
from app.sandbox.core import SandboxState
from app.sandbox.server import create_app
from app.storage.fieldbook import Fieldbook
from tests.support.routes import write_route

BASE = "http://sandbox.invalid"


@dataclass
class Laptop:
    service: FieldService
    book: Fieldbook
    sandbox: httpx.AsyncClient  # /_sandbox/* (state, faults, pay, change, cancel, return)
    state: SandboxState
    timer: FakeTimer  # the provider client's retry waits: they pass at once
    home: Path

    async def post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        resp = await self.sandbox.post(path, json=body or {})
        assert resp.status_code == 200, resp.text
        return resp.json()

    async def requests(self) -> dict[str, dict[str, Any]]:
        """The sandbox's requests by external reference (the bill id)."""
        state = (await self.sandbox.get("/_sandbox/state?with=revision")).json()
        return {r["external_reference"]: r for r in state["requests"]}

    async def calls(self, ending: str = "") -> int:
        calls = (await self.sandbox.get("/_sandbox/calls")).json()["calls"]
        return sum(1 for c in calls if c["path"].endswith(ending))

    async def import_route(self, n: int, prefix: str = "B") -> list[str]:
        route = self.home / f"route-{prefix}.csv"
        ids = write_route(route, n, prefix=prefix)
        report = await self.service.import_bills(read_route(route, self.service.tariffs), route)
        assert report.exit_code == 0, report
        return ids


@asynccontextmanager
async def laptop(home: Path) -> AsyncIterator[Laptop]:
    p = paths(home).ensure()
    app = create_app(modules=(SPEC.sandbox_module,))
    transport = httpx.ASGITransport(app=app)
    timer = FakeTimer()
    provider = SPEC.create(
        base_url=f"{BASE}/jpmorgan", credentials=SPEC.demo_credentials(), transport=transport, timer=timer
    )
    book = Fieldbook(p.data_dir / "fieldbook.sqlite3")
    client = httpx.AsyncClient(transport=transport, base_url=BASE)
    try:
        yield Laptop(FieldService(book, tariffs_for(p, True), provider), book, client, app.state.sandbox, timer, home)
    finally:
        await client.aclose()
        await provider.aclose()
        await book.aclose()
