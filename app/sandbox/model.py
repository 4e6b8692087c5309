"""The sandbox's records and values: its clock, the phases of a request, requests, links, stored answers, errors.

Plain data (``SimRequest``, ``SimLink``, ``StoredAnswer``, ``SandboxSettings``) and the small pure helpers every
simulated provider shares (``iso`` times, ``parse_amount``, body ``fingerprint``). What happens to them, by the clock
and by payments, is ``SandboxState``'s (``core.py``).
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from app.domain.money import Money, MoneyError

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class ManualClock:
    """A clock for tests: starts at ``start`` (default: now, UTC) and moves only when told."""

    def __init__(self, start: datetime | None = None):
        self._now = start or system_clock()
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")

    def __call__(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        self._now += timedelta(seconds=seconds)
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = when


def iso(when: datetime | None) -> str | None:
    """ISO 8601 in UTC with a 'Z', millisecond precision."""
    if when is None:
        return None
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Phase(str, enum.Enum):
    OPEN = "open"
    PROCESSING = "processing"
    SETTLED = "settled"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    FAILED = "failed"
    RETURNED = "returned"  # a settled payment sent back to the payer (only from SETTLED)


# A link holding a request in one of these is busy; only OPEN requests can be paid or linked.
BUSY_PHASES = frozenset({Phase.OPEN, Phase.PROCESSING})


class SandboxError(Exception):
    """An answer other than success; each provider module renders it in its own error shape."""

    def __init__(self, status: int, code: str, message: str, errors: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or []


@dataclass(frozen=True)
class SandboxSettings:
    location_host: str = "pix.sandbox.tillqr.dev"  # Pix locations: <host>/<provider short>/<kind>/<id>
    merchant_name: str = "TILLQR SANDBOX"
    merchant_city: str = "SAO PAULO"
    settle_delay_s: float = 0.0
    fault_hold_s: float = 60.0  # how long a "timeout" fault holds its answer


@dataclass
class SimRequest:
    id: str
    provider: str
    amount: Money
    reference: str
    created_at: datetime
    expires_at: datetime | None
    payload: str
    phase: Phase = Phase.OPEN
    paid: Money | None = None
    linked_to: str | None = None
    settle_at: datetime | None = None
    updated_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # the provider's own fields, echoed back
    owed: Callable[[datetime], Money] | None = None  # the amount owed at a time, where it depends on it
    fixed_amount: bool = False  # its QR carries the amount: paid in full or not at all
    revision: int = 0  # +1 on every change of amount, terms or phase (SandboxState bumps it)

    def __post_init__(self) -> None:
        if self.paid is None:
            self.paid = Money(0, self.amount.currency)
        if self.updated_at is None:
            self.updated_at = self.created_at

    @property
    def amount_paid(self) -> Money:
        assert self.paid is not None
        return self.paid


@dataclass
class SimLink:
    id: str
    provider: str
    url: str
    payload: str
    description: str
    created_at: datetime
    linked_request: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredAnswer:
    fingerprint: str
    status: int
    body: Any


_AMOUNT = re.compile(r"^\d{1,13}(\.\d+)?$")


def parse_amount(text: Any, currency: str, what: str = "amount") -> Money:
    """A strictly written positive decimal amount ("12.50") in ``currency``, or SandboxError 400."""
    if not isinstance(text, str) or not _AMOUNT.match(text):
        raise SandboxError(400, "INVALID_AMOUNT", f'{what} must be a decimal string like "12.50", not {text!r}')
    try:
        money = Money.from_decimal(Decimal(text), currency)
    except MoneyError as exc:
        raise SandboxError(400, "INVALID_AMOUNT", f"{what}: {exc}") from None
    if money.minor <= 0:
        raise SandboxError(400, "INVALID_AMOUNT", f"{what} must be more than zero")
    return money


def fingerprint(body: bytes) -> str:
    """The same JSON (whatever its spacing and key order) gives the same fingerprint."""
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


class BodyCheck:
    """The field errors found in a request body, in the order found (each provider words them in its error shape)."""

    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def bad(self, field: str, message: str) -> None:
        self.errors.append({"field": field, "message": message})

    def day(self, field: str, value: Any) -> date | None:
        """A calendar date written YYYY-MM-DD, or None with the error noted."""
        try:
            if isinstance(value, str) and len(value) == 10:
                return date.fromisoformat(value)
        except ValueError:
            pass
        self.bad(field, "must be a date written YYYY-MM-DD")
        return None
