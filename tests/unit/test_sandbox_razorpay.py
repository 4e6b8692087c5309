"""The Razorpay side of the sandbox, over HTTP: every example and error text of the seed, and the payments.

The image a customer scans is decoded here with Pillow + zxing-cpp, independently of the client's own decoder.
"""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, datetime

import httpx
import pytest
import zxingcpp
from PIL import Image

from app.qr.emv import decode
from app.sandbox import create_app

from .conftest import T0

QR = "/razorpay/v1/payments/qr_codes"
AUTH = ("rzp_test_key", "secret")
NOW = int(T0.timestamp())

# The seed's example request and response ("Create a QR Code").
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
SEED_RESPONSE = {
    "id": "qr_HMsVL8HOpbMcjU",
    "entity": "qr_code",
    "created_at": 1623660301,
    "name": "Store Front Display",
    "usage": "single_use",
    "type": "upi_qr",
    "image_url": "https://rzp.io/i/BWcUVrLp",
    "payment_amount": 300,
    "status": "active",
    "description": "For Store 1",
    "fixed_amount": True,
    "payments_amount_received": 0,
    "payments_count_received": 0,
    "notes": {"purpose": "Test UPI QR Code notes"},
    "customer_id": "cust_HKsR5se84c5LTO",
    "close_by": 1681615838,
}


def body(**changes):
    """The seed's request, valid at T0 (close_by 10 minutes ahead); None removes a field."""
    made = {**SEED_REQUEST, "close_by": NOW + 600}
    for key, value in changes.items():
        if value is None:
            made.pop(key, None)
        else:
            made[key] = value
    return made


async def create(http, data=None, status=200):
    r = await http.post(QR, json=body() if data is None else data, auth=AUTH)
    assert r.status_code == status, r.text
    return r.json()


def assert_error(response, description, status=400, field=None):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == "BAD_REQUEST_ERROR"
    assert error["description"] == description
    assert {"source", "step", "reason", "metadata"} <= set(error)
    if field:
        assert error["field"] == field


async def scan(http, qr) -> str:
    """What a customer's app reads from the image_url."""
    r = await http.get(qr["image_url"])
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(r.content)))
    assert len(found) == 1
    return found[0].text


async def pay(http, payload, amount=None):
    return await http.post("/_sandbox/pay", json={"payload": payload, **({"amount": amount} if amount else {})})


async def fetch(http, qr_id):
    r = await http.get(f"{QR}/{qr_id}", auth=AUTH)
    assert r.status_code == 200, r.text
    return r.json()


async def stored(http):
    return (await http.get("/_sandbox/state")).json()["requests"]


# -- the seed's examples -------------------------------------------------------------------
async def test_the_seed_example_request_gets_the_seed_example_response(sb_http, sb_clock):
    sb_clock.set(datetime.fromtimestamp(SEED_REQUEST["close_by"] - 30 * 86400, UTC))
    answer = await create(sb_http, SEED_REQUEST)
    dynamic = {"id", "created_at", "image_url"}
    assert {k: v for k, v in answer.items() if k in SEED_RESPONSE and k not in dynamic} == {
        k: v for k, v in SEED_RESPONSE.items() if k not in dynamic
    }
    assert set(SEED_RESPONSE) <= set(answer) and answer["closed_at"] is None and answer["close_reason"] is None
    assert re.fullmatch(r"qr_[A-Za-z0-9]{14}", answer["id"])
    assert answer["created_at"] == SEED_REQUEST["close_by"] - 30 * 86400
    assert answer["image_url"] == f"http://sandbox/razorpay/qr/{answer['id']}.png"


async def test_the_seed_example_at_its_own_created_at_breaks_the_45_day_rule(sb_http, sb_clock):
    sb_clock.set(datetime.fromtimestamp(SEED_RESPONSE["created_at"], UTC))  # close_by is 670 days on
    r = await sb_http.post(QR, json=SEED_REQUEST, auth=AUTH)
    assert_error(r, "close_by should not be more than 45 days after current time", field="close_by")


