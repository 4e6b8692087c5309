"""A till on the in-process sandbox, for tests of the checkout (real HTTP over the ASGI transport, real SQLite)."""

from __future__ import annotations

import sqlite3
from contextlib import asynccontextmanager
from pathlib import Path

from app.checkout.controller import CheckoutController
from app.runtime import Runtime, open_runtime


@asynccontextmanager
async def demo_till(home: Path, *, duration_s: int = 60, poll_interval: float = 0.05):
    rt = await open_runtime(demo=True, home=home, duration_s=duration_s, poll_interval=poll_interval)
    try:
        yield rt
    finally:
        await rt.aclose()


def second_controller(rt: Runtime) -> CheckoutController:
    """Another process's controller on the same journal and provider: how a restart after a crash looks."""
    return CheckoutController(rt.provider, rt.journal, link_id=rt.controller.link_id, currency=rt.settings.currency,
                              duration_s=rt.controller.duration_s, poll_interval=rt.controller.poll_interval)


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
