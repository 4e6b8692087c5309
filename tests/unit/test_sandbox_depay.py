"""The Depay side of the sandbox over HTTP: every request, answer, status, error and notification of the seed."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.qr.emv import decode
from app.sandbox import create_app
from app.sandbox.depay_flow import notifier

from .conftest import T0

API = "/depay/v2"
AUTH = {"Authorization": "Bearer test-token"}
HOOK = "https://merchant.example/depay/hook"
# The seed's examples, as printed there.
SEED_CREATE = {
    "local_currency": "BRL",
    "local_country": "BR",
    "qr_from": "AR",
    "amount": 10,
    "pos_external_reference": "ABC1s23",
    "external_reference": "ref_qr_1738847080464_uxv7qyvixc",
    "notification_url": "https://webhook.site/82457e1d-8d96-4d00-8ef9-3df6c62a4950",
    "tax_id": "123456789",
}
SEED_REFUND = {
    "order_id": "7478bd70-87ad-49d0-9143-9b148d776fc7",
    "partial": False,
    "amount": 1000,
    "reason": "refund reason",
    "notification_url": "https://qrpayments.depay.us/webhook/",
}
CREATED_KEYS = {"status", "order_id", "qr_data", "message", "user_amount", "user_currency", "exchange_rate"}
CALLBACK_KEYS = {
    "order_id",
    "external_reference",
    "order_status",
    "local_amount",
    "local_currency",
    "user_amount",
    "user_currency",
    "exchange_rate",
    "qr_code",
}
ORDER_KEYS = {
    "id",
    "status",
    "creation_date",
    "update_date",
    "local_amount",
    "local_currency",
    "user_amount",
    "user_currency",
    "external_reference",
    "statuses",
}
NOTICE_KEYS = {"order_id", "type", "status", "message", "external_reference"}


class Receiver:
    """A merchant's notification endpoint: records every POST; the first ``fail`` answer 500."""

    def __init__(self) -> None:
        self.got: list[tuple[str, dict]] = []
        self.fail = 0
        self.app = Starlette(routes=[Route("/{path:path}", self.receive, methods=["POST"])])

    async def receive(self, request: Request) -> JSONResponse:
        if self.fail:
            self.fail -= 1
            return JSONResponse({"error": "try later"}, status_code=500)
        self.got.append((str(request.url), json.loads(await request.body(), parse_float=Decimal)))
        return JSONResponse({"ok": True})

    def bodies(self, kind: str | None = None) -> list[dict]:
        return [b for _, b in self.got if kind is None or b.get("type", "CREATION") == kind]


@pytest.fixture
def rx() -> Receiver:
    return Receiver()


@pytest.fixture
def dp_app(sb_clock, rx):
    return create_app(clock=sb_clock, fault_hold_s=5.0, notify_transport=httpx.ASGITransport(app=rx.app))


@pytest.fixture
async def http(dp_app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=dp_app), base_url="http://sandbox") as client:
        yield client
    await notifier(dp_app.state.sandbox).aclose()


async def drain(app) -> None:
    await notifier(app.state.sandbox).drain(5)


def body(**override) -> dict:
    b = {
        "local_currency": "ARS",
        "local_country": "AR",
        "qr_from": "AR",
        "amount": 1000,
        "pos_external_reference": "POS-1",
        "external_reference": uuid.uuid4().hex,
        "notification_url": HOOK,
    }
    b.update(override)
    return {k: v for k, v in b.items() if v is not None}


async def create(http, status=201, **override) -> dict:
    r = await http.post(f"{API}/qr", json=body(**override), headers=AUTH)
    assert r.status_code == status, r.text
    return r.json()


