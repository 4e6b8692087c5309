"""The Razorpay client against the in-process sandbox, tiny ASGI apps for answers the sandbox never gives,
its PNG reader and its status table (the checkout on Razorpay: tests/e2e/test_razorpay_client_library.py)."""

from __future__ import annotations

import base64
import io
import logging
import struct
import time
import zlib
from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
import pytest
import zxingcpp
from PIL import Image
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.checkout.closing import settle_with_provider
from app.checkout.events import SaleChanged
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.providers.base import (
    Capability,
    ChargeSpec,
    PaymentProvider,
    ProviderAuthError,
    ProviderConflict,
    ProviderError,
    ProviderNotFound,
    ProviderProtocolError,
    ProviderRejected,
    ProviderUnavailable,
)
from app.providers.http import HttpTimeouts
from app.providers.razorpay import MIN_CLOSE_BY_S, NOTE_SALE, RazorpayProvider, parse_qr, status_of, to_info
from app.providers.registry import CREDENTIAL_KEYS, PROVIDERS, create_provider
from app.qr.emv import decode
from app.qr.render import qr_png
from app.qr.scan import png_pixels, read_qr_png
from app.retry import PROVIDER_CALL, FakeTimer
from app.runtime import open_runtime
from tests.support.closing import closed_after
from tests.support.faults import seed_where

from .conftest import T0

QR = "/razorpay/v1/payments/qr_codes"
NOW = int(T0.timestamp())
SALE, SALE2 = "c" * 32, "d" * 32
FAST = HttpTimeouts(connect=1.0, read=1.0, attempt=1.0, deadline=5.0)


@pytest.fixture
async def rzp_factory(sb_app, sb_clock):

    def make(
        *,
        app=None,
        key_secret: str = "secret",
        timeout: HttpTimeouts = FAST,
        clock=None,
        base_url: str = "http://sandbox/razorpay",
    ) -> RazorpayProvider:
        provider = RazorpayProvider(
            base_url,
            "rzp_test_key",
            key_secret,
            timeout=timeout,
            clock=clock or sb_clock,
            transport=httpx.ASGITransport(app=app or sb_app),
            timer=FakeTimer(),  # the waits between attempts take no time
        )
        return provider

    async for made in closed_after(make):
        yield made


@pytest.fixture
def rzp(rzp_factory) -> RazorpayProvider:
    return rzp_factory()


def spec(
    sale: str = SALE, amount: str = "12.50", currency: str = "INR", duration_s: int = 120, reference: str = "table 4"
) -> ChargeSpec:
    return ChargeSpec(
        request_id=sale,
        amount=Money.parse(amount, currency),
        reference=reference,
        duration_s=duration_s,
        idempotency_key=f"{sale}-create",
    )


async def qr_at_sandbox(sb_http, qr_id: str) -> dict:
    return (await sb_http.get(f"{QR}/{qr_id}", auth=("k", "s"))).json()


async def faults(sb_http, **settings) -> None:
    assert (await sb_http.post("/_sandbox/faults", json=settings)).status_code == 200


async def calls(sb_http) -> list:
    return [
        (c["method"], c["path"].rsplit("/", 1)[-1], c["fault"])
        for c in (await sb_http.get("/_sandbox/calls")).json()["calls"]
    ]


