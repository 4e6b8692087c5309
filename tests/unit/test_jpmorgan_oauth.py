"""J.P. Morgan's OAuth2 client credentials: against the sandbox's token endpoint, and tiny real ASGI apps for
the answers the sandbox never gives (a refused client, a broken token endpoint)."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Callable

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from app.config.settings import Settings
from app.providers.base import (
    ProviderAuthError,
    ProviderError,
    ProviderMisconfigured,
    ProviderProtocolError,
    ProviderUnavailable,
)
from app.providers.jpmorgan import JPMorganProvider
from app.providers.jpmorgan_oauth import JPM_TEST_SCOPE, JPM_TOKEN_URL, default_token_url
from app.retry import FakeTimer
from app.sandbox import create_app
from app.sandbox.jpmorgan_oauth import tokens
from app.screens.connection_test import check
from app.screens.settings_model import SettingsModel

CLIENT = "till-client-7"
SECRET = "CANARY-CLIENT-SECRET-e81f"
LINK_PATH = "/receivables/request-to-pay/v1/payment-links"
UNKNOWN = "no-such-link"


def client(app: object, *, timer: FakeTimer | None = None, secret: str = SECRET) -> JPMorganProvider:
    return JPMorganProvider(
        "http://sandbox/jpmorgan",
        client_id=CLIENT,
        client_secret=secret,
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        timer=timer or FakeTimer(),
    )


async def sandbox_hook(app: object, body: dict[str, object]) -> dict[str, object]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as c:  # type: ignore[arg-type]
        answer = await c.post("/jpmorgan/_sandbox/tokens", json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()


def calls(app: Starlette) -> list[str]:
    return [f"{c['method']} {c['path']}" for c in app.state.sandbox.calls]


async def test_one_token_for_many_calls_even_at_once():
    app = create_app()
    prov = client(app)
    try:
        link = await prov.create_link("k-1", "counter")
        for _ in range(3):
            await prov.get_link(link.link_id)
        await asyncio.gather(*(prov.get_link(link.link_id) for _ in range(5)))
    finally:
        await prov.aclose()
    assert prov.oauth is not None and prov.oauth.fetches == 1
    assert (await sandbox_hook(app, {}))["issued"] == 1
    assert calls(app).count("POST /jpmorgan/oauth2/token") == 1


async def test_the_token_is_renewed_before_it_expires_by_the_injected_clock():
    app = create_app()
    await sandbox_hook(app, {"lifetime_s": 300})
    timer = FakeTimer()
    prov = client(app, timer=timer)
    try:
        link = await prov.create_link("k-2", "counter")
        timer.t += 269  # 300 s less a tenth: still good
        await prov.get_link(link.link_id)
        assert prov.oauth is not None and prov.oauth.fetches == 1
        timer.t += 2  # inside the margin: renewed before the call, never refused
        await prov.get_link(link.link_id)
        assert prov.oauth.fetches == 2
    finally:
        await prov.aclose()
    seen = calls(app)
    assert seen.count("POST /jpmorgan/oauth2/token") == 2
    assert seen.count(f"GET /jpmorgan{LINK_PATH}/{link.link_id}") == 2  # no call was sent twice


async def test_a_401_renews_the_token_once_and_sends_the_call_again():
    app = create_app()
    prov = client(app)
    try:
        link = await prov.create_link("k-3", "counter")
        await sandbox_hook(app, {"expire": True})  # the provider ended the token early
        assert (await prov.get_link(link.link_id)).link_id == link.link_id
        assert prov.oauth is not None and prov.oauth.fetches == 2
    finally:
        await prov.aclose()
    assert calls(app)[-3:] == [
        f"GET /jpmorgan{LINK_PATH}/{link.link_id}",
        "POST /jpmorgan/oauth2/token",
        f"GET /jpmorgan{LINK_PATH}/{link.link_id}",
    ]


async def test_time_travel_at_the_sandbox_expires_its_tokens_too():
    app = create_app()
    prov = client(app)
    try:
        link = await prov.create_link("k-4", "counter")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as c:
            await c.post("/_sandbox/clock", json={"advance_s": 3600})
        await prov.get_link(link.link_id)
        assert prov.oauth is not None and prov.oauth.fetches == 2
    finally:
        await prov.aclose()


def tiny(token: Callable[[Request], Awaitable[Response]], api_status: int = 200) -> tuple[Starlette, list[str]]:
    """A token endpoint answering ``token``, and an API whose every call answers ``api_status``."""
    seen: list[str] = []

    async def issue(request: Request) -> Response:
        seen.append("token")
        return await token(request)

    async def api(request: Request) -> Response:
        seen.append("api")
        if api_status == 401:
            body = {"responseStatus": "ERROR", "responseCode": "UNAUTHORIZED", "responseMessage": "token not accepted"}
            return JSONResponse(body, status_code=401)
        return JSONResponse({"responseStatus": "ERROR", "responseCode": "NOT_FOUND", "responseMessage": "no"}, 404)

    routes = [Route("/jpmorgan/oauth2/token", issue, methods=["POST"]), Route("/jpmorgan/{path:path}", api)]
    return Starlette(routes=routes), seen


async def good_token(request: Request) -> Response:
    return JSONResponse({"access_token": "tok-1", "token_type": "Bearer", "expires_in": 3600})


async def test_a_second_401_is_an_auth_error_in_words(caplog):
    app, seen = tiny(good_token, api_status=401)
    prov = client(app)
    with caplog.at_level(logging.DEBUG):
        try:
            with pytest.raises(ProviderAuthError) as caught:
                await prov.get_link(UNKNOWN)
        finally:
            await prov.aclose()
    assert seen == ["token", "api", "token", "api"]  # one renewal, one more try, no loop
    assert caught.value.status_code == 401 and "token not accepted" in str(caught.value)
    ok, text = await check(client(app), Settings(provider="jpmorgan", base_url="http://sandbox/jpmorgan"), print)
    assert not ok and text.startswith("Credentials refused by jpmorgan") and "check them" in text
    assert_no_secret(caplog, caught.value)


def assert_no_secret(caplog: pytest.LogCaptureFixture, *errors: BaseException) -> None:
    basic = base64.b64encode(f"{CLIENT}:{SECRET}".encode()).decode()
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    for text in [logged, *(str(e) + repr(e) + repr(e.args) for e in errors)]:
        assert SECRET not in text and basic not in text


async def answer_400_invalid_client(request: Request) -> Response:
    return JSONResponse({"error": "invalid_client", "error_description": f"bad secret {SECRET}"}, status_code=400)


async def answer_garbage(request: Request) -> Response:
    return PlainTextResponse("{not json")


async def answer_no_lifetime(request: Request) -> Response:
    return JSONResponse({"access_token": "tok", "token_type": "Bearer"})


async def answer_mac_token(request: Request) -> Response:
    return JSONResponse({"access_token": "tok", "token_type": "mac", "expires_in": 60})


async def answer_404(request: Request) -> Response:
    return PlainTextResponse("Not Found", status_code=404)


async def answer_503(request: Request) -> Response:
    return PlainTextResponse(f"upstream down (client {SECRET})", status_code=503)


@pytest.mark.parametrize(
    "answer,error,words",
    [
        (answer_400_invalid_client, ProviderAuthError, "refused the client id and secret (invalid_client)"),
        (answer_garbage, ProviderProtocolError, "without a bearer token"),
        (answer_no_lifetime, ProviderProtocolError, "without a valid expires_in"),
        (answer_mac_token, ProviderProtocolError, "without a bearer token"),
        (answer_503, ProviderUnavailable, "its token endpoint is not answering (HTTP 503)"),
        (answer_404, ProviderMisconfigured, "when asked for a token: is the base URL right"),  # setup, not "try again"
    ],
)
async def test_a_bad_token_endpoint_is_a_clear_error_without_the_secret(caplog, answer, error, words):
    app, seen = tiny(answer)
    prov = client(app)
    with caplog.at_level(logging.DEBUG):
        try:
            with pytest.raises(ProviderError) as caught:
                await prov.get_link(UNKNOWN)
        finally:
            await prov.aclose()
    assert type(caught.value) is error and words in str(caught.value), str(caught.value)
    assert "api" not in seen  # nothing is sent to the API without a token
    if error is ProviderUnavailable:
        assert seen.count("token") > 1  # retried like any call that is safe to retry
    assert_no_secret(caplog, caught.value)


async def test_the_secret_and_the_token_never_reach_a_log_line(caplog):
    app = create_app()
    prov = client(app)
    with caplog.at_level(logging.DEBUG):
        try:
            link = await prov.create_link("k-5", "counter")
            await sandbox_hook(app, {"expire": True})
            await prov.get_link(link.link_id)
        finally:
            await prov.aclose()
    issued = [r for r in caplog.records if "new access token" in r.getMessage()]
    assert len(issued) == 2
    assert_no_secret(caplog)
    assert SECRET not in repr(prov) + repr(prov.http) + repr(prov.oauth)
    book = tokens(app.state.sandbox)
    assert book.issued == 2
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(token in logged for token in book.live)


async def test_the_sandbox_token_endpoint_answers_as_oauth2_says():
    app = create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as c:
        url = "/jpmorgan/oauth2/token"
        form = {"grant_type": "client_credentials"}
        none = await c.post(url, data=form)
        assert none.status_code == 401 and none.json()["error"] == "invalid_client"
        assert none.headers["www-authenticate"].startswith("Basic")
        wrong = await c.post(url, data={"grant_type": "password"}, auth=("id", "secret"))
        assert wrong.status_code == 400 and wrong.json()["error"] == "unsupported_grant_type"
        missing = await c.post(url, data={}, auth=("id", "secret"))
        assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
        in_form = await c.post(url, data={**form, "client_id": "id", "client_secret": "s"})
        token = in_form.json()["access_token"]
        assert in_form.status_code == 200 and in_form.json()["token_type"] == "Bearer"
        api = f"/jpmorgan{LINK_PATH}/{UNKNOWN}"
        assert (await c.get(api, headers={"Authorization": f"Bearer {token}"})).status_code == 404  # accepted
        assert (await c.get(api, headers={"Authorization": "Bearer pre-issued"})).status_code == 404  # as before
        assert (await c.post("/jpmorgan/_sandbox/tokens", json={"expire": True})).json()["live"] == 0
        expired = await c.get(api, headers={"Authorization": f"Bearer {token}"})
        assert expired.status_code == 401 and "expired" in expired.json()["responseMessage"]
        bad = await c.post("/jpmorgan/_sandbox/tokens", json={"lifetime_s": 0})
        assert bad.status_code == 400


async def test_test_connection_in_settings_works_with_a_client_id_and_secret(tmp_path, ring):
    app = create_app()
    m = SettingsModel(tmp_path / "config" / "config.toml", transport=httpx.ASGITransport(app=app))
    m.set("provider.base_url", "http://127.0.0.1:9/jpmorgan")
    m.set_credential("client_id", CLIENT)
    ok, text = await m.test_connection()
    assert not ok and text == "Cannot test: no client_secret for jpmorgan: type it under Credentials"
    m.set_credential("client_secret", SECRET)
    ok, text = await m.test_connection()
    assert ok and text.startswith("Connection OK"), text
    assert tokens(app.state.sandbox).issued == 1
    m.set("provider.token_url", "http://127.0.0.1:9/not-a-token-endpoint")
    ok, text = await m.test_connection()
    assert not ok and "is the base URL right (or provider.token_url)" in text, text
    m.set("provider.token_url", "http://evil.example/token")  # the secret goes only where it is safe
    ok, text = await m.test_connection()
    assert not ok and "provider.token_url" in text and SECRET not in text, text


def test_the_default_token_url_follows_the_base_url():
    assert default_token_url("https://api-mock.payments.jpmorgan.com") == (JPM_TOKEN_URL, JPM_TEST_SCOPE)
    assert default_token_url("https://api.payments.jpmorgan.com/") == (JPM_TOKEN_URL, "")
    assert default_token_url("http://127.0.0.1:8000/jpmorgan/") == ("http://127.0.0.1:8000/jpmorgan/oauth2/token", "")
    with pytest.raises(ValueError, match="token URL"):  # over the network: https, or plain http to this machine
        JPMorganProvider("https://api.example.com", client_id="c", client_secret="s", token_url="http://evil.test/t")
    with pytest.raises(ValueError, match="client id and a client secret"):
        JPMorganProvider("https://api.example.com", client_id="c", client_secret=" ")
