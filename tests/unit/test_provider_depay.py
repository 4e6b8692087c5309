"""DepayProvider against the in-process sandbox (and the seed's own answers), on a manual clock."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from app.domain.money import Money
from app.domain.sale import SaleStatus
from app.providers.base import (
    Capability,
    ChargeSpec,
    ProviderAuthError,
    ProviderConflict,
    ProviderNotFound,
    ProviderProtocolError,
    ProviderRejected,
    ProviderUnavailable,
)
from app.providers.depay import (
    NO_RECEIVER_URL,
    REFUND_STATUS,
    STATUS_MAP,
    DepayProvider,
    parse_created,
    parse_error,
    parse_order,
)
from app.providers.depay_parse import refund_trail
from app.providers.http import HttpTimeouts
from app.providers.registry import CREDENTIAL_KEYS, create_provider
from app.qr.emv import decode
from app.retry import PROVIDER_CALL, FakeTimer
from app.sandbox import create_app
from app.sandbox.depay_flow import notifier
from tests.support.closing import closed_after
from tests.support.faults import seed_where

from .conftest import T0

SEED_ORDER = {
    "id": "7478bd70-87ad-49d0-9143-9b148d776fc7",
    "status": "COMPLETED",
    "creation_date": "2023-05-15T11:45:38.2678234+00:00",
    "update_date": "2023-05-15T11:45:38.2678234+00:00",
    "local_amount": 7,
    "local_currency": "ARS",
    "user_amount": 7,
    "user_currency": "ARS",
    "external_reference": "123123123",
    "statuses": [
        {"status": "CREATED", "created_at": "2024-11-01 20:01:30.948423"},
        {"status": "WAITING_AMOUNT", "created_at": "2024-11-01 20:01:50.567650"},
        {"status": "COMPLETED", "created_at": "2024-11-01 20:02:00.343641"},
    ],
}
SEED_CREATED = {
    "status": "success",
    "order_id": "7478bd70-87ad-49d0-9143-9b148d776fc7",
    "qr_data": "00020101021102080000000041370012com.TEST98113069226478599020143160012B0000045519650150011"
    "30707101020512600220000531909000067076630520454115802AR5918GRANJAS CARNAVE SA6012BUENOS"
    " AIRES61041000530303262100706S0282581050001Z63040F00",
    "message": "QR generated successfully.",
    "user_amount": 2883.9085042893075,
    "user_currency": "ARS",
    "exchange_rate": 0.0035,
}
SALE = "5" * 32


class Recording(httpx.AsyncBaseTransport):
    """Passes requests on, keeping (method, path, body text) of each."""

    def __init__(self, inner: httpx.AsyncBaseTransport):
        self.inner, self.sent = inner, []
        self.auth: list[tuple[str, str | None, str | None]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.sent.append((request.method, request.url.path, request.content.decode()))
        self.auth.append((request.method, request.headers.get("authorization"), request.headers.get("authentication")))
        return await self.inner.handle_async_request(request)


@pytest.fixture
def app(sb_clock):
    return create_app(
        clock=sb_clock, fault_hold_s=5.0, notify_transport=httpx.MockTransport(lambda r: httpx.Response(200))
    )


@pytest.fixture
async def http(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as client:
        yield client
    await notifier(app.state.sandbox).aclose()


@pytest.fixture
async def make(app, sb_clock):

    def build(transport=None, **kw) -> DepayProvider:
        kw.setdefault("pos_external_reference", "POS-1")
        provider = DepayProvider(
            "http://sandbox/depay",
            "test-token",
            clock=sb_clock,
            transport=transport or Recording(httpx.ASGITransport(app=app)),
            timeout=HttpTimeouts(connect=0.3, read=0.3, attempt=0.3, deadline=5.0),
            timer=FakeTimer(),  # the waits between attempts take no time
            **kw,
        )
        return provider

    async for made in closed_after(build):
        yield made


@pytest.fixture
def dp(make) -> DepayProvider:
    return make()


def spec(amount="12.50", currency="ARS", sale=SALE, **kw) -> ChargeSpec:
    return ChargeSpec(
        request_id=sale,
        amount=Money.parse(amount, currency),
        reference="r",
        duration_s=120,
        idempotency_key=f"{sale}:create",
        **kw,
    )


async def pay(http, payload, amount=None):
    r = await http.post(
        "/_sandbox/pay", json={"payload": payload} if amount is None else {"payload": payload, "amount": amount}
    )
    assert r.status_code == 200, r.text
    return r.json()


def sent_bodies(dp, path="/depay/v2/qr"):
    return [
        json.loads(text, parse_float=Decimal)
        for method, p, text in dp.http._client._transport.sent
        if p == path and method == "POST"
    ]


# -- create --------------------------------------------------------------------------------------
async def test_create_sends_the_documented_body_and_reads_the_answer(dp, http):
    info = await dp.create_request(spec())
    [(method, path, text)] = dp.http._client._transport.sent
    assert (method, path) == ("POST", "/depay/v2/qr") and '"amount":12.50' in text  # an exact JSON number
    assert json.loads(text) == {
        "local_currency": "ARS",
        "local_country": "AR",
        "qr_from": "AR",
        "amount": 12.5,
        "pos_external_reference": "POS-1",
        "external_reference": SALE,
        "notification_url": NO_RECEIVER_URL,
        "items": [  # the order's items (seed): a till sale is one item of the amount charged
            {"sku_number": SALE, "category": "sale", "name": "r", "quantity": 1, "unit_price": 12.5,
             "total_amount": 12.5}
        ],
    }  # fmt: skip
    assert uuid.UUID(info.request_id) and info.status == SaleStatus.LINKED and info.provider_status == "CREATED"
    assert info.amount == Money.parse("12.50", "ARS") and info.amount_paid == Money(0, "ARS")
    assert info.expires_at == T0 + timedelta(minutes=10)  # Depay's 10 minutes, not duration_s
    assert decode(info.payload).valid and decode(info.payload).fields["54"] == "12.50"
    [row] = (await http.get("/_sandbox/state")).json()["requests"]
    assert row["id"] == info.request_id and row["external_reference"] == SALE


async def test_notification_url_tax_id_and_a_foreign_qr(make):
    dp = make(notification_url="https://till.example/hook", tax_id="30-1", qr_from="BR")
    await dp.create_request(spec(sale="a" * 32))
    await dp.create_request(spec(sale="b" * 32, notification_url="https://sale.example/hook"))
    first, second = sent_bodies(dp)
    assert first["notification_url"] == "https://till.example/hook" and first["tax_id"] == "30-1"
    assert first["qr_from"] == "BR" and second["notification_url"] == "https://sale.example/hook"


async def test_a_brazilian_till_charges_in_brl(make):
    dp = make(local_country="BR")
    assert dp.currencies == ("BRL",)
    info = await dp.create_request(spec("10.00", "BRL"))
    assert info.amount == Money.parse("10", "BRL") and sent_bodies(dp)[0]["local_currency"] == "BRL"
    with pytest.raises(ProviderRejected, match="BRL"):
        await dp.create_request(spec("10.00", "ARS", sale="c" * 32))


def test_constructor_checks_and_capabilities():
    with pytest.raises(ValueError, match="token"):
        DepayProvider("https://x", " ", pos_external_reference="P")
    with pytest.raises(ValueError, match="pos_external_reference"):
        DepayProvider("https://x", "t", pos_external_reference="")
    with pytest.raises(ValueError, match="local_country"):
        DepayProvider("https://x", "t", pos_external_reference="P", local_country="US")
    dp = DepayProvider("https://x", "secret-token", pos_external_reference="P")
    assert dp.capabilities == Capability.DYNAMIC_QR | Capability.CANCEL | Capability.REFUND
    assert dp.currencies == ("ARS",) and dp.name == "depay" and "secret" not in repr(dp)


# -- lost answers: never two QRs shown for one sale ------------------------------------------------
async def test_a_create_whose_answer_was_lost_leaves_an_unseen_stray_and_shows_one_qr(dp, http, app, sb_clock):
    seed = seed_where(["timeout", None], timeout_rate=0.5)
    await http.post("/_sandbox/faults", json={"timeout_rate": 0.5, "seed": seed})
    info = await dp.create_request(spec())
    assert [b["external_reference"] for b in sent_bodies(dp)] == [SALE, SALE, f"{SALE}-2"]
    assert dp.strays == [SALE]
    orders = {r["external_reference"]: r for r in (await http.get("/_sandbox/state")).json()["requests"]}
    assert set(orders) == {SALE, f"{SALE}-2"} and orders[f"{SALE}-2"]["id"] == info.request_id
    await http.delete("/_sandbox/faults")
    assert (await pay(http, info.payload))["request_id"] == info.request_id  # what the till shows is the one
    assert (await dp.get_request(SALE)).request_id == info.request_id  # the sale id leads to it too
    sb_clock.advance(600)
    orders = {r["external_reference"]: r for r in (await http.get("/_sandbox/state")).json()["requests"]}
    assert orders[SALE]["status"] == "CANCELED" and orders[SALE]["amount_paid"] == "0.00"  # expired unpaid


@pytest.mark.parametrize("rate, fault", [("drop_rate", "drop"), ("garbage_rate", "garbage"), ("error_rate", "error")])
async def test_a_create_that_never_happened_is_simply_sent_again(dp, http, rate, fault):
    await http.post("/_sandbox/faults", json={rate: 0.5, "seed": seed_where([fault, None], **{rate: 0.5})})
    info = await dp.create_request(spec())
    assert [b["external_reference"] for b in sent_bodies(dp)] == [SALE, SALE] and dp.strays == []
    assert [r["id"] for r in (await http.get("/_sandbox/state")).json()["requests"]] == [info.request_id]


async def test_a_reference_used_before_is_a_conflict_and_all_lost_is_unavailable(dp, http):
    await dp.create_request(spec())
    with pytest.raises(ProviderConflict, match="Conflict error"):
        await dp.create_request(spec("3.00"))
    await http.post("/_sandbox/faults", json={"drop_rate": 1})
    with pytest.raises(ProviderUnavailable):
        await dp.create_request(spec(sale="d" * 32))
    assert len(sent_bodies(dp)) == 2 + dp.http.policy.max_attempts


async def test_the_create_and_cancel_loops_try_and_wait_as_the_clients_policy_says(make, http):
    dp = make(retry=PROVIDER_CALL.with_attempts(5))
    info = await dp.create_request(spec())
    await http.post("/_sandbox/faults", json={"drop_rate": 1})
    with pytest.raises(ProviderUnavailable):
        await dp.create_request(spec(sale="e" * 32))
    assert [b["external_reference"] for b in sent_bodies(dp)] == [SALE] + ["e" * 32] * 5
    with pytest.raises(ProviderUnavailable):
        await dp.cancel_request(info.request_id, "k")
    assert [m for m, p, _ in dp.http._client._transport.sent if p.endswith(info.request_id)] == ["DELETE"] * 5
    slept = dp.http.timer.slept  # the client's timer: each loop's 4 waits, full jitter under 0.25 s · 2^(n-1)
    assert len(slept) == 8
    assert all(0 <= s <= min(2.0, 0.25 * 2**n) for s, n in zip(slept, [0, 1, 2, 3] * 2, strict=True))


# -- status ----------------------------------------------------------------------------------------
def test_status_map_covers_every_documented_status():
    assert set(STATUS_MAP) == {
        "CREATED",
        "PROCESSING",
        "COMPLETED",
        "CANCELED",
        "REFUNDED",
        "PARTIALLY_REFUNDED",
        "REJECTED",
        "FAILED",
        "WAITING_AMOUNT",
    }
    assert set(REFUND_STATUS) == {"PENDING", "REJECTED", "PARTIALLY_REFUNDED", "REFUNDED"}
    # the seed's refund table: PARTIALLY_REFUNDED is "not yet complete", Is Final: No; only REFUNDED is final
    assert REFUND_STATUS == {
        "PENDING": "pending",
        "PARTIALLY_REFUNDED": "pending",
        "REFUNDED": "refunded",
        "REJECTED": "pending",
    }
    for word, status in (
        ("REJECTED", SaleStatus.FAILED),
        ("PROCESSING", SaleStatus.PROCESSING),
        ("PARTIALLY_REFUNDED", SaleStatus.PARTIALLY_REFUNDED),
    ):
        assert parse_order({**SEED_ORDER, "status": word}).status == status


def test_the_seed_answers_parse():
    info = parse_order(SEED_ORDER)
    assert info.status == SaleStatus.SETTLED and info.amount == Money.parse("7", "ARS") == info.amount_paid
    assert info.expires_at == datetime(2023, 5, 15, 11, 55, 38, 267823, tzinfo=UTC)
    created = parse_created(SEED_CREATED, Money.parse("10", "BRL"), T0)
    assert created.request_id == SEED_CREATED["order_id"] and created.payload == SEED_CREATED["qr_data"]
    assert created.status == SaleStatus.LINKED and created.expires_at == T0 + timedelta(minutes=10)
    with pytest.raises(ProviderProtocolError):
        parse_created({**SEED_CREATED, "status": "error"}, Money.parse("10", "BRL"), T0)


@pytest.mark.parametrize(
    "cancelled_at, status",
    [("2023-05-15 11:50:00.000000", SaleStatus.CANCELLED), ("2023-05-15 11:55:38.267823", SaleStatus.EXPIRED)],
)
def test_canceled_is_told_apart_by_the_history(cancelled_at, status):
    order = {
        **SEED_ORDER,
        "status": "CANCELED",
        "statuses": [SEED_ORDER["statuses"][0], {"status": "CANCELED", "created_at": cancelled_at}],
    }
    assert parse_order(order).status == status and parse_order(order).amount_paid == Money(0, "ARS")


@pytest.mark.parametrize(
    "change",
    [
        {"status": "LOST"},
        {"local_amount": "x"},
        {"local_amount": 7.001},
        {"local_currency": "XXX"},
        {"creation_date": "yesterday"},
        {"id": ""},
    ],
)
def test_broken_orders_are_protocol_errors(change):
    with pytest.raises(ProviderProtocolError):
        parse_order({**SEED_ORDER, **change})


@pytest.mark.parametrize(
    "status, body, message, code",
    [
        (400, {"statusCode": 400, "message": ["notification_url is required"]}, "notification_url is required", ""),
        (401, {"statusCode": 401, "message": "Unauthorized"}, "Unauthorized", ""),
        (404, {"statusCode": 404, "message": "ORDER_NOT_FOUND"}, "ORDER_NOT_FOUND", "ORDER_NOT_FOUND"),
        (409, {"statusCode": 409, "message": "Conflict error"}, "Conflict error", ""),
        (
            409,
            {"statusCode": 409, "message": "The order has already been canceled."},
            "The order has already been canceled.",
            "",
        ),
        (409, {"statusCode": 409, "message": "The order is totally refunded."}, "The order is totally refunded.", ""),
        (502, "<html>", "HTTP 502 Bad Gateway", ""),
    ],
)
def test_the_seed_errors_parse(status, body, message, code):
    content = json.dumps(body).encode() if isinstance(body, dict) else body.encode()
    assert parse_error(httpx.Response(status, content=content)) == (message, code)


@pytest.mark.parametrize(
    "status, body, error",
    [
        (401, {"statusCode": 401, "message": "Unauthorized"}, ProviderAuthError),
        (400, {"statusCode": 400, "message": ["notification_url is required"]}, ProviderRejected),
        (404, {"statusCode": 404, "message": "ORDER_NOT_FOUND"}, ProviderNotFound),
    ],
)
async def test_error_answers_become_typed_errors(make, status, body, error):
    dp = make(transport=httpx.MockTransport(lambda request: httpx.Response(status, json=body)))
    with pytest.raises(error) as caught:
        await dp.create_request(spec())
    assert caught.value.message in (body["message"], "; ".join(body["message"]))


async def test_statuses_through_the_life_of_orders(dp, http, sb_clock):
    info = await dp.create_request(spec())
    assert (await dp.get_request(info.request_id)).status == SaleStatus.LINKED
    r = await http.post("/_sandbox/pay", json={"payload": info.payload, "amount": "2.50"})
    assert r.status_code == 409 and r.json()["code"] == "FIXED_AMOUNT"  # a Depay QR is paid in full or not at all
    assert (await dp.get_request(info.request_id)).status == SaleStatus.LINKED
    scanned = {**SEED_ORDER, "status": "WAITING_AMOUNT", "statuses": SEED_ORDER["statuses"][:2]}
    assert parse_order(scanned).status == SaleStatus.LINKED and parse_order(scanned).amount_paid.minor == 0
    await pay(http, info.payload)
    got = await dp.get_request(SALE)
    assert got.status == SaleStatus.SETTLED and got.amount_paid == info.amount and got.payload == info.payload
    for amount, status in (("12.59", SaleStatus.FAILED), ("12.58", SaleStatus.CANCELLED)):
        other = await dp.create_request(spec(amount, sale=amount.replace(".", "") * 8))
        await pay(http, other.payload)
        assert (await dp.get_request(other.request_id)).status == status
    late = await dp.create_request(spec(sale="e" * 32))
    sb_clock.advance(600)
    assert (await dp.get_request(late.request_id)).status == SaleStatus.EXPIRED
    with pytest.raises(ProviderNotFound):
        await dp.get_request(str(uuid.uuid4()))


async def test_processing_with_a_settle_delay(make, sb_clock):
    app = create_app(clock=sb_clock, settle_delay_s=5)
    dp = make(transport=httpx.ASGITransport(app=app))
    info = await dp.create_request(spec())
    app.state.sandbox.pay(info.payload)
    assert (await dp.get_request(info.request_id)).status == SaleStatus.PROCESSING
    sb_clock.advance(5)
    assert (await dp.get_request(info.request_id)).status == SaleStatus.SETTLED


# -- cancel ------------------------------------------------------------------------------------------
async def test_cancel_is_idempotent_and_refuses_a_paid_order(dp, http):
    info = await dp.create_request(spec())
    for _ in range(2):
        got = await dp.cancel_request(info.request_id, "k")
        assert got.status == SaleStatus.CANCELLED and got.provider_status == "CANCELED"
    paid = await dp.create_request(spec(sale="f" * 32))
    await pay(http, paid.payload)
    with pytest.raises(ProviderConflict, match="COMPLETED"):
        await dp.cancel_request(paid.request_id, "k")


async def test_a_cancel_whose_answer_was_lost_is_sent_again(dp, http):
    info = await dp.create_request(spec())
    seed = seed_where(["timeout", None], timeout_rate=0.5)
    await http.post("/_sandbox/faults", json={"timeout_rate": 0.5, "seed": seed})
    assert (await dp.cancel_request(SALE, "k")).status == SaleStatus.CANCELLED
    assert [m for m, p, _ in dp.http._client._transport.sent if p.endswith(info.request_id)][:2] == ["DELETE"] * 2


# -- refunds ------------------------------------------------------------------------------------------
async def test_cancel_and_refund_send_the_seeds_authentication_header_beside_authorization(dp, http):
    """The seed names the header of DELETE and refund ``Authentication``; the client sends both it and
    ``Authorization`` there (either reading of the documentation finds the token), and the order's ``items``."""
    info = await dp.create_request(spec())
    await pay(http, info.payload)
    await dp.refund(SALE, info.amount, "sale:refund-1")
    second = await dp.create_request(spec(sale="b" * 32))
    await dp.cancel_request(second.request_id, "k")
    sent = dp.http._client._transport
    both = ("Bearer test-token", "Bearer test-token")
    assert [a for (m, p, _), a in zip(sent.sent, sent.auth, strict=True) if p == "/depay/v2/qr/refund"] == [
        ("POST", *both)
    ]
    assert [a for (m, p, _), a in zip(sent.sent, sent.auth, strict=True) if m == "DELETE"] == [("DELETE", *both)]
    assert {a[2] for (m, p, _), a in zip(sent.sent, sent.auth, strict=True) if p == "/depay/v2/qr"} == {None}
    body = sent_bodies(dp)[0]
    assert body["items"][0]["total_amount"] == Decimal("12.50")


