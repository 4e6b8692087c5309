"""A till registered with a back office hears the notifications the back office relays (``app.backoffice.relay``):
a ``WebSocketHub`` on ``<back office>/api/v1/devices/<id>/events`` with the device token, beside the till's own
hub (``JoinedHub``), so a watcher wakes on either. Nothing of it runs on a till that is not registered."""

from __future__ import annotations

import logging
from pathlib import Path

from app.checkout.push import WebSocketHub
from app.config.secrets import SecretsUnavailable
from app.replication.identity import registered_identity
from app.replication.wire import API, events_path

log = logging.getLogger("tillqr.runtime")


def events_url(base: str, device_id: str) -> str:
    """The device's events websocket at the back office ``base`` (``https://`` → ``wss://``, ``http://`` →
    ``ws://``)."""
    base = base.rstrip("/")
    scheme, sep, rest = base.partition("://")
    ws = {"https": "wss", "http": "ws"}.get(scheme.lower(), scheme) if sep else "ws"
    return f"{ws}://{rest if sep else base}{API}{events_path(device_id)}"


def backoffice_events(data_dir: Path, demo: bool, url: str) -> WebSocketHub | None:
    """The back office's events for this machine (not started), or None when it is not registered (or was
    revoked, or its token cannot be read: then it polls and hears its own hub only, as before)."""
    identity = registered_identity(data_dir, demo, url)
    if identity is None or identity.revoked_at:
        return None
    try:
        token = identity.token()
    except SecretsUnavailable as exc:
        log.warning("the back office's events are not heard: %s", exc)
        return None
    if not token:
        return None
    return WebSocketHub(events_url(identity.url, identity.device_id), headers={"Authorization": f"Bearer {token}"})
