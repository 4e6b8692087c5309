"""Depay orders in the sandbox: status history, stage rules, refunds and the notifications they cause.

``depay.py`` holds the HTTP side (routes, validation, bodies); this module holds
what happens to an order over time. A Depay order is a core ``SimRequest``
(provider ``"depay"``) whose ``extra`` carries Depay's own fields and:

- ``statuses``: the documented history ``[{"status", "created_at"}]``; the
  order's current ``status`` is its last entry. It follows the core phase
  (``on_change``, a state listener):

  ======================  =====================================================
  created                 CREATED
  a payment attempt       WAITING_AMOUNT (scanned)
  paid in full            PROCESSING, then COMPLETED (at once, or after the
                          sandbox's ``settle_delay_s``)
  stage rule "ends in 9"  WAITING_AMOUNT, PROCESSING, FAILED
  stage rule "ends in 8"  CANCELED ("CREATED then CANCELED": the preview was
                          not accepted)
  10 minutes unpaid       CANCELED (expired)
  DELETE                  CANCELED
  each refund             its own steps, see below
  ======================  =====================================================

- ``refunds``: ``[{"id", "amount", "number", "partial", "reason", "status",
  "notification_url", "created_at", "debit_at", "settle_at"}]``.

Refunds follow the seed's refund status table, where only REFUNDED is final and
PARTIALLY_REFUNDED is "the funds have been deducted from the merchant, but the
refund to the customer is not yet complete". Each refund, full or partial, goes

  PENDING  →  PARTIALLY_REFUNDED (at ``debit_at``)  →  REFUNDED (at ``settle_at``)
  PENDING  →  REJECTED (at ``settle_at``; an amount ending in 9, nothing is taken)

with ``debit_at`` / ``settle_at`` half / all of the sandbox's ``settle_delay_s`` after
the refund starts (both at once by default). An order's refunds run one after
another (a refund starts when the one before it has ended), so each step of each
refund is written to the order's ``statuses`` history in turn, in the refund's own
words, and notified (PARTIALLY_REFUNDED and REFUNDED ``"Refund DEVUELTA"``, the seed's
two example bodies; REJECTED ``"Refund RECHAZADA"``). The order's own ``status`` stays
in the words of the order status table: COMPLETED until a refund has taken money,
then PARTIALLY_REFUNDED ("the order was partially refunded") until refunds that
*completed* cover the whole amount, then REFUNDED — so after refund steps it is not
the history's last entry (``status_of``). That the history lists refund steps is a
sandbox choice (the seed shows no refunded order's history); Depay documents no
refund look-up, and this is what lets a client tell one refund's outcome from the
order (``app/providers/depay.py``).

Stage rules (seed: "the final digit of the amount determines the simulated
response"): applied when the customer pays through ``/_sandbox/pay`` — the
moment a real wallet would authorize — through the core's ``pay_rules``. The
digit is the last one of the amount as Depay received it, written as a JSON
number is read (``12.50`` is ``12.5``: ends in 5; ``1009`` ends in 9).
Refunds get the same kind of rule (a sandbox choice, so a rejection can be shown):
a refund whose amount ends in 9 is REJECTED.

Notifications (to the order's ``notification_url``; a refund's to its own
``notification_url``, else the order's): the creation callback, the payment
notification (COMPLETED), the expiration notification, a PAYMENT notification
for FAILED and for the stage rule's CANCELED (their messages follow the documented
pattern ``"New payment status: <status>. <reason>"`` — a sandbox choice), and one
REFUND notification per refund step (PARTIALLY_REFUNDED, REFUNDED, REJECTED). A
merchant's DELETE is answered, not notified.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from app.domain.money import Money

from .core import SandboxState
from .depay_notify import Notifier
from .model import Phase, SimRequest

NAME = "depay"
EXPIRY = timedelta(minutes=10)
# The customer the sandbox pretends to be, in payment notifications (the seed's example values).
PAYER_TAX_ID = "304658985"
PAYER_ACCOUNT = "31111111111111111112"

_NOTIFIERS: weakref.WeakKeyDictionary[SandboxState, Notifier] = weakref.WeakKeyDictionary()


def notifier(state: SandboxState) -> Notifier:
    found = _NOTIFIERS.get(state)
    if found is None:
        found = _NOTIFIERS[state] = Notifier(state, NAME)
    return found


# -- formats -------------------------------------------------------------------------
def dotnet_time(when: datetime) -> str:
    """``2023-05-15T11:45:38.2678234+00:00``: the documented creation_date/update_date form (7 decimals)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0+00:00"