async def test_full_refund_followed_to_refunded(dp, http):
    info = await dp.create_request(spec())
    await pay(http, info.payload)
    refund = await dp.refund(SALE, info.amount, "sale:refund-1")
    assert refund.status == "pending" and refund.provider_status == "PENDING" and refund.amount == info.amount
    assert refund.refund_id == f"{info.request_id}#0:12.50"  # this order's first refund, of 12.50
    [sent] = sent_bodies(dp, "/depay/v2/qr/refund")
    assert sent == {
        "order_id": info.request_id,
        "partial": False,
        "amount": Decimal("12.50"),
        "reason": "TillQR refund sale:refund-1",
    }
    assert (await dp.get_refund(SALE, refund.refund_id)).status == "refunded"
    order = await dp.get_request(SALE)
    assert order.status == SaleStatus.REFUNDED and order.amount_refunded == info.amount
    again = await dp.refund(SALE, info.amount, "sale:refund-1")  # asked again: Depay's 409 says it is done
    assert again.status == "refunded"


async def test_partial_refunds_and_a_rejected_one(dp, make, http):
    info = await dp.create_request(spec())
    await pay(http, info.payload)
    first = await dp.refund(SALE, Money.parse("2.50", "ARS"), "k1")
    assert sent_bodies(dp, "/depay/v2/qr/refund")[0]["partial"] is True
    assert (await dp.get_refund(SALE, first.refund_id)).status == "partially_refunded"  # REFUNDED, for part
    rejected = await dp.refund(SALE, Money.parse("0.99", "ARS"), "k2")
    assert (await dp.get_refund(SALE, rejected.refund_id)).status == "pending"  # REJECTED: not final
    rest = await dp.refund(SALE, Money.parse("10.00", "ARS"), "k3")
    assert [first.refund_id, rejected.refund_id, rest.refund_id] == [
        f"{info.request_id}#0:2.50",
        f"{info.request_id}#1:0.99",
        f"{info.request_id}#2:10.00",
    ]
    assert (await dp.get_refund(SALE, rest.refund_id)).status == "partially_refunded"
    assert (await dp.get_request(SALE)).status == SaleStatus.REFUNDED
    assert (await dp.get_refund(SALE, first.refund_id)).status == "partially_refunded"
    other = make()  # a new run knows only the order, and reads each refund at its own turn
    for refund, status in ((first, "partially_refunded"), (rejected, "pending"), (rest, "partially_refunded")):
        got = await other.get_refund(info.request_id, refund.refund_id)
        assert (got.status, got.amount, got.refund_id) == (status, refund.amount, refund.refund_id)


