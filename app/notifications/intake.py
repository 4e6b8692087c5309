"""The checks every host of ``POST /notifications/<provider>`` makes, in one place: the till's receiver
(``receiver.Receiver``) and the back office's relay (``app.backoffice.relay``) differ only in what they do with
a notification that passed them (``Intake.take``).

Each notification goes through, in this order, and stops at the first refusal (nothing changed):

1. the provider is one ``sources.py`` knows (404 otherwise);
2. ``Content-Type`` is ``application/json`` (415);
3. the body is at most ``MAX_BODY`` bytes (413): a larger ``Content-Length`` is refused before reading,
   and a body without one is read only up to that limit;
4. a signing provider's signature header is there (401) and matches the raw body with its webhook secret
   (403; also 403 when this host has no secret for it);
5. the body is UTF-8 JSON, an object, and the provider's notification (400); an event TillQR does not follow
   is answered 200 ``{"status": "ignored"}``;
6. then the host's ``take`` answers ``accepted``, ``duplicate`` (an event already taken: same event id, or
   same body; see ``replay.py``'s keys) or ``ignored``.

Answers are JSON ``{"status", "reason"?}``; an unexpected failure is a 500 with one line, never a traceback.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from .replay import body_key, event_key
from .sources import BY_NAME, BadNotice, Notice, Source, signature_ok

log = logging.getLogger("tillqr.notifications")

MAX_BODY = 1024 * 1024

SecretFor = Callable[[str], "str | None"]  # provider -> its webhook secret (None: none configured)


class Answer(StrEnum):
    """What a notification that passed the checks came to (the reply's ``status``)."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"


class Refused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass(frozen=True)
class Arrival:
    """A notification that passed the checks: its source, what it says, and the keys replays are known by
    (the body's always, the provider's event id's when it gives one)."""

    source: Source
    notice: Notice
    body_key: str
    event_key: str | None

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.body_key,) if self.event_key is None else (self.body_key, self.event_key)


class Intake:
    """The checks and the answers; a host subclasses it with ``secret_for``, ``counts`` and ``take``."""

    secret_for: SecretFor
    counts: Counter[str]

    async def take(self, arrival: Arrival) -> Answer:
        raise NotImplementedError

    async def handle(self, request: Request) -> Response:
        try:
            answer = await self._handle(request)
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
        self.counts[answer.value] += 1
        return JSONResponse({"status": answer.value})

    async def health(self, request: Request) -> Response:
        return JSONResponse({"ok": True, "providers": sorted(BY_NAME), "counts": dict(self.counts)})

    async def _handle(self, request: Request) -> Answer:
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
            return Answer.IGNORED
        event = event_key(source.name, notice.event_id) if notice.event_id is not None else None
        return await self.take(Arrival(source, notice, body_key(source.name, body), event))

    def _check_signature(self, source: Source, request: Request, body: bytes) -> None:
        given = request.headers.get(source.signature_header)
        if not given:
            raise Refused(401, f"the {source.signature_header} header is missing")
        secret = self.secret_for(source.name)
        if not secret:
            raise Refused(403, f"no webhook secret is set for {source.name}: the signature cannot be checked")
        if not signature_ok(secret, body, given):
            raise Refused(403, "the signature does not match the body")


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
