"""The sandbox as one ASGI app: every simulated provider under its prefix, plus ``/_sandbox/*``.

``create_app()`` is used in-process (``httpx.ASGITransport(app=create_app())``) and
by ``run()`` / ``python -m app.sandbox`` / ``tillqr sandbox`` on uvicorn.

Sandbox routes (never faulted; errors as ``{"error": "<message>"}``):

- ``POST /_sandbox/pay`` ``{"payload", "amount"?}`` → 200 ``{"request_id", "status",
  "provider", "amount_paid"}``; 400 bad input, 404 nothing payable behind the
  payload, 409 no longer payable;
- ``POST /_sandbox/change`` ``{"amount"}`` + a selector, ``POST /_sandbox/cancel`` and
  ``POST /_sandbox/return`` with a selector: what the provider's side does on its own (another
  system changed the amount of an ACTIVE request, cancelled it, returned a settled payment), each
  a new revision of the request. The selector is ``{"request_id"}`` (with ``"provider"`` when two
  providers share the id) or ``{"payload"}``, resolved as ``/_sandbox/pay`` does (a printed link
  reaches the request linked now). → 200 the ``/_sandbox/pay`` body plus ``"amount"``; 404 no such
  request; 409 when the request is not open (change, cancel; a cancelled one again is 200) or not
  settled (return; only providers with a returned status, e.g. J.P. Morgan);
- ``GET /_sandbox/state`` → ``{"requests": [...], "links": [...]}`` (DESIGN.md); ``?with=revision`` adds each
  request's ``revision`` (its changes counted: the field sync's exactly-once checks);
- ``POST /_sandbox/faults`` (see ``faults.py``) → 200 the settings now in force;
  ``GET`` and ``DELETE /_sandbox/faults``;
- ``GET /_sandbox/calls`` → ``{"count", "calls": [{"method", "path", "fault"}]}``,
  every provider call received (faulted ones included), for tests counting retries;
- ``POST /_sandbox/reset`` clears requests, links, idempotency keys, faults and calls;
- ``GET /_sandbox/health`` → ``{"ok": true, "providers": [...]}``;
- ``POST /_sandbox/clock`` ``{"advance_s": N}`` → ``{"now"}``: time travel (expiry demos, e2e tests);
- ``WS /_sandbox/events`` status events, ``POST /_sandbox/events/drop`` (see ``events.py``);
- ``POST``/``GET``/``DELETE /_sandbox/webhooks``: the receivers of Razorpay's and J.P. Morgan's
  notifications, and every notification sent with its answer (see ``webhooks.py``).

Which providers it speaks is the caller's to say: ``create_app(modules=...)`` takes the dotted
paths of the simulators to mount (TillQR's provider specs name them: ``tillqr sandbox`` mounts
every provider's, demo mode only the one it uses). With none given, every module of this package
that has a ``provider()`` returning a ``SandboxProvider`` is mounted (``provider_modules()``: found,
never listed by hand), which is what ``python -m app.sandbox`` and the tests get. The sandbox
imports nothing from ``app.providers``.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import pkgutil
import socket
import sys
from collections.abc import Sequence
from datetime import timedelta
from email.utils import formatdate
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute

from app.webserve import serve_asgi

from . import events as sandbox_events
from . import webhooks
from .core import SandboxProvider, SandboxState
from .faults import FaultConfig, FaultInjector, drop_connection, hold_answer, send_bytes
from .hooks import cancel, change, give_back
from .model import Clock, SandboxError, SandboxSettings, iso
from .web import json_object
from .web import sandbox_error as _sandbox_error

SANDBOX_PREFIX = "/_sandbox"


def provider_modules() -> tuple[str, ...]:
    """Every simulator in this package: the modules with a ``provider()`` function, by dotted path."""
    found = []
    for info in pkgutil.iter_modules(importlib.import_module(__package__).__path__):
        if info.ispkg or info.name.startswith("_"):
            continue
        path = f"{__package__}.{info.name}"
        if callable(getattr(importlib.import_module(path), "provider", None)):
            found.append(path)
    return tuple(found)


def mount(module: str) -> SandboxProvider:
    """The simulator that module ``module`` (a dotted path) plugs in."""
    provider = importlib.import_module(module).provider()
    if not isinstance(provider, SandboxProvider):
        raise TypeError(f"{module}.provider() returned {type(provider).__name__}, not a SandboxProvider")
    return provider


class SandboxApp(Starlette):
    """Starlette, with fault injection in front of the provider routes.

    Faults are applied here, outside Starlette's own middleware, so that a dropped
    connection reaches the server's real ``send`` (see ``faults.drop_connection``).
    """

    sandbox: SandboxState
    faults: FaultInjector
    providers: dict[str, SandboxProvider]
    event_sockets: set

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path == SANDBOX_PREFIX or path.startswith(SANDBOX_PREFIX + "/"):
            await super().__call__(scope, receive, send)
            return
        fault = self.faults.draw()
        self.sandbox.calls.append({"method": scope.get("method"), "path": path, "fault": fault})
        self.sandbox.call_count += 1
        if self.faults.config.latency_ms:
            await asyncio.sleep(self.faults.config.latency_ms / 1000)
        if fault == "drop":
            await drop_connection(send)
        elif fault == "timeout":
            await hold_answer(super().__call__, scope, receive, send, self.sandbox.settings.fault_hold_s)
        elif fault == "error":
            provider = self._provider_for(path)
            message = "the service is temporarily unavailable (sandbox fault)"
            body = provider.error_body(503, "SERVICE_UNAVAILABLE", message) if provider else {"error": message}
            await send_bytes(send, 503, json.dumps(body).encode(), "application/json")
        elif fault == "garbage":
            await send_bytes(send, 200, b"<html>502 Bad Gateway</html> {not json", "application/json")
        elif fault == "auth":  # as if the credentials were wrong: the provider's own 401 answers
            headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"authorization"]
            await super().__call__({**scope, "headers": headers}, receive, send)
        else:
            await super().__call__(scope, receive, self._dated(send))

    def _dated(self, send: Any) -> Any:
        """``send``, adding a ``Date`` header ``clock_skew_s`` away from the sandbox's clock when that is set."""
        skew = self.faults.config.clock_skew_s
        if not skew:
            return send
        stamp = formatdate((self.sandbox.clock() + timedelta(seconds=skew)).timestamp(), usegmt=True).encode()

        async def dated(message: Any) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                message = {**message, "headers": [*kept, (b"date", stamp)]}
            await send(message)

        return dated

    def _provider_for(self, path: str) -> SandboxProvider | None:
        for provider in self.providers.values():
            if path == provider.prefix or path.startswith(provider.prefix + "/"):
                return provider
        return None


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