def settling(sb_clock, make, delay=4.0):
    app = create_app(clock=sb_clock, settle_delay_s=delay)
    return app, (lambda: make(transport=httpx.ASGITransport(app=app)))


async def test_after_a_restart_a_refund_is_never_given_the_orders_status(make, sb_clock):
    # Reviewer's b_refund_phantom: a PARTIALLY_REFUNDED order (from an earlier refund) read by a new process
    # must not make a later refund that has not happened (or was rejected) look done.
    app, client = settling(sb_clock, make)
    dp = client()
    info = await dp.create_request(spec("100.00"))
    app.state.sandbox.pay(info.payload)
    sb_clock.advance(4)
    first = await dp.refund(info.request_id, Money.parse("30.00", "ARS"), "k1")
    sb_clock.advance(4)
    assert (await dp.get_refund(info.request_id, first.refund_id)).status == "partially_refunded"
    second = await dp.refund(info.request_id, Money.parse("20.09", "ARS"), "k2")  # to be rejected
    assert second.refund_id == f"{info.request_id}#1:20.09"
    restarted = client()
    assert (await restarted.get_request(info.request_id)).provider_status == "PARTIALLY_REFUNDED"
    got = await restarted.get_refund(info.request_id, second.refund_id)
    assert (got.status, got.provider_status, got.amount) == ("pending", "PENDING", Money.parse("20.09", "ARS"))
    for unreadable in (
        str(uuid.uuid4()),
        f"order:{info.request_id}",
        f"{uuid.uuid4()}#1:20.09",
        f"{info.request_id}#1:20.091",
        "",
    ):  # Depay's own id, an old form, another order's…
        got = await restarted.get_refund(info.request_id, unreadable)
        assert (got.status, got.provider_status) == ("pending", "UNKNOWN"), unreadable
    sb_clock.advance(4)
    assert (await restarted.get_refund(info.request_id, second.refund_id)).provider_status == "REJECTED"
    assert (await restarted.get_refund(info.request_id, first.refund_id)).status == "partially_refunded"


