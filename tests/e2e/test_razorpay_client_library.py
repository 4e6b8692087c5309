"""Razorpay end to end on a real ``python -m app.sandbox`` on 127.0.0.1: the official ``razorpay`` client
library given ``<sandbox>/razorpay`` as its base URL works unchanged, errors included; and TillQR's checkout
runs on the same sandbox through its own client (demo mode with ``TILLQR_SANDBOX_URL``)."""

from __future__ import annotations

import asyncio
import io
import re
import time

import httpx
import pytest
import razorpay
import zxingcpp
from PIL import Image
from razorpay.errors import BadRequestError, ServerError

from app.domain.sale import SaleStatus
from app.qr.emv import decode
from app.runtime import SandboxError, open_runtime

pytestmark = pytest.mark.e2e

SEED_REQUEST = {
    "type": "upi_qr",
    "name": "Store Front Display",
    "usage": "single_use",
    "fixed_amount": True,
    "payment_amount": 300,
    "description": "For Store 1",
    "customer_id": "cust_HKsR5se84c5LTO",
    "close_by": 1681615838,
    "notes": {"purpose": "Test UPI QR Code notes"},
}


@pytest.fixture
def client(sandbox_url):
    httpx.post(f"{sandbox_url}/_sandbox/reset").raise_for_status()
    return razorpay.Client(auth=("rzp_test_1DP5mmOlF5G5ag", "thisisasecret"), base_url=f"{sandbox_url}/razorpay")


def seed_request(**changes):
    return {**SEED_REQUEST, "close_by": int(time.time()) + 900, **changes}


def scan(image_url: str) -> str:
    """What a customer's banking app reads from the image (Pillow + zxing-cpp, not TillQR's reader)."""
    image = httpx.get(image_url)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    return zxingcpp.read_barcodes(Image.open(io.BytesIO(image.content)))[0].text


def customer_pays(sandbox_url: str, payload: str, amount: str | None = None) -> dict:
    r = httpx.post(f"{sandbox_url}/_sandbox/pay", json={"payload": payload, **({"amount": amount} if amount else {})})
    assert r.status_code == 200, r.text
    return r.json()


def test_create_fetch_pay_payments_and_close_with_the_official_library(client, sandbox_url):
    qr = client.qrcode.create(seed_request())
    expected = {k: v for k, v in seed_request().items() if k != "type"}
    assert {k: qr[k] for k in expected} == {**expected, "close_by": qr["close_by"]}
    assert (qr["entity"], qr["status"], qr["type"], qr["payments_amount_received"]) == (
        "qr_code",
        "active",
        "upi_qr",
        0,
    )
    assert qr["image_url"] == f"{sandbox_url}/razorpay/qr/{qr['id']}.png"
    assert client.qrcode.fetch(qr["id"]) == qr

    link = scan(qr["image_url"])
    assert decode(link).valid and decode(link).fields["am"] == "3.00" and decode(link).fields["tr"] == qr["id"]
    refused = httpx.post(f"{sandbox_url}/_sandbox/pay", json={"payload": link, "amount": "1.00"})
    assert refused.status_code == 409  # fixed_amount: another amount is refused
    unpaid = client.qrcode.fetch(qr["id"])
    assert (unpaid["status"], unpaid["payments_amount_received"], unpaid["payments_count_received"]) == (
        "active",
        0,
        0,
    )
    assert customer_pays(sandbox_url, link)["status"] == "closed"
    paid = client.qrcode.fetch(qr["id"])
    assert (paid["status"], paid["close_reason"], paid["payments_amount_received"]) == ("closed", "paid", 300)
    payments = client.qrcode.fetch_all_payments(qr["id"])
    assert payments["entity"] == "collection" and [p["amount"] for p in payments["items"]] == [300]
    assert client.qrcode.fetch_all_payments(qr["id"], {"count": 1})["count"] == 1

    other = client.qrcode.create(seed_request(description="For Store 2"))
    closed = client.qrcode.close(other["id"])
    assert (closed["status"], closed["close_reason"]) == ("closed", "on_demand")
    listed = client.qrcode.all({"count": 10})
    assert [q["id"] for q in listed["items"]] == [other["id"], qr["id"]]
    assert [q["id"] for q in client.qrcode.all({"payment_id": payments["items"][0]["id"]})["items"]] == [qr["id"]]


