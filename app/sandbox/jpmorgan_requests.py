"""J.P. Morgan's payment requests in the sandbox: created (one, or one item of a bulk call), cancelled,
updated (amount and due date, with its revision checked), and their QR kept in step with their amount.

Each function takes the sandbox's state and a checked-or-to-check body and answers ``(http status, JSON)``
or raises ``SandboxError``; ``jpmorgan.py`` puts them behind its routes (the rules are in its docstring).
Nothing here awaits, so every check-then-change is atomic on the event loop.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from app.domain.duedate import amount_due, local_date, payable_until
from app.qr.schemes import pix_dynamic

from .core import SandboxState
from .jpmorgan_body import STATUS_WORDS, invalid, request_json, terms_of, validate_create, validate_update
from .model import Phase, SandboxError, SimRequest, fingerprint, parse_amount

NAME = "jpmorgan"
IF_MATCH_HELP = 'If-Match must be the revisionNumber in quotes, like "3"'


def location(state: SandboxState, kind: str, ident: str) -> str:
    return f"{state.settings.location_host}/jpm/{kind}/{ident}"


def find(state: SandboxState, ident: Any) -> SimRequest:
    req = state.request(NAME, ident) if isinstance(ident, str) else None
    if req is None:
        raise SandboxError(404, "NOT_FOUND", f"payment request {ident} not found")
    return req


def revive(req: SimRequest) -> None:
    """What ``req`` owes on a day, from its stored ``request`` object: a DUE_DATE request owes what
    ``app.domain.duedate.amount_due`` says for the Brasília day (its amount as it is then); an IMMEDIATE one
    its amount. Also the hook that rebuilds ``owed`` for a request read back from a saved sandbox."""
    terms = terms_of(req.extra.get("request", {}))
    req.owed = None if terms is None else (lambda when: amount_due(req.amount, terms, local_date(when)).total)


def _draw(state: SandboxState, req: SimRequest) -> str:
    """The request's own BR Code: the amount in tag 54 for an IMMEDIATE one, none for a DUE_DATE one (what is
    owed depends on the day, as for a Pix ``cobv``)."""
    creditor = req.extra.get("request", {}).get("creditor") or {}
    raw = creditor.get("address")
    address = raw if isinstance(raw, dict) else {}
    city = address.get("city") if isinstance(address.get("city"), str) and address.get("city") else None
    due = terms_of(req.extra.get("request", {})) is not None
    try:
        return pix_dynamic(
            location(state, "requests", req.id),
            merchant_name=creditor.get("name") or state.settings.merchant_name,
            merchant_city=city or state.settings.merchant_city,
            amount=None if due else req.amount,
        )
    except ValueError as exc:
        raise SandboxError(400, "INVALID_REQUEST", f"cannot build the QR code: {exc}") from None


def keep_qr(state: SandboxState, req: SimRequest) -> None:
    """A listener: a J.P. Morgan request whose amount changed (an update, ``/_sandbox/change``) gets a QR with
    the new amount; the location stays, so what was scanned before still reaches it."""
    if req.provider == NAME and req.extra.get("qrAmount") != str(req.amount):
        req.extra["qrAmount"] = str(req.amount)
        state.repoint(req, _draw(state, req))


def _body_mark(body: dict[str, Any]) -> str:
    return fingerprint(json.dumps(body).encode())


def _new(state: SandboxState, body: dict[str, Any], ident: str) -> SimRequest:
    """A new request of a checked create body."""
    req = body["request"]
    amount = parse_amount(req["paymentAmount"], "BRL")
    now = state.now()
    echo = dict(req, paymentAmount=str(amount))
    terms = terms_of(echo)
    sim = SimRequest(
        id=ident,
        provider=NAME,
        amount=amount,
        reference=req.get("reference", ""),
        created_at=now,
        expires_at=payable_until(terms) if terms else now + timedelta(seconds=req["duration"]),
        payload="",
        extra={
            "request": echo,
            "country": "BR",
            "externalId": body.get("externalId"),
            "requestMethod": body.get("requestMethod") or {"qrCodeType": "DYNAMIC", "contentType": "TEXT"},
            "qrAmount": str(amount),
            "fingerprint": _body_mark(body),
        },
    )
    sim.payload = _draw(state, sim)
    revive(sim)
    return state.add_request(sim)


def _checked(state: SandboxState, body: dict[str, Any]) -> None:
    errors, _ = validate_create(body, local_date(state.now()))
    if errors:
        raise invalid(errors)


def create(state: SandboxState, body: dict[str, Any]) -> tuple[int, Any]:
    """``POST /payment-requests``: 201, or 409 DUPLICATE_ID for a taken id (a replay is the caller's)."""
    _checked(state, body)
    ident = body.get("id") or uuid.uuid4().hex
    if state.request(NAME, ident) is not None:
        raise SandboxError(409, "DUPLICATE_ID", f"a payment request with id {ident} already exists")
    return 201, request_json(state, _new(state, body, ident))


def create_item(state: SandboxState, body: Any) -> tuple[int, Any]:
    """One item of a bulk call: 201 made, 200 already there with the same body, 409 DUPLICATE_ID with another."""
    if not isinstance(body, dict):
        raise invalid([{"field": "paymentRequest", "message": "must be an object"}])
    ident = body.get("id")
    if not isinstance(ident, str) or not ident:
        raise invalid([{"field": "id", "message": "is required in a bulk item (a resumed import must be safe)"}])
    _checked(state, body)
    existing = state.request(NAME, ident)
    if existing is None:
        return 201, request_json(state, _new(state, body, ident))
    if existing.extra.get("fingerprint") == _body_mark(body):
        return 200, request_json(state, existing)
    raise SandboxError(409, "DUPLICATE_ID", f"a payment request with id {ident} already exists with another body")


def cancel(state: SandboxState, ident: str, body: dict[str, Any]) -> tuple[int, Any]:
    req = find(state, ident)
    if req.phase is Phase.OPEN:
        state.set_phase(req, Phase.CANCELLED)
    elif req.phase is not Phase.CANCELLED:
        raise SandboxError(
            409,
            "NOT_CANCELLABLE",
            f"payment request {ident} is {STATUS_WORDS[req.phase]}: only ACTIVE requests can be cancelled",
        )
    return 200, request_json(state, req)


def revision_of(header: str | None) -> int | None:
    """The revision an ``If-Match`` header names (``"3"``, or a bare 3); None without one; 400 otherwise."""
    if header is None or not header.strip():
        return None
    text = header.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    if not text.isdigit() or len(text) > 18:
        raise SandboxError(400, "INVALID_REQUEST", IF_MATCH_HELP, [{"field": "If-Match", "message": IF_MATCH_HELP}])
    return int(text)


def update(state: SandboxState, ident: str, body: dict[str, Any], expected: int | None) -> tuple[int, Any]:
    """An amount (and due-date) update of an ACTIVE request whose revision is ``expected`` (None: any)."""
    req = find(state, ident)
    if req.phase is not Phase.OPEN:
        raise SandboxError(
            409,
            "NOT_ACTIVE",
            f"payment request {ident} is {STATUS_WORDS[req.phase]}: only ACTIVE requests can be updated",
        )
    if expected is not None and expected != req.revision:
        raise SandboxError(
            412,
            "REVISION_MISMATCH",
            f"payment request {ident} is at revision {req.revision}, not {expected}: it changed since it was read",
        )
    echo = req.extra["request"]
    amount, due = validate_update(body, echo, local_date(state.now()))
    if amount.minor <= req.amount_paid.minor:
        raise SandboxError(
            409, "AMOUNT_NOT_ABOVE_PAID", f"payment request {ident} has {req.amount_paid} paid already: ask for more"
        )
    moved = amount != req.amount or any(echo.get(k) != v for k, v in due.items())
    if moved:
        req.extra["request"] = {**echo, **due, "paymentAmount": str(amount)}
        req.amount = amount
        terms = terms_of(req.extra["request"])
        if terms is not None:
            req.expires_at = payable_until(terms)
        revive(req)
        state.touch(req)
    return 200, request_json(state, req)
