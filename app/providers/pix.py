"""Pix dynamic QR Codes with due date (and instant ones), QI Tech's API, behind ``PaymentProvider``.

Base URL: the provider's API host, or ``<sandbox>/pix`` for TillQR's simulator; this
client appends ``/account/{account}/alias/{alias}/qrcode``. The sandbox
(``app/sandbox/pix.py``) documents the choices made where the seed is silent; this
client makes the same ones:

- auth: ``Authorization: Bearer <token>`` (QI Tech's own scheme signs each request
  with an API client key; TillQR is handed a token, as for J.P. Morgan).
- ``create_request``: ``POST /qrcode``. ``request_control_key`` is a UUID4 derived
  from ``spec.idempotency_key`` (SHA-256 of it, shaped as a version-4 UUID), so a
  retry after a timeout is the same request and the provider answers with the same
  QR Code. ``qr_code_type`` is ``dynamic_term`` when ``spec.due`` is set (its
  ``DueTerms`` become ``expiration_date``, ``max_payment_days``, ``fine_amount``,
  ``interest_amount``, ``rebate_amount``, ``discounts`` numbered in limit-date order,
  and the payer), else ``dynamic_instant`` with ``expiration_seconds =
  spec.duration_s``. ``receiver_conciliation_id`` is the sale id (32 hex: a Pix txid
  is 26–35 letters/digits, like the seed's 26-character example); ``payer_request``
  the sale's reference. Amounts go out as exact JSON numbers (``10.25``, encoded here
  from Decimal, never through float) and are read back as Decimal. The key also goes
  as ``Idempotency-Key`` header, which marks the call safe to retry for the HTTP layer.
- what the customer scans: ``RequestInfo.payload`` is the base64-decoded
  ``base_64_payload``, as the provider made it.
- ``get_request``: ``GET /qrcode/{qr_code_key}``. Asked about a sale id instead (a sale
  whose creation timed out, so the till never learnt the key), the client re-sends
  that sale's identical create body: the provider answers with the QR Code it made,
  or makes it now, and the caller (closing) writes it off. Without that body (another
  process), a sale id is ``ProviderNotFound``.
- ``cancel_request``: ``PATCH /qrcode/{qr_code_key}`` ``{"request_control_key",
  "qr_code_status": "written_off"}`` → 204, then a consult; 409 (``finished`` or
  ``bank_written_off``) → ``ProviderConflict``.
- ``expires_at``: instant: ``created_at + expiration_seconds``; term: the end of the
  last payable day (``expiration_date + max_payment_days``, Brasília time).
- ``RequestInfo.amount`` is the charge's base amount; what is owed on a day is
  ``app.domain.duedate.amount_due`` (``due_breakdown()`` asks the provider for the
  terms and computes it). A partial payment leaves the QR ``active`` with
  ``paid_amount`` growing (PARTIAL_PAYMENT).
- errors: ``{"title", "description", "translation", "code", "extra_fields"?}`` (answers are read in
  ``pix_parse.py``);
  ``ProviderError.message`` is the description (with the field details) and the
  Portuguese translation, ``.code`` the provider's code.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from app.domain import dueterms
from app.domain.duedate import DueBreakdown, amount_due, local_date, payable_until
from app.domain.exact_json import ExactObject
from app.domain.jsontypes import JsonObject
from app.domain.money import Money
from app.i18n import _, lazy_
from app.qr.rules import Scheme
from app.retry import PROVIDER_CALL, SYSTEM_TIMER, RetryPolicy, Timer

from .base import (
    Capability,
    ChargeSpec,
    PaymentProvider,
    ProviderNotFound,
    ProviderRejected,
    RequestInfo,
    expect_absent,
)
from .http import HttpTimeouts, ProviderHttp, path_segment
from .pix_parse import (
    NAME,
    STATUS_MAP,
    _money,
    _obj,
    _payload,
    _status,
    _text,
    _when,
    dumps,
    parse_error,
    parse_qr,
    parse_terms,
)
from .spec import ConfigField, Options, ProviderSpec

# The sandbox's demo account (used when none is configured, e.g. ``tillqr --demo``).
DEMO = {
    "account": "tillqr-demo-account",
    "alias": "tillqr-demo-alias",
    "pix_key": "6f1e2b3c-4d5a-4b6c-8d7e-9f0a1b2c3d4e",
    "payer_name": "Cliente TillQR",
    "payer_document": "00000000000000",
}


def control_key(idempotency_key: str) -> str:
    """The request_control_key (a UUID4) for an idempotency key: the same key, the same UUID."""
    if not isinstance(idempotency_key, str) or not idempotency_key:
        raise ValueError("an idempotency key must be non-empty text")
    digest = hashlib.sha256(f"tillqr:pix:request_control_key:{idempotency_key}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _is_key(ident: str) -> bool:
    try:
        return str(uuid.UUID(ident)) == ident.lower()
    except (ValueError, AttributeError, TypeError):
        return False


class PixProvider:
    """The Pix client; one ``httpx.AsyncClient`` per instance. Close with ``aclose()``."""

    name = NAME
    capabilities = Capability.DYNAMIC_QR | Capability.CANCEL | Capability.DUE_DATE | Capability.PARTIAL_PAYMENT
    currencies: tuple[str, ...] = ("BRL",)

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        account: str,
        alias: str,
        pix_key: str,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: HttpTimeouts | float | None = None,
        retry: RetryPolicy = PROVIDER_CALL,
        timer: Timer = SYSTEM_TIMER,
        merchant_name: str = "",
        payer_name: str = "",
        payer_document: str = "",
        clock: Callable[[], datetime] | None = None,
    ):
        if not isinstance(token, str) or not token.strip():
            raise ValueError(_("{provider} needs a non-empty access token").format(provider="pix"))
        for what, value in (("account", account), ("alias", alias), ("pix_key", pix_key)):
            if not isinstance(value, str) or not value.strip():
                raise ValueError(_("pix needs a {setting}").format(setting=what))
        self.pix_key = pix_key.strip()
        self.merchant_name = merchant_name
        self.payer_name, self.payer_document = payer_name, payer_document  # for due-date terms without a payer
        self.clock = clock or (lambda: datetime.now(UTC))  # "today" for due_breakdown
        self.path = f"/account/{path_segment(account)}/alias/{path_segment(alias)}/qrcode"
        self.http = ProviderHttp(
            NAME,
            base_url,
            headers={"Authorization": f"Bearer {token.strip()}"},
            transport=transport,
            timeout=timeout,
            retry=retry,
            timer=timer,
            error_parser=parse_error,
            json_decimals=True,
        )
        self._keys: dict[str, str] = {}  # sale id -> qr_code_key
        self._bodies: dict[str, bytes] = {}  # sale id -> the create body sent (for a create in doubt)

    def __repr__(self) -> str:
        return f"PixProvider({self.http.base_url!r}, {self.path!r})"

    async def aclose(self) -> None:
        await self.http.aclose()

    async def ping(self) -> None:
        await expect_absent(self.http.get(f"{self.path}/{'0' * 32}", parse=lambda d: d))

    def request_body(self, spec: ChargeSpec) -> ExactObject:
        if spec.amount.currency != "BRL":
            raise ValueError(_("Pix charges are in BRL, not {currency}").format(currency=spec.amount.currency))
        body: ExactObject = {
            "request_control_key": control_key(spec.idempotency_key),
            "qr_code_type": "dynamic_term" if spec.due else "dynamic_instant",
            "amount": spec.amount,
            "receiver_conciliation_id": spec.request_id,
            "payer_request": (spec.reference or f"TillQR sale {spec.request_id}")[:140],
            "pix_key": self.pix_key,
        }
        due = spec.due
        if due is None:
            if spec.duration_s < 1:
                raise ValueError("a QR Code must last at least one second")
            body["expiration_seconds"] = int(spec.duration_s)
        else:
            body.update(
                {
                    "payer_name": due.payer_name or self.payer_name,
                    "payer_document_number": due.payer_document or self.payer_document,
                    **dueterms.to_pix(due),
                }
            )
        if self.merchant_name:
            body["additional_data"] = [{"key_name": "merchant_name", "value": self.merchant_name}]
        return body

    async def create_request(self, spec: ChargeSpec) -> RequestInfo:
        raw = dumps(self.request_body(spec))
        self._bodies[spec.request_id] = raw
        key = control_key(spec.idempotency_key)
        try:
            data = await self.http.post(self.path, raw, idempotency_key=key, parse=lambda d: _obj(d, "answer"))
        except ProviderRejected:
            self._bodies.pop(spec.request_id, None)  # refused: nothing exists to look up or write off later
            raise
        word = _status(data)
        qr_key = _text(data, "qr_code_key")
        created = _when(data.get("created_at"), "created_at")
        self._keys[spec.request_id] = qr_key
        expires = (
            payable_until(spec.due).astimezone(UTC) if spec.due else created + timedelta(seconds=int(spec.duration_s))
        )
        return RequestInfo(
            request_id=qr_key,
            status=STATUS_MAP[word],
            provider_status=word,
            amount=spec.amount,
            amount_paid=Money(0, "BRL"),
            payload=_payload(data),
            expires_at=expires,
        )

    async def _key(self, ident: str) -> str:
        """The qr_code_key for ``ident`` (a key, or a sale id whose creation this client sent)."""
        if _is_key(ident):
            return ident
        if ident in self._keys:
            return self._keys[ident]
        raw = self._bodies.get(ident)
        if raw is None:
            raise ProviderNotFound(
                _("no QR Code known for sale {sale}").format(sale=ident), provider=NAME, status_code=404
            )
        key = json.loads(raw)["request_control_key"]
        try:
            data = await self.http.post(self.path, raw, idempotency_key=key, parse=lambda d: _obj(d, "answer"))
        except ProviderRejected as exc:  # the provider refuses that body: no QR Code was ever made of it
            self._bodies.pop(ident, None)
            raise ProviderNotFound(
                _("no QR Code for sale {sale}: {reason}").format(sale=ident, reason=exc.message),
                provider=NAME,
                status_code=404,
            ) from exc
        self._keys[ident] = _text(data, "qr_code_key")
        return self._keys[ident]

    async def consult(self, request_id: str) -> JsonObject:
        """The provider's whole consult body (amounts as Decimal)."""
        key = await self._key(request_id)
        return await self.http.get(f"{self.path}/{path_segment(key)}", parse=lambda d: _obj(d, "QR Code"))

    async def get_request(self, request_id: str) -> RequestInfo:
        return parse_qr(await self.consult(request_id))

    async def cancel_request(self, request_id: str, idempotency_key: str) -> RequestInfo:
        key = await self._key(request_id)
        control = control_key(idempotency_key)
        await self.http.patch(
            f"{self.path}/{path_segment(key)}",
            dumps({"request_control_key": control, "qr_code_status": "written_off"}),
            idempotency_key=control,
        )
        return await self.get_request(key)

    async def due_breakdown(self, request_id: str, on: date | datetime | None = None) -> DueBreakdown | None:
        """What is owed on ``on`` (default: today in Brasília) for a due-date QR Code; None for an instant one."""
        body = await self.consult(request_id)
        terms = parse_terms(body)
        if terms is None:
            return None
        day = on if isinstance(on, date) and not isinstance(on, datetime) else local_date(on or self.clock())
        return amount_due(_money(body.get("amount"), "amount"), terms, day)