@pytest.mark.parametrize("amount, done", [("100.00", "refunded"), ("40.00", "partially_refunded")])
async def test_partially_refunded_is_pending_until_depay_says_refunded(make, sb_clock, amount, done):
    app, client = settling(sb_clock, make)
    dp = client()
    info = await dp.create_request(spec("100.00"))
    app.state.sandbox.pay(info.payload)
    sb_clock.advance(4)
    refund = await dp.refund(info.request_id, Money.parse(amount, "ARS"), "k")
    assert (refund.status, refund.provider_status) == ("pending", "PENDING")
    sb_clock.advance(2)  # taken from the merchant, not yet with the customer: not final
    got = await dp.get_refund(info.request_id, refund.refund_id)
    assert (got.status, got.provider_status) == ("pending", "PARTIALLY_REFUNDED")
    assert (await client().get_refund(info.request_id, refund.refund_id)).status == "pending"
    sb_clock.advance(2)
    got = await client().get_refund(info.request_id, refund.refund_id)
    assert (got.status, got.provider_status) == (done, "REFUNDED")


def trail_of(*words: str) -> dict:
    steps = [{"status": w, "created_at": "2024-11-01 20:03:00.000000"} for w in words]
    return {**SEED_ORDER, "status": "PARTIALLY_REFUNDED", "statuses": SEED_ORDER["statuses"] + steps}