async def test_the_image_is_a_real_upi_qr_code(sb_http):
    qr = await create(sb_http)
    link = await scan(sb_http, qr)
    assert link == (
        f"upi://pay?pa=tillqr.sandbox@razorpay&pn=TILLQR%20SANDBOX&am=3.00&cu=INR&tr={qr['id']}&tn=For%20Store%201"
    )
    decoded = decode(link)
    assert decoded.valid and decoded.scheme == "upi" and decoded.fields["tn"] == "For Store 1"
    assert (await sb_http.get("/razorpay/qr/qr_nope.png")).status_code == 404


# -- the seed's errors ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "auth, description",
    [
        (None, "The API key provided is invalid."),
        (("", "secret"), "The API key provided is invalid."),
        (("key", ""), "The API secret provided is invalid."),
        (("key", "  "), "The API secret provided is invalid."),
    ],
)
@pytest.mark.parametrize(
    "method, path",
    [("POST", QR), ("GET", QR), ("GET", f"{QR}/qr_x"), ("POST", f"{QR}/qr_x/close"), ("GET", f"{QR}/qr_x/payments")],
)
async def test_credentials_are_basic_key_and_secret(sb_http, auth, description, method, path):
    r = await sb_http.request(method, path, json=body() if method == "POST" else None, auth=auth)
    assert_error(r, description, status=401)


async def test_a_bearer_token_is_not_basic(sb_http):
    r = await sb_http.get(QR, headers={"Authorization": "Bearer " + base64.b64encode(b"k:s").decode()})
    assert_error(r, "The API key provided is invalid.", status=401)


@pytest.mark.parametrize(
    "changes, description, field",
    [
        ({"type": "abc"}, "The selected type is invalid.", "type"),
        ({"type": None}, "The type is required.", "type"),
        ({"usage": None}, "The usage is required.", "usage"),
        ({"usage": "twice"}, "The selected usage is invalid.", "usage"),
        ({"payment_amount": 0}, "The payment amount must be at least 1.", "payment_amount"),
        ({"payment_amount": -300}, "The payment amount must be at least 1.", "payment_amount"),
        ({"payment_amount": None}, "The payment_amount is required.", "payment_amount"),
        ({"payment_amount": 3.5}, "The selected payment_amount is invalid.", "payment_amount"),
        ({"payment_amount": "300"}, "The selected payment_amount is invalid.", "payment_amount"),
        ({"fixed_amount": False}, "The selected fixed_amount is invalid.", "fixed_amount"),
        ({"fixed_amount": None}, "The selected fixed_amount is invalid.", "fixed_amount"),
        ({"customer_id": "cust_123"}, "cust_123 is not a valid id.", "customer_id"),
        ({"customer_id": "HKsR5se84c5LTOxx"}, "HKsR5se84c5LTOxx is not a valid id.", "customer_id"),
        ({"close_by": 946684799}, "close_by must be between 946684800 and 4765046400", "close_by"),
        ({"close_by": 4765046401}, "close_by must be between 946684800 and 4765046400", "close_by"),
        ({"close_by": NOW + 119}, "close_by should be at least 2 minutes after current time", "close_by"),
        ({"close_by": NOW - 60}, "close_by should be at least 2 minutes after current time", "close_by"),
        ({"close_by": NOW + 45 * 86400 + 1}, "close_by should not be more than 45 days after current time", "close_by"),
        ({"close_by": "soon"}, "The selected close_by is invalid.", "close_by"),
        ({"ajshdas": "x"}, "ajshdas is/are not required and should not be sent", None),
        ({"ajshdas": 1, "id": "qr_x"}, "ajshdas, id is/are not required and should not be sent", None),
        ({"usage": "multiple_use"}, "close_by is/are not required and should not be sent", None),
        ({"notes": {f"k{i}": "v" for i in range(16)}}, "notes should not have more than 15 key-value pairs", "notes"),
        ({"notes": {"k": "v" * 257}}, "notes.k should not be longer than 256 characters", "notes"),
        ({"notes": "Beam me up Scotty"}, "The selected notes is invalid.", "notes"),
        ({"name": 7}, "The selected name is invalid.", "name"),
    ],
)
async def test_create_answers_the_documented_errors(sb_http, changes, description, field):
    assert_error(await sb_http.post(QR, json=body(**changes), auth=AUTH), description, field=field)
    assert await stored(sb_http) == []


