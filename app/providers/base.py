"""The provider protocol: what the checkout needs from any payment provider.

The controller asks for a *capability*, never for a provider's name. Every call
that creates or changes something takes an idempotency key derived from the
sale (``Sale.idempotency_key``), so a retry after a timeout is the same call.

Errors are typed so the controller can decide without parsing text:

- ``ProviderUnavailable``: network error, timeout, 5xx, connection dropped.
  The call *may* have happened; retrying with the same idempotency key is safe.
  ``ProviderTimeout`` refines it: connected, but no answer in time (slow, not unreachable).
- ``ProviderUntrusted``: the server's TLS certificate did not verify; never retried.
- ``ProviderRejected``: the provider answered 4xx; ``message`` is its own words.
  ``ProviderAuthError`` (401/403) and ``ProviderNotFound`` (404) refine it;
  ``ProviderConflict`` (409, 412) is e.g. a link already holding another request, or a
  request changed at the provider since it was read (``code`` says which).
- ``ProviderProtocolError``: the answer could not be understood (malformed JSON,
  missing fields). Treated like Unavailable for retries of idempotent reads.

No exception text ever contains a credential. ``str()`` is the technical account (for the log, the
journal's event detail and the command line); ``words`` is what a cashier reads: what happened and what to do,
with no class name, setting or address in it.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from app.domain.dueterms import DueTerms
from app.domain.money import Money
from app.domain.sale import SaleStatus
from app.i18n import LazyText, lazy_
from app.retry import Failure


class Capability(enum.Flag):
    NONE = 0
    STATIC_LINK = enum.auto()  # link/unlink a request to a printed payment link
    DYNAMIC_QR = enum.auto()  # a per-request payload to show on screen
    CANCEL = enum.auto()
    REFUND = enum.auto()
    AMOUNT_UPDATE = enum.auto()  # change the amount of an existing request/link (utility bills)
    DUE_DATE = enum.auto()  # fines, interest, rebates, discounts
    PUSH_STATUS = enum.auto()  # status events pushed (websocket / notifications)
    PARTIAL_PAYMENT = enum.auto()
    BULK_CREATE = enum.auto()  # many requests in one call, a result per item (utility bills)
    SEARCH = enum.auto()  # search requests/links by status, external id, date


class ProviderError(Exception):
    """Base of every provider failure; ``str()`` is safe to show and to log."""

    failure: Failure | None = None  # what kind of failure (app.retry decides what is tried again)
    refund_id: str | None = None  # a refund call whose answer was lost: the id its outcome is read by later
    # what a cashier reads (each kind in its own words): what happened and what to do
    words: str | LazyText = lazy_(
        "The payment provider could not do it. Try again; if it keeps happening, call the manager."
    )

    def __init__(self, message: str, *, provider: str = "", status_code: int | None = None, code: str = ""):
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.status_code = status_code
        self.code = code

    @property
    def retryable(self) -> bool:
        """A read may be asked again (no answer, or one that could not be read); derived from ``failure``."""
        return self.failure in (Failure.UNAVAILABLE, Failure.UNREADABLE)

    def __str__(self) -> str:
        prefix = f"{self.provider}: " if self.provider else ""
        return f"{prefix}{self.message}"


class ProviderUnavailable(ProviderError):
    failure = Failure.UNAVAILABLE
    words = lazy_("The payment provider does not answer. Check the internet connection, then try again.")

    def __init__(self, message: str, *, provider: str = "", status_code: int | None = None, code: str = ""):
        super().__init__(message, provider=provider, status_code=status_code, code=code)
        if status_code:  # it answered, with an error of its own (5xx, 429)
            self.words = lazy_("The payment provider is having trouble right now. Wait a moment, then try again.")


class ProviderTimeout(ProviderUnavailable):
    """Reached, but no answer in time: the provider (or the network on the way) is slow."""

    words = lazy_("The payment provider is slow to answer. Wait a moment, then try again.")


class ProviderUntrusted(ProviderError):
    """The server's TLS certificate did not verify (self-signed, expired, another host's): nothing was sent."""

    failure = Failure.REFUSED
    words = lazy_(
        "TillQR could not make sure it was talking to the real payment provider, so nothing was sent. Call the manager."
    )


class ProviderProtocolError(ProviderError):
    failure = Failure.UNREADABLE
    words = lazy_(
        "The payment provider's answer could not be understood. Try again; if it keeps happening, call the manager."
    )


class ProviderRejected(ProviderError):
    failure = Failure.REFUSED
    words = lazy_(
        "The payment provider refused it. Check the amount and try again; if it keeps happening, call the manager."
    )


class ProviderAuthError(ProviderRejected):
    words = lazy_(
        "The payment provider did not accept this till's access keys. The manager must set them again in Settings."
    )


class ProviderMisconfigured(ProviderRejected):
    """The provider has nothing at the address the till's settings name (a wrong base or token URL): a setup
    problem for the manager, which trying again does not mend."""

    words = lazy_(
        "The till's payment provider settings look wrong. Nothing was charged. The manager must check them in Settings."
    )


class ProviderNotFound(ProviderRejected):
    words = lazy_("The payment provider does not know this payment. Call the manager.")


class ProviderConflict(ProviderRejected):
    words = lazy_("The payment provider says this payment changed meanwhile. Try again.")


@dataclass(frozen=True)
class ChargeSpec:
    """What the till asks the provider for."""

    request_id: str  # client-assigned id (the sale id) where the provider allows it
    amount: Money
    reference: str
    duration_s: int  # seconds until the request expires
    idempotency_key: str
    due: DueTerms | None = None  # DUE_DATE providers only
    notification_url: str | None = None  # where the provider posts status notifications, if any
    external_id: str | None = None  # the caller's own id for it, e.g. the bill id (SEARCH finds it by this)


@dataclass(frozen=True)
class RequestInfo:
    """The provider's truth about one payment request, in TillQR's words."""

    request_id: str
    status: SaleStatus  # mapped by the provider module's own table
    provider_status: str  # the provider's word, for the journal
    amount: Money
    amount_paid: Money
    payload: str | None  # what a customer's app scans
    expires_at: datetime | None
    amount_refunded: Money | None = None  # REFUND providers: total refunded so far
    image_url: str | None = None  # where the provider serves the QR as an image (Razorpay)
    revision: int | None = None  # the provider's version counter: +1 on every change of amount/due date/status
    external_id: str | None = None
    due_date: date | None = None  # a due-date request's due date


@dataclass(frozen=True)
class RefundInfo:
    """One refund of a settled request. ``status`` is TillQR's word: pending, refunded,
    partially_refunded or rejected; ``provider_status`` the provider's own."""

    refund_id: str
    request_id: str
    amount: Money
    status: str
    provider_status: str