@pytest.mark.parametrize(
    "words, trail",
    [
        ((), []),
        (("PARTIALLY_REFUNDED",), ["PARTIALLY_REFUNDED"]),
        (("PARTIALLY_REFUNDED", "PARTIALLY_REFUNDED"), ["PARTIALLY_REFUNDED"]),  # one refund, still under way
        (("PARTIALLY_REFUNDED", "REFUNDED", "REJECTED", "REFUNDED"), ["REFUNDED", "REJECTED", "REFUNDED"]),
        (("PARTIALLY_REFUNDED", "REJECTED"), ["REJECTED"]),
    ],
)
def test_refund_trail_reads_each_refund_in_turn(words, trail):
    assert refund_trail(trail_of(*words)) == trail
    assert (
        refund_trail({**SEED_ORDER, "statuses": [{"status": "REJECTED", "created_at": "2024-11-01 20:01:30"}]}) == []
    )  # a payment's REJECTED is no refund


async def test_an_order_showing_only_partially_refunded_never_makes_a_refund_done():
    # Were Depay's history to carry only the order table's words, a partial refund would show as a lone
    # PARTIALLY_REFUNDED: "not yet complete" — it stays pending, for a person to check, never done.
    order = trail_of("PARTIALLY_REFUNDED")
    dp = DepayProvider(
        "http://depay.test",
        "t",
        pos_external_reference="P",
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=order)),
    )
    try:
        got = await dp.get_refund(order["id"], f"{order['id']}#0:3.00")
        assert (got.status, got.provider_status) == ("pending", "PARTIALLY_REFUNDED")
        assert (await dp.get_refund(order["id"], f"{order['id']}#1:3.00")).status == "pending"
    finally:
        await dp.aclose()


