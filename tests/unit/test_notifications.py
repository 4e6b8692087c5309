"""The notification receiver in-process: the sandbox's signed Razorpay webhooks wake a watcher's hub; whatever
is forged, missing, replayed, oversized, mistyped or garbled is refused or ignored with nothing changed."""

from __future__ import annotations

import asyncio
import json
import os
import stat

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.checkout.push import NotificationHub, PushHub
from app.domain.exact_json import dumps
from app.domain.money import Money
from app.notifications.receiver import MAX_BODY, Receiver, create_receiver
from app.notifications.replay import ReplayWindow, body_key
from app.notifications.sources import signature
from app.providers.base import ChargeSpec
from app.providers.razorpay import RazorpayProvider
from app.sandbox.server import create_app
from tests.support.waiting import until

SECRET = "whsec-unit-test"
TILL = "http://till"
JSON = {"Content-Type": "application/json"}


def qr_event(qr_id: str = "qr_Known000000001", event: str = "qr_code.credited") -> bytes:
    body = {
        "entity": "event",
        "event": event,
        "contains": ["qr_code"],
        "payload": {"qr_code": {"entity": {"id": qr_id}}},
    }
    return dumps(body).encode()


def signed(body: bytes, secret: str = SECRET, **extra: str) -> dict[str, str]:
    return {**JSON, "X-Razorpay-Signature": signature(secret, body), **extra}


@pytest.fixture
def receiver() -> Receiver:
    return Receiver(NotificationHub(), lambda provider: SECRET, ReplayWindow())


@pytest.fixture
async def till(receiver):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_receiver(receiver)), base_url=TILL) as c:
        yield c


def nothing_changed(receiver: Receiver) -> bool:
    return receiver.hub.notified == 0 and receiver.hub.events == 0 and len(receiver.replay) == 0


# -- the sandbox's webhooks, end to end in one process ---------------------------------------------------------
async def test_a_payment_sends_a_signed_webhook_that_wakes_the_watcher(receiver):
    sandbox = create_app(notify_transport=httpx.ASGITransport(app=create_receiver(receiver)))
    transport = httpx.ASGITransport(app=sandbox)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as sb:
        answer = await sb.post(
            "/_sandbox/webhooks",
            json={"provider": "razorpay", "url": f"{TILL}/notifications/razorpay", "secret": SECRET},
        )
        assert answer.json() == {"provider": "razorpay", "url": f"{TILL}/notifications/razorpay", "signed": True}
        rzp = RazorpayProvider("http://sandbox/razorpay", "rzp_test_key", "secret", transport=transport)
        try:
            info = await rzp.create_request(
                ChargeSpec(
                    request_id="a" * 32,
                    amount=Money.parse("12.50", "INR"),
                    reference="t",
                    duration_s=120,
                    idempotency_key="k",
                )
            )
            woken = asyncio.Event()
            receiver.hub.subscribe(info.request_id, woken.set)
            assert (await sb.post("/_sandbox/pay", json={"payload": info.payload})).status_code == 200
            async with asyncio.timeout(5):
                await woken.wait()
            await until(lambda: receiver.counts["accepted"] == 2)  # qr_code.credited, then qr_code.closed
            listed = (await sb.get("/_sandbox/webhooks")).json()
        finally:
            await rzp.aclose()
    assert listed["webhooks"] == [answer.json()] and "secret" not in json.dumps(listed["webhooks"])
    events = [(d["kind"], d["status"], d["response_status"]) for d in listed["deliveries"]]
    assert events == [("qr_code.credited", "delivered", 200), ("qr_code.closed", "delivered", 200)]
    credited = listed["deliveries"][0]
    assert credited["body"]["payload"]["payment"]["entity"]["amount"] == 1250
    assert credited["headers"]["X-Razorpay-Signature"] == signature(SECRET, dumps(credited["body"]).encode())


