"""Depay on a real `python -m app sandbox` (127.0.0.1): notifications posted to a real receiver, stage rules,
and `tillqr charge --provider depay` ending settled / failed / cancelled."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.e2e.conftest import start_sandbox, stop_sandbox

pytestmark = pytest.mark.e2e
AUTH = {"Authorization": "Bearer e2e-token"}


class Receiver:
    """A merchant's notification endpoint on uvicorn, in a thread."""

    def __init__(self) -> None:
        self.got: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))  # bound now, so no other process can take the port meanwhile
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        app = Starlette(routes=[Route("/{path:path}", self.receive, methods=["POST"])])
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    async def receive(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        with self.lock:
            self.got.append((request.url.path, body))
        return JSONResponse({"received": True})

    def at(self, path: str, count: int, timeout: float = 10.0) -> list[dict]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                bodies = [b for p, b in self.got if p == path]
            if len(bodies) >= count:
                return bodies
            time.sleep(0.02)
        raise AssertionError(f"{path}: {len(bodies)} notification(s), wanted {count}: {bodies}")


@pytest.fixture(scope="module")
def receiver():
    rx = Receiver()
    rx.thread.start()
    end = time.monotonic() + 10
    while not rx.server.started and time.monotonic() < end:
        time.sleep(0.02)
    assert rx.server.started
    yield rx
    rx.server.should_exit = True
    rx.thread.join(10)


@pytest.fixture(scope="module")
def sandbox():
    proc, url = start_sandbox()
    try:
        with httpx.Client(base_url=url, timeout=10) as client:
            yield client
    finally:
        stop_sandbox(proc)


def create(sandbox, receiver, path, amount=1000, ref=None) -> dict:
    ref = ref or f"e2e-{uuid.uuid4().hex[:12]}"
    r = sandbox.post(
        "/depay/v2/qr",
        headers=AUTH,
        json={
            "local_currency": "ARS",
            "local_country": "AR",
            "qr_from": "AR",
            "amount": amount,
            "pos_external_reference": "POS-E2E",
            "external_reference": ref,
            "notification_url": receiver.url + path,
        },
    )
    assert r.status_code == 201, r.text
    return {**r.json(), "external_reference": ref}


def status(sandbox, order_id) -> str:
    return sandbox.get(f"/depay/v2/payins/orders/{order_id}", headers=AUTH).json()["status"]


def test_creation_and_payment_notifications(sandbox, receiver):
    order = create(sandbox, receiver, "/pay")
    [callback] = receiver.at("/pay", 1)
    assert callback["order_status"] == "CREATED" and callback["qr_code"] == order["qr_data"]
    paid = sandbox.post("/_sandbox/pay", json={"payload": order["qr_data"]})
    assert paid.status_code == 200 and paid.json()["status"] == "COMPLETED"
    assert receiver.at("/pay", 2)[1] == {
        "order_id": order["order_id"],
        "type": "PAYMENT",
        "status": "COMPLETED",
        "message": "Payment acreditado",
        "external_reference": order["external_reference"],
        "user_tax_id": "304658985",
        "user_account": "31111111111111111112",
    }
    assert status(sandbox, order["order_id"]) == "COMPLETED"


def test_refund_notifications_full_and_partial(sandbox, receiver):
    whole, part = create(sandbox, receiver, "/refund-full"), create(sandbox, receiver, "/refund-part")
    for order in (whole, part):
        assert sandbox.post("/_sandbox/pay", json={"payload": order["qr_data"]}).status_code == 200
    r = sandbox.post(
        "/depay/v2/qr/refund",
        headers=AUTH,
        json={"order_id": whole["order_id"], "partial": False, "amount": 1000, "reason": "refund reason"},
    )
    assert r.status_code == 200 and r.json()["status"] == "PENDING"
    r = sandbox.post(
        "/depay/v2/qr/refund",
        headers=AUTH,
        json={
            "order_id": part["order_id"],
            "partial": True,
            "amount": 250,
            "reason": "one item",
            "notification_url": receiver.url + "/refund-only",
        },
    )
    assert r.status_code == 200

    def refund_notice(order, word):
        return {
            "order_id": order["order_id"],
            "type": "REFUND",
            "status": word,
            "message": "Refund DEVUELTA",
            "external_reference": order["external_reference"],
        }

    # each refund: PARTIALLY_REFUNDED (taken from the merchant, not final), then REFUNDED (the seed's refund table)
    assert receiver.at("/refund-full", 4)[2:] == [
        refund_notice(whole, "PARTIALLY_REFUNDED"),
        refund_notice(whole, "REFUNDED"),
    ]
    assert receiver.at("/refund-only", 2) == [
        refund_notice(part, "PARTIALLY_REFUNDED"),
        refund_notice(part, "REFUNDED"),
    ]
    assert status(sandbox, part["order_id"]) == "PARTIALLY_REFUNDED"  # the order table's word: partly refunded


@pytest.mark.parametrize(
    "amount, word, message",
    [
        (1009, "FAILED", "New payment status: failed. Unexpected error"),
        (1008, "CANCELED", "New payment status: canceled. Preview not accepted"),
    ],
)
def test_stage_rules_end_failed_and_canceled(sandbox, receiver, amount, word, message):
    order = create(sandbox, receiver, f"/stage-{amount}", amount=amount)
    paid = sandbox.post("/_sandbox/pay", json={"payload": order["qr_data"]})
    assert paid.json()["status"] == word and paid.json()["amount_paid"] == "0.00"
    notice = receiver.at(f"/stage-{amount}", 2)[1]
    assert (notice["type"], notice["status"], notice["message"]) == ("PAYMENT", word, message)
    assert status(sandbox, order["order_id"]) == word


@pytest.mark.parametrize(
    "amount, outcome, code", [("12.50", "settled", 0), ("12.59", "failed", 2), ("12.58", "cancelled", 2)]
)
def test_tillqr_charge_on_depay(sandbox, tmp_path, amount, outcome, code):
    env = dict(os.environ, TILLQR_SANDBOX_URL=str(sandbox.base_url).rstrip("/"), TILLQR_HOME=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-m", "app", "charge", amount, "--demo", "--provider", "depay", "--pay-after", "0.5"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines[0]["event"] == "linked" and lines[0]["provider"] == "depay" and lines[0]["currency"] == "ARS"
    assert lines[-1]["event"] == "closed" and lines[-1]["status"] == outcome, proc.stderr
    assert proc.returncode == code, proc.stderr


def test_the_expiration_notification_after_10_minutes(sandbox, receiver):
    # last: the sandbox's time jumps 10 minutes for every order still open
    order = create(sandbox, receiver, "/expire")
    receiver.at("/expire", 1)
    assert sandbox.post("/_sandbox/clock", json={"advance_s": 599}).status_code == 200
    assert status(sandbox, order["order_id"]) == "CREATED"
    assert sandbox.post("/_sandbox/clock", json={"advance_s": 1}).status_code == 200
    assert receiver.at("/expire", 2)[1] == {
        "order_id": order["order_id"],
        "type": "PAYMENT",
        "status": "CANCELED",
        "message": "New payment status: canceled. Order Expired",
        "external_reference": order["external_reference"],
    }
    assert sandbox.post("/_sandbox/pay", json={"payload": order["qr_data"]}).status_code == 409