async def test_a_full_refund_asked_again_after_a_restart_is_followed_not_assumed_done(make, sb_clock):
    app, client = settling(sb_clock, make)
    dp = client()
    info = await dp.create_request(spec())
    app.state.sandbox.pay(info.payload)
    sb_clock.advance(4)
    await dp.refund(info.request_id, info.amount, "k")  # its answer "lost"; the run ends
    again = await client().refund(info.request_id, info.amount, "k")  # Depay: 409 "The order is totally refunded."
    assert (again.status, again.refund_id) == ("pending", f"{info.request_id}#0:12.50")
    assert len([c for c in app.state.sandbox.calls if c["path"].endswith("/v2/qr/refund")]) == 2
    sb_clock.advance(4)
    assert (await client().get_refund(info.request_id, again.refund_id)).status == "refunded"


@pytest.mark.parametrize("rate, fault, happened", [("timeout_rate", "timeout", True), ("drop_rate", "drop", False)])
async def test_a_refund_whose_answer_was_lost_is_never_sent_twice(dp, http, rate, fault, happened):
    info = await dp.create_request(spec())
    await pay(http, info.payload)
    await http.post("/_sandbox/faults", json={rate: 0.5, "seed": seed_where([None, fault, None, None], **{rate: 0.5})})
    with pytest.raises(ProviderUnavailable):
        await dp.refund(SALE, Money.parse("2.00", "ARS"), "sale:refund-1")  # GET fine, POST lost
    await http.delete("/_sandbox/faults")
    if happened:
        again = await dp.refund(SALE, Money.parse("2.00", "ARS"), "sale:refund-1")
        assert again.status == "partially_refunded" and again.amount == Money.parse("2.00", "ARS")
    else:
        with pytest.raises(ProviderUnavailable, match="not sent again"):
            await dp.refund(SALE, Money.parse("2.00", "ARS"), "sale:refund-1")
    assert len(sent_bodies(dp, "/depay/v2/qr/refund")) == 1


