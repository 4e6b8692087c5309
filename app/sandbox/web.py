"""Small HTTP helpers every simulated provider uses: endpoints, credentials, JSON bodies, idempotent answers."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.domain.exact_json import dumps

from .core import SandboxState
from .model import SandboxError, fingerprint


class ExactJSON(Response):
    """JSON whose amounts (``Decimal``) are written as the numbers they are, not floats (``exact_json``)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content).encode("utf-8")


Handler = Callable[[Request, SandboxState], Awaitable[Response]]


def endpoint(
    fn: Handler, render: Callable[[SandboxError], Response], auth: Callable[[Request], object] | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """``fn`` as a route's endpoint: ``auth(request)`` first (None: no credentials asked), then ``fn`` with the
    sandbox's state; a ``SandboxError`` from either is answered as ``render`` words it (the provider's error body)."""

    async def answer(request: Request) -> Response:
        try:
            if auth is not None:
                auth(request)
            return await fn(request, request.app.state.sandbox)
        except SandboxError as exc:
            return render(exc)

    answer.__name__ = fn.__name__
    return answer


def sandbox_error(exc: SandboxError) -> JSONResponse:
    """An error of the ``/_sandbox/*`` routes: ``{"error": <message>, "code"}`` with its status."""
    return JSONResponse({"error": exc.message, "code": exc.code}, status_code=exc.status)


def bearer_token(request: Request) -> str:
    """The non-empty Bearer token of ``request``, or SandboxError 401 (any non-empty token is accepted)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise SandboxError(401, "UNAUTHORIZED", "missing or empty Bearer access token")
    return token.strip()


def basic_credentials(request: Request) -> tuple[str, str]:
    """Non-empty HTTP Basic (user, password), or SandboxError 401."""
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    try:
        user, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        user = password = ""
    if scheme.lower() != "basic" or not user or not password:
        raise SandboxError(401, "UNAUTHORIZED", "missing or empty Basic credentials")
    return user, password


async def json_object(request: Request) -> tuple[bytes, dict[str, Any]]:
    """The raw body and its JSON object, or SandboxError 400."""
    raw = await request.body()
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        raise SandboxError(400, "INVALID_JSON", "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise SandboxError(400, "INVALID_JSON", "the request body must be a JSON object")
    return raw, data


async def idempotent(
    request: Request, state: SandboxState, provider: str, compute: Callable[[dict[str, Any]], tuple[int, Any]]
) -> tuple[int, Any, bool]:
    """Run ``compute(body)`` once per Idempotency-Key: (status, body, replayed).

    Without the header the call simply runs. With it, a stored 2xx answer for the
    same method, path, key and body is returned again; the same key with another
    body is SandboxError 422. ``compute`` must not await, so check-and-change is atomic.
    """
    raw, data = await json_object(request)
    key = request.headers.get("idempotency-key", "").strip()
    scope = (provider, request.method, request.url.path)
    mark = fingerprint(raw)
    if key:
        if len(key) > 255:
            raise SandboxError(400, "INVALID_IDEMPOTENCY_KEY", "Idempotency-Key must be at most 255 characters")
        stored = state.replay(scope, key, mark)
        if stored is not None:
            return stored.status, stored.body, True
    status, body = compute(data)
    if key and 200 <= status < 300:
        state.remember(scope, key, mark, status, body)
    return status, body, False
