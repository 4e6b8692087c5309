"""Push over the sandbox's real websocket, and the fall back to polling when it drops."""

import asyncio
import time

import httpx
import pytest

from app.domain.sale import SaleStatus
from app.runtime import open_runtime
from tests.support.waiting import until

pytestmark = pytest.mark.e2e


@pytest.fixture
async def till(sandbox_url, tmp_path, monkeypatch):
    monkeypatch.setenv("TILLQR_SANDBOX_URL", sandbox_url)
    rt = await open_runtime(demo=True, home=tmp_path, poll_interval=0.5)
    # While pushed, the safety-net poll waits 30 s here (5 s in the shop), so a sale closed within
    # seconds can only have been woken by the socket (or, once it dropped, by the drop itself).
    rt.controller.watch.slow_interval = 30.0
    for _ in range(100):
        if rt.hub.connected:
            break
        await asyncio.sleep(0.05)
    yield rt
    await rt.aclose()


async def test_paid_seen_through_the_websocket(till):
    assert till.hub.connected
    sale = await till.controller.charge("12.50")
    await until(lambda: till.controller.watch.polls >= 1)
    polls_before = till.controller.watch.polls
    t0 = time.perf_counter()
    await till.sandbox.pay(till.link.payload)
    closed = await till.controller.wait_closed(sale.sale_id, timeout=25)
    assert closed.status == SaleStatus.SETTLED and time.perf_counter() - t0 < 15
    assert till.hub.events >= 1 and polls_before <= 2  # slow safety-net polling while pushed


async def test_socket_drop_falls_back_to_polling_without_a_gap(till, sandbox_url):
    sale = await till.controller.charge("7.00")
    await until(lambda: till.controller.watch.polls >= 1)  # polled once: now waiting out its slow (pushed) 30 s
    dropped = httpx.post(f"{sandbox_url}/_sandbox/events/drop").json()["dropped"]
    assert dropped >= 1
    t0 = time.perf_counter()
    await till.sandbox.pay(till.link.payload)  # paid while the socket is down or reconnecting
    closed = await till.controller.wait_closed(sale.sale_id, timeout=25)
    assert closed.status == SaleStatus.SETTLED
    assert time.perf_counter() - t0 < 15  # no 30 s gap: the drop woke the watcher to poll normally
    for _ in range(100):
        if till.hub.connected:
            break
        await asyncio.sleep(0.05)
    assert till.hub.connected and till.hub.connects >= 2  # and it came back


async def test_unreachable_events_mean_plain_polling(sandbox_url, tmp_path, monkeypatch):
    from app.checkout.push import WebSocketHub

    monkeypatch.setenv("TILLQR_SANDBOX_URL", sandbox_url)
    rt = await open_runtime(demo=True, home=tmp_path, poll_interval=0.2)
    try:
        await rt.hub.aclose()
        rt.controller.watch.hub = rt.hub = await WebSocketHub(sandbox_url.replace("http", "ws") + "/nowhere").start()
        sale = await rt.controller.charge("4.00")
        await rt.sandbox.pay(rt.link.payload)
        closed = await rt.controller.wait_closed(sale.sale_id, timeout=10)
        assert closed.status == SaleStatus.SETTLED and not rt.hub.connected
    finally:
        await rt.aclose()
