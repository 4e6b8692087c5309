"""The notification receiver: a starlette app with ``POST /notifications/<provider>``.

Each notification goes through, in this order, and stops at the first refusal (nothing changed):

1. the provider is one ``sources.py`` knows (404 otherwise);
2. ``Content-Type`` is ``application/json`` (415);
3. the body is at most ``MAX_BODY`` bytes (413): a larger ``Content-Length`` is refused before reading,
   and a body without one is read only up to that limit;
4. a signing provider's signature header is there (401) and matches the raw body with its webhook secret
   (403; also 403 when this receiver has no secret for it);
5. the body is UTF-8 JSON, an object, and the provider's notification (400);
6. an event already taken (same event id, or same body) is answered 200 ``{"status": "duplicate"}`` and
   does nothing;
7. an unsigned provider's notification for a request no watcher of this till follows is answered 200
   ``{"status": "ignored"}`` (the provider need not retry; nothing is done with it);
8. otherwise it is remembered in the replay window and handed to the hub (``NotificationHub.notify``), which
   wakes the request's watcher: 200 ``{"status": "accepted"}``.

Answers are JSON ``{"status", "reason"?}``; an unexpected failure is a 500 with one line, never a traceback.
``GET /notifications`` → ``{"ok": true, "providers": [...], "counts": {...}}`` (what was taken and refused).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.checkout.push import NotificationHub

from .replay import ReplayWindow, body_key, event_key
from .sources import BY_NAME, BadNotice, Notice, Source, signature_ok

log = logging.getLogger("tillqr.notifications")

MAX_BODY = 1024 * 1024

SecretFor = Callable[[str], "str | None"]  # provider -> its webhook secret (None: none configured)


class Refused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass
class Receiver:
    hub: NotificationHub
    secret_for: SecretFor
    replay: ReplayWindow = field(default_factory=ReplayWindow)
    counts: Counter[str] = field(default_factory=Counter)

    async def handle(self, request: Request) -> Response:
        try:
            status = await self._handle(request)
        except Refused as exc:
            self.counts[f"refused_{exc.status}"] += 1
            log.info("notification refused (%d): %s", exc.status, exc.reason)
            return JSONResponse({"status": "refused", "reason": exc.reason}, status_code=exc.status)
        except ClientDisconnect:
            self.counts["disconnected"] += 1
            return Response(status_code=400)
        except Exception:  # whatever it is, the sender gets one line and the log the rest
            self.counts["failed"] += 1
            log.exception("notification failed")
            return JSONResponse({"status": "error", "reason": "the receiver failed; try again"}, status_code=500)
        self.counts[status] += 1
        return JSONResponse({"status": status})

    async def _handle(self, request: Request) -> str:
        source = BY_NAME.get(request.path_params["provider"])
        if source is None:
            raise Refused(404, "no such provider")
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            raise Refused(415, "the body must be application/json")
        body = await _read(request)
        if source.signed:
            self._check_signature(source, request, body)
        notice = _parse(source, body, request)
        if notice is None:
            return "ignored"
        keys = [body_key(source.name, body)]
        if notice.event_id is not None:
            keys.append(event_key(source.name, notice.event_id))
        if self.replay.seen(*keys):
            return "duplicate"
        if not source.signed and not self.hub.watching(notice.request_id):
            log.info("%s notification for %s ignored: no sale of this till follows it", source.name, notice.what)
            return "ignored"
        self.replay.add(*keys)
        log.info("%s notification %s for request %s", source.name, notice.what, notice.request_id)
        self.hub.notify(notice.request_id)
        return "accepted"

    def _check_signature(self, source: Source, request: Request, body: bytes) -> None:
        given = request.headers.get(source.signature_header)
        if not given:
            raise Refused(401, f"the {source.signature_header} header is missing")
        secret = self.secret_for(source.name)
        if not secret:
            raise Refused(403, f"no webhook secret is set for {source.name}: the signature cannot be checked")
        if not signature_ok(secret, body, given):
            raise Refused(403, "the signature does not match the body")

    async def health(self, request: Request) -> Response:
        return JSONResponse({"ok": True, "providers": sorted(BY_NAME), "counts": dict(self.counts)})


async def _read(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise Refused(400, "Content-Length is not a number")
        if int(declared) > MAX_BODY:
            raise Refused(413, f"the body is over {MAX_BODY} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise Refused(413, f"the body is over {MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(source: Source, body: bytes, request: Request) -> Notice | None:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Refused(400, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise Refused(400, "the body is not a JSON object")
    try:
        return source.parse(data, request.headers)
    except BadNotice as exc:
        raise Refused(400, f"not a {source.name} notification: {exc}") from None


def create_receiver(receiver: Receiver) -> Starlette:
    """The receiver as an ASGI app; ``app.state.receiver`` is ``receiver`` (its hub, counts and window)."""
    app = Starlette(
        routes=[
            Route("/notifications", receiver.health, methods=["GET"]),
            Route("/notifications/{provider}", receiver.handle, methods=["POST"]),
        ]
    )
    app.state.receiver = receiver
    return app
