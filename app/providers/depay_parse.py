"""Depay's answers read in TillQR's words: statuses, orders, errors, exact numbers (see ``depay.py``)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial

import httpx

from app.domain.jsontypes import Json, JsonObject
from app.domain.money import Money, MoneyError
from app.domain.sale import SaleStatus
from app.i18n import LazyText, _, lazy_p

from .base import ProviderProtocolError, RequestInfo
from .parsing import error_json, obj, protocol, status_line, text

STAGE_URL = "https://stage.api.payments.depay.us"
EXPIRY = timedelta(minutes=10)
NO_RECEIVER_URL = "https://notifications.invalid/tillqr"
LOCAL_CURRENCY = {"AR": "ARS", "BR": "BRL"}  # the seed's markets; the first is the demo default

STATUS_MAP: dict[str, SaleStatus] = {
    "CREATED": SaleStatus.LINKED,
    "WAITING_AMOUNT": SaleStatus.LINKED,  # in the documented history: scanned, not paid yet
    "PROCESSING": SaleStatus.PROCESSING,
    "COMPLETED": SaleStatus.SETTLED,
    "CANCELED": SaleStatus.CANCELLED,  # or EXPIRED: see _expired()
    "REJECTED": SaleStatus.FAILED,
    "FAILED": SaleStatus.FAILED,
    "REFUNDED": SaleStatus.REFUNDED,
    "PARTIALLY_REFUNDED": SaleStatus.PARTIALLY_REFUNDED,
}
PAID = ("COMPLETED", "REFUNDED", "PARTIALLY_REFUNDED")
# A refund's own words (the seed's refund table) in TillQR's: only REFUNDED is final; PARTIALLY_REFUNDED is
# "deducted from the merchant, but the refund to the customer is not yet complete" (see depay.py).
# REJECTED ("encountered an error", Is Final: No) stays pending too: Depay may still complete it, so no other
# refund of that order is asked until a person has checked (app/checkout/refunds.py).
REFUND_STATUS = {"PENDING": "pending", "REJECTED": "pending", "PARTIALLY_REFUNDED": "pending", "REFUNDED": "refunded"}
REFUND_STEPS = ("PARTIALLY_REFUNDED", "REFUNDED", "REJECTED")


def parse_error(response: httpx.Response) -> tuple[str, str]:
    """(message, code) from ``{"statusCode", "message"}``; ``code`` is the message when it is a code word."""
    data = error_json(response)
    message = data.get("message") if isinstance(data, dict) else None
    words = [m for m in message if isinstance(m, str)] if isinstance(message, list) else []
    if isinstance(message, list) and message and len(words) == len(message):
        return "; ".join(words), ""
    if isinstance(message, str) and message:
        return message, message if re.fullmatch(r"[A-Z][A-Z0-9_]+", message) else ""
    return status_line(response), ""


_protocol = partial(protocol, "depay")
_obj = partial(obj, "depay")
_text = partial(text, "depay")
# what each answer is, when it is said to be malformed
ORDER = lazy_p("provider answer", "order")
QR_ANSWER = lazy_p("provider answer", "QR answer")
REFUND_ANSWER = lazy_p("provider answer", "refund answer")


def _decimal(value: object, what: str | LazyText) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise _protocol(_("{what} is not a number: {value!r}").format(what=what, value=value))
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise _protocol(_("{what} is not a number: {value!r}").format(what=what, value=value)) from None
    if not number.is_finite():
        raise _protocol(_("{what} is not a number: {value!r}").format(what=what, value=value))
    return number


def _money(value: object, currency: str, what: str | LazyText) -> Money:
    try:
        return Money.from_decimal(_decimal(value, what), currency)
    except MoneyError:
        raise _protocol(
            _("{what} is not a valid {currency} amount: {value!r}").format(what=what, currency=currency, value=value)
        ) from None


def _when(value: object, what: str | LazyText) -> datetime:
    """``2023-05-15T11:45:38.2678234+00:00`` or ``2024-11-01 20:01:30.948423`` (no zone: UTC)."""
    if not isinstance(value, str):
        raise _protocol(_("{what} is not a time: {value!r}").format(what=what, value=value))
    text = re.sub(r"(\.\d{6})\d+", r"\1", value.strip().replace("Z", "+00:00"))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise _protocol(_("{what} is not a time: {value!r}").format(what=what, value=value)) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def history(body: JsonObject) -> list[tuple[str, datetime]]:
    """The order's ``statuses`` as (status, time), oldest first; an entry without a readable time is skipped."""
    entries: list[tuple[str, datetime]] = []
    raw = body.get("statuses") or []
    if not isinstance(raw, list):
        raise _protocol(_("{what} is not a list").format(what="statuses"))
    for entry in raw:
        word = entry.get("status") if isinstance(entry, dict) else None
        if isinstance(entry, dict) and isinstance(word, str):
            try:
                entries.append((word, _when(entry.get("created_at"), "statuses[].created_at")))
            except ProviderProtocolError:
                continue
    return entries


