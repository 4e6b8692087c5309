"""Pix dynamic QR Codes (with due date, and instant), simulated — QI Tech's "Pix indireto" API.

Mounted at ``/pix`` followed by the documented path, so a client given ``<sandbox>/pix``
as its base URL works unchanged. Routes, under ``/pix/account/{account}/alias/{alias}``:

======  ===========================  ===========================================================
POST    /qrcode                      create (the seed's body) → 201 {request_control_key,
                                     qr_code_key, qr_code_status, base_64_payload, created_at}
GET     /qrcode/{qr_code_key}        consult → 200 the QR Code with terms, paid_amount, events
PATCH   /qrcode/{qr_code_key}        {"request_control_key", "qr_code_status": "written_off"} → 204
======  ===========================  ===========================================================

From the seed (``pix-dynamic-qr-due-date.txt``): the create path, body, 201 answer,
statuses and the 400 body ``{"title", "description", "translation", "code":
"QRI000003"}``. The seed documents creation only; **the rest follows the provider's
public documentation** (QI Tech, docs.qitech.com.br, "Pix indireto"): the consult
``GET`` and its body, the write-off ``PATCH`` answering 204, the 404 ``QRI000002``, the
401 ``GDF000014`` body, ``expiration_seconds`` for ``dynamic_instant``.

**Choices made here where both are silent** (mirrored in ``app/providers/pix.py``):

- auth: ``Authorization: Bearer <token>``, any non-empty token (QI Tech's real scheme
  signs each request with an API client key; TillQR's client takes a bearer token);
  missing → 401 in the Pix error shape;
- ``request_control_key`` (a UUID4) is the idempotency key: the same key with the same
  body answers the first 201 again (same QR); with another body 409 ``SBX000001``.
  The 201 echoes the request's key (the seed's example shows another one);
- ``dynamic_term`` needs every field the seed stars; ``dynamic_instant`` needs only
  ``request_control_key``, ``qr_code_type``, ``amount``, ``receiver_conciliation_id``,
  ``pix_key`` (the payer fields are optional: a till does not know its customer) and
  takes ``expiration_seconds`` (default 86400, as documented); the due-date fields
  must be absent or null on an instant QR, ``expiration_seconds`` on a term QR;
- amounts are JSON numbers with at most 2 decimals (more → 400, never rounded);
  ``receiver_conciliation_id`` is a Pix txid, 26–35 letters/digits, unique per alias
  (409 ``SBX000003``); ``payer_document_number`` 11 (CPF) or 14 (CNPJ) digits;
  ``pix_key`` a CPF, CNPJ, e-mail, +55 phone or random (UUID) key; at most 3 discounts
  with distinct limit dates on or before ``expiration_date``, ``discount_number`` (if
  given) in the same order as the dates; the rebate (plus any discount) less than the
  amount; ``expiration_date`` not before today; unknown fields → 400 (with details in
  ``extra_fields``, QI Tech's convention for error details);
- what is due on a day is ``app.domain.duedate.amount_due`` on the Brasília date of the
  sandbox clock; ``/_sandbox/pay`` without an amount pays what is due that day, a
  smaller amount leaves the QR ``active`` with ``paid_amount`` accumulating;
- expiry (``bank_written_off``): ``dynamic_term`` after the last payable day
  (``expiration_date + max_payment_days``, Brasília) ends; ``dynamic_instant``
  ``expiration_seconds`` after creation;
- write off: only an ``active`` QR; again on a ``written_off`` one → 204; a
  ``finished`` or ``bank_written_off`` one → 409 ``SBX000002``;
- the BR Code is ``pix_dynamic`` pointing at ``<host>/pix/v2/cob|cobv/<key>``; an instant
  QR carries its amount (tag 54), a term QR none (what is due depends on the day);
  the merchant name is ``additional_data``'s ``merchant_name`` when given;
- kept between commands (``persist.py``): the parsed order stays in ``extra["order"]`` and
  ``revive`` rebuilds what a term QR owes from its terms when the state is read back;
- ``qr_code_events``: registration, payment (one per payment), write_off,
  bank_written_off; codes ``SBX…`` are this sandbox's own.

The bodies are checked in ``pix_body.py``; answers and the error catalogue are ``pix_answers.py``'s.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.domain import dueterms
from app.domain.duedate import amount_due, local_date, payable_until
from app.domain.money import Money
from app.qr.schemes import pix_dynamic

from .core import SandboxProvider, SandboxState
from .model import Phase, SandboxError, SimRequest, fingerprint, iso
from .pix_answers import ERRORS, UNAUTHENTICATED_DETAIL, answer, error_answer, error_body
from .pix_body import Order, check_create, check_write_off
from .web import Handler, bearer_token, endpoint

NAME = "pix"
BASE = "/account/{account}/alias/{alias}/qrcode"
STATUS_WORDS = {
    Phase.OPEN: "active",
    Phase.PROCESSING: "active",  # Pix has no in-between status; never produced without settle_delay_s
    Phase.SETTLED: "finished",
    Phase.EXPIRED: "bank_written_off",
    Phase.CANCELLED: "written_off",
    Phase.FAILED: "written_off",  # never produced by this sandbox
}


def _auth(request: Request) -> None:
    try:
        bearer_token(request)
    except SandboxError:
        raise SandboxError(401, "GDF000014", UNAUTHENTICATED_DETAIL) from None


def _endpoint(fn: Handler) -> Callable[[Request], Awaitable[Response]]:
    return endpoint(fn, error_answer, _auth)


async def _body(request: Request, code: str) -> tuple[bytes, dict[str, Any]]:
    raw = await request.body()
    try:
        data = json.loads(raw, parse_float=Decimal) if raw else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise SandboxError(
            400, code, "the body must be a JSON object", [{"field": "body", "message": "must be a JSON object"}]
        )
    return raw, data


def _scope(request: Request, what: str) -> tuple[str, str, str]:
    p = request.path_params
    return (NAME, what, f"{p['account']}/{p['alias']}/{p.get('qr_code_key', '')}")


def _replay(state: SandboxState, scope: tuple[str, str, str], key: str, raw: bytes) -> Any:
    try:
        return state.replay(scope, key, fingerprint(raw))
    except SandboxError:
        raise SandboxError(
            409, "SBX000001", f"request_control_key {key} was already used with a different body"
        ) from None


# -- QR Codes -----------------------------------------------------------------------
def _payload(state: SandboxState, order: Order, key: str) -> str:
    kind = "cobv" if order.terms else "cob"
    name = next(
        (
            d["value"]
            for d in order.additional_data
            if d["key_name"] == "merchant_name" and isinstance(d.get("value"), str) and d["value"].strip()
        ),
        state.settings.merchant_name,
    )
    location = f"{state.settings.location_host}/pix/v2/{kind}/{uuid.UUID(key).hex}"
    try:
        return pix_dynamic(
            location,
            merchant_name=name,
            merchant_city=state.settings.merchant_city,
            amount=None if order.terms else order.amount,
        )
    except ValueError:
        return pix_dynamic(
            location,
            merchant_name=state.settings.merchant_name,
            merchant_city=state.settings.merchant_city,
            amount=None if order.terms else order.amount,
        )


def _owner(req: SimRequest) -> tuple[str, str]:
    return req.extra["account"], req.extra["alias"]


def _create(state: SandboxState, account: str, alias: str, body: dict[str, Any]) -> tuple[int, Any]:
    order = check_create(body, today=local_date(state.now()))
    for other in state.requests():
        if other.provider == NAME and _owner(other) == (account, alias) and other.reference == order.conciliation_id:
            raise SandboxError(
                409,
                "SBX000003",
                f"receiver_conciliation_id {order.conciliation_id} is already used by QR Code {other.id}",
            )
    now = state.now()
    key = str(uuid.uuid4())
    terms = order.terms
    expires = payable_until(terms) if terms else now + timedelta(seconds=order.expiration_seconds or 0)
    payload = _payload(state, order, key)
    sim = SimRequest(
        id=key,
        provider=NAME,
        amount=order.amount,
        reference=order.conciliation_id,
        created_at=now,
        expires_at=expires,
        payload=payload,
        owed=_owed(order),
        extra={
            "account": account,
            "alias": alias,
            "order": order,
            "payments": [],
            "events": [(order.request_control_key, "registration", now)],
        },
    )
    state.add_request(sim)
    return 201, {
        "request_control_key": order.request_control_key,
        "qr_code_key": key,
        "qr_code_status": STATUS_WORDS[sim.phase],
        "base_64_payload": _b64(payload),
        "created_at": iso(now),
    }


def _owed(order: Order) -> Callable[[datetime], Money] | None:
    """What a term QR owes on the day it is paid (None: an instant QR owes its amount)."""
    terms = order.terms
    if terms is None:
        return None
    return lambda when: amount_due(order.amount, terms, local_date(when)).total


def revive(req: SimRequest) -> None:
    """(The provider's revive hook.) A QR read back from a saved state owes by its stored order's terms again."""
    req.owed = _owed(req.extra["order"])


def setup(state: SandboxState) -> None:
    """(The provider's setup hook.) Payments become ``payment`` events, on QRs created or read back alike."""
    if _note_payments not in state.listeners:
        state.listeners.append(_note_payments)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _event_key(req: SimRequest, what: str, n: int = 0) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tillqr-sandbox:{req.id}:{what}:{n}"))


def qr_json(state: SandboxState, req: SimRequest) -> dict[str, Any]:
    """The consult body (QI Tech's documented fields), amounts as exact JSON numbers."""
    order: Order = req.extra["order"]
    terms = order.terms
    events = [{"request_control_key": k, "event_type": t, "created_at": iso(at)} for k, t, at in req.extra["events"]]
    for n, (_paid, at) in enumerate(req.extra["payments"]):
        events.append(
            {"request_control_key": _event_key(req, "payment", n), "event_type": "payment", "created_at": iso(at)}
        )
    if req.phase is Phase.EXPIRED:
        events.append(
            {
                "request_control_key": _event_key(req, "bank_written_off"),
                "event_type": "bank_written_off",
                "created_at": iso(req.expires_at),
            }
        )
    events.sort(key=lambda e: e["created_at"])
    doc = order.document
    return {
        "request_control_key": order.request_control_key,
        "pix_key": order.pix_key,
        "receiver_conciliation_id": order.conciliation_id,
        "qr_code_key": req.id,
        "qr_code_status": STATUS_WORDS[req.phase],
        "qr_code_type": "dynamic_term" if terms else "dynamic_instant",
        "amount": order.amount,
        "expiration_seconds": None if terms else order.expiration_seconds,
        "expiration_date": None,
        "max_payment_days": None,
        "payer_name": order.payer_name,
        "payer_document_number": doc,
        "payer_person_type": None if not doc else ("natural" if len(doc) == 11 else "legal"),
        "payer_request": order.payer_request,
        "rebate_amount": None,
        "interest_amount": None,
        "fine_amount": None,
        "discounts": [],
        **(dueterms.to_pix(terms, order.numbers) if terms else {}),
        "additional_data": order.additional_data,
        "pix_transfer_key": None,
        "paid_amount": req.amount_paid if req.amount_paid.minor else None,
        "base_64_payload": _b64(req.payload),
        "qr_code_events": events,
        "created_at": iso(req.created_at),
    }


def _note_payments(req: SimRequest) -> None:
    """Record a payment event for what was paid since the last one (called on every change of a Pix QR)."""
    if req.provider != NAME or "payments" not in req.extra:
        return
    recorded = sum((m.minor for m, _ in req.extra["payments"]), 0)
    if req.amount_paid.minor > recorded:
        req.extra["payments"].append((Money(req.amount_paid.minor - recorded, req.amount.currency), req.updated_at))


def _find(state: SandboxState, request: Request) -> SimRequest:
    p = request.path_params
    req = state.request(NAME, p["qr_code_key"])
    if req is None or _owner(req) != (p["account"], p["alias"]):
        raise SandboxError(404, "QRI000002", f"QR Code {p['qr_code_key']} not found")
    return req


@_endpoint
async def create_qr(request: Request, state: SandboxState) -> Response:
    raw, body = await _body(request, "QRI000003")
    key = body.get("request_control_key")
    scope = _scope(request, "POST")
    if isinstance(key, str):
        stored = _replay(state, scope, key, raw)
        if stored is not None:
            return answer(stored.status, stored.body)
    p = request.path_params
    status, out = _create(state, p["account"], p["alias"], body)
    if isinstance(key, str):  # a body without its key was refused by _create's checks
        state.remember(scope, key, fingerprint(raw), status, out)
    return answer(status, out)


@_endpoint
async def get_qr(request: Request, state: SandboxState) -> Response:
    return answer(200, qr_json(state, _find(state, request)))


@_endpoint
async def write_off(request: Request, state: SandboxState) -> Response:
    raw, body = await _body(request, "LEG000069")
    req = _find(state, request)
    key = check_write_off(body)
    scope = _scope(request, "PATCH")
    if _replay(state, scope, key, raw) is not None:
        return answer(204)
    if req.phase is Phase.OPEN:
        req.extra["events"].append((key, "write_off", state.now()))
        state.set_phase(req, Phase.CANCELLED)
    elif req.phase is not Phase.CANCELLED:
        raise SandboxError(
            409,
            "SBX000002",
            f"QR Code {req.id} is {STATUS_WORDS[req.phase]}: only an active QR Code can be written off",
        )
    state.remember(scope, key, fingerprint(raw), 204, None)
    return answer(204)


@_endpoint
async def not_found(request: Request, state: SandboxState) -> Response:
    raise SandboxError(404, "SBX000404", f"no such Pix resource: {request.method} {request.url.path}")


def provider() -> SandboxProvider:
    return SandboxProvider(
        name=NAME,
        prefix="/pix",
        routes=[
            Route(BASE, create_qr, methods=["POST"]),
            Route(BASE + "/{qr_code_key}", get_qr, methods=["GET"]),
            Route(BASE + "/{qr_code_key}", write_off, methods=["PATCH"]),
            Route("/{path:path}", not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ],
        status_words=STATUS_WORDS,
        error_body=lambda status, code, message: error_body(status, code, message),
        setup=setup,
        revive=revive,
    )


__all__ = ["NAME", "BASE", "STATUS_WORDS", "ERRORS", "provider", "error_body", "qr_json"]
