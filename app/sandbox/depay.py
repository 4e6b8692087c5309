"""Depay POS QR (``depay-pos-qr.txt``), simulated.

Mounted at ``/depay`` followed by the documented paths, so a client given
``<sandbox>/depay`` as base URL (instead of ``https://stage.api.payments.depay.us``)
works unchanged:

==========  ================================  ==============================================
POST        /v2/qr                            create an order and its QR → 201
GET         /v2/payins/orders/{order_id}      the order, with its ``statuses`` history → 200
DELETE      /v2/payins/qr/{order_id}          cancel → 200 (empty body)
POST        /v2/qr/refund                     refund, full or partial → 200 ``{"id", "status": "PENDING"}``
==========  ================================  ==============================================

As documented: bearer auth (missing/empty → 401 ``{"statusCode": 401, "message":
"Unauthorized"}``); the create body and its required fields (a missing one → 400
with ``message`` a list such as ``["notification_url is required"]``); the 201 body
(``status``, ``order_id``, ``qr_data``, ``message``, ``user_amount``, ``user_currency``,
``exchange_rate``); 404 ``ORDER_NOT_FOUND``; 409 ``The order has already been
canceled.`` and ``The order is totally refunded.``; the statuses, the 10-minute
expiry, the stage rules and the notifications (see ``depay_flow.py``).

**Choices made here where the seed is silent** (``app/providers/depay.py`` relies on
the same ones):

- the markets: ``local_country``/``local_currency`` AR/ARS and BR/BRL (the seed's
  examples); ``qr_from`` AR or BR, whose currency is the customer's (``user_currency``);
  ``exchange_rate`` is local units per user unit at fixed demo rates (1 ARS = 0.0035 BRL,
  the seed's figure), ``user_amount`` = amount / rate rounded to the user currency's cents;
- amounts are JSON numbers, read exactly (``Decimal``), with at most the currency's
  decimals; answers carry numbers too, never strings;
- ``external_reference`` is unique: creating a second order with one already used is
  409 ``Conflict error`` (the seed's create conflict), whatever the rest of the body —
  Depay documents no idempotency key, and no look-up by reference;
- other 400 texts follow NestJS class-validator's defaults (``"amount must be a
  positive number"``, ``"property x should not exist"`` for an unknown field);
  an unknown route is 404 ``Cannot GET /v2/x``, as NestJS says;
- the DELETE and refund sections name the header ``Authentication``: a Bearer token is
  accepted in ``Authorization`` or ``Authentication`` on every route;
- DELETE of an order that is PROCESSING, COMPLETED, FAILED or refunded: 409
  ``The order is <STATUS> and cannot be canceled.``; of a CANCELED one (expired too):
  the documented 409;
- refunds: only of a COMPLETED (or partly refunded) order, else 409 ``The order is not
  completed.``; ``partial: false`` must refund all that is left, ``partial: true`` at
  most that (400 otherwise); a refund is PENDING in the answer, then goes
  PARTIALLY_REFUNDED (taken from the merchant, not yet with the customer — the seed's
  refund table, not final) and REFUNDED, or REJECTED, over the sandbox's
  ``settle_delay_s`` (at once by default), one refund of an order after another. Depay
  documents no refund look-up, so each step shows in the order's history and in a
  refund notification; the order's ``status`` is the order table's word (see
  ``depay_flow.py``);
- ``qr_data``: an EMV merchant-presented code (dynamic, ``01`` = ``12``) in the
  customer's currency and country with the user amount (tag 54) and the order id
  (template 41: ``com.depay``); it is what ``/_sandbox/pay`` takes. The QR carries its
  amount, so the order is paid in full in one payment or not at all: an ``amount`` other
  than the order's (in its local currency) is refused with 409 ``FIXED_AMOUNT``;
- ``/_sandbox/state``, ``/_sandbox/pay`` and the events websocket speak the core phase's word
  (COMPLETED after refunds); the order's own ``status`` (WAITING_AMOUNT, REFUNDED, …) is
  the one ``GET /v2/payins/orders/{id}`` answers;
- ``POST /_sandbox/clock`` moves time on (the 10-minute expiry on a real server); orders
  also look at themselves when their 10 minutes end, so the expiration notification is
  sent without anyone reading them.

The bodies are checked in ``depay_body.py``; the order's life (statuses, refunds, notifications) is ``depay_flow.py``'s.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.domain.money import NUMERIC_CODES, Money, minor_units
from app.qr import emv

from .core import SandboxProvider, SandboxState
from .depay_body import COUNTRY_CURRENCY, validate_create, validate_refund
from .depay_flow import (
    EXPIRY,
    NAME,
    add_refund,
    creation_callback,
    dotnet_time,
    history_time,
    notifier,
    refresh,
    refunded,
    settle_refunds,
    setup,
    status_of,
    wake_at,
)
from .depay_notify import dumps
from .model import Phase, SandboxError, SimRequest
from .web import ExactJSON, Handler, endpoint

STATUS_WORDS = {
    Phase.OPEN: "CREATED",
    Phase.PROCESSING: "PROCESSING",
    Phase.SETTLED: "COMPLETED",
    Phase.EXPIRED: "CANCELED",
    Phase.CANCELLED: "CANCELED",
    Phase.FAILED: "FAILED",
}
CITIES = {"AR": "BUENOS AIRES", "BR": "SAO PAULO"}
VALUE_IN_BRL = {"BRL": Decimal(1), "ARS": Decimal("0.0035")}  # fixed demo rates
QR_GUI = "com.depay"


# -- answers -----------------------------------------------------------------------------
DepayJSON = ExactJSON  # Depay's amounts are JSON numbers: written exactly


def error_body(status: int, code: str, message: Any) -> dict[str, Any]:
    return {"statusCode": status, "message": message}


def _fail(status: int, message: Any) -> SandboxError:
    error = SandboxError(status, "DEPAY", message if isinstance(message, str) else "; ".join(message))
    error.depay_message = message  # type: ignore[attr-defined]  # the documented body: a text or a list
    return error


def _error(exc: SandboxError) -> Response:
    message = getattr(exc, "depay_message", None)
    if message is None:
        message = "Unauthorized" if exc.status == 401 else [exc.message] if exc.status == 400 else exc.message
    return DepayJSON(error_body(exc.status, exc.code, message), status_code=exc.status)


def _bearer(request: Request) -> None:
    for header in ("authorization", "authentication"):
        scheme, _, token = request.headers.get(header, "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return
    raise _fail(401, "Unauthorized")


def _endpoint(fn: Handler) -> Callable[[Request], Awaitable[Response]]:
    return endpoint(fn, _error, _bearer)


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"null", parse_float=Decimal)
    except ValueError:
        raise _fail(400, ["the request body is not valid JSON"]) from None
    if not isinstance(data, dict):
        raise _fail(400, ["the request body must be a JSON object"])
    return data


# -- orders ----------------------------------------------------------------------------------
def qr_payload(state: SandboxState, order_id: str, qr_from: str, user_amount: Money) -> str:
    ident = uuid.UUID(order_id).hex
    return emv.build(
        {
            "00": "01",
            "01": "12",
            "41": {"00": QR_GUI, "01": ident},
            "52": "5999",
            "53": NUMERIC_CODES[user_amount.currency],
            "54": str(user_amount),
            "58": qr_from,
            "59": state.settings.merchant_name[:25],
            "60": CITIES[qr_from],
            "62": {"05": ident[:25]},
        }
    )


def _create(state: SandboxState, body: dict[str, Any]) -> Response:
    errors = validate_create(body)
    if errors:
        raise _fail(400, errors)
    if any(r.provider == NAME and r.reference == body["external_reference"] for r in state.requests()):
        raise _fail(409, "Conflict error")
    number, local, user_currency = body["amount"], body["local_currency"], COUNTRY_CURRENCY[body["qr_from"]]
    rate = (VALUE_IN_BRL[user_currency] / VALUE_IN_BRL[local]).quantize(Decimal("1e-10")).normalize()
    user_number = (Decimal(number) / rate).quantize(Decimal(1).scaleb(-minor_units(user_currency)), ROUND_HALF_UP)
    user_amount = Money.from_decimal(user_number, user_currency)
    order_id = str(uuid.uuid4())
    now = state.now()
    req = SimRequest(
        id=order_id,
        provider=NAME,
        amount=Money.from_decimal(Decimal(number), local),
        reference=body["external_reference"],
        created_at=now,
        expires_at=now + EXPIRY,
        payload=qr_payload(state, order_id, body["qr_from"], user_amount),
        fixed_amount=True,
        extra={
            "local_amount": number,
            "local_currency": local,
            "local_country": body["local_country"],
            "qr_from": body["qr_from"],
            "user_amount": user_number,
            "user_currency": user_currency,
            "exchange_rate": rate,
            "pos_external_reference": body["pos_external_reference"],
            "notification_url": body["notification_url"],
            "tax_id": body.get("tax_id"),
            "items": body.get("items"),
            "statuses": [{"status": "CREATED", "created_at": history_time(now)}],
            "refunds": [],
        },
    )
    state.add_request(req)
    notifier(state).send(body["notification_url"], creation_callback(req), "creation")
    wake_at(state, req, now + EXPIRY)
    return DepayJSON(
        {
            "status": "success",
            "order_id": order_id,
            "qr_data": req.payload,
            "message": "QR generated successfully.",
            "user_amount": user_number,
            "user_currency": user_currency,
            "exchange_rate": rate,
        },
        status_code=201,
    )


@_endpoint
async def create_qr(request: Request, state: SandboxState) -> Response:
    return _create(state, await _body(request))


def order_json(req: SimRequest) -> dict[str, Any]:
    x = req.extra
    return {
        "id": req.id,
        "status": status_of(req),
        "creation_date": dotnet_time(req.created_at),
        "update_date": dotnet_time(req.updated_at or req.created_at),
        "local_amount": x["local_amount"],
        "local_currency": x["local_currency"],
        "user_amount": x["user_amount"],
        "user_currency": x["user_currency"],
        "external_reference": req.reference,
        "statuses": [dict(entry) for entry in x["statuses"]],
    }


def _order(state: SandboxState, order_id: Any) -> SimRequest:
    req = refresh(state, order_id) if isinstance(order_id, str) and order_id else None
    if req is None:
        raise _fail(404, "ORDER_NOT_FOUND")
    return req


@_endpoint
async def get_order(request: Request, state: SandboxState) -> Response:
    return DepayJSON(order_json(_order(state, request.path_params["order_id"])))


@_endpoint
async def cancel_qr(request: Request, state: SandboxState) -> Response:
    req = _order(state, request.path_params["order_id"])
    status = status_of(req)
    if status == "CANCELED":
        raise _fail(409, "The order has already been canceled.")
    if req.phase is not Phase.OPEN:
        raise _fail(409, f"The order is {status} and cannot be canceled.")
    req.extra["cancel_reason"] = "merchant"
    state.set_phase(req, Phase.CANCELLED)
    return Response(status_code=200)


def _refund(state: SandboxState, body: dict[str, Any]) -> Response:
    errors = validate_refund(body)
    if errors:
        raise _fail(400, errors)
    req = _order(state, body["order_id"])
    status = status_of(req)
    if status == "REFUNDED":
        raise _fail(409, "The order is totally refunded.")
    if status not in ("COMPLETED", "PARTIALLY_REFUNDED"):
        raise _fail(409, "The order is not completed.")
    digits = minor_units(req.amount.currency)
    number = Decimal(body["amount"])
    if number != number.quantize(Decimal(1).scaleb(-digits)):
        raise _fail(400, [f"amount must have at most {digits} decimal places"])
    amount = Money.from_decimal(number, req.amount.currency)
    left = req.amount - refunded(req, counting_pending=True)
    if left.minor <= 0:
        raise _fail(409, "The order is totally refunded.")
    if amount.minor > left.minor:
        raise _fail(400, [f"amount must not be greater than the refundable amount {left}"])
    if body["partial"] is False and amount != left:
        raise _fail(400, [f"amount must be the refundable amount {left} for a full refund (partial: false)"])
    refund = add_refund(
        state, req, amount, body["amount"], body["partial"], body["reason"], body.get("notification_url")
    )
    settle_refunds(state, req)  # due at once unless the sandbox has a settle delay; the answer is PENDING
    return DepayJSON({"id": refund["id"], "status": "PENDING"})


@_endpoint
async def refund_qr(request: Request, state: SandboxState) -> Response:
    return _refund(state, await _body(request))


async def not_found(request: Request) -> Response:
    path = request.url.path.removeprefix("/depay") or "/"
    return DepayJSON(error_body(404, "NOT_FOUND", f"Cannot {request.method} {path}"), status_code=404)


def provider() -> SandboxProvider:
    return SandboxProvider(
        name=NAME,
        prefix="/depay",
        routes=[
            Route("/v2/qr", create_qr, methods=["POST"]),
            Route("/v2/qr/refund", refund_qr, methods=["POST"]),
            Route("/v2/payins/orders/{order_id}", get_order, methods=["GET"]),
            Route("/v2/payins/qr/{order_id}", cancel_qr, methods=["DELETE"]),
            Route("/{path:path}", not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ],
        status_words=STATUS_WORDS,
        error_body=error_body,
        setup=setup,
    )


__all__ = [
    "NAME",
    "STATUS_WORDS",
    "provider",
    "error_body",
    "order_json",
    "validate_create",
    "validate_refund",
    "dumps",
    "qr_payload",
    "COUNTRY_CURRENCY",
]