async def test_the_sandbox_refuses_webhooks_it_cannot_send():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()), base_url="http://sandbox") as sb:
        for body in (
            {"provider": "razorpay", "url": "http://till/n"},  # Razorpay signs: a secret is needed
            {"provider": "depay", "url": "http://till/n", "secret": "s"},  # Depay notifies each order's URL
            {"provider": "jpmorgan", "url": "ftp://till/n"},
            {"provider": "jpmorgan", "url": "http://till/n", "colour": "red"},
        ):
            assert (await sb.post("/_sandbox/webhooks", json=body)).status_code == 400, body
        assert (await sb.post("/_sandbox/webhooks", json={"provider": "jpmorgan", "url": "http://till/n"})).json()[
            "signed"
        ] is False
        assert (await sb.delete("/_sandbox/webhooks")).json() == {"dropped": 1}


# -- trust no input ----------------------------------------------------------------------------------------------
async def test_a_signed_event_is_taken_once(till, receiver):
    body = qr_event()
    first = await till.post(
        "/notifications/razorpay", content=body, headers=signed(body, **{"X-Razorpay-Event-Id": "evt_1"})
    )
    assert first.json() == {"status": "accepted"} and receiver.hub.notified == 1
    again = await till.post("/notifications/razorpay", content=body, headers=signed(body))  # same body, no id
    same_id = qr_event(event="qr_code.closed")
    other = await till.post(
        "/notifications/razorpay", content=same_id, headers=signed(same_id, **{"X-Razorpay-Event-Id": "evt_1"})
    )
    assert again.status_code == other.status_code == 200
    assert again.json() == other.json() == {"status": "duplicate"} and receiver.hub.notified == 1


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (JSON, 401),  # no signature
        ({**JSON, "X-Razorpay-Signature": ""}, 401),
        ({**JSON, "X-Razorpay-Signature": "0" * 64}, 403),  # forged
        ({**JSON, "X-Razorpay-Signature": signature("another secret", qr_event())}, 403),
        ({**JSON, "X-Razorpay-Signature": "é".encode("latin-1") * 64}, 403),
        ({"Content-Type": "text/plain", "X-Razorpay-Signature": signature(SECRET, qr_event())}, 415),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415),
    ],
)
async def test_a_bad_or_missing_signature_or_type_is_refused(till, receiver, headers, status):
    answer = await till.post("/notifications/razorpay", content=qr_event(), headers=headers)
    assert answer.status_code == status and answer.json()["status"] == "refused"
    assert nothing_changed(receiver)


async def test_a_signature_over_another_body_is_refused(till, receiver):
    answer = await till.post("/notifications/razorpay", content=qr_event("qr_Other"), headers=signed(qr_event()))
    assert answer.status_code == 403 and nothing_changed(receiver)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{not json",
        b"\xff\xfe{}",
        b"[1, 2]",
        b"null",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"event": 7}',
        b'{"event": "qr_code.credited", "payload": {"qr_code": {"entity": {"id": ""}}}}',
        b'{"event": "qr_code.credited", "payload": {"qr_code": "qr_1"}}',
    ],
)
async def test_garbage_json_is_refused(till, receiver, body):
    answer = await till.post("/notifications/razorpay", content=body, headers=signed(body))
    assert answer.status_code == 400 and answer.json()["status"] == "refused"
    assert nothing_changed(receiver)


