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
  payment; ``payments_amount_received``/``_count_received`` add up; fully paid → closed, "paid".
  The seed says a fixed_amount QR refuses other amounts; the sandbox still lets a pay be part
  (or more) of it, to exercise partial and over-payments;
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
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import string
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.domain.money import Money, MoneyError
from app.qr.render import qr_png

from .core import Phase, SandboxError, SandboxProvider, SandboxState, SimRequest
from .web import json_object

NAME = "razorpay"
PREFIX = "/razorpay"
API = "/v1/payments/qr_codes"
STATUS_WORDS = {
    Phase.OPEN: "active",
    Phase.PROCESSING: "active",
    Phase.SETTLED: "closed",
    Phase.EXPIRED: "closed",
    Phase.CANCELLED: "closed",
    Phase.FAILED: "closed",
}
CREATE_FIELDS = (
    "type",
    "name",
    "usage",
    "fixed_amount",
    "payment_amount",
    "description",
    "customer_id",
    "close_by",
    "notes",
)
LIST_PARAMS = ("count", "skip", "from", "to", "customer_id", "payment_id")
PAGE_PARAMS = ("count", "skip", "from", "to")
CLOSE_BY_RANGE = (946684800, 4765046400)
MIN_AHEAD_S, MAX_AHEAD_S = 120, 45 * 24 * 3600
MAX_NOTES, MAX_NOTE_CHARS = 15, 256
PAYEE_ADDRESS = "tillqr.sandbox@razorpay"
_CUSTOMER = re.compile(r"^cust_[A-Za-z0-9]{14}$")
_ALNUM = string.ascii_letters + string.digits


def _rid(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(14))


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


def _bad(message: str, field: str | None = None, status: int = 400) -> SandboxError:
    return SandboxError(status, "BAD_REQUEST_ERROR", message, [{"field": field}] if field else None)


