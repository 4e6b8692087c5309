"""Razorpay's QR Code and payment entities, as the sandbox keeps and answers them (routes: ``razorpay.py``).

- a QR Code is a ``SimRequest`` whose ``extra["qr"]`` holds what was asked (name, usage, type, description,
  customer_id, close_by, notes); ``qr_json`` answers it as Razorpay's QR Code entity, its status and
  ``close_reason`` read from the request's phase, its image the ``upi://pay`` link of ``upi_link``;
- payments: core's ``pay`` keeps a total only; ``track`` (the provider's setup hook) and every read make one
  payment entity of whatever was paid since the last one, with the time it is captured at
  (``settle_delay_s``; see ``razorpay.py``'s docstring): ``payments_json`` answers them as they stand now.
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from app.domain.money import Money

from .core import SandboxState
from .model import Phase, SimRequest

NAME = "razorpay"
PREFIX = "/razorpay"
STATUS_WORDS = {
    Phase.OPEN: "active",
    Phase.PROCESSING: "active",
    Phase.SETTLED: "closed",
    Phase.EXPIRED: "closed",
    Phase.CANCELLED: "closed",
    Phase.FAILED: "closed",
}
PAYEE_ADDRESS = "tillqr.sandbox@razorpay"
_ALNUM = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    """A Razorpay-like id: ``prefix`` and 14 letters or digits."""
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(14))


def unix(when: datetime) -> int:
    return int(when.timestamp())


# -- payments ---------------------------------------------------------------------
def track(state: SandboxState) -> None:
    """(The provider's setup hook.) Record each payment as it happens; reads also catch up (``sync``)."""
    state.listeners.append(lambda req: sync(state, req) if req.provider == NAME else None)


def sync(state: SandboxState, req: SimRequest) -> None:
    """One payment entity for whatever was paid since the last one (core's ``pay`` keeps a total only),
    with the time it is captured at (``_captured_at``, kept out of the answers; None: at once)."""
    payments: list[dict[str, Any]] = req.extra.setdefault("payments", [])
    new = req.amount_paid.minor - sum(p["amount"] for p in payments)
    if new <= 0:
        return
    delay = state.settings.settle_delay_s
    if req.phase is Phase.PROCESSING and req.settle_at is not None:
        captured_at = req.settle_at  # the payment that completes it: captured as it settles
    elif delay > 0 and req.phase is Phase.OPEN:
        captured_at = (req.updated_at or state.now()) + timedelta(seconds=delay)  # a part payment
    else:
        captured_at = None
    payments.append(
        {
            "id": new_id("pay_"),
            "entity": "payment",
            "amount": new,
            "currency": "INR",
            "status": "captured",
            "order_id": None,
            "invoice_id": None,
            "international": False,
            "method": "upi",
            "amount_refunded": 0,
            "refund_status": None,
            "captured": True,
            "description": "QRv2 Payment",
            "card_id": None,
            "bank": None,
            "wallet": None,
            "vpa": "customer@okhdfcbank",
            "email": "customer@example.com",
            "contact": "+919000090000",
            "customer_id": req.extra["qr"].get("customer_id"),
            "notes": [],
            "fee": 0,
            "tax": 0,
            **dict.fromkeys(("error_code", "error_description", "error_source", "error_step", "error_reason")),
            "acquirer_data": {"rrn": "".join(secrets.choice(string.digits) for _ in range(12))},
            "created_at": unix(req.updated_at or state.now()),
            "_captured_at": captured_at,
        }
    )


def authorized(state: SandboxState, payment: dict[str, Any]) -> bool:
    captured_at = payment.get("_captured_at")
    return captured_at is not None and state.now() < captured_at


def payments_json(state: SandboxState, req: SimRequest) -> list[dict[str, Any]]:
    """The payment entities of ``req`` as they stand now: authorized until captured."""
    sync(state, req)
    payments = []
    for stored in req.extra.get("payments", []):
        payment = {k: v for k, v in stored.items() if not k.startswith("_")}
        if authorized(state, stored):
            payment.update(status="authorized", captured=False)
        payments.append(payment)
    return payments


# -- the QR Code entity -------------------------------------------------------------
def upi_link(state: SandboxState, qr_id: str, amount: Money, note: str) -> str:
    query = {
        "pa": PAYEE_ADDRESS,
        "pn": state.settings.merchant_name,
        "am": str(amount),
        "cu": "INR",
        "tr": qr_id,
        "tn": note,
    }
    return "upi://pay?" + urlencode(query, safe="@", quote_via=quote)


def image_path(qr_id: str) -> str:
    return f"{PREFIX}/qr/{qr_id}.png"


def qr_json(state: SandboxState, req: SimRequest, origin: str) -> dict[str, Any]:
    qr = req.extra["qr"]
    captured = [p for p in payments_json(state, req) if p["captured"]]
    closed_at = reason = None
    if req.phase is Phase.SETTLED:
        closed_at, reason = unix(req.updated_at or req.created_at), "paid"
    elif req.phase is Phase.CANCELLED:
        closed_at, reason = unix(req.updated_at or req.created_at), "on_demand"
    elif req.phase is Phase.EXPIRED:
        closed_at = unix(req.expires_at or req.created_at)
    return {
        "id": req.id,
        "entity": "qr_code",
        "created_at": unix(req.created_at),
        "name": qr.get("name"),
        "usage": qr["usage"],
        "type": qr["type"],
        "image_url": origin + image_path(req.id),
        "payment_amount": req.amount.minor,
        "status": STATUS_WORDS[req.phase],
        "description": qr.get("description"),
        "fixed_amount": qr["fixed_amount"],
        "payments_amount_received": sum(p["amount"] for p in captured),
        "payments_count_received": len(captured),
        "notes": qr.get("notes") or [],
        "customer_id": qr.get("customer_id"),
        "close_by": qr.get("close_by"),
        "closed_at": closed_at,
        "close_reason": reason,
    }
