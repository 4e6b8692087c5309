"""J.P. Morgan's bodies in the sandbox: the create and update bodies checked (``validate_create``,
``validate_update``), the payment request and payment link entities answered (``request_json``, ``link_json``)
with the API's status words, and its error body (``error_body``).

The rules are listed in ``jpmorgan.py``'s docstring; the checks return every problem as ``{"field", "message"}``,
which is answered as 400 INVALID_REQUEST. The due-date fields are worded by ``app.domain.dueterms`` (``to_jpm`` /
``from_jpm``) and checked with ``app.domain.duedate.problems``, the one place for those rules.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from app.domain.duedate import last_payable_day, problems
from app.domain.dueterms import JPM_DISCOUNT_FIELDS, JPM_TERM_FIELDS, DueTerms, DueTermsError, from_jpm
from app.domain.money import Money

from .core import SandboxState
from .model import BodyCheck, Phase, SandboxError, SimLink, SimRequest, iso, parse_amount

STATUS_WORDS = {
    Phase.OPEN: "ACTIVE",
    Phase.PROCESSING: "PROCESSING",
    Phase.SETTLED: "SETTLED",
    Phase.EXPIRED: "EXPIRED",
    Phase.CANCELLED: "CANCELLED",
    Phase.FAILED: "CANCELLED",  # J.P. Morgan has no failed status; never produced by this sandbox
    Phase.RETURNED: "RETURNED",
}
WORD_PHASES = {word: phase for phase, word in STATUS_WORDS.items() if phase is not Phase.FAILED}
_ID = re.compile(r"^[A-Za-z0-9]{26,35}$")
_AMOUNT = re.compile(r"^\d{1,13}(\.\d{1,2})?$")
MAX_DURATION_S = 366 * 24 * 3600
MAX_EXTERNAL_ID = 35
MAX_DISCOUNTS = 3
MAX_DAYS_AFTER = 3650
CURRENCY = "BRL"
Errors = list[dict[str, str]]


def error_body(status: int, code: str, message: str, errors: Errors | None = None) -> dict[str, Any]:
    return {"responseStatus": "ERROR", "responseCode": code, "responseMessage": message, "errors": errors or []}


def invalid(errors: Errors) -> SandboxError:
    return SandboxError(400, "INVALID_REQUEST", f"{errors[0]['field']} {errors[0]['message']}", errors)


# -- answers ---------------------------------------------------------------------
def request_json(state: SandboxState, req: SimRequest) -> dict[str, Any]:
    return {
        "id": req.id,
        "externalId": req.extra.get("externalId"),
        "revisionNumber": req.revision,
        "status": STATUS_WORDS[req.phase],
        "country": req.extra.get("country", "BR"),
        "request": dict(req.extra.get("request", {}), paymentAmount=str(req.amount)),
        "requestMethodType": "QR_CODE",
        "requestMethod": req.extra.get("requestMethod", {"qrCodeType": "DYNAMIC", "contentType": "TEXT"}),
        "createdAt": iso(req.created_at),
        "updatedAt": iso(req.updated_at),
        "expiresAt": iso(req.expires_at),
        "qrCode": {"payload": req.payload},
        "paidAmount": str(req.amount_paid),
        "paymentLinkId": req.linked_to,
    }


def link_json(link: SimLink) -> dict[str, Any]:
    return {
        "id": link.id,
        "externalId": link.extra.get("externalId"),
        "url": link.url,
        "description": link.description,
        "status": "ACTIVE",
        "qrCode": {"payload": link.payload},
        "paymentRequestId": link.linked_request,
        "createdAt": iso(link.created_at),
    }


def terms_of(echo: dict[str, Any]) -> DueTerms | None:
    """The due-date terms of a request's (valid) ``request`` object; None for an IMMEDIATE one."""
    return from_jpm(echo, CURRENCY) if echo.get("expirationType") == "DUE_DATE" else None


# -- checks ----------------------------------------------------------------------
class _Check(BodyCheck):
    def amount(self, field: str, value: Any) -> None:
        """A decimal string of at least 0 with at most 2 decimals (a due-date charge)."""
        if not isinstance(value, str) or not _AMOUNT.match(value):
            self.bad(field, 'must be a decimal string of at least 0 with at most 2 decimals, like "2.00"')


def check_external_id(value: Any, field: str = "externalId") -> Errors:
    if value is None or (isinstance(value, str) and 0 < len(value) <= MAX_EXTERNAL_ID and value.isprintable()):
        return []
    return [{"field": field, "message": f"must be text of 1 to {MAX_EXTERNAL_ID} printable characters"}]


def _check_due(c: _Check, req: dict[str, Any], amount: Money | None, today: date, where: str = "request") -> None:
    """The DUE_DATE fields of ``req`` (the terms' rules, and a last payable day not already past)."""
    due = c.day(f"{where}.dueDate", req.get("dueDate"))
    days = req.get("daysAfterDueDate")
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_DAYS_AFTER:
        c.bad(f"{where}.daysAfterDueDate", f"is required: a whole number of days from 0 to {MAX_DAYS_AFTER}")
    for field in ("fineAmount", "interestAmountPerDay", "rebateAmount"):
        if field in req:
            c.amount(f"{where}.{field}", req[field])
    discounts = req.get("discounts", [])
    if not isinstance(discounts, list) or len(discounts) > MAX_DISCOUNTS:
        c.bad(f"{where}.discounts", f"must be a list of at most {MAX_DISCOUNTS} discounts")
        discounts = []
    for n, d in enumerate(discounts):
        if not isinstance(d, dict) or set(d) != set(JPM_DISCOUNT_FIELDS):
            c.bad(f"{where}.discounts[{n}]", 'must be {"amount", "limitDate"}')
            continue
        c.amount(f"{where}.discounts[{n}].amount", d["amount"])
        c.day(f"{where}.discounts[{n}].limitDate", d["limitDate"])
    if c.errors or amount is None or due is None:
        return
    try:
        terms = from_jpm(req, CURRENCY)
    except DueTermsError as exc:
        c.bad(where, str(exc))
        return
    for problem in problems(amount, terms):
        c.bad(f"{where}.discounts" if "discount" in problem else f"{where}.rebateAmount", problem)
    if last_payable_day(terms) < today:
        c.bad(f"{where}.dueDate", f"the last payable day ({last_payable_day(terms)}) is already past ({today})")


