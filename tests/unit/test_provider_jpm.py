"""The J.P. Morgan client (and ProviderHttp) against the in-process sandbox, and against tiny real ASGI apps."""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from app.domain.money import Money
from app.domain.sale import SaleStatus
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
from app.providers.http import HttpTimeouts, ProviderHttp
from app.providers.jpmorgan import STATUS_MAP, JPMorganProvider, parse_error
from app.providers.registry import PROVIDERS, create_provider
from app.qr.schemes import pix_location
from app.retry import PROVIDER_CALL, SYSTEM_TIMER, FakeTimer
from tests.support.faults import seed_where

from .conftest import JPM_API, T0

SALE = "c" * 32
SALE2 = "d" * 32


def spec(
    request_id: str = SALE,
    amount: str = "12.50",
    currency: str = "BRL",
    duration_s: int = 120,
    reference: str = "sale ref",
) -> ChargeSpec:
    return ChargeSpec(
        request_id=request_id,
        amount=Money.parse(amount, currency),
        reference=reference,
        duration_s=duration_s,
        idempotency_key=request_id,
    )


async def calls(sb_http) -> int:
    return (await sb_http.get("/_sandbox/calls")).json()["count"]


async def faults(sb_http, **settings) -> None:
    r = await sb_http.post("/_sandbox/faults", json=settings)
    assert r.status_code == 200, r.text


# -- the protocol and the happy paths ------------------------------------------------------
def test_it_is_a_payment_provider_claiming_only_what_works(jpm):
    assert isinstance(jpm, PaymentProvider)
    assert jpm.name == "jpmorgan"
    assert jpm.capabilities == (
        Capability.STATIC_LINK
        | Capability.DYNAMIC_QR
        | Capability.CANCEL
        | Capability.AMOUNT_UPDATE
        | Capability.BULK_CREATE
        | Capability.SEARCH
        | Capability.DUE_DATE
    )
    assert set(STATUS_MAP) == {"ACTIVE", "PROCESSING", "SETTLED", "EXPIRED", "CANCELLED", "RETURNED"}


async def test_create_request(jpm, sb_http):
    info = await jpm.create_request(spec())
    assert info.request_id == SALE
    assert info.status is SaleStatus.LINKED and info.provider_status == "ACTIVE"
    assert info.amount == Money(1250, "BRL") and info.amount_paid == Money(0, "BRL")
    assert info.expires_at == T0 + timedelta(seconds=120) and info.expires_at.tzinfo is not None
    assert pix_location(info.payload) == f"pix.sandbox.tillqr.dev/jpm/requests/{SALE}"
    state = (await sb_http.get("/_sandbox/state")).json()
    assert state["requests"][0]["external_reference"] == "sale ref"


async def test_create_request_twice_with_the_same_key_is_one_request(jpm, sb_http):
    first = await jpm.create_request(spec())
    again = await jpm.create_request(spec())
    assert again == first
    assert len((await sb_http.get("/_sandbox/state")).json()["requests"]) == 1


async def test_get_request_follows_payments(jpm, sb_http):
    info = await jpm.create_request(spec())
    await sb_http.post("/_sandbox/pay", json={"payload": info.payload, "amount": "10.00"})
    partial = await jpm.get_request(SALE)
    assert partial.status is SaleStatus.LINKED and partial.amount_paid == Money(1000, "BRL")
    await sb_http.post("/_sandbox/pay", json={"payload": info.payload})
    paid = await jpm.get_request(SALE)
    assert paid.status is SaleStatus.SETTLED and paid.provider_status == "SETTLED"
    assert paid.amount_paid == paid.amount


async def test_get_request_sees_expiry(jpm, sb_clock):
    await jpm.create_request(spec(duration_s=30))
    sb_clock.advance(31)
    info = await jpm.get_request(SALE)
    assert info.status is SaleStatus.EXPIRED and info.provider_status == "EXPIRED"


async def test_cancel_request(jpm, sb_http):
    await jpm.create_request(spec())
    info = await jpm.cancel_request(SALE, f"{SALE}-cancel")
    assert info.status is SaleStatus.CANCELLED
    assert (await jpm.cancel_request(SALE, f"{SALE}-cancel")).status is SaleStatus.CANCELLED
    assert (await jpm.cancel_request(SALE, "another-key")).status is SaleStatus.CANCELLED