@dataclass(frozen=True)
class LinkInfo:
    link_id: str
    payload: str  # the static QR's text (never changes)
    url: str
    linked_request_id: str | None
    external_id: str | None = None


@dataclass(frozen=True)
class BulkItem:
    """One item's result of a bulk create, in the order sent: created (or already there with the same body),
    or refused on its own (the other items are not affected)."""

    index: int
    request_id: str  # the client-assigned id sent for this item
    info: RequestInfo | None
    error: ProviderRejected | None


@runtime_checkable
class PaymentProvider(Protocol):
    """What every provider does. Optional abilities are separate protocols below, claimed in
    ``capabilities``: the controller checks the capability, then calls the methods."""

    name: str
    capabilities: Capability
    currencies: tuple[str, ...]  # what it can charge in; the first is the demo mode's currency

    async def create_request(self, spec: ChargeSpec) -> RequestInfo: ...
    async def get_request(self, request_id: str) -> RequestInfo: ...
    async def cancel_request(self, request_id: str, idempotency_key: str) -> RequestInfo: ...
    async def ping(self) -> None:
        """One harmless authenticated call (nothing is created): returns when the provider accepted
        the credentials; raises ``ProviderAuthError``, ``ProviderUnavailable``, ... otherwise."""

    async def aclose(self) -> None: ...