def _auth(request: Request) -> None:
    """Basic key_id:key_secret; any non-empty pair is accepted (seed: "The API {key/secret} provided is invalid.")."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    try:
        key, _, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        key = secret = ""
    if scheme.lower() != "basic" or not key.strip():
        raise _bad("The API key provided is invalid.", status=401)
    if not secret.strip():
        raise _bad("The API secret provided is invalid.", status=401)


Handler = Callable[[Request, SandboxState], Awaitable[Response]]


def _endpoint(fn: Handler, *, auth: bool = True) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            if auth:
                _auth(request)
            return await fn(request, request.app.state.sandbox)
        except SandboxError as exc:
            field = exc.errors[0].get("field") if exc.errors else None
            return JSONResponse(error_body(exc.status, exc.code, exc.message, field), status_code=exc.status)

    endpoint.__name__ = fn.__name__
    return endpoint


def _extra(names: list[str]) -> SandboxError:
    return _bad(f"{', '.join(names)} is/are not required and should not be sent")


def _unix(when: datetime) -> int:
    return int(when.timestamp())


# -- payments ---------------------------------------------------------------------
def _track(state: SandboxState) -> None:
    """(The provider's setup hook.) Record each payment as it happens; reads also catch up (``_sync``)."""
    state.listeners.append(lambda req: _sync(state, req) if req.provider == NAME else None)


def _sync(state: SandboxState, req: SimRequest) -> None:
    """One payment entity for whatever was paid since the last one (core's ``pay`` keeps a total only),
    with the time it is captured at (``_captured_at``, kept out of the answers; None: at once)."""
    payments: list[dict[str, Any]] = req.extra.setdefault("payments", [])
    new = req.amount_paid.minor - sum(p["amount"] for p in payments)
    if new <= 0:
        return
    delay = state.settings.settle_delay_s
    if req.phase is Phase.PROCESSING and req.settle_at is not None:
        captured_at = req.settle_at  # the payment that completes it: captured as it settles
    elif delay > 0 and req.phase is Phase.OPEN:
        captured_at = (req.updated_at or state.now()) + timedelta(seconds=delay)  # a part payment
    else:
        captured_at = None
    payments.append(
        {
            "id": _rid("pay_"),
            "entity": "payment",
            "amount": new,
            "currency": "INR",
            "status": "captured",
            "order_id": None,
            "invoice_id": None,
            "international": False,
            "method": "upi",
            "amount_refunded": 0,
            "refund_status": None,
            "captured": True,
            "description": "QRv2 Payment",
            "card_id": None,
            "bank": None,
            "wallet": None,
            "vpa": "customer@okhdfcbank",
            "email": "customer@example.com",
            "contact": "+919000090000",
            "customer_id": req.extra["qr"].get("customer_id"),
            "notes": [],
            "fee": 0,
            "tax": 0,
            **dict.fromkeys(("error_code", "error_description", "error_source", "error_step", "error_reason")),
            "acquirer_data": {"rrn": "".join(secrets.choice(string.digits) for _ in range(12))},
            "created_at": _unix(req.updated_at or state.now()),
            "_captured_at": captured_at,
        }
    )


def _authorized(state: SandboxState, payment: dict[str, Any]) -> bool:
    captured_at = payment.get("_captured_at")
    return captured_at is not None and state.now() < captured_at


def payments_json(state: SandboxState, req: SimRequest) -> list[dict[str, Any]]:
    """The payment entities of ``req`` as they stand now: authorized until captured."""
    _sync(state, req)
    payments = []
    for stored in req.extra.get("payments", []):
        payment = {k: v for k, v in stored.items() if not k.startswith("_")}
        if _authorized(state, stored):
            payment.update(status="authorized", captured=False)
        payments.append(payment)
    return payments


# -- the QR Code entity -------------------------------------------------------------
def upi_link(state: SandboxState, qr_id: str, amount: Money, note: str) -> str:
    query = {
        "pa": PAYEE_ADDRESS,
        "pn": state.settings.merchant_name,
        "am": str(amount),
        "cu": "INR",
        "tr": qr_id,
        "tn": note,
    }
    return "upi://pay?" + urlencode(query, safe="@", quote_via=quote)


def image_path(qr_id: str) -> str:
    return f"{PREFIX}/qr/{qr_id}.png"


def qr_json(state: SandboxState, req: SimRequest, origin: str) -> dict[str, Any]:
    qr = req.extra["qr"]
    captured = [p for p in payments_json(state, req) if p["captured"]]
    closed_at = reason = None
    if req.phase is Phase.SETTLED:
        closed_at, reason = _unix(req.updated_at or req.created_at), "paid"
    elif req.phase is Phase.CANCELLED:
        closed_at, reason = _unix(req.updated_at or req.created_at), "on_demand"
    elif req.phase is Phase.EXPIRED:
        closed_at = _unix(req.expires_at or req.created_at)
    return {
        "id": req.id,
        "entity": "qr_code",
        "created_at": _unix(req.created_at),
        "name": qr.get("name"),
        "usage": qr["usage"],
        "type": qr["type"],
        "image_url": origin + image_path(req.id),
        "payment_amount": req.amount.minor,
        "status": STATUS_WORDS[req.phase],
        "description": qr.get("description"),
        "fixed_amount": qr["fixed_amount"],
        "payments_amount_received": sum(p["amount"] for p in captured),
        "payments_count_received": len(captured),
        "notes": qr.get("notes") or [],
        "customer_id": qr.get("customer_id"),
        "close_by": qr.get("close_by"),
        "closed_at": closed_at,
        "close_reason": reason,
    }


def _origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _validate(state: SandboxState, body: dict[str, Any]) -> None:
    extra = [name for name in body if name not in CREATE_FIELDS]
    if extra:
        raise _extra(extra)
    for name, allowed in (("type", ("upi_qr",)), ("usage", ("single_use", "multiple_use"))):
        if body.get(name) is None:
            raise _bad(f"The {name} is required.", name)
        if body[name] not in allowed:
            raise _bad(f"The selected {name} is invalid.", name)
    if body["usage"] == "multiple_use":
        if "close_by" in body:
            raise _extra(["close_by"])
        raise _bad("This sandbox simulates single_use QR codes only.", "usage")
    if body.get("fixed_amount", False) is not True:
        raise _bad("The selected fixed_amount is invalid.", "fixed_amount")
    amount = body.get("payment_amount")
    if amount is None:
        raise _bad("The payment_amount is required.", "payment_amount")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise _bad("The selected payment_amount is invalid.", "payment_amount")
    if amount < 1:
        raise _bad("The payment amount must be at least 1.", "payment_amount")
    for name in ("name", "description"):
        if name in body and not isinstance(body[name], str):
            raise _bad(f"The selected {name} is invalid.", name)
    customer = body.get("customer_id")
    if customer is not None and not (isinstance(customer, str) and _CUSTOMER.match(customer)):
        raise _bad(f"{customer} is not a valid id.", "customer_id")
    close_by = body.get("close_by")
    if close_by is not None:
        if isinstance(close_by, bool) or not isinstance(close_by, int):
            raise _bad("The selected close_by is invalid.", "close_by")
        if not CLOSE_BY_RANGE[0] <= close_by <= CLOSE_BY_RANGE[1]:
            raise _bad(f"close_by must be between {CLOSE_BY_RANGE[0]} and {CLOSE_BY_RANGE[1]}", "close_by")
        ahead = close_by - state.now().timestamp()
        if ahead < MIN_AHEAD_S:
            raise _bad("close_by should be at least 2 minutes after current time", "close_by")
        if ahead > MAX_AHEAD_S:
            raise _bad("close_by should not be more than 45 days after current time", "close_by")
    notes = body.get("notes")
    if notes is None or notes == []:
        return
    if not isinstance(notes, dict):
        raise _bad("The selected notes is invalid.", "notes")
    if len(notes) > MAX_NOTES:
        raise _bad(f"notes should not have more than {MAX_NOTES} key-value pairs", "notes")
    for key, value in notes.items():
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise _bad(f"The selected notes.{key} is invalid.", "notes")
        if len(key) > MAX_NOTE_CHARS or len(str(value)) > MAX_NOTE_CHARS:
            raise _bad(f"notes.{key[:40]} should not be longer than {MAX_NOTE_CHARS} characters", "notes")


async def create_qr(request: Request, state: SandboxState) -> Response:
    _, body = await json_object(request)
    _validate(state, body)
    try:
        amount = Money(body["payment_amount"], "INR")
        if amount.amount > 10_000_000:
            raise MoneyError("too large")
    except MoneyError:
        raise _bad("The amount exceeds the maximum amount allowed.", "payment_amount") from None
    now = state.now()
    qr_id, close_by = _rid("qr_"), body.get("close_by")
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
            extra={"qr": qr, "payments": []},
        )
    )
    return JSONResponse(qr_json(state, req, _origin(request)))


