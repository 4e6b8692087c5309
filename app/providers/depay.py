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
- ``refund`` / ``get_refund``: ``POST /v2/qr/refund`` with ``partial`` (false when the
  amount is the whole order), ``reason`` ``"TillQR refund <key>"``. Depay documents no
  refund look-up (its answer's ``id`` cannot be asked about), so a refund's outcome is
  read from the order's history, where each refund's steps follow the payment's
  (``refund_trail``: the order's refunds in turn, each with the furthest step it reached).
  TillQR's refund id says which one it is: ``<order id>#<n>:<amount>``, ``n`` the number
  of refunds the history showed (or this client had asked) before it — so any process,
  after any restart, reads this refund's own outcome, never the order's ``status`` nor
  another refund's. An id it cannot read, or a refund the history does not show yet, is
  ``pending``. An order's refunds are told apart by their turn only, so one should be
  asked when the one before it has ended (TillQR's refunds do).
- refund statuses, read with the seed's refund table, where only REFUNDED is final:
  PENDING is ``pending``; PARTIALLY_REFUNDED ("the funds have been deducted from the
  merchant, but the refund to the customer is not yet complete", *Is Final: No*) is
  ``pending`` too, for a partial refund as for a full one — the seed's "Partial Refund"
  callback example shows that word, but nowhere says the partial refund is then
  complete, so TillQR never calls it done before Depay says REFUNDED; REFUNDED is
  ``refunded`` (``partially_refunded``, TillQR's "this partial refund is done", when
  it gave back less than the order); REJECTED ("the refund encountered an error", *Is
  Final: No*) is ``pending`` as well, with REJECTED as its provider status: Depay may
  still complete it, so TillQR asks no other refund of that order until a person has
  checked — a refund is never made twice.
  The order's own ``status`` keeps the order table's words (PARTIALLY_REFUNDED: "the
  order was partially refunded"), read by ``get_request`` only. Should Depay's history
  never show REFUNDED for a partial refund, it stays ``pending``, for a person to check.
- a refund is never sent twice: one whose answer was lost is, when asked again with the
  same key, found at its turn in the order's history if it has shown up there, else
  refused with ``ProviderUnavailable`` (no new POST) — within this process; after a
  restart only a full refund is safe to ask again (Depay's 409 "The order is totally
  refunded." is then followed in the history like any refund, not taken as done), a
  partial one must be checked on the order by a person.
- errors: ``{"statusCode", "message"}`` where ``message`` is a text or a list of texts.
- numbers are read as ``Decimal`` (``ProviderHttp(json_decimals=True)``; a float handed in
  by a caller goes through its shortest repr) and must fit the currency's decimals.

Capabilities: DYNAMIC_QR, CANCEL, REFUND.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any
from urllib.parse import quote

import httpx

from app.domain.money import Money, MoneyError
from app.domain.sale import utcnow
from app.qr.rules import Scheme

from .base import (
    PROBE_ID,
    Capability,
    ChargeSpec,
    PaymentProvider,
    ProviderConflict,
    ProviderError,
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
    REFUND_STATUS,
    STAGE_URL,
    STATUS_MAP,
    _obj,
    _protocol,
    _text,
    encode,
    parse_created,
    parse_error,
    parse_order,
    refund_trail,
)
from .http import HttpTimeouts, ProviderHttp
from .spec import ConfigField, ProviderSpec

log = logging.getLogger("tillqr.providers.depay")


@dataclass
class _Refund:
    order_id: str
    amount: Money
    turn: int  # how many refunds of the order came before it (its place in ``refund_trail``)


REFUND_ID = re.compile(r"(?P<order>[^#]+)#(?P<turn>\d{1,6}):(?P<amount>\d{1,15}(?:\.\d{1,4})?)")


def make_refund_id(order_id: str, turn: int, amount: Money) -> str:
    """``<order id>#<n>:<amount>``: which refund of which order, readable by any later process."""
    return f"{order_id}#{turn}:{amount}"


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
        max_attempts: int = 3,
        backoff_base_s: float = 0.25,
        backoff_max_s: float = 2.0,
        clock: Callable[[], datetime] = utcnow,
    ):
        if not isinstance(token, str) or not token.strip():
            raise ValueError("depay needs a non-empty bearer token")
        if not isinstance(pos_external_reference, str) or not pos_external_reference.strip():
            raise ValueError("depay needs the till's pos_external_reference (from the merchant onboarding)")
        if local_country not in LOCAL_CURRENCY:
            raise ValueError(f"depay: local_country must be one of {', '.join(LOCAL_CURRENCY)}")
        self.pos_external_reference = pos_external_reference.strip()
        self.local_country = local_country
        self.qr_from = qr_from or local_country
        self.currencies: tuple[str, ...] = (LOCAL_CURRENCY[local_country],)
        self.notification_url = notification_url
        self.tax_id = tax_id
        self.max_attempts = max_attempts
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.clock = clock
        self.strays: list[str] = []  # external references of orders left by lost answers
        self._orders: dict[str, str] = {}  # sale id -> order id
        self._payloads: dict[str, str] = {}  # order id -> qr_data
        self._turns: dict[str, int] = {}  # order id -> the turn of the next refund this client asks
        self._unanswered: dict[str, _Refund] = {}  # idempotency key -> a refund whose answer was lost
        self._rng = random.Random()
        self.http = ProviderHttp(
            self.name,
            base_url,
            headers={"Authorization": f"Bearer {token.strip()}"},
            transport=transport,
            timeout=timeout,
            max_attempts=max_attempts,
            backoff_base_s=backoff_base_s,
            backoff_max_s=backoff_max_s,
            error_parser=parse_error,
            json_decimals=True,
        )

    def __repr__(self) -> str:  # never shows the token
        return f"DepayProvider({self.http.base_url!r}, pos={self.pos_external_reference!r})"

    async def aclose(self) -> None:
        await self.http.aclose()

    async def ping(self) -> None:
        await expect_absent(self.get_request(PROBE_ID))

    async def _pause(self, attempt: int) -> None:
        await self.http.timer.sleep(self.http.policy.wait(attempt, self._rng))  # app.retry, as every call

    # -- orders ------------------------------------------------------------------------
    def qr_body(self, spec: ChargeSpec, external_reference: str) -> dict[str, Any]:
        body: dict[str, Any] = {
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
        return body

    async def create_request(self, spec: ChargeSpec) -> RequestInfo:
        if spec.amount.currency != self.currencies[0]:
            raise ProviderRejected(
                f"Depay charges in {self.currencies[0]} in {self.local_country}, not {spec.amount.currency}",
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
                if attempt >= self.max_attempts:
                    raise
                lost = True
                await self._pause(attempt)
                continue
            except ProviderConflict:
                if not lost or suffix > self.max_attempts:
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

    async def _order(self, request_id: str) -> dict[str, Any]:
        return await self.http.get(
            f"/v2/payins/orders/{_seg(self._order_id(request_id))}", parse=lambda data: _obj(data, "order")
        )

    async def get_request(self, request_id: str) -> RequestInfo:
        order_id = self._order_id(request_id)
        return await self.http.get(
            f"/v2/payins/orders/{_seg(order_id)}", parse=lambda data: parse_order(data, self._payloads.get(order_id))
        )

    async def cancel_request(self, request_id: str, idempotency_key: str) -> RequestInfo:
        order_id = self._order_id(request_id)
        for attempt in range(1, self.max_attempts + 1):
            try:
                await self.http.request("DELETE", f"/v2/payins/qr/{_seg(order_id)}")
                break
            except ProviderUnavailable:
                if attempt >= self.max_attempts:
                    raise
                await self._pause(attempt)
            except ProviderConflict as exc:
                if "already been canceled" not in exc.message:
                    raise
                break  # cancelled before (perhaps by our own attempt whose answer was lost), or expired
        return await self.get_request(order_id)

    # -- refunds ------------------------------------------------------------------------
    async def refund(self, request_id: str, amount: Money, idempotency_key: str) -> RefundInfo:
        try:
            body = await self._order(request_id)
        except ProviderError as exc:
            exc.nothing_sent = True  # type: ignore[attr-defined]  # no refund was asked: safe to ask again
            raise
        order = parse_order(body)
        if amount.currency != order.amount.currency:
            raise ProviderRejected(
                f"the order is in {order.amount.currency}, not {amount.currency}", provider=self.name
            )
        partial = amount != order.amount
        trail = refund_trail(body)
        lost = self._unanswered.get(idempotency_key)
        if lost is not None:  # asked before, answer lost: Depay has no look-up and no key, so never send it twice
            if len(trail) <= lost.turn:
                raise ProviderUnavailable(
                    f"the answer to refund {idempotency_key} was lost and the order shows no "
                    "refund since: it is not sent again (check the order)",
                    provider=self.name,
                )
            del self._unanswered[idempotency_key]
            return self._refund_info(order, lost.turn, lost.amount, trail[lost.turn])
        turn = max(len(trail), self._turns.get(order.request_id, 0))
        request: dict[str, Any] = {
            "order_id": order.request_id,
            "partial": partial,
            "amount": Decimal(str(amount)),
            "reason": f"TillQR refund {idempotency_key}",
        }
        if self.notification_url:
            request["notification_url"] = self.notification_url
        try:
            data = await self.http.post("/v2/qr/refund", encode(request), parse=lambda d: _obj(d, "refund answer"))
        except ProviderConflict as exc:
            if partial or "totally refunded" not in exc.message:
                raise
            # The whole order was asked back before (an answer lost by an earlier run): that refund is the one
            # that has not been rejected; follow it in the history like any other, never take it as done.
            mine = next((i for i, word in enumerate(trail) if word != "REJECTED"), len(trail))
            return self._refund_info(order, mine, amount, trail[mine] if mine < len(trail) else "PENDING")
        except (ProviderUnavailable, ProviderProtocolError) as exc:
            self._unanswered[idempotency_key] = _Refund(order.request_id, amount, turn)
            self._turns[order.request_id] = turn + 1  # whether or not it was made, no other refund takes its turn
            exc.refund_id = make_refund_id(order.request_id, turn, amount)
            raise  # ... and any later process can read its outcome at that turn (get_refund)
        self._turns[order.request_id] = turn + 1
        depay_id, word = _text(data, "id", "refund answer"), _text(data, "status", "refund answer")
        if word not in REFUND_STATUS:
            raise _protocol(f"refund {depay_id} has an unknown status {word!r}")
        info = self._refund_info(order, turn, amount, word)
        log.info("depay refund %s (Depay's id %s): %s", info.refund_id, depay_id, word)
        return info

    async def get_refund(self, request_id: str, refund_id: str) -> RefundInfo:
        """This refund's outcome, read at its turn in the order's history (see the module doc)."""
        body = await self._order(request_id)
        order = parse_order(body)
        found = REFUND_ID.fullmatch(refund_id) if isinstance(refund_id, str) else None
        amount = None
        if found and found["order"] == order.request_id:
            try:
                amount = Money.from_decimal(Decimal(found["amount"]), order.amount.currency)
            except MoneyError:
                amount = None
        if found is None or amount is None:
            log.warning(
                "depay: refund id %r does not name a refund of order %s; it is left pending",
                refund_id,
                order.request_id,
            )
            return RefundInfo(
                refund_id=refund_id,
                request_id=order.request_id,
                amount=Money(0, order.amount.currency),
                status="pending",
                provider_status="UNKNOWN",
            )
        turn, trail = int(found["turn"]), refund_trail(body)
        return self._refund_info(order, turn, amount, trail[turn] if turn < len(trail) else "PENDING")

    @staticmethod
    def _refund_info(order: RequestInfo, turn: int, amount: Money, word: str) -> RefundInfo:
        """The refund at ``turn`` of ``order``, whose furthest step is Depay's ``word``."""
        status = REFUND_STATUS[word]
        if status == "refunded" and amount.minor < order.amount.minor:
            status = "partially_refunded"  # TillQR's word for a partial refund that is done
        return RefundInfo(
            refund_id=make_refund_id(order.request_id, turn, amount),
            request_id=order.request_id,
            amount=amount,
            status=status,
            provider_status=word,
        )


def _seg(ident: str) -> str:
    """An id as one safe path segment."""
    if not isinstance(ident, str) or not ident:
        raise ValueError("an id must be non-empty text")
    return quote(ident, safe="")


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
    base_url: str, credentials: Mapping[str, str], transport: httpx.AsyncBaseTransport | None, options: dict[str, Any]
) -> PaymentProvider:
    options = {"pos_external_reference": DEMO_POS, **options}  # the till's POS id: set it in real use
    return DepayProvider(base_url, credentials["access_token"], transport=transport, **options)


SPEC = ProviderSpec(
    name="depay",
    label="Depay",
    factory=_create,
    sandbox_module="app.sandbox.depay",
    fields=(
        ConfigField("access_token", "access_token", secret=True, help="its bearer token"),
        ConfigField(
            "pos_external_reference",
            "POS reference",
            help="this till's POS id at Depay",
            option="pos_external_reference",
        ),
        ConfigField(
            "local_country",
            "Local country",
            required=False,
            help="the merchant's country at Depay (AR, BR, …)",
            option="local_country",
        ),
    ),
    capabilities=DepayProvider.capabilities,
    schemes=(Scheme.EMV,),
    currencies=tuple(LOCAL_CURRENCY.values()),
    secret_hint="its bearer token",
)