async def pay(request: Request) -> Response:
    state = _state(request)
    try:
        _, body = await json_object(request)
        unknown = set(body) - {"payload", "amount"}
        if unknown:
            raise SandboxError(400, "INVALID_REQUEST", f"unknown fields: {', '.join(sorted(unknown))}")
        payload = body.get("payload")
        if not isinstance(payload, str):
            raise SandboxError(400, "INVALID_REQUEST", "payload must be the text a customer's app scanned")
        req = state.pay(payload, body.get("amount"))
    except SandboxError as exc:
        return _sandbox_error(exc)
    return JSONResponse(
        {"request_id": req.id, "status": state.word(req), "provider": req.provider, "amount_paid": str(req.amount_paid)}
    )


async def get_state(request: Request) -> Response:
    return JSONResponse(_state(request).snapshot(revisions=request.query_params.get("with") == "revision"))


async def set_faults(request: Request) -> Response:
    try:
        _, body = await json_object(request)
        config = FaultConfig.from_json(body)
    except SandboxError as exc:
        return _sandbox_error(exc)
    except ValueError as exc:
        return JSONResponse({"error": str(exc), "code": "INVALID_FAULTS"}, status_code=400)
    request.app.faults.configure(config)
    return JSONResponse(config.to_json())


async def get_faults(request: Request) -> Response:
    return JSONResponse(request.app.faults.config.to_json())


async def clear_faults(request: Request) -> Response:
    request.app.faults.clear()
    return JSONResponse(request.app.faults.config.to_json())


async def get_calls(request: Request) -> Response:
    calls = _state(request).calls
    return JSONResponse({"count": _state(request).call_count, "calls": list(calls)})


async def reset(request: Request) -> Response:
    _state(request).reset()
    request.app.faults.clear()
    return JSONResponse({"ok": True})


async def advance_clock(request: Request) -> Response:
    """``POST /_sandbox/clock {"advance_s": N}``: the sandbox's time moves N seconds on (expiry demos, e2e)."""
    try:
        _, body = await json_object(request)
        seconds = body.get("advance_s")
        if set(body) != {"advance_s"} or isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise SandboxError(400, "INVALID_REQUEST", 'send {"advance_s": seconds}')
        now = _state(request).advance(seconds)
    except SandboxError as exc:
        return _sandbox_error(exc)
    except ValueError as exc:
        return JSONResponse({"error": str(exc), "code": "INVALID_REQUEST"}, status_code=400)
    return JSONResponse({"now": iso(now)})


async def health(request: Request) -> Response:
    return JSONResponse({"ok": True, "providers": sorted(request.app.providers)})


