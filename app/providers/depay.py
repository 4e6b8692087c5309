"""Depay POS QR (``depay-pos-qr.txt``) behind ``PaymentProvider``.

Base URL: ``https://stage.api.payments.depay.us`` (the seed's stage host; production
is the same API on Depay's production host), or ``<sandbox>/depay`` for TillQR's
simulator (``app/sandbox/depay.py``, which implements the same choices).

- auth: ``Authorization: Bearer <token>``.
- ``create_request``: ``POST /v2/qr`` with ``local_currency``/``local_country`` (the
  merchant's), ``qr_from`` (the customer's QR country; default: the merchant's),
  ``amount`` as an exact JSON *number* (``12.50``, written from the ``Decimal``, never
  through float), ``pos_external_reference`` (this till), ``external_reference`` = the sale
  id (``spec.request_id``), ``notification_url`` and optional ``tax_id``. The answer gives
  ``order_id`` (TillQR's request id) and ``qr_data``, shown as it comes.
- ``notification_url`` is required by Depay: ``spec.notification_url``, else the one given
  to the constructor, else ``https://notifications.invalid/tillqr`` — a URL that can never
  be reached (RFC 2606), so Depay's posts go nowhere and TillQR follows the order by polling.
- expiry: Depay cancels an unpaid QR 10 minutes after creation, whatever the till would
  like: ``expires_at`` is the time the create was sent + 10 minutes (``spec.duration_s``
  is ignored), and from ``creation_date`` + 10 minutes when read back.
- idempotency: Depay documents no idempotency key and no look-up by
  ``external_reference``. A create whose answer is lost (timeout, dropped connection,
  5xx) is sent again with the *same* ``external_reference``, which Depay refuses when
  the first one did happen (409 ``Conflict error``, see the sandbox). Then that first
  order exists but its QR never reached the till, so no customer can scan it: it is left
  to expire unpaid in 10 minutes (its reference is kept in ``strays``), and the sale's QR
  is created under ``<sale id>-2`` (``-3`` …). So whatever is lost, at most one QR of a sale
  is ever shown, and it cannot be paid twice. A 409 on a first attempt (the reference was
  used before) is a ``ProviderConflict``.
- ``get_request``: ``GET /v2/payins/orders/{order_id}`` (the sale id is accepted too for
  orders this client created). Statuses through ``STATUS_MAP``; Depay has one word,
  CANCELED, for cancelled and expired: it is told apart by the history — CANCELED at or
  after ``creation_date`` + 10 minutes is ``expired``. Depay reports no paid amount: a
  COMPLETED (or refunded) order counts as paid in full, any other as unpaid, so partial
  payment is not claimed.
- ``cancel_request``: ``DELETE /v2/payins/qr/{order_id}`` (retried on lost answers; 409
  "already been canceled" counts as done), then the order as it is.
- ``refund`` / ``get_refund``: ``POST /v2/qr/refund``, each refund's outcome read from the order's
  history at its turn, a refund never sent twice: see ``depay_refunds.py``.
- errors: ``{"statusCode", "message"}`` where ``message`` is a text or a list of texts.
- numbers are read as ``Decimal`` (``ProviderHttp(json_decimals=True)``; a float handed in
  by a caller goes through its shortest repr) and must fit the currency's decimals.

Capabilities: DYNAMIC_QR, CANCEL, REFUND.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

import httpx

from app.domain.jsontypes import JsonObject
from app.domain.money import Money
from app.domain.sale import utcnow
from app.i18n import _, lazy_
from app.qr.rules import Scheme
from app.retry import PROVIDER_CALL, SYSTEM_TIMER, RetryPolicy, Timer

from .base import (
    PROBE_ID,
    Capability,
    ChargeSpec,
    PaymentProvider,
    ProviderConflict,
    ProviderProtocolError,
    ProviderRejected,
    ProviderUnavailable,
    RefundInfo,
    RequestInfo,
    expect_absent,
)
from .depay_parse import (
    EXPIRY,
    LOCAL_CURRENCY,
    NO_RECEIVER_URL,
    ORDER,
    REFUND_STATUS,
    STAGE_URL,
    STATUS_MAP,
    _obj,
    encode,
    parse_created,
    parse_error,
    parse_order,
)
from .depay_refunds import REFUND_ID, DepayRefunds, make_refund_id
from .http import HttpTimeouts, ProviderHttp, path_segment
from .spec import ConfigField, Options, ProviderSpec

log = logging.getLogger("tillqr.providers.depay")


def order_item(spec: ChargeSpec) -> JsonObject:
    """The order's ``items`` (seed: sku_number, category, name, quantity, unit_price, total_amount): a till
    sale is one item, the amount charged, named by the sale's reference."""
    amount = Decimal(str(spec.amount))
    return {
        "sku_number": spec.request_id,
        "category": "sale",
        "name": spec.reference or "Sale",
        "quantity": Decimal(1),
        "unit_price": amount,
        "total_amount": amount,
    }


