"""The one retry policy (app/retry.py): which calls are tried again, how often, with what waits, how long.
Time is a FakeTimer: a policy of minutes runs in microseconds, and the waits it asked for are checked."""

import random
from dataclasses import replace

import httpx
import pytest

from app.providers.base import ProviderAuthError, ProviderProtocolError, ProviderUnavailable
from app.providers.http import HttpTimeouts, ProviderHttp
from app.retry import (
    CLOSE,
    IN_DOUBT,
    PROVIDER_CALL,
    FakeTimer,
    Idempotency,
    Jitter,
    RetryPolicy,
    retrying,
)
from app.sandbox.server import create_app


class Flaky:
    """Fails with ``errors`` in turn, then answers "ok"."""

    def __init__(self, *errors: Exception):
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def down() -> ProviderUnavailable:
    return ProviderUnavailable("no answer", provider="p")


@pytest.mark.parametrize(
    ("kind", "error", "retried"),
    [
        (Idempotency.READ, ProviderUnavailable("x"), True),
        (Idempotency.READ, ProviderProtocolError("x"), True),
        (Idempotency.KEYED, ProviderUnavailable("x"), True),
        (Idempotency.KEYED, ProviderProtocolError("x"), False),  # a change: an unreadable answer is not asked twice
        (Idempotency.UNSAFE, ProviderUnavailable("x"), False),  # no key: a repeat could act twice
        (Idempotency.READ, ProviderAuthError("x"), False),  # a refusal gets the same answer again
        (Idempotency.READ, ValueError("a bug"), False),  # not a call's failure at all
    ],
)
async def test_which_calls_are_tried_again(kind, error, retried):
    call, timer = Flaky(error), FakeTimer()
    if retried:
        assert await retrying(PROVIDER_CALL, call, kind=kind, timer=timer) == "ok"
        assert call.calls == 2 and len(timer.slept) == 1
    else:
        with pytest.raises(type(error)):
            await retrying(PROVIDER_CALL, call, kind=kind, timer=timer)
        assert call.calls == 1 and timer.slept == []


async def test_attempts_are_limited_and_the_last_failure_is_raised():
    call, timer = Flaky(down(), down(), down(), down()), FakeTimer()
    with pytest.raises(ProviderUnavailable):
        await retrying(PROVIDER_CALL, call, kind=Idempotency.READ, timer=timer)
    assert call.calls == PROVIDER_CALL.max_attempts == 3


async def test_waits_grow_exponentially_with_full_jitter_under_the_ceiling():
    policy = RetryPolicy("t", max_attempts=6, base_s=1.0, max_s=4.0, deadline_s=None, jitter=Jitter.FULL)
    call, timer = Flaky(*(down() for _ in range(5))), FakeTimer()
    await retrying(policy, call, kind=Idempotency.KEYED, timer=timer, rng=random.Random(7))
    ceilings = [1.0, 2.0, 4.0, 4.0, 4.0]
    assert len(timer.slept) == 5
    assert all(0 <= s <= c for s, c in zip(timer.slept, ceilings, strict=True))
    assert len(set(timer.slept)) == 5  # jittered: no two tills retry in step


def test_equal_jitter_never_retries_at_once_and_none_is_exact():
    rng = random.Random(1)
    equal = RetryPolicy("t", None, base_s=2.0, max_s=60.0, deadline_s=None, jitter=Jitter.EQUAL)
    assert all(1.0 <= equal.wait(1, rng) <= 2.0 for _ in range(100))
    assert [IN_DOUBT.wait(n, rng) for n in range(1, 8)] == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]


async def test_the_deadline_stops_before_a_wait_that_would_pass_it():
    policy = RetryPolicy("t", max_attempts=None, base_s=4.0, max_s=4.0, deadline_s=10.0, jitter=Jitter.NONE)
    call, timer = Flaky(*(down() for _ in range(10))), FakeTimer()
    with pytest.raises(ProviderUnavailable):
        await retrying(policy, call, kind=Idempotency.READ, timer=timer)
    assert timer.slept == [4.0, 4.0] and call.calls == 3  # a third wait would end at 12 s > 10 s