async def order(http, order_id) -> dict:
    r = await http.get(f"{API}/payins/orders/{order_id}", headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()


async def pay(http, qr, amount=None):
    return await http.post(
        "/_sandbox/pay", json={"payload": qr} if amount is None else {"payload": qr, "amount": amount}
    )


def history(o: dict) -> list[str]:
    return [s["status"] for s in o["statuses"]]


def assert_error(r, status, message):
    assert r.status_code == status, r.text
    assert r.json() == {"statusCode": status, "message": message}


# -- create -----------------------------------------------------------------------------------
async def test_the_seed_create_example_answers_201_as_documented(http, dp_app, rx):
    r = await http.post(f"{API}/qr", json=SEED_CREATE, headers=AUTH)
    assert r.status_code == 201
    got = r.json()
    assert set(got) == CREATED_KEYS and uuid.UUID(got["order_id"])
    assert got["status"] == "success" and got["message"] == "QR generated successfully."
    assert got["user_currency"] == "ARS" and got["exchange_rate"] == 0.0035 and got["user_amount"] == 2857.14
    assert '"exchange_rate":0.0035' in r.text and '"user_amount":2857.14' in r.text  # numbers, exact
    qr = decode(got["qr_data"])
    assert qr.valid and qr.fields["01"] == "12" and qr.fields["58"] == "AR" and qr.fields["53"] == "032"
    assert qr.fields["54"] == "2857.14" and qr.fields["41"]["01"] == uuid.UUID(got["order_id"]).hex
    await drain(dp_app)
    [(url, callback)] = rx.got  # "QR creation Callback Response", to the notification_url
    assert url == SEED_CREATE["notification_url"] and set(callback) == CALLBACK_KEYS
    assert callback == {
        "order_id": got["order_id"],
        "external_reference": SEED_CREATE["external_reference"],
        "order_status": "CREATED",
        "local_amount": 10,
        "local_currency": "BRL",
        "user_amount": Decimal("2857.14"),
        "user_currency": "ARS",
        "exchange_rate": Decimal("0.0035"),
        "qr_code": got["qr_data"],
    }


async def test_a_local_order_has_rate_one_and_items_are_accepted(http):
    items = [
        {
            "sku_number": "A1",
            "category": "food",
            "name": "bread",
            "quantity": 2,
            "unit_price": 6.25,
            "total_amount": 12.5,
        }
    ]
    got = await create(http, amount=12.5, items=items, tax_id="20-1234")
    assert got["exchange_rate"] == 1 and got["user_amount"] == 12.5 and got["user_currency"] == "ARS"


async def test_missing_notification_url_is_the_documented_400(http):
    r = await http.post(
        f"{API}/qr", json={k: v for k, v in SEED_CREATE.items() if k != "notification_url"}, headers=AUTH
    )
    assert_error(r, 400, ["notification_url is required"])


@pytest.mark.parametrize(
    "field",
    [
        "local_currency",
        "local_country",
        "qr_from",
        "amount",
        "pos_external_reference",
        "external_reference",
        "notification_url",
    ],
)
async def test_every_required_field_is_enforced(http, field):
    r = await http.post(f"{API}/qr", json=body(**{field: None}), headers=AUTH)
    assert_error(r, 400, [f"{field} is required"])
    assert (await http.get("/_sandbox/state")).json()["requests"] == []


@pytest.mark.parametrize(
    "override, message",
    [
        ({"amount": "10"}, "amount must be a number conforming to the specified constraints"),
        ({"amount": True}, "amount must be a number conforming to the specified constraints"),
        ({"amount": 0}, "amount must be a positive number"),
        ({"amount": -5}, "amount must be a positive number"),
        ({"amount": 10.125}, "amount must have at most 2 decimal places"),
        ({"amount": 10**10}, "amount must not be greater than 1000000000"),
        ({"local_currency": "BRL"}, "local_currency must be ARS, the currency of local_country AR"),
        ({"local_currency": "XYZ"}, "local_currency must be a valid ISO4217 currency code"),
        ({"local_country": "ARG"}, "local_country must be a valid ISO31661 Alpha2 code"),
        ({"qr_from": "US"}, "qr_from US is not supported: use one of AR, BR"),
        ({"notification_url": "not a url"}, "notification_url must be a URL address"),
        ({"external_reference": 77}, "external_reference must be a string"),
        ({"tax_id": 5}, "tax_id must be a string"),
        (
            {"pos_external_reference": "p" * 256},
            "pos_external_reference must be shorter than or equal to 255 characters",
        ),
        ({"tip": 1}, "property tip should not exist"),
        ({"items": "bread"}, "items must be an array of objects"),
        ({"items": [{"name": 5}]}, "items.0.name must be a string"),
        ({"items": [{"quantity": -1}]}, "items.0.quantity must be a number conforming to the specified constraints"),
        ({"items": [{"colour": "red"}]}, "items.0.property colour should not exist"),
    ],
)
async def test_create_validates_like_depay(http, override, message):
    r = await http.post(f"{API}/qr", json=body(**override), headers=AUTH)
    assert_error(r, 400, [message])


@pytest.mark.parametrize("content", [b"{not json", b"[1]", b""])
async def test_a_body_that_is_not_a_json_object_is_400(http, content):
    r = await http.post(f"{API}/qr", content=content, headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["statusCode"] == 400 and isinstance(r.json()["message"], list)


async def test_a_used_external_reference_is_the_documented_409(http):
    await create(http, external_reference="sale-1")
    r = await http.post(f"{API}/qr", json=body(external_reference="sale-1", amount=5), headers=AUTH)
    assert_error(r, 409, "Conflict error")
    assert len((await http.get("/_sandbox/state")).json()["requests"]) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dTpw"},
        {"Authentication": "token"},
    ],
)
@pytest.mark.parametrize(
    "method, path", [("POST", "/qr"), ("GET", "/payins/orders/x"), ("DELETE", "/payins/qr/x"), ("POST", "/qr/refund")]
)
async def test_every_route_answers_the_documented_401(http, headers, method, path):
    r = await http.request(method, API + path, json={}, headers=headers)
    assert_error(r, 401, "Unauthorized")