async def test_cancel_a_paid_request_is_a_conflict_with_the_providers_words(jpm, sb_http):
    info = await jpm.create_request(spec())
    await sb_http.post("/_sandbox/pay", json={"payload": info.payload})
    with pytest.raises(ProviderConflict) as caught:
        await jpm.cancel_request(SALE, f"{SALE}-cancel")
    assert caught.value.status_code == 409 and caught.value.code == "NOT_CANCELLABLE"
    assert "SETTLED" in caught.value.message and str(caught.value).startswith("jpmorgan: ")


async def test_links_link_and_unlink(jpm, sb_http):
    link = await jpm.create_link("till-1-link", "till 1")
    assert link.linked_request_id is None and link.url.startswith("https://")
    assert pix_location(link.payload) == f"pix.sandbox.tillqr.dev/jpm/links/{link.link_id}"
    assert await jpm.get_link(link.link_id) == link
    await jpm.create_request(spec())
    linked = await jpm.link(link.link_id, SALE, f"{SALE}-link")
    assert linked.linked_request_id == SALE and linked.payload == link.payload
    assert (await jpm.link(link.link_id, SALE, f"{SALE}-link")).linked_request_id == SALE
    r = await sb_http.post("/_sandbox/pay", json={"payload": link.payload})
    assert r.json()["request_id"] == SALE
    unlinked = await jpm.unlink(link.link_id, SALE, f"{SALE}-unlink")
    assert unlinked.linked_request_id is None
    assert (await jpm.unlink(link.link_id, SALE, f"{SALE}-unlink")).linked_request_id is None
    assert (await jpm.get_link(link.link_id)).linked_request_id is None


async def test_linking_over_an_open_request_is_a_conflict(jpm):
    link = await jpm.create_link("k")
    await jpm.create_request(spec())
    await jpm.create_request(spec(SALE2))
    await jpm.link(link.link_id, SALE, "l1")
    with pytest.raises(ProviderConflict) as caught:
        await jpm.link(link.link_id, SALE2, "l2")
    assert caught.value.code == "LINK_BUSY" and SALE in caught.value.message


async def test_unknown_ids_are_not_found(jpm):
    with pytest.raises(ProviderNotFound):
        await jpm.get_request(SALE)
    with pytest.raises(ProviderNotFound):
        await jpm.get_link("nope")
    with pytest.raises(ProviderNotFound):
        await jpm.cancel_request(SALE, "k")


async def test_ids_are_sent_as_one_path_segment(jpm):
    with pytest.raises(ProviderNotFound) as caught:
        await jpm.get_request("../payment-links/x")
    # quoted as one segment, it cannot climb to /payment-links/x (whose answer would be "payment link x not found")
    assert caught.value.code == "NOT_FOUND" and "payment link x" not in caught.value.message


async def test_a_refused_request_is_rejected_with_the_providers_message(jpm, sb_http):
    with pytest.raises(ProviderRejected) as caught:
        await jpm.create_request(spec(currency="USD"))
    error = caught.value
    assert type(error) is ProviderRejected
    assert error.status_code == 400 and error.code == "INVALID_REQUEST"
    assert "request.currency" in error.message and "BRL" in error.message
    assert await calls(sb_http) == 1  # a 4xx is never retried


async def test_an_idempotency_key_reused_for_another_body_is_rejected(jpm):
    await jpm.create_request(spec())
    with pytest.raises(ProviderRejected) as caught:
        await jpm.create_request(spec(amount="99.00"))
    assert caught.value.status_code == 422 and caught.value.code == "IDEMPOTENCY_KEY_REUSED"


async def test_missing_credentials_are_an_auth_error(sb_app):
    http = ProviderHttp(
        "jpmorgan",
        "http://sandbox/jpmorgan" + JPM_API[len("/jpmorgan") :],
        transport=httpx.ASGITransport(app=sb_app),
        error_parser=parse_error,
    )
    try:
        with pytest.raises(ProviderAuthError) as caught:
            await http.get("/payment-links/x")
    finally:
        await http.aclose()
    assert caught.value.status_code == 401 and caught.value.code == "UNAUTHORIZED"
    assert "Bearer" in caught.value.message
    with pytest.raises(ValueError):
        JPMorganProvider("http://sandbox/jpmorgan", "  ")


