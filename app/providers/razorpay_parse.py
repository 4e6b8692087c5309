"""Razorpay's answers read into TillQR's words: QR code entities, payments, lists, errors and the status table
(the client is ``razorpay.py``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypedDict, overload

import httpx

from app.domain.jsontypes import Json, JsonObject
from app.domain.money import Money
from app.domain.sale import SaleStatus
from app.i18n import _
from app.qr.emv import decode as decode_payload

from .base import ProviderProtocolError, RequestInfo

NOT_FOUND_TEXT = "The id provided does not exist"
NOTE_SALE, NOTE_DEADLINE, NOTE_REFERENCE = "tillqr_sale_id", "tillqr_expires_at", "tillqr_reference"

IN_FLIGHT = "authorized"  # a payment entity's status: taken from the customer, not yet captured


class QrCode(TypedDict):
    """A QR Code entity as ``parse_qr`` checked it (amounts in paise, times in Unix seconds)."""

    id: str
    status: str  # active / closed
    close_reason: str | None
    notes: JsonObject
    image_url: str | None
    amount: int  # payment_amount
    received: int  # payments_amount_received
    close_by: int | None
    closed_at: int | None
    in_flight: int  # set by ``RazorpayProvider._with_in_flight``


class Payment(TypedDict):
    """One payment of a QR code, as ``parse_payments`` read it."""

    id: Json
    status: str
    amount: int


Rule = Callable[[QrCode], bool]
# (status, close_reason or "*", rule on the parsed QR, TillQR's word); received = payments_amount_received
# (captured only), in_flight = what its payments show on the way (``RazorpayProvider._with_in_flight``)
STATUS_TABLE: tuple[tuple[str, str, Rule, SaleStatus], ...] = (
    ("active", "*", lambda q: q["received"] + q["in_flight"] < q["amount"], SaleStatus.LINKED),
    ("active", "*", lambda q: True, SaleStatus.PROCESSING),
    ("closed", "paid", lambda q: True, SaleStatus.SETTLED),
    ("closed", "*", lambda q: q["received"] >= q["amount"], SaleStatus.SETTLED),
    (
        "closed",
        "*",
        lambda q: q["closed_at"] is not None and q["close_by"] is not None and q["closed_at"] >= q["close_by"],
        SaleStatus.EXPIRED,
    ),
    ("closed", "on_demand", lambda q: True, SaleStatus.CANCELLED),
    ("closed", "*", lambda q: True, SaleStatus.EXPIRED),
)


def parse_error(response: httpx.Response) -> tuple[str, str]:
    """(description, code) from Razorpay's error body; the status line when it is not one."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if not isinstance(error, dict) or not isinstance(error.get("description"), str):
        return f"HTTP {response.status_code} {response.reason_phrase}".strip(), ""
    return error["description"], str(error.get("code") or "")


def protocol_error(what: str) -> ProviderProtocolError:
    return ProviderProtocolError(what, provider="razorpay")


@overload
def _int(value: object, what: str) -> int: ...
@overload
def _int(value: object, what: str, *, optional: bool) -> int | None: ...
def _int(value: object, what: str, *, optional: bool = False) -> int | None:
    if (value is None and optional) or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    if isinstance(value, str) and value.isdigit():  # Razorpay's webhooks write close_by as a string
        return int(value)
    raise protocol_error(_("{what} is not a whole number: {value!r}").format(what=what, value=value))


def parse_qr(data: object) -> QrCode:
    """The QR Code entity, checked, with ints in place: or ProviderProtocolError."""
    if not isinstance(data, dict):
        raise protocol_error(_("the QR code is not a JSON object"))
    ident, status = data.get("id"), data.get("status")
    if not isinstance(ident, str) or not ident:
        raise protocol_error(_("the QR code has no id"))
    if status not in ("active", "closed"):
        raise protocol_error(_("QR code {id} has an unknown status {status!r}").format(id=ident, status=status))
    notes, reason, image_url = data.get("notes") or {}, data.get("close_reason"), data.get("image_url")
    if not isinstance(notes, dict) or not all(v is None or isinstance(v, str) for v in (reason, image_url)):
        raise protocol_error(_("QR code {id} has notes, close_reason or image_url of the wrong type").format(id=ident))
    return {
        "id": ident,
        "status": status,
        "close_reason": reason,
        "notes": notes,
        "image_url": image_url,
        "amount": _int(data.get("payment_amount"), "payment_amount"),
        "received": _int(data.get("payments_amount_received", 0), "payments_amount_received"),
        "close_by": _int(data.get("close_by"), "close_by", optional=True),
        "closed_at": _int(data.get("closed_at"), "closed_at", optional=True),
        "in_flight": 0,
    }


