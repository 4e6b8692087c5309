"""A till on the in-process sandbox, for tests of the checkout (real HTTP over the ASGI transport, real SQLite)."""

from __future__ import annotations

import sqlite3
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from app.checkout.controller import CheckoutController
from app.domain.sale import utcnow
from app.runtime import Runtime, open_runtime


@asynccontextmanager
async def demo_till(home: Path, *, duration_s: int = 60, poll_interval: float = 0.05):
    rt = await open_runtime(demo=True, home=home, duration_s=duration_s, poll_interval=poll_interval)
    try:
        yield rt
    finally:
        await rt.aclose()


def second_controller(rt: Runtime, *, later_s: float = 0.0) -> CheckoutController:
    """Another process's controller on the same journal and provider: how a restart after a crash looks.
    ``later_s``: it starts that many seconds later (its clock is ahead; move the sandbox's with ``time_travel``)."""
    return CheckoutController(
        rt.provider,
        rt.journal,
        link_id=rt.controller.link_id,
        currency=rt.settings.currency,
        duration_s=rt.controller.duration_s,
        poll_interval=rt.controller.poll_interval,
        clock=lambda: utcnow() + timedelta(seconds=later_s),
    )


async def time_travel(sandbox, seconds: float) -> None:
    """The sandbox's time moves on (``POST /_sandbox/clock``): expiry without waiting for it."""
    (await sandbox.client.post("/_sandbox/clock", json={"advance_s": seconds})).raise_for_status()


def journal_row(rt: Runtime, sale_id: str) -> sqlite3.Row | None:
    """Read the journal through a separate SQLite connection, as another process would."""
    conn = sqlite3.connect(rt.journal.path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM sales WHERE sale_id=?", (sale_id,)).fetchone()
    finally:
        conn.close()


async def sandbox_request(rt: Runtime, request_id: str) -> dict:
    state = await rt.sandbox.state()  # type: ignore[union-attr]
    return next(r for r in state["requests"] if r["id"] == request_id)


async def linked_now(rt: Runtime) -> str | None:
    state = await rt.sandbox.state()  # type: ignore[union-attr]
    return next(link["linked_request"] for link in state["links"] if link["id"] == rt.link.link_id)  # type: ignore[union-attr]


@dataclass
class BareTill:
    """A till built piece by piece, for races that need a hand on the provider or the sandbox's settings."""

    app: object
    provider: object
    sandbox: object
    link: object
    journal: object
    controller: CheckoutController

    async def aclose(self) -> None:
        await self.controller.aclose()
        await self.provider.aclose()
        await self.sandbox.client.aclose()
        await self.journal.aclose()


@asynccontextmanager
async def bare_till(
    home: Path,
    *,
    settle_delay_s: float = 0.0,
    duration_s: int = 60,
    poll: float = 0.05,
    provider_cls=None,
    timeout: float = 1.0,
):
    import httpx

    from app.providers.jpmorgan import JPMorganProvider
    from app.runtime import SandboxHandle
    from app.sandbox.server import create_app
    from app.storage.journal import Journal

    base = "http://sandbox.invalid"
    app = create_app(settle_delay_s=settle_delay_s)
    transport = httpx.ASGITransport(app=app)
    provider = (provider_cls or JPMorganProvider)(f"{base}/jpmorgan", "token", transport=transport, timeout=timeout)
    sandbox = SandboxHandle(httpx.AsyncClient(transport=transport, base_url=base), None)
    link = await provider.create_link("l" * 32, "counter")
    journal = Journal(home / "journal.sqlite3")
    ctl = CheckoutController(
        provider, journal, link_id=link.link_id, currency="BRL", duration_s=duration_s, poll_interval=poll
    )
    till = BareTill(app, provider, sandbox, link, journal, ctl)
    try:
        yield till
    finally:
        await till.aclose()
