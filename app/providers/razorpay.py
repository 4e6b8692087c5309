"""Razorpay UPI QR Codes behind ``PaymentProvider`` (seed: ``razorpay-qr-codes.txt``).

Base URL ``https://api.razorpay.com`` (or ``<sandbox>/razorpay``) + ``/v1/payments/qr_codes``.
Auth: HTTP Basic ``key_id:key_secret``, sent with API calls only (never to an image host).

- ``create_request``: ``POST`` ``{"type": "upi_qr", "name", "usage": "single_use",
  "fixed_amount": true, "payment_amount": <paise>, "description": <reference>, "close_by",
  "notes": {"tillqr_sale_id", "tillqr_expires_at", "tillqr_reference"?}}``; ``request_id`` is
  Razorpay's id, the sale id rides in ``notes``. **close_by clamp**: the
  seed says "at least 2 minutes" ahead (request) and "15 minutes" (entity), so ``close_by =
  now + max(duration_s, 16 min)`` (15 + 1 for clock skew), at most 45 days. The till's own
  deadline (now + duration_s) is ``notes.tillqr_expires_at``; ``expires_at`` is the earlier of
  the two, so the controller expires the sale on time and closes the QR then.
- what the customer scans: the answer has ``image_url``, not a payload. It is downloaded with
  the same ``httpx`` client (no credentials; https or the API's own origin; redirects
  followed), the PNG decoded with the standard library (zlib) and zxing-cpp, the ``upi://pay``
  link checked (amount, INR) and returned as ``payload``. Cached per QR id: polling downloads
  nothing; ``get_request`` gives ``payload=None`` for a QR this client did not create.
- **no double QR after a timeout** (no Idempotency-Key for QR codes): before each create
  attempt, the first included, the client lists the QR codes that could still be open
  (``GET ?from=…&count=100``, newest first, a few pages) and takes the one whose
  ``notes.tillqr_sale_id`` is this sale, so a create whose answer was lost (timeout, drop, 5xx,
  garbage) is never repeated blindly, in this call or a later one for the same sale; a create
  that succeeds on a retry then closes strays of the sale. If no search can be made, the error
  is raised; the controller's closing calls ``get_request(<sale id>)``, which searches alike.
- ``cancel_request`` = ``POST …/{id}/close``; a 400 (already closed, payment in progress) or a
  lost answer is followed by a fetch: closed → that truth, still active → ``ProviderConflict``.
- errors ``{"error": {"code", "description"}}`` → ``message``/``code``; the 400 "The id provided
  does not exist" is ``ProviderNotFound``. QR refunds are not in the seed: no REFUND.
- statuses: ``STATUS_TABLE``. The seed names no ``close_reason`` for a QR closed at ``close_by``
  (the sandbox: null, ``closed_at = close_by``): expiry is ``closed_at >= close_by``, any word.
- **a payment in flight**: ``payments_amount_received`` counts captured payments only (seed), so
  while a customer's payment is ``authorized`` but not yet captured the QR alone looks unpaid.
  Whenever a read finds the QR ``active`` and not fully received, the client also asks
  ``GET …/{id}/payments`` (Razorpay's payment entity: created/authorized/captured/failed…) and
  counts as in flight the ``authorized`` payments plus any captured amount the QR's own total
  does not show yet (read a moment apart). Received + in flight ≥ the amount → PROCESSING, with
  ``amount_paid`` = received + in flight, so the controller follows the payment instead of
  expiring the sale. Nothing of it is cached; a closed or fully received QR costs no extra call,
  nor does a create (nobody has seen that QR yet).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import logging
import struct
import zlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote, urljoin, urlsplit

import httpx

from app.domain.jsontypes import JsonObject
from app.domain.money import Money
from app.domain.sale import SaleStatus
from app.i18n import _, lazy_
from app.qr.rules import Scheme
from app.qr.scan import read_qr_image
from app.retry import PROVIDER_CALL, SYSTEM_TIMER, RetryPolicy, Timer

from .base import (
    Capability,
    ChargeSpec,
    PaymentProvider,
    ProviderAuthError,
    ProviderConflict,
    ProviderError,
    ProviderNotFound,
    ProviderProtocolError,
    ProviderRejected,
    ProviderUnavailable,
    RequestInfo,
)
from .http import Body, HttpTimeouts, Parse, ProviderHttp
from .razorpay_parse import (
    NOT_FOUND_TEXT,
    NOTE_DEADLINE,
    NOTE_REFERENCE,
    NOTE_SALE,
    Payment,
    QrCode,
    check_upi,
    in_flight,
    parse_error,
    parse_list,
    parse_payments,
    parse_qr,
    protocol_error,
    status_of,
    to_info,
)
from .spec import ConfigField, Options, ProviderSpec

log = logging.getLogger("tillqr.providers.razorpay")
T = TypeVar("T")

PRODUCTION_URL = "https://api.razorpay.com"
API = "/v1/payments/qr_codes"
MIN_CLOSE_BY_S = 16 * 60  # the seed's 15 minutes (entity) / 2 minutes (request), plus a minute
MAX_CLOSE_BY_S = 45 * 24 * 3600
SEARCH_SLACK_S = 300  # clock skew allowance when listing what a sale may have made


class RazorpayProvider:
    """The Razorpay QR Codes client; one ``httpx.AsyncClient`` per instance. Close with ``aclose()``."""

    name = "razorpay"
    capabilities = Capability.DYNAMIC_QR | Capability.CANCEL  # fixed_amount + single_use QR: paid in full or not
    currencies: tuple[str, ...] = ("INR",)

    def __init__(
        self,
        base_url: str,
        key_id: str,
        key_secret: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: HttpTimeouts | float | None = None,
        retry: RetryPolicy = PROVIDER_CALL,
        timer: Timer = SYSTEM_TIMER,
        label: str = "TillQR",
        search_pages: int = 5,
        clock: Callable[[], datetime] | None = None,
    ):
        if not all(isinstance(k, str) and k.strip() for k in (key_id, key_secret)):
            raise ValueError(_("{provider} needs a non-empty key id and key secret").format(provider="razorpay"))
        pair = base64.b64encode(f"{key_id.strip()}:{key_secret.strip()}".encode()).decode()
        self._auth = {"Authorization": f"Basic {pair}"}
        self.label, self.search_pages = label, search_pages
        self.clock = clock or (lambda: datetime.now(UTC))
        self.http = ProviderHttp(
            self.name,
            base_url.rstrip("/"),
            transport=transport,
            timeout=timeout,
            retry=retry,
            timer=timer,
            error_parser=parse_error,
        )
        self._payloads: dict[str, str] = {}  # QR id -> the decoded image (it never changes)

    def __repr__(self) -> str:  # never shows the credentials
        return f"RazorpayProvider({self.http.base_url!r})"

    async def aclose(self) -> None:
        await self.http.aclose()

    async def ping(self) -> None:
        await self._call("GET", API, params={"count": "1"}, parse=lambda d: d)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        parse: Parse[T],
        json_body: Body = None,
        params: Mapping[str, str] | None = None,
    ) -> T:
        try:
            return await self.http.request(
                method, path, headers=self._auth, parse=parse, json_body=json_body, params=params
            )
        except ProviderRejected as exc:
            if exc.status_code == 400 and exc.message.startswith(NOT_FOUND_TEXT):
                raise ProviderNotFound(exc.message, provider=self.name, status_code=400, code=exc.code) from None
            raise

    # -- create ------------------------------------------------------------------------
    def request_body(self, spec: ChargeSpec, now: int) -> JsonObject:
        if spec.amount.currency != "INR":
            raise ProviderRejected(
                _("Razorpay QR codes charge in INR, not {currency}").format(currency=spec.amount.currency),
                provider=self.name,
            )
        if not 1 <= spec.duration_s <= MAX_CLOSE_BY_S:
            raise ProviderRejected(
                _("a QR code can stay open from 1 second to 45 days, not {seconds} s").format(seconds=spec.duration_s),
                provider=self.name,
            )
        notes = {NOTE_SALE: spec.request_id, NOTE_DEADLINE: str(now + int(spec.duration_s))}
        described = {"description": spec.reference[:256]} if spec.reference else {}
        return {
            "type": "upi_qr",
            "name": self.label,
            "usage": "single_use",
            "fixed_amount": True,
            "payment_amount": spec.amount.minor,
            **described,
            "close_by": now + max(int(spec.duration_s), MIN_CLOSE_BY_S),
            "notes": {**notes, **({NOTE_REFERENCE: described["description"]} if described else {})},
        }

    async def create_request(self, spec: ChargeSpec) -> RequestInfo:
        now = int(self.clock().timestamp())
        body = self.request_body(spec, now)
        since = now - max(int(spec.duration_s), MIN_CLOSE_BY_S) - SEARCH_SLACK_S  # any QR of it still open
        for attempt in itertools.count(1):  # as many as the client's policy allows (app.retry)
            found = await self.find_by_sale(spec.request_id, since)  # made by a call whose answer was lost?
            if found:
                qr = found[-1]  # the oldest: newest come first
                log.info("razorpay: sale %s already has QR %s (an answer was lost)", spec.request_id, qr["id"])
                break
            try:
                qr = await self._call("POST", API, json_body=body, parse=parse_qr)
            except (ProviderUnavailable, ProviderProtocolError):  # it may have been made all the same
                if self.http.policy.gives_up_after(attempt):
                    raise
                await self.http.pause(attempt)
                continue
            if attempt > 1:
                await self._close_strays(spec.request_id, keep=qr["id"], since=since)
            break
        if qr["notes"].get(NOTE_SALE) != spec.request_id or qr["amount"] != spec.amount.minor:
            raise protocol_error(
                _("asked for a QR code of {wanted} for sale {sale}, got {id} of {amount}").format(
                    wanted=spec.amount.display(),
                    sale=spec.request_id,
                    id=qr["id"],
                    amount=Money(qr["amount"], "INR").display(),
                )
            )
        return to_info(qr, await self._payload(qr))

    async def find_by_sale(self, sale_id: str, since: int | None = None) -> list[QrCode]:
        """QR codes whose notes carry ``sale_id``, newest first (``search_pages`` pages of 100 at most)."""
        found: list[QrCode] = []
        for page in range(self.search_pages):
            params = {"count": "100", "skip": str(100 * page), **({"from": str(since)} if since is not None else {})}
            items = await self._call("GET", API, params=params, parse=parse_list)
            found += [qr for qr in items if qr["notes"].get(NOTE_SALE) == sale_id]
            if len(items) < 100:
                break
        return found

    async def _close_strays(self, sale_id: str, keep: str, since: int) -> None:
        """Best effort: close other open QR codes made for the same sale by an earlier, lost attempt."""
        try:
            for qr in await self.find_by_sale(sale_id, since):
                if qr["id"] != keep and qr["status"] == "active":
                    await self._call("POST", f"{API}/{_seg(qr['id'])}/close", parse=parse_qr)
                    log.info("razorpay: closed stray QR %s of sale %s", qr["id"], sale_id)
        except ProviderError as exc:
            log.warning("razorpay: could not close stray QR codes of sale %s: %s", sale_id, exc)

    # -- the image ------------------------------------------------------------------------
    def _image_url(self, url: str | None, ident: str) -> str:
        absolute = urljoin(self.http.base_url + "/", url or "")
        api, image = urlsplit(self.http.base_url), urlsplit(absolute)
        if not url or (image.scheme != "https" and (image.scheme, image.netloc) != (api.scheme, api.netloc)):
            raise protocol_error(
                _("QR code {id} has no image_url, or one neither https nor on the API's host").format(id=ident)
            )
        return absolute

    async def _payload(self, qr: QrCode) -> str:
        if qr["id"] in self._payloads:
            return self._payloads[qr["id"]]
        png = await self._download(self._image_url(qr["image_url"], qr["id"]), qr["id"])
        try:
            payload = read_qr_image(png)
        except (ValueError, zlib.error, struct.error) as exc:
            raise protocol_error(
                _("the image of QR code {id} could not be read: {error}").format(id=qr["id"], error=exc)
            ) from None
        self._payloads[qr["id"]] = check_upi(payload, qr)
        return payload

    async def _download(self, url: str, ident: str) -> bytes:
        """The image at ``url``, through the provider's client (retried like a read), without credentials."""
        problem, attempt = "", 0
        while True:  # as many attempts as the client's policy allows (app.retry)
            attempt += 1
            try:
                async with asyncio.timeout(self.http.timeouts.attempt):  # the provider's one client
                    r = await self.http.get_absolute(url, headers={"Accept": "image/png, image/*;q=0.8"})
                if r.status_code == 200 and r.content[:1] not in (b"", b"{", b"<"):  # an image, not JSON/HTML
                    return r.content
                if r.status_code < 500 and r.status_code != 429:
                    raise protocol_error(
                        _("the image of QR code {id} answered {status} {type}, not an image").format(
                            id=ident, status=r.status_code, type=r.headers.get("content-type", "")
                        )
                    )
                problem = _("the image of QR code {id} answered {status}").format(id=ident, status=r.status_code)
            except (TimeoutError, httpx.HTTPError, OSError) as exc:
                problem = _("the image of QR code {id} could not be fetched ({error})").format(
                    id=ident, error=type(exc).__name__
                )
            if self.http.policy.gives_up_after(attempt):
                raise ProviderUnavailable(problem, provider=self.name)
            await self.http.pause(attempt)

    # -- read, close ---------------------------------------------------------------------
    async def get_request(self, request_id: str) -> RequestInfo:
        """By Razorpay's id (``qr_…``), or by TillQR's sale id (searched in the notes)."""
        if not request_id.startswith("qr_"):
            found = await self.find_by_sale(request_id)
            if not found:
                raise ProviderNotFound(_("no QR code carries sale {sale}").format(sale=request_id), provider=self.name)
            found = [await self._with_in_flight(qr) for qr in found]
            order = {SaleStatus.SETTLED: 0, SaleStatus.PROCESSING: 1, SaleStatus.LINKED: 2}
            qr = min(found, key=lambda q: order.get(status_of(q), 3))  # money first, then what is still open
        else:
            qr = await self._with_in_flight(await self._call("GET", f"{API}/{_seg(request_id)}", parse=parse_qr))
        return to_info(qr, self._payloads.get(qr["id"]))

    async def _with_in_flight(self, qr: QrCode) -> QrCode:
        """``qr`` with ``in_flight`` read from its payments, asked only while it is active and not fully
        received (the one time the QR alone cannot tell "unpaid" from "being paid"); never cached."""
        if qr["status"] != "active" or qr["received"] >= qr["amount"]:
            return qr
        payments: list[Payment] = []
        for page in range(self.search_pages):
            items = await self._call(
                "GET",
                f"{API}/{_seg(qr['id'])}/payments",
                params={"count": "100", "skip": str(100 * page)},
                parse=parse_payments,
            )
            payments += items
            if len(items) < 100:
                break
        return {**qr, "in_flight": in_flight(qr, payments)}

    async def cancel_request(self, request_id: str, idempotency_key: str) -> RequestInfo:
        """Close the QR (``idempotency_key`` unused: closing twice is harmless and answered by a fetch)."""
        qr_id = request_id if request_id.startswith("qr_") else (await self.get_request(request_id)).request_id
        try:
            qr = await self._call("POST", f"{API}/{_seg(qr_id)}/close", parse=parse_qr)
        except (ProviderRejected, ProviderUnavailable, ProviderProtocolError) as exc:
            if isinstance(exc, (ProviderNotFound, ProviderAuthError)):
                raise
            info = await self.get_request(qr_id)  # already closed / payment in progress / answer lost
            if not info.status.is_open:
                return info
            if isinstance(exc, ProviderRejected):
                raise ProviderConflict(
                    exc.message, provider=self.name, status_code=exc.status_code, code=exc.code
                ) from None
            raise
        return to_info(qr, self._payloads.get(qr["id"]))