async def test_a_body_over_a_megabyte_is_refused_unread(till, receiver):
    big = b'{"event": "' + b"x" * MAX_BODY + b'"}'
    declared = await till.post("/notifications/razorpay", content=big, headers=signed(big))

    async def chunks():
        for _ in range(2 * MAX_BODY // 65536):
            yield b" " * 65536

    streamed = await till.post("/notifications/depay", content=chunks(), headers=JSON)  # no Content-Length
    assert declared.status_code == streamed.status_code == 413 and nothing_changed(receiver)


async def test_unsigned_notifications_count_only_for_a_request_the_till_follows(till, receiver):
    paid = dumps({"order_id": "order-1", "type": "PAYMENT", "status": "COMPLETED", "message": "Payment acreditado"})
    stranger = await till.post("/notifications/depay", content=paid.encode(), headers=JSON)
    assert stranger.json() == {"status": "ignored"} and nothing_changed(receiver)
    woken = asyncio.Event()
    receiver.hub.subscribe("order-1", woken.set)
    followed = await till.post("/notifications/depay", content=paid.encode(), headers=JSON)
    assert followed.json() == {"status": "accepted"} and woken.is_set()
    replayed = await till.post("/notifications/depay", content=paid.encode(), headers=JSON)
    status = dumps(
        {
            "eventId": "e1",
            "eventType": "PAYMENT_REQUEST_STATUS_CHANGED",
            "paymentRequestId": "order-1",
            "status": "SETTLED",
        }
    )
    jpm = await till.post(
        "/notifications/jpmorgan", content=status.encode(), headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert replayed.json() == {"status": "duplicate"} and jpm.json() == {"status": "accepted"}
    assert receiver.hub.notified == 2


async def test_unknown_provider_and_no_secret(receiver):
    no_secret = Receiver(NotificationHub(), lambda provider: None, ReplayWindow())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_receiver(no_secret)), base_url=TILL) as c:
        refused = await c.post("/notifications/razorpay", content=qr_event(), headers=signed(qr_event()))
        unknown = await c.post("/notifications/paypal", content=b"{}", headers=JSON)
        health = (await c.get("/notifications")).json()
    assert refused.status_code == 403 and unknown.status_code == 404
    assert health["counts"] == {"refused_403": 1, "refused_404": 1} and no_secret.hub.notified == 0


@settings(max_examples=300, deadline=None)
@given(
    body=st.binary(max_size=2000) | st.builds(qr_event, st.text(min_size=1, max_size=30)),
    sig=st.binary(max_size=80).filter(lambda b: b"\r" not in b and b"\n" not in b),
)
def test_nothing_is_accepted_without_the_right_hmac(body, sig):
    receiver = Receiver(NotificationHub(), lambda provider: SECRET, ReplayWindow())
    if sig.strip().lower() == signature(SECRET, body).encode():
        sig += b"0"

    async def post_both() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=create_receiver(receiver))
        async with httpx.AsyncClient(transport=transport, base_url=TILL) as client:
            forged = await client.post(
                "/notifications/razorpay", content=body, headers={**JSON, "X-Razorpay-Signature": sig}
            )
            assert receiver.hub.notified == 0 and len(receiver.replay) == 0
            return forged, await client.post("/notifications/razorpay", content=body, headers=signed(body))

    forged, right = asyncio.run(post_both())
    assert forged.status_code in (400, 401, 403) and forged.json()["status"] == "refused"
    assert right.json()["status"] in ("accepted", "refused")  # the same body, rightly signed, may pass
    assert receiver.hub.notified == (1 if right.json()["status"] == "accepted" else 0)


# -- the hub and the window --------------------------------------------------------------------------------------
async def test_the_notification_hub_never_slows_polling_and_wakes_both_sides():
    inner = PushHub()
    hub = NotificationHub(inner)
    woken: list[str] = []
    unsubscribe = hub.subscribe("r1", lambda: woken.append("r1"))
    inner.connected = True
    assert hub.connected and not NotificationHub().connected
    hub.notify("r1")
    inner.dispatch({"request_id": "r1"})
    assert woken == ["r1", "r1"] and hub.watching("r1")
    unsubscribe()
    assert not hub.watching("r1") and inner._subs == {}


def test_the_replay_window_is_bounded_and_survives_a_restart(tmp_path):
    now = [1000.0]
    path = tmp_path / "seen.log"
    window = ReplayWindow(path, limit=3, ttl_s=60, clock=lambda: now[0])
    keys = [body_key("razorpay", str(i).encode()) for i in range(10)]
    for key in keys:
        window.add(key)
    assert len(window) == 3 and not window.seen(keys[0]) and window.seen(keys[9])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and len(path.read_text().splitlines()) <= 6
    again = ReplayWindow(path, limit=3, ttl_s=60, clock=lambda: now[0])
    assert again.seen(keys[9]) and not again.seen(keys[5])
    now[0] += 61
    assert not again.seen(keys[9])  # past the window: a provider's retries ended long ago
    path.write_text("garbage\n1000.0\n")  # a torn file is read as far as it goes
    assert len(ReplayWindow(path, clock=lambda: now[0])) == 0