class DepayProvider:
    """The Depay client; one ``httpx.AsyncClient`` per instance. Close with ``aclose()``."""

    name = "depay"
    capabilities = Capability.DYNAMIC_QR | Capability.CANCEL | Capability.REFUND

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        pos_external_reference: str,
        local_country: str = "AR",
        qr_from: str | None = None,
        notification_url: str | None = None,
        tax_id: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: HttpTimeouts | float | None = None,
        retry: RetryPolicy = PROVIDER_CALL,
        timer: Timer = SYSTEM_TIMER,
        clock: Callable[[], datetime] = utcnow,
    ):
        if not isinstance(token, str) or not token.strip():
            raise ValueError(_("{provider} needs a non-empty bearer token").format(provider="depay"))
        if not isinstance(pos_external_reference, str) or not pos_external_reference.strip():
            raise ValueError(_("depay needs the till's pos_external_reference (from the merchant onboarding)"))
        if local_country not in LOCAL_CURRENCY:
            raise ValueError(
                _("depay: local_country must be one of {countries}").format(countries=", ".join(LOCAL_CURRENCY))
            )
        self.pos_external_reference = pos_external_reference.strip()
        self.local_country = local_country
        self.qr_from = qr_from or local_country
        self.currencies: tuple[str, ...] = (LOCAL_CURRENCY[local_country],)
        self.notification_url = notification_url
        self.tax_id = tax_id
        self.clock = clock
        self.strays: list[str] = []  # external references of orders left by lost answers
        self._orders: dict[str, str] = {}  # sale id -> order id
        self._payloads: dict[str, str] = {}  # order id -> qr_data
        self.http = ProviderHttp(
            self.name,
            base_url,
            headers={"Authorization": f"Bearer {token.strip()}"},
            transport=transport,
            timeout=timeout,
            retry=retry,
            timer=timer,
            error_parser=parse_error,
            json_decimals=True,
        )
        # The seed names the header of cancel and refund ``Authentication``; both it and ``Authorization``
        # are sent there, so either reading of the documentation finds the token.
        self._seed_auth = {"Authentication": f"Bearer {token.strip()}"}
        self.refunds = DepayRefunds(self.http, self._order, notification_url, headers=self._seed_auth)

    def __repr__(self) -> str:  # never shows the token
        return f"DepayProvider({self.http.base_url!r}, pos={self.pos_external_reference!r})"

    async def aclose(self) -> None:
        await self.http.aclose()

    async def ping(self) -> None:
        await expect_absent(self.get_request(PROBE_ID))

    # -- orders ------------------------------------------------------------------------
    def qr_body(self, spec: ChargeSpec, external_reference: str) -> JsonObject:
        body: JsonObject = {
            "local_currency": self.currencies[0],
            "local_country": self.local_country,
            "qr_from": self.qr_from,
            "amount": Decimal(str(spec.amount)),
            "pos_external_reference": self.pos_external_reference,
            "external_reference": external_reference,
            "notification_url": spec.notification_url or self.notification_url or NO_RECEIVER_URL,
        }
        if self.tax_id:
            body["tax_id"] = self.tax_id
        body["items"] = [order_item(spec)]
        return body

    async def create_request(self, spec: ChargeSpec) -> RequestInfo:
        if spec.amount.currency != self.currencies[0]:
            raise ProviderRejected(
                _("Depay charges in {currency} in {country}, not {asked}").format(
                    currency=self.currencies[0], country=self.local_country, asked=spec.amount.currency
                ),
                provider=self.name,
            )
        reference, lost, attempt, suffix = spec.request_id, False, 0, 1
        while True:
            attempt += 1
            sent_at = self.clock()
            try:
                info: RequestInfo = await self.http.post(
                    "/v2/qr",
                    encode(self.qr_body(spec, reference)),
                    parse=partial(parse_created, amount=spec.amount, sent_at=sent_at),
                )
            except (ProviderUnavailable, ProviderProtocolError):  # the order may exist: ask again, same reference
                if self.http.policy.gives_up_after(attempt):
                    raise
                lost = True
                await self.http.pause(attempt)  # app.retry: the client's policy and timer, as every call
                continue
            except ProviderConflict:
                if not lost or self.http.policy.gives_up_after(suffix - 1):  # fresh references: one per attempt
                    raise
                # Our lost attempt made this order; its QR never reached us, so nobody can pay it.
                log.warning("depay: order %s was created but its answer was lost; it expires unseen", reference)
                self.strays.append(reference)
                suffix += 1
                reference, lost, attempt = f"{spec.request_id}-{suffix}", False, 0
                continue
            self._orders[spec.request_id] = info.request_id
            if info.payload:
                self._payloads[info.request_id] = info.payload
            return info

    def _order_id(self, request_id: str) -> str:
        return self._orders.get(request_id, request_id)

    async def _order(self, request_id: str) -> JsonObject:
        return await self.http.get(
            f"/v2/payins/orders/{path_segment(self._order_id(request_id))}", parse=lambda data: _obj(data, ORDER)
        )

    async def get_request(self, request_id: str) -> RequestInfo:
        order_id = self._order_id(request_id)
        return await self.http.get(
            f"/v2/payins/orders/{path_segment(order_id)}",
            parse=lambda data: parse_order(data, self._payloads.get(order_id)),
        )

    async def cancel_request(self, request_id: str, idempotency_key: str) -> RequestInfo:
        order_id = self._order_id(request_id)
        for attempt in itertools.count(1):
            try:
                await self.http.request("DELETE", f"/v2/payins/qr/{path_segment(order_id)}", headers=self._seed_auth)
                break
            except ProviderUnavailable:
                if self.http.policy.gives_up_after(attempt):
                    raise
                await self.http.pause(attempt)
            except ProviderConflict as exc:
                if "already been canceled" not in exc.message:
                    raise
                break  # cancelled before (perhaps by our own attempt whose answer was lost), or expired
        return await self.get_request(order_id)

    # -- refunds (depay_refunds.py) ----------------------------------------------------
    async def refund(self, request_id: str, amount: Money, idempotency_key: str) -> RefundInfo:
        return await self.refunds.refund(request_id, amount, idempotency_key)

    async def get_refund(self, request_id: str, refund_id: str) -> RefundInfo:
        """This refund's outcome, read at its turn in the order's history (see ``depay_refunds.py``)."""
        return await self.refunds.get_refund(request_id, refund_id)


