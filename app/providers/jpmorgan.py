"""J.P. Morgan Request to Pay (QR) + Payment Links, behind ``PaymentProvider``.

Base URL: ``https://api.payments.jpmorgan.com`` in production (the documented mock
is ``https://api-mock.payments.jpmorgan.com``), or ``<sandbox>/jpmorgan`` for TillQR's
simulator; this client appends ``/receivables/request-to-pay/v1/...``.

What TillQR uses, and the choices made where the public documentation is silent
(the sandbox, ``app/sandbox/jpmorgan.py``, implements the same ones):

- auth: ``Authorization: Bearer <access_token>``. At J.P. Morgan the token comes from
  OAuth2 client credentials; for now this client is handed the token itself.
- ``create_request``: ``POST /payment-requests`` with the sale id as the
  client-assigned ``id`` and ``Idempotency-Key: spec.idempotency_key``; body
  ``{"id", "country": "BR", "request": {"expirationType": "IMMEDIATE", "duration",
  "paymentAmount": "12.50", "currency", "reference", "isAmountAdjustable": false,
  "creditor"?}, "requestMethodType": "QR_CODE", "requestMethod": {"qrCodeType":
  "DYNAMIC", "contentType": "TEXT"}}``. The answer carries ``qrCode.payload`` (the
  request's own BR Code), ``expiresAt``, ``paidAmount`` and ``status``.
- ``get_request``: ``GET /payment-requests/{id}``.
- ``cancel_request``: ``PATCH /payment-requests/{id}`` ``{"status": "CANCELLED"}``
  (idempotent when already cancelled; 409 → ``ProviderConflict`` once settled/expired).
- payment links (Brazil only): ``POST /payment-links`` ``{"description"}``,
  ``GET /payment-links/{id}``, ``POST /payment-links/{id}/link`` and ``/unlink``
  with ``{"paymentRequestId"}``; every call that changes something carries an
  Idempotency-Key, so it is safely retried.
- errors: ``{"responseStatus": "ERROR", "responseCode", "responseMessage",
  "errors": [{"field", "message"}]}``; ``ProviderRejected.message`` is the
  ``responseMessage`` (with the field errors), ``.code`` the ``responseCode``.
- statuses: ``STATUS_MAP`` below; ACTIVE means "open, waiting for the payer" and
  maps to TillQR's ``linked``. An unknown status is a ``ProviderProtocolError``.
- amounts are decimal strings parsed with ``Money.from_decimal`` (never float);
  timestamps are ISO 8601 and must carry a zone; they are returned in UTC.

Capabilities claimed: STATIC_LINK, DYNAMIC_QR, CANCEL (amount updates and
notifications are for later issues).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

import httpx

from app.domain.jsontypes import Json, JsonObject
from app.domain.money import Money, MoneyError
from app.domain.sale import SaleStatus
from app.qr.rules import Scheme
from app.retry import PROVIDER_CALL, SYSTEM_TIMER, RetryPolicy, Timer

from .base import PROBE_ID, Capability, ChargeSpec, LinkInfo, PaymentProvider, RequestInfo, expect_absent
from .http import HttpTimeouts, ProviderHttp, path_segment
from .parsing import aware_time, error_json, obj, protocol, status_line, text
from .spec import ConfigField, Options, ProviderSpec

PRODUCTION_URL = "https://api.payments.jpmorgan.com"
MOCK_URL = "https://api-mock.payments.jpmorgan.com"
API = "/receivables/request-to-pay/v1"

STATUS_MAP: dict[str, SaleStatus] = {
    "ACTIVE": SaleStatus.LINKED,
    "PROCESSING": SaleStatus.PROCESSING,
    "SETTLED": SaleStatus.SETTLED,
    "EXPIRED": SaleStatus.EXPIRED,
    "CANCELLED": SaleStatus.CANCELLED,
}


def parse_error(response: httpx.Response) -> tuple[str, str]:
    """(message, code) from J.P. Morgan's error body; the status line when it is not one."""
    data = error_json(response)
    message = data.get("responseMessage") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(message, str):
        return status_line(response), ""
    errors = data.get("errors")
    details = [
        f"{e.get('field')}: {e.get('message')}"
        for e in (errors if isinstance(errors, list) else [])
        if isinstance(e, dict) and e.get("message") and f"{e.get('field')} {e.get('message')}" != message
    ]
    if details:
        message = f"{message} ({'; '.join(details)})"
    return message, str(data.get("responseCode") or "")