def _find(state: SandboxState, qr_id: str) -> SimRequest:
    req = state.request(NAME, qr_id)
    if req is None:
        raise _bad("The id provided does not exist", "id")
    return req


def _params(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    extra = [name for name in request.query_params if name not in allowed]
    if extra:
        raise _extra(extra)
    return dict(request.query_params)


def _page(params: dict[str, str], items: list[dict[str, Any]]) -> dict[str, Any]:
    """count (1..100, default 10), skip, from/to (created_at, inclusive) over newest-first ``items``."""
    numbers = {"count": 10, "skip": 0}
    for name in PAGE_PARAMS:
        if name in params:
            if not re.fullmatch(r"\d{1,12}", params[name]):
                raise _bad(f"The selected {name} is invalid.", name)
            numbers[name] = int(params[name])
    if not 1 <= numbers["count"] <= 100:
        raise _bad("The count must be between 1 and 100.", "count")
    if "from" in numbers:
        items = [i for i in items if i["created_at"] >= numbers["from"]]
    if "to" in numbers:
        items = [i for i in items if i["created_at"] <= numbers["to"]]
    page = items[numbers["skip"] : numbers["skip"] + numbers["count"]]
    return {"entity": "collection", "count": len(page), "items": page}


async def list_qrs(request: Request, state: SandboxState) -> Response:
    params = _params(request, LIST_PARAMS)
    reqs = [r for r in reversed(state.requests()) if r.provider == NAME]
    reqs.sort(key=lambda r: r.created_at, reverse=True)  # stable: newest first, later-made first on a tie
    items = [qr_json(state, r, _origin(request)) for r in reqs]
    if "customer_id" in params:
        items = [i for i in items if i["customer_id"] == params["customer_id"]]
    if "payment_id" in params:
        ids = {r.id for r in reqs if any(p["id"] == params["payment_id"] for p in r.extra.get("payments", []))}
        items = [i for i in items if i["id"] in ids]
    return JSONResponse(_page(params, items))


async def fetch_qr(request: Request, state: SandboxState) -> Response:
    _params(request, ())
    return JSONResponse(qr_json(state, _find(state, request.path_params["id"]), _origin(request)))


async def close_qr(request: Request, state: SandboxState) -> Response:
    req = _find(state, request.path_params["id"])
    if await request.body():
        _, body = await json_object(request)
        if body:
            raise _extra(list(body))
    _sync(state, req)
    if req.phase is Phase.PROCESSING or any(_authorized(state, p) for p in req.extra.get("payments", [])):
        raise _bad("A payment on this QR code is being processed; it cannot be closed now.")
    if req.phase is not Phase.OPEN:
        raise _bad("The QR code is already closed.")
    state.set_phase(req, Phase.CANCELLED)
    return JSONResponse(qr_json(state, req, _origin(request)))


async def qr_payments(request: Request, state: SandboxState) -> Response:
    params = _params(request, PAGE_PARAMS)
    req = _find(state, request.path_params["id"])
    return JSONResponse(_page(params, list(reversed(payments_json(state, req)))))


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
        setup=_track,
    )


__all__ = ["NAME", "API", "STATUS_WORDS", "provider", "error_body", "qr_json", "upi_link", "image_path"]
