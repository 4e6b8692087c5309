"""The J.P. Morgan side of the sandbox and its /_sandbox routes, over HTTP (httpx ASGI transport)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

import httpx
import pytest

from app.qr.emv import decode
from app.qr.schemes import pix_location
from app.sandbox import create_app
from app.sandbox.faults import ConnectionDropped, FaultConfig, FaultInjector

from .conftest import AUTH, JPM_API, T0

RID = "a" * 32
RID2 = "b" * 32


async def create(http, body, key="key-1", status=201):
    r = await http.post(f"{JPM_API}/payment-requests", json=body, headers={**AUTH, "Idempotency-Key": key})
    assert r.status_code == status, r.text
    return r.json()


async def new_link(http, key="link-key", description="till 1"):
    r = await http.post(
        f"{JPM_API}/payment-links", json={"description": description}, headers={**AUTH, "Idempotency-Key": key}
    )
    assert r.status_code == 201, r.text
    return r.json()


async def link(http, link_id, request_id, path="link"):
    return await http.post(
        f"{JPM_API}/payment-links/{link_id}/{path}", json={"paymentRequestId": request_id}, headers=AUTH
    )


async def pay(http, payload, amount=None):
    body = {"payload": payload} if amount is None else {"payload": payload, "amount": amount}
    return await http.post("/_sandbox/pay", json=body)


async def state_of(http, request_id):
    state = (await http.get("/_sandbox/state")).json()
    return next(r for r in state["requests"] if r["id"] == request_id)


def assert_jpm_error(response, status, code):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["responseStatus"] == "ERROR"
    assert body["responseCode"] == code
    assert isinstance(body["responseMessage"], str) and body["responseMessage"]
    assert isinstance(body["errors"], list)
    return body


# -- payment requests -------------------------------------------------------------------
async def test_create_payment_request_answers_with_a_real_pix_code(sb_http, jpm_body):
    body = await create(sb_http, jpm_body())
    assert body["id"] == RID
    assert body["status"] == "ACTIVE"
    assert body["revisionNumber"] == 0
    assert body["paidAmount"] == "0.00"
    assert body["request"]["paymentAmount"] == "12.50" and body["request"]["currency"] == "BRL"
    assert datetime.fromisoformat(body["createdAt"]) == T0
    assert datetime.fromisoformat(body["expiresAt"]) == T0 + timedelta(seconds=120)
    payload = body["qrCode"]["payload"]
    decoded = decode(payload)
    assert decoded.valid and decoded.scheme == "pix"
    assert decoded.fields["54"] == "12.50"
    assert decoded.fields["53"] == "986"
    assert pix_location(payload) == f"pix.sandbox.tillqr.dev/jpm/requests/{RID}"


async def test_create_without_id_gets_a_generated_one(sb_http, jpm_body):
    body = await create(sb_http, jpm_body(ident=None))
    assert len(body["id"]) == 32 and int(body["id"], 16) >= 0
    assert (await sb_http.get(f"{JPM_API}/payment-requests/{body['id']}", headers=AUTH)).status_code == 200


@pytest.mark.parametrize(
    "override, field",
    [
        ({"paymentAmount": "0"}, "request.paymentAmount"),
        ({"paymentAmount": "0.00"}, "request.paymentAmount"),
        ({"paymentAmount": "-1.00"}, "request.paymentAmount"),
        ({"paymentAmount": "12.345"}, "request.paymentAmount"),
        ({"paymentAmount": 12.5}, "request.paymentAmount"),
        ({"paymentAmount": "12,50"}, "request.paymentAmount"),
        ({"paymentAmount": None}, "request.paymentAmount"),
        ({"currency": "USD"}, "request.currency"),
        ({"duration": 0}, "request.duration"),
        ({"duration": "60"}, "request.duration"),
        ({"duration": 1.5}, "request.duration"),
        ({"duration": True}, "request.duration"),
        ({"expirationType": "LATER"}, "request.expirationType"),
        ({"expirationType": "DUE_DATE"}, "request.dueDate"),
        ({"dueDate": "2025-03-10"}, "request.dueDate"),
        ({"isAmountAdjustable": True}, "request.isAmountAdjustable"),
        ({"reference": "x" * 141}, "request.reference"),
        ({"creditor": "ACME"}, "request.creditor"),
    ],
)
async def test_create_validates_the_request_strictly(sb_http, jpm_body, override, field):
    r = await sb_http.post(f"{JPM_API}/payment-requests", json=jpm_body(**override), headers=AUTH)
    body = assert_jpm_error(r, 400, "INVALID_REQUEST")
    assert field in [e["field"] for e in body["errors"]]
    assert (await sb_http.get("/_sandbox/state")).json()["requests"] == []


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda b: b.update(id="short"), "id"),
        (lambda b: b.update(id="a" * 31 + "-"), "id"),
        (lambda b: b.update(country="US"), "country"),
        (lambda b: b.pop("requestMethodType"), "requestMethodType"),
        (lambda b: b.update(requestMethod={"qrCodeType": "STATIC", "contentType": "TEXT"}), "requestMethod"),
        (lambda b: b.update(requestMethod={"qrCodeType": "DYNAMIC", "contentType": "IMAGE"}), "requestMethod"),
        (lambda b: b.pop("request"), "request"),
    ],
)
async def test_create_validates_the_envelope(sb_http, jpm_body, change, field):
    body = jpm_body()
    change(body)
    r = await sb_http.post(f"{JPM_API}/payment-requests", json=body, headers=AUTH)
    assert field in [e["field"] for e in assert_jpm_error(r, 400, "INVALID_REQUEST")["errors"]]


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b""])
async def test_create_refuses_a_body_that_is_not_a_json_object(sb_http, content):
    r = await sb_http.post(
        f"{JPM_API}/payment-requests", content=content, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert_jpm_error(r, 400, "INVALID_JSON")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dTpw"},
        {"Authorization": "token"},
    ],
)
@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/payment-requests"),
        ("GET", f"/payment-requests/{RID}"),
        ("PATCH", f"/payment-requests/{RID}"),
        ("POST", "/payment-links"),
        ("GET", "/payment-links/x"),
        ("POST", "/payment-links/x/link"),
        ("POST", "/payment-links/x/unlink"),
    ],
)
async def test_every_route_needs_a_bearer_token(sb_http, headers, method, path):
    r = await sb_http.request(method, JPM_API + path, json={}, headers=headers)
    assert_jpm_error(r, 401, "UNAUTHORIZED")


async def test_unknown_ids_and_paths_are_404_in_jpm_shape(sb_http):
    assert_jpm_error(await sb_http.get(f"{JPM_API}/payment-requests/{RID}", headers=AUTH), 404, "NOT_FOUND")
    assert_jpm_error(
        await sb_http.patch(f"{JPM_API}/payment-requests/{RID}", json={"status": "CANCELLED"}, headers=AUTH),
        404,
        "NOT_FOUND",
    )
    assert_jpm_error(await sb_http.get(f"{JPM_API}/payment-links/nope", headers=AUTH), 404, "NOT_FOUND")
    assert_jpm_error(await link(sb_http, "nope", RID), 404, "NOT_FOUND")
    assert_jpm_error(await sb_http.get("/jpmorgan/receivables/other/v9/x", headers=AUTH), 404, "NOT_FOUND")


async def test_same_idempotency_key_and_body_replays_the_first_answer(sb_http, jpm_body):
    first = await create(sb_http, jpm_body(), key="k")
    r = await sb_http.post(f"{JPM_API}/payment-requests", json=jpm_body(), headers={**AUTH, "Idempotency-Key": "k"})
    assert r.status_code == 201
    assert r.json() == first
    assert r.headers["Duplicate-Request"] == "true"
    assert len((await sb_http.get("/_sandbox/state")).json()["requests"]) == 1


async def test_same_idempotency_key_with_another_body_is_refused(sb_http, jpm_body):
    await create(sb_http, jpm_body(), key="k")
    r = await sb_http.post(
        f"{JPM_API}/payment-requests", json=jpm_body(paymentAmount="13.00"), headers={**AUTH, "Idempotency-Key": "k"}
    )
    assert_jpm_error(r, 422, "IDEMPOTENCY_KEY_REUSED")
    assert (await state_of(sb_http, RID))["amount"] == "12.50"


async def test_a_taken_id_is_a_conflict_with_another_key_or_none(sb_http, jpm_body):
    await create(sb_http, jpm_body(), key="k1")
    r = await sb_http.post(f"{JPM_API}/payment-requests", json=jpm_body(), headers={**AUTH, "Idempotency-Key": "k2"})
    assert_jpm_error(r, 409, "DUPLICATE_ID")
    r = await sb_http.post(f"{JPM_API}/payment-requests", json=jpm_body(), headers=AUTH)
    assert_jpm_error(r, 409, "DUPLICATE_ID")


async def test_a_failed_create_does_not_burn_its_idempotency_key(sb_http, jpm_body):
    await create(sb_http, jpm_body(currency="USD"), key="k", status=400)
    body = await create(sb_http, jpm_body(), key="k")
    assert body["status"] == "ACTIVE"


async def test_get_reports_the_current_status_and_paid_amount(sb_http, jpm_body):
    created = await create(sb_http, jpm_body())
    assert (await pay(sb_http, created["qrCode"]["payload"], "2.50")).status_code == 200
    r = await sb_http.get(f"{JPM_API}/payment-requests/{RID}", headers=AUTH)
    assert r.status_code == 200
    assert r.json()["status"] == "ACTIVE" and r.json()["paidAmount"] == "2.50"


async def test_a_request_expires_by_the_clock_on_read(sb_http, sb_clock, jpm_body):
    await create(sb_http, jpm_body(duration=60))
    sb_clock.advance(59)
    assert (await sb_http.get(f"{JPM_API}/payment-requests/{RID}", headers=AUTH)).json()["status"] == "ACTIVE"
    sb_clock.advance(1)
    assert (await sb_http.get(f"{JPM_API}/payment-requests/{RID}", headers=AUTH)).json()["status"] == "EXPIRED"
    assert (await state_of(sb_http, RID))["status"] == "EXPIRED"


async def test_an_expired_request_cannot_be_paid_or_linked(sb_http, sb_clock, jpm_body):
    created = await create(sb_http, jpm_body(duration=60))
    lk = await new_link(sb_http)
    sb_clock.advance(61)
    r = await pay(sb_http, created["qrCode"]["payload"])
    assert r.status_code == 409 and "EXPIRED" in r.json()["error"]
    assert_jpm_error(await link(sb_http, lk["id"], RID), 409, "NOT_ACTIVE")


async def test_an_expired_request_stays_linked_and_paying_the_link_is_409(sb_http, sb_clock, jpm_body):
    await create(sb_http, jpm_body(duration=60))
    lk = await new_link(sb_http)
    assert (await link(sb_http, lk["id"], RID)).status_code == 200
    sb_clock.advance(120)
    r = await pay(sb_http, lk["qrCode"]["payload"])
    assert r.status_code == 409
    assert (await state_of(sb_http, RID))["linked_to"] == lk["id"]
    r = await link(sb_http, lk["id"], RID, "unlink")
    assert r.status_code == 200 and r.json()["paymentRequestId"] is None


# -- cancel -------------------------------------------------------------------------------
async def test_cancel_an_active_request_and_again(sb_http, jpm_body):
    created = await create(sb_http, jpm_body())
    for _ in range(2):
        r = await sb_http.patch(f"{JPM_API}/payment-requests/{RID}", json={"status": "CANCELLED"}, headers=AUTH)
        assert r.status_code == 200
        assert r.json()["status"] == "CANCELLED" and r.json()["revisionNumber"] == 1
    assert (await pay(sb_http, created["qrCode"]["payload"])).status_code == 409


async def test_cancel_a_settled_request_is_a_conflict(sb_http, jpm_body):
    created = await create(sb_http, jpm_body())
    await pay(sb_http, created["qrCode"]["payload"])
    r = await sb_http.patch(f"{JPM_API}/payment-requests/{RID}", json={"status": "CANCELLED"}, headers=AUTH)
    body = assert_jpm_error(r, 409, "NOT_CANCELLABLE")
    assert "SETTLED" in body["responseMessage"]
    assert (await state_of(sb_http, RID))["status"] == "SETTLED"


@pytest.mark.parametrize("patch", [{"status": "SETTLED"}, {"status": "CANCELLED", "amount": "1.00"}, {}])
async def test_patch_only_supports_cancelling(sb_http, jpm_body, patch):
    await create(sb_http, jpm_body())
    r = await sb_http.patch(f"{JPM_API}/payment-requests/{RID}", json=patch, headers=AUTH)
    assert_jpm_error(r, 400, "INVALID_REQUEST")
    assert (await state_of(sb_http, RID))["status"] == "ACTIVE"


# -- payment links --------------------------------------------------------------------------
async def test_create_and_get_a_payment_link(sb_http):
    lk = await new_link(sb_http, description="counter 3")
    assert lk["status"] == "ACTIVE" and lk["paymentRequestId"] is None and lk["description"] == "counter 3"
    location = pix_location(lk["qrCode"]["payload"])
    assert location == f"pix.sandbox.tillqr.dev/jpm/links/{lk['id']}"
    assert lk["url"] == "https://" + location
    assert "54" not in decode(lk["qrCode"]["payload"]).fields  # a sticker carries no amount
    r = await sb_http.get(f"{JPM_API}/payment-links/{lk['id']}", headers=AUTH)
    assert r.status_code == 200 and r.json() == lk
    again = await new_link(sb_http, description="counter 3")  # same key, same body: same link
    assert again["id"] == lk["id"]
    assert len((await sb_http.get("/_sandbox/state")).json()["links"]) == 1


async def test_link_description_is_validated(sb_http):
    r = await sb_http.post(f"{JPM_API}/payment-links", json={"description": 7}, headers=AUTH)
    assert_jpm_error(r, 400, "INVALID_REQUEST")


async def test_link_and_relink_the_same_request_is_idempotent(sb_http, jpm_body):
    await create(sb_http, jpm_body())
    lk = await new_link(sb_http)
    for _ in range(2):
        r = await link(sb_http, lk["id"], RID)
        assert r.status_code == 200 and r.json()["paymentRequestId"] == RID
    assert (await state_of(sb_http, RID))["linked_to"] == lk["id"]


async def test_link_holding_another_open_request_is_a_conflict(sb_http, jpm_body):
    first = await create(sb_http, jpm_body())
    await create(sb_http, jpm_body(ident=RID2), key="key-2")
    lk = await new_link(sb_http)
    await link(sb_http, lk["id"], RID)
    body = assert_jpm_error(await link(sb_http, lk["id"], RID2), 409, "LINK_BUSY")
    assert RID in body["responseMessage"]
    await pay(sb_http, first["qrCode"]["payload"])  # the first is settled: the link is free again
    r = await link(sb_http, lk["id"], RID2)
    assert r.status_code == 200 and r.json()["paymentRequestId"] == RID2
    assert (await state_of(sb_http, RID))["linked_to"] is None
    assert (await state_of(sb_http, RID2))["linked_to"] == lk["id"]


async def test_a_request_cannot_sit_on_two_links(sb_http, jpm_body):
    await create(sb_http, jpm_body())
    one, two = await new_link(sb_http, key="l1"), await new_link(sb_http, key="l2")
    await link(sb_http, one["id"], RID)
    assert_jpm_error(await link(sb_http, two["id"], RID), 409, "ALREADY_LINKED")


async def test_link_needs_a_known_request_id(sb_http):
    lk = await new_link(sb_http)
    assert_jpm_error(await link(sb_http, lk["id"], RID), 404, "NOT_FOUND")
    r = await sb_http.post(f"{JPM_API}/payment-links/{lk['id']}/link", json={}, headers=AUTH)
    assert_jpm_error(r, 400, "INVALID_REQUEST")


async def test_unlink_is_idempotent_and_refuses_another_request(sb_http, jpm_body):
    await create(sb_http, jpm_body())
    await create(sb_http, jpm_body(ident=RID2), key="key-2")
    lk = await new_link(sb_http)
    await link(sb_http, lk["id"], RID)
    assert_jpm_error(await link(sb_http, lk["id"], RID2, "unlink"), 409, "LINKED_TO_OTHER")
    for _ in range(2):
        r = await link(sb_http, lk["id"], RID, "unlink")
        assert r.status_code == 200 and r.json()["paymentRequestId"] is None
    assert (await state_of(sb_http, RID))["linked_to"] is None
    assert_jpm_error(await link(sb_http, "nope", RID, "unlink"), 404, "NOT_FOUND")


# -- the customer side ------------------------------------------------------------------------
async def test_pay_by_the_link_payload_pays_whatever_is_linked_now(sb_http, jpm_body):
    lk = await new_link(sb_http)
    sticker = lk["qrCode"]["payload"]
    r = await pay(sb_http, sticker)
    assert r.status_code == 404 and "no payment request linked" in r.json()["error"]
    for ident, key in ((RID, "k1"), (RID2, "k2")):
        await create(sb_http, jpm_body(ident=ident), key=key)
        assert (await link(sb_http, lk["id"], ident)).status_code == 200
        r = await pay(sb_http, sticker)
        assert r.status_code == 200
        assert r.json()["request_id"] == ident and r.json()["status"] == "SETTLED"
        assert (await link(sb_http, lk["id"], ident, "unlink")).status_code == 200
    assert (await sb_http.get(f"{JPM_API}/payment-links/{lk['id']}", headers=AUTH)).json()["qrCode"][
        "payload"
    ] == sticker


async def test_pay_by_the_request_payload(sb_http, jpm_body):
    created = await create(sb_http, jpm_body())
    r = await pay(sb_http, created["qrCode"]["payload"])
    assert r.status_code == 200 and r.json() == {
        "request_id": RID,
        "status": "SETTLED",
        "provider": "jpmorgan",
        "amount_paid": "12.50",
    }
    assert (await pay(sb_http, created["qrCode"]["payload"])).status_code == 409  # settled: not payable again


async def test_partial_payments_accumulate_until_settled(sb_http, jpm_body):
    created = await create(sb_http, jpm_body())
    payload = created["qrCode"]["payload"]
    r = await pay(sb_http, payload, "5.00")
    assert r.json()["status"] == "ACTIVE" and r.json()["amount_paid"] == "5.00"
    r = await pay(sb_http, payload, "7.49")
    assert r.json()["status"] == "ACTIVE"
    r = await pay(sb_http, payload)  # the rest of what is due
    assert r.json() == {"request_id": RID, "status": "SETTLED", "provider": "jpmorgan", "amount_paid": "12.50"}


async def test_over_payment_is_recorded_as_paid(sb_http, jpm_body):
    created = await create(sb_http, jpm_body())
    r = await pay(sb_http, created["qrCode"]["payload"], "20.00")
    assert r.json()["status"] == "SETTLED"
    got = (await sb_http.get(f"{JPM_API}/payment-requests/{RID}", headers=AUTH)).json()
    assert got["paidAmount"] == "20.00"


@pytest.mark.parametrize("amount", ["0", "0.00", "-1", "1.234", "abc", 5, "1,50"])
async def test_pay_refuses_bad_amounts(sb_http, jpm_body, amount):
    created = await create(sb_http, jpm_body())
    r = await pay(sb_http, created["qrCode"]["payload"], amount)
    assert r.status_code == 400 and r.json()["error"]
    assert (await state_of(sb_http, RID))["amount_paid"] == "0.00"


async def test_pay_unknown_or_broken_payloads_is_404_or_400(sb_http, jpm_body):
    created = await create(sb_http, jpm_body())
    payload = created["qrCode"]["payload"]
    broken_crc = payload[:-4] + ("0000" if payload[-4:] != "0000" else "1111")
    assert (await pay(sb_http, broken_crc)).status_code == 404
    assert (await pay(sb_http, "hello")).status_code == 404
    assert (await pay(sb_http, "")).status_code == 400
    r = await sb_http.post("/_sandbox/pay", json={"payload": payload, "tip": "1.00"})
    assert r.status_code == 400
    assert (await state_of(sb_http, RID))["status"] == "ACTIVE"


async def test_settle_delay_goes_through_processing(sb_clock, jpm_body):
    app = create_app(clock=sb_clock, settle_delay_s=5)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as http:
        created = await create(http, jpm_body())
        assert (await pay(http, created["qrCode"]["payload"])).json()["status"] == "PROCESSING"
        assert (await pay(http, created["qrCode"]["payload"])).status_code == 409
        sb_clock.advance(5)
        got = await http.get(f"{JPM_API}/payment-requests/{RID}", headers=AUTH)
        assert got.json()["status"] == "SETTLED"


async def test_sandbox_state_has_the_documented_shape(sb_http, jpm_body):
    await create(sb_http, jpm_body(reference="order 77"))
    lk = await new_link(sb_http)
    await link(sb_http, lk["id"], RID)
    state = (await sb_http.get("/_sandbox/state")).json()
    assert state == {
        "requests": [
            {
                "id": RID,
                "provider": "jpmorgan",
                "status": "ACTIVE",
                "amount": "12.50",
                "amount_paid": "0.00",
                "linked_to": lk["id"],
                "external_reference": "order 77",
            }
        ],
        "links": [{"id": lk["id"], "provider": "jpmorgan", "linked_request": RID}],
    }


async def test_reset_forgets_everything(sb_http, jpm_body):
    await create(sb_http, jpm_body())
    await sb_http.post("/_sandbox/faults", json={"latency_ms": 5})
    assert (await sb_http.post("/_sandbox/reset")).status_code == 200
    assert (await sb_http.get("/_sandbox/state")).json() == {"requests": [], "links": []}
    assert (await sb_http.get("/_sandbox/faults")).json()["latency_ms"] == 0
    assert (await sb_http.get("/_sandbox/calls")).json()["count"] == 0
    await create(sb_http, jpm_body())  # the same id and key are free again


# -- faults ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "faults",
    [
        {"error_rate": 1.5},
        {"drop_rate": -0.1},
        {"timeout_rate": "x"},
        {"latency_ms": -1},
        {"latency_ms": 1.5},
        {"seed": "s"},
        {"explode": 1},
        {"error_rate": True},
    ],
)
async def test_fault_settings_are_validated(sb_http, faults):
    r = await sb_http.post("/_sandbox/faults", json=faults)
    assert r.status_code == 400 and r.json()["error"]
    assert (await sb_http.get("/_sandbox/faults")).json()["error_rate"] == 0


async def test_error_faults_answer_503_in_the_provider_shape_but_never_on_sandbox_routes(sb_http, jpm_body):
    r = await sb_http.post("/_sandbox/faults", json={"error_rate": 1})
    assert r.status_code == 200 and r.json()["error_rate"] == 1.0
    r = await sb_http.post(f"{JPM_API}/payment-requests", json=jpm_body(), headers=AUTH)
    assert_jpm_error(r, 503, "SERVICE_UNAVAILABLE")
    assert (await sb_http.get("/_sandbox/state")).json()["requests"] == []  # not processed, and not faulted
    assert (await pay(sb_http, "hello")).status_code == 404
    calls = (await sb_http.get("/_sandbox/calls")).json()
    assert calls["count"] == 1 and calls["calls"][0]["fault"] == "error"
    assert (await sb_http.delete("/_sandbox/faults")).json()["error_rate"] == 0
    await create(sb_http, jpm_body())


async def test_drop_faults_close_the_connection_without_an_answer(sb_http, jpm_body):
    await sb_http.post("/_sandbox/faults", json={"drop_rate": 1})
    with pytest.raises(ConnectionDropped):
        await sb_http.post(f"{JPM_API}/payment-requests", json=jpm_body(), headers=AUTH)
    assert (await sb_http.get("/_sandbox/state")).json()["requests"] == []


async def test_timeout_faults_process_the_call_but_hold_the_answer(sb_http, jpm_body):
    await sb_http.post("/_sandbox/faults", json={"timeout_rate": 1})
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await sb_http.post(f"{JPM_API}/payment-requests", json=jpm_body(), headers={**AUTH, "Idempotency-Key": "k"})
    assert time.monotonic() - started < 10  # the client gave up; the sandbox holds the answer 60 s
    assert (await state_of(sb_http, RID))["status"] == "ACTIVE"  # it happened, the answer was lost
    await sb_http.delete("/_sandbox/faults")
    again = await sb_http.post(f"{JPM_API}/payment-requests", json=jpm_body(), headers={**AUTH, "Idempotency-Key": "k"})
    assert again.status_code == 201 and again.headers["Duplicate-Request"] == "true"


async def test_a_held_answer_arrives_after_the_hold(sb_clock, jpm_body):
    app = create_app(clock=sb_clock, fault_hold_s=0.1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as http:
        await http.post("/_sandbox/faults", json={"timeout_rate": 1})
        started = time.monotonic()
        body = await create(http, jpm_body())
        assert time.monotonic() - started >= 0.1 and body["id"] == RID


async def test_garbage_faults_answer_200_with_a_body_that_is_not_json(sb_http):
    await sb_http.post("/_sandbox/faults", json={"garbage_rate": 1})
    r = await sb_http.get(f"{JPM_API}/payment-links/x", headers=AUTH)
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()


async def test_auth_faults_answer_the_providers_own_401_and_process_nothing(sb_http, jpm_body):
    await sb_http.post("/_sandbox/faults", json={"auth_rate": 1})
    r = await sb_http.post(f"{JPM_API}/payment-requests", json=jpm_body(), headers=AUTH)
    assert r.status_code == 401 and r.json()["responseCode"] == "UNAUTHORIZED"
    assert (await sb_http.get("/_sandbox/state")).json()["requests"] == []
    await sb_http.delete("/_sandbox/faults")
    assert (await sb_http.post(f"{JPM_API}/payment-requests", json=jpm_body(), headers=AUTH)).status_code == 201


async def test_latency_delays_provider_routes_only(sb_http):
    await sb_http.post("/_sandbox/faults", json={"latency_ms": 1500})
    started = time.monotonic()
    await sb_http.get("/_sandbox/state")
    assert time.monotonic() - started < 1.0  # not delayed (a loose bound: shared machines are slow)
    started = time.monotonic()
    r = await sb_http.get(f"{JPM_API}/payment-links/x", headers=AUTH)
    assert time.monotonic() - started >= 1.5 and r.status_code == 404


async def test_seeded_faults_repeat_exactly(sb_http):
    async def run() -> list[str | None]:
        await sb_http.post("/_sandbox/reset")
        await sb_http.post("/_sandbox/faults", json={"error_rate": 0.5, "garbage_rate": 0.3, "seed": 42})
        for _ in range(12):
            await sb_http.get(f"{JPM_API}/payment-links/x", headers=AUTH)
        return [c["fault"] for c in (await sb_http.get("/_sandbox/calls")).json()["calls"]]

    first = await run()
    assert first == await run()
    assert "error" in first and None in first
    injector = FaultInjector()
    injector.configure(FaultConfig(error_rate=0.5, garbage_rate=0.3, seed=42))
    assert first == [injector.draw() for _ in range(12)]