async def test_a_post_api_executed_by_get_is_told_its_fields_are_not_required(sb_http):
    fields = {
        k: SEED_REQUEST[k] for k in ("type", "usage", "fixed_amount", "payment_amount", "description", "close_by")
    }
    r = await sb_http.get(QR, params=fields, auth=AUTH)
    assert_error(
        r, "type, usage, fixed_amount, payment_amount, description, close_by is/are not required and should not be sent"
    )


async def test_the_limits_themselves_are_allowed(sb_http):
    for close_by in (NOW + 120, NOW + 45 * 86400):
        await create(sb_http, body(close_by=close_by))
    await create(sb_http, body(notes={f"note_key_{i}": "x" * 256 for i in range(15)}))
    await create(sb_http, body(payment_amount=1, customer_id=None, name=None, description=None, notes=[]))
    assert len(await stored(sb_http)) == 4


async def test_without_close_by_it_closes_after_45_days(sb_http, sb_clock):
    qr = await create(sb_http, body(close_by=None, notes=None))
    assert qr["close_by"] is None and qr["notes"] == []
    sb_clock.advance(45 * 86400 - 1)
    assert (await fetch(sb_http, qr["id"]))["status"] == "active"
    sb_clock.advance(1)
    assert (await fetch(sb_http, qr["id"]))["closed_at"] == NOW + 45 * 86400


async def test_multiple_use_is_not_simulated(sb_http):
    r = await sb_http.post(QR, json=body(usage="multiple_use", close_by=None), auth=AUTH)
    assert_error(r, "This sandbox simulates single_use QR codes only.", field="usage")


async def test_a_body_that_is_not_a_json_object_is_a_bad_request(sb_http):
    r = await sb_http.post(QR, content=b"{nope", headers={"Content-Type": "application/json"}, auth=AUTH)
    assert r.status_code == 400 and r.json()["error"]["code"] == "BAD_REQUEST_ERROR"


# -- fetch, close, payments, list -------------------------------------------------------------
async def test_unknown_ids_and_paths(sb_http):
    for method, path in (
        ("GET", f"{QR}/qr_HMsVL8HOpbMcjU"),
        ("POST", f"{QR}/qr_HMsVL8HOpbMcjU/close"),
        ("GET", f"{QR}/qr_HMsVL8HOpbMcjU/payments"),
    ):
        assert_error(await sb_http.request(method, path, auth=AUTH), "The id provided does not exist", field="id")
    assert_error(
        await sb_http.get("/razorpay/v1/payments/other", auth=AUTH),
        "The requested URL was not found on the server.",
        status=404,
    )