def _payment_amount(c: _Check, value: Any, field: str = "request.paymentAmount") -> Money | None:
    try:
        return parse_amount(value, CURRENCY, field)
    except SandboxError as exc:
        c.bad(field, exc.message)
        return None


def validate_create(body: dict[str, Any], today: date) -> tuple[Errors, dict[str, Any]]:
    """Every problem of a create body, and its ``request`` object (``today``: the Brasília day)."""
    c = _Check()
    ident = body.get("id")
    if ident is not None and not (isinstance(ident, str) and _ID.match(ident)):
        c.bad("id", "must be 26 to 35 letters and digits")
    c.errors += check_external_id(body.get("externalId"))
    if body.get("country") != "BR":
        c.bad("country", 'must be "BR": payment links and this sandbox are Brazil-only')
    if body.get("requestMethodType") != "QR_CODE":
        c.bad("requestMethodType", 'must be "QR_CODE"')
    method = body.get("requestMethod", {"qrCodeType": "DYNAMIC", "contentType": "TEXT"})
    if (
        not isinstance(method, dict)
        or method.get("qrCodeType", "DYNAMIC") != "DYNAMIC"
        or method.get("contentType", "TEXT") != "TEXT"
    ):
        c.bad("requestMethod", 'must be {"qrCodeType": "DYNAMIC", "contentType": "TEXT"}')
    req = body.get("request")
    if not isinstance(req, dict):
        c.bad("request", "is required and must be an object")
        return c.errors, {}
    if req.get("currency") != CURRENCY:
        c.bad("request.currency", 'must be "BRL" (the Brazilian market)')
    amount = _payment_amount(c, req.get("paymentAmount"))
    kind = req.get("expirationType")
    if kind == "IMMEDIATE":
        duration = req.get("duration")
        if isinstance(duration, bool) or not isinstance(duration, int) or not 1 <= duration <= MAX_DURATION_S:
            c.bad("request.duration", f"must be a whole number of seconds from 1 to {MAX_DURATION_S}")
        for field in sorted(set(req) & set(JPM_TERM_FIELDS)):
            c.bad(f"request.{field}", 'is for "DUE_DATE" requests only')
    elif kind == "DUE_DATE":
        if "duration" in req:
            c.bad("request.duration", 'is for "IMMEDIATE" requests only')
        _check_due(c, req, amount, today)
    else:
        c.bad("request.expirationType", 'must be "IMMEDIATE" or "DUE_DATE"')
    reference = req.get("reference", "")
    if not isinstance(reference, str) or len(reference) > 140:
        c.bad("request.reference", "must be text of at most 140 characters")
    if req.get("isAmountAdjustable", False) is not False:
        c.bad("request.isAmountAdjustable", "only false is supported")
    creditor = req.get("creditor")
    if creditor is not None and not isinstance(creditor, dict):
        c.bad("request.creditor", "must be an object")
    elif creditor and not isinstance(creditor.get("name", ""), str):
        c.bad("request.creditor.name", "must be text")
    return c.errors, req


def validate_update(body: dict[str, Any], echo: dict[str, Any], today: date) -> tuple[Money, dict[str, Any]]:
    """An amount update ``{"request": {"paymentAmount", ...due-date fields}}`` of a request whose ``request``
    object is ``echo``: (the new amount, the due-date fields replacing the old ones, if any); SandboxError 400."""
    c = _Check()
    for field in sorted(set(body) - {"request"}):
        c.bad(field, 'is not a field of an update (send {"request": {"paymentAmount"}} or {"status": "CANCELLED"})')
    req = body.get("request")
    if not isinstance(req, dict):
        c.bad("request", "is required and must be an object")
        raise invalid(c.errors)
    allowed = {"paymentAmount", *(JPM_TERM_FIELDS if echo.get("expirationType") == "DUE_DATE" else ())}
    for field in sorted(set(req) - allowed):
        c.bad(f"request.{field}", "cannot be changed by an update of this request")
    amount = _payment_amount(c, req.get("paymentAmount"))
    due = {k: v for k, v in req.items() if k in JPM_TERM_FIELDS}
    if due and not c.errors:
        merged = {**echo, **due}  # what is not sent stays as it was
        _check_due(c, merged, amount, today)
        due = {k: merged[k] for k in JPM_TERM_FIELDS if k in merged}
    elif amount is not None and echo.get("expirationType") == "DUE_DATE" and not c.errors:
        _check_due(c, {**echo, "paymentAmount": str(amount)}, amount, today)  # the rebate still below the amount
    if c.errors or amount is None:
        raise invalid(c.errors)
    return amount, due
