"""The Pix side of the sandbox over HTTP: the seed's body, statuses and errors, and the due-date maths."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from app.domain.duedate import amount_due
from app.domain.dueterms import DueTerms
from app.domain.money import Money
from app.qr.emv import decode
from app.qr.schemes import pix_location

from .conftest import AUTH

QR = "/pix/account/acc-1/alias/alias-1/qrcode"
SEED_CREATED = datetime(2023, 3, 3, 12, 4, 6, 179000, tzinfo=UTC)
# The seed's request body, field for field (its trailing comma dropped: JSON does not allow it).
SEED_BODY = {
    "request_control_key": "8a923886-afce-4116-ac1f-69bdffcf8da9",
    "qr_code_type": "dynamic_term",
    "amount": Decimal("10.25"),
    "receiver_conciliation_id": "01GVGV9NXBCY287Z6CJ4S0ENW9",
    "payer_document_number": "00000000000000",
    "payer_name": "Random",
    "payer_request": "Payment for order XXXXXXXXXX",
    "pix_key": "3d7d6a2b-f72f-44c7-bb20-79a94dff5954",
    "expiration_date": "2023-03-25",
    "max_payment_days": 128,
    "fine_amount": 3,
    "interest_amount": 2,
    "rebate_amount": 1,
    "discounts": [],
    "additional_data": [{"key_name": "merchant_name", "value": "Lojas Costa S.A."}],
}
SEED_400 = {
    "title": "Bad Request",
    "description": "Invalid payload for QR Code creation.",
    "translation": "Payload inválido para a criação de QR Code.",
    "code": "QRI000003",
}


def as_json(body) -> bytes:
    """JSON with Decimal amounts written exactly, as the seed writes them (10.25, not "10.25")."""
    text = json.dumps(body, ensure_ascii=False, default=lambda d: "§" + str(d) + "§")
    return text.replace('"§', "").replace('§"', "").encode()


def seed(**changes):
    body = copy.deepcopy(SEED_BODY)
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def key() -> str:
    return str(uuid.uuid4())


async def post(http, body, headers=AUTH, path=QR):
    return await http.post(path, content=as_json(body), headers={**headers, "Content-Type": "application/json"})


async def create(http, body, status=201):
    r = await post(http, body)
    assert r.status_code == status, r.text
    return r.json()


def instant(**changes):
    body = {
        "request_control_key": key(),
        "qr_code_type": "dynamic_instant",
        "amount": Decimal("12.50"),
        "receiver_conciliation_id": uuid.uuid4().hex,
        "pix_key": "3d7d6a2b-f72f-44c7-bb20-79a94dff5954",
    }
    body.update(changes)
    return body


def scanned(created) -> str:
    return base64.b64decode(created["base_64_payload"]).decode()


async def consult(http, qr_code_key, path=QR):
    r = await http.get(f"{path}/{qr_code_key}", headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()


async def write_off(http, qr_code_key, control=None, status=204):
    r = await http.patch(
        f"{QR}/{qr_code_key}",
        json={"request_control_key": control or key(), "qr_code_status": "written_off"},
        headers=AUTH,
    )
    assert r.status_code == status, r.text
    return r


async def pay(http, payload, amount=None):
    return await http.post(
        "/_sandbox/pay", json={"payload": payload} if amount is None else {"payload": payload, "amount": amount}
    )


def pix_error(response, status, code):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) - {"extra_fields"} == {"title", "description", "translation", "code"}
    assert body["code"] == code and all(
        isinstance(body[k], str) and body[k] for k in ("title", "description", "translation")
    )
    return body


@pytest.fixture
def at_seed(sb_clock):
    sb_clock.set(SEED_CREATED)
    return sb_clock


# -- the seed's example -----------------------------------------------------------------
async def test_the_seeds_request_gets_the_seeds_answer(sb_http, at_seed):
    body = await create(sb_http, SEED_BODY)
    assert set(body) == {"request_control_key", "qr_code_key", "qr_code_status", "base_64_payload", "created_at"}
    assert body["request_control_key"] == SEED_BODY["request_control_key"]
    assert uuid.UUID(body["qr_code_key"]).version == 4
    assert body["qr_code_status"] == "active"
    assert body["created_at"] == "2023-03-03T12:04:06.179Z"
    payload = scanned(body)
    decoded = decode(payload)
    assert decoded.valid and decoded.scheme == "pix"
    assert pix_location(payload) == f"pix.sandbox.tillqr.dev/pix/v2/cobv/{uuid.UUID(body['qr_code_key']).hex}"
    assert decoded.fields["59"] == "Lojas Costa S.A."
    assert "54" not in decoded.fields  # a term charge: what is due depends on the day


async def test_consult_echoes_every_field_with_exact_numbers(sb_http, at_seed):
    created = await create(sb_http, SEED_BODY)
    r = await sb_http.get(f"{QR}/{created['qr_code_key']}", headers=AUTH)
    assert b'"amount":10.25' in r.content and b'"fine_amount":3.00' in r.content
    body = r.json(parse_float=Decimal)
    for field in (
        "request_control_key",
        "qr_code_type",
        "receiver_conciliation_id",
        "payer_document_number",
        "payer_name",
        "payer_request",
        "pix_key",
        "expiration_date",
        "max_payment_days",
        "discounts",
        "additional_data",
    ):
        assert body[field] == SEED_BODY[field], field
    for field in ("amount", "fine_amount", "interest_amount", "rebate_amount"):
        assert body[field] == Decimal(SEED_BODY[field]), field
    assert body["qr_code_key"] == created["qr_code_key"] and body["qr_code_status"] == "active"
    assert body["expiration_seconds"] is None and body["paid_amount"] is None
    assert body["payer_person_type"] == "legal" and body["pix_transfer_key"] is None
    assert body["base_64_payload"] == created["base_64_payload"]
    assert body["created_at"] == created["created_at"]
    assert body["qr_code_events"] == [
        {
            "request_control_key": SEED_BODY["request_control_key"],
            "event_type": "registration",
            "created_at": created["created_at"],
        }
    ]


@pytest.mark.parametrize(
    "day, due",
    [
        (date(2023, 3, 3), "9.25"),
        (date(2023, 3, 25), "9.25"),
        (date(2023, 3, 26), "12.25"),
        (date(2023, 3, 27), "14.25"),
        (date(2023, 7, 31), str(Decimal("10.25") - 1 + 3 + 2 * 127)),
    ],
)
async def test_paying_on_a_day_charges_what_duedate_computes(sb_http, at_seed, day, due):
    created = await create(sb_http, SEED_BODY)
    at_seed.set(datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC))
    terms = DueTerms(date(2023, 3, 25), 128, Money(300, "BRL"), Money(200, "BRL"), Money(100, "BRL"))
    assert str(amount_due(Money(1025, "BRL"), terms, day).total) == due
    r = await pay(sb_http, scanned(created))
    assert r.status_code == 200 and r.json()["status"] == "finished" and r.json()["amount_paid"] == due
    body = await consult(sb_http, created["qr_code_key"])
    assert body["qr_code_status"] == "finished" and str(body["paid_amount"]) == due
    assert [e["event_type"] for e in body["qr_code_events"]] == ["registration", "payment"]


async def test_partial_payments_accumulate_until_what_is_due(sb_http, at_seed):
    created = await create(sb_http, SEED_BODY)
    r = await pay(sb_http, scanned(created), "5.00")
    assert r.status_code == 200 and r.json()["status"] == "active" and r.json()["amount_paid"] == "5.00"
    at_seed.set(datetime(2023, 3, 27, 15, tzinfo=UTC))  # two days late: 14.25 due in all
    r = await pay(sb_http, scanned(created))
    assert r.json()["status"] == "finished" and r.json()["amount_paid"] == "14.25"
    events = (await consult(sb_http, created["qr_code_key"]))["qr_code_events"]
    assert [e["event_type"] for e in events] == ["registration", "payment", "payment"]


async def test_after_the_last_payable_day_it_is_bank_written_off(sb_http, at_seed):
    created = await create(sb_http, SEED_BODY)
    last = datetime(2023, 7, 31, 23, 59, tzinfo=timezone(timedelta(hours=-3)))  # 2023-03-25 + 128 days
    at_seed.set(last)
    assert (await consult(sb_http, created["qr_code_key"]))["qr_code_status"] == "active"
    at_seed.advance(60)
    body = await consult(sb_http, created["qr_code_key"])
    assert body["qr_code_status"] == "bank_written_off"
    assert body["qr_code_events"][-1]["event_type"] == "bank_written_off"
    r = await pay(sb_http, scanned(created))
    assert r.status_code == 409 and "bank_written_off" in r.json()["error"]
    await write_off(sb_http, created["qr_code_key"], status=409)


async def test_discounts_are_echoed_and_applied_until_their_limit(sb_http, at_seed):
    discounts = [
        {"discount_value": Decimal("0.50"), "discount_number": 2, "discount_limit_date": "2023-03-20"},
        {"discount_value": Decimal("1.50"), "discount_number": 1, "discount_limit_date": "2023-03-10"},
    ]
    created = await create(sb_http, seed(discounts=discounts))
    body = (await sb_http.get(f"{QR}/{created['qr_code_key']}", headers=AUTH)).json(parse_float=Decimal)
    assert sorted(body["discounts"], key=lambda d: d["discount_number"]) == sorted(
        discounts, key=lambda d: d["discount_number"]
    )
    at_seed.set(datetime(2023, 3, 15, 15, tzinfo=UTC))
    assert (await pay(sb_http, scanned(created))).json()["amount_paid"] == "8.75"  # 10.25 - 1 - 0.50


# -- idempotency and statuses -------------------------------------------------------------
async def test_same_request_control_key_same_qr_code(sb_http, at_seed):
    first = await create(sb_http, SEED_BODY)
    again = await create(sb_http, SEED_BODY)
    assert again == first
    state = (await sb_http.get("/_sandbox/state")).json()
    assert [r["id"] for r in state["requests"] if r["provider"] == "pix"] == [first["qr_code_key"]]
    r = await post(sb_http, seed(amount=Decimal("11.00")))
    body = pix_error(r, 409, "SBX000001")
    assert SEED_BODY["request_control_key"] in body["description"]


async def test_receiver_conciliation_id_is_unique_per_alias(sb_http, at_seed):
    await create(sb_http, SEED_BODY)
    pix_error(await post(sb_http, seed(request_control_key=key())), 409, "SBX000003")
    other_alias = QR.replace("alias-1", "alias-2")
    assert (await post(sb_http, seed(request_control_key=key()), path=other_alias)).status_code == 201


async def test_write_off_then_again(sb_http, at_seed):
    created = await create(sb_http, SEED_BODY)
    control = key()
    r = await write_off(sb_http, created["qr_code_key"], control)
    assert r.content == b""
    await write_off(sb_http, created["qr_code_key"], control)  # a retry: same answer
    await write_off(sb_http, created["qr_code_key"])  # another key: still written off
    body = await consult(sb_http, created["qr_code_key"])
    assert body["qr_code_status"] == "written_off"
    assert body["qr_code_events"][-1] == {
        "request_control_key": control,
        "event_type": "write_off",
        "created_at": body["created_at"],
    }
    assert (await pay(sb_http, scanned(created))).status_code == 409
    state = (await sb_http.get("/_sandbox/state")).json()
    assert state["requests"][0]["status"] == "written_off"


async def test_a_finished_qr_code_cannot_be_written_off(sb_http, at_seed):
    created = await create(sb_http, SEED_BODY)
    await pay(sb_http, scanned(created))
    r = await write_off(sb_http, created["qr_code_key"], status=409)
    assert "finished" in pix_error(r, 409, "SBX000002")["description"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"request_control_key": "not-a-uuid", "qr_code_status": "written_off"}, "request_control_key"),
        ({"request_control_key": str(uuid.uuid1()), "qr_code_status": "written_off"}, "request_control_key"),
        ({"request_control_key": str(uuid.uuid4()), "qr_code_status": "finished"}, "qr_code_status"),
        ({"request_control_key": str(uuid.uuid4()), "qr_code_status": "written_off", "why": "x"}, "why"),
    ],
)
async def test_bad_write_off_bodies(sb_http, at_seed, body, field):
    created = await create(sb_http, SEED_BODY)
    r = await sb_http.patch(f"{QR}/{created['qr_code_key']}", json=body, headers=AUTH)
    assert field in pix_error(r, 400, "LEG000069")["extra_fields"]


async def test_unknown_qr_codes_and_other_accounts_are_not_found(sb_http, at_seed):
    created = await create(sb_http, SEED_BODY)
    r = await sb_http.get(f"{QR}/{key()}", headers=AUTH)
    body = pix_error(r, 404, "QRI000002")
    assert body == {
        "title": "Not found",
        "description": "Could not find the queried QR Code.",
        "translation": "Não possível encontrar o QR Code buscado.",
        "code": "QRI000002",
    }
    r = await sb_http.get(f"{QR.replace('acc-1', 'acc-2')}/{created['qr_code_key']}", headers=AUTH)
    pix_error(r, 404, "QRI000002")
    pix_error(await sb_http.get("/pix/nowhere", headers=AUTH), 404, "SBX000404")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic dTpw"}])
async def test_credentials_are_required(sb_http, headers):
    r = await post(sb_http, SEED_BODY, headers=headers)
    body = pix_error(r, 401, "GDF000014")
    assert body["title"] == "QI Unauthenticated"
    assert (await sb_http.get(f"{QR}/{key()}", headers=headers)).status_code == 401


async def test_faults_answer_in_the_pix_shape(sb_http, at_seed):
    await sb_http.post("/_sandbox/faults", json={"error_rate": 1.0})
    pix_error(await post(sb_http, SEED_BODY), 503, "SBX000503")


# -- the documented 400 -------------------------------------------------------------------
REQUIRED = [
    "request_control_key",
    "qr_code_type",
    "amount",
    "receiver_conciliation_id",
    "payer_document_number",
    "payer_name",
    "payer_request",
    "pix_key",
    "expiration_date",
    "max_payment_days",
    "fine_amount",
    "interest_amount",
    "rebate_amount",
]


@pytest.mark.parametrize("field", REQUIRED)
async def test_each_required_field_of_the_seed(sb_http, at_seed, field):
    r = await post(sb_http, seed(**{field: None}))
    body = pix_error(r, 400, "QRI000003")
    assert {k: body[k] for k in SEED_400} == SEED_400
    assert field in body["extra_fields"]


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"request_control_key": str(uuid.uuid1())}, "request_control_key"),
        ({"qr_code_type": "static"}, "qr_code_type"),
        ({"amount": "10.25"}, "amount"),
        ({"amount": Decimal("10.255")}, "amount"),
        ({"amount": 0}, "amount"),
        ({"receiver_conciliation_id": "too-short"}, "receiver_conciliation_id"),
        ({"payer_document_number": "123"}, "payer_document_number"),
        ({"pix_key": "not a key"}, "pix_key"),
        ({"expiration_date": "25/03/2023"}, "expiration_date"),
        ({"expiration_date": "2023-03-02"}, "expiration_date"),  # before today
        ({"max_payment_days": -1}, "max_payment_days"),
        ({"max_payment_days": True}, "max_payment_days"),
        ({"fine_amount": -3}, "fine_amount"),
        ({"rebate_amount": Decimal("10.25")}, "rebate_amount"),
        ({"discounts": [{"discount_value": 1, "discount_limit_date": "2023-03-26"}]}, "discounts"),
        (
            {
                "discounts": [
                    {"discount_value": 1, "discount_number": 1, "discount_limit_date": "2023-03-20"},
                    {"discount_value": 2, "discount_number": 2, "discount_limit_date": "2023-03-10"},
                ]
            },
            "discounts",
        ),
        ({"discounts": [{"discount_value": 0, "discount_limit_date": "2023-03-20"}]}, "discounts[0].discount_value"),
        ({"additional_data": [{"value": "x"}]}, "additional_data"),
        ({"expiration_seconds": 600}, "expiration_seconds"),
        ({"colour": "blue"}, "colour"),
    ],
)
async def test_invalid_payloads_get_the_documented_400(sb_http, at_seed, changes, field):
    body = pix_error(await post(sb_http, seed(**changes)), 400, "QRI000003")
    assert {k: body[k] for k in SEED_400} == SEED_400
    assert field in body["extra_fields"], body["extra_fields"]


async def test_a_body_that_is_not_json(sb_http):
    r = await sb_http.post(QR, content=b"{not json", headers=AUTH)
    assert {k: v for k, v in pix_error(r, 400, "QRI000003").items() if k != "extra_fields"} == SEED_400


async def test_a_rejected_key_can_be_used_again_once_corrected(sb_http, at_seed):
    assert (await post(sb_http, seed(payer_name=None))).status_code == 400
    assert (await post(sb_http, SEED_BODY)).status_code == 201


# -- dynamic_instant -----------------------------------------------------------------
async def test_instant_qr_code_carries_its_amount_and_expires(sb_http, sb_clock):
    created = await create(sb_http, instant(expiration_seconds=300))
    decoded = decode(scanned(created))
    assert decoded.fields["54"] == "12.50" and "/pix/v2/cob/" in pix_location(scanned(created))
    body = await consult(sb_http, created["qr_code_key"])
    assert body["qr_code_type"] == "dynamic_instant" and body["expiration_seconds"] == 300
    assert body["expiration_date"] is None and body["fine_amount"] is None and body["payer_name"] is None
    sb_clock.advance(299)
    assert (await consult(sb_http, created["qr_code_key"]))["qr_code_status"] == "active"
    sb_clock.advance(1)
    assert (await consult(sb_http, created["qr_code_key"]))["qr_code_status"] == "bank_written_off"


async def test_instant_defaults_to_one_day_and_pays_its_amount(sb_http, sb_clock):
    created = await create(sb_http, instant(expiration_seconds="600"))
    assert (await consult(sb_http, created["qr_code_key"]))["expiration_seconds"] == 600
    created = await create(sb_http, instant())
    sb_clock.advance(86399)
    r = await pay(sb_http, scanned(created))
    assert r.json()["status"] == "finished" and r.json()["amount_paid"] == "12.50"


@pytest.mark.parametrize(
    "field, value",
    [
        ("expiration_date", "2030-01-01"),
        ("fine_amount", 1),
        ("discounts", [{"discount_value": 1, "discount_limit_date": "2030-01-01"}]),
        ("expiration_seconds", 0),
        ("payer_document_number", "12"),
    ],
)
async def test_instant_refuses_due_date_fields(sb_http, field, value):
    body = pix_error(await post(sb_http, instant(**{field: value})), 400, "QRI000003")
    assert field in body["extra_fields"]