# -- retries, timeouts, faults ---------------------------------------------------------------
async def test_5xx_is_unavailable_after_retrying(jpm, sb_http):
    await faults(sb_http, error_rate=1)
    with pytest.raises(ProviderUnavailable) as caught:
        await jpm.get_request(SALE)
    assert caught.value.status_code == 503 and "temporarily unavailable" in caught.value.message
    assert caught.value.retryable
    assert await calls(sb_http) == 3
    assert jpm.http.attempts == 3


async def test_writes_with_an_idempotency_key_are_retried(jpm, sb_http):
    await faults(sb_http, error_rate=1)
    with pytest.raises(ProviderUnavailable):
        await jpm.create_request(spec())
    assert await calls(sb_http) == 3


async def test_writes_without_an_idempotency_key_are_never_retried(sb_app, sb_http):
    await faults(sb_http, error_rate=1)
    http = ProviderHttp(
        "jpmorgan",
        "http://sandbox/jpmorgan/receivables/request-to-pay/v1",
        headers={"Authorization": "Bearer t"},
        transport=httpx.ASGITransport(app=sb_app),
        timer=FakeTimer(),
    )
    try:
        with pytest.raises(ProviderUnavailable):
            await http.post("/payment-links", {"description": "x"})
    finally:
        await http.aclose()
    assert await calls(sb_http) == 1


async def test_a_retry_recovers_from_a_passing_failure(jpm, sb_http):
    await jpm.create_request(spec())
    await sb_http.post("/_sandbox/reset")
    seed = seed_where(["error", "drop", None], error_rate=0.5, drop_rate=0.3)
    await faults(sb_http, error_rate=0.5, drop_rate=0.3, seed=seed)
    info = await jpm.create_request(spec())
    assert info.request_id == SALE
    assert [c["fault"] for c in (await sb_http.get("/_sandbox/calls")).json()["calls"]] == ["error", "drop", None]


async def test_dropped_connections_are_unavailable(jpm, sb_http):
    await faults(sb_http, drop_rate=1)
    with pytest.raises(ProviderUnavailable) as caught:
        await jpm.get_link("x")
    assert "connection" in caught.value.message
    assert await calls(sb_http) == 3


async def test_a_held_answer_times_out_and_the_retry_is_the_same_request(jpm_factory, sb_http):
    jpm = jpm_factory(timeout=HttpTimeouts(connect=0.2, read=0.2, attempt=0.2, deadline=5))
    await faults(sb_http, timeout_rate=1)
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable) as caught:
        await jpm.create_request(spec())
    assert time.monotonic() - started < 5.0  # within the deadline, long before the 60 s hold ends
    assert "did not answer within" in caught.value.message
    assert await calls(sb_http) == 3
    await sb_http.delete("/_sandbox/faults")
    info = await jpm.create_request(spec())  # the till retries after the outage: same key
    assert info.request_id == SALE
    assert len((await sb_http.get("/_sandbox/state")).json()["requests"]) == 1


async def test_the_deadline_bounds_all_attempts(jpm_factory, sb_http):
    jpm = jpm_factory(
        timeout=HttpTimeouts(connect=0.15, read=0.15, attempt=0.15, deadline=0.4),
        retry=replace(PROVIDER_CALL, max_attempts=10, base_s=0.01, max_s=0.05),
        timer=SYSTEM_TIMER,  # the deadline is the wall clock's here
    )
    await faults(sb_http, timeout_rate=1)
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable):
        await jpm.get_link("x")
    assert time.monotonic() - started < 5.0  # not 10 attempts of 0.15 s plus backoff...
    assert 2 <= await calls(sb_http) <= 3  # ...as the count of calls shows exactly


