"""The ``provider-replies`` target: any answer a provider (or whatever sits at its address) can give, read by
each provider's parse functions through the real ``ProviderHttp`` over an ``httpx.MockTransport``.

The only accepted outcomes are the parsed value or a ``ProviderError`` (a subclass) with a message.
Answers: each parser's good reply with parts deleted or swapped for any JSON, any JSON, bytes, bodies that
are not UTF-8, huge bodies, deep nesting; any status from 100 to 599; JSON or another content type.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import httpx
from hypothesis import strategies as st

from app.domain.jsontypes import Json
from app.domain.money import Money
from app.providers import depay_parse, jpmorgan_parse, pix_parse, razorpay_parse
from app.providers.base import ChargeSpec, ProviderError
from app.providers.http import ErrorParser, ProviderHttp
from app.retry import PROVIDER_CALL

from . import Check, Target, expect, words
from .generate import JSON_VALUES, NOT_UTF8, mutated, nested

PAYLOAD = "00020101021226580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR"
WHEN = "2024-05-15T11:45:38.2678234+00:00"
JPM_REQUEST = {
    "id": "r1",
    "status": "ACTIVE",
    "request": {"currency": "BRL", "paymentAmount": "12.50", "dueDate": "2025-01-10"},
    "paidAmount": "0.00",
    "qrCode": {"payload": PAYLOAD},
    "expiresAt": "2025-01-01T00:00:00+00:00",
    "revisionNumber": 1,
    "externalId": "B-1",
}
RAZORPAY_QR = {
    "id": "qr_1",
    "status": "closed",
    "close_reason": "paid",
    "notes": {razorpay_parse.NOTE_DEADLINE: "1700000000"},
    "image_url": None,
    "payment_amount": 1250,
    "payments_amount_received": 1250,
    "close_by": 1700000000,
    "closed_at": 1700000100,
}
PIX_QR = {
    "qr_code_key": "k1",
    "qr_code_status": "active",
    "qr_code_type": "dynamic_term",
    "created_at": "2024-01-01T00:00:00+00:00",
    "expiration_seconds": 3600,
    "amount": 12.5,
    "paid_amount": 0,
    "base_64_payload": base64.b64encode(PAYLOAD.encode()).decode(),
    "expiration_date": "2025-01-10",
    "max_payment_days": 30,
    "fine_amount": 1.5,
    "interest_amount": 0.1,
    "rebate_amount": 0,
    "discounts": [{"discount_number": 1, "discount_value": 1, "discount_limit_date": "2025-01-05"}],
}
SPECS = [ChargeSpec(f"r{n}", Money(1250, "BRL"), f"ref {n}", 300, f"key-{n}", external_id=f"B-{n}") for n in (1, 2)]


def _razorpay_info(data: Json) -> object:
    qr = razorpay_parse.parse_qr(data)
    return razorpay_parse.to_info(qr, razorpay_parse.check_upi(f"upi://pay?pa=a@b&am={qr['amount'] / 100}", qr))


def _razorpay_payments(data: Json) -> object:
    return razorpay_parse.in_flight(razorpay_parse.parse_qr(RAZORPAY_QR), razorpay_parse.parse_payments(data))


def _depay_order(data: Json) -> object:
    body = depay_parse.parse_order(data)
    return body, depay_parse.refund_trail(data) if isinstance(data, dict) else None


def _pix_qr(data: Json) -> object:
    return pix_parse.parse_qr(data), pix_parse.parse_terms(data)


# name: (provider, its error parser, whether numbers are read as Decimal, the parse function, a good reply)
PARSERS: dict[str, tuple[str, ErrorParser, bool, Callable[[Json], object], Json]] = {
    "depay order": (
        "depay",
        depay_parse.parse_error,
        True,
        _depay_order,
        {
            "id": "o1",
            "status": "PARTIALLY_REFUNDED",
            "local_currency": "BRL",
            "local_amount": "12.50",
            "creation_date": WHEN,
            "update_date": "2024-11-01 20:01:30.948423",
            "statuses": [
                {"status": "CREATED", "created_at": WHEN},
                {"status": "COMPLETED", "created_at": WHEN},
                {"status": "PARTIALLY_REFUNDED", "created_at": WHEN},
            ],
        },
    ),
    "depay created": (
        "depay",
        depay_parse.parse_error,
        True,
        partial(depay_parse.parse_created, amount=Money(1250, "BRL"), sent_at=datetime(2024, 1, 1, tzinfo=UTC)),
        {"status": "success", "order_id": "o1", "qr_data": PAYLOAD},
    ),
    "jpmorgan request": ("jpmorgan", jpmorgan_parse.parse_error, False, jpmorgan_parse.parse_request, JPM_REQUEST),
    "jpmorgan link": (
        "jpmorgan",
        jpmorgan_parse.parse_error,
        False,
        jpmorgan_parse.parse_link,
        {"id": "l1", "qrCode": {"payload": PAYLOAD}, "url": "https://x.example/l1", "paymentRequestId": "r1"},
    ),
    "jpmorgan bulk": (
        "jpmorgan",
        jpmorgan_parse.parse_error,
        False,
        jpmorgan_parse.bulk_parser(SPECS),
        {
            "results": [
                {"index": 0, "httpStatus": 201, "paymentRequest": JPM_REQUEST},
                {"index": 1, "httpStatus": 409, "error": {"responseMessage": "exists", "responseCode": "DUP"}},
            ]
        },
    ),
    "jpmorgan page": (
        "jpmorgan",
        jpmorgan_parse.parse_error,
        False,
        jpmorgan_parse.page_parser("paymentRequests", jpmorgan_parse.parse_request),
        {"paymentRequests": [JPM_REQUEST], "nextCursor": "c2"},
    ),
    "pix qr": ("pix", pix_parse.parse_error, True, _pix_qr, PIX_QR),
    "razorpay qr": ("razorpay", razorpay_parse.parse_error, False, _razorpay_info, RAZORPAY_QR),
    "razorpay payments": (
        "razorpay",
        razorpay_parse.parse_error,
        False,
        _razorpay_payments,
        {"items": [{"id": "pay_1", "status": "authorized", "amount": 1250}]},
    ),
    "razorpay list": (
        "razorpay",
        razorpay_parse.parse_error,
        False,
        razorpay_parse.parse_list,
        {"items": [RAZORPAY_QR]},
    ),
}
ERROR_BODIES: list[Json] = [
    {"error": {"code": "BAD_REQUEST_ERROR", "description": "The amount is invalid"}},
    {"statusCode": 400, "message": ["amount must be positive"]},
    {"title": "t", "description": "d", "translation": "tr", "code": "QI-1", "extra_fields": {"a": "b"}},
    {"responseMessage": "Bad", "responseCode": "E1", "errors": [{"field": "x", "message": "y"}]},
]


def _dump(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")


@st.composite
def replies(draw: st.DrawFn) -> tuple[str, int, str, bytes]:
    name = draw(st.sampled_from(sorted(PARSERS)))
    good = PARSERS[name][4]
    status = draw(
        st.sampled_from([200, 201, 200, 200, 400, 401, 404, 409, 412, 422, 429, 500, 503]) | st.integers(100, 599)
    )
    kind = draw(st.integers(0, 19))
    if kind < 11:
        body = _dump(draw(mutated(good)))
    elif kind < 13:
        body = _dump(draw(mutated(draw(st.sampled_from(ERROR_BODIES)))))
    elif kind == 13:
        body = _dump(draw(JSON_VALUES))
    elif kind == 14:
        body = draw(st.binary(max_size=80) | NOT_UTF8)
    elif kind == 15:
        body = draw(mutated(good)).__repr__().encode("latin-1", "replace") + b"\xff"
    elif kind == 16:  # huge: a good reply with a long string in it
        size = draw(st.integers(1, 3_000_000))
        body = _dump({**good, "padding": "x" * size} if isinstance(good, dict) else good)
    elif kind == 17:
        body = draw(nested("[", "]") | nested('{"a":', "}", "1")).encode()
    else:
        body = _dump(draw(mutated(good))).replace(
            b"12.50", draw(st.sampled_from([b"1e999999", b"-0", b"NaN", b"1" * 5000]))
        )
    content_type = draw(st.sampled_from(["application/json", "application/json; charset=utf-8", "text/html", ""]))
    return name, status, content_type, body


@contextmanager
def _replies(workdir: Path) -> Iterator[Check]:
    answer: list[httpx.Response] = []
    transport = httpx.MockTransport(lambda request: answer[0])
    runner = asyncio.Runner()
    once = PROVIDER_CALL.with_attempts(1)  # every answer read once: a retry would only read it again
    clients = {
        name: ProviderHttp(
            provider, "https://provider.example", transport=transport, retry=once, error_parser=errors, json_decimals=d
        )
        for name, (provider, errors, d, _, _) in PARSERS.items()
    }

    def check(case: object) -> None:
        assert isinstance(case, tuple)
        name, status, content_type, body = case
        headers = {"content-type": content_type} if content_type else {}
        answer[:] = [httpx.Response(status, content=body, headers=headers)]
        try:
            runner.run(clients[name].get("/answer", parse=PARSERS[name][3]))
        except ProviderError as exc:
            words(str(exc))
            expect(len(str(exc)) < 10_000, f"a {len(str(exc))}-character error message")

    try:
        yield check
    finally:
        for client in clients.values():
            runner.run(client.aclose())
        runner.close()


TARGETS = (Target("provider-replies", replies(), _replies),)