async def test_refund_errors(dp, http):
    info = await dp.create_request(spec())
    with pytest.raises(ProviderConflict, match="not completed"):
        await dp.refund(SALE, info.amount, "k")
    with pytest.raises(ProviderRejected, match="ARS"):
        await dp.refund(SALE, Money.parse("1", "BRL"), "k")
    await pay(http, info.payload)
    with pytest.raises(ProviderRejected, match="refundable"):
        await dp.refund(SALE, Money.parse("20", "ARS"), "k")


# -- wiring -------------------------------------------------------------------------------------------
async def test_registry_builds_the_depay_client(app):
    dp = create_provider(
        "depay",
        base_url="http://sandbox/depay",
        credentials={"access_token": "t"},
        transport=httpx.ASGITransport(app=app),
        local_country="BR",
    )
    try:
        assert isinstance(dp, DepayProvider) and dp.pos_external_reference and dp.currencies == ("BRL",)
        assert (await dp.create_request(spec("10.00", "BRL"))).status == SaleStatus.LINKED
    finally:
        await dp.aclose()
    assert CREDENTIAL_KEYS["depay"] == ("access_token",)
    with pytest.raises(ValueError, match="access_token"):
        create_provider("depay", base_url="https://x", credentials={})


@pytest.mark.parametrize(
    "amount, status", [("12.50", SaleStatus.SETTLED), ("12.59", SaleStatus.FAILED), ("12.58", SaleStatus.CANCELLED)]
)
async def test_a_demo_till_on_depay(tmp_path, amount, status):
    from app.runtime import open_runtime

    rt = await open_runtime(demo=True, provider="depay", home=tmp_path, duration_s=60, poll_interval=0.05)
    try:
        assert rt.settings.currency == "ARS" and rt.link is None
        sale = await rt.controller.charge(amount, "table 4")
        assert decode(sale.payload).fields["54"] == amount and sale.request_id != sale.sale_id
        await rt.sandbox.pay(sale.payload)
        closed = await rt.controller.wait_closed(sale.sale_id, timeout=10)
        assert closed.status == status
        assert str(closed.received) == (amount if status == SaleStatus.SETTLED else "0.00")
    finally:
        await rt.aclose()


