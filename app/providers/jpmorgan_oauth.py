"""J.P. Morgan's OAuth2 client credentials (RFC 6749 §4.4), as an ``httpx.Auth`` of the provider's one client.

- ``POST <token_url>`` with ``Authorization: Basic base64(client_id:client_secret)`` and the form body
  ``grant_type=client_credentials`` (``&scope=…`` when there is one) → ``{"access_token", "token_type":
  "Bearer", "expires_in"}``. The token is kept in memory only (never in a file, a log line, a message or a
  ``repr``) and fetched again ``margin`` before it expires (a tenth of its life, at most a minute), by the
  injected clock (the client's ``Timer``); calls made meanwhile wait for the one fetch.
- An API call answered 401 gets a new token once and is sent once more; a second 401 is the provider's
  answer (``ProviderAuthError``).
- The token endpoint's answers in words: 400/401 ``{"error": "invalid_client"}`` → ``ProviderAuthError``
  ("refused the client id and secret"), another OAuth error → ``ProviderRejected`` with its code, 429 and
  5xx → ``ProviderUnavailable`` (retried like any call), an answer without a usable token →
  ``ProviderProtocolError``. Only the OAuth error code is quoted, never a body.
- ``default_token_url``: J.P. Morgan's documented token endpoint for its own hosts
  (``https://id.payments.jpmorgan.com/am/oauth2/alpha/access_token``, scope ``jpm:payments:sandbox`` for
  the mock and sandbox tiers), ``<base_url>/oauth2/token`` anywhere else (TillQR's sandbox). J.P. Morgan's
  CAT and production tiers may ask for a signed JWT client assertion (RFC 7523) instead of a secret: not
  done here; a shop given a client secret for its token endpoint sets ``provider.token_url``.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from collections.abc import AsyncGenerator, Callable
from urllib.parse import urlsplit

import httpx

from app.i18n import _

from .base import (
    ProviderAuthError,
    ProviderError,
    ProviderMisconfigured,
    ProviderProtocolError,
    ProviderRejected,
    ProviderUnavailable,
)

log = logging.getLogger("tillqr.providers.jpmorgan")

JPM_TOKEN_URL = "https://id.payments.jpmorgan.com/am/oauth2/alpha/access_token"
JPM_TEST_SCOPE = "jpm:payments:sandbox"
_TEST_HOSTS = ("api-mock.payments.jpmorgan.com", "api-sandbox.payments.jpmorgan.com")
_OAUTH_CODE = re.compile(r"^[a-z_]{1,40}$")  # an RFC 6749 error code; anything else is not quoted


def default_token_url(base_url: str) -> tuple[str, str]:
    """(token URL, scope) for a client of ``base_url`` when ``provider.token_url`` is not set."""
    host = (urlsplit(base_url).hostname or "").lower()
    if host in _TEST_HOSTS:
        return JPM_TOKEN_URL, JPM_TEST_SCOPE
    if host == "payments.jpmorgan.com" or host.endswith(".payments.jpmorgan.com"):
        return JPM_TOKEN_URL, ""
    return base_url.rstrip("/") + "/oauth2/token", ""


class ClientCredentials(httpx.Auth):
    """Bearer tokens from the client-credentials grant, fetched through the client they authenticate."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        clock: Callable[[], float],
        scope: str = "",
        provider: str = "jpmorgan",
    ):
        if not client_id.strip() or not client_secret.strip():
            raise ValueError(_("{provider} needs a client id and a client secret").format(provider=provider))
        where = urlsplit(token_url)
        if where.scheme not in ("http", "https") or not where.hostname:
            raise ValueError(_("{provider}'s token URL must be an https:// address").format(provider=provider))
        self.token_url = token_url
        self.scope = scope
        self.provider = provider
        self.clock = clock
        pair = f"{client_id.strip()}:{client_secret.strip()}".encode()
        self._basic = "Basic " + base64.b64encode(pair).decode("ascii")
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0  # tokens asked for over this client's life (tests, diagnostics)

    def __repr__(self) -> str:  # never the secret or the token
        return f"ClientCredentials({self.token_url!r})"

    def _fresh(self) -> str | None:
        return self._token if self._token is not None and self.clock() < self._renew_at else None

    def _token_request(self, like: httpx.Request) -> httpx.Request:
        form = {"grant_type": "client_credentials", **({"scope": self.scope} if self.scope else {})}
        return httpx.Request(
            "POST",
            self.token_url,
            data=form,
            headers={"Authorization": self._basic, "Accept": "application/json", "User-Agent": "TillQR/0.1"},
            extensions={k: v for k, v in like.extensions.items() if k == "timeout"},
        )

    def _error(self, cls: type[ProviderError], message: str, status: int, code: str = "") -> ProviderError:
        return cls(message, provider=self.provider, status_code=status, code=code)

    def _take(self, response: httpx.Response) -> str:
        """The token in the token endpoint's answer (kept, with when to renew it), or a ProviderError in words."""
        status = response.status_code
        try:
            data = response.json()
        except (ValueError, RecursionError):
            data = None
        if not 200 <= status < 300:
            raw = data.get("error") if isinstance(data, dict) else None
            code = raw if isinstance(raw, str) and _OAUTH_CODE.match(raw) else ""
            if status == 429 or status >= 500:
                said = _("its token endpoint is not answering (HTTP {status})").format(status=status)
                error = self._error(ProviderUnavailable, said, status)
                raise error
            if status == 404:  # no token endpoint there: a wrong base URL (or token URL), not a refusal
                raise self._error(
                    ProviderMisconfigured,
                    _(
                        "answered 404 at {path} when asked for a token: is the base URL right (or provider.token_url)?"
                    ).format(path=response.request.url.path),
                    status,
                )
            if code == "invalid_client" or status in (401, 403):
                raise self._error(
                    ProviderAuthError,
                    _("refused the client id and secret ({code}): check them in Settings").format(
                        code=code or f"HTTP {status}"
                    ),
                    status,
                    code,
                )
            raise self._error(
                ProviderRejected,
                _("its token endpoint refused to issue a token ({code})").format(code=code or f"HTTP {status}"),
                status,
                code,
            )
        token = data.get("access_token") if isinstance(data, dict) else None
        life = data.get("expires_in") if isinstance(data, dict) else None
        kind = data.get("token_type", "Bearer") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token.strip() or not isinstance(kind, str) or kind.lower() != "bearer":
            raise self._error(ProviderProtocolError, _("its token endpoint answered without a bearer token"), status)
        if isinstance(life, bool) or not isinstance(life, (int, float)) or life <= 0:
            raise self._error(
                ProviderProtocolError, _("its token endpoint answered without a valid expires_in"), status
            )
        self.fetches += 1
        self._token = token.strip()
        self._renew_at = self.clock() + float(life) - min(60.0, float(life) / 10)
        log.info("%s: new access token, renewed in %.0f s", self.provider, self._renew_at - self.clock())
        return self._token

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        await request.aread()  # a call refused with 401 is sent again, body and all
        token = self._fresh()
        if token is None:
            async with self._lock:  # one fetch for every call waiting
                token = self._fresh()
                if token is None:
                    answer = yield self._token_request(request)
                    await answer.aread()
                    token = self._take(answer)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401:
            return
        async with self._lock:  # refused: a new token once (unless another call got one meanwhile), sent once more
            newer = self._fresh() if self._token != token else None
            if newer is None:
                self._token = None
                answer = yield self._token_request(request)
                await answer.aread()
                newer = self._take(answer)
        request.headers["Authorization"] = f"Bearer {newer}"
        yield request
