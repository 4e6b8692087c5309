"""J.P. Morgan Request to Pay (QR) + Payment Links, behind ``PaymentProvider``.

Base URL: ``https://api.payments.jpmorgan.com`` in production (the documented mock
is ``https://api-mock.payments.jpmorgan.com``), or ``<sandbox>/jpmorgan`` for TillQR's
simulator; this client appends ``/receivables/request-to-pay/v1/...``.

What TillQR uses, and the choices made where the public documentation is silent
(the sandbox, ``app/sandbox/jpmorgan.py``, implements the same ones):

- auth: ``Authorization: Bearer <token>``, the token from OAuth2 client credentials
  (``client_id`` + ``client_secret``, keyring secrets; ``jpmorgan_oauth.py``): fetched from
  ``token_url`` (the ``provider.token_url`` setting; by default derived from the base URL, see
  ``jpmorgan_oauth.default_token_url``), kept in memory, renewed before it expires, and renewed
  once when a call is answered 401. A pre-issued ``access_token`` is still accepted by the
  constructor (scripts, tests): it is used as it is, never renewed; Settings asks for the client
  id and secret only, since a pre-issued token expires within the day.
- ``create_request``: ``POST /payment-requests`` with the sale id as the
  client-assigned ``id`` and ``Idempotency-Key: spec.idempotency_key``; body
  ``{"id", "country": "BR", "request": {"expirationType": "IMMEDIATE", "duration",
  "paymentAmount": "12.50", "currency", "reference", "isAmountAdjustable": false,
  "creditor"?}, "requestMethodType": "QR_CODE", "requestMethod": {"qrCodeType":
  "DYNAMIC", "contentType": "TEXT"}}``; ``spec.external_id`` goes as ``externalId``.
  With ``spec.due`` the request is ``"expirationType": "DUE_DATE"`` with the terms worded by
  ``app.domain.dueterms.to_jpm`` (``dueDate``, ``daysAfterDueDate``, ``fineAmount``,
  ``interestAmountPerDay``, ``rebateAmount``, ``discounts``) instead of ``duration``: what is
  owed on a day is ``app.domain.duedate.amount_due``, and it expires at the end of its last
  payable day. The answer carries ``qrCode.payload`` (the request's own BR Code),
  ``expiresAt``, ``paidAmount``, ``status``, ``revisionNumber`` (→ ``RequestInfo.revision``),
  ``externalId`` and ``request.dueDate``.
- ``update_request``: ``PATCH /payment-requests/{id}`` ``{"request": {"paymentAmount",
  ...the due terms when given}}`` with ``If-Match: "<revision>"`` (when given) and the
  Idempotency-Key; 409 NOT_ACTIVE and 412 REVISION_MISMATCH → ``ProviderConflict`` with that
  ``code``. A replay of the key answers the first answer, even after the revision moved on.
- ``create_requests`` (bulk): ``POST /payment-requests/bulk`` ``{"paymentRequests": [create
  bodies]}`` (1 to ``max_bulk`` = 25, more is ``ValueError`` before anything is sent) with
  the call's Idempotency-Key → 207 ``{"results": [{"index", "httpStatus", "paymentRequest"}
  or {"index", "httpStatus", "error"}]}``, one ``BulkItem`` per spec in order; an item whose
  id exists with the same body is 200 with the request. A result list of another length, an
  item that is not an object, out of order or for another id is ``ProviderProtocolError``.
- ``search_requests`` / ``search_links``: ``GET /payment-requests?status&externalId&
  createdFrom&createdTo&limit=100`` and ``GET /payment-links?externalId&limit=100``, each
  ``nextCursor`` followed (``cursor=``) until it is null; reads, so retried as reads.
- ``get_request``: ``GET /payment-requests/{id}``.
- ``cancel_request``: ``PATCH /payment-requests/{id}`` ``{"status": "CANCELLED"}``
  (idempotent when already cancelled; 409 → ``ProviderConflict`` once settled/expired).
- payment links (Brazil only): ``POST /payment-links`` ``{"description", "externalId"?}``,
  ``GET /payment-links/{id}``, ``POST /payment-links/{id}/link`` and ``/unlink``
  with ``{"paymentRequestId"}``; every call that changes something carries an
  Idempotency-Key, so it is safely retried.
- errors: ``{"responseStatus": "ERROR", "responseCode", "responseMessage",
  "errors": [{"field", "message"}]}``; ``ProviderRejected.message`` is the
  ``responseMessage`` (with the field errors), ``.code`` the ``responseCode``.
- statuses: ``STATUS_MAP`` (``jpmorgan_parse.py``); ACTIVE means "open, waiting for the payer"
  and maps to TillQR's ``linked``, RETURNED (a settled payment sent back) to ``returned``. An
  unknown status is a ``ProviderProtocolError``.
- amounts are decimal strings parsed with ``Money.from_decimal`` (never float);
  timestamps are ISO 8601 and must carry a zone; they are returned in UTC.

Capabilities claimed: STATIC_LINK, DYNAMIC_QR, CANCEL, AMOUNT_UPDATE, BULK_CREATE, SEARCH,
DUE_DATE (notifications are for a later issue). Answers are read in ``jpmorgan_parse.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx

from app.domain.dueterms import DueTerms, to_jpm
from app.domain.jsontypes import Json, JsonObject
from app.domain.money import Money
from app.domain.sale import SaleStatus
from app.i18n import _, lazy_
from app.qr.rules import Scheme
from app.retry import PROVIDER_CALL, SYSTEM_TIMER, RetryPolicy, Timer
from app.urlcheck import checked_url

from .base import PROBE_ID, BulkItem, Capability, ChargeSpec, LinkInfo, PaymentProvider, RequestInfo, expect_absent
from .http import HttpTimeouts, ProviderHttp, path_segment
from .jpmorgan_oauth import ClientCredentials, default_token_url
from .jpmorgan_parse import (
    STATUS_MAP,
    STATUS_WORDS,
    bulk_parser,
    page_parser,
    parse_error,
    parse_link,
    parse_request,
)
from .parsing import protocol
from .spec import ConfigField, Options, ProviderSpec

PRODUCTION_URL = "https://api.payments.jpmorgan.com"
MOCK_URL = "https://api-mock.payments.jpmorgan.com"
API = "/receivables/request-to-pay/v1"
MAX_BULK = 25  # the documented most per bulk call
PAGE = "100"  # the most a search page holds
T = TypeVar("T")

__all__ = ["STATUS_MAP", "JPMorganProvider", "SPEC", "parse_error", "parse_link", "parse_request"]


def _iso(when: datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("search times must be aware datetimes")
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


class JPMorganProvider:
    """The J.P. Morgan client; one ``httpx.AsyncClient`` per instance. Close with ``aclose()``."""

    name = "jpmorgan"
    capabilities = (
        Capability.STATIC_LINK
        | Capability.DYNAMIC_QR
        | Capability.CANCEL
        | Capability.AMOUNT_UPDATE
        | Capability.BULK_CREATE
        | Capability.SEARCH
        | Capability.DUE_DATE
    )
    max_bulk = MAX_BULK
    currencies: tuple[str, ...] = ("BRL",)  # payment links are Brazil-only (seed); PayNow/FPS requests come later

    def __init__(
        self,
        base_url: str,
        access_token: str | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        token_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: HttpTimeouts | float | None = None,
        retry: RetryPolicy = PROVIDER_CALL,
        timer: Timer = SYSTEM_TIMER,
        country: str = "BR",
        creditor: Mapping[str, Json] | None = None,
    ):
        self.country = country
        self.creditor = dict(creditor) if creditor else None
        self.oauth: ClientCredentials | None = None
        headers: dict[str, str] = {}
        if client_id is not None or client_secret is not None:
            url, scope = (token_url, "") if token_url else default_token_url(base_url)
            if transport is None:  # the secret goes only where it is safe (ValueError otherwise)
                checked_url(url, _("{provider}'s token URL").format(provider="jpmorgan"))
            self.oauth = ClientCredentials(url, client_id or "", client_secret or "", clock=timer.now, scope=scope)
        elif isinstance(access_token, str) and access_token.strip():
            headers["Authorization"] = f"Bearer {access_token.strip()}"
        else:
            raise ValueError(
                _("{provider} needs a client id and a client secret (or a non-empty access token)").format(
                    provider="jpmorgan"
                )
            )
        self.http = ProviderHttp(
            self.name,
            base_url.rstrip("/") + API,
            headers=headers,
            transport=transport,
            timeout=timeout,
            retry=retry,
            timer=timer,
            error_parser=parse_error,
            auth=self.oauth,
        )

    def __repr__(self) -> str:
        return f"JPMorganProvider({self.http.base_url!r})"

    async def aclose(self) -> None:
        await self.http.aclose()

    async def ping(self) -> None:
        await expect_absent(self.get_link(PROBE_ID))

    # -- payment requests -------------------------------------------------------------
    def request_body(self, spec: ChargeSpec) -> JsonObject:
        if spec.due is None and spec.duration_s < 1:
            raise ValueError("a payment request must last at least one second")
        expiry: JsonObject = (
            {"expirationType": "DUE_DATE", **to_jpm(spec.due)}
            if spec.due is not None
            else {"expirationType": "IMMEDIATE", "duration": int(spec.duration_s)}
        )
        request: JsonObject = {
            **expiry,
            "paymentAmount": str(spec.amount),
            "currency": spec.amount.currency,
            "reference": spec.reference,
            "isAmountAdjustable": False,
        }
        if self.creditor:
            request["creditor"] = self.creditor
        return {
            "id": spec.request_id,
            **({"externalId": spec.external_id} if spec.external_id is not None else {}),
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
            raise protocol(
                "jpmorgan",
                _("asked for payment request {wanted}, got {id}").format(wanted=spec.request_id, id=info.request_id),
            )
        if info.amount != spec.amount:
            raise protocol(
                "jpmorgan",
                _("asked for {wanted}, the request is for {amount}").format(
                    wanted=spec.amount.display(), amount=info.amount.display()
                ),
            )
        return info

    async def create_requests(self, specs: Sequence[ChargeSpec], idempotency_key: str) -> list[BulkItem]:
        """Up to ``max_bulk`` requests in one call; one ``BulkItem`` per spec, in order."""
        if not 1 <= len(specs) <= self.max_bulk:
            raise ValueError(f"a bulk call creates 1 to {self.max_bulk} payment requests, not {len(specs)}")
        body: JsonObject = {"paymentRequests": [self.request_body(spec) for spec in specs]}
        return await self.http.post(
            "/payment-requests/bulk", body, idempotency_key=idempotency_key, parse=bulk_parser(specs)
        )

    async def update_request(
        self,
        request_id: str,
        amount: Money,
        *,
        revision: int | None,
        idempotency_key: str,
        due: DueTerms | None = None,
    ) -> RequestInfo:
        """A new amount (and due terms) for an ACTIVE request still at ``revision`` (None: whatever it is)."""
        request: JsonObject = {"paymentAmount": str(amount), **(to_jpm(due) if due is not None else {})}
        return await self.http.patch(
            f"/payment-requests/{path_segment(request_id)}",
            {"request": request},
            idempotency_key=idempotency_key,
            headers={"If-Match": f'"{revision}"'} if revision is not None else None,
            parse=parse_request,
        )

    async def _pages(self, path: str, key: str, item: Callable[[Json], T], params: dict[str, str]) -> list[T]:
        found: list[T] = []
        parse = page_parser(key, item)
        while True:
            page, cursor = await self.http.get(path, params=params, parse=parse)
            found += page
            if cursor is None:
                return found
            params = {**params, "cursor": cursor}

    async def search_requests(
        self,
        *,
        status: SaleStatus | None = None,
        external_id: str | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
    ) -> list[RequestInfo]:
        """Every payment request matching all the filters given (every page followed), oldest first."""
        params = {"limit": PAGE}
        if status is not None:
            if status not in STATUS_WORDS:
                return []  # a status J.P. Morgan never reports: nothing has it
            params["status"] = STATUS_WORDS[status]
        if external_id is not None:
            params["externalId"] = external_id
        if created_from is not None:
            params["createdFrom"] = _iso(created_from)
        if created_to is not None:
            params["createdTo"] = _iso(created_to)
        return await self._pages("/payment-requests", "paymentRequests", parse_request, params)

    async def search_links(self, *, external_id: str | None = None) -> list[LinkInfo]:
        """Every payment link (with ``external_id``, when given), every page followed."""
        params = {"limit": PAGE, **({"externalId": external_id} if external_id is not None else {})}
        return await self._pages("/payment-links", "paymentLinks", parse_link, params)

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
    async def create_link(
        self, idempotency_key: str, description: str = "", external_id: str | None = None
    ) -> LinkInfo:
        body: JsonObject = {"description": description}
        if external_id is not None:
            body["externalId"] = external_id
        return await self.http.post("/payment-links", body, idempotency_key=idempotency_key, parse=parse_link)

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
    return JPMorganProvider(
        base_url,
        client_id=credentials["client_id"],
        client_secret=credentials["client_secret"],
        transport=transport,
        **options,
    )


SPEC = ProviderSpec(
    name="jpmorgan",
    label="J.P. Morgan",
    factory=_create,
    sandbox_module="app.sandbox.jpmorgan",
    fields=(
        ConfigField("client_id", "client_id", secret=True, help=lazy_("the OAuth2 client id of J.P. Morgan's portal")),
        ConfigField("client_secret", "client_secret", secret=True, help=lazy_("its client secret")),
        ConfigField(
            "token_url",
            lazy_("Token URL"),
            required=False,
            option="token_url",
            help=lazy_("OAuth2 token endpoint (empty: J.P. Morgan's, or <base URL>/oauth2/token)"),
        ),
        ConfigField("payment_link_id", lazy_("Payment link id"), help=lazy_("the static link printed at the counter")),
    ),
    capabilities=JPMorganProvider.capabilities,
    schemes=(Scheme.PIX,),
    currencies=JPMorganProvider.currencies,
    secret_hint=lazy_("the OAuth2 client id and secret of J.P. Morgan's developer portal"),
)