__all__ = [
    "DepayProvider",
    "STATUS_MAP",
    "REFUND_STATUS",
    "REFUND_ID",
    "make_refund_id",
    "LOCAL_CURRENCY",
    "parse_order",
    "parse_created",
    "parse_error",
    "encode",
    "NO_RECEIVER_URL",
    "STAGE_URL",
    "EXPIRY",
]


DEMO_POS = "TILLQR-POS-1"  # the POS id a till has until its own is configured


def _create(
    base_url: str, credentials: Mapping[str, str], transport: httpx.AsyncBaseTransport | None, given: Options
) -> PaymentProvider:
    options: dict[str, Any] = dict(given)  # the constructor's keywords, checked by its own signature
    options = {"pos_external_reference": DEMO_POS, **options}  # the till's POS id: set it in real use
    return DepayProvider(base_url, credentials["access_token"], transport=transport, **options)


SPEC = ProviderSpec(
    name="depay",
    label="Depay",
    factory=_create,
    sandbox_module="app.sandbox.depay",
    fields=(
        ConfigField("access_token", "access_token", secret=True, help=lazy_("its bearer token")),
        ConfigField(
            "pos_external_reference",
            lazy_("POS reference"),
            help=lazy_("this till's POS id at Depay"),
            option="pos_external_reference",
        ),
        ConfigField(
            "local_country",
            lazy_("Local country"),
            required=False,
            help=lazy_("the merchant's country at Depay (AR, BR, …)"),
            option="local_country",
        ),
    ),
    capabilities=DepayProvider.capabilities,
    schemes=(Scheme.EMV,),
    currencies=tuple(LOCAL_CURRENCY.values()),
    secret_hint=lazy_("its bearer token"),
    notify_option="notification_url",
)
