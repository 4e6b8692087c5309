"""The Razorpay sandbox's requests, validated: the create body, query parameters and pages of a collection.

The rules and texts are listed in ``razorpay.py``'s docstring; a request that breaks one is ``SandboxError``
400 ``BAD_REQUEST_ERROR`` with its ``field``, which ``razorpay.py`` renders as Razorpay's error body.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request

from .core import SandboxState
from .model import SandboxError

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
PAGE_PARAMS = ("count", "skip", "from", "to")
CLOSE_BY_RANGE = (946684800, 4765046400)
MIN_AHEAD_S, MAX_AHEAD_S = 120, 45 * 24 * 3600
MAX_NOTES, MAX_NOTE_CHARS = 15, 256
_CUSTOMER = re.compile(r"^cust_[A-Za-z0-9]{14}$")


def bad(message: str, field: str | None = None, status: int = 400) -> SandboxError:
    return SandboxError(status, "BAD_REQUEST_ERROR", message, [{"field": field}] if field else None)


def not_expected(names: list[str]) -> SandboxError:
    return bad(f"{', '.join(names)} is/are not required and should not be sent")


def validate_create(state: SandboxState, body: dict[str, Any]) -> None:
    extra = [name for name in body if name not in CREATE_FIELDS]
    if extra:
        raise not_expected(extra)
    for name, allowed in (("type", ("upi_qr",)), ("usage", ("single_use", "multiple_use"))):
        if body.get(name) is None:
            raise bad(f"The {name} is required.", name)
        if body[name] not in allowed:
            raise bad(f"The selected {name} is invalid.", name)
    if body["usage"] == "multiple_use":
        if "close_by" in body:
            raise not_expected(["close_by"])
        raise bad("This sandbox simulates single_use QR codes only.", "usage")
    if body.get("fixed_amount", False) is not True:
        raise bad("The selected fixed_amount is invalid.", "fixed_amount")
    amount = body.get("payment_amount")
    if amount is None:
        raise bad("The payment_amount is required.", "payment_amount")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise bad("The selected payment_amount is invalid.", "payment_amount")
    if amount < 1:
        raise bad("The payment amount must be at least 1.", "payment_amount")
    for name in ("name", "description"):
        if name in body and not isinstance(body[name], str):
            raise bad(f"The selected {name} is invalid.", name)
    customer = body.get("customer_id")
    if customer is not None and not (isinstance(customer, str) and _CUSTOMER.match(customer)):
        raise bad(f"{customer} is not a valid id.", "customer_id")
    close_by = body.get("close_by")
    if close_by is not None:
        if isinstance(close_by, bool) or not isinstance(close_by, int):
            raise bad("The selected close_by is invalid.", "close_by")
        if not CLOSE_BY_RANGE[0] <= close_by <= CLOSE_BY_RANGE[1]:
            raise bad(f"close_by must be between {CLOSE_BY_RANGE[0]} and {CLOSE_BY_RANGE[1]}", "close_by")
        ahead = close_by - state.now().timestamp()
        if ahead < MIN_AHEAD_S:
            raise bad("close_by should be at least 2 minutes after current time", "close_by")
        if ahead > MAX_AHEAD_S:
            raise bad("close_by should not be more than 45 days after current time", "close_by")
    notes = body.get("notes")
    if notes is None or notes == []:
        return
    if not isinstance(notes, dict):
        raise bad("The selected notes is invalid.", "notes")
    if len(notes) > MAX_NOTES:
        raise bad(f"notes should not have more than {MAX_NOTES} key-value pairs", "notes")
    for key, value in notes.items():
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise bad(f"The selected notes.{key} is invalid.", "notes")
        if len(key) > MAX_NOTE_CHARS or len(str(value)) > MAX_NOTE_CHARS:
            raise bad(f"notes.{key[:40]} should not be longer than {MAX_NOTE_CHARS} characters", "notes")


def query_params(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    extra = [name for name in request.query_params if name not in allowed]
    if extra:
        raise not_expected(extra)
    return dict(request.query_params)


def page(params: dict[str, str], items: list[dict[str, Any]]) -> dict[str, Any]:
    """count (1..100, default 10), skip, from/to (created_at, inclusive) over newest-first ``items``."""
    numbers = {"count": 10, "skip": 0}
    for name in PAGE_PARAMS:
        if name in params:
            if not re.fullmatch(r"\d{1,12}", params[name]):
                raise bad(f"The selected {name} is invalid.", name)
            numbers[name] = int(params[name])
    if not 1 <= numbers["count"] <= 100:
        raise bad("The count must be between 1 and 100.", "count")
    if "from" in numbers:
        items = [i for i in items if i["created_at"] >= numbers["from"]]
    if "to" in numbers:
        items = [i for i in items if i["created_at"] <= numbers["to"]]
    page = items[numbers["skip"] : numbers["skip"] + numbers["count"]]
    return {"entity": "collection", "count": len(page), "items": page}