def parse_payments(data: object) -> list[Payment]:
    """A page of a QR code's payments as (id, status, amount): or ProviderProtocolError."""
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise protocol_error(_("the QR code's payments are not a collection"))
    payments: list[Payment] = []
    for item in data["items"]:
        status = item.get("status") if isinstance(item, dict) else None
        if not isinstance(item, dict) or not isinstance(status, str):
            raise protocol_error(_("a payment of the QR code has no status"))
        payments.append({"id": item.get("id"), "status": status, "amount": _int(item.get("amount"), "amount")})
    return payments


def in_flight(qr: QrCode, payments: list[Payment]) -> int:
    """Authorized payments, plus captured money the QR's total (read a moment earlier) does not show yet;
    created (not paid yet) and failed payments are not on their way."""
    authorized = sum(p["amount"] for p in payments if p["status"] == IN_FLIGHT)
    captured = sum(p["amount"] for p in payments if p["status"] == "captured")
    return authorized + max(0, captured - qr["received"])


def parse_list(data: object) -> list[QrCode]:
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise protocol_error(_("the QR code list is not a collection"))
    return [parse_qr(item) for item in data["items"]]


def status_of(qr: QrCode) -> SaleStatus:
    return next(
        tillqr
        for status, reason, rule, tillqr in STATUS_TABLE  # the table is total
        if qr["status"] == status and reason in ("*", qr["close_reason"]) and rule(qr)
    )


def _deadline(qr: QrCode) -> datetime | None:
    """The earlier of close_by and the till's own deadline kept in the notes."""
    note = str(qr["notes"].get(NOTE_DEADLINE, ""))
    known = [t for t in (qr["close_by"], int(note) if note.isdigit() and note.isascii() else None) if t is not None]
    try:
        return datetime.fromtimestamp(min(known), UTC) if known else None
    except (OverflowError, OSError, ValueError):  # a time past what the platform's clock holds
        raise protocol_error(
            _("QR code {id} closes at {when}, not a time").format(id=qr["id"], when=min(known))
        ) from None


def to_info(qr: QrCode, payload: str | None) -> RequestInfo:
    """In TillQR's words; a payment in flight shows as ``active/authorized`` and, once it covers the
    amount (PROCESSING), in ``amount_paid`` (a partial one on the way is not counted as received yet)."""
    status = status_of(qr)
    word = (
        ("active/authorized" if qr["in_flight"] else "active")
        if qr["status"] == "active"
        else "/".join(filter(None, ["closed", qr["close_reason"]]))
    )
    paid = qr["received"] + (qr["in_flight"] if status is SaleStatus.PROCESSING else 0)
    return RequestInfo(
        request_id=qr["id"],
        status=status,
        provider_status=word,
        amount=Money(qr["amount"], "INR"),
        amount_paid=Money(paid, "INR"),
        payload=payload,
        expires_at=_deadline(qr),
        image_url=qr["image_url"],
    )


def check_upi(payload: str, qr: QrCode) -> str:
    """The scanned link must be a UPI payment of this QR's amount in INR: or ProviderProtocolError."""
    decoded = decode_payload(payload)
    fields, am = decoded.fields, decoded.fields.get("am")
    if decoded.scheme != "upi" or not decoded.valid:
        raise protocol_error(
            _("the image of QR code {id} holds no valid upi://pay link: {errors}").format(
                id=qr["id"], errors="; ".join(decoded.errors)
            )
        )
    if (am is not None and Decimal(am) * 100 != qr["amount"]) or fields.get("cu", "INR") != "INR":
        raise protocol_error(
            _("the image of QR code {id} charges {amount} {currency}, not {wanted} INR").format(
                id=qr["id"], amount=fields.get("am"), currency=fields.get("cu", ""), wanted=Money(qr["amount"], "INR")
            )
        )
    return payload
