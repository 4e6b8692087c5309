"""J.P. Morgan's answers read into TillQR's words: payment requests, payment links, bulk results, search pages
and error bodies. Anything malformed is ``ProviderProtocolError``; the shapes are listed in ``jpmorgan.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import TypeVar

import httpx

from app.domain.jsontypes import Json
from app.domain.money import Money, MoneyError
from app.domain.sale import SaleStatus
from app.i18n import LazyText, _, lazy_p

from .base import (
    BulkItem,
    ChargeSpec,
    LinkInfo,
    ProviderConflict,
    ProviderNotFound,
    ProviderRejected,
    RequestInfo,
)
from .parsing import aware_time, error_json, obj, protocol, status_line, text

NAME = "jpmorgan"
T = TypeVar("T")

STATUS_MAP: dict[str, SaleStatus] = {
    "ACTIVE": SaleStatus.LINKED,
    "PROCESSING": SaleStatus.PROCESSING,
    "SETTLED": SaleStatus.SETTLED,
    "EXPIRED": SaleStatus.EXPIRED,
    "CANCELLED": SaleStatus.CANCELLED,
    "RETURNED": SaleStatus.RETURNED,
}
# the API's word for each status a search can ask for (TillQR's words that J.P. Morgan has one for)
STATUS_WORDS: dict[SaleStatus, str] = {status: word for word, status in STATUS_MAP.items()}

_protocol = partial(protocol, NAME)
_obj = partial(obj, NAME)
_text = partial(text, NAME)
_when = partial(aware_time, NAME)
# what each answer is, when it is said to be malformed
_REQUEST = lazy_p("provider answer", "payment request")
_REQUESTS_REQUEST = lazy_p("provider answer", "payment request's request")
_LINK = lazy_p("provider answer", "payment link")
_LINK_QR = lazy_p("provider answer", "payment link's qrCode")
_BULK = lazy_p("provider answer", "bulk answer")
_SEARCH = lazy_p("provider answer", "search answer")


def error_words(data: Json) -> tuple[str, str] | None:
    """(message, code) of a J.P. Morgan error body, with its field errors; None when it is not one."""
    message = data.get("responseMessage") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(message, str):
        return None
    errors = data.get("errors")
    details = [
        f"{e.get('field')}: {e.get('message')}"
        for e in (errors if isinstance(errors, list) else [])
        if isinstance(e, dict) and e.get("message") and f"{e.get('field')} {e.get('message')}" != message
    ]
    if details:
        message = f"{message} ({'; '.join(details)})"
    return message, str(data.get("responseCode") or "")


def parse_error(response: httpx.Response) -> tuple[str, str]:
    """(message, code) from J.P. Morgan's error body; the status line when it is not one."""
    return error_words(error_json(response)) or (status_line(response), "")


def _money(value: object, currency: str, what: str | LazyText) -> Money:
    if not isinstance(value, str):
        raise _protocol(_("{what} is not a decimal string: {value!r}").format(what=what, value=value))
    try:
        return Money.from_decimal(Decimal(value), currency)
    except (InvalidOperation, MoneyError):
        raise _protocol(
            _("{what} is not a valid {currency} amount: {value!r}").format(what=what, currency=currency, value=value)
        ) from None


def _optional_text(value: Json, what: str | LazyText) -> str | None:
    if value is not None and not isinstance(value, str):
        raise _protocol(_("{what} is not text").format(what=what))
    return value or None


def _day(value: Json, what: str) -> date | None:
    if value is None:
        return None
    try:
        if isinstance(value, str):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise _protocol(_("{what} is not a date written YYYY-MM-DD: {value!r}").format(what=what, value=value))


