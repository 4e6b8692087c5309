"""One HTTP client per provider: timeouts, retries with backoff and jitter, typed errors.

``ProviderHttp`` wraps a single ``httpx.AsyncClient`` and turns every outcome into
either parsed JSON or one of the typed errors of ``app.providers.base``:

==========================================  ===========================================
transport error, dropped connection,        ``ProviderUnavailable`` (retryable)
timeout, 5xx, 429
401, 403                                    ``ProviderAuthError``
404 with a JSON error body                  ``ProviderNotFound``
409, 412 (a precondition such as           ``ProviderConflict`` (its ``code`` says which)
``If-Match`` no longer holds)
other 4xx                                   ``ProviderRejected`` (the provider's message)
2xx that is not JSON, or that ``parse``     ``ProviderProtocolError``
rejects; an unexpected 1xx/3xx; a 404
without a JSON body (an unknown path, not
an absent request: recovery must never
take it for "never created")
==========================================  ===========================================

Retries follow the one retry policy, ``app.retry`` (``retry``, by default ``PROVIDER_CALL``: which
calls, how often, the waits with jitter, the server's ``Retry-After``; the overall deadline is the
tighter of the policy's ``deadline_s`` and ``HttpTimeouts.deadline``, both 20 s by default, so a
client given short timeouts gives up early too; waits and the deadline's clock are the ``timer``'s):
only idempotent calls — ``GET``, and any call that carries an ``Idempotency-Key`` — are tried
again, after ``ProviderUnavailable``; a ``ProviderProtocolError`` is retried for reads only.

A ``json_body`` given as ``bytes`` is JSON the provider module encoded itself (the Pix
client writes amounts as exact decimal numbers) and is sent as it is; with
``json_decimals=True`` the numbers with a fraction in answers are read as ``Decimal``.

Each attempt is bounded twice: by httpx's connect/read/write timeouts and by an
overall per-attempt timeout enforced with ``asyncio.timeout`` — which also holds
for in-process ASGI transports, where httpx's own timeouts do not apply.

TLS certificates are always verified (``verify=True``, nothing here turns it off); a certificate that
does not verify (self-signed, expired, another host's) is ``ProviderUntrusted``, never retried. The base
URL of a client on the network (no ``transport`` given) passes ``app.urlcheck.checked_url``: https, or
plain http to this machine only; a client handed an in-process transport (the embedded sandbox, tests)
sends nothing over a network. A read that gets no answer in time is ``ProviderTimeout`` (slow, not
unreachable).
The credentials live only in the client's default headers (or its ``auth``, an ``httpx.Auth`` such as
J.P. Morgan's OAuth2 client credentials, whose errors are ``ProviderError``s too): no message, log line
or ``repr`` contains them.

Every answer's HTTP ``Date`` header is read against this machine's clock (``wall``): ``clock_skew`` keeps the
latest difference (the provider's clock minus ours, in seconds; None before any answer with a Date), which
``app.providers.clock`` reads (``clock_skew_of``) and words for the manager once it is over a minute.

Reading one attempt's outcome (the answer, or why there was none) into JSON or the table's errors is
``app.providers.http_outcome``'s.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TypedDict, TypeVar, Unpack, overload
from urllib.parse import quote

import httpx

from app.domain.jsontypes import Json
from app.i18n import _
from app.retry import PROVIDER_CALL, SYSTEM_TIMER, Idempotency, RetryPolicy, Timer, retrying
from app.urlcheck import checked_url

from .clock import answer_date, skew_words
from .http_outcome import ErrorParser, Parse, answer, default_error_parser, failure

__all__ = ["Body", "CallOptions", "ErrorParser", "HttpTimeouts", "Parse", "ProviderHttp", "path_segment"]

log = logging.getLogger("tillqr.providers.http")

T = TypeVar("T")
Body = Json | bytes  # a request's JSON, or JSON the provider module encoded itself (sent as it is)


class CallOptions(TypedDict, total=False):
    """What ``get``, ``post`` and ``patch`` pass on to ``request`` as they are."""

    idempotency_key: str | None
    params: Mapping[str, str] | None
    headers: Mapping[str, str] | None


@dataclass(frozen=True)
class HttpTimeouts:
    connect: float = 3.0  # establishing the connection
    read: float = 5.0  # between bytes of the answer
    attempt: float = 8.0  # one whole attempt, whatever happens
    deadline: float = 20.0  # all attempts and waits together

    @classmethod
    def of(cls, value: HttpTimeouts | float | None) -> HttpTimeouts:
        """``None``: defaults; a number ``t``: every bound ``t`` (connect at most 3 s), deadline 2.5·t."""
        if value is None:
            return cls()
        if isinstance(value, HttpTimeouts):
            return value
        t = float(value)
        if t <= 0:
            raise ValueError("timeouts must be positive")
        return cls(connect=min(3.0, t), read=t, attempt=t, deadline=2.5 * t)


def path_segment(ident: str) -> str:
    """An id as one safe path segment; ValueError for anything but non-empty text."""
    if not isinstance(ident, str) or not ident:
        raise ValueError("an id must be non-empty text")
    return quote(ident, safe="")


def _wall() -> datetime:
    return datetime.now(UTC)


class ProviderHttp:
    """The single ``httpx.AsyncClient`` of one provider."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: HttpTimeouts | float | None = None,
        retry: RetryPolicy = PROVIDER_CALL,
        timer: Timer = SYSTEM_TIMER,
        error_parser: ErrorParser = default_error_parser,
        rng: random.Random | None = None,
        json_decimals: bool = False,
        auth: httpx.Auth | None = None,
        wall: Callable[[], datetime] = _wall,
    ):
        if retry.max_attempts is None:  # the provider modules' own protocol loops count on a limit
            raise ValueError(f"{provider}: a provider call's retry policy must limit its attempts")
        self.provider = provider
        self.timeouts = HttpTimeouts.of(timeout)
        # One deadline for all attempts and waits: the tighter of the policy's and the timeouts'.
        self.deadline = min(self.timeouts.deadline, retry.deadline_s or self.timeouts.deadline)
        self.policy = replace(retry, deadline_s=self.deadline)
        self.timer = timer
        self.error_parser = error_parser
        self.json_decimals = json_decimals  # answers' JSON numbers with a fraction as Decimal, never float
        self._rng = rng or random.Random()
        if transport is None:  # over the network: credentials go only where they are safe (ValueError otherwise)
            checked_url(base_url, _("{provider}'s base URL").format(provider=provider))
        t = self.timeouts
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Accept": "application/json", "User-Agent": "TillQR/0.1", **(headers or {})},
            timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.read, pool=t.connect),
            transport=transport,
            auth=auth,  # e.g. OAuth2 client credentials (jpmorgan_oauth): its errors are ProviderErrors too
            verify=True,
            follow_redirects=False,
        )
        self.attempts = 0  # attempts made over this client's life (for tests and diagnostics)
        self.wall = wall  # this machine's clock, read against each answer's Date
        self.clock_skew: float | None = None  # the provider's clock minus ours (s), from the latest dated answer

    def __repr__(self) -> str:  # never shows headers
        return f"ProviderHttp({self.provider!r}, {str(self._client.base_url)!r})"

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    async def get_absolute(self, url: str, *, headers: Mapping[str, str] | None = None) -> httpx.Response:
        """One plain GET of an absolute URL the provider handed out (an image), redirects followed.
        No retries and no error mapping: the caller decides what the answer means."""
        return await self._client.get(url, headers=headers, follow_redirects=True)

    async def pause(self, attempt: int) -> None:
        """The wait after failed attempt ``attempt`` (1-based) of a provider's own protocol loop around
        these calls (Depay's create and cancel, Razorpay's create): this client's policy and timer."""
        await self.timer.sleep(self.policy.wait(attempt, self._rng))

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> ProviderHttp:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- calls -----------------------------------------------------------------------
    # Each gives ``parse(json)`` when given a ``parse``, else the answer's JSON.
    @overload
    async def get(self, path: str, *, parse: Parse[T], **kw: Unpack[CallOptions]) -> T: ...
    @overload
    async def get(self, path: str, *, parse: None = None, **kw: Unpack[CallOptions]) -> Json: ...
    async def get(self, path: str, *, parse: Parse[T] | None = None, **kw: Unpack[CallOptions]) -> T | Json:
        return await self.request("GET", path, parse=parse, **kw)

    @overload
    async def post(self, path: str, body: Body = None, *, parse: Parse[T], **kw: Unpack[CallOptions]) -> T: ...
    @overload
    async def post(self, path: str, body: Body = None, *, parse: None = None, **kw: Unpack[CallOptions]) -> Json: ...
    async def post(
        self, path: str, body: Body = None, *, parse: Parse[T] | None = None, **kw: Unpack[CallOptions]
    ) -> T | Json:
        return await self.request("POST", path, json_body=body, parse=parse, **kw)

    @overload
    async def patch(self, path: str, body: Body = None, *, parse: Parse[T], **kw: Unpack[CallOptions]) -> T: ...
    @overload
    async def patch(self, path: str, body: Body = None, *, parse: None = None, **kw: Unpack[CallOptions]) -> Json: ...
    async def patch(
        self, path: str, body: Body = None, *, parse: Parse[T] | None = None, **kw: Unpack[CallOptions]
    ) -> T | Json:
        return await self.request("PATCH", path, json_body=body, parse=parse, **kw)

    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Body = None,
        params: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        parse: Parse[T],
        headers: Mapping[str, str] | None = None,
    ) -> T: ...
    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Body = None,
        params: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        parse: None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Json: ...
    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Body = None,
        params: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        parse: Parse[T] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> T | Json:
        """One logical call: JSON in, ``parse(json)`` (or the JSON) out, typed errors, retries when safe
        (``app.retry``: a GET is a READ, a call with an idempotency key is KEYED, any other is UNSAFE)."""
        method = method.upper()
        kind = (
            Idempotency.READ
            if method in ("GET", "HEAD")
            else Idempotency.KEYED
            if idempotency_key
            else Idempotency.UNSAFE
        )
        extra = dict(headers or {})
        if idempotency_key:
            extra["Idempotency-Key"] = idempotency_key
        started = self.timer.now()

        async def attempt() -> T | Json:
            remaining = self.deadline - (self.timer.now() - started)
            limit = min(self.timeouts.attempt, max(remaining, 0.001))
            return await self._attempt(method, path, json_body, params, extra, parse, limit)

        return await retrying(
            self.policy, attempt, kind=kind, timer=self.timer, rng=self._rng, what=f"{self.provider} {method} {path}"
        )

    async def _attempt(
        self,
        method: str,
        path: str,
        json_body: Body,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
        parse: Parse[T] | None,
        limit: float,
    ) -> T | Json:
        self.attempts += 1
        try:
            async with asyncio.timeout(limit):
                if isinstance(json_body, (bytes, bytearray)):  # JSON the provider encoded itself (exact decimals)
                    response = await self._client.request(
                        method,
                        path,
                        content=bytes(json_body),
                        params=params,
                        headers={**headers, "Content-Type": "application/json"},
                    )
                else:
                    response = await self._client.request(method, path, json=json_body, params=params, headers=headers)
        except (TimeoutError, httpx.RequestError, OSError) as exc:
            raise failure(exc, self.provider, f"{method} {path}", limit) from None
        log.debug("%s %s %s -> %d", self.provider, method, path, response.status_code)
        self._note_clock(response)
        return answer(
            response, parse, provider=self.provider, error_parser=self.error_parser, json_decimals=self.json_decimals
        )

    def _note_clock(self, response: httpx.Response) -> None:
        """Keep how far the provider's clock is from ours (its answer's Date; whole seconds, so ±1 s is noise)."""
        stamp = answer_date(response)
        if stamp is None:
            return
        skew = (stamp - self.wall()).total_seconds()
        if skew_words(skew) and not skew_words(self.clock_skew):
            log.warning("%s: its clock is %.0f s from this machine's (Date: %s)", self.provider, skew, stamp)
        self.clock_skew = skew