def history_time(when: datetime) -> str:
    """``2024-11-01 20:01:30.948423``: the documented form of a history entry (UTC, no zone)."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def number_text(value: Decimal | int) -> str:
    """A JSON number as a JavaScript service reads it back: no trailing fractional zeros."""
    text = format(Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def last_digit(value: Decimal | int) -> str:
    return number_text(value)[-1]


# -- history -------------------------------------------------------------------------
REFUND_STEPS = ("PARTIALLY_REFUNDED", "REFUNDED", "REJECTED")  # a refund's words in the history


def status_of(req: SimRequest) -> str:
    """The order's ``status``: its payment's last step, or how far refunds have taken it (module doc)."""
    refunds = req.extra.get("refunds", [])
    if any(r["status"] in ("PARTIALLY_REFUNDED", "REFUNDED") for r in refunds):
        done = refunded(req, counting_pending=False)
        return "REFUNDED" if done.minor >= req.amount.minor else "PARTIALLY_REFUNDED"
    words = [entry["status"] for entry in req.extra["statuses"]]
    if refunds:  # only a rejected refund so far: it left the order as it was
        words = [w for w in words if w not in REFUND_STEPS]
    return words[-1]


def _add(state: SandboxState, req: SimRequest, *words: str) -> None:
    for word in words:
        if status_of(req) != word:
            req.extra["statuses"].append({"status": word, "created_at": history_time(state.now())})
    req.updated_at = state.now()


def payment_notice(req: SimRequest, status: str, message: str, payer: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "order_id": req.id,
        "type": "PAYMENT",
        "status": status,
        "message": message,
        "external_reference": req.reference,
    }
    if payer:
        body.update(user_tax_id=PAYER_TAX_ID, user_account=PAYER_ACCOUNT)
    return body


def creation_callback(req: SimRequest) -> dict[str, Any]:
    x = req.extra
    return {
        "order_id": req.id,
        "external_reference": req.reference,
        "order_status": "CREATED",
        "local_amount": x["local_amount"],
        "local_currency": x["local_currency"],
        "user_amount": x["user_amount"],
        "user_currency": x["user_currency"],
        "exchange_rate": x["exchange_rate"],
        "qr_code": req.payload,
    }


def _notify(state: SandboxState, url: str | None, body: dict[str, Any], kind: str) -> None:
    if url:
        notifier(state).send(url, body, kind)


def on_change(state: SandboxState, req: SimRequest) -> None:
    """A state listener: bring the history in line with the phase, and notify what the seed says."""
    if req.provider != NAME or "statuses" not in req.extra:
        return
    url = req.extra.get("notification_url")
    current = status_of(req)
    if req.phase is Phase.OPEN:
        if req.amount_paid.minor > 0:
            _add(state, req, "WAITING_AMOUNT")
    elif req.phase is Phase.PROCESSING:
        _add(state, req, "WAITING_AMOUNT", "PROCESSING")
        if req.settle_at is not None:
            wake_at(state, req, req.settle_at)  # COMPLETED (and notified) even if nobody asks
    elif req.phase is Phase.SETTLED and current not in ("COMPLETED", "REFUNDED", "PARTIALLY_REFUNDED"):
        if current == "CREATED":
            _add(state, req, "WAITING_AMOUNT")
        _add(state, req, "PROCESSING", "COMPLETED")
        _notify(state, url, payment_notice(req, "COMPLETED", "Payment acreditado", payer=True), "payment")
    elif req.phase is Phase.FAILED and current != "FAILED":
        _add(state, req, "WAITING_AMOUNT", "PROCESSING", "FAILED")
        _notify(state, url, payment_notice(req, "FAILED", "New payment status: failed. Unexpected error"), "payment")
    elif req.phase is Phase.EXPIRED and current != "CANCELED":
        _add(state, req, "CANCELED")
        _notify(
            state, url, payment_notice(req, "CANCELED", "New payment status: canceled. Order Expired"), "expiration"
        )
    elif req.phase is Phase.CANCELLED and current != "CANCELED":
        _add(state, req, "CANCELED")
        if req.extra.get("cancel_reason") == "preview":
            _notify(
                state,
                url,
                payment_notice(req, "CANCELED", "New payment status: canceled. Preview not accepted"),
                "payment",
            )


def stage_rule(req: SimRequest) -> Phase | None:
    """The documented stage rules, applied to a payment attempt (core ``pay_rules``)."""
    digit = last_digit(req.extra["local_amount"])
    if digit == "9":
        return Phase.FAILED
    if digit == "8":
        req.extra["cancel_reason"] = "preview"
        return Phase.CANCELLED
    return None


def setup(state: SandboxState) -> None:
    """Plugged into each new sandbox state by ``create_app`` (``SandboxProvider.setup``)."""
    state.listeners.append(lambda req: on_change(state, req))
    state.pay_rules[NAME] = stage_rule
    notifier(state)


def wake_at(state: SandboxState, req: SimRequest, when: datetime) -> None:
    """Look at ``req`` again when ``when`` comes (by the real clock), so its expiry or refund is
    applied and notified even if nobody reads it. With a manual clock this may fire late or
    never: tests read the order (or ``advance`` the sandbox) instead."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    delay = max(0.0, (when - state.now()).total_seconds()) + 0.05
    loop.call_later(delay, lambda: refresh(state, req.id))