async def test_latency_is_waited_for(jpm, sb_http):
    link = await jpm.create_link("k")
    await faults(sb_http, latency_ms=120)
    started = time.monotonic()
    assert (await jpm.get_link(link.link_id)).link_id == link.link_id
    assert time.monotonic() - started >= 0.12


async def test_an_answer_that_is_not_json_is_a_protocol_error(jpm, sb_http):
    await faults(sb_http, garbage_rate=1)
    with pytest.raises(ProviderProtocolError) as caught:
        await jpm.get_link("x")
    assert "not JSON" in caught.value.message
    assert await calls(sb_http) == 3  # reads are retried
    await sb_http.post("/_sandbox/reset")
    await faults(sb_http, garbage_rate=1)
    with pytest.raises(ProviderProtocolError):
        await jpm.create_link("k")
    assert await calls(sb_http) == 1  # writes are not retried on a protocol error


async def test_a_refused_connection_is_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    jpm = JPMorganProvider(
        f"http://127.0.0.1:{port}/jpmorgan",
        "t",
        timeout=HttpTimeouts(connect=0.5, read=0.5, attempt=0.5, deadline=2),
        timer=FakeTimer(),
    )
    try:
        with pytest.raises(ProviderUnavailable) as caught:
            await jpm.get_request(SALE)
    finally:
        await jpm.aclose()
    assert "connection failed" in caught.value.message and jpm.http.attempts == 3


async def test_the_token_never_appears_in_errors_or_logs(jpm_factory, sb_http, caplog):
    caplog.set_level(logging.DEBUG)
    jpm = jpm_factory(token="s3cr3t-t0ken", timeout=HttpTimeouts(connect=0.1, read=0.1, attempt=0.1, deadline=1))
    errors: list[ProviderError] = []
    for setting in ({"error_rate": 1}, {"drop_rate": 1}, {"timeout_rate": 1}, {"garbage_rate": 1}, {}):
        await faults(sb_http, **setting)
        for call in (jpm.get_request(SALE), jpm.create_request(spec(currency="USD")), jpm.get_link("x")):
            try:
                await call
            except ProviderError as exc:
                errors.append(exc)
    assert len(errors) == 15
    for exc in errors:
        text = " ".join([str(exc), repr(exc), repr(exc.args), str(exc.__cause__), str(exc.__context__)])
        assert "s3cr3t" not in text
    assert "s3cr3t" not in caplog.text and "s3cr3t" not in repr(jpm) and "s3cr3t" not in repr(jpm.http)


# -- answers the sandbox never gives: tiny real ASGI apps ----------------------------------
GOOD = {
    "id": SALE,
    "status": "ACTIVE",
    "request": {"paymentAmount": "12.50", "currency": "BRL"},
    "paidAmount": "0.00",
    "qrCode": {"payload": "000201"},
    "expiresAt": "2025-03-01T12:02:00Z",
}


def odd_app(answers: dict[str, Response], hits: list[str]) -> Starlette:
    async def endpoint(request: Request) -> Response:
        name = request.path_params["name"]
        hits.append(name)
        return answers[name]

    return Starlette(
        routes=[
            Route(
                "/jpmorgan/receivables/request-to-pay/v1/payment-requests/{name}", endpoint, methods=["GET", "PATCH"]
            ),
            Route("/jpmorgan/receivables/request-to-pay/v1/payment-links/{name}", endpoint),
        ]
    )


@pytest.mark.parametrize(
    "name, answer",
    [
        ("unknown-status", JSONResponse({**GOOD, "status": "PAID_MAYBE"})),
        ("float-amount", JSONResponse({**GOOD, "request": {"paymentAmount": 12.5, "currency": "BRL"}})),
        ("three-decimals", JSONResponse({**GOOD, "paidAmount": "1.005"})),
        ("naive-time", JSONResponse({**GOOD, "expiresAt": "2025-03-01T12:02:00"})),
        ("no-request", JSONResponse({k: v for k, v in GOOD.items() if k != "request"})),
        ("no-id", JSONResponse({k: v for k, v in GOOD.items() if k != "id"})),
        ("a-list", JSONResponse([GOOD])),
        ("empty", Response(b"", status_code=200)),
        ("redirect", RedirectResponse("/elsewhere", status_code=302)),
    ],
)
async def test_answers_that_cannot_be_understood_are_protocol_errors(jpm_factory, name, answer):
    hits: list[str] = []
    jpm = jpm_factory(app=odd_app({name: answer}, hits))
    with pytest.raises(ProviderProtocolError):
        await jpm.get_request(name)
    assert hits == [name] * 3  # a read: retried, then given up


