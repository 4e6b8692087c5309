"""J.P. Morgan Request to Pay (QR) and Payment Links, simulated.

Mounted at ``/jpmorgan`` followed by the documented path, so a client given
``<sandbox>/jpmorgan`` as base URL (instead of ``https://api.payments.jpmorgan.com``)
works unchanged. Routes, under ``/jpmorgan/receivables/request-to-pay/v1``:

==========  ==================================  ===============================================
POST        /payment-requests                   create (Idempotency-Key honoured) → 201
GET         /payment-requests/{id}              current state → 200
PATCH       /payment-requests/{id}              ``{"status": "CANCELLED"}`` → 200
POST        /payment-links                      create a static link (Idempotency-Key) → 201
GET         /payment-links/{id}                 → 200
POST        /payment-links/{id}/link            ``{"paymentRequestId"}`` → 200
POST        /payment-links/{id}/unlink          ``{"paymentRequestId"}`` → 200
==========  ==================================  ===============================================

From the public documentation: the base paths, the statuses ACTIVE, PROCESSING,
SETTLED, EXPIRED, CANCELLED; the create body (``id`` optional and client-assigned,
``country``, ``request`` with ``expirationType``, ``duration``, ``paymentAmount``,
``currency``, ``reference``, ``isAmountAdjustable``, ``creditor``;
``requestMethodType`` QR_CODE and ``requestMethod``); payment links being
Brazil-only; unique ids. **Choices made here where the docs are silent** (mirrored in
``app/providers/jpmorgan.py``):

- auth: ``Authorization: Bearer <token>`` (at J.P. Morgan an OAuth2 client-credentials
  token); any non-empty token is accepted, a missing/empty one gets 401;
- error body: ``{"responseStatus": "ERROR", "responseCode": "<CODE>",
  "responseMessage": "<text>", "errors": [{"field", "message"}]}``; codes used:
  UNAUTHORIZED 401, INVALID_REQUEST/INVALID_JSON 400, NOT_FOUND 404, DUPLICATE_ID 409,
  LINK_BUSY / ALREADY_LINKED / NOT_ACTIVE / LINKED_TO_OTHER / NOT_CANCELLABLE 409,
  IDEMPOTENCY_KEY_REUSED 422, SERVICE_UNAVAILABLE 503 (faults);
- this sandbox is the Brazilian market: ``country`` "BR", ``currency`` "BRL" only,
  ``expirationType`` "IMMEDIATE" with ``duration`` in whole seconds ≥ 1,
  ``paymentAmount`` a decimal *string* > 0 with at most 2 decimals,
  ``isAmountAdjustable`` false, ``requestMethod`` DYNAMIC + TEXT;
- a client-assigned ``id`` is 26–35 letters/digits (a Pix txid; TillQR sends the
  32-hex sale id); a taken id is 409 unless it is an idempotent replay;
- cancel is ``PATCH`` with ``{"status": "CANCELLED"}``: only an ACTIVE request,
  idempotent when already CANCELLED, 409 otherwise; cancelling does not unlink;
- an expired request stays linked until the POS unlinks it; paying it is 409;
- link: 409 if the link holds *another* request that is still ACTIVE/PROCESSING,
  or the request is not ACTIVE, or it is linked to another link; the same pair
  again is 200. A link holding a finished request is re-linked (the old one is
  detached). unlink: 200, idempotent when nothing is linked; 409 if the link holds
  another request;
- what is scanned: a link's ``qrCode.payload`` is a Pix dynamic BR Code whose
  location (26/25) is ``<host>/jpm/links/<id>``, so a printed sticker never
  changes; a request's is its own BR Code (``<host>/jpm/requests/<id>``, with the
  amount in tag 54). ``url`` is that location with ``https://``;
- replays of an Idempotency-Key return the first answer with ``Duplicate-Request: true``.

The bodies (the create body checked, the entities answered) are ``jpmorgan_body.py``'s.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.qr.schemes import pix_dynamic

from .core import SandboxProvider, SandboxState
from .jpmorgan_body import STATUS_WORDS, link_json, request_json, validate_create
from .model import BUSY_PHASES, Phase, SandboxError, SimLink, SimRequest, parse_amount
from .web import Handler, bearer_token, endpoint, idempotent

NAME = "jpmorgan"
API = "/receivables/request-to-pay/v1"


def error_body(status: int, code: str, message: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"responseStatus": "ERROR", "responseCode": code, "responseMessage": message, "errors": errors or []}


def _error(exc: SandboxError) -> JSONResponse:
    return JSONResponse(error_body(exc.status, exc.code, exc.message, exc.errors), status_code=exc.status)


def _endpoint(fn: Handler) -> Callable[[Request], Awaitable[Response]]:
    return endpoint(fn, _error, bearer_token)


def _answer(status: int, body: Any, replayed: bool) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"Duplicate-Request": "true"} if replayed else None)


# -- payment requests ------------------------------------------------------------
def _location(state: SandboxState, kind: str, ident: str) -> str:
    return f"{state.settings.location_host}/jpm/{kind}/{ident}"


def _create_request(state: SandboxState, body: dict[str, Any]) -> tuple[int, Any]:
    errors, req = validate_create(body)
    if errors:
        raise SandboxError(400, "INVALID_REQUEST", f"{errors[0]['field']} {errors[0]['message']}", errors)
    ident = body.get("id") or uuid.uuid4().hex
    if state.request(NAME, ident) is not None:
        raise SandboxError(409, "DUPLICATE_ID", f"a payment request with id {ident} already exists")
    amount = parse_amount(req["paymentAmount"], "BRL")
    creditor = req.get("creditor") or {}
    address = (
        creditor.get("address") if isinstance(creditor, dict) and isinstance(creditor.get("address"), dict) else {}
    )
    address = address if isinstance(address, dict) else {}
    city = address.get("city") if isinstance(address.get("city"), str) and address.get("city") else None
    try:
        payload = pix_dynamic(
            _location(state, "requests", ident),
            merchant_name=creditor.get("name") or state.settings.merchant_name,
            merchant_city=city or state.settings.merchant_city,
            amount=amount,
        )
    except ValueError as exc:
        raise SandboxError(400, "INVALID_REQUEST", f"cannot build the QR code: {exc}") from None
    now = state.now()
    echo = dict(req, paymentAmount=str(amount))
    sim = SimRequest(
        id=ident,
        provider=NAME,
        amount=amount,
        reference=req.get("reference", ""),
        created_at=now,
        expires_at=now + timedelta(seconds=req["duration"]),
        payload=payload,
        extra={
            "request": echo,
            "country": "BR",
            "revisionNumber": 0,
            "requestMethod": body.get("requestMethod") or {"qrCodeType": "DYNAMIC", "contentType": "TEXT"},
        },
    )
    state.add_request(sim)
    return 201, request_json(state, sim)


@_endpoint
async def create_request(request: Request, state: SandboxState) -> Response:
    return _answer(*await idempotent(request, state, NAME, lambda body: _create_request(state, body)))


def _find_request(state: SandboxState, ident: Any) -> SimRequest:
    req = state.request(NAME, ident) if isinstance(ident, str) else None
    if req is None:
        raise SandboxError(404, "NOT_FOUND", f"payment request {ident} not found")
    return req


@_endpoint
async def get_request(request: Request, state: SandboxState) -> Response:
    return JSONResponse(request_json(state, _find_request(state, request.path_params["id"])))


def _cancel(state: SandboxState, ident: str, body: dict[str, Any]) -> tuple[int, Any]:
    req = _find_request(state, ident)
    if set(body) != {"status"} or body["status"] != "CANCELLED":
        raise SandboxError(
            400,
            "INVALID_REQUEST",
            'this sandbox only supports {"status": "CANCELLED"}',
            [{"field": "status", "message": 'must be "CANCELLED"'}],
        )
    if req.phase is Phase.OPEN:
        req.extra["revisionNumber"] = req.extra.get("revisionNumber", 0) + 1
        state.set_phase(req, Phase.CANCELLED)
    elif req.phase is not Phase.CANCELLED:
        raise SandboxError(
            409,
            "NOT_CANCELLABLE",
            f"payment request {ident} is {STATUS_WORDS[req.phase]}: only ACTIVE requests can be cancelled",
        )
    return 200, request_json(state, req)


@_endpoint
async def patch_request(request: Request, state: SandboxState) -> Response:
    ident = request.path_params["id"]
    _find_request(state, ident)
    return _answer(*await idempotent(request, state, NAME, lambda body: _cancel(state, ident, body)))


# -- payment links ---------------------------------------------------------------
def _create_link(state: SandboxState, body: dict[str, Any]) -> tuple[int, Any]:
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > 140:
        raise SandboxError(
            400,
            "INVALID_REQUEST",
            "description must be text of at most 140 characters",
            [{"field": "description", "message": "must be text of at most 140 characters"}],
        )
    ident = uuid.uuid4().hex
    location = _location(state, "links", ident)
    payload = pix_dynamic(
        location, merchant_name=state.settings.merchant_name, merchant_city=state.settings.merchant_city
    )
    link = state.add_link(
        SimLink(
            id=ident,
            provider=NAME,
            url="https://" + location,
            payload=payload,
            description=description,
            created_at=state.now(),
        )
    )
    return 201, link_json(link)


@_endpoint
async def create_link(request: Request, state: SandboxState) -> Response:
    return _answer(*await idempotent(request, state, NAME, lambda body: _create_link(state, body)))


def _find_link(state: SandboxState, ident: str) -> SimLink:
    link = state.link(NAME, ident)
    if link is None:
        raise SandboxError(404, "NOT_FOUND", f"payment link {ident} not found")
    return link


@_endpoint
async def get_link(request: Request, state: SandboxState) -> Response:
    return JSONResponse(link_json(_find_link(state, request.path_params["id"])))


def _request_of(state: SandboxState, body: dict[str, Any]) -> SimRequest:
    ident = body.get("paymentRequestId")
    if not isinstance(ident, str) or not ident:
        raise SandboxError(
            400,
            "INVALID_REQUEST",
            "paymentRequestId is required",
            [{"field": "paymentRequestId", "message": "is required"}],
        )
    return _find_request(state, ident)


def _link(state: SandboxState, link: SimLink, body: dict[str, Any]) -> tuple[int, Any]:
    req = _request_of(state, body)
    if link.linked_request == req.id and req.linked_to == link.id:
        return 200, link_json(link)
    if req.phase is not Phase.OPEN:
        raise SandboxError(
            409,
            "NOT_ACTIVE",
            f"payment request {req.id} is {STATUS_WORDS[req.phase]}: only ACTIVE requests can be linked",
        )
    if req.linked_to and req.linked_to != link.id:
        raise SandboxError(409, "ALREADY_LINKED", f"payment request {req.id} is linked to payment link {req.linked_to}")
    if link.linked_request and link.linked_request != req.id:
        current = state.request(NAME, link.linked_request)
        if current is not None and current.phase in BUSY_PHASES:
            raise SandboxError(
                409,
                "LINK_BUSY",
                f"payment link {link.id} already holds payment request {current.id}, "
                f"which is {STATUS_WORDS[current.phase]}; unlink it first",
            )
    state.attach(link, req)
    return 200, link_json(link)


def _unlink(state: SandboxState, link: SimLink, body: dict[str, Any]) -> tuple[int, Any]:
    req = _request_of(state, body)
    if link.linked_request is None:
        return 200, link_json(link)
    if link.linked_request != req.id:
        raise SandboxError(
            409, "LINKED_TO_OTHER", f"payment link {link.id} holds payment request {link.linked_request}, not {req.id}"
        )
    state.detach(link)
    return 200, link_json(link)


def _link_action(action: Callable[[SandboxState, SimLink, dict[str, Any]], tuple[int, Any]]) -> Handler:
    async def handler(request: Request, state: SandboxState) -> Response:
        link = _find_link(state, request.path_params["id"])
        return _answer(*await idempotent(request, state, NAME, lambda body: action(state, link, body)))

    handler.__name__ = action.__name__.strip("_")
    return handler


@_endpoint
async def not_found(request: Request, state: SandboxState) -> Response:
    raise SandboxError(404, "NOT_FOUND", f"no such J.P. Morgan resource: {request.method} {request.url.path}")


ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def provider() -> SandboxProvider:
    return SandboxProvider(
        name=NAME,
        prefix="/jpmorgan",
        routes=[
            Route(f"{API}/payment-requests", create_request, methods=["POST"]),
            Route(f"{API}/payment-requests/{{id}}", get_request, methods=["GET"]),
            Route(f"{API}/payment-requests/{{id}}", patch_request, methods=["PATCH"]),
            Route(f"{API}/payment-links", create_link, methods=["POST"]),
            Route(f"{API}/payment-links/{{id}}", get_link, methods=["GET"]),
            Route(f"{API}/payment-links/{{id}}/link", _endpoint(_link_action(_link)), methods=["POST"]),
            Route(f"{API}/payment-links/{{id}}/unlink", _endpoint(_link_action(_unlink)), methods=["POST"]),
            Route("/{path:path}", not_found, methods=ALL_METHODS),
        ],
        status_words=STATUS_WORDS,
        error_body=lambda status, code, message: error_body(status, code, message),
    )


__all__ = ["NAME", "API", "STATUS_WORDS", "provider", "error_body", "request_json", "link_json"]