def refund_trail(body: JsonObject) -> list[str]:
    """Each refund of the order as its history shows it, oldest first, with the furthest step it reached:
    PARTIALLY_REFUNDED (under way), REFUNDED or REJECTED.

    Only entries after the payment's COMPLETED count (a REJECTED before it is the payment's). A
    PARTIALLY_REFUNDED starts a refund unless one is already under way (a repeated entry is the same
    refund); REFUNDED or REJECTED ends the one under way, or is a refund of its own when none is."""
    words = [word for word, _ in history(body)]
    if "COMPLETED" not in words:
        return []
    trail: list[str] = []
    under_way: int | None = None
    for word in words[words.index("COMPLETED") + 1 :]:
        if word == "PARTIALLY_REFUNDED":
            if under_way is None:
                trail.append(word)
                under_way = len(trail) - 1
        elif word in ("REFUNDED", "REJECTED"):
            if under_way is None:
                trail.append(word)
            else:
                trail[under_way] = word
                under_way = None
    return trail


def _expired(body: JsonObject, created: datetime) -> bool:
    """A CANCELED order was cancelled by its 10 minutes running out (not by the till)."""
    cancelled_at = [when for word, when in history(body) if word == "CANCELED"]
    if not cancelled_at and body.get("update_date"):
        cancelled_at = [_when(body["update_date"], "update_date")]
    return bool(cancelled_at) and cancelled_at[-1] >= created + EXPIRY - timedelta(seconds=1)


def parse_order(data: object, payload: str | None = None) -> RequestInfo:
    """A ``GET /v2/payins/orders/{id}`` answer in TillQR's words, or ProviderProtocolError."""
    body = _obj(data, ORDER)
    ident = _text(body, "id", ORDER)
    word = _text(body, "status", ORDER)
    if word not in STATUS_MAP:
        raise _protocol(_("order {id} has an unknown status {word!r}").format(id=ident, word=word))
    currency = _text(body, "local_currency", ORDER)
    try:
        Money(0, currency)
    except MoneyError:
        raise _protocol(
            _("order {id} has an unknown currency {currency!r}").format(id=ident, currency=currency)
        ) from None
    amount = _money(body.get("local_amount"), currency, "local_amount")
    created = _when(body.get("creation_date"), "creation_date")
    status = SaleStatus.EXPIRED if word == "CANCELED" and _expired(body, created) else STATUS_MAP[word]
    return RequestInfo(
        request_id=ident,
        status=status,
        provider_status=word,
        amount=amount,
        amount_paid=amount if word in PAID else Money(0, currency),
        payload=payload,
        expires_at=created + EXPIRY,
        amount_refunded=amount if word == "REFUNDED" else None,
    )


def parse_created(data: object, amount: Money, sent_at: datetime) -> RequestInfo:
    """A ``POST /v2/qr`` 201 answer: the order is CREATED, for ``amount``, until ``sent_at`` + 10 minutes."""
    body = _obj(data, QR_ANSWER)
    if body.get("status") != "success":
        raise _protocol(_("QR answer status is {status!r}, not 'success'").format(status=body.get("status")))
    return RequestInfo(
        request_id=_text(body, "order_id", QR_ANSWER),
        status=SaleStatus.LINKED,
        provider_status="CREATED",
        amount=amount,
        amount_paid=Money(0, amount.currency),
        payload=_text(body, "qr_data", QR_ANSWER),
        expires_at=sent_at + EXPIRY,
    )


def encode(body: Mapping[str, Json]) -> bytes:
    """A JSON object (the order's ``items`` nested in it) with each ``Decimal`` written as the exact number it
    is (never through float)."""
    return _exact(dict(body)).encode()


def _exact(value: Json) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list):
        return "[" + ",".join(_exact(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_exact(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


__all__ = [
    "STATUS_MAP",
    "REFUND_STATUS",
    "REFUND_STEPS",
    "PAID",
    "LOCAL_CURRENCY",
    "EXPIRY",
    "STAGE_URL",
    "NO_RECEIVER_URL",
    "parse_error",
    "parse_order",
    "parse_created",
    "history",
    "refund_trail",
    "encode",
]
