"""The retry policy: which provider calls are tried again, how often, with what waits, for how long.

This is the one place that decides it. The provider HTTP layer (``app.providers.http``) retries
one call with ``PROVIDER_CALL``; the checkout closes a sale with ``CLOSE`` (and ``CLOSE_AT_RECOVERY``
while ``recover()`` walks the journal), and asks again about sales in doubt with ``IN_DOUBT``.
It lives beside ``app.i18n`` on the bottom floor because both the client layer and the checkout
use it; it imports nothing from ``app``.

Which calls (``Idempotency``):

=================  =============================================  ================================
kind               examples                                        retried after
=================  =============================================  ================================
``READ``           GET a request, a link; ping                     unavailable, unreadable answer
``KEYED``          create, link, unlink, cancel, refund — every    unavailable (the call may have
                   call carrying an idempotency key                 happened: the key makes the
                                                                    repeat the same call)
``UNSAFE``         a change without a key                          never
=================  =============================================  ================================

A refusal (4xx: auth, not found, conflict, invalid) is never retried: asking again gets the same
answer. Failures say which kind they are with a ``failure`` attribute (``Failure``); the provider
errors in ``app.providers.base`` carry it.

How often (``RetryPolicy``): attempt ``n`` (from 1) is followed by a wait of
``min(max_s, base_s · 2^(n-1))`` with jitter — ``FULL``: uniform in [0, that] (spreads many tills
hitting one provider), ``EQUAL``: half of it plus uniform in [0, half] (never retries at once) —
or the server's ``Retry-After`` when it sends one, capped by ``max_s``. It stops after
``max_attempts`` (``None``: no limit) or when the next wait would end past ``deadline_s`` from the
first attempt (``None``: no deadline), and then raises the last failure.

Time is injected: ``Timer`` gives ``now()`` (monotonic seconds) and ``sleep()``, so tests run a
policy of minutes in microseconds with ``FakeTimer``; random draws come from an injected ``Random``.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

log = logging.getLogger("tillqr.retry")

T = TypeVar("T")


class Idempotency(enum.Enum):
    READ = "read"
    KEYED = "keyed"
    UNSAFE = "unsafe"


class Failure(enum.Enum):
    UNAVAILABLE = "unavailable"  # no answer, a timeout, a 5xx or 429: the call may or may not have happened
    UNREADABLE = "unreadable"  # an answer that could not be understood
    REFUSED = "refused"  # a 4xx: the same call gets the same answer


RETRIED: dict[Idempotency, frozenset[Failure]] = {
    Idempotency.READ: frozenset({Failure.UNAVAILABLE, Failure.UNREADABLE}),
    Idempotency.KEYED: frozenset({Failure.UNAVAILABLE}),
    Idempotency.UNSAFE: frozenset(),
}


class Jitter(enum.Enum):
    NONE = "none"
    FULL = "full"
    EQUAL = "equal"


def failure_of(exc: BaseException) -> Failure | None:
    """What kind of failure ``exc`` is (None: not a call's failure, e.g. a bug: never retried)."""
    found = getattr(exc, "failure", None)
    return found if isinstance(found, Failure) else None


class Timer(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemTimer:
    """The real clock: ``time.monotonic`` and ``asyncio.sleep``."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class FakeTimer:
    """A clock that only moves when slept on (tests): every sleep returns at once, ``now`` advanced."""

    def __init__(self, start: float = 0.0) -> None:
        self.t = start
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += max(0.0, seconds)
        await asyncio.sleep(0)


SYSTEM_TIMER = SystemTimer()


@dataclass(frozen=True)
class RetryPolicy:
    name: str
    max_attempts: int | None
    base_s: float
    max_s: float
    deadline_s: float | None
    jitter: Jitter = Jitter.FULL
    every_failure: bool = False  # closing: a refusal or a garbled answer may pass too (an outage)

    def __post_init__(self) -> None:
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError(f"{self.name}: max_attempts must be at least 1 (None: no limit)")
        if self.base_s < 0 or self.max_s < 0 or (self.deadline_s is not None and self.deadline_s <= 0):
            raise ValueError(f"{self.name}: waits must not be negative, a deadline must be positive")

    def with_attempts(self, max_attempts: int | None) -> RetryPolicy:
        """This policy with another number of attempts (1: tried once, never again)."""
        return replace(self, max_attempts=max_attempts)

    def gives_up_after(self, attempt: int) -> bool:
        """Whether failed attempt ``attempt`` (1-based) is the last one ``max_attempts`` allows (the
        deadline aside). What a provider's own protocol loop asks; ``retrying`` asks it too."""
        return self.max_attempts is not None and attempt >= self.max_attempts

    def retries(self, exc: BaseException, kind: Idempotency) -> bool:
        failure = failure_of(exc)
        if failure is None:
            return False
        return self.every_failure or failure in RETRIED[kind]

    def wait(self, attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
        """How long to wait after failed attempt ``attempt`` (1-based)."""
        if retry_after is not None and retry_after >= 0:
            return min(self.max_s, retry_after)
        ceiling = min(self.max_s, self.base_s * 2 ** min(attempt - 1, 30))
        if self.jitter is Jitter.FULL:
            return rng.uniform(0, ceiling)
        if self.jitter is Jitter.EQUAL:
            return ceiling / 2 + rng.uniform(0, ceiling / 2)
        return ceiling


# -- the policies, written down ---------------------------------------------------------------
#: One HTTP call to a provider (app.providers.http): three tries within 20 s. ``ProviderHttp`` holds
#: it to its ``HttpTimeouts.deadline`` too (20 s by default; shorter timeouts, a shorter deadline).
#: A provider's own protocol loop around one action (Depay's create with a fresh reference after a
#: lost attempt, its cancel until the order says so; Razorpay's create and its QR image) counts its
#: tries and waits with the same policy, its client's (``ProviderHttp.policy`` and ``.pause``).
PROVIDER_CALL = RetryPolicy("provider call", max_attempts=3, base_s=0.25, max_s=2.0, deadline_s=20.0)
#: Closing a sale in the background (cancel what is open, unlink): until the provider answers, at
#: most every 15 s, whatever the failure — a counter is never handed on while its link may still
#: hold the sale.
CLOSE = RetryPolicy(
    "close", max_attempts=None, base_s=0.5, max_s=15.0, deadline_s=None, jitter=Jitter.EQUAL, every_failure=True
)
#: Closing a sale found open by recover(): a few quick tries; then it is a sale in doubt.
CLOSE_AT_RECOVERY = RetryPolicy(
    "close at recovery", max_attempts=3, base_s=0.2, max_s=1.0, deadline_s=10.0, every_failure=True
)
#: Asking again about the sales in doubt: every 2 s at first, doubling up to once a minute, for ever.
IN_DOUBT = RetryPolicy("in doubt", max_attempts=None, base_s=2.0, max_s=60.0, deadline_s=None, jitter=Jitter.NONE)
#: One batch of the replication outbox to the back office (app.replication.sender): a batch is keyed by its
#: records' (device, stream, seq), so sending it again is always safe (a duplicate is acknowledged again);
#: five tries within a minute, then the push ends with the back office unreachable (nothing lost).
BACKOFFICE_PUSH = RetryPolicy("back office push", max_attempts=5, base_s=0.5, max_s=10.0, deadline_s=60.0)
#: The background sender after a push that found the back office unreachable: 5 s at first, doubling up to
#: 5 minutes, for ever (never at once: many tills coming back after an outage spread out).
BACKOFFICE_AWAY = RetryPolicy(
    "back office away", max_attempts=None, base_s=5.0, max_s=300.0, deadline_s=None, jitter=Jitter.EQUAL
)


async def retrying(
    policy: RetryPolicy,
    call: Callable[[], Awaitable[T]],
    *,
    kind: Idempotency,
    timer: Timer = SYSTEM_TIMER,
    rng: random.Random | None = None,
    retried: Callable[[BaseException], bool] | None = None,
    what: str = "",
) -> T:
    """``call()`` until it succeeds, or raise its last failure when ``policy`` says to stop.

    ``retried`` overrides which failures are tried again (default: ``policy.retries(exc, kind)``).
    A failure with a ``retry_after`` attribute (seconds) waits that long instead (capped).
    """
    draw = rng or random.Random()
    started = timer.now()
    attempt = 0
    while True:
        attempt += 1
        try:
            return await call()
        except Exception as exc:
            again = retried(exc) if retried is not None else policy.retries(exc, kind)
            if not again or policy.gives_up_after(attempt):
                raise
            pause = policy.wait(attempt, draw, getattr(exc, "retry_after", None))
            if policy.deadline_s is not None and timer.now() + pause - started > policy.deadline_s:
                raise
            log.info(
                "%s%s failed (%s); attempt %d again in %.2f s",
                policy.name,
                f" ({what})" if what else "",
                exc,
                attempt + 1,
                pause,
            )
            await timer.sleep(pause)