async def test_the_authentication_header_of_the_seed_is_accepted_too(http):
    got = await create(http)
    r = await http.delete(f"{API}/payins/qr/{got['order_id']}", headers={"Authentication": "Bearer t"})
    assert r.status_code == 200 and r.content == b""


async def test_unknown_routes_are_404_as_nestjs_says(http):
    assert_error(await http.get(f"{API}/nope", headers=AUTH), 404, "Cannot GET /v2/nope")
    assert_error(await http.get(f"{API}/qr", headers=AUTH), 404, "Cannot GET /v2/qr")


# -- status ------------------------------------------------------------------------------------
async def test_get_an_order_with_its_history_in_the_documented_form(http, sb_clock):
    got = await create(http, external_reference="123123123", amount=7)
    sb_clock.advance(20)
    assert (await pay(http, got["qr_data"])).json()["status"] == "COMPLETED"
    o = await order(http, got["order_id"])
    assert set(o) == ORDER_KEYS and o["id"] == got["order_id"] and o["status"] == "COMPLETED"
    assert (o["local_amount"], o["local_currency"], o["user_amount"], o["user_currency"]) == (7, "ARS", 7, "ARS")
    assert o["external_reference"] == "123123123"
    assert o["creation_date"] == "2025-03-01T12:00:00.0000000+00:00"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+00:00", o["update_date"])
    assert history(o) == ["CREATED", "WAITING_AMOUNT", "PROCESSING", "COMPLETED"]
    assert o["statuses"][0] == {"status": "CREATED", "created_at": "2025-03-01 12:00:00.000000"}
    assert o["statuses"][-1]["created_at"] == "2025-03-01 12:00:20.000000"


async def test_unknown_orders_are_the_documented_404(http):
    assert_error(await http.get(f"{API}/payins/orders/{uuid.uuid4()}", headers=AUTH), 404, "ORDER_NOT_FOUND")
    assert_error(await http.delete(f"{API}/payins/qr/{uuid.uuid4()}", headers=AUTH), 404, "ORDER_NOT_FOUND")


async def test_the_payment_notification_is_the_documented_body(http, dp_app, rx):
    got = await create(http, external_reference="ref-pay")
    await pay(http, got["qr_data"])
    await drain(dp_app)
    assert rx.bodies("PAYMENT") == [
        {
            "order_id": got["order_id"],
            "type": "PAYMENT",
            "status": "COMPLETED",
            "message": "Payment acreditado",
            "external_reference": "ref-pay",
            "user_tax_id": "304658985",
            "user_account": "31111111111111111112",
        }
    ]
    assert [b.get("order_status", b.get("status")) for b in rx.bodies()] == ["CREATED", "COMPLETED"]  # in order


@pytest.mark.parametrize("amount", ["4.00", "10.01", "9.99"])
async def test_a_depay_qr_is_paid_in_full_or_not_at_all(http, dp_app, rx, amount):
    got = await create(http, amount=10)  # the QR carries its amount: a wallet cannot pay another
    r = await pay(http, got["qr_data"], amount)
    assert r.status_code == 409 and r.json() == {
        "code": "FIXED_AMOUNT",
        "error": f"payment request {got['order_id']} is a fixed-amount QR: it can only be "
        f"paid 10.00 ARS in one payment, not {amount}",
    }
    o = await order(http, got["order_id"])
    assert o["status"] == "CREATED" and history(o) == ["CREATED"]
    [row] = (await http.get("/_sandbox/state")).json()["requests"]
    assert row["status"] == "CREATED" and row["amount_paid"] == "0.00"
    assert (await pay(http, got["qr_data"], "10.00")).json() == {
        "request_id": got["order_id"],
        "status": "COMPLETED",
        "provider": "depay",
        "amount_paid": "10.00",
    }
    assert history(await order(http, got["order_id"])) == ["CREATED", "WAITING_AMOUNT", "PROCESSING", "COMPLETED"]
    await drain(dp_app)
    assert [b["status"] for b in rx.bodies("PAYMENT")] == ["COMPLETED"]


async def test_processing_then_completed_with_a_settle_delay(sb_clock, rx):
    app = create_app(clock=sb_clock, settle_delay_s=5, notify_transport=httpx.ASGITransport(app=rx.app))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as http:
        got = await create(http)
        assert (await pay(http, got["qr_data"])).json()["status"] == "PROCESSING"
        assert (await order(http, got["order_id"]))["status"] == "PROCESSING"
        sb_clock.advance(5)
        assert (await order(http, got["order_id"]))["status"] == "COMPLETED"
        await drain(app)
        assert [b["status"] for b in rx.bodies("PAYMENT")] == ["COMPLETED"]


