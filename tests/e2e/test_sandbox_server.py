"""The sandbox as a real server (``python -m app.sandbox``) on 127.0.0.1, driven by the J.P. Morgan client."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from app.domain.money import Money
from app.domain.sale import SaleStatus
from app.providers.base import ChargeSpec, ProviderUnavailable
from app.providers.http import HttpTimeouts
from app.providers.jpmorgan import JPMorganProvider
from app.retry import FakeTimer
from tests.e2e.conftest import start_sandbox, stderr_of

pytestmark = pytest.mark.e2e


@pytest.fixture
async def jpm(sandbox_url):
    httpx.post(f"{sandbox_url}/_sandbox/reset").raise_for_status()
    provider = JPMorganProvider(
        f"{sandbox_url}/jpmorgan",
        "e2e-token",
        timeout=HttpTimeouts(connect=1, read=0.5, attempt=0.5, deadline=4),
        timer=FakeTimer(),  # the waits between attempts take no time
    )
    yield provider
    await provider.aclose()
    httpx.delete(f"{sandbox_url}/_sandbox/faults").raise_for_status()


def sale_spec(sale_id: str) -> ChargeSpec:
    return ChargeSpec(
        request_id=sale_id,
        amount=Money.parse("12.50", "BRL"),
        reference="e2e sale",
        duration_s=60,
        idempotency_key=sale_id,
    )


async def test_one_sale_paid_through_the_static_link(sandbox_url, jpm):
    link = await jpm.create_link("till-e2e", "counter 1")
    info = await jpm.create_request(sale_spec("e" * 32))
    assert info.status is SaleStatus.LINKED
    assert (await jpm.link(link.link_id, info.request_id, "e" * 32 + "-link")).linked_request_id == info.request_id
    async with httpx.AsyncClient(base_url=sandbox_url) as http:
        paid = await http.post("/_sandbox/pay", json={"payload": link.payload})
        assert paid.status_code == 200
        assert paid.json()["request_id"] == info.request_id and paid.json()["status"] == "SETTLED"
        after = await jpm.get_request(info.request_id)
        assert after.status is SaleStatus.SETTLED and after.amount_paid == Money(1250, "BRL")
        assert (await jpm.unlink(link.link_id, info.request_id, "e" * 32 + "-unlink")).linked_request_id is None
        state = (await http.get("/_sandbox/state")).json()
    assert state["requests"] == [
        {
            "id": "e" * 32,
            "provider": "jpmorgan",
            "status": "SETTLED",
            "amount": "12.50",
            "amount_paid": "12.50",
            "linked_to": None,
            "external_reference": "e2e sale",
        }
    ]
    assert state["links"] == [{"id": link.link_id, "provider": "jpmorgan", "linked_request": None}]


async def test_a_dropped_connection_is_a_transport_error_on_a_real_socket(sandbox_url, jpm):
    httpx.post(f"{sandbox_url}/_sandbox/faults", json={"drop_rate": 1}).raise_for_status()
    async with httpx.AsyncClient(base_url=sandbox_url) as http:
        with pytest.raises(httpx.TransportError):
            await http.get(
                "/jpmorgan/receivables/request-to-pay/v1/payment-links/x", headers={"Authorization": "Bearer t"}
            )
    with pytest.raises(ProviderUnavailable) as caught:
        await jpm.get_link("x")
    assert "connection failed" in caught.value.message
    calls = httpx.get(f"{sandbox_url}/_sandbox/calls").json()
    assert calls["count"] == 4 and {c["fault"] for c in calls["calls"]} == {"drop"}


async def test_a_held_answer_times_out_and_the_server_keeps_serving(sandbox_url, jpm):
    httpx.post(f"{sandbox_url}/_sandbox/faults", json={"timeout_rate": 1}).raise_for_status()
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable):
        await jpm.create_request(sale_spec("f" * 32))
    assert time.monotonic() - started < 30  # the answer is held 60 s; the client's 4 s deadline gave up
    httpx.delete(f"{sandbox_url}/_sandbox/faults").raise_for_status()
    info = await jpm.create_request(sale_spec("f" * 32))  # processed while held: the retry finds it
    assert info.request_id == "f" * 32
    assert len(httpx.get(f"{sandbox_url}/_sandbox/state").json()["requests"]) == 1


async def test_error_faults_answer_503_and_sandbox_routes_stay_up(sandbox_url, jpm):
    httpx.post(f"{sandbox_url}/_sandbox/faults", json={"error_rate": 1}).raise_for_status()
    r = httpx.get(
        f"{sandbox_url}/jpmorgan/receivables/request-to-pay/v1/payment-links/x", headers={"Authorization": "Bearer t"}
    )
    assert r.status_code == 503 and r.json()["responseCode"] == "SERVICE_UNAVAILABLE"
    assert "jpmorgan" in httpx.get(f"{sandbox_url}/_sandbox/health").json()["providers"]
    with pytest.raises(ProviderUnavailable):
        await jpm.get_link("x")


def test_a_busy_port_is_refused_with_a_message():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "app.sandbox", "--port", str(port)], capture_output=True, text=True, timeout=30
        )
    assert proc.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr and proc.stdout == ""


def test_interrupt_stops_the_server_cleanly():
    proc, url = start_sandbox(module="app.sandbox")
    assert httpx.get(f"{url}/_sandbox/health").status_code == 200
    proc.send_signal(signal.SIGINT)
    assert proc.wait(10) == 0
    assert "Traceback" not in stderr_of(proc)