async def test_a_till_restarted_mid_refund_journals_each_refund_as_depay_ends_it(tmp_path):
    # The reviewer's b_refund_phantom through the checkout: refund 1 done, refund 2 (rejected by the sandbox's
    # rule) still under way when the till restarts; the new process must not journal it as done.
    from app.checkout.controller import CheckoutController
    from app.checkout.refunds import RefundError
    from app.runtime import open_runtime
    from app.sandbox.model import SandboxSettings

    rt = await open_runtime(demo=True, provider="depay", home=tmp_path, poll_interval=0.05)
    ctl2 = prov2 = None
    try:
        rt.controller.refunds.poll_interval = 0.05
        sale = await rt.controller.charge("100.00", "r")
        await rt.sandbox.pay(sale.payload)
        sale = await rt.controller.wait_closed(sale.sale_id, timeout=10)
        transport = rt.provider.http._client._transport
        transport.app.state.sandbox.settings = SandboxSettings(settle_delay_s=0.4)
        assert (await rt.controller.refund(sale.sale_id, "30.00")).refunded == Money.parse("30.00", "ARS")
        rt.controller.refunds.follow_for = 0.1
        with pytest.raises(RefundError, match="still PENDING"):
            await rt.controller.refund(sale.sale_id, "20.09")
        prov2 = create_provider(
            "depay", base_url="http://sandbox.invalid/depay", credentials={"access_token": "x"}, transport=transport
        )
        ctl2 = CheckoutController(prov2, rt.journal, currency="ARS", poll_interval=0.05)
        ctl2.refunds.poll_interval, ctl2.refunds.follow_for = 0.05, 0.05
        await ctl2.recover()  # the order reads PARTIALLY_REFUNDED (refund 1): refund 2 is still pending
        assert [(r["amount_minor"], r["status"]) for r in await rt.journal.refunds(sale.sale_id)] == [
            (3000, "partially_refunded"),
            (2009, "pending"),
        ]
        assert str((await rt.journal.get(sale.sale_id)).refunded) == "30.00"
        (await rt.sandbox.client.post("/_sandbox/clock", json={"advance_s": 1})).raise_for_status()  # past settle_at
        await ctl2.recover()
        assert [(r["amount_minor"], r["status"]) for r in await rt.journal.refunds(sale.sale_id)] == [
            (3000, "partially_refunded"),
            (2009, "pending"),
        ]
        stored = await rt.journal.get(sale.sale_id)
        assert stored.status == SaleStatus.PARTIALLY_REFUNDED and str(stored.refunded) == "30.00"
    finally:
        if ctl2 is not None:
            await ctl2.aclose()
        if prov2 is not None:
            await prov2.aclose()
        await rt.aclose()
