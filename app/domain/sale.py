"""The sale and its state machine, in TillQR's own status words.

A sale has a *status* (what happened to the money) and is *closed* once its
request has been unlinked from the static payment link and nothing more is
expected of the provider. Status and closure are separate on purpose: a sale
can be SETTLED but not yet closed while the unlink is being retried.

    pending ──► linked ──► processing ──► settled ──► partially_refunded ──► refunded
       │          │            │             │            └──────────────────►┘
       │          │            │             └──► returned (the provider sent the payment back)
       └──────────┴────────────┴──► expired / cancelled / failed

Every move not in ``TRANSITIONS`` raises ``IllegalTransition``. The only moves out
of expired, cancelled and failed lead to settled: the provider's truth wins when
reconciliation finds a payment after the till had given up on the request (a link
call whose answer was lost, a cancel that raced the customer, a local expiry while
the provider was unreachable). A payment can be *returned* by the provider (J.P. Morgan's RETURNED):
from settled, or straight from an open status when the till never saw it settle (paid and returned
between two looks); returned is final.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import Enum

from app.i18n import LazyWords, lazy_, lazy_p

from .money import Money


class SaleStatus(str, Enum):
    PENDING = "pending"
    LINKED = "linked"
    PROCESSING = "processing"
    SETTLED = "settled"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    FAILED = "failed"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    RETURNED = "returned"  # a settled payment the provider sent back

    def __str__(self) -> str:
        return self.value

    @property
    def is_open(self) -> bool:
        """Still waiting for the customer or the provider."""
        return self in OPEN_STATUSES

    @property
    def is_final_for_checkout(self) -> bool:
        """Nothing more to wait for at the counter: the request can be unlinked."""
        return self not in OPEN_STATUSES

    @property
    def label(self) -> str:
        """The counter's words ("Waiting for payment"), in the store's language."""
        return _LABELS[self]

    @property
    def word(self) -> str:
        """The status's own word ("settled") as the command line's human output says it, in the store's
        language (the value itself, ``str(status)``, is what JSON and files carry)."""
        return _WORDS[self]


OPEN_STATUSES = frozenset({SaleStatus.PENDING, SaleStatus.LINKED, SaleStatus.PROCESSING})

# the counter's words for a status, in the store's language when shown
_LABELS = LazyWords(
    {
        SaleStatus.PENDING: lazy_("Starting…"),
        SaleStatus.LINKED: lazy_("Waiting for payment"),
        SaleStatus.PROCESSING: lazy_("Payment processing"),
        SaleStatus.SETTLED: lazy_("PAID"),
        SaleStatus.EXPIRED: lazy_("Expired"),
        SaleStatus.CANCELLED: lazy_("Cancelled"),
        SaleStatus.FAILED: lazy_("Failed"),
        SaleStatus.REFUNDED: lazy_("Refunded"),
        SaleStatus.PARTIALLY_REFUNDED: lazy_("Partially refunded"),
        SaleStatus.RETURNED: lazy_("Returned"),
    }
)

# TillQR's own status words (the values), for people: a context keeps "settled" the status apart
_WORDS = LazyWords(
    {
        SaleStatus.PENDING: lazy_p("status", "pending"),
        SaleStatus.LINKED: lazy_p("status", "linked"),
        SaleStatus.PROCESSING: lazy_p("status", "processing"),
        SaleStatus.SETTLED: lazy_p("status", "settled"),
        SaleStatus.EXPIRED: lazy_p("status", "expired"),
        SaleStatus.CANCELLED: lazy_p("status", "cancelled"),
        SaleStatus.FAILED: lazy_p("status", "failed"),
        SaleStatus.REFUNDED: lazy_p("status", "refunded"),
        SaleStatus.PARTIALLY_REFUNDED: lazy_p("status", "partially_refunded"),
        SaleStatus.RETURNED: lazy_p("status", "returned"),
    }
)

S = SaleStatus
TRANSITIONS: dict[SaleStatus, frozenset[SaleStatus]] = {
    # pending → settled/processing: found by recover() when the app died between link and journal.
    # open → returned: paid and sent back before the till saw it settle
    S.PENDING: frozenset({S.LINKED, S.PROCESSING, S.SETTLED, S.EXPIRED, S.CANCELLED, S.FAILED, S.RETURNED}),
    S.LINKED: frozenset({S.PROCESSING, S.SETTLED, S.EXPIRED, S.CANCELLED, S.FAILED, S.RETURNED}),
    # processing → linked: the payment under way failed (e.g. an authorization that was not captured)
    S.PROCESSING: frozenset({S.LINKED, S.SETTLED, S.EXPIRED, S.CANCELLED, S.FAILED, S.RETURNED}),
    S.SETTLED: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED, S.RETURNED}),
    S.PARTIALLY_REFUNDED: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED}),
    # a payment found at reconciliation after the till had ended the sale itself
    S.EXPIRED: frozenset({S.SETTLED}),
    S.CANCELLED: frozenset({S.SETTLED}),
    S.FAILED: frozenset({S.SETTLED}),
    S.REFUNDED: frozenset(),
    S.RETURNED: frozenset(),
}


class IllegalTransition(Exception):
    def __init__(self, old: SaleStatus, new: SaleStatus):
        super().__init__(f"a sale cannot go from {old.value} to {new.value}")
        self.old, self.new = old, new


def can_transition(old: SaleStatus, new: SaleStatus) -> bool:
    return new in TRANSITIONS[old]


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_sale_id() -> str:
    # 32 hex chars: a valid client-assigned J.P. Morgan payment request id and idempotency key.
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Sale:
    """An immutable snapshot of one sale; every change makes a new one."""

    sale_id: str
    amount: Money
    provider: str
    reference: str = ""
    status: SaleStatus = SaleStatus.PENDING
    request_id: str | None = None
    link_id: str | None = None
    payload: str | None = None
    expires_at: datetime | None = None
    amount_received: Money | None = None
    amount_refunded: Money | None = None
    amount_due: Money | None = None  # what settled a due-date charge that day (fine, discounts…); else amount
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    closed_at: datetime | None = None
    unlinked: bool = False
    reason: str = ""
    cashier_id: int | None = None  # who rang it up (cashiers by name; None in a one-person shop)
    cashier: str = ""  # their name at that time (kept when they are renamed or leave)

    def __post_init__(self) -> None:
        for name in ("amount_received", "amount_refunded"):  # "nothing yet" is zero, never None
            if getattr(self, name) is None:
                object.__setattr__(self, name, Money(0, self.amount.currency))

    @classmethod
    def new(
        cls,
        amount: Money,
        provider: str,
        reference: str = "",
        link_id: str | None = None,
        *,
        cashier_id: int | None = None,
        cashier: str = "",
    ) -> Sale:
        now = utcnow()
        return cls(
            sale_id=new_sale_id(),
            amount=amount,
            provider=provider,
            reference=reference,
            link_id=link_id,
            created_at=now,
            updated_at=now,
            cashier_id=cashier_id,
            cashier=cashier,
        )

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @property
    def received(self) -> Money:
        assert self.amount_received is not None
        return self.amount_received

    @property
    def refunded(self) -> Money:
        assert self.amount_refunded is not None
        return self.amount_refunded

    @property
    def overpaid(self) -> Money:
        """What was received beyond what the sale keeps, to be refunded: beyond the amount due for a paid
        sale, everything received for one that ended unpaid (a partial payment before expiry)."""
        if self.status in (SaleStatus.EXPIRED, SaleStatus.CANCELLED, SaleStatus.FAILED):
            return self.received
        due = self.amount_due or self.amount
        return Money(max(0, self.received.minor - due.minor), self.amount.currency)

    @property
    def refundable(self) -> Money:
        return Money(max(0, self.received.minor - self.refunded.minor), self.amount.currency)

    def move(self, new: SaleStatus, *, reason: str = "", **changes) -> Sale:
        """The sale in status ``new``; raises IllegalTransition for a move the machine forbids."""
        if new != self.status and not can_transition(self.status, new):
            raise IllegalTransition(self.status, new)
        return replace(self, status=new, updated_at=utcnow(), reason=reason or self.reason, **changes)

    def with_(self, **changes) -> Sale:
        return replace(self, updated_at=utcnow(), **changes)

    def idempotency_key(self, action: str) -> str:
        """The key every provider call for ``action`` on this sale carries: a retry is the same call."""
        return self.sale_id if action == "create" else f"{self.sale_id}-{action}"
