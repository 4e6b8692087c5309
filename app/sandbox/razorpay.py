"""Razorpay UPI QR Codes, simulated (seed: ``razorpay-qr-codes.txt``).

Mounted at ``/razorpay``, so the official client given ``<sandbox>/razorpay`` as its
``base_url`` (instead of ``https://api.razorpay.com``) works unchanged, errors included.

==========  ====================================  =============================================
POST        /v1/payments/qr_codes                 create → 200 the QR Code entity
GET         /v1/payments/qr_codes                 list, newest first: ``count`` (≤ 100), ``skip``,
                                                  ``from``, ``to``, ``customer_id``, ``payment_id``
GET         /v1/payments/qr_codes/{id}            fetch → 200
POST        /v1/payments/qr_codes/{id}/close      close (``close_reason`` on_demand) → 200
GET         /v1/payments/qr_codes/{id}/payments   payments received (a collection) → 200
GET         /qr/{id}.png                          the ``image_url``: a PNG QR (no credentials)
==========  ====================================  =============================================

From the seed: the create body and its error texts, the entity, statuses active/closed,
``close_reason`` on_demand/paid/null, the ``close_by`` and ``notes`` limits, Basic auth. From
Razorpay's public conventions (the seed documents create only): the other paths (those the
official ``razorpay`` library calls), collections ``{"entity": "collection", "count", "items"}``,
the payment entity, errors ``{"error": {"code", "description", "source", "step", "reason",
"metadata", "field"?}}``. **Choices where the seed is silent or contradicts itself** (mirrored in
``app/providers/razorpay.py``):

- ``close_by``: the request parameter says "at least 2 minutes" ahead, the entity "15 minutes";
  the sandbox enforces 2 (the client keeps 16). Checks in order: an integer; the documented
  range ("close_by must be between 946684800 and 4765046400"); "close_by should be at least 2
  minutes after current time"; "close_by should not be more than 45 days after current time".
  Without it the QR closes after 45 days (``close_by`` answered null);
- texts: "The {field} is required.", "The selected {field} is invalid." (wrong types too), "The
  payment amount must be at least 1.", "{id} is not a valid id.", "{a, b} is/are not required
  and should not be sent" (extra fields, close_by on multiple_use, query parameters a GET does
  not take): 400 BAD_REQUEST_ERROR with ``field``. No key id → 401 "The API key provided is
  invalid.", no secret → "The API secret provided is invalid."; unknown ids → 400 "The id
  provided does not exist" (Razorpay's usual answer); closing a closed QR → 400 "The QR code is
  already closed."; unknown paths → 404;
- only ``single_use`` + ``fixed_amount: true`` is simulated (TillQR's use); ``multiple_use`` → 400;
- ``POST /_sandbox/pay`` with the ``upi://pay`` link in the image: each pay is one captured UPI
  payment of exactly ``payment_amount`` (``fixed_amount``: any other amount is refused, 409
  FIXED_AMOUNT, nothing taken); being ``single_use``, the QR then closes with ``close_reason``
  "paid" and takes no second payment (409 NOT_PAYABLE);
- at ``close_by`` the QR is ``closed``, ``closed_at`` = ``close_by``, ``close_reason`` null (the
  seed names only on_demand and paid): expiry shows as ``closed_at >= close_by``;
- ``settle_delay_s`` (> 0): every payment is first ``authorized`` (``captured: false``) and
  ``captured`` that much later, as Razorpay's payment entity goes (created → authorized →
  captured); ``payments_amount_received``/``_count_received`` count captured payments only
  (seed), so ``GET …/{id}/payments`` is where a payment on its way shows. The payment that
  completes the amount is captured when the request settles (the QR then closes, "paid"); a
  part payment is captured after the delay while the QR stays active. Closing while any payment
  is authorized is refused (400). Without a delay a payment is captured at once;
- the image holds ``upi://pay?pa=…&pn=…&am=…&cu=INR&tr=<qr id>&tn=…``; ``image_url`` is absolute,
  on the caller's host; empty ``notes`` answer ``[]`` (as Razorpay's PHP does).

The entities (QR Codes, payments) are ``razorpay_entities.py``'s; the request checks ``razorpay_body.py``'s.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.domain.money import Money, MoneyError
from app.qr.render import qr_png

from .core import SandboxProvider, SandboxState
from .model import Phase, SandboxError, SimRequest
from .razorpay_body import MAX_AHEAD_S, PAGE_PARAMS, bad, not_expected, page, query_params, validate_create
from .razorpay_entities import (
    NAME,
    PREFIX,
    STATUS_WORDS,
    authorized,
    image_path,
    new_id,
    payments_json,
    qr_json,
    sync,
    track,
    upi_link,
)
from .web import endpoint, json_object

API = "/v1/payments/qr_codes"
LIST_PARAMS = ("count", "skip", "from", "to", "customer_id", "payment_id")


def error_body(status: int, code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """Razorpay's error body; ``code`` (the sandbox's own) gives way to BAD_REQUEST_ERROR / SERVER_ERROR."""
    client = status < 500
    return {
        "error": {
            "code": "BAD_REQUEST_ERROR" if client else "SERVER_ERROR",
            "description": message,
            "source": "business" if client else "NA",
            "step": "payment_initiation" if client else "NA",
            "reason": "input_validation_failed" if status == 400 else "NA",
            "metadata": {},
            **({"field": field} if field else {}),
        }
    }


def _error(exc: SandboxError) -> Response:
    field = exc.errors[0].get("field") if exc.errors else None
    return JSONResponse(error_body(exc.status, exc.code, exc.message, field), status_code=exc.status)


def _auth(request: Request) -> None:
    """Basic key_id:key_secret; any non-empty pair is accepted (seed: "The API {key/secret} provided is invalid.")."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    try:
        key, _, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        key = secret = ""
    if scheme.lower() != "basic" or not key.strip():
        raise bad("The API key provided is invalid.", status=401)
    if not secret.strip():
        raise bad("The API secret provided is invalid.", status=401)


