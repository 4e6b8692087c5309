"""A till registered with a back office hears the back office's relayed notifications through its runtime: the
demo sandbox's webhook pointed at the back office (``POST /_sandbox/webhooks``), a sale at the counter paid at
the sandbox, and the sale's watcher woken by the relayed event (the sandbox's own events are switched off and polling is
slower than the test waits, once the watcher's first poll asked before the payment)."""

from __future__ import annotations

import psycopg
import pytest

from app.backoffice import db
from app.checkout.push import JoinedHub, SandboxHub, WebSocketHub
from app.config.paths import paths
from app.notifications.serve import DEMO_SECRET
from app.replication.identity import register
from app.runtime import open_runtime
from app.runtime.backoffice_events import events_url
from tests.support.relaying import instance
from tests.support.waiting import until


@pytest.fixture(autouse=True)
def in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TILLQR_SANDBOX_URL", raising=False)


def test_the_events_url_follows_the_back_offices_scheme() -> None:
    assert events_url("https://bo.example.com/", "d 1") == "wss://bo.example.com/api/v1/devices/d%201/events"
    assert events_url("http://127.0.0.1:8780", "abc") == "ws://127.0.0.1:8780/api/v1/devices/abc/events"


async def test_a_till_not_registered_has_only_its_own_hub(tmp_path, ring) -> None:
    rt = await open_runtime(demo=True, provider="razorpay", home=tmp_path)
    try:
        assert isinstance(rt.hub, SandboxHub)
    finally:
        await rt.aclose()


async def test_a_relayed_notification_wakes_the_registered_tills_watcher(tmp_path, ring, pg_dsn: str) -> None:
    async with instance(pg_dsn) as base, await psycopg.AsyncConnection.connect(pg_dsn, autocommit=True) as conn:
        code = (await db.enrol(conn, name="till 1", store="Rua Augusta")).code
        identity = await register(base, code, data_dir=paths(tmp_path).ensure().data_dir, demo=True)
        rt = await open_runtime(demo=True, provider="razorpay", home=tmp_path, poll_interval=30)
        try:
            hub = rt.hub
            assert isinstance(hub, JoinedHub) and rt.controller.watch.hub is hub
            own, relayed = hub.hubs
            assert isinstance(own, SandboxHub) and isinstance(relayed, WebSocketHub)
            assert relayed.url == events_url(base, identity.device_id)
            await until(lambda: relayed.connected)
            await own.aclose()  # the sandbox's own events off: only the relay can wake the watcher now
            assert rt.sandbox is not None
            hook = {"provider": "razorpay", "url": f"{base}/notifications/razorpay", "secret": DEMO_SECRET}
            assert (await rt.sandbox.client.post("/_sandbox/webhooks", json=hook)).status_code == 200
            sale = await rt.controller.charge("12.50")
            assert sale.request_id is not None
            heard: list[str] = []
            hub.subscribe(sale.request_id, lambda: heard.append("woken"))  # as the watcher is subscribed
            await until(lambda: rt.controller.watch.polls >= 1)  # its first poll asked before the payment
            await rt.sandbox.pay(sale.payload or "")
            closed = await rt.controller.wait_closed(sale.sale_id, timeout=10)
            assert closed.status.value == "settled"
            await until(lambda: bool(heard))  # the relayed qr_code.credited, through the joined hub
            assert relayed.last_id is not None
        finally:
            await rt.aclose()
        cur = await conn.execute("SELECT provider, request_id FROM notifications ORDER BY id LIMIT 1")
        assert await cur.fetchone() == ("razorpay", sale.request_id)


async def test_a_relay_that_cannot_be_reached_leaves_the_till_polling(tmp_path, ring, pg_dsn: str) -> None:
    async with instance(pg_dsn) as base, await psycopg.AsyncConnection.connect(pg_dsn, autocommit=True) as conn:
        code = (await db.enrol(conn, name="till 1")).code
        await register(base, code, data_dir=paths(tmp_path).ensure().data_dir, demo=True)
    rt = await open_runtime(demo=True, provider="razorpay", home=tmp_path, poll_interval=0.2)  # the service is gone
    try:
        assert isinstance(rt.hub, JoinedHub)
        sale = await rt.controller.charge("5.00")
        assert rt.sandbox is not None
        await rt.sandbox.pay(sale.payload or "")
        assert (await rt.controller.wait_closed(sale.sale_id, timeout=10)).status.value == "settled"
    finally:
        await rt.aclose()