# -- the protocol and the happy paths ------------------------------------------------------------
async def test_create_shows_what_the_image_holds(rzp, sb_http):
    assert isinstance(rzp, PaymentProvider) and (rzp.name, rzp.currencies) == ("razorpay", ("INR",))
    assert rzp.capabilities == Capability.DYNAMIC_QR | Capability.CANCEL  # a fixed-amount, single-use QR
    info = await rzp.create_request(spec())
    assert info.request_id.startswith("qr_") and info.request_id != SALE
    assert (info.status, info.provider_status) == (SaleStatus.LINKED, "active")
    assert info.amount == Money(1250, "INR") and info.amount_paid == Money(0, "INR")
    assert info.image_url == f"http://sandbox/razorpay/qr/{info.request_id}.png"
    image = await sb_http.get(info.image_url)  # what the customer scans is what the provider made
    assert zxingcpp.read_barcodes(Image.open(io.BytesIO(image.content)))[0].text == info.payload
    fields = decode(info.payload).fields
    assert (fields["am"], fields["cu"], fields["tr"], fields["tn"]) == ("12.50", "INR", info.request_id, "table 4")
    made = await qr_at_sandbox(sb_http, info.request_id)
    assert (made["usage"], made["type"], made["fixed_amount"], made["payment_amount"]) == (
        "single_use",
        "upi_qr",
        True,
        1250,
    )
    assert made["notes"] == {NOTE_SALE: SALE, "tillqr_expires_at": str(NOW + 120), "tillqr_reference": "table 4"}
    assert made["close_by"] == NOW + MIN_CLOSE_BY_S  # clamped up to the documented minimum (+ a minute)
    assert info.expires_at == T0 + timedelta(seconds=120)  # the till's own deadline, the earlier one


async def test_a_long_sale_closes_by_its_own_duration(rzp, sb_http):
    info = await rzp.create_request(spec(duration_s=7200, reference=""))
    made = await qr_at_sandbox(sb_http, info.request_id)
    assert made["close_by"] == NOW + 7200 and info.expires_at == T0 + timedelta(hours=2)
    assert made["description"] is None and decode(info.payload).fields["tn"] == "TillQR"


@pytest.mark.parametrize("bad", [spec(currency="BRL"), spec(duration_s=0), spec(duration_s=45 * 86400 + 1)])
async def test_what_razorpay_cannot_charge_is_refused_before_any_call(rzp, sb_http, bad):
    with pytest.raises(ProviderRejected):
        await rzp.create_request(bad)
    assert await calls(sb_http) == []


async def test_fixed_amount_refuses_another_amount_then_the_full_payment_settles(rzp, sb_http):
    info = await rzp.create_request(spec())
    refused = await sb_http.post("/_sandbox/pay", json={"payload": info.payload, "amount": "8.00"})
    assert refused.status_code == 409  # fixed_amount: the customer's app cannot pay another amount
    unpaid = await rzp.get_request(info.request_id)
    assert (unpaid.status, unpaid.amount_paid) == (SaleStatus.LINKED, Money(0, "INR"))
    assert unpaid.payload == info.payload  # cached: polling downloads no image
    await sb_http.post("/_sandbox/pay", json={"payload": info.payload})
    paid = await rzp.get_request(info.request_id)
    assert (paid.status, paid.provider_status, paid.amount_paid) == (SaleStatus.SETTLED, "closed/paid", info.amount)
    assert [c for c in await calls(sb_http) if c[1].endswith(".png")] == [("GET", f"{info.request_id}.png", None)]


async def test_expiry_at_close_by(rzp, sb_clock):
    info = await rzp.create_request(spec(duration_s=3600))
    sb_clock.advance(3600)
    expired = await rzp.get_request(info.request_id)
    assert (expired.status, expired.provider_status) == (SaleStatus.EXPIRED, "closed")


async def test_cancel_closes_is_harmless_twice_and_too_late_after_payment(rzp, sb_http):
    info = await rzp.create_request(spec())
    cancelled = await rzp.cancel_request(info.request_id, "k")
    assert (cancelled.status, cancelled.provider_status) == (SaleStatus.CANCELLED, "closed/on_demand")
    assert (await rzp.cancel_request(info.request_id, "k")).status is SaleStatus.CANCELLED
    assert (await rzp.cancel_request(SALE, "k")).status is SaleStatus.CANCELLED  # by the sale id
    paid = await rzp.create_request(spec(SALE2))
    await sb_http.post("/_sandbox/pay", json={"payload": paid.payload})
    assert (await rzp.cancel_request(paid.request_id, "k")).status is SaleStatus.SETTLED


