"""Webhooks: what a merchant sets in a provider's dashboard, and the notifications the sandbox then sends.

``POST /_sandbox/webhooks {"provider", "url", "secret"}`` registers (or replaces) the receiver of one
provider's notifications; ``GET /_sandbox/webhooks`` → ``{"webhooks": [{"provider", "url", "signed"}],
"deliveries": [...]}`` lists the receivers (never their secrets) and every notification the sandbox sent
(its records, see ``depay_notify.py``: status, attempts, the receiver's answer). ``DELETE /_sandbox/webhooks``
forgets the receivers. Depay has no dashboard webhook: it notifies each order's ``notification_url``
(``depay_flow.py``), so registering one for it is refused (400).

- **Razorpay** (the events and payload shapes of its webhook docs): ``qr_code.credited`` for each captured
  payment of a QR (``{"entity": "event", "account_id", "event", "contains": ["payment", "qr_code"],
  "payload": {"payment": {"entity"}, "qr_code": {"entity"}}, "created_at"}``), ``qr_code.closed`` once the
  QR closes (paid, closed on demand, or past ``close_by``; ``contains: ["qr_code"]``). Each is signed:
  ``X-Razorpay-Signature`` is the hex HMAC-SHA256 of the raw body with the webhook secret, and
  ``X-Razorpay-Event-Id`` names the event (the same on every retry of it).
- **J.P. Morgan** status notifications: the seed names the service ("settled or returned ...; expired,
  cancelled or processing if you have subscribed") but neither a body nor a signing scheme, so the sandbox
  sends, unsigned, ``{"eventId", "eventType": "PAYMENT_REQUEST_STATUS_CHANGED", "createdAt",
  "paymentRequestId", "externalId", "status", "paidAmount"}`` for each new status other than ACTIVE (our
  choice; a receiver must treat it as a hint and read the request back). A secret, if given, is kept
  unused.

A notification is sent only while a receiver is registered; delivery (in order, retried) is the
``Notifier``'s. Requests are followed through the state's listeners from the first registration on.
"""

from __future__ import annotations

import hashlib
import hmac
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import jpmorgan_requests, razorpay_entities
from .core import SandboxState
from .depay_notify import Notifier, dumps
from .jpmorgan_body import STATUS_WORDS as JPM_WORDS
from .model import Phase, SandboxError, SimRequest, iso
from .razorpay_entities import authorized, new_id, payments_json, qr_json, unix
from .web import ExactJSON, json_object, sandbox_error

SIGNATURE_HEADER = "X-Razorpay-Signature"
EVENT_ID_HEADER = "X-Razorpay-Event-Id"
ACCOUNT_ID = "acc_TillQRSandbox01"
JPM_EVENT = "PAYMENT_REQUEST_STATUS_CHANGED"


@dataclass
class Receiver:
    provider: str
    url: str
    secret: str
    origin: str  # the sandbox's own origin, for the entities' URLs (a QR's image_url)


@dataclass
class Hooks:
    """One sandbox's webhook receivers and what was already notified."""

    receivers: dict[str, Receiver] = field(default_factory=dict)
    notifiers: dict[str, Notifier] = field(default_factory=dict)
    sent: set[tuple[str, str, str]] = field(default_factory=set)  # (provider, request id, what) already sent
    listening: bool = False


_HOOKS: weakref.WeakKeyDictionary[SandboxState, Hooks] = weakref.WeakKeyDictionary()


def hooks(state: SandboxState) -> Hooks:
    found = _HOOKS.get(state)
    if found is None:
        found = _HOOKS[state] = Hooks()
    return found


