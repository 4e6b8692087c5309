"""The receiver inside a till (``open_runtime(receive=True)``, as the GUI opens it) when ``[notifications] port``
is set: it listens on a real socket, the demo sandbox notifies it, each accepted notification reaches the
controller's hub; a port it cannot have is said in words and the till runs on, polling."""

from __future__ import annotations

import socket

import httpx
import pytest

from app.checkout.push import NotificationHub
from app.config import settings as settings_mod
from app.config.paths import paths
from app.config.secrets import SERVICE, set_secret
from app.notifications.attach import receiver_url
from app.providers.depay import DepayProvider
from app.runtime import CannotStart, open_provider, open_runtime
from tests.support.waiting import until


@pytest.fixture(autouse=True)
def in_process(monkeypatch):
    monkeypatch.delenv("TILLQR_SANDBOX_URL", raising=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def configure(home, port: int) -> None:
    p = paths(home).ensure()
    settings_mod.save(settings_mod.Settings(notify_port=port), p.config_file)


async def test_the_demo_sandbox_notifies_the_tills_receiver_signed(tmp_path):
    port = free_port()
    configure(tmp_path, port)
    rt = await open_runtime(demo=True, provider="razorpay", home=tmp_path, receive=True, poll_interval=0.2)
    try:
        assert rt.listening is not None and rt.listening.port == port and rt.notifications_problem == ""
        assert f"notifications on 127.0.0.1:{port}" in rt.mode_text
        hub = rt.hub
        assert isinstance(hub, NotificationHub) and rt.controller.watch.hub is hub
        sale = await rt.controller.charge("12.50")
        assert rt.sandbox is not None
        await rt.sandbox.pay(sale.payload or "")
        await rt.controller.wait_closed(sale.sale_id, timeout=10)
        receiver = rt.listening.receiver
        await until(lambda: receiver.counts["accepted"] == 2)  # qr_code.credited, then qr_code.closed
        sandbox = rt.sandbox

        async def delivered() -> bool:  # the sandbox records the receiver's answer once it has read it
            deliveries = (await sandbox.client.get("/_sandbox/webhooks")).json()["deliveries"]
            return len(deliveries) == 2 and all(d["status"] == "delivered" for d in deliveries)

        await until(delivered)
        listed = (await rt.sandbox.client.get("/_sandbox/webhooks")).json()
    finally:
        await rt.aclose()
    assert listed["webhooks"] == [
        {"provider": "razorpay", "url": receiver_url("127.0.0.1", port, "razorpay"), "signed": True}
    ]
    assert [(d["kind"], d["response_status"]) for d in listed["deliveries"]] == [
        ("qr_code.credited", 200),
        ("qr_code.closed", 200),
    ]
    assert hub.notified == 2
    with socket.socket() as s:  # closed with the till: the port is free again
        s.bind(("127.0.0.1", port))


async def test_a_depay_order_names_the_tills_receiver(tmp_path):
    port = free_port()
    configure(tmp_path, port)
    rt = await open_runtime(demo=True, provider="depay", home=tmp_path, receive=True, poll_interval=0.2)
    try:
        sale = await rt.controller.charge("30.00")
        assert rt.sandbox is not None and rt.listening is not None
        receiver = rt.listening.receiver
        await until(lambda: sum(receiver.counts.values()) >= 1)  # the creation callback, over a real socket
        sandbox = rt.sandbox

        async def delivered() -> bool:
            deliveries = (await sandbox.client.get("/_sandbox/webhooks")).json()["deliveries"]
            return bool(deliveries) and deliveries[0]["status"] == "delivered"

        await until(delivered)
        sent = (await rt.sandbox.client.get("/_sandbox/webhooks")).json()["deliveries"]
        assert receiver.counts["refused_400"] == receiver.counts["failed"] == 0
    finally:
        await rt.aclose()
    assert sent and {d["url"] for d in sent} == {receiver_url("127.0.0.1", port, "depay")}
    assert sent[0]["body"]["order_id"] == sale.request_id and sent[0]["response_status"] == 200


async def test_a_taken_port_is_said_and_the_till_runs_on(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        configure(tmp_path, port)
        rt = await open_runtime(demo=True, home=tmp_path, receive=True, poll_interval=0.2)
        try:
            assert rt.listening is None
            assert f"cannot listen on 127.0.0.1:{port}" in rt.notifications_problem
            sale = await rt.controller.charge("5.00")  # the till works: polling follows the sale
            assert rt.sandbox is not None
            await rt.sandbox.pay(sale.payload or "")
            assert (await rt.controller.wait_closed(sale.sale_id, timeout=10)).status.value == "settled"
        finally:
            await rt.aclose()


async def test_without_receive_or_port_no_receiver_runs(tmp_path):
    configure(tmp_path, free_port())
    rt = await open_runtime(demo=True, home=tmp_path)  # the command line: never listens
    try:
        assert rt.listening is None and not isinstance(rt.hub, NotificationHub)
    finally:
        await rt.aclose()
    configure(tmp_path, 0)
    rt = await open_runtime(demo=True, home=tmp_path, receive=True)  # port 0: off
    try:
        assert rt.listening is None and rt.notifications_problem == ""
    finally:
        await rt.aclose()


async def test_a_health_check_answers_on_the_real_port(tmp_path):
    port = free_port()
    configure(tmp_path, port)
    rt = await open_runtime(demo=True, provider="jpmorgan", home=tmp_path, receive=True)
    try:
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"http://127.0.0.1:{port}/notifications")
            forged = await client.post(
                f"http://127.0.0.1:{port}/notifications/razorpay",
                content=b'{"event": "qr_code.credited"}',
                headers={"Content-Type": "application/json", "X-Razorpay-Signature": "0" * 64},
            )
    finally:
        await rt.aclose()
    assert answer.status_code == 200 and answer.json()["ok"] is True
    assert forged.status_code == 403  # the demo secret signs; a forged signature changes nothing
    assert isinstance(rt.hub, NotificationHub) and rt.hub.notified == 0


async def test_a_configured_depay_names_the_public_url_and_razorpay_needs_no_webhook_secret(tmp_path, ring):
    p = paths(tmp_path).ensure()
    public = "https://shop.example/notifications"
    depay = settings_mod.Settings(
        provider="depay",
        currency="ARS",
        base_url="https://api.depay.example",
        pos_external_reference="POS-1",
        local_country="AR",
        notify_public_url=public,
    )
    settings_mod.save(depay, p.config_file)
    set_secret("depay", "access_token", "t")
    handle = await open_provider(home=tmp_path)
    try:
        assert isinstance(handle.provider, DepayProvider)
        assert handle.provider.notification_url == f"{public}/depay"
    finally:
        await handle.aclose()

    razorpay = settings_mod.Settings(provider="razorpay", currency="INR", base_url="https://api.razorpay.example")
    settings_mod.save(razorpay, p.config_file)
    set_secret("razorpay", "key_id", "rzp_test_1")
    set_secret("razorpay", "key_secret", "s")  # no webhook_secret: notifications are optional
    handle = await open_provider(home=tmp_path)
    try:
        assert handle.provider.name == "razorpay" and not handle.demo
    finally:
        await handle.aclose()
    ring.delete_password(SERVICE, "razorpay:key_secret")
    with pytest.raises(CannotStart, match="no key_secret for razorpay"):  # the control: a required one is needed
        await open_provider(home=tmp_path)
