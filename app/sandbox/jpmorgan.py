"""J.P. Morgan Request to Pay (QR) and Payment Links, simulated.

Mounted at ``/jpmorgan`` followed by the documented path, so a client given
``<sandbox>/jpmorgan`` as base URL (instead of ``https://api.payments.jpmorgan.com``)
works unchanged. Routes, under ``/jpmorgan/receivables/request-to-pay/v1``:

==========  ==================================  ===============================================
POST        /payment-requests                   create (Idempotency-Key honoured) → 201
POST        /payment-requests/bulk              ``{"paymentRequests": [1..25 create bodies]}``
                                                → 207 ``{"results": [...]}`` (Idempotency-Key)
GET         /payment-requests                   search: ``status``, ``externalId``,
                                                ``createdFrom``, ``createdTo``, ``limit``,
                                                ``cursor`` → 200 ``{"paymentRequests",
                                                "nextCursor"}``
GET         /payment-requests/{id}              current state → 200
PATCH       /payment-requests/{id}              ``{"status": "CANCELLED"}`` → 200, or an
                                                amount update ``{"request": {"paymentAmount",
                                                ...}}`` (If-Match, Idempotency-Key) → 200
POST        /payment-links                      create a static link (Idempotency-Key) → 201
GET         /payment-links                      search: ``externalId``, ``limit``, ``cursor``
                                                → 200 ``{"paymentLinks", "nextCursor"}``
GET         /payment-links/{id}                 → 200
POST        /payment-links/{id}/link            ``{"paymentRequestId"}`` → 200
POST        /payment-links/{id}/unlink          ``{"paymentRequestId"}`` → 200
==========  ==================================  ===============================================

From the public documentation: the base paths, the statuses ACTIVE, PROCESSING,
SETTLED, EXPIRED, CANCELLED and RETURNED ("settled or returned"); update or cancel of an
active request only ("not cancelled, settled, or expired"; the update is Brazil-only);
bulk creation of up to 25 requests, each with amount, due date, description and external
identifier; search of requests; expiry at the due date; the create body (``id`` optional and client-assigned,
``country``, ``request`` with ``expirationType``, ``duration``, ``paymentAmount``,
``currency``, ``reference``, ``isAmountAdjustable``, ``creditor``;
``requestMethodType`` QR_CODE and ``requestMethod``); payment links being
Brazil-only; unique ids. **Choices made here where the docs are silent** (mirrored in
``app/providers/jpmorgan.py``):

- auth: ``Authorization: Bearer <token>``, the token from the OAuth2 client-credentials
  endpoint ``POST /jpmorgan/oauth2/token`` (``jpmorgan_oauth.py``: short-lived tokens, a test
  hook to expire them); a token it issued must be live, any other non-empty token is taken as a
  pre-issued one; a missing/empty/expired one gets 401;
- error body: ``{"responseStatus": "ERROR", "responseCode": "<CODE>",
  "responseMessage": "<text>", "errors": [{"field", "message"}]}``; codes used:
  UNAUTHORIZED 401, INVALID_REQUEST/INVALID_JSON 400, NOT_FOUND 404, DUPLICATE_ID 409,
  LINK_BUSY / ALREADY_LINKED / NOT_ACTIVE / LINKED_TO_OTHER / NOT_CANCELLABLE /
  AMOUNT_NOT_ABOVE_PAID 409, REVISION_MISMATCH 412, IDEMPOTENCY_KEY_REUSED 422,
  SERVICE_UNAVAILABLE 503 (faults);
- this sandbox is the Brazilian market: ``country`` "BR", ``currency`` "BRL" only,
  ``paymentAmount`` a decimal *string* > 0 with at most 2 decimals,
  ``isAmountAdjustable`` false, ``requestMethod`` DYNAMIC + TEXT;
- ``expirationType`` "IMMEDIATE" with ``duration`` in whole seconds ≥ 1, or "DUE_DATE"
  with ``dueDate`` "YYYY-MM-DD", ``daysAfterDueDate`` (0–3650) and the optional charges
  ``fineAmount`` (once, after the due date), ``interestAmountPerDay``, ``rebateAmount``
  (decimal strings ≥ 0) and ``discounts`` (at most 3 ``{"amount", "limitDate"}``), worded
  by ``app.domain.dueterms.to_jpm`` and checked by ``app.domain.duedate.problems``; the
  last payable day must not be past. What a DUE_DATE request owes on a day is
  ``app.domain.duedate.amount_due`` on the Brasília day of the sandbox clock (as the Pix
  sandbox does); it expires at the end of ``dueDate + daysAfterDueDate`` (Brasília);
- optional ``externalId`` (1–35 printable characters, not unique: e.g. the bill id) on
  requests and payment links, answered on both (null when none);
- every request answer carries ``revisionNumber``: 0 at creation, +1 on every change of
  amount, due date or status, by anyone (a payer, the clock, a test hook);
- amount update: ``PATCH /payment-requests/{id}`` ``{"request": {"paymentAmount"}}``, on a
  DUE_DATE request also any of its due-date fields (what is not sent stays);
  ``If-Match: "<revisionNumber>"`` optional. Checked in this order: 404; 409 NOT_ACTIVE
  when the request is not ACTIVE (its status says more than its revision); 412
  REVISION_MISMATCH when If-Match names another revision; 400 for the body; 409
  AMOUNT_NOT_ABOVE_PAID when part paid already covers the new amount. An update that
  changes nothing keeps the revision. A replay of its Idempotency-Key answers the first
  answer, even after the revision moved on. The request's BR Code is redrawn with the new
  amount (same location, so a printed link still reaches it);
- bulk: every item needs its client-assigned ``id``; per item 201 made, 200 when that id
  exists with the same body (a resumed import regrouped into other batches is safe), 409
  DUPLICATE_ID with another body, 400 an invalid body: ``{"index", "httpStatus",
  "paymentRequest"}`` or ``{"index", "httpStatus", "error": <error body>}``; none or more
  than 25 items is 400 for the whole call;
- search: filters combine (AND); ``status`` is an API word; ``createdFrom`` is inclusive,
  ``createdTo`` exclusive (ISO 8601 with a zone); ``limit`` 1–100 (default 100); pages in
  creation order, ``nextCursor`` an opaque text or null on the last page; an unknown
  parameter is 400;
- RETURNED: a settled payment sent back to the payer (only from SETTLED; in this sandbox
  only through ``POST /_sandbox/return``);
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

The bodies (checked and answered) are ``jpmorgan_body.py``'s, the requests' life ``jpmorgan_requests.py``'s,
bulk and search ``jpmorgan_bulk.py``'s.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.qr.schemes import pix_dynamic

from . import jpmorgan_requests as requests
from .core import SandboxProvider, SandboxState
from .jpmorgan_body import STATUS_WORDS, check_external_id, error_body, invalid, link_json, request_json
from .jpmorgan_bulk import bulk, search_links, search_requests
from .jpmorgan_oauth import ROUTES as OAUTH_ROUTES
from .jpmorgan_oauth import check_token
from .jpmorgan_requests import NAME, revive
from .model import BUSY_PHASES, Phase, SandboxError, SimLink, SimRequest
from .web import Handler, endpoint, idempotent

API = "/receivables/request-to-pay/v1"


def _error(exc: SandboxError) -> JSONResponse:
    return JSONResponse(error_body(exc.status, exc.code, exc.message, exc.errors), status_code=exc.status)


def _endpoint(fn: Handler) -> Callable[[Request], Awaitable[Response]]:
    return endpoint(fn, _error, check_token)


def _answer(status: int, body: Any, replayed: bool) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"Duplicate-Request": "true"} if replayed else None)


# -- payment requests ------------------------------------------------------------
@_endpoint
async def create_request(request: Request, state: SandboxState) -> Response:
    return _answer(*await idempotent(request, state, NAME, lambda body: requests.create(state, body)))


@_endpoint
async def create_bulk(request: Request, state: SandboxState) -> Response:
    return _answer(*await idempotent(request, state, NAME, lambda body: bulk(state, body)))


@_endpoint
async def find_requests(request: Request, state: SandboxState) -> Response:
    return JSONResponse(search_requests(state, request.query_params))


@_endpoint
async def get_request(request: Request, state: SandboxState) -> Response:
    return JSONResponse(request_json(state, requests.find(state, request.path_params["id"])))


def _change(state: SandboxState, ident: str, expected: int | None, body: dict[str, Any]) -> tuple[int, Any]:
    if "status" in body:
        if set(body) != {"status"} or body["status"] != "CANCELLED":
            raise invalid([{"field": "status", "message": 'must be "CANCELLED", alone'}])
        return requests.cancel(state, ident, body)
    return requests.update(state, ident, body, expected)


@_endpoint
async def patch_request(request: Request, state: SandboxState) -> Response:
    ident = request.path_params["id"]
    requests.find(state, ident)
    expected = requests.revision_of(request.headers.get("if-match"))
    return _answer(*await idempotent(request, state, NAME, lambda body: _change(state, ident, expected, body)))


# -- payment links ---------------------------------------------------------------
def _create_link(state: SandboxState, body: dict[str, Any]) -> tuple[int, Any]:
    description = body.get("description", "")
    errors = check_external_id(body.get("externalId"))
    if not isinstance(description, str) or len(description) > 140:
        errors.append({"field": "description", "message": "must be text of at most 140 characters"})
    for field in sorted(set(body) - {"description", "externalId"}):
        errors.append({"field": field, "message": "is not a field of a payment link"})
    if errors:
        raise invalid(errors)
    ident = uuid.uuid4().hex
    location = requests.location(state, "links", ident)
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
            extra={"externalId": body.get("externalId")},
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
async def find_links(request: Request, state: SandboxState) -> Response:
    return JSONResponse(search_links(state, request.query_params))


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
    return requests.find(state, ident)


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
            Route(f"{API}/payment-requests", find_requests, methods=["GET"]),
            Route(f"{API}/payment-requests/bulk", create_bulk, methods=["POST"]),
            Route(f"{API}/payment-requests/{{id}}", get_request, methods=["GET"]),
            Route(f"{API}/payment-requests/{{id}}", patch_request, methods=["PATCH"]),
            Route(f"{API}/payment-links", create_link, methods=["POST"]),
            Route(f"{API}/payment-links", find_links, methods=["GET"]),
            Route(f"{API}/payment-links/{{id}}", get_link, methods=["GET"]),
            Route(f"{API}/payment-links/{{id}}/link", _endpoint(_link_action(_link)), methods=["POST"]),
            Route(f"{API}/payment-links/{{id}}/unlink", _endpoint(_link_action(_unlink)), methods=["POST"]),
            *OAUTH_ROUTES,
            Route("/{path:path}", not_found, methods=ALL_METHODS),
        ],
        status_words=STATUS_WORDS,
        error_body=lambda status, code, message: error_body(status, code, message),
        setup=_setup,
        revive=revive,
    )


def _setup(state: SandboxState) -> None:
    state.listeners.append(partial(requests.keep_qr, state))


__all__ = ["NAME", "API", "STATUS_WORDS", "provider", "error_body", "request_json", "link_json", "revive"]