@pytest.mark.parametrize(
    "call, description",
    [
        (lambda c: c.qrcode.create(seed_request(type="abc")), "The selected type is invalid."),
        (
            lambda c: c.qrcode.create({k: v for k, v in seed_request().items() if k != "usage"}),
            "The usage is required.",
        ),
        (lambda c: c.qrcode.create(seed_request(payment_amount=0)), "The payment amount must be at least 1."),
        (lambda c: c.qrcode.create(seed_request(customer_id="cust_1")), "cust_1 is not a valid id."),
        (lambda c: c.qrcode.create(seed_request(close_by=1)), "close_by must be between 946684800 and 4765046400"),
        (lambda c: c.qrcode.create(seed_request(ajshdas="x")), "ajshdas is/are not required and should not be sent"),
        (
            lambda c: c.qrcode.all(
                {k: v for k, v in seed_request().items() if k not in ("name", "customer_id", "notes")}
            ),
            "type, usage, fixed_amount, payment_amount, description, close_by is/are not required and should not be sent",
        ),
        (lambda c: c.qrcode.fetch("qr_HMsVL8HOpbMcjU"), "The id provided does not exist"),
        (
            lambda c: c.qrcode.close(c.qrcode.close(c.qrcode.create(seed_request())["id"])["id"]),
            "The QR code is already closed.",
        ),
    ],
)
def test_sandbox_errors_surface_as_the_librarys_own(client, call, description):
    with pytest.raises(BadRequestError) as caught:
        call(client)
    assert str(caught.value) == description


def test_credentials_and_outages_as_the_library_sees_them(client, sandbox_url):
    for auth, description in (
        (("", "secret"), "The API key provided is invalid."),
        (("rzp_test_key", ""), "The API secret provided is invalid."),
    ):
        with pytest.raises(BadRequestError, match=re.escape(description)):
            razorpay.Client(auth=auth, base_url=f"{sandbox_url}/razorpay").qrcode.all()
    httpx.post(f"{sandbox_url}/_sandbox/faults", json={"error_rate": 1}).raise_for_status()
    try:
        with pytest.raises(ServerError, match="temporarily unavailable"):
            client.qrcode.all()
    finally:
        httpx.delete(f"{sandbox_url}/_sandbox/faults").raise_for_status()


async def test_the_checkout_on_razorpay_another_amount_refused_then_paid(sandbox_url, tmp_path, monkeypatch):
    monkeypatch.setenv("TILLQR_SANDBOX_URL", sandbox_url)
    rt = await open_runtime(demo=True, provider="razorpay", home=tmp_path, duration_s=60, poll_interval=0.05)
    try:
        ctl = rt.controller
        sale = await ctl.charge("12.50", "table 4")
        assert sale.status == SaleStatus.LINKED and sale.request_id.startswith("qr_")
        info = await rt.provider.get_request(sale.request_id)
        assert sale.payload == await asyncio.to_thread(scan, info.image_url)  # shown = what the image holds
        with pytest.raises(SandboxError, match="fixed-amount"):  # the QR takes its own amount only
            await rt.sandbox.pay(sale.payload, amount="8.00")
        await rt.sandbox.pay(sale.payload)
        closed = await ctl.wait_closed(sale.sale_id, timeout=10)
        assert closed.status == SaleStatus.SETTLED and str(closed.received) == "12.50"
    finally:
        await rt.aclose()


async def test_the_checkout_on_razorpay_expires_on_time_and_closes_the_qr(sandbox_url, tmp_path, monkeypatch):
    monkeypatch.setenv("TILLQR_SANDBOX_URL", sandbox_url)
    rt = await open_runtime(demo=True, provider="razorpay", home=tmp_path, duration_s=1, poll_interval=0.05)
    try:
        sale = await rt.controller.charge("3.00")
        closed = await rt.controller.wait_closed(sale.sale_id, timeout=10)
        assert closed.status == SaleStatus.EXPIRED
        qr = next(r for r in (await rt.sandbox.state())["requests"] if r["id"] == sale.request_id)
        assert qr["status"] == "closed"  # closed at Razorpay too: nobody can pay it now
        assert (await rt.provider.get_request(sale.request_id)).status is SaleStatus.CANCELLED
    finally:
        await rt.aclose()