async def test_cancel_while_a_payment_settles_is_a_conflict(sb_clock, rzp_factory):
    from app.sandbox import create_app

    app = create_app(clock=sb_clock, settle_delay_s=5)
    rzp = rzp_factory(app=app)
    info = await rzp.create_request(spec())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as http:
        await http.post("/_sandbox/pay", json={"payload": info.payload})
    with pytest.raises(ProviderConflict) as caught:
        await rzp.cancel_request(info.request_id, "k")
    assert "being processed" in caught.value.message
    sb_clock.advance(5)
    assert (await rzp.get_request(info.request_id)).status is SaleStatus.SETTLED


# -- a payment in flight: authorized, not captured yet -----------------------------------------------
@pytest.fixture
async def slow_rzp(sb_clock, rzp_factory):
    """A client on a sandbox where each payment is authorized 5 s before it is captured, and its HTTP side."""
    from app.sandbox import create_app

    app = create_app(clock=sb_clock, settle_delay_s=5)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as http:
        yield rzp_factory(app=app), http


async def test_a_payment_in_flight_reads_as_processing(slow_rzp, sb_clock):
    rzp, http = slow_rzp
    info = await rzp.create_request(spec())
    await http.post("/_sandbox/pay", json={"payload": info.payload})
    assert (await qr_at_sandbox(http, info.request_id))["payments_amount_received"] == 0  # captured only
    for ident in (info.request_id, SALE):  # by either id
        flying = await rzp.get_request(ident)
        assert (flying.status, flying.provider_status, flying.amount_paid) == (
            SaleStatus.PROCESSING,
            "active/authorized",
            Money(1250, "INR"),
        )
    sb_clock.advance(5)
    paid = await rzp.get_request(info.request_id)
    assert (paid.status, paid.provider_status, paid.amount_paid) == (SaleStatus.SETTLED, "closed/paid", info.amount)


async def test_the_till_closing_a_sale_waits_for_the_payment_in_flight(slow_rzp, sb_clock):
    rzp, http = slow_rzp
    sale = Sale.new(Money(1250, "INR"), "razorpay", "in flight")
    info = await rzp.create_request(spec(sale=sale.sale_id))
    sale = sale.move(SaleStatus.LINKED, request_id=info.request_id)
    await http.post("/_sandbox/pay", json={"payload": info.payload})
    with pytest.raises(ProviderUnavailable, match="active/authorized"):  # StillInProgress: asked again later
        await settle_with_provider(rzp, sale.move(SaleStatus.EXPIRED, reason="expired"))
    assert (await qr_at_sandbox(http, info.request_id))["status"] == "active"  # not closed under the payment
    sb_clock.advance(5)
    settled = await settle_with_provider(rzp, sale.move(SaleStatus.EXPIRED, reason="expired"))
    assert settled.status is SaleStatus.SETTLED and settled.received == Money(1250, "INR")


async def test_payments_are_asked_only_while_active_and_not_fully_received(rzp, sb_http):
    def asked(seen):
        return sum(1 for method, last, _ in seen if (method, last) == ("GET", "payments"))

    info = await rzp.create_request(spec())
    assert asked(await calls(sb_http)) == 0  # a create asks nothing more
    await rzp.get_request(info.request_id)
    await rzp.get_request(info.request_id)
    assert asked(await calls(sb_http)) == 2  # each read asks again: nothing cached
    await sb_http.post("/_sandbox/pay", json={"payload": info.payload})
    before = asked(await calls(sb_http))
    assert (await rzp.get_request(info.request_id)).status is SaleStatus.SETTLED
    assert (await rzp.get_request(SALE)).status is SaleStatus.SETTLED
    assert asked(await calls(sb_http)) == before  # closed: the QR says it all
    other = await rzp.create_request(spec(SALE2))
    await rzp.cancel_request(other.request_id, "k")
    assert (await rzp.get_request(other.request_id)).status is SaleStatus.CANCELLED
    assert asked(await calls(sb_http)) == before


