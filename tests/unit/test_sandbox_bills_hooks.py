"""The sandbox's provider-side hooks (/_sandbox/change, /cancel, /return) and J.P. Morgan's update, bulk and
search routes, over HTTP on the in-process sandbox: the answers a client of any kind relies on."""

from __future__ import annotations

import pytest

from app.qr.emv import decode

from .conftest import AUTH, JPM_API

RID = "f" * 32


async def create(http, jpm_body, ident=RID, **request) -> dict:
    r = await http.post(f"{JPM_API}/payment-requests", json=jpm_body(ident, **request), headers=AUTH)
    assert r.status_code == 201, r.text
    return r.json()


async def get(http, ident=RID) -> dict:
    return (await http.get(f"{JPM_API}/payment-requests/{ident}", headers=AUTH)).json()


async def patch(http, body, ident=RID, **headers):
    return await http.patch(f"{JPM_API}/payment-requests/{ident}", json=body, headers={**AUTH, **headers})


def update(amount: str, **due) -> dict:
    return {"request": {"paymentAmount": amount, **due}}


# -- the hooks -------------------------------------------------------------------------------
async def test_change_bumps_the_revision_so_the_old_one_is_refused(sb_http, jpm_body):
    await create(sb_http, jpm_body)
    r = await sb_http.post("/_sandbox/change", json={"request_id": RID, "amount": "99.00"})
    assert r.status_code == 200
    assert r.json() == {
        "request_id": RID,
        "status": "ACTIVE",
        "provider": "jpmorgan",
        "amount_paid": "0.00",
        "amount": "99.00",
    }
    now = await get(sb_http)
    assert now["revisionNumber"] == 1 and now["request"]["paymentAmount"] == "99.00"
    assert decode(now["qrCode"]["payload"]).fields["54"] == "99.00", "the QR says the new amount"
    r = await patch(sb_http, update("45.10"), **{"If-Match": '"0"'})
    assert r.status_code == 412 and r.json()["responseCode"] == "REVISION_MISMATCH"
    r = await patch(sb_http, update("45.10"), **{"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["revisionNumber"] == 2


async def test_hooks_reach_the_request_a_printed_link_holds_now(sb_http, jpm_body):
    await create(sb_http, jpm_body)
    link = (await sb_http.post(f"{JPM_API}/payment-links", json={"externalId": "BILL-1"}, headers=AUTH)).json()
    assert link["externalId"] == "BILL-1"
    r = await sb_http.post(f"{JPM_API}/payment-links/{link['id']}/link", json={"paymentRequestId": RID}, headers=AUTH)
    assert r.status_code == 200
    payload = link["qrCode"]["payload"]
    r = await sb_http.post("/_sandbox/change", json={"payload": payload, "amount": "20.00"})
    assert r.status_code == 200 and r.json()["request_id"] == RID and r.json()["amount"] == "20.00"
    r = await sb_http.post("/_sandbox/cancel", json={"payload": payload})
    assert r.status_code == 200 and r.json()["status"] == "CANCELLED"
    assert (await get(sb_http))["revisionNumber"] == 2


async def test_cancel_and_return_follow_the_status_rules(sb_http, jpm_body):
    made = await create(sb_http, jpm_body)
    r = await sb_http.post("/_sandbox/return", json={"request_id": RID})
    assert r.status_code == 409 and r.json()["code"] == "NOT_RETURNABLE", "nothing was paid yet"
    pay = await sb_http.post("/_sandbox/pay", json={"payload": made["qrCode"]["payload"]})
    assert pay.json()["status"] == "SETTLED"
    r = await sb_http.post("/_sandbox/cancel", json={"request_id": RID})
    assert r.status_code == 409 and r.json()["code"] == "NOT_CANCELLABLE"
    r = await sb_http.post("/_sandbox/change", json={"request_id": RID, "amount": "1.00"})
    assert r.status_code == 409 and r.json()["code"] == "NOT_ACTIVE"
    r = await sb_http.post("/_sandbox/return", json={"request_id": RID, "provider": "jpmorgan"})
    assert r.status_code == 200 and r.json()["status"] == "RETURNED" and r.json()["amount_paid"] == "12.50"
    assert (await get(sb_http))["status"] == "RETURNED" and (await get(sb_http))["revisionNumber"] == 2
    state = (await sb_http.get("/_sandbox/state")).json()["requests"]
    assert state[0]["status"] == "RETURNED"


@pytest.mark.parametrize(
    "body, status",
    [
        ({"request_id": "0" * 32}, 404),
        ({}, 400),
        ({"request_id": RID, "colour": "red"}, 400),
        ({"payload": "not a QR code"}, 404),
    ],
)
async def test_hooks_refuse_what_names_no_request(sb_http, jpm_body, body, status):
    await create(sb_http, jpm_body)
    for name in ("cancel", "return"):
        r = await sb_http.post(f"/_sandbox/{name}", json=body)
        assert r.status_code == status, r.text
    r = await sb_http.post("/_sandbox/change", json={**body, "amount": "1.00"})
    assert r.status_code == status


async def test_every_change_moves_the_revision_expiry_included(sb_http, sb_clock, jpm_body):
    await create(sb_http, jpm_body, duration=60)
    r = await patch(sb_http, update("12.50"))
    assert r.status_code == 200 and r.json()["revisionNumber"] == 0, "an update that changes nothing"
    sb_clock.advance(61)
    assert (await get(sb_http))["status"] == "EXPIRED" and (await get(sb_http))["revisionNumber"] == 1


# -- update bodies -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body, headers, field",
    [
        (update("0.00"), {}, "request.paymentAmount"),
        (update("12.50", dueDate="2025-03-20"), {}, "request.dueDate"),  # an IMMEDIATE request has no due date
        ({"request": {"paymentAmount": "1.00", "currency": "USD"}}, {}, "request.currency"),
        ({**update("1.00"), "extra": 1}, {}, "extra"),
        (update("1.00"), {"If-Match": "W/yes"}, "If-Match"),
        ({"status": "CANCELLED", "request": {}}, {}, "status"),
    ],
)
async def test_update_bodies_are_checked(sb_http, jpm_body, body, headers, field):
    await create(sb_http, jpm_body)
    r = await patch(sb_http, body, **headers)
    assert r.status_code == 400 and field in [e["field"] for e in r.json()["errors"]], r.text
    assert (await get(sb_http))["revisionNumber"] == 0


async def test_update_of_a_due_date_request_keeps_what_is_not_sent(sb_http, jpm_body):
    made = await create(
        sb_http,
        jpm_body,
        duration=None,
        expirationType="DUE_DATE",
        dueDate="2025-03-10",
        daysAfterDueDate=5,
        fineAmount="2.00",
        rebateAmount="1.00",
    )
    assert "54" not in decode(made["qrCode"]["payload"]).fields, "what is owed depends on the day"
    r = await patch(sb_http, update("30.00", fineAmount="3.00"))
    assert r.status_code == 200, r.text
    req = r.json()["request"]
    assert (req["paymentAmount"], req["fineAmount"], req["dueDate"], req["rebateAmount"]) == (
        "30.00",
        "3.00",
        "2025-03-10",
        "1.00",
    )
    r = await patch(sb_http, update("0.50"))
    assert r.status_code == 400 and "rebate" in r.json()["responseMessage"], "the rebate must stay below the amount"


async def test_part_paid_leaves_no_room_for_a_smaller_amount(sb_http, jpm_body):
    made = await create(sb_http, jpm_body)
    await sb_http.post("/_sandbox/pay", json={"payload": made["qrCode"]["payload"], "amount": "5.00"})
    r = await patch(sb_http, update("5.00"))
    assert r.status_code == 409 and r.json()["responseCode"] == "AMOUNT_NOT_ABOVE_PAID"


# -- bulk and search bodies --------------------------------------------------------------------
@pytest.mark.parametrize("count", [0, 26])
async def test_bulk_of_none_or_more_than_25_is_refused_whole(sb_http, jpm_body, count):
    bodies = [jpm_body(f"{n:032d}") for n in range(count)]
    r = await sb_http.post(f"{JPM_API}/payment-requests/bulk", json={"paymentRequests": bodies}, headers=AUTH)
    assert r.status_code == 400 and r.json()["responseCode"] == "INVALID_REQUEST"
    assert (await sb_http.get("/_sandbox/state")).json()["requests"] == []


async def test_a_bulk_item_needs_its_own_id(sb_http, jpm_body):
    r = await sb_http.post(
        f"{JPM_API}/payment-requests/bulk", json={"paymentRequests": [jpm_body(None), jpm_body()]}, headers=AUTH
    )
    assert r.status_code == 207
    results = r.json()["results"]
    assert [(x["index"], x["httpStatus"]) for x in results] == [(0, 400), (1, 201)]
    assert results[0]["error"]["errors"][0]["field"] == "id"


@pytest.mark.parametrize(
    "params, field",
    [
        ({"status": "PAID"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"cursor": "%%%"}, "cursor"),
        ({"createdFrom": "2025-03-01T12:00:00"}, "createdFrom"),
        ({"colour": "red"}, "colour"),
        ({"externalId": "x" * 36}, "externalId"),
    ],
)
async def test_search_parameters_are_checked(sb_http, params, field):
    r = await sb_http.get(f"{JPM_API}/payment-requests", params=params, headers=AUTH)
    assert r.status_code == 400 and field in [e["field"] for e in r.json()["errors"]], r.text


async def test_search_pages_hold_at_most_limit(sb_http, jpm_body):
    for n in range(3):
        await create(sb_http, jpm_body, f"{n:032d}")
    r = await sb_http.get(f"{JPM_API}/payment-requests", params={"limit": "2"}, headers=AUTH)
    first = r.json()
    assert len(first["paymentRequests"]) == 2 and first["nextCursor"]
    r = await sb_http.get(
        f"{JPM_API}/payment-requests", params={"limit": "2", "cursor": first["nextCursor"]}, headers=AUTH
    )
    assert [p["id"] for p in r.json()["paymentRequests"]] == [f"{2:032d}"] and r.json()["nextCursor"] is None
    r = await sb_http.get(f"{JPM_API}/payment-links", params={"externalId": "none"}, headers=AUTH)
    assert r.json() == {"paymentLinks": [], "nextCursor": None}