_protocol = partial(protocol, "jpmorgan")
_obj = partial(obj, "jpmorgan")
_text = partial(text, "jpmorgan")
_when = partial(aware_time, "jpmorgan")


def _money(value: object, currency: str, what: str) -> Money:
    if not isinstance(value, str):
        raise _protocol(f"{what} is not a decimal string: {value!r}")
    try:
        return Money.from_decimal(Decimal(value), currency)
    except (InvalidOperation, MoneyError):
        raise _protocol(f"{what} is not a valid {currency} amount: {value!r}") from None


def parse_request(data: object) -> RequestInfo:
    """A payment request answer in TillQR's words, or ProviderProtocolError."""
    body = _obj(data, "payment request")
    ident = _text(body, "id", "payment request")
    word = _text(body, "status", "payment request")
    if word not in STATUS_MAP:
        raise _protocol(f"payment request {ident} has an unknown status {word!r}")
    req = _obj(body.get("request"), "payment request's request")
    currency = _text(req, "currency", "payment request")
    try:
        Money(0, currency)
    except MoneyError:
        raise _protocol(f"payment request {ident} has an unknown currency {currency!r}") from None
    amount = _money(req.get("paymentAmount"), currency, "paymentAmount")
    paid = _money(body.get("paidAmount", "0"), currency, "paidAmount")
    qr = body.get("qrCode")
    payload = qr.get("payload") if isinstance(qr, dict) else None
    if payload is not None and not isinstance(payload, str):
        raise _protocol("qrCode.payload is not text")
    return RequestInfo(
        request_id=ident,
        status=STATUS_MAP[word],
        provider_status=word,
        amount=amount,
        amount_paid=paid,
        payload=payload or None,
        expires_at=_when(body.get("expiresAt"), "expiresAt"),
    )


def parse_link(data: object) -> LinkInfo:
    """A payment link answer, or ProviderProtocolError."""
    body = _obj(data, "payment link")
    qr = _obj(body.get("qrCode"), "payment link's qrCode")
    linked = body.get("paymentRequestId")
    if linked is not None and not isinstance(linked, str):
        raise _protocol("paymentRequestId is not text")
    return LinkInfo(
        link_id=_text(body, "id", "payment link"),
        payload=_text(qr, "payload", "payment link's qrCode"),
        url=_text(body, "url", "payment link"),
        linked_request_id=linked or None,
    )