async def test_the_till_follows_a_payment_in_flight_past_its_deadline(tmp_path, monkeypatch):
    """The reviewer's case: paid before the till's deadline, captured after it (here: a 1 s deadline, captured
    2 s after the payment). The cashier sees processing, then paid; never expired (which would invite a second
    payment)."""
    import app.sandbox.server as server

    monkeypatch.delenv("TILLQR_SANDBOX_URL", raising=False)
    monkeypatch.setattr(server, "create_app", partial(server.create_app, settle_delay_s=2.0))
    rt = await open_runtime(demo=True, provider="razorpay", home=tmp_path, duration_s=1, poll_interval=0.05)
    try:
        shown: list[str] = []
        rt.controller.subscribe(lambda e: shown.append(e.sale.status.value) if isinstance(e, SaleChanged) else None)
        sale = await rt.controller.charge("12.50", "table 4")
        assert sale.status == SaleStatus.LINKED
        assert (await rt.sandbox.pay(sale.payload))["status"] == "active"  # authorized: the QR stays active
        closed = await rt.controller.wait_closed(sale.sale_id, timeout=20)
        assert datetime.now(UTC) > sale.expires_at  # it outlived the deadline
        assert closed.status == SaleStatus.SETTLED and closed.received == Money(1250, "INR")
        assert "processing" in shown and "expired" not in shown
        assert "after the till had ended" not in (closed.reason or "")
        qr = next(r for r in (await rt.sandbox.state())["requests"] if r["id"] == sale.request_id)
        assert qr["status"] == "closed"
    finally:
        await rt.aclose()


async def test_get_by_sale_id_and_unknown_ids(rzp):
    info = await rzp.create_request(spec())
    assert (await rzp.get_request(SALE)).request_id == info.request_id
    with pytest.raises(ProviderNotFound) as caught:
        await rzp.get_request("qr_HMsVL8HOpbMcjU")
    assert caught.value.message == "The id provided does not exist" and caught.value.status_code == 400
    with pytest.raises(ProviderNotFound):
        await rzp.get_request(SALE2)
    with pytest.raises(ProviderNotFound):
        await rzp.cancel_request("qr_HMsVL8HOpbMcjU", "k")


async def test_a_refusal_carries_razorpays_description(rzp_factory, sb_clock, sb_http):
    late = rzp_factory(clock=lambda: sb_clock() - timedelta(hours=1))  # its close_by lands in the past
    with pytest.raises(ProviderRejected) as caught:
        await late.create_request(spec())
    assert type(caught.value) is ProviderRejected and caught.value.code == "BAD_REQUEST_ERROR"
    assert str(caught.value) == "razorpay: close_by should be at least 2 minutes after current time"
    assert [c[0] for c in await calls(sb_http)] == ["GET", "POST"]  # look, try once: a 4xx is not retried


async def test_credentials_are_sent_and_their_absence_is_an_auth_error(rzp, sb_http):
    rzp._auth = {}
    with pytest.raises(ProviderAuthError) as caught:
        await rzp.get_request("qr_x")
    assert caught.value.message == "The API key provided is invalid." and caught.value.status_code == 401
    with pytest.raises(ValueError):
        RazorpayProvider("http://x", "key", " ")


# -- no double QR after a timeout -------------------------------------------------------------------
SHORT = HttpTimeouts(connect=0.2, read=0.2, attempt=0.2, deadline=5)


@pytest.mark.parametrize(
    "rate, draws, methods",
    [
        ("timeout_rate", [None, "timeout", None], ["GET", "POST", "GET"]),  # made, answer lost: found
        ("error_rate", [None, "error", None, None], ["GET", "POST", "GET", "POST"]),  # not made: made again
    ],
)
async def test_a_create_is_never_repeated_blindly(rzp_factory, sb_http, rate, draws, methods):
    rzp = rzp_factory(timeout=SHORT)
    await faults(sb_http, **{rate: 0.5, "seed": seed_where(draws, **{rate: 0.5})})
    info = await rzp.create_request(spec())
    assert [(m, f) for m, _, f in await calls(sb_http)][: len(draws)] == list(zip(methods, draws))
    assert [r["id"] for r in (await sb_http.get("/_sandbox/state")).json()["requests"]] == [info.request_id]
    assert decode(info.payload).fields["tr"] == info.request_id


LOST = [None, "timeout", "timeout", "timeout", "timeout"]  # look, create (answer lost), cannot look again