def create_app(
    clock: Clock | None = None,
    *,
    settle_delay_s: float = 0.0,
    fault_hold_s: float = 60.0,
    location_host: str = "pix.sandbox.tillqr.dev",
    merchant_name: str = "TILLQR SANDBOX",
    merchant_city: str = "SAO PAULO",
    notify_transport: Any = None,
    modules: Sequence[str] | None = None,
) -> Starlette:
    """A fresh sandbox (its own state) as an ASGI app; ``app.state.sandbox`` is its ``SandboxState``.

    ``modules``: the simulators to mount, by dotted path (default: ``provider_modules()``).

    ``notify_transport``: the ``httpx.AsyncBaseTransport`` for the notifications the sandbox
    posts to merchants' URLs (tests hand it a receiver app); ``None``: the network.
    """
    settings = SandboxSettings(
        location_host=location_host,
        merchant_name=merchant_name,
        merchant_city=merchant_city,
        settle_delay_s=settle_delay_s,
        fault_hold_s=fault_hold_s,
    )
    state = SandboxState(clock, settings)
    state.notify_transport = notify_transport
    mounted = [mount(module) for module in (provider_modules() if modules is None else modules)]
    providers = {provider.name: provider for provider in mounted}
    routes: list[Any] = [
        Route(f"{SANDBOX_PREFIX}/pay", pay, methods=["POST"]),
        Route(f"{SANDBOX_PREFIX}/change", change, methods=["POST"]),
        Route(f"{SANDBOX_PREFIX}/cancel", cancel, methods=["POST"]),
        Route(f"{SANDBOX_PREFIX}/return", give_back, methods=["POST"]),
        Route(f"{SANDBOX_PREFIX}/state", get_state, methods=["GET"]),
        Route(f"{SANDBOX_PREFIX}/faults", set_faults, methods=["POST"]),
        Route(f"{SANDBOX_PREFIX}/faults", get_faults, methods=["GET"]),
        Route(f"{SANDBOX_PREFIX}/faults", clear_faults, methods=["DELETE"]),
        Route(f"{SANDBOX_PREFIX}/calls", get_calls, methods=["GET"]),
        Route(f"{SANDBOX_PREFIX}/reset", reset, methods=["POST"]),
        Route(f"{SANDBOX_PREFIX}/health", health, methods=["GET"]),
        Route(f"{SANDBOX_PREFIX}/clock", advance_clock, methods=["POST"]),
        WebSocketRoute(f"{SANDBOX_PREFIX}/events", sandbox_events.events),
        Route(f"{SANDBOX_PREFIX}/events/drop", sandbox_events.drop, methods=["POST"]),
        Route(f"{SANDBOX_PREFIX}/webhooks", webhooks.register, methods=["POST"]),
        Route(f"{SANDBOX_PREFIX}/webhooks", webhooks.listing, methods=["GET"]),
        Route(f"{SANDBOX_PREFIX}/webhooks", webhooks.forget, methods=["DELETE"]),
    ]
    for provider in providers.values():
        state.status_words[provider.name] = provider.status_words
        if provider.revive is not None:
            state.revivers[provider.name] = provider.revive
        if provider.setup is not None:
            provider.setup(state)
        routes.append(Mount(provider.prefix, routes=provider.routes))
    app = SandboxApp(routes=routes)
    app.state.sandbox = state
    app.sandbox = state
    app.faults = FaultInjector()
    app.providers = providers
    app.event_sockets = set()
    return app


async def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    app: Starlette | None = None,
    announce: bool = True,
    modules: Sequence[str] | None = None,
) -> None:
    """Serve ``app`` (default: a new sandbox of ``modules``, see ``create_app``) on uvicorn until cancelled
    or interrupted.

    ``port=0`` picks a free port; the line ``TillQR sandbox on http://HOST:PORT`` is
    printed (flushed) once the server accepts connections.
    """
    await serve_asgi(app or create_app(modules=modules), host, port, banner="TillQR sandbox" if announce else None)


def run(host: str = "127.0.0.1", port: int = 8765, *, modules: Sequence[str] | None = None) -> int:
    """Run the sandbox (the simulators ``modules``, see ``create_app``) until interrupted (Ctrl+C / SIGTERM);
    returns an exit status."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        print(f"tillqr sandbox: the port must be a number from 0 to 65535, not {port!r}", file=sys.stderr)
        return 1
    try:
        asyncio.run(serve(host, port, modules=modules))
    except KeyboardInterrupt:
        pass
    except socket.gaierror as exc:  # a host name that does not resolve
        print(f"tillqr sandbox: cannot listen on {host}:{port}: unknown host ({exc.strerror or exc})", file=sys.stderr)
        return 1
    except (OSError, OverflowError) as exc:
        reason = (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)
        print(f"tillqr sandbox: cannot listen on {host}:{port}: {reason}", file=sys.stderr)
        return 1
    return 0