def refresh(state: SandboxState, order_id: str) -> SimRequest | None:
    """The order as of now: core expiry/settlement, then refunds that are due."""
    req = state.request(NAME, order_id)
    if req is not None:
        settle_refunds(state, req)
    return req


# -- refunds ---------------------------------------------------------------------------
def refunded(req: SimRequest, *, counting_pending: bool) -> Money:
    """What completed refunds gave back; with ``counting_pending``, also what refunds under way will."""
    total = Money(0, req.amount.currency)
    for refund in req.extra["refunds"]:
        if refund["status"] == "REFUNDED" or (
            counting_pending and refund["status"] in ("PENDING", "PARTIALLY_REFUNDED")
        ):
            total = total + refund["amount"]
    return total


def add_refund(
    state: SandboxState,
    req: SimRequest,
    amount: Money,
    number: Decimal | int,
    partial: bool,
    reason: str,
    url: str | None,
) -> dict[str, Any]:
    """A new PENDING refund, starting when the order's previous refund has ended (see the module doc)."""
    now = state.now()
    delay = timedelta(seconds=state.settings.settle_delay_s)
    under_way = [r["settle_at"] for r in req.extra["refunds"] if r["status"] in ("PENDING", "PARTIALLY_REFUNDED")]
    start = max([now, *under_way])
    refund = {
        "id": str(uuid.uuid4()),
        "amount": amount,
        "number": number,
        "partial": partial,
        "reason": reason,
        "status": "PENDING",
        "notification_url": url,
        "created_at": now,
        "debit_at": start + delay / 2,
        "settle_at": start + delay,
    }
    req.extra["refunds"].append(refund)
    if refund["settle_at"] > now:
        wake_at(state, req, refund["debit_at"])
        wake_at(state, req, refund["settle_at"])
    return refund


def _refund_step(state: SandboxState, req: SimRequest, refund: dict[str, Any], word: str, message: str) -> None:
    now = state.now()
    refund["status"] = word
    req.extra["statuses"].append({"status": word, "created_at": history_time(now)})
    req.updated_at = now
    body = {
        "order_id": req.id,
        "type": "REFUND",
        "status": word,
        "message": message,
        "external_reference": req.reference,
    }
    _notify(state, refund["notification_url"] or req.extra.get("notification_url"), body, "refund")
    state.changed(req)


def settle_refunds(state: SandboxState, req: SimRequest) -> None:
    """Take each refund as far as its time has come, in order: PARTIALLY_REFUNDED, then REFUNDED or REJECTED."""
    now = state.now()
    for refund in req.extra.get("refunds", []):
        if refund["status"] == "PENDING" and last_digit(refund["number"]) == "9":
            if now < refund["settle_at"]:
                return
            _refund_step(state, req, refund, "REJECTED", "Refund RECHAZADA")
            continue
        if refund["status"] == "PENDING":
            if now < refund["debit_at"]:
                return
            _refund_step(state, req, refund, "PARTIALLY_REFUNDED", "Refund DEVUELTA")
        if refund["status"] == "PARTIALLY_REFUNDED":
            if now < refund["settle_at"]:
                return  # the next refund starts only when this one has ended
            _refund_step(state, req, refund, "REFUNDED", "Refund DEVUELTA")


__all__ = [
    "NAME",
    "EXPIRY",
    "setup",
    "refresh",
    "on_change",
    "stage_rule",
    "add_refund",
    "settle_refunds",
    "status_of",
    "creation_callback",
    "dotnet_time",
    "history_time",
    "number_text",
    "last_digit",
    "notifier",
    "wake_at",
    "refunded",
    "REFUND_STEPS",
]