async def test_after_an_outage_a_retry_of_the_sale_finds_its_qr(rzp_factory, sb_http):
    rzp = rzp_factory(timeout=SHORT)
    await faults(sb_http, timeout_rate=0.7, seed=seed_where(LOST, timeout_rate=0.7))
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable):
        await rzp.create_request(spec())
    assert time.monotonic() - started < 5.0  # within the deadline, long before the 60 s hold ends
    await sb_http.delete("/_sandbox/faults")
    assert [(m, f) for m, _, f in await calls(sb_http)] == [
        ("GET", None),
        ("POST", "timeout"),
        *[("GET", "timeout")] * 3,
    ]
    assert len((await sb_http.get("/_sandbox/state")).json()["requests"]) == 1  # the held answer was processed
    assert await rzp.create_request(spec()) == await rzp.create_request(spec())
    assert len((await sb_http.get("/_sandbox/state")).json()["requests"]) == 1


async def test_the_controllers_closing_finds_and_closes_a_qr_whose_answer_was_lost(rzp_factory, sb_http):
    rzp = rzp_factory(timeout=SHORT)
    sale = Sale.new(Money(1250, "INR"), "razorpay", "lost")
    await faults(sb_http, timeout_rate=0.7, seed=seed_where(LOST, timeout_rate=0.7))
    with pytest.raises(ProviderUnavailable):
        await rzp.create_request(spec(sale=sale.sale_id))
    await sb_http.delete("/_sandbox/faults")
    failed = sale.move(SaleStatus.FAILED, reason="provider unreachable")
    assert (await settle_with_provider(rzp, failed)).status is SaleStatus.FAILED
    assert [r["status"] for r in (await sb_http.get("/_sandbox/state")).json()["requests"]] == ["closed"]


async def test_strays_of_a_sale_are_closed(rzp, sb_http):
    for _ in range(2):
        await sb_http.post(
            QR,
            auth=("k", "s"),
            json={
                "type": "upi_qr",
                "usage": "single_use",
                "fixed_amount": True,
                "payment_amount": 1250,
                "notes": {NOTE_SALE: SALE},
            },
        )
    found = await rzp.find_by_sale(SALE)
    assert len(found) == 2
    await rzp._close_strays(SALE, keep=found[-1]["id"], since=NOW - 60)
    assert [q["status"] for q in await rzp.find_by_sale(SALE)] == ["closed", "active"]
    assert (await rzp.create_request(spec())).request_id == found[-1]["id"]  # the one kept


async def test_credentials_never_appear_in_errors_or_logs(rzp_factory, sb_http, caplog):
    caplog.set_level(logging.DEBUG)
    rzp = rzp_factory(key_secret="s3cr3t-k3y", timeout=HttpTimeouts(connect=0.1, read=0.1, attempt=0.1, deadline=1))
    errors: list[ProviderError] = []
    for setting in ({"error_rate": 1}, {"drop_rate": 1}, {"timeout_rate": 1}, {"garbage_rate": 1}):
        await faults(sb_http, **setting)
        for call in (rzp.get_request("qr_x"), rzp.create_request(spec()), rzp.cancel_request("qr_x", "k")):
            try:
                await call
            except ProviderError as exc:
                errors.append(exc)
    assert len(errors) == 12
    encoded = base64.b64encode(b"rzp_test_key:s3cr3t-k3y").decode()
    for exc in errors:
        text = " ".join([str(exc), repr(exc), repr(exc.args), str(exc.__cause__), str(exc.__context__)])
        assert "s3cr3t" not in text and encoded not in text
    assert "s3cr3t" not in caplog.text and encoded not in caplog.text and "s3cr3t" not in repr(rzp)


# -- answers the sandbox never gives ---------------------------------------------------------------
GOOD = {
    "id": "qr_A",
    "entity": "qr_code",
    "status": "active",
    "payment_amount": 1250,
    "payments_amount_received": 0,
    "notes": {NOTE_SALE: SALE},
    "close_by": NOW + 960,
    "image_url": "/img/a.png",
}


