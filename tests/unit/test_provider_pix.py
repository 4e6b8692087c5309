"""The Pix client against the in-process sandbox: bodies, statuses, errors, idempotency, due dates."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from app.domain.duedate import BRASILIA, amount_due, payable_until
from app.domain.dueterms import Discount, DueTerms
from app.domain.money import Money
from app.domain.sale import SaleStatus
from app.providers.base import (
    Capability,
    ChargeSpec,
    PaymentProvider,
    ProviderAuthError,
    ProviderConflict,
    ProviderNotFound,
    ProviderRejected,
    ProviderUnavailable,
)
from app.providers.http import HttpTimeouts
from app.providers.pix import STATUS_MAP, PixProvider, control_key, dumps, parse_qr, parse_terms
from app.providers.registry import CREDENTIAL_KEYS, create_provider
from app.qr.emv import decode
from app.retry import FakeTimer
from tests.support.closing import closed_after
from tests.support.faults import seed_where

from .conftest import T0

SALE = "c" * 32
PIX_KEY = "3d7d6a2b-f72f-44c7-bb20-79a94dff5954"
DUE = date(2025, 3, 25)
TERMS = DueTerms(
    due_date=DUE,
    max_payment_days=128,
    fine=Money(300, "BRL"),
    interest_per_day=Money(200, "BRL"),
    rebate=Money(100, "BRL"),
    payer_name="Random",
    payer_document="00000000000000",
)


class Recorder(httpx.AsyncBaseTransport):
    """The transport in between: keeps every request sent."""

    def __init__(self, inner: httpx.AsyncBaseTransport):
        self.inner, self.sent = inner, []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.sent.append(request)
        return await self.inner.handle_async_request(request)


@pytest.fixture
async def pix_factory(sb_app):

    def make(*, token="test-token", timeout=None, **options) -> PixProvider:
        options = {"account": "acc-1", "alias": "alias-1", "pix_key": PIX_KEY, **options}
        provider = PixProvider(
            "http://sandbox/pix",
            token,
            transport=Recorder(httpx.ASGITransport(app=sb_app)),
            timeout=timeout or HttpTimeouts(connect=1.0, read=1.0, attempt=1.0, deadline=5.0),
            timer=FakeTimer(),  # the waits between attempts take no time
            **options,
        )
        return provider

    async for made in closed_after(make):
        yield made


@pytest.fixture
def pix(pix_factory) -> PixProvider:
    return pix_factory()


def spec(sale=SALE, amount="10.25", due=None, duration_s=300, key=None, reference="order 1") -> ChargeSpec:
    return ChargeSpec(
        request_id=sale,
        amount=Money.parse(amount, "BRL"),
        reference=reference,
        duration_s=duration_s,
        idempotency_key=key or sale,
        due=due,
    )


def sent_json(pix: PixProvider, n: int = -1) -> dict:
    return json.loads(pix.http._client._transport.sent[n].content, parse_float=Decimal)


async def pay(http, payload, amount=None):
    r = await http.post(
        "/_sandbox/pay", json={"payload": payload} if amount is None else {"payload": payload, "amount": amount}
    )
    assert r.status_code == 200, r.text
    return r.json()


async def calls(http) -> int:
    return (await http.get("/_sandbox/calls")).json()["count"]


# -- what goes out ----------------------------------------------------------------------
def test_it_is_a_payment_provider_claiming_what_works(pix):
    assert isinstance(pix, PaymentProvider)
    assert pix.name == "pix" and pix.currencies == ("BRL",)
    assert pix.capabilities == (
        Capability.DYNAMIC_QR | Capability.CANCEL | Capability.DUE_DATE | Capability.PARTIAL_PAYMENT
    )
    assert Capability.STATIC_LINK not in pix.capabilities
    assert set(STATUS_MAP) == {"active", "finished", "written_off", "bank_written_off"}
    assert "test-token" not in repr(pix)


def test_request_control_key_is_a_uuid4_derived_from_the_idempotency_key():
    key = control_key(SALE)
    parsed = uuid.UUID(key)
    assert parsed.version == 4 and parsed.variant == uuid.RFC_4122 and str(parsed) == key
    assert control_key(SALE) == key and control_key(SALE + "-cancel") != key
    with pytest.raises(ValueError):
        control_key("")


def test_amounts_are_written_exactly_never_through_float():
    assert dumps({"amount": Money(1025, "BRL")}) == b'{"amount":10.25}'
    assert dumps([Decimal("10.25"), Decimal("3"), Decimal("0.1")]) == b"[10.25,3,0.1]"
    assert dumps({"name": "São Paulo", "n": 2, "x": None, "ok": True}) == (
        '{"name":"São Paulo","n":2,"x":null,"ok":true}'.encode()
    )
    with pytest.raises(TypeError):
        dumps({"amount": 10.25})


async def test_instant_body_field_by_field(pix):
    info = await pix.create_request(spec())
    sent = pix.http._client._transport.sent[-1]
    assert sent.method == "POST" and sent.url.path == "/pix/account/acc-1/alias/alias-1/qrcode"
    assert sent.headers["authorization"] == "Bearer test-token"
    assert b'"amount":10.25' in sent.content
    assert sent_json(pix) == {
        "request_control_key": control_key(SALE),
        "qr_code_type": "dynamic_instant",
        "amount": Decimal("10.25"),
        "receiver_conciliation_id": SALE,
        "payer_request": "order 1",
        "pix_key": PIX_KEY,
        "expiration_seconds": 300,
    }
    assert info.status is SaleStatus.LINKED and info.provider_status == "active"
    assert info.amount == Money(1025, "BRL") and info.amount_paid == Money(0, "BRL")
    assert info.expires_at == T0 + timedelta(seconds=300)
    assert decode(info.payload).valid and decode(info.payload).fields["54"] == "10.25"
    assert uuid.UUID(info.request_id).version == 4


async def test_term_body_maps_the_due_terms(pix_factory):
    pix = pix_factory(merchant_name="Lojas Costa S.A.")
    terms = DueTerms(
        DUE,
        128,
        Money(300, "BRL"),
        Money(200, "BRL"),
        Money(100, "BRL"),
        discounts=(Discount(Money(50, "BRL"), date(2025, 3, 20)), Discount(Money(150, "BRL"), date(2025, 3, 10))),
        payer_name="Random",
        payer_document="00000000000000",
    )
    info = await pix.create_request(spec(due=terms))
    body = sent_json(pix)
    assert body == {
        "request_control_key": control_key(SALE),
        "qr_code_type": "dynamic_term",
        "amount": Decimal("10.25"),
        "receiver_conciliation_id": SALE,
        "payer_request": "order 1",
        "pix_key": PIX_KEY,
        "payer_name": "Random",
        "payer_document_number": "00000000000000",
        "expiration_date": "2025-03-25",
        "max_payment_days": 128,
        "fine_amount": Decimal("3.00"),
        "interest_amount": Decimal("2.00"),
        "rebate_amount": Decimal("1.00"),
        "discounts": [
            {"discount_value": Decimal("1.50"), "discount_number": 1, "discount_limit_date": "2025-03-10"},
            {"discount_value": Decimal("0.50"), "discount_number": 2, "discount_limit_date": "2025-03-20"},
        ],
        "additional_data": [{"key_name": "merchant_name", "value": "Lojas Costa S.A."}],
    }
    assert info.expires_at == datetime(2025, 8, 1, tzinfo=BRASILIA) == payable_until(terms)
    assert decode(info.payload).fields["59"] == "Lojas Costa S.A."
    got = await pix.get_request(info.request_id)
    assert got.expires_at == info.expires_at and got.amount == info.amount and got.payload == info.payload
    assert parse_terms(await pix.consult(info.request_id)) == DueTerms(
        **{**terms.__dict__, "discounts": tuple(sorted(terms.discounts, key=lambda d: d.limit_date))}
    )


async def test_the_payload_is_what_the_provider_made(pix, sb_http):
    info = await pix.create_request(spec())
    raw = (
        await sb_http.get(
            f"/pix/account/acc-1/alias/alias-1/qrcode/{info.request_id}", headers={"Authorization": "Bearer t"}
        )
    ).json()
    import base64

    assert info.payload == base64.b64decode(raw["base_64_payload"]).decode()
    assert (await pay(sb_http, info.payload))["request_id"] == info.request_id


# -- statuses -------------------------------------------------------------------------------
async def test_every_status_in_tillqrs_words(pix, sb_http, sb_clock):
    active = await pix.create_request(spec())
    assert (await pix.get_request(active.request_id)).status is SaleStatus.LINKED
    await pay(sb_http, active.payload)
    done = await pix.get_request(active.request_id)
    assert (done.status, done.provider_status, done.amount_paid) == (SaleStatus.SETTLED, "finished", done.amount)
    cancelled = await pix.create_request(spec("d" * 32))
    info = await pix.cancel_request(cancelled.request_id, "d" * 32 + "-cancel")
    assert (info.status, info.provider_status) == (SaleStatus.CANCELLED, "written_off")
    expiring = await pix.create_request(spec("e" * 32, duration_s=30))
    sb_clock.advance(30)
    info = await pix.get_request(expiring.request_id)
    assert (info.status, info.provider_status) == (SaleStatus.EXPIRED, "bank_written_off")


async def test_partial_payment_stays_linked_and_accumulates(pix, sb_http):
    info = await pix.create_request(spec(amount="12.50"))
    await pay(sb_http, info.payload, "8.00")
    part = await pix.get_request(info.request_id)
    assert part.status is SaleStatus.LINKED and part.amount_paid == Money(800, "BRL")
    await pay(sb_http, info.payload)
    assert (await pix.get_request(info.request_id)).status is SaleStatus.SETTLED


async def test_cancel_is_idempotent_and_a_paid_one_is_a_conflict(pix, sb_http):
    info = await pix.create_request(spec())
    assert (await pix.cancel_request(info.request_id, "k")).status is SaleStatus.CANCELLED
    assert (await pix.cancel_request(info.request_id, "k")).status is SaleStatus.CANCELLED
    assert (await pix.cancel_request(SALE, "other")).status is SaleStatus.CANCELLED  # by sale id too
    patch = pix.http._client._transport.sent[-2]
    assert patch.method == "PATCH" and json.loads(patch.content) == {
        "request_control_key": control_key("other"),
        "qr_code_status": "written_off",
    }
    paid = await pix.create_request(spec("f" * 32))
    await pay(sb_http, paid.payload)
    with pytest.raises(ProviderConflict) as caught:
        await pix.cancel_request(paid.request_id, "k2")
    assert caught.value.code == "SBX000002" and "finished" in caught.value.message
    assert "não pode mais ser baixado" in caught.value.message and str(caught.value).startswith("pix: ")


# -- due dates: the client charges what app.domain.duedate computes -----------------------------
@pytest.mark.parametrize("day", [date(2025, 3, 1), DUE, date(2025, 3, 26), date(2025, 3, 27), date(2025, 7, 31)])
async def test_a_term_charge_paid_on_different_days(pix_factory, sb_http, sb_clock, day):
    pix = pix_factory(clock=sb_clock)
    info = await pix.create_request(spec(due=TERMS))
    sb_clock.set(datetime(day.year, day.month, day.day, 10, 0, tzinfo=BRASILIA))
    owed = amount_due(Money(1025, "BRL"), TERMS, day)
    breakdown = await pix.due_breakdown(info.request_id)
    assert breakdown is not None and breakdown.total == owed.total == (await pix.due_breakdown(SALE, day)).total
    result = await pay(sb_http, info.payload)
    assert result["amount_paid"] == str(owed.total)
    done = await pix.get_request(info.request_id)
    assert done.status is SaleStatus.SETTLED and done.amount_paid == owed.total


async def test_instant_charges_have_no_breakdown(pix):
    info = await pix.create_request(spec())
    assert await pix.due_breakdown(info.request_id) is None


# -- errors -----------------------------------------------------------------------------------
async def test_an_invalid_payload_is_rejected_in_the_providers_words(pix):
    with pytest.raises(ProviderRejected) as caught:
        await pix.create_request(
            spec(due=DueTerms(DUE, 10, Money(0, "BRL"), Money(0, "BRL"), Money(0, "BRL")), reference="")
        )
    err = caught.value
    assert err.status_code == 400 and err.code == "QRI000003"
    assert err.message.startswith("Invalid payload for QR Code creation. (payer_document_number:")
    assert "payer_name:" in err.message and err.message.endswith("/ Payload inválido para a criação de QR Code.")


async def test_missing_credentials_and_unknown_qr_codes(pix_factory, pix):
    with pytest.raises(ValueError):
        pix_factory(token=" ")
    with pytest.raises(ValueError):
        pix_factory(pix_key="")
    with pytest.raises(ProviderNotFound) as caught:
        await pix.get_request(str(uuid.uuid4()))
    assert caught.value.code == "QRI000002" and "Could not find the queried QR Code." in caught.value.message
    with pytest.raises(ProviderNotFound):
        await pix.get_request(SALE)  # a sale this client never created


async def test_the_sandbox_refuses_a_missing_token_as_the_provider_does(sb_app):
    pix = PixProvider(
        "http://sandbox/pix", "t", account="a", alias="b", pix_key=PIX_KEY, transport=httpx.ASGITransport(app=sb_app)
    )
    pix.http._client.headers.pop("Authorization")
    try:
        with pytest.raises(ProviderAuthError) as caught:
            await pix.create_request(spec())
        assert caught.value.status_code == 401 and caught.value.code == "GDF000014"
    finally:
        await pix.aclose()


async def test_5xx_is_unavailable_after_retrying(pix, sb_http):
    await sb_http.post("/_sandbox/faults", json={"error_rate": 1})
    with pytest.raises(ProviderUnavailable) as caught:
        await pix.create_request(spec())
    assert caught.value.code == "SBX000503" and await calls(sb_http) == 3


async def test_a_timed_out_create_is_retried_as_the_same_request(pix_factory, sb_http):
    pix = pix_factory(timeout=HttpTimeouts(connect=0.2, read=0.2, attempt=0.2, deadline=5))
    seed = seed_where(["timeout", None], timeout_rate=0.5)
    await sb_http.post("/_sandbox/faults", json={"timeout_rate": 0.5, "seed": seed})
    info = await pix.create_request(spec())  # the first answer is held: the retry replays it
    assert await calls(sb_http) == 2
    state = (await sb_http.get("/_sandbox/state")).json()["requests"]
    assert [r["id"] for r in state] == [info.request_id] and state[0]["external_reference"] == SALE


async def test_a_create_in_doubt_is_found_by_the_sale_id_and_written_off(pix_factory, sb_http):
    pix = pix_factory(timeout=HttpTimeouts(connect=0.2, read=0.2, attempt=0.2, deadline=5))
    await sb_http.post("/_sandbox/faults", json={"timeout_rate": 1})
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable):
        await pix.create_request(spec())
    assert time.monotonic() - started < 5.0  # within the deadline, long before the 60 s hold ends
    await sb_http.delete("/_sandbox/faults")
    found = await pix.get_request(SALE)  # what closing asks: the sale id, no key known
    assert found.status is SaleStatus.LINKED
    assert (await pix.cancel_request(SALE, SALE + "-cancel")).status is SaleStatus.CANCELLED
    state = (await sb_http.get("/_sandbox/state")).json()["requests"]
    assert [(r["id"], r["status"]) for r in state] == [(found.request_id, "written_off")]
    again = await pix.create_request(spec())  # the till retrying the same sale: the same QR Code
    assert again.request_id == found.request_id


# -- the registry --------------------------------------------------------------------------
async def test_registry_builds_it_with_a_demo_account_when_none_is_configured(sb_app, sb_http):
    pix = create_provider(
        "pix",
        base_url="http://sandbox/pix",
        credentials={"access_token": "t"},
        transport=httpx.ASGITransport(app=sb_app),
    )
    try:
        info = await pix.create_request(spec(due=DueTerms(DUE, 1, Money(0, "BRL"), Money(0, "BRL"), Money(0, "BRL"))))
        assert info.status is SaleStatus.LINKED  # demo payer filled in
    finally:
        await pix.aclose()
    assert CREDENTIAL_KEYS["pix"] == ("access_token",)
    with pytest.raises(ValueError):
        create_provider("pix", base_url="http://x", credentials={"access_token": "t"}, account="a")
    with pytest.raises(ValueError):
        create_provider("pix", base_url="http://x", credentials={})


def test_parse_qr_reads_the_documented_consult_body():
    # QI Tech's documented consult example (an instant QR Code), with a real payload in place of the placeholder.
    import base64

    body = {
        "request_control_key": "037b46b1-0c67-4c0d-aac3-1e395dfdcb10",
        "pix_key": PIX_KEY,
        "receiver_conciliation_id": "01GVGV9NXBCY287Z6CJ4S0ENW9",
        "qr_code_key": "d74bf12a-9243-4bfa-9b00-6b63755b6555",
        "qr_code_status": "active",
        "qr_code_type": "dynamic_instant",
        "amount": Decimal("22.34"),
        "expiration_seconds": 864000,
        "expiration_date": None,
        "max_payment_days": None,
        "payer_name": "João da Silva",
        "payer_document_number": "00000000000000",
        "payer_person_type": "legal",
        "payer_request": "Payment for order XXXXXXXXXXXX",
        "rebate_amount": 1,
        "interest_amount": 2,
        "fine_amount": 3,
        "discounts": [],
        "additional_data": [],
        "pix_transfer_key": None,
        "paid_amount": None,
        "base_64_payload": base64.b64encode(b"000201").decode(),
        "qr_code_events": [],
        "created_at": "2023-03-03T12:04:06.179Z",
    }
    info = parse_qr(body)
    assert info.request_id == "d74bf12a-9243-4bfa-9b00-6b63755b6555" and info.status is SaleStatus.LINKED
    assert info.amount == Money(2234, "BRL") and info.amount_paid == Money(0, "BRL") and info.payload == "000201"
    assert info.expires_at == datetime(2023, 3, 3, 12, 4, 6, 179000, tzinfo=UTC) + timedelta(seconds=864000)
