"""The till's notification receiver: a starlette app with ``POST /notifications/<provider>``.

The checks (provider, content type, size, signature, JSON) are ``intake.py``'s, shared with the back office's
relay. What the till does with a notification that passed them:

1. an event already taken (same event id, or same body) is answered 200 ``{"status": "duplicate"}`` and
   does nothing;
2. an unsigned provider's notification for a request no watcher of this till follows is answered 200
   ``{"status": "ignored"}`` (the provider need not retry; nothing is done with it);
3. otherwise it is remembered in the replay window and handed to the hub (``NotificationHub.notify``), which
   wakes the request's watcher: 200 ``{"status": "accepted"}``.

``GET /notifications`` → ``{"ok": true, "providers": [...], "counts": {...}}`` (what was taken and refused).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.routing import Route

from app.checkout.push import NotificationHub

from .intake import MAX_BODY, Answer, Arrival, Intake, Refused, SecretFor
from .replay import ReplayWindow

log = logging.getLogger("tillqr.notifications")

__all__ = ["MAX_BODY", "Receiver", "Refused", "SecretFor", "create_receiver"]


@dataclass
class Receiver(Intake):
    hub: NotificationHub
    secret_for: SecretFor
    replay: ReplayWindow = field(default_factory=ReplayWindow)
    counts: Counter[str] = field(default_factory=Counter)

    async def take(self, arrival: Arrival) -> Answer:
        source, notice = arrival.source, arrival.notice
        if self.replay.seen(*arrival.keys):
            return Answer.DUPLICATE
        if not source.signed and not self.hub.watching(notice.request_id):
            log.info("%s notification for %s ignored: no sale of this till follows it", source.name, notice.what)
            return Answer.IGNORED
        self.replay.add(*arrival.keys)
        log.info("%s notification %s for request %s", source.name, notice.what, notice.request_id)
        self.hub.notify(notice.request_id)
        return Answer.ACCEPTED


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