def tiny(qr: dict, image: Response, hits: list[str] | None = None, payments: object = ()) -> Starlette:
    """One QR Code answered to create and fetch, an empty list, its ``payments`` (a collection of them, or
    the body itself when it is not a list) and its image at /img/a.png."""

    def img(request):
        return (hits if hits is not None else []).append(request.headers.get("authorization", "")) or image

    paid = (
        {"entity": "collection", "count": len(payments), "items": list(payments)}
        if isinstance(payments, (list, tuple))
        else payments
    )
    return Starlette(
        routes=[
            Route(QR, lambda r: JSONResponse(qr), methods=["POST"]),
            Route(QR, lambda r: JSONResponse({"entity": "collection", "count": 0, "items": []})),
            Route(f"{QR}/{{id}}", lambda r: JSONResponse(qr)),
            Route(f"{QR}/{{id}}/payments", lambda r: JSONResponse(paid)),
            Route("/img/a.png", img),
        ]
    )


def png_of(text: str) -> Response:
    return Response(qr_png(text), media_type="image/png")


async def test_a_relative_image_url_is_fetched_without_credentials(rzp_factory):
    hits: list[str] = []
    rzp = rzp_factory(app=tiny(GOOD, png_of("upi://pay?pa=a@b&am=12.50&cu=INR"), hits), base_url="http://t/razorpay")
    info = await rzp.create_request(spec())
    assert info.payload == "upi://pay?pa=a@b&am=12.50&cu=INR" and hits == [""]


@pytest.mark.parametrize(
    "qr, image, why",
    [
        (GOOD, png_of("upi://pay?pa=a@b&am=99.00&cu=INR"), "charges 99.00"),
        (GOOD, png_of("000201010212"), "no valid upi://pay link"),
        (GOOD, Response(b"<html>", media_type="text/html"), "not an image"),
        (GOOD, Response(b"GIF89a broken", media_type="image/gif"), "could not be read"),
        (GOOD, Response(b"\x89PNG\r\n\x1a\nbroken", media_type="image/png"), "could not be read"),
        ({**GOOD, "image_url": "http://elsewhere.example/a.png"}, png_of("x"), "neither https nor"),
        ({**GOOD, "image_url": None}, png_of("x"), "no image_url"),
        ({**GOOD, "payment_amount": 999}, png_of("x"), "got qr_A of INR 9.99"),
        ({**GOOD, "notes": {NOTE_SALE: SALE2}}, png_of("x"), "for sale"),
    ],
)
async def test_a_qr_that_cannot_be_shown_truthfully_is_a_protocol_error(rzp_factory, qr, image, why):
    with pytest.raises(ProviderProtocolError, match=why):
        await rzp_factory(app=tiny(qr, image), base_url="http://t/razorpay").create_request(spec())


@pytest.mark.parametrize(
    "change",
    [
        {"status": "paid"},
        {"payment_amount": 12.5},
        {"notes": ["x"]},
        {"close_by": "soon"},
        {"id": None},
        {"close_reason": 3},
    ],
)
async def test_answers_that_cannot_be_understood_are_protocol_errors(rzp_factory, change):
    with pytest.raises(ProviderProtocolError):
        await rzp_factory(app=tiny({**GOOD, **change}, png_of("x")), base_url="http://t/razorpay").get_request("qr_A")


def payment(amount: int, status: str) -> dict:
    return {
        "id": f"pay_{status[:4]}{amount}",
        "entity": "payment",
        "amount": amount,
        "currency": "INR",
        "status": status,
        "captured": status == "captured",
        "method": "upi",
    }


