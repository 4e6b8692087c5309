"""J.P. Morgan's bodies in the sandbox: the create body checked (``validate_create``), the payment request
and payment link entities answered (``request_json``, ``link_json``) with the API's status words.

The rules are listed in ``jpmorgan.py``'s docstring; ``validate_create`` returns every problem as
``{"field", "message"}``, which ``jpmorgan.py`` answers as 400 INVALID_REQUEST.
"""

from __future__ import annotations

import re
from typing import Any

from .core import SandboxState
from .model import Phase, SandboxError, SimLink, SimRequest, iso, parse_amount

STATUS_WORDS = {
    Phase.OPEN: "ACTIVE",
    Phase.PROCESSING: "PROCESSING",
    Phase.SETTLED: "SETTLED",
    Phase.EXPIRED: "EXPIRED",
    Phase.CANCELLED: "CANCELLED",
    Phase.FAILED: "CANCELLED",  # J.P. Morgan has no failed status; never produced by this sandbox
}
_ID = re.compile(r"^[A-Za-z0-9]{26,35}$")
MAX_DURATION_S = 366 * 24 * 3600


def request_json(state: SandboxState, req: SimRequest) -> dict[str, Any]:
    return {
        "id": req.id,
        "revisionNumber": req.extra.get("revisionNumber", 0),
        "status": STATUS_WORDS[req.phase],
        "country": req.extra.get("country", "BR"),
        "request": req.extra.get("request", {}),
        "requestMethodType": "QR_CODE",
        "requestMethod": req.extra.get("requestMethod", {"qrCodeType": "DYNAMIC", "contentType": "TEXT"}),
        "createdAt": iso(req.created_at),
        "updatedAt": iso(req.updated_at),
        "expiresAt": iso(req.expires_at),
        "qrCode": {"payload": req.payload},
        "paidAmount": str(req.amount_paid),
        "paymentLinkId": req.linked_to,
    }


def validate_create(body: dict[str, Any]) -> tuple[list[dict[str, str]], dict[str, Any]]:
    errors: list[dict[str, str]] = []

    def bad(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    ident = body.get("id")
    if ident is not None and not (isinstance(ident, str) and _ID.match(ident)):
        bad("id", "must be 26 to 35 letters and digits")
    if body.get("country") != "BR":
        bad("country", 'must be "BR": payment links and this sandbox are Brazil-only')
    if body.get("requestMethodType") != "QR_CODE":
        bad("requestMethodType", 'must be "QR_CODE"')
    method = body.get("requestMethod", {"qrCodeType": "DYNAMIC", "contentType": "TEXT"})
    if (
        not isinstance(method, dict)
        or method.get("qrCodeType", "DYNAMIC") != "DYNAMIC"
        or method.get("contentType", "TEXT") != "TEXT"
    ):
        bad("requestMethod", 'must be {"qrCodeType": "DYNAMIC", "contentType": "TEXT"}')
    req = body.get("request")
    if not isinstance(req, dict):
        bad("request", "is required and must be an object")
        return errors, {}
    if req.get("expirationType") != "IMMEDIATE":
        bad("request.expirationType", 'must be "IMMEDIATE"')
    duration = req.get("duration")
    if isinstance(duration, bool) or not isinstance(duration, int) or not 1 <= duration <= MAX_DURATION_S:
        bad("request.duration", f"must be a whole number of seconds from 1 to {MAX_DURATION_S}")
    if req.get("currency") != "BRL":
        bad("request.currency", 'must be "BRL" (the Brazilian market)')
    try:
        parse_amount(req.get("paymentAmount"), "BRL", "request.paymentAmount")
    except SandboxError as exc:
        bad("request.paymentAmount", exc.message)
    reference = req.get("reference", "")
    if not isinstance(reference, str) or len(reference) > 140:
        bad("request.reference", "must be text of at most 140 characters")
    if req.get("isAmountAdjustable", False) is not False:
        bad("request.isAmountAdjustable", "only false is supported")
    creditor = req.get("creditor")
    if creditor is not None and not isinstance(creditor, dict):
        bad("request.creditor", "must be an object")
    elif creditor and not isinstance(creditor.get("name", ""), str):
        bad("request.creditor.name", "must be text")
    return errors, req


def link_json(link: SimLink) -> dict[str, Any]:
    return {
        "id": link.id,
        "url": link.url,
        "description": link.description,
        "status": "ACTIVE",
        "qrCode": {"payload": link.payload},
        "paymentRequestId": link.linked_request,
        "createdAt": iso(link.created_at),
    }
