"""J.P. Morgan's OAuth2 token endpoint, simulated (client credentials, RFC 6749 §4.4), and the API's token check.

Routes, under ``/jpmorgan``:

==========  ==========================  ==========================================================
POST        /oauth2/token               form ``grant_type=client_credentials`` (``scope`` optional),
                                        the client by HTTP Basic (or ``client_id``/``client_secret``
                                        in the form) → 200 ``{"access_token", "token_type": "Bearer",
                                        "expires_in", "scope"}``
POST        /_sandbox/tokens            test hook: ``{"expire": true}`` ends every token issued so far,
                                        ``{"lifetime_s": N}`` sets the life of the next ones (1–86400)
                                        → 200 ``{"issued", "live", "lifetime_s"}``
==========  ==========================  ==========================================================

Any non-empty client id and secret are accepted (the sandbox's rule for credentials); a missing one is
401 ``{"error": "invalid_client"}`` (with ``WWW-Authenticate: Basic``), another grant type 400
``unsupported_grant_type``, a body that is not a form 400 ``invalid_request``. Tokens live
``DEFAULT_LIFETIME_S`` (short, so a demo of an afternoon renews them) on the sandbox's clock, so time
travel (``POST /_sandbox/clock``) expires them too.

The API (``app/sandbox/jpmorgan.py``) takes ``Authorization: Bearer <token>``: a token this endpoint
issued (``sbx-jpm-…``) must still be live, or the call is 401 UNAUTHORIZED ("expired or unknown"); any
other non-empty token is taken as a pre-issued one and accepted, as before the token endpoint existed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import parse_qs
from weakref import WeakKeyDictionary

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .core import SandboxState
from .model import SandboxError
from .web import basic_credentials, bearer_token, json_object

DEFAULT_LIFETIME_S = 600
PREFIX = "sbx-jpm-"


@dataclass
class Tokens:
    lifetime_s: int = DEFAULT_LIFETIME_S
    live: dict[str, datetime] = field(default_factory=dict)  # token -> when it expires (sandbox time)
    issued: int = 0

    def forget_expired(self, now: datetime) -> None:
        for token in [t for t, until in self.live.items() if until <= now]:
            del self.live[token]


_books: WeakKeyDictionary[SandboxState, Tokens] = WeakKeyDictionary()


def tokens(state: SandboxState) -> Tokens:
    """The tokens ``state``'s token endpoint issued."""
    if state not in _books:
        _books[state] = Tokens()
    return _books[state]


def _oauth_error(status: int, code: str, description: str) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Basic realm="sandbox"'} if status == 401 else None
    return JSONResponse({"error": code, "error_description": description}, status_code=status, headers=headers)


async def issue(request: Request) -> Response:
    raw = await request.body()
    try:
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), strict_parsing=bool(raw)).items()}
    except (UnicodeDecodeError, ValueError):
        return _oauth_error(400, "invalid_request", "the body must be an application/x-www-form-urlencoded form")
    try:
        client, secret = basic_credentials(request)
    except SandboxError:
        client, secret = form.get("client_id", ""), form.get("client_secret", "")
    if not client.strip() or not secret.strip():
        return _oauth_error(401, "invalid_client", "client authentication failed")
    grant = form.get("grant_type")
    if grant is None:
        return _oauth_error(400, "invalid_request", "grant_type is required")
    if grant != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "only client_credentials is supported")
    state: SandboxState = request.app.state.sandbox
    book = tokens(state)
    now = state.now()
    book.forget_expired(now)
    token = PREFIX + secrets.token_urlsafe(24)
    book.live[token] = now + timedelta(seconds=book.lifetime_s)
    book.issued += 1
    answer = {"access_token": token, "token_type": "Bearer", "expires_in": book.lifetime_s}
    return JSONResponse({**answer, "scope": form.get("scope", "jpm:payments:sandbox")})


def check_token(request: Request) -> str:
    """The API's auth: a non-empty Bearer token, live when this sandbox issued it; SandboxError 401 otherwise."""
    token = bearer_token(request)
    if token.startswith(PREFIX):
        state: SandboxState = request.app.state.sandbox
        until = tokens(state).live.get(token)
        if until is None or until <= state.now():
            raise SandboxError(401, "UNAUTHORIZED", "the access token has expired or is unknown: get a new one")
    return token


async def tokens_hook(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    book = tokens(state)
    try:
        _, body = await json_object(request)
    except SandboxError as exc:
        return JSONResponse({"error": exc.message, "code": exc.code}, status_code=exc.status)
    lifetime = body.get("lifetime_s")
    if lifetime is not None:
        if isinstance(lifetime, bool) or not isinstance(lifetime, int) or not 1 <= lifetime <= 86400:
            return JSONResponse({"error": "lifetime_s must be whole seconds, 1 to 86400"}, status_code=400)
        book.lifetime_s = lifetime
    if body.get("expire") is True:
        book.live.clear()
    book.forget_expired(state.now())
    return JSONResponse({"issued": book.issued, "live": len(book.live), "lifetime_s": book.lifetime_s})


ROUTES = [
    Route("/oauth2/token", issue, methods=["POST"]),
    Route("/_sandbox/tokens", tokens_hook, methods=["POST"]),
]
