"""Signed notifications on real servers (127.0.0.1): `python -m app sandbox` sends Razorpay's signed webhooks to
TillQR's receiver on uvicorn; a watcher polling once a minute sees SETTLED long before its next poll; forged,
unsigned, replayed, oversized, mistyped and garbled notifications change nothing (forged accepted: 0)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys

import httpx
import pytest

from app.checkout.push import NotificationHub
from app.checkout.watcher import PollingWatcher
from app.domain.exact_json import dumps
from app.domain.money import Money
from app.domain.sale import SaleStatus
from app.notifications.receiver import MAX_BODY, Receiver
from app.notifications.replay import ReplayWindow
from app.notifications.serve import DEMO_SECRET, serve
from app.notifications.sources import signature
from app.providers.base import ChargeSpec, RequestInfo
from app.providers.razorpay import RazorpayProvider
from tests.support.waiting import until

pytestmark = pytest.mark.e2e
SECRET = "whsec-e2e"
JSON = {"Content-Type": "application/json"}


@contextlib.asynccontextmanager
async def running(receiver: Receiver):
    port: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(receiver, "127.0.0.1", 0, announce=False, ready=port.set_result))
    try:
        async with asyncio.timeout(10):
            yield f"http://127.0.0.1:{await port}"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_signed_webhook_settles_the_watched_sale_before_its_next_poll(sandbox_url, tmp_path):
    hub = NotificationHub()
    receiver = Receiver(hub, lambda provider: SECRET, ReplayWindow(tmp_path / "seen.log"))
    async with running(receiver) as till, httpx.AsyncClient(base_url=sandbox_url, timeout=10) as sb:
        hook = {"provider": "razorpay", "url": f"{till}/notifications/razorpay", "secret": SECRET}
        assert (await sb.post("/_sandbox/webhooks", json=hook)).status_code == 200
        rzp = RazorpayProvider(f"{sandbox_url}/razorpay", "rzp_test_e2e", "secret")
        seen: list[SaleStatus] = []
        settled = asyncio.Event()

        async def on_info(info: RequestInfo) -> bool:
            seen.append(info.status)
            if info.status is SaleStatus.SETTLED:
                settled.set()
                return True
            return False

        try:
            money = Money.parse("49.00", "INR")
            info = await rzp.create_request(
                ChargeSpec(request_id="e" * 32, amount=money, reference="e2e", duration_s=300, idempotency_key="k")
            )
            watcher = PollingWatcher(rzp, info.request_id, on_info, interval=60, hub=hub).start()
            await until(lambda: watcher.polls == 1 and seen)  # the first poll: still open
            assert (await sb.post("/_sandbox/pay", json={"payload": info.payload})).status_code == 200
            async with asyncio.timeout(10):  # polling alone would take 60 s
                await settled.wait()
            assert watcher.polls == 2  # woken by the notification, not by its interval
            await watcher.stop()
            await until(lambda: receiver.counts["accepted"] == 2)  # qr_code.credited and qr_code.closed
        finally:
            await rzp.aclose()

        async def delivered() -> bool:
            listed = (await sb.get("/_sandbox/webhooks")).json()["deliveries"]
            return [d["status"] for d in listed[-2:]] == ["delivered", "delivered"]

        await until(delivered)  # the sandbox notes the receiver's answer just after the receiver took it
        deliveries = (await sb.get("/_sandbox/webhooks")).json()["deliveries"]
        await sb.delete("/_sandbox/webhooks")
        assert [(d["kind"], d["response_status"]) for d in deliveries[-2:]] == [
            ("qr_code.credited", 200),
            ("qr_code.closed", 200),
        ]

        # the same deliveries again, as a replaying attacker or a provider's retry would send them
        async with httpx.AsyncClient(base_url=till) as c:
            for d in deliveries[-2:]:
                again = await c.post(
                    "/notifications/razorpay", content=dumps(d["body"]).encode(), headers={**JSON, **d["headers"]}
                )
                assert again.json() == {"status": "duplicate"}
            accepted = receiver.counts["accepted"]
            notified = hub.notified
            body = dumps(deliveries[-1]["body"]).encode()
            forged_body = body.replace(b'"closed"', b'"active"')
            attempts = [
                (body, {**JSON, "X-Razorpay-Signature": "0" * 64}, 403),
                (forged_body, {**JSON, "X-Razorpay-Signature": signature(SECRET, body)}, 403),
                (forged_body, {**JSON, "X-Razorpay-Signature": signature("guessed", forged_body)}, 403),
                (forged_body, JSON, 401),
                (b"x" * (MAX_BODY + 1), {**JSON, "X-Razorpay-Signature": "0" * 64}, 413),
                (forged_body, {"Content-Type": "text/plain", "X-Razorpay-Signature": signature(SECRET, body)}, 415),
                (b"{garbage", {**JSON, "X-Razorpay-Signature": signature(SECRET, b"{garbage")}, 400),
            ]
            for content, headers, status in attempts:
                answer = await c.post("/notifications/razorpay", content=content, headers=headers)
                assert answer.status_code == status, (status, answer.text)
        forged_accepted = receiver.counts["accepted"] - accepted
        assert forged_accepted == 0 and hub.notified == notified


def test_notifications_serve_runs_alone_in_demo_mode(tmp_path):
    env = {**os.environ, "TILLQR_HOME": str(tmp_path), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    argv = [sys.executable, "-m", "app", "notifications", "serve", "--demo", "--port", "0"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        banner = proc.stdout.readline().strip()
        assert banner.startswith("TillQR notifications on http://127.0.0.1:"), (banner, proc.stderr)
        url = banner.rsplit(" ", 1)[1]
        body = dumps({"event": "qr_code.closed", "payload": {"qr_code": {"entity": {"id": "qr_1"}}}}).encode()
        with httpx.Client(base_url=url, timeout=10) as c:
            forged = c.post("/notifications/razorpay", content=body, headers={**JSON, "X-Razorpay-Signature": "00"})
            right = c.post(
                "/notifications/razorpay",
                content=body,
                headers={**JSON, "X-Razorpay-Signature": signature(DEMO_SECRET, body)},
            )
            unsigned = c.post(
                "/notifications/depay", content=b'{"order_id": "o1", "status": "COMPLETED"}', headers=JSON
            )
            counts = c.get("/notifications").json()["counts"]
        assert forged.status_code == 403 and right.json() == {"status": "accepted"}
        assert unsigned.json() == {"status": "ignored"}  # alone, it follows no sale
        assert counts == {"refused_403": 1, "accepted": 1, "ignored": 1}
        assert (tmp_path / "data" / "notifications-seen-demo.log").stat().st_mode & 0o777 == 0o600
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "Traceback" not in err, err