__all__ = ["NAME", "STATUS_MAP", "PixProvider", "control_key", "dumps", "parse_error", "parse_qr", "parse_terms"]


def _create(
    base_url: str, credentials: Mapping[str, str], transport: httpx.AsyncBaseTransport | None, given: Options
) -> PaymentProvider:
    options: dict[str, Any] = dict(given)  # the constructor's keywords, checked by its own signature
    where: dict[str, str] = {k: options.pop(k, None) or credentials.get(k, "") for k in ("account", "alias", "pix_key")}
    if not any(where.values()):  # nothing configured: the sandbox's demo account (tillqr --demo)
        where = {k: DEMO[k] for k in where}
        options.setdefault("payer_name", DEMO["payer_name"])
        options.setdefault("payer_document", DEMO["payer_document"])
    elif not all(where.values()):
        raise ValueError(_("pix needs its account, alias and pix_key (all three)"))
    account, alias, pix_key = where["account"], where["alias"], where["pix_key"]
    return PixProvider(
        base_url,
        credentials["access_token"],
        account=account,
        alias=alias,
        pix_key=pix_key,
        transport=transport,
        **options,
    )


SPEC = ProviderSpec(
    name=NAME,
    label="Pix",
    factory=_create,
    sandbox_module="app.sandbox.pix",
    fields=(
        ConfigField("access_token", "access_token", secret=True, help=lazy_("a bearer token")),
        ConfigField("pix_account", lazy_("Pix account"), option="account"),
        ConfigField("pix_alias", lazy_("Pix alias"), option="alias"),
        ConfigField("pix_key", lazy_("Pix key"), option="pix_key"),
    ),
    capabilities=PixProvider.capabilities,
    schemes=(Scheme.PIX,),
    currencies=PixProvider.currencies,
    secret_hint=lazy_("a bearer token"),
)
