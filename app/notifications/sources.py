"""What each provider's notification says, and how far it is trusted.

- **Razorpay** webhooks (``qr_code.credited``, ``qr_code.closed``; seed ``razorpay-qr-codes.txt`` names the
  webhook signature): signed. ``X-Razorpay-Signature`` is the hex HMAC-SHA256 of the raw body with the webhook
  secret (the keyring's ``razorpay`` / ``webhook_secret``), compared in constant time; ``X-Razorpay-Event-Id``
  names the event for replays. The request is ``payload.qr_code.entity.id``; other events (``payment.*``)
  are taken and ignored.
- **Depay** (seed ``depay-pos-qr.txt``): the creation callback, the payment, expiration and refund
  notifications POSTed to the order's ``notification_url``, with no signature and no event id. The request is
  ``order_id``; a replay is the same body again.
- **J.P. Morgan** status notifications (seed ``jpmorgan-request-to-pay-qr.txt`` names the service, neither a
  body nor a signature): what TillQR's sandbox sends, ``{"eventId", "eventType", "paymentRequestId",
  "status", ...}``; unsigned.

An unsigned notification is only acted on for a request this till follows, and only as a hint: the watcher
reads the status back from the provider, never from the body.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from app.domain.jsontypes import JsonObject

RAZORPAY_DIGITS = 2  # Razorpay's amounts are integer paise (its QR codes take rupees only)
MAX_ID = 200  # longer than any provider's ids; a longer one is not an id


class BadNotice(ValueError):
    """A body that is JSON but not this provider's notification (answered 400)."""


@dataclass(frozen=True)
class Notice:
    request_id: str  # the provider's id of the payment request (what the watchers subscribe to)
    event_id: str | None  # the provider's id of this event, when it gives one (replays)
    what: str  # the provider's event or status word, for the log (and the back office's relay)
    amount: Decimal | None = None  # what the body says was paid, in major units, when it says (a hint only)


# (the parsed body, the request's headers) -> the notice, or None for an event TillQR does not follow
Parser = Callable[[JsonObject, Mapping[str, str]], Notice | None]


@dataclass(frozen=True)
class Source:
    name: str  # the provider, as in the route and the keyring
    parse: Parser
    signature_header: str = ""  # "" = the provider does not sign

    @property
    def signed(self) -> bool:
        return bool(self.signature_header)


def signature(secret: str, body: bytes) -> str:
    """Razorpay's: hex HMAC-SHA256 of the raw body with the webhook secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, given: str) -> bool:
    """Constant-time comparison of ``given`` (the header) with the body's signature."""
    return hmac.compare_digest(signature(secret, body).encode(), given.strip().lower().encode("ascii", "replace"))


def _id(value: object, what: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_ID or not value.isprintable():
        raise BadNotice(f"{what} is missing or is not an id")
    return value


def _word(value: object) -> str:
    return value[:40] if isinstance(value, str) else "?"


def _amount(value: object, scale: int = 0) -> Decimal | None:
    """A decimal string (or integer minor units, ``scale`` digits) as an exact amount; None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, str | int) or (isinstance(value, str) and len(value) > 30):
        return None
    try:
        amount = Decimal(value).scaleb(-scale)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def _object(value: object, what: str) -> JsonObject:
    if not isinstance(value, dict):
        raise BadNotice(f"{what} is missing or is not an object")
    return value


def _razorpay(body: JsonObject, headers: Mapping[str, str]) -> Notice | None:
    event = body.get("event")
    if not isinstance(event, str):
        raise BadNotice("event is missing")
    if not event.startswith("qr_code."):
        return None
    qr = _object(_object(_object(body.get("payload"), "payload").get("qr_code"), "qr_code").get("entity"), "entity")
    event_id = headers.get("x-razorpay-event-id")
    return Notice(
        _id(qr.get("id"), "payload.qr_code.entity.id"),
        _id(event_id, "event id") if event_id else None,
        event,
        _amount(qr.get("payments_amount_received"), RAZORPAY_DIGITS),
    )


def _depay(body: JsonObject, headers: Mapping[str, str]) -> Notice | None:
    status = body.get("status", body.get("order_status"))
    return Notice(_id(body.get("order_id"), "order_id"), None, f"{_word(body.get('type', 'CREATION'))} {_word(status)}")


def _jpmorgan(body: JsonObject, headers: Mapping[str, str]) -> Notice | None:
    event_id = body.get("eventId")
    return Notice(
        _id(body.get("paymentRequestId"), "paymentRequestId"),
        _id(event_id, "eventId") if event_id is not None else None,
        _word(body.get("status")),
        _amount(body.get("paidAmount")),
    )


RAZORPAY = Source("razorpay", _razorpay, signature_header="x-razorpay-signature")
DEPAY = Source("depay", _depay)
JPMORGAN = Source("jpmorgan", _jpmorgan)
SOURCES: tuple[Source, ...] = (RAZORPAY, DEPAY, JPMORGAN)
BY_NAME: dict[str, Source] = {source.name: source for source in SOURCES}
SECRET_KEY = "webhook_secret"  # the keyring entry of a signing provider's webhook secret