def sign(secret: str, body: bytes) -> str:
    """Razorpay's webhook signature: hex HMAC-SHA256 of the raw body with the webhook secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# -- what each provider sends --------------------------------------------------------------------------------
def _razorpay_event(state: SandboxState, receiver: Receiver, event: str, entities: dict[str, Any]) -> None:
    body: dict[str, Any] = {
        "entity": "event",
        "account_id": ACCOUNT_ID,
        "event": event,
        "contains": list(entities),
        "payload": {name: {"entity": entity} for name, entity in entities.items()},
        "created_at": unix(state.now()),
    }
    headers = {SIGNATURE_HEADER: sign(receiver.secret, dumps(body).encode()), EVENT_ID_HEADER: new_id("evt_")}
    _notifier(state, receiver.provider).send(receiver.url, body, event, headers)


def _razorpay(state: SandboxState, receiver: Receiver, req: SimRequest) -> None:
    sent = hooks(state).sent
    qr = None
    for payment in payments_json(state, req):
        key = (req.provider, req.id, payment["id"])
        stored = next(p for p in req.extra.get("payments", []) if p["id"] == payment["id"])
        if key in sent or authorized(state, stored):
            continue
        sent.add(key)
        qr = qr or qr_json(state, req, receiver.origin)
        _razorpay_event(state, receiver, "qr_code.credited", {"payment": payment, "qr_code": qr})
    key = (req.provider, req.id, "closed")
    if req.phase not in (Phase.OPEN, Phase.PROCESSING) and key not in sent:
        sent.add(key)
        _razorpay_event(state, receiver, "qr_code.closed", {"qr_code": qr_json(state, req, receiver.origin)})


def _jpmorgan(state: SandboxState, receiver: Receiver, req: SimRequest) -> None:
    word = JPM_WORDS[req.phase]
    key = (req.provider, req.id, word)
    if req.phase is Phase.OPEN or key in hooks(state).sent:
        return
    hooks(state).sent.add(key)
    body = {
        "eventId": new_id("evt"),
        "eventType": JPM_EVENT,
        "createdAt": iso(state.now()),
        "paymentRequestId": req.id,
        "externalId": req.extra.get("externalId"),
        "status": word,
        "paidAmount": str(req.amount_paid),
    }
    _notifier(state, receiver.provider).send(receiver.url, body, "status")


SENDERS: dict[str, Callable[[SandboxState, Receiver, SimRequest], None]] = {
    razorpay_entities.NAME: _razorpay,
    jpmorgan_requests.NAME: _jpmorgan,
}
SIGNED = frozenset({razorpay_entities.NAME})


def _notifier(state: SandboxState, provider: str) -> Notifier:
    found = hooks(state).notifiers
    if provider not in found:
        found[provider] = Notifier(state, provider)
    return found[provider]


def _on_change(state: SandboxState, req: SimRequest) -> None:
    receiver = hooks(state).receivers.get(req.provider)
    if receiver is not None:
        SENDERS[req.provider](state, receiver, req)


# -- routes --------------------------------------------------------------------------------------------------
async def register(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    try:
        _, body = await json_object(request)
        provider, url, secret = body.get("provider"), body.get("url"), body.get("secret", "")
        unknown = set(body) - {"provider", "url", "secret"}
        if unknown:
            raise SandboxError(400, "INVALID_REQUEST", f"unknown fields: {', '.join(sorted(unknown))}")
        if not isinstance(provider, str) or provider not in SENDERS or provider not in state.status_words:
            names = ", ".join(sorted(p for p in SENDERS if p in state.status_words))
            raise SandboxError(400, "INVALID_REQUEST", f"provider must be one with dashboard webhooks here: {names}")
        split = urlsplit(url) if isinstance(url, str) else None
        if split is None or split.scheme not in ("http", "https") or not split.hostname:
            raise SandboxError(400, "INVALID_REQUEST", "url must be an http(s) address")
        if not isinstance(secret, str) or (provider in SIGNED and not secret):
            raise SandboxError(400, "INVALID_REQUEST", f"{provider} signs its webhooks: give the secret")
    except SandboxError as exc:
        return sandbox_error(exc)
    found = hooks(state)
    origin = f"{request.url.scheme}://{request.url.netloc}"
    assert isinstance(url, str)  # checked above
    found.receivers[provider] = Receiver(provider, url, secret, origin)
    if not found.listening:
        state.listeners.append(lambda req: _on_change(state, req))
        found.listening = True
    return JSONResponse(_receiver_json(found.receivers[provider]))


def _receiver_json(receiver: Receiver) -> dict[str, Any]:
    return {"provider": receiver.provider, "url": receiver.url, "signed": receiver.provider in SIGNED}


async def listing(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    return ExactJSON(  # a Depay notification's amounts are Decimals
        {
            "webhooks": [_receiver_json(r) for r in hooks(state).receivers.values()],
            "deliveries": list(state.notifications),
        }
    )


async def forget(request: Request) -> Response:
    found = hooks(request.app.state.sandbox)
    dropped = len(found.receivers)
    found.receivers.clear()
    return JSONResponse({"dropped": dropped})