class JPMorganProvider:
    """The J.P. Morgan client; one ``httpx.AsyncClient`` per instance. Close with ``aclose()``."""

    name = "jpmorgan"
    capabilities = Capability.STATIC_LINK | Capability.DYNAMIC_QR | Capability.CANCEL
    currencies: tuple[str, ...] = ("BRL",)  # payment links are Brazil-only (seed); PayNow/FPS requests come later

    def __init__(
        self,
        base_url: str,
        access_token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: HttpTimeouts | float | None = None,
        retry: RetryPolicy = PROVIDER_CALL,
        timer: Timer = SYSTEM_TIMER,
        country: str = "BR",
        creditor: Mapping[str, Json] | None = None,
    ):
        if not isinstance(access_token, str) or not access_token.strip():
            raise ValueError("jpmorgan needs a non-empty access token")
        self.country = country
        self.creditor = dict(creditor) if creditor else None
        self.http = ProviderHttp(
            self.name,
            base_url.rstrip("/") + API,
            headers={"Authorization": f"Bearer {access_token.strip()}"},
            transport=transport,
            timeout=timeout,
            retry=retry,
            timer=timer,
            error_parser=parse_error,
        )

    def __repr__(self) -> str:
        return f"JPMorganProvider({self.http.base_url!r})"

    async def aclose(self) -> None:
        await self.http.aclose()

    async def ping(self) -> None:
        await expect_absent(self.get_link(PROBE_ID))

    # -- payment requests -------------------------------------------------------------
    def request_body(self, spec: ChargeSpec) -> JsonObject:
        if spec.duration_s < 1:
            raise ValueError("a payment request must last at least one second")
        request: JsonObject = {
            "expirationType": "IMMEDIATE",
            "duration": int(spec.duration_s),
            "paymentAmount": str(spec.amount),
            "currency": spec.amount.currency,
            "reference": spec.reference,
            "isAmountAdjustable": False,
        }
        if self.creditor:
            request["creditor"] = self.creditor
        return {
            "id": spec.request_id,
            "country": self.country,
            "request": request,
            "requestMethodType": "QR_CODE",
            "requestMethod": {"qrCodeType": "DYNAMIC", "contentType": "TEXT"},
        }

    async def create_request(self, spec: ChargeSpec) -> RequestInfo:
        info: RequestInfo = await self.http.post(
            "/payment-requests", self.request_body(spec), idempotency_key=spec.idempotency_key, parse=parse_request
        )
        if info.request_id != spec.request_id:
            raise _protocol(f"asked for payment request {spec.request_id}, got {info.request_id}")
        if info.amount != spec.amount:
            raise _protocol(f"asked for {spec.amount.display()}, the request is for {info.amount.display()}")
        return info

    async def get_request(self, request_id: str) -> RequestInfo:
        return await self.http.get(f"/payment-requests/{path_segment(request_id)}", parse=parse_request)

    async def cancel_request(self, request_id: str, idempotency_key: str) -> RequestInfo:
        return await self.http.patch(
            f"/payment-requests/{path_segment(request_id)}",
            {"status": "CANCELLED"},
            idempotency_key=idempotency_key,
            parse=parse_request,
        )

    # -- payment links ----------------------------------------------------------------
    async def create_link(self, idempotency_key: str, description: str = "") -> LinkInfo:
        return await self.http.post(
            "/payment-links", {"description": description}, idempotency_key=idempotency_key, parse=parse_link
        )

    async def get_link(self, link_id: str) -> LinkInfo:
        return await self.http.get(f"/payment-links/{path_segment(link_id)}", parse=parse_link)

    async def link(self, link_id: str, request_id: str, idempotency_key: str) -> LinkInfo:
        return await self.http.post(
            f"/payment-links/{path_segment(link_id)}/link",
            {"paymentRequestId": request_id},
            idempotency_key=idempotency_key,
            parse=parse_link,
        )

    async def unlink(self, link_id: str, request_id: str, idempotency_key: str) -> LinkInfo:
        return await self.http.post(
            f"/payment-links/{path_segment(link_id)}/unlink",
            {"paymentRequestId": request_id},
            idempotency_key=idempotency_key,
            parse=parse_link,
        )


def _create(
    base_url: str, credentials: Mapping[str, str], transport: httpx.AsyncBaseTransport | None, given: Options
) -> PaymentProvider:
    options: dict[str, Any] = dict(given)  # the constructor's keywords, checked by its own signature
    return JPMorganProvider(base_url, credentials["access_token"], transport=transport, **options)


SPEC = ProviderSpec(
    name="jpmorgan",
    label="J.P. Morgan",
    factory=_create,
    sandbox_module="app.sandbox.jpmorgan",
    fields=(
        ConfigField("access_token", "access_token", secret=True, help="an OAuth2 bearer token"),
        ConfigField("payment_link_id", "Payment link id", help="the static link printed at the counter"),
    ),
    capabilities=JPMorganProvider.capabilities,
    schemes=(Scheme.PIX,),
    currencies=JPMorganProvider.currencies,
    secret_hint="an OAuth2 bearer token",
)
