"""Fixtures for the sandbox and provider tests: a sandbox in-process, on a manual clock.

Names carry an ``sb_``/``jpm`` prefix so they cannot shadow fixtures of other test modules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from app.providers.http import HttpTimeouts
from app.providers.jpmorgan import JPMorganProvider
from app.retry import PROVIDER_CALL, FakeTimer, RetryPolicy, Timer
from app.sandbox import ManualClock, create_app
from tests.support.closing import closed_after

JPM_API = "/jpmorgan/receivables/request-to-pay/v1"
AUTH = {"Authorization": "Bearer test-token"}
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def sb_clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def sb_app(sb_clock):
    return create_app(clock=sb_clock, fault_hold_s=5.0)


@pytest.fixture
async def sb_http(sb_app):
    """A raw HTTP client on the in-process sandbox (no credentials by default)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sb_app), base_url="http://sandbox") as client:
        yield client


@pytest.fixture
async def jpm_factory(sb_app):
    """Build J.P. Morgan clients on the in-process sandbox; all are closed after the test."""

    def make(
        *,
        app=None,
        token: str = "test-token",
        timeout: HttpTimeouts | float | None = None,
        retry: RetryPolicy = PROVIDER_CALL,
        timer: Timer | None = None,
        base_url: str = "http://sandbox/jpmorgan",
    ) -> JPMorganProvider:
        provider = JPMorganProvider(
            base_url,
            token,
            transport=httpx.ASGITransport(app=app or sb_app),
            timeout=timeout or HttpTimeouts(connect=1.0, read=1.0, attempt=1.0, deadline=5.0),
            retry=retry,
            timer=timer or FakeTimer(),  # the waits between attempts take no time
        )
        return provider

    async for made in closed_after(make):
        yield made


@pytest.fixture
def jpm(jpm_factory) -> JPMorganProvider:
    return jpm_factory()


@pytest.fixture
def jpm_body() -> Callable[..., dict[str, Any]]:
    """A valid create-payment-request body; keyword arguments override ``request`` fields (None removes)."""

    def make(ident: str | None = "a" * 32, **request: Any) -> dict[str, Any]:
        req: dict[str, Any] = {
            "expirationType": "IMMEDIATE",
            "duration": 120,
            "paymentAmount": "12.50",
            "currency": "BRL",
            "reference": "sale 1",
            "isAmountAdjustable": False,
        }
        for key, value in request.items():
            if value is None:
                req.pop(key, None)
            else:
                req[key] = value
        body: dict[str, Any] = {
            "country": "BR",
            "request": req,
            "requestMethodType": "QR_CODE",
            "requestMethod": {"qrCodeType": "DYNAMIC", "contentType": "TEXT"},
        }
        if ident is not None:
            body["id"] = ident
        return body

    return make