async def test_a_well_formed_answer_from_another_server_is_parsed(jpm_factory):
    hits: list[str] = []
    jpm = jpm_factory(app=odd_app({"ok": JSONResponse({**GOOD, "expiresAt": "2025-03-01T09:02:00-03:00"})}, hits))
    info = await jpm.get_request("ok")
    assert info.expires_at == T0 + timedelta(minutes=2) and info.expires_at.utcoffset() == timedelta(0)
    assert info.payload == "000201" and hits == ["ok"]


async def test_a_link_answer_without_its_qr_code_is_a_protocol_error(jpm_factory):
    jpm = jpm_factory(app=odd_app({"l": JSONResponse({"id": "l", "url": "https://x", "paymentRequestId": None})}, []))
    with pytest.raises(ProviderProtocolError):
        await jpm.get_link("l")


async def test_an_answer_for_another_request_is_a_protocol_error(jpm_factory):
    app = Starlette(
        routes=[
            Route(
                "/jpmorgan/receivables/request-to-pay/v1/payment-requests",
                lambda request: JSONResponse({**GOOD, "id": SALE2}, status_code=201),
                methods=["POST"],
            )
        ]
    )
    with pytest.raises(ProviderProtocolError) as caught:
        await jpm_factory(app=app).create_request(spec())
    assert SALE2 in caught.value.message


@pytest.mark.parametrize(
    "answer, error, retried",
    [
        (PlainTextResponse("upstream broke", status_code=500), ProviderUnavailable, True),
        (PlainTextResponse("slow down", status_code=429, headers={"Retry-After": "0"}), ProviderUnavailable, True),
        (PlainTextResponse("<html>bad</html>", status_code=400), ProviderRejected, False),
        (
            JSONResponse(
                {"responseStatus": "ERROR", "responseCode": "FORBIDDEN", "responseMessage": "scope missing"},
                status_code=403,
            ),
            ProviderAuthError,
            False,
        ),
        (
            JSONResponse(
                {
                    "responseStatus": "ERROR",
                    "responseCode": "X",
                    "responseMessage": "bad amount",
                    "errors": [{"field": "request.paymentAmount", "message": "too large"}],
                },
                status_code=422,
            ),
            ProviderRejected,
            False,
        ),
    ],
)
async def test_error_statuses_map_to_typed_errors(jpm_factory, answer, error, retried):
    hits: list[str] = []
    jpm = jpm_factory(app=odd_app({"e": answer}, hits))
    with pytest.raises(error) as caught:
        await jpm.get_request("e")
    assert type(caught.value) is error
    assert caught.value.status_code == answer.status_code
    assert len(hits) == (3 if retried else 1)
    if answer.status_code == 400:
        assert caught.value.message == "HTTP 400 Bad Request"
    if answer.status_code == 422:
        assert caught.value.message == "bad amount (request.paymentAmount: too large)" and caught.value.code == "X"


# -- registry ----------------------------------------------------------------------------------
async def test_registry_builds_the_jpmorgan_client(sb_app):
    assert "jpmorgan" in PROVIDERS
    provider = create_provider(
        "jpmorgan",
        base_url="http://sandbox/jpmorgan",
        credentials={"client_id": "c", "client_secret": "s"},
        transport=httpx.ASGITransport(app=sb_app),
        retry=PROVIDER_CALL.with_attempts(1),
    )
    try:
        assert isinstance(provider, JPMorganProvider) and provider.http.policy.max_attempts == 1
        link = await provider.create_link("k")
        assert link.link_id
    finally:
        await provider.aclose()
    with pytest.raises(ValueError, match="unknown provider"):
        create_provider("paypal", base_url="https://x", credentials={})
    with pytest.raises(ValueError, match="client_id.*client_secret"):
        create_provider("jpmorgan", base_url="https://x", credentials={})
