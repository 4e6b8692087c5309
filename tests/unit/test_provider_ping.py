"""Each provider's ``ping()`` (the settings screen's "test connection") and what a bare 404 means.

A 404 with the provider's own error body says "no such request"; a 404 without one says the path is
unknown there (a wrong base URL, a gateway): that is never taken for "never created".
"""

from __future__ import annotations

import httpx
import pytest

from app.config.settings import Settings
from app.domain.sale import SaleStatus
from app.providers.base import ProviderAuthError, ProviderMisconfigured, ProviderProtocolError
from app.providers.jpmorgan import JPMorganProvider
from app.providers.registry import create_provider
from app.sandbox import create_app
from app.screens.connection_test import check
from tests.support.till import demo_till, second_controller

CREDENTIALS = {
    "jpmorgan": {"client_id": "c", "client_secret": "s"},
    "razorpay": {"key_id": "rzp_test_1", "key_secret": "s"},
    "depay": {"access_token": "t"},
    "pix": {"access_token": "t"},
}
OPTIONS = {"depay": {"pos_external_reference": "POS-1"}}


@pytest.fixture
def sandbox():
    return create_app()


def provider(app, name: str, base: str | None = None):
    return create_provider(
        name,
        base_url=base or f"http://sandbox/{name}",
        credentials=CREDENTIALS[name],
        transport=httpx.ASGITransport(app=app),
        **OPTIONS.get(name, {}),
    )


async def state(app) -> dict:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as c:
        return (await c.get("/_sandbox/state")).json()


@pytest.mark.parametrize("name", sorted(CREDENTIALS))
async def test_ping_accepts_good_credentials_and_creates_nothing(sandbox, name):
    before = await state(sandbox)
    prov = provider(sandbox, name)
    try:
        await prov.ping()
    finally:
        await prov.aclose()
    assert await state(sandbox) == before


@pytest.mark.parametrize("name", sorted(CREDENTIALS))
@pytest.mark.parametrize("base", ["http://sandbox/not-the-api", "http://sandbox"])
async def test_a_wrong_base_url_is_never_connection_ok(sandbox, name, base):
    prov = provider(sandbox, name, base)
    try:
        # J.P. Morgan asks its token endpoint first: a 404 there is a setup problem (ProviderMisconfigured)
        with pytest.raises((ProviderProtocolError, ProviderMisconfigured), match="is the base URL right"):
            await prov.ping()
    finally:
        await prov.aclose()
    ok, text = await check(provider(sandbox, name, base), Settings(provider=name, base_url=base), lambda link: None)
    assert not ok and "base URL" in text, text


@pytest.mark.parametrize("name", sorted(CREDENTIALS))
async def test_refused_credentials_are_an_auth_error_in_words(sandbox, name):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox), base_url="http://sandbox") as c:
        await c.post("/_sandbox/faults", json={"auth_rate": 1})  # the provider refuses the keys
    prov = provider(sandbox, name)
    try:
        with pytest.raises(ProviderAuthError) as caught:
            await prov.ping()
        assert caught.value.status_code == 401
    finally:
        await prov.aclose()
    base = f"http://sandbox/{name}"
    ok, text = await check(provider(sandbox, name), Settings(provider=name, base_url=base), lambda link: None)
    assert not ok and text.startswith(f"Credentials refused by {name}") and "check them" in text, text


async def test_a_bare_404_at_recovery_is_not_never_created(tmp_path):
    """The till died after the create; at the restart a proxy answers 404 without a body of the
    provider's. The sale stays open in doubt, and is settled once the provider answers again."""
    async with demo_till(tmp_path) as rt:
        sale = await rt.controller.charge("9.00")
        await rt.controller.aclose()  # the process died here: the sale is linked and journaled
        transport = rt.sandbox.client._transport
        astray = JPMorganProvider("http://sandbox.invalid/gateway-down", "t", transport=transport)
        ctl = second_controller(rt)
        ctl.provider = astray
        try:
            [r] = await ctl.recover()
        finally:
            await astray.aclose()
        assert not r.sale.closed and r.sale.status != SaleStatus.FAILED, r
        assert [s.sale_id for s in await rt.journal.open_sales()] == [sale.sale_id]
        await rt.sandbox.pay(rt.link.payload)
        [r2] = await second_controller(rt).recover()
        assert r2.sale.status == SaleStatus.SETTLED and r2.sale.closed