def parse_request(data: Json) -> RequestInfo:
    """A payment request answer in TillQR's words, or ProviderProtocolError."""
    body = _obj(data, _REQUEST)
    ident = _text(body, "id", _REQUEST)
    word = _text(body, "status", _REQUEST)
    if word not in STATUS_MAP:
        raise _protocol(_("payment request {id} has an unknown status {word!r}").format(id=ident, word=word))
    req = _obj(body.get("request"), _REQUESTS_REQUEST)
    currency = _text(req, "currency", _REQUEST)
    try:
        Money(0, currency)
    except MoneyError:
        raise _protocol(
            _("payment request {id} has an unknown currency {currency!r}").format(id=ident, currency=currency)
        ) from None
    qr = body.get("qrCode")
    revision = body.get("revisionNumber")
    if revision is not None and (isinstance(revision, bool) or not isinstance(revision, int) or revision < 0):
        raise _protocol(
            _("payment request {id} has a revisionNumber that is not a count: {revision!r}").format(
                id=ident, revision=revision
            )
        )
    return RequestInfo(
        request_id=ident,
        status=STATUS_MAP[word],
        provider_status=word,
        amount=_money(req.get("paymentAmount"), currency, "paymentAmount"),
        amount_paid=_money(body.get("paidAmount", "0"), currency, "paidAmount"),
        payload=_optional_text(qr.get("payload") if isinstance(qr, dict) else None, "qrCode.payload"),
        expires_at=_when(body.get("expiresAt"), "expiresAt"),
        revision=revision,
        external_id=_optional_text(body.get("externalId"), "externalId"),
        due_date=_day(req.get("dueDate"), "dueDate"),
    )


def parse_link(data: Json) -> LinkInfo:
    """A payment link answer, or ProviderProtocolError."""
    body = _obj(data, _LINK)
    qr = _obj(body.get("qrCode"), _LINK_QR)
    return LinkInfo(
        link_id=_text(body, "id", _LINK),
        payload=_text(qr, "payload", _LINK_QR),
        url=_text(body, "url", _LINK),
        linked_request_id=_optional_text(body.get("paymentRequestId"), "paymentRequestId"),
        external_id=_optional_text(body.get("externalId"), "externalId"),
    )


def _item_error(status: int, data: Json, index: int) -> ProviderRejected:
    words = error_words(data)
    if words is None:
        raise _protocol(_("bulk result {index} is an error without an error body").format(index=index))
    message, code = words
    kind = ProviderConflict if status in (409, 412) else ProviderNotFound if status == 404 else ProviderRejected
    return kind(message, provider=NAME, status_code=status, code=code)


def _bulk_item(index: int, spec: ChargeSpec, data: Json) -> BulkItem:
    item = _obj(data, _("bulk result {index}").format(index=index))
    status = item.get("httpStatus")
    if item.get("index") != index or isinstance(item.get("index"), bool):
        raise _protocol(_("bulk result {index} is numbered {number!r}").format(index=index, number=item.get("index")))
    if isinstance(status, bool) or not isinstance(status, int):
        raise _protocol(_("bulk result {index} has no httpStatus").format(index=index))
    if 200 <= status < 300:
        info = parse_request(item.get("paymentRequest"))
        if info.request_id != spec.request_id:
            raise _protocol(
                _("bulk result {index} is payment request {id}, not {wanted}").format(
                    index=index, id=info.request_id, wanted=spec.request_id
                )
            )
        return BulkItem(index, spec.request_id, info, None)
    if 400 <= status < 500:
        return BulkItem(index, spec.request_id, None, _item_error(status, item.get("error"), index))
    raise _protocol(_("bulk result {index} has an httpStatus of {status}").format(index=index, status=status))


def bulk_parser(specs: Sequence[ChargeSpec]) -> Callable[[Json], list[BulkItem]]:
    """The reader of a bulk answer to ``specs``: one result per spec, in the order sent, else a protocol error."""

    def parse(data: Json) -> list[BulkItem]:
        results = _obj(data, _BULK).get("results")
        if not isinstance(results, list):
            raise _protocol(_("the bulk answer has no results list"))
        if len(results) != len(specs):
            raise _protocol(
                _("the bulk answer has {results} results for {requests} requests").format(
                    results=len(results), requests=len(specs)
                )
            )
        return [_bulk_item(i, spec, item) for i, (spec, item) in enumerate(zip(specs, results, strict=True))]

    return parse


def page_parser(key: str, item: Callable[[Json], T]) -> Callable[[Json], tuple[list[T], str | None]]:
    """The reader of one search page: its ``key`` list read by ``item``, and ``nextCursor``."""

    def parse(data: Json) -> tuple[list[T], str | None]:
        body = _obj(data, _SEARCH)
        found = body.get(key)
        if not isinstance(found, list):
            raise _protocol(_("the search answer has no {key} list").format(key=key))
        return [item(x) for x in found], _optional_text(body.get("nextCursor"), "nextCursor")

    return parse