@runtime_checkable
class LinkingProvider(PaymentProvider, Protocol):
    """STATIC_LINK: a printed payment link that requests are linked to and unlinked from."""

    async def create_link(
        self, idempotency_key: str, description: str = "", external_id: str | None = None
    ) -> LinkInfo: ...
    async def get_link(self, link_id: str) -> LinkInfo: ...
    async def link(self, link_id: str, request_id: str, idempotency_key: str) -> LinkInfo: ...
    async def unlink(self, link_id: str, request_id: str, idempotency_key: str) -> LinkInfo: ...


@runtime_checkable
class RefundingProvider(PaymentProvider, Protocol):
    """REFUND: full or partial refunds of a settled request."""

    async def refund(self, request_id: str, amount: Money, idempotency_key: str) -> RefundInfo: ...
    async def get_refund(self, request_id: str, refund_id: str) -> RefundInfo: ...


@runtime_checkable
class UpdatingProvider(PaymentProvider, Protocol):
    """AMOUNT_UPDATE: a new amount (and due terms) for an active request.

    Raises ``ProviderConflict`` with ``code`` "NOT_ACTIVE" when the request is settled, cancelled, expired or
    returned, "REVISION_MISMATCH" when its revision is no longer ``revision`` (it changed at the provider since
    it was read); ``revision=None`` updates whatever the revision."""

    async def update_request(
        self, request_id: str, amount: Money, *, revision: int | None, idempotency_key: str, due: DueTerms | None = None
    ) -> RequestInfo: ...


@runtime_checkable
class BulkProvider(PaymentProvider, Protocol):
    """BULK_CREATE: up to ``max_bulk`` requests in one call, one result per item in the order sent. The whole call
    failing (5xx, timeout, 401) raises as usual; an item refused comes back as its ``BulkItem.error``."""

    max_bulk: int

    async def create_requests(self, specs: Sequence[ChargeSpec], idempotency_key: str) -> list[BulkItem]: ...


@runtime_checkable
class SearchingProvider(PaymentProvider, Protocol):
    """SEARCH: requests and links found by what they are, every page followed."""

    async def search_requests(
        self,
        *,
        status: SaleStatus | None = None,
        external_id: str | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
    ) -> list[RequestInfo]: ...

    async def search_links(self, *, external_id: str | None = None) -> list[LinkInfo]: ...


PROBE_ID = "tillqr-connection-test"  # an id no provider has: asking for it proves only that we may ask


async def expect_absent(call: Awaitable[object]) -> None:
    """Await ``call``, a read of something that does not exist: its 404 is the expected answer."""
    try:
        await call
    except ProviderNotFound:
        return


def _missing(provider: PaymentProvider, what: str) -> TypeError:
    return TypeError(f"{provider.name} has no {what}")


def linking(provider: PaymentProvider) -> LinkingProvider:
    """``provider`` as a LinkingProvider, once it claims STATIC_LINK; TypeError when it has no links."""
    if Capability.STATIC_LINK not in provider.capabilities or not isinstance(provider, LinkingProvider):
        raise _missing(provider, "static payment links")
    return provider


def updating(provider: PaymentProvider) -> UpdatingProvider:
    """``provider`` as an UpdatingProvider, once it claims AMOUNT_UPDATE; TypeError otherwise."""
    if Capability.AMOUNT_UPDATE not in provider.capabilities or not isinstance(provider, UpdatingProvider):
        raise _missing(provider, "amount updates")
    return provider


def bulk(provider: PaymentProvider) -> BulkProvider:
    """``provider`` as a BulkProvider, once it claims BULK_CREATE; TypeError otherwise."""
    if Capability.BULK_CREATE not in provider.capabilities or not isinstance(provider, BulkProvider):
        raise _missing(provider, "bulk creation")
    return provider


def searching(provider: PaymentProvider) -> SearchingProvider:
    """``provider`` as a SearchingProvider, once it claims SEARCH; TypeError otherwise."""
    if Capability.SEARCH not in provider.capabilities or not isinstance(provider, SearchingProvider):
        raise _missing(provider, "search")
    return provider