def _seg(ident: str) -> str:
    return quote(ident, safe="")  # an id as one path segment


def _create(
    base_url: str, credentials: Mapping[str, str], transport: httpx.AsyncBaseTransport | None, given: Options
) -> PaymentProvider:
    options: dict[str, Any] = dict(given)  # the constructor's keywords, checked by its own signature
    return RazorpayProvider(base_url, credentials["key_id"], credentials["key_secret"], transport=transport, **options)


SPEC = ProviderSpec(
    name="razorpay",
    label="Razorpay",
    factory=_create,
    sandbox_module="app.sandbox.razorpay",
    fields=(
        ConfigField("key_id", "key_id", secret=True, help=lazy_("the API key's id (HTTP Basic user)")),
        ConfigField("key_secret", "key_secret", secret=True, help=lazy_("the API key's secret (HTTP Basic password)")),
        ConfigField(
            "webhook_secret",
            "webhook_secret",
            secret=True,
            required=False,
            help=lazy_("the secret set with the webhook in Razorpay's dashboard (checks X-Razorpay-Signature)"),
        ),
    ),
    capabilities=RazorpayProvider.capabilities,
    schemes=(Scheme.UPI,),
    currencies=RazorpayProvider.currencies,
    secret_hint=lazy_("its API key pair"),
)