async def test_fixed_amount_refuses_a_payment_of_another_amount_and_single_use_closes_as_paid(sb_http, sb_clock):
    """The seed's ``fixed_amount`` (only the QR's amount is taken) and ``single_use`` (closed, reason
    ``paid``, after the first payment; no second one)."""
    qr = await create(sb_http)
    link = await scan(sb_http, qr)
    for other in ("1.00", "5.00"):  # less and more than the QR's 3.00 are both refused, nothing taken
        refused = await pay(sb_http, link, other)
        assert refused.status_code == 409 and "fixed-amount" in refused.text
    after = await fetch(sb_http, qr["id"])
    assert (after["status"], after["payments_amount_received"], after["payments_count_received"]) == ("active", 0, 0)
    sb_clock.advance(30)
    assert (await pay(sb_http, link)).json()["status"] == "closed"
    paid = await fetch(sb_http, qr["id"])
    assert (paid["status"], paid["close_reason"], paid["closed_at"]) == ("closed", "paid", NOW + 30)
    assert (paid["payments_amount_received"], paid["payments_count_received"]) == (300, 1)
    payments = (await sb_http.get(f"{QR}/{qr['id']}/payments", auth=AUTH)).json()
    assert payments["entity"] == "collection" and payments["count"] == 1
    assert [(p["amount"], p["created_at"]) for p in payments["items"]] == [(300, NOW + 30)]
    first = payments["items"][0]
    assert re.fullmatch(r"pay_[A-Za-z0-9]{14}", first["id"])
    assert (first["entity"], first["currency"], first["status"], first["method"], first["captured"]) == (
        "payment",
        "INR",
        "captured",
        "upi",
        True,
    )
    assert first["customer_id"] == "cust_HKsR5se84c5LTO" and re.fullmatch(r"\d{12}", first["acquirer_data"]["rrn"])
    again = await pay(sb_http, link)  # single_use: a second payment finds it closed
    assert again.status_code == 409 and "can no longer be paid" in again.text
    assert (await stored(sb_http))[0]["status"] == "closed"


async def test_close_on_demand_and_close_again(sb_http, sb_clock):
    qr = await create(sb_http)
    sb_clock.advance(5)
    r = await sb_http.post(
        f"{QR}/{qr['id']}/close", content=b"{}", auth=AUTH, headers={"Content-Type": "application/json"}
    )  # what the official library sends
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["close_reason"], r.json()["closed_at"]) == ("closed", "on_demand", NOW + 5)
    assert_error(await sb_http.post(f"{QR}/{qr['id']}/close", auth=AUTH), "The QR code is already closed.")
    assert (await pay(sb_http, await scan(sb_http, qr))).status_code == 409


async def test_close_takes_no_fields(sb_http):
    qr = await create(sb_http)
    r = await sb_http.post(f"{QR}/{qr['id']}/close", json={"close_reason": "paid"}, auth=AUTH)
    assert_error(r, "close_reason is/are not required and should not be sent")
    assert (await fetch(sb_http, qr["id"]))["status"] == "active"


async def test_at_close_by_it_closes_by_itself(sb_http, sb_clock):
    qr = await create(sb_http, body(close_by=NOW + 180))
    sb_clock.advance(179)
    assert (await fetch(sb_http, qr["id"]))["status"] == "active"
    sb_clock.advance(100)
    closed = await fetch(sb_http, qr["id"])
    assert (closed["status"], closed["close_reason"], closed["closed_at"]) == ("closed", None, NOW + 180)
    assert (await pay(sb_http, await scan(sb_http, qr))).status_code == 409


async def test_a_payment_being_settled_is_authorized_and_blocks_close(sb_clock):
    app = create_app(clock=sb_clock, settle_delay_s=5)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as http:
        qr = await create(http)
        await pay(http, await scan(http, qr))
        pending = await fetch(http, qr["id"])
        assert (pending["status"], pending["payments_amount_received"]) == ("active", 0)
        items = (await http.get(f"{QR}/{qr['id']}/payments", auth=AUTH)).json()["items"]
        assert [(p["status"], p["captured"]) for p in items] == [("authorized", False)]
        r = await http.post(f"{QR}/{qr['id']}/close", auth=AUTH)
        assert_error(r, "A payment on this QR code is being processed; it cannot be closed now.")
        sb_clock.advance(5)
        paid = await fetch(http, qr["id"])
        assert (paid["close_reason"], paid["payments_amount_received"]) == ("paid", 300)


