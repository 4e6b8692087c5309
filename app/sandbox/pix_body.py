"""The Pix sandbox's request bodies, validated: create (``check_create``) and write-off (``check_write_off``).

The rules are listed in ``app/sandbox/pix.py``'s docstring; a body that breaks them is
``SandboxError`` 400 with one ``{"field", "message"}`` per problem, which ``pix.py``
renders as the documented Pix error body (details in ``extra_fields``). The due-date
terms are checked with ``app.domain.duedate.problems``, the one place for those rules.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from app.domain.duedate import problems
from app.domain.dueterms import PIX_TERM_FIELDS, Discount, DueTerms
from app.domain.money import Money, MoneyError, max_amount

from .model import BodyCheck, SandboxError

# -- the create body -----------------------------------------------------------------
_TXID = re.compile(r"^[A-Za-z0-9]{26,35}$")
_DOC = re.compile(r"^(\d{11}|\d{14})$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_PIX_KEY = re.compile(r"^(\d{11}|\d{14}|\+55\d{10,11}|[^@\s]{1,64}@[^@\s]+\.[^@\s]+)$")
TERM_FIELDS = PIX_TERM_FIELDS  # the due-date fields, as app.domain.dueterms reads and writes them
FIELDS = {
    "request_control_key",
    "qr_code_type",
    "amount",
    "receiver_conciliation_id",
    "payer_document_number",
    "payer_name",
    "payer_request",
    "pix_key",
    "expiration_seconds",
    "additional_data",
    *TERM_FIELDS,
}
MAX_EXPIRATION_S = 366 * 86400


@dataclass(frozen=True)
class Order:
    """A valid create body, parsed (amounts as Money)."""

    request_control_key: str
    amount: Money
    conciliation_id: str
    pix_key: str
    payer_name: str | None
    document: str | None
    payer_request: str | None
    terms: DueTerms | None  # dynamic_term only
    numbers: tuple[int, ...]  # discount_number of each of terms.discounts
    additional_data: list[dict[str, Any]]
    expiration_seconds: int | None  # dynamic_instant only


def is_uuid4(value: Any) -> bool:
    return isinstance(value, str) and bool(_UUID.match(value)) and uuid.UUID(value).version == 4


class _Check(BodyCheck):
    def __init__(self, body: dict[str, Any]):
        super().__init__()
        self.body: dict[str, Any] = body

    def text(self, field: str, required: bool, limit: int = 140, pattern: re.Pattern[str] | None = None) -> Any:
        value = self.body.get(field)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            self.bad(
                field,
                f"is required: text of 1 to {limit} characters"
                if required
                else f"must be text of 1 to {limit} characters or null",
            )
        elif pattern is not None and not pattern.match(value):
            self.bad(field, "is not in the documented format")
        else:
            return value
        return None

    def money(self, field: str, value: Any, positive: bool) -> Money | None:
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            try:
                money = Money.from_decimal(Decimal(value), "BRL")
            except MoneyError:
                money = None
            if money is not None and (money.minor > 0 or not positive) and money.amount <= max_amount("BRL"):
                return money
        self.bad(field, f"must be a number {'above' if positive else 'of at least'} 0 with at most 2 decimals")
        return None


def check_create(body: dict[str, Any], today: date) -> Order:
    """The create body, validated as the module docstring says; SandboxError 400 QRI000003 otherwise."""
    c = _Check(body)
    for field in sorted(set(body) - FIELDS):
        c.bad(field, "is not a field of this request")
    if not is_uuid4(body.get("request_control_key")):
        c.bad("request_control_key", "is required: a UUID4 in lower case")
    kind = body.get("qr_code_type")
    if kind not in ("dynamic_term", "dynamic_instant"):
        c.bad("qr_code_type", 'must be "dynamic_term" or "dynamic_instant"')
    term = kind == "dynamic_term"
    amount = c.money("amount", body.get("amount"), True)
    conciliation = c.text("receiver_conciliation_id", True, 35, _TXID)
    pix_key = c.text("pix_key", True, 77)
    if pix_key and not (_PIX_KEY.match(pix_key) or _UUID.match(pix_key)):
        c.bad("pix_key", "must be a CPF, CNPJ, e-mail, +55 phone or random (UUID) Pix key")
    document = c.text("payer_document_number", term, 14, _DOC)
    payer_name = c.text("payer_name", term, 200)
    payer_request = c.text("payer_request", term, 140)
    extra = body.get("additional_data") or []
    if (
        not isinstance(extra, list)
        or len(extra) > 20
        or not all(
            isinstance(d, dict)
            and set(d) <= {"key_name", "value"}
            and isinstance(d.get("key_name"), str)
            and d["key_name"]
            and isinstance(d.get("value"), str)
            for d in extra
        )
    ):
        c.bad("additional_data", "must be a list of at most 20 {key_name, value} texts")
        extra = []
    seconds: int | None = None
    terms: DueTerms | None = None
    numbers: tuple[int, ...] = ()
    if not term:
        for field in TERM_FIELDS:
            if body.get(field) not in (None, []):
                c.bad(field, "is for dynamic_term QR Codes only")
        seconds = body.get("expiration_seconds", 86400)
        seconds = int(seconds) if isinstance(seconds, str) and seconds.isdigit() else seconds
        if isinstance(seconds, bool) or not isinstance(seconds, int) or not 1 <= seconds <= MAX_EXPIRATION_S:
            c.bad("expiration_seconds", f"must be a whole number of seconds from 1 to {MAX_EXPIRATION_S}")
    elif kind == "dynamic_term":
        if body.get("expiration_seconds") is not None:
            c.bad("expiration_seconds", "is for dynamic_instant QR Codes only")
        terms, numbers = _check_terms(c, body, amount, today)
    if c.errors:
        raise SandboxError(400, "QRI000003", f"{c.errors[0]['field']} {c.errors[0]['message']}", c.errors)
    assert amount is not None and conciliation is not None and pix_key is not None
    return Order(
        body["request_control_key"],
        amount,
        conciliation,
        pix_key,
        payer_name,
        document,
        payer_request,
        terms,
        numbers,
        extra,
        seconds,
    )


def _check_terms(
    c: _Check, body: dict[str, Any], amount: Money | None, today: date
) -> tuple[DueTerms | None, tuple[int, ...]]:
    due = c.day("expiration_date", body.get("expiration_date"))
    if due is not None and due < today:
        c.bad("expiration_date", f"must not be before today ({today})")
    days = body.get("max_payment_days")
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 3650:
        c.bad("max_payment_days", "is required: a whole number of days from 0 to 3650")
    fine, interest, rebate = (
        c.money(f, body.get(f), False) for f in ("fine_amount", "interest_amount", "rebate_amount")
    )
    raw = body.get("discounts") or []
    if not isinstance(raw, list) or len(raw) > 3:
        c.bad("discounts", "must be a list of at most 3 discounts")
        raw = []
    found: list[tuple[int, Discount]] = []
    for n, d in enumerate(raw, 1):
        where = f"discounts[{n - 1}]"
        if not isinstance(d, dict) or not set(d) <= {"discount_value", "discount_number", "discount_limit_date"}:
            c.bad(where, "must be {discount_value, discount_number, discount_limit_date}")
            continue
        number = d.get("discount_number", n)
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            c.bad(f"{where}.discount_number", "must be a whole number from 1")
        value = c.money(f"{where}.discount_value", d.get("discount_value"), True)
        limit = c.day(f"{where}.discount_limit_date", d.get("discount_limit_date"))
        if value is not None and limit is not None and isinstance(number, int):
            found.append((number, Discount(value, limit)))
    found.sort(key=lambda pair: pair[0])
    if len({n for n, _ in found}) != len(found) or [d.limit_date for _, d in found] != sorted(
        d.limit_date for _, d in found
    ):
        c.bad("discounts", "discount_number must be unique and follow the limit dates")
    if c.errors or None in (amount, due, fine, interest, rebate):
        return None, ()
    assert amount and due and fine and interest and rebate and isinstance(days, int)
    terms = DueTerms(
        due_date=due,
        max_payment_days=days,
        fine=fine,
        interest_per_day=interest,
        rebate=rebate,
        discounts=tuple(d for _, d in found),
        payer_name=c.body.get("payer_name") or "",
        payer_document=c.body.get("payer_document_number") or "",
    )
    for problem in problems(amount, terms):
        c.bad("discounts" if "discount" in problem else "rebate_amount", problem)
    return terms, tuple(n for n, _ in found)


def check_write_off(body: dict[str, Any]) -> str:
    """The write-off body's request_control_key; SandboxError 400 LEG000069 otherwise."""
    errors = [
        {"field": f, "message": "is not a field of this request"}
        for f in sorted(set(body) - {"request_control_key", "qr_code_status"})
    ]
    if not is_uuid4(body.get("request_control_key")):
        errors.append({"field": "request_control_key", "message": "is required: a UUID4 in lower case"})
    if body.get("qr_code_status") != "written_off":
        errors.append({"field": "qr_code_status", "message": 'must be "written_off"'})
    if errors:
        raise SandboxError(400, "LEG000069", f"{errors[0]['field']} {errors[0]['message']}", errors)
    return body["request_control_key"]
