"""Pix (QI Tech) answers read in TillQR's words: statuses, QR Codes, due-date terms, errors (the client is
``pix.py``); and ``dumps``, the request bodies' exact JSON (amounts as exact numbers, never through float).
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial

import httpx

from app.domain import dueterms
from app.domain.duedate import payable_until
from app.domain.dueterms import DueTerms
from app.domain.exact_json import ExactJson
from app.domain.exact_json import dumps as exact_dumps
from app.domain.jsontypes import JsonObject
from app.domain.money import Money, MoneyError
from app.domain.sale import SaleStatus
from app.i18n import LazyText, _, lazy_p

from .base import RequestInfo
from .parsing import aware_time, error_json, obj, protocol, status_line, text

NAME = "pix"
STATUS_MAP: dict[str, SaleStatus] = {
    "active": SaleStatus.LINKED,
    "finished": SaleStatus.SETTLED,
    "written_off": SaleStatus.CANCELLED,
    "bank_written_off": SaleStatus.EXPIRED,
}
INSTANT_DEFAULT_S = 86400  # documented default of expiration_seconds
MAX_EXPIRATION_S = 100 * 366 * 86400  # a longer life is not an answer to read (and past what timedelta holds)


def dumps(value: ExactJson) -> bytes:
    """The request body: amounts as exact JSON numbers ("10.25" → 10.25); floats refused."""
    return exact_dumps(value).encode("utf-8")


def parse_error(response: httpx.Response) -> tuple[str, str]:
    """(message, code) from the Pix error body; the status line when it is not one."""
    data = error_json(response)
    description = data.get("description") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(description, str):
        return status_line(response), ""
    message = description
    extra = data.get("extra_fields")
    if isinstance(extra, dict) and extra:
        message += " (" + "; ".join(f"{k}: {v}" for k, v in extra.items()) + ")"
    translation = data.get("translation")
    if isinstance(translation, str) and translation and translation != description:
        message += f" / {translation}"
    return message, str(data.get("code") or "")


_protocol = partial(protocol, NAME)
_obj = partial(obj, NAME)
QR_CODE = lazy_p("provider answer", "QR Code")  # what the answer is, when it is said to be malformed


def _text(data: JsonObject, key: str, what: str | LazyText = QR_CODE) -> str:
    return text(NAME, data, key, what)


def _money(value: object, what: str | LazyText) -> Money:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise _protocol(_("{what} is not a number: {value!r}").format(what=what, value=value))
    try:
        return Money.from_decimal(Decimal(value), "BRL")
    except MoneyError:
        raise _protocol(
            _("{what} is not a valid {currency} amount: {value!r}").format(what=what, currency="BRL", value=value)
        ) from None


def _when(value: object, what: str) -> datetime:
    when = aware_time(NAME, value, what)
    if when is None:
        raise _protocol(_("{what} is not an ISO 8601 time with a zone: {value!r}").format(what=what, value=value))
    return when


def _payload(data: JsonObject) -> str:
    try:
        text = base64.b64decode(_text(data, "base_64_payload"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _protocol(_("{what} is not base64 of a Pix payload").format(what="base_64_payload")) from None
    if not text:
        raise _protocol(_("{what} is empty").format(what="base_64_payload"))
    return text


def _status(data: JsonObject) -> str:
    word = _text(data, "qr_code_status")
    if word not in STATUS_MAP:
        raise _protocol(_("QR Code has an unknown status {word!r}").format(word=word))
    return word


def parse_terms(data: object) -> DueTerms | None:
    """The due-date terms of a consulted QR Code (None for an instant one)."""
    body = _obj(data, QR_CODE)
    if body.get("qr_code_type") != "dynamic_term":
        return None
    try:
        return dueterms.from_pix(body)
    except dueterms.DueTermsError:
        raise _protocol(_("QR Code has due-date terms that cannot be read")) from None


def parse_qr(data: object) -> RequestInfo:
    """A consulted QR Code (GET) in TillQR's words, or ProviderProtocolError."""
    body = _obj(data, QR_CODE)
    word = _status(body)
    terms = parse_terms(body)
    created = _when(body.get("created_at"), "created_at")
    if terms is not None:
        try:
            expires = payable_until(terms).astimezone(UTC)
        except OverflowError:  # a due date and payment days past the year 9999
            raise _protocol(_("QR Code is payable until past any date")) from None
    else:
        seconds = body.get("expiration_seconds")
        seconds = int(seconds) if isinstance(seconds, str) and seconds.isdigit() else seconds
        if seconds is None:
            seconds = INSTANT_DEFAULT_S
        if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= MAX_EXPIRATION_S:
            raise _protocol(
                _("{what} is not a number of seconds: {value!r}").format(what="expiration_seconds", value=seconds)
            )
        try:
            expires = created + timedelta(seconds=seconds)
        except OverflowError:  # past the year 9999
            raise _protocol(
                _("created_at {when} + expiration_seconds is past any date").format(when=created.isoformat())
            ) from None
    paid = body.get("paid_amount")
    return RequestInfo(
        request_id=_text(body, "qr_code_key"),
        status=STATUS_MAP[word],
        provider_status=word,
        amount=_money(body.get("amount"), "amount"),
        amount_paid=Money(0, "BRL") if paid is None else _money(paid, "paid_amount"),
        payload=_payload(body),
        expires_at=expires,
    )