async def test_with_a_settle_delay_every_payment_is_authorized_then_captured(sb_clock):
    """Razorpay's payment goes authorized → captured; the QR's totals count captured payments only."""
    app = create_app(clock=sb_clock, settle_delay_s=5)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as http:
        qr = await create(http)
        link = await scan(http, qr)

        async def payments():
            items = (await http.get(f"{QR}/{qr['id']}/payments", auth=AUTH)).json()["items"]
            assert all(not k.startswith("_") for p in items for k in p)  # the capture time stays inside
            return [(p["amount"], p["status"], p["captured"]) for p in items]

        await pay(http, link)  # the payment (fixed_amount: the whole of it): authorized, not received yet
        part = await fetch(http, qr["id"])
        assert (part["status"], part["payments_amount_received"], part["payments_count_received"]) == ("active", 0, 0)
        assert await payments() == [(300, "authorized", False)]
        r = await http.post(f"{QR}/{qr['id']}/close", auth=AUTH)
        assert_error(r, "A payment on this QR code is being processed; it cannot be closed now.")
        sb_clock.advance(4.9)
        assert (await fetch(http, qr["id"]))["status"] == "active"
        sb_clock.advance(0.1)
        paid = await fetch(http, qr["id"])
        assert (paid["status"], paid["close_reason"], paid["closed_at"]) == ("closed", "paid", NOW + 5)
        assert (paid["payments_amount_received"], paid["payments_count_received"]) == (300, 1)
        assert await payments() == [(300, "captured", True)]


async def test_list_newest_first_with_count_skip_from_to_and_filters(sb_http, sb_clock):
    made = []
    for i in range(3):
        made.append(await create(sb_http, body(customer_id="cust_" + "A" * 13 + str(i))))
        sb_clock.advance(10)
    everything = (await sb_http.get(QR, auth=AUTH)).json()
    assert everything["entity"] == "collection" and [q["id"] for q in everything["items"]] == [
        q["id"] for q in reversed(made)
    ]

    async def ids(**params):
        r = await sb_http.get(QR, params=params, auth=AUTH)
        assert r.status_code == 200, r.text
        return [q["id"] for q in r.json()["items"]]

    assert await ids(count=1, skip=1) == [made[1]["id"]]
    assert await ids(**{"from": NOW + 10}) == [made[2]["id"], made[1]["id"]]
    assert await ids(to=NOW + 10) == [made[1]["id"], made[0]["id"]]
    assert await ids(customer_id="cust_AAAAAAAAAAAAA0") == [made[0]["id"]]
    await pay(sb_http, await scan(sb_http, made[0]))
    payment = (await sb_http.get(f"{QR}/{made[0]['id']}/payments", auth=AUTH)).json()["items"][0]["id"]
    assert await ids(payment_id=payment) == [made[0]["id"]]
    assert_error(
        await sb_http.get(QR, params={"count": 101}, auth=AUTH), "The count must be between 1 and 100.", field="count"
    )
    assert_error(await sb_http.get(QR, params={"skip": "-1"}, auth=AUTH), "The selected skip is invalid.", field="skip")
    assert_error(
        await sb_http.get(f"{QR}/{made[0]['id']}", params={"expand": "x"}, auth=AUTH),
        "expand is/are not required and should not be sent",
    )


async def test_faults_answer_in_razorpays_error_shape(sb_http):
    await sb_http.post("/_sandbox/faults", json={"error_rate": 1})
    r = await sb_http.get(QR, auth=AUTH)
    assert r.status_code == 503 and r.json()["error"]["code"] == "SERVER_ERROR"
    assert (await sb_http.get("/_sandbox/health")).json()["providers"].count("razorpay") == 1


async def test_events_and_state_speak_razorpays_words(sb_app, sb_http):
    seen = []
    sb_app.sandbox.listeners.append(lambda req: seen.append((req.id, sb_app.sandbox.word(req), str(req.amount_paid))))
    qr = await create(sb_http)
    link = await scan(sb_http, qr)
    assert (await pay(sb_http, link, "1.00")).status_code == 409  # fixed_amount: nothing taken, no event
    await pay(sb_http, link)
    assert seen == [(qr["id"], "closed", "3.00")]
    assert await stored(sb_http) == [
        {
            "id": qr["id"],
            "provider": "razorpay",
            "status": "closed",
            "amount": "3.00",
            "amount_paid": "3.00",
            "linked_to": None,
            "external_reference": "For Store 1",
        }
    ]