def _endpoint(
    fn: Callable[[Request, SandboxState], Awaitable[Response]], *, auth: bool = True
) -> Callable[[Request], Awaitable[Response]]:
    return endpoint(fn, _error, _auth if auth else None)


def _origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


async def create_qr(request: Request, state: SandboxState) -> Response:
    _, body = await json_object(request)
    validate_create(state, body)
    try:
        amount = Money(body["payment_amount"], "INR")
        if amount.amount > 10_000_000:
            raise MoneyError("too large")
    except MoneyError:
        raise bad("The amount exceeds the maximum amount allowed.", "payment_amount") from None
    now = state.now()
    qr_id, close_by = new_id("qr_"), body.get("close_by")
    expires = now + timedelta(seconds=MAX_AHEAD_S) if close_by is None else datetime.fromtimestamp(close_by, UTC)
    note = body.get("description") or body.get("name") or "QR payment"
    qr = {k: body.get(k) for k in ("name", "usage", "type", "description", "customer_id", "close_by")}
    qr.update(fixed_amount=True, notes=body.get("notes") or {})
    req = state.add_request(
        SimRequest(
            id=qr_id,
            provider=NAME,
            amount=amount,
            reference=body.get("description") or "",
            created_at=now,
            expires_at=expires,
            payload=upi_link(state, qr_id, amount, note),
            fixed_amount=True,  # the seed: a fixed_amount QR takes exactly its amount, in one payment
            extra={"qr": qr, "payments": []},
        )
    )
    return JSONResponse(qr_json(state, req, _origin(request)))


def _find(state: SandboxState, qr_id: str) -> SimRequest:
    req = state.request(NAME, qr_id)
    if req is None:
        raise bad("The id provided does not exist", "id")
    return req


async def list_qrs(request: Request, state: SandboxState) -> Response:
    params = query_params(request, LIST_PARAMS)
    reqs = [r for r in reversed(state.requests()) if r.provider == NAME]
    reqs.sort(key=lambda r: r.created_at, reverse=True)  # stable: newest first, later-made first on a tie
    items = [qr_json(state, r, _origin(request)) for r in reqs]
    if "customer_id" in params:
        items = [i for i in items if i["customer_id"] == params["customer_id"]]
    if "payment_id" in params:
        ids = {r.id for r in reqs if any(p["id"] == params["payment_id"] for p in r.extra.get("payments", []))}
        items = [i for i in items if i["id"] in ids]
    return JSONResponse(page(params, items))


async def fetch_qr(request: Request, state: SandboxState) -> Response:
    query_params(request, ())
    return JSONResponse(qr_json(state, _find(state, request.path_params["id"]), _origin(request)))


async def close_qr(request: Request, state: SandboxState) -> Response:
    req = _find(state, request.path_params["id"])
    if await request.body():
        _, body = await json_object(request)
        if body:
            raise not_expected(list(body))
    sync(state, req)
    if req.phase is Phase.PROCESSING or any(authorized(state, p) for p in req.extra.get("payments", [])):
        raise bad("A payment on this QR code is being processed; it cannot be closed now.")
    if req.phase is not Phase.OPEN:
        raise bad("The QR code is already closed.")
    state.set_phase(req, Phase.CANCELLED)
    return JSONResponse(qr_json(state, req, _origin(request)))


async def qr_payments(request: Request, state: SandboxState) -> Response:
    params = query_params(request, PAGE_PARAMS)
    req = _find(state, request.path_params["id"])
    return JSONResponse(page(params, list(reversed(payments_json(state, req)))))


async def qr_image(request: Request, state: SandboxState) -> Response:
    req = state.request(NAME, request.path_params["id"])
    if req is None:
        raise SandboxError(404, "NOT_FOUND", "The requested URL was not found on the server.")
    return Response(
        qr_png(req.payload, scale=8, border=4),
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=86400"},
    )


async def not_found(request: Request, state: SandboxState) -> Response:
    raise SandboxError(404, "NOT_FOUND", "The requested URL was not found on the server.")


def provider() -> SandboxProvider:
    return SandboxProvider(
        name=NAME,
        prefix=PREFIX,
        routes=[
            Route(API, _endpoint(create_qr), methods=["POST"]),
            Route(API, _endpoint(list_qrs), methods=["GET"]),
            Route(f"{API}/{{id}}", _endpoint(fetch_qr), methods=["GET"]),
            Route(f"{API}/{{id}}/close", _endpoint(close_qr), methods=["POST"]),
            Route(f"{API}/{{id}}/payments", _endpoint(qr_payments), methods=["GET"]),
            Route("/qr/{id}.png", _endpoint(qr_image, auth=False), methods=["GET"]),
            Route("/{path:path}", _endpoint(not_found, auth=False), methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ],
        status_words=STATUS_WORDS,
        error_body=lambda status, code, message: error_body(status, code, message),
        setup=track,
    )


__all__ = ["NAME", "API", "STATUS_WORDS", "provider", "error_body", "qr_json", "upi_link", "image_path"]