async def test_retry_after_is_followed_but_capped():
    error = down()
    error.retry_after = 30.0  # type: ignore[attr-defined]
    call, timer = Flaky(error), FakeTimer()
    await retrying(PROVIDER_CALL, call, kind=Idempotency.READ, timer=timer)
    assert timer.slept == [PROVIDER_CALL.max_s]


async def test_closing_retries_every_failure_until_the_provider_answers():
    errors = [down(), ProviderAuthError("token expired", provider="p"), ProviderProtocolError("garbled")] * 20
    call, timer = Flaky(*errors), FakeTimer()
    assert await retrying(CLOSE, call, kind=Idempotency.KEYED, timer=timer, rng=random.Random(3)) == "ok"
    assert call.calls == 61 and max(timer.slept) <= CLOSE.max_s
    # equal jitter waits at least half of each ceiling: over six minutes of asking, without a wall-clock second
    floor = sum(min(CLOSE.max_s, CLOSE.base_s * 2 ** (a - 1)) / 2 for a in range(1, 61))
    assert floor > 400 and timer.now() >= floor


async def test_a_provider_http_call_goes_through_the_policy(sandbox_http):
    """The client layer retries a read with the same policy (app.providers.http) and its injected timer."""
    timer = FakeTimer()
    http = ProviderHttp("jpmorgan", "http://sandbox.invalid/nowhere", transport=sandbox_http, timer=timer)
    try:
        with pytest.raises(ProviderProtocolError):  # a 404 without the provider's body: unreadable, a read
            await http.get("/not-a-route")
        assert http.attempts == 3 and len(timer.slept) == 2
    finally:
        await http.aclose()


async def test_a_provider_client_keeps_the_tighter_deadline_of_its_policy_and_its_timeouts(sandbox_http):
    slow = RetryPolicy("t", max_attempts=10, base_s=4.0, max_s=4.0, deadline_s=None, jitter=Jitter.NONE)
    timer = FakeTimer()
    short = HttpTimeouts(deadline=10.0)
    http = ProviderHttp("p", "http://sandbox.invalid/x", transport=sandbox_http, timeout=short, retry=slow, timer=timer)
    try:
        assert http.policy == replace(slow, deadline_s=10.0)
        with pytest.raises(ProviderProtocolError):
            await http.get("/not-a-route")
        assert timer.slept == [4.0, 4.0] and http.attempts == 3  # a third wait would end past 10 s
    finally:
        await http.aclose()
    made = [
        ProviderHttp("p", "https://x", retry=replace(PROVIDER_CALL, deadline_s=3.0)),
        ProviderHttp("p", "https://x"),
    ]
    assert [h.policy.deadline_s for h in made] == [3.0, PROVIDER_CALL.deadline_s]
    for h in made:
        await h.aclose()
    with pytest.raises(ValueError, match="limit its attempts"):
        ProviderHttp("p", "https://x", retry=CLOSE)  # the provider modules' own loops count attempts


def test_a_policy_with_other_attempts_and_when_it_gives_up():
    once = PROVIDER_CALL.with_attempts(1)
    assert once == replace(PROVIDER_CALL, max_attempts=1) and once.gives_up_after(1)
    assert [PROVIDER_CALL.gives_up_after(n) for n in (1, 2, 3)] == [False, False, True]
    assert not CLOSE.gives_up_after(10**6)  # no limit
    for bad in ({"max_attempts": 0}, {"base_s": -1.0}, {"deadline_s": 0.0}):
        with pytest.raises(ValueError):
            replace(PROVIDER_CALL, **bad)


@pytest.fixture
def sandbox_http():
    return httpx.ASGITransport(app=create_app())