@pytest.mark.parametrize(
    "received, payments, expected, paid, word",
    [
        (0, [payment(1250, "authorized")], SaleStatus.PROCESSING, 1250, "active/authorized"),
        (
            0,
            [payment(1250, "captured")],
            SaleStatus.PROCESSING,
            1250,
            "active/authorized",
        ),  # the QR read a moment before
        (1250, [], SaleStatus.PROCESSING, 1250, "active"),  # captured, not closed yet
        (800, [payment(800, "captured"), payment(450, "authorized")], SaleStatus.PROCESSING, 1250, "active/authorized"),
        (0, [payment(800, "authorized")], SaleStatus.LINKED, 0, "active/authorized"),
        (0, [payment(1250, "created"), payment(1250, "failed")], SaleStatus.LINKED, 0, "active"),  # not on their way
        (800, [payment(800, "captured"), payment(450, "failed")], SaleStatus.LINKED, 800, "active"),
    ],
)
async def test_what_the_payments_of_an_active_qr_say(rzp_factory, received, payments, expected, paid, word):
    qr = {**GOOD, "payments_amount_received": received}
    rzp = rzp_factory(app=tiny(qr, png_of("x"), payments=payments), base_url="http://t/razorpay")
    info = await rzp.get_request("qr_A")
    assert (info.status, info.amount_paid, info.provider_status) == (expected, Money(paid, "INR"), word)


@pytest.mark.parametrize(
    "answer",
    [{"items": "no"}, "nope", {"items": [{"amount": 5}]}, {"items": [{"status": "authorized", "amount": 1.5}]}],
)
async def test_payments_that_cannot_be_understood_are_protocol_errors(rzp_factory, answer):
    rzp = rzp_factory(app=tiny(GOOD, png_of("x"), payments=answer), base_url="http://t/razorpay")
    with pytest.raises(ProviderProtocolError):
        await rzp.get_request("qr_A")


# -- the status table --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "status, reason, received, closed_at, expected",
    [
        ("active", None, 0, None, SaleStatus.LINKED),
        ("active", None, 800, None, SaleStatus.LINKED),
        ("active", None, 1250, None, SaleStatus.PROCESSING),
        ("closed", "paid", 1250, NOW + 10, SaleStatus.SETTLED),
        ("closed", "on_demand", 1300, NOW + 10, SaleStatus.SETTLED),  # money arrived: the provider's truth wins
        ("closed", "on_demand", 800, NOW + 10, SaleStatus.CANCELLED),
        ("closed", None, 0, NOW + 960, SaleStatus.EXPIRED),
        ("closed", "on_demand", 0, NOW + 960, SaleStatus.EXPIRED),  # auto-closed, whatever the word
        ("closed", None, 0, None, SaleStatus.EXPIRED),
    ],
)
def test_status_table(status, reason, received, closed_at, expected):
    qr = parse_qr(
        {
            **GOOD,
            "status": status,
            "close_reason": reason,
            "payments_amount_received": received,
            "closed_at": closed_at,
            "close_by": str(NOW + 960),
        }
    )
    assert status_of(qr) is expected


@pytest.mark.parametrize(
    "received, flying, expected",
    [
        (0, 0, SaleStatus.LINKED),
        (0, 800, SaleStatus.LINKED),
        (800, 400, SaleStatus.LINKED),
        (0, 1250, SaleStatus.PROCESSING),
        (800, 450, SaleStatus.PROCESSING),
        (0, 1300, SaleStatus.PROCESSING),
    ],
)
def test_status_table_with_a_payment_in_flight(received, flying, expected):
    qr = {**parse_qr({**GOOD, "payments_amount_received": received}), "in_flight": flying}
    info = to_info(qr, None)
    assert status_of(qr) is info.status is expected
    assert info.amount_paid.minor == received + (flying if expected is SaleStatus.PROCESSING else 0)