# -- stage rules -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "amount, status, steps",
    [
        (1000, "COMPLETED", ["CREATED", "WAITING_AMOUNT", "PROCESSING", "COMPLETED"]),
        (1008, "CANCELED", ["CREATED", "CANCELED"]),
        (1009, "FAILED", ["CREATED", "WAITING_AMOUNT", "PROCESSING", "FAILED"]),
        (12.5, "COMPLETED", None),
        (12.59, "FAILED", None),
        (12.58, "CANCELED", None),
        (12.90, "FAILED", None),
        (10.8, "CANCELED", None),
        (1090, "COMPLETED", None),
    ],
)
async def test_stage_rules_by_the_last_digit_of_the_amount(http, dp_app, rx, amount, status, steps):
    got = await create(http, amount=amount)
    r = await pay(http, got["qr_data"])
    assert r.status_code == 200 and r.json()["status"] == status
    o = await order(http, got["order_id"])
    assert o["status"] == status and (steps is None or history(o) == steps)
    if status != "COMPLETED":
        assert r.json()["amount_paid"] == "0.00"
        assert (await pay(http, got["qr_data"])).status_code == 409
        await drain(dp_app)
        [notice] = rx.bodies("PAYMENT")
        assert set(notice) == NOTICE_KEYS and notice["status"] == status
        assert notice["message"] == (
            "New payment status: failed. Unexpected error"
            if status == "FAILED"
            else "New payment status: canceled. Preview not accepted"
        )


# -- cancel and expiry ---------------------------------------------------------------------------
async def test_cancel_then_cancel_again_is_the_documented_409(http, dp_app, rx):
    got = await create(http)
    r = await http.delete(f"{API}/payins/qr/{got['order_id']}", headers=AUTH)
    assert r.status_code == 200 and r.content == b""
    assert_error(
        await http.delete(f"{API}/payins/qr/{got['order_id']}", headers=AUTH),
        409,
        "The order has already been canceled.",
    )
    assert history(await order(http, got["order_id"])) == ["CREATED", "CANCELED"]
    assert (await pay(http, got["qr_data"])).status_code == 409
    await drain(dp_app)
    assert rx.bodies("PAYMENT") == []  # the merchant asked for it: answered, not notified


async def test_a_paid_order_cannot_be_cancelled(http):
    got = await create(http)
    await pay(http, got["qr_data"])
    assert_error(
        await http.delete(f"{API}/payins/qr/{got['order_id']}", headers=AUTH),
        409,
        "The order is COMPLETED and cannot be canceled.",
    )


async def test_an_unpaid_order_is_canceled_after_10_minutes_and_notified(http, dp_app, rx, sb_clock):
    got = await create(http, external_reference="ref-exp")
    sb_clock.advance(599)
    assert (await order(http, got["order_id"]))["status"] == "CREATED"
    sb_clock.advance(1)
    o = await order(http, got["order_id"])
    assert o["status"] == "CANCELED" and o["statuses"][-1] == {
        "status": "CANCELED",
        "created_at": "2025-03-01 12:10:00.000000",
    }
    assert (await pay(http, got["qr_data"])).status_code == 409
    assert_error(
        await http.delete(f"{API}/payins/qr/{got['order_id']}", headers=AUTH),
        409,
        "The order has already been canceled.",
    )
    await drain(dp_app)
    assert rx.bodies("PAYMENT") == [
        {
            "order_id": got["order_id"],
            "type": "PAYMENT",
            "status": "CANCELED",
            "message": "New payment status: canceled. Order Expired",
            "external_reference": "ref-exp",
        }
    ]


async def test_sandbox_clock_route_moves_time_and_expires_orders(http, dp_app, rx):
    got = await create(http)
    assert (await http.post("/_sandbox/clock", json={"advance_s": "soon"})).status_code == 400
    assert (await http.post("/_sandbox/clock", json={"advance_s": -1})).status_code == 400
    r = await http.post("/_sandbox/clock", json={"advance_s": 600})
    assert r.status_code == 200 and datetime.fromisoformat(r.json()["now"]) == T0 + timedelta(seconds=600)
    [row] = (await http.get("/_sandbox/state")).json()["requests"]
    assert row["id"] == got["order_id"] and row["status"] == "CANCELED" and row["provider"] == "depay"
    await drain(dp_app)
    assert rx.bodies("PAYMENT")[0]["message"] == "New payment status: canceled. Order Expired"