# -- the PNG reader (standard library) ----------------------------------------------------------------
def encode_png(rows: list[bytes], width: int, color: int, depth: int, filters: int, palette: bytes = b"") -> bytes:
    bpp = max(1, {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color] * depth // 8)
    out, prev = bytearray(), bytes(len(rows[0]))
    for y, row in enumerate(rows):
        kind = filters if filters < 5 else y % 5
        enc = bytearray([kind])
        for i, x in enumerate(row):
            a, b, c = (row[i - bpp] if i >= bpp else 0), prev[i], (prev[i - bpp] if i >= bpp else 0)
            p = a + b - c  # Paeth, as the PNG specification writes it
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            paeth = a if pa <= pb and pa <= pc else b if pb <= pc else c
            enc.append((x - (0, a, b, (a + b) // 2, paeth)[kind]) & 255)
        out += enc
        prev = row

    chunks = [
        (b"IHDR", struct.pack(">IIBBBBB", width, len(rows), depth, color, 0, 0, 0)),
        (b"PLTE", palette),
        (b"IDAT", zlib.compress(bytes(out))),
        (b"IEND", b""),
    ]
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d)) for k, d in chunks if d or k != b"PLTE"
    )


TEXT = "upi://pay?pa=a@b&am=1.00&cu=INR"


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "LA", "P", "1"])
@pytest.mark.parametrize("filters", [0, 1, 2, 3, 4, 5])
def test_png_reader_reads_every_colour_type_and_filter(mode, filters):
    image = Image.open(io.BytesIO(qr_png(TEXT, scale=3))).convert("L").convert(mode)
    color, depth = {"L": (0, 8), "LA": (4, 8), "RGB": (2, 8), "RGBA": (6, 8), "P": (3, 8), "1": (0, 1)}[mode]
    raw, (w, h) = image.tobytes(), image.size
    n = len(raw) // h  # bytes a row (1-bit rows are padded to whole bytes, as in PNG)
    palette = bytes(image.getpalette()[:768]) if mode == "P" else b""
    assert (
        read_qr_png(encode_png([raw[y * n : (y + 1) * n] for y in range(h)], w, color, depth, filters, palette)) == TEXT
    )


@pytest.mark.parametrize(
    "fmt, options",
    [("JPEG", {"quality": 85}), ("PNG", {"interlace": 1}), ("GIF", {}), ("WEBP", {"lossless": True}), ("PNG16", {})],
)
def test_qr_images_in_other_formats_are_read_too(fmt, options):
    """A provider may serve its QR as a JPEG, an interlaced or 16-bit PNG, a GIF or a WebP."""
    from app.qr.scan import read_qr_image

    image = Image.open(io.BytesIO(qr_png(TEXT, scale=6))).convert("L")
    out = io.BytesIO()
    if fmt == "PNG16":
        image.convert("I;16").save(out, "PNG")
    else:
        image.save(out, fmt, **options)
    assert read_qr_image(out.getvalue()) == TEXT


async def test_a_jpeg_qr_image_is_shown_as_what_it_holds(rzp_factory):
    img = Image.open(io.BytesIO(qr_png("upi://pay?pa=a@b&am=12.50&cu=INR", scale=6))).convert("RGB")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    rzp = rzp_factory(app=tiny(GOOD, Response(out.getvalue(), media_type="image/jpeg")), base_url="http://t/razorpay")
    assert (await rzp.create_request(spec())).payload == "upi://pay?pa=a@b&am=12.50&cu=INR"


def test_png_reader_refuses_what_it_cannot_read():
    with pytest.raises(ValueError, match="not a PNG"):
        png_pixels(b"GIF89a")
    with pytest.raises(ValueError, match="unsupported"):  # the interlace byte of IHDR set
        png_pixels(qr_png(TEXT)[:28] + b"\x01" + qr_png(TEXT)[29:])
    with pytest.raises(ValueError, match="no QR code"):
        read_qr_png(encode_png([bytes(40)] * 40, 40, 0, 8, 0))


# -- registry ------------------------------------------------------------------------------------------
async def test_registry_builds_the_razorpay_client(sb_app):
    assert "razorpay" in PROVIDERS and CREDENTIAL_KEYS["razorpay"] == ("key_id", "key_secret", "webhook_secret")
    provider = create_provider(
        "razorpay",
        base_url="http://sandbox/razorpay",
        credentials={"key_id": "k", "key_secret": "s"},
        transport=httpx.ASGITransport(app=sb_app),
        retry=PROVIDER_CALL.with_attempts(1),
    )
    assert isinstance(provider, RazorpayProvider) and provider.http.policy.max_attempts == 1
    await provider.aclose()
    with pytest.raises(ValueError, match="key_secret"):
        create_provider("razorpay", base_url="https://x", credentials={"key_id": "k"})
