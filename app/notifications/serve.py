"""``tillqr notifications serve [--host H] [--port P] [--demo]``: the receiver alone, on uvicorn.

The webhook secrets come from the OS keyring (``<provider>`` / ``webhook_secret``); with ``--demo`` the
sandbox's demo secret is used and no keyring is asked (so it runs where there is none). The replay window
is kept in the data folder (``notifications-seen.log``, ``notifications-seen-demo.log`` in demo mode). The
line ``TillQR notifications on http://HOST:PORT`` is printed (flushed) once it accepts connections; port 0
picks a free one. Standing alone it follows no sale: signed notifications are taken (and logged), unsigned
ones are answered ``ignored``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from app.checkout.push import NotificationHub
from app.config.secrets import SecretsUnavailable, get_secret
from app.i18n import _
from app.webserve import serve_asgi

from .receiver import Receiver, create_receiver
from .replay import ReplayWindow
from .sources import SECRET_KEY

log = logging.getLogger("tillqr.notifications")

DEMO_SECRET = "sandbox-demo-webhook_secret"  # what the demo registers with the sandbox's webhooks


def keyring_secret(provider: str) -> str | None:
    """The provider's webhook secret from the keyring; None when unset or no keyring can be read."""
    try:
        return get_secret(provider, SECRET_KEY)
    except SecretsUnavailable as exc:
        log.warning("no webhook secret for %s: %s", provider, exc)
        return None


def demo_secret(provider: str) -> str:
    return DEMO_SECRET


def receiver_for(hub: NotificationHub, data_dir: Path | None, *, demo: bool) -> Receiver:
    """A receiver on ``hub`` with the keyring's secrets (or the demo secret), its window kept in ``data_dir``."""
    name = "notifications-seen-demo.log" if demo else "notifications-seen.log"
    window = ReplayWindow(data_dir / name if data_dir is not None else None)
    return Receiver(hub, demo_secret if demo else keyring_secret, window)


async def serve(
    receiver: Receiver,
    host: str,
    port: int,
    *,
    announce: bool = True,
    ready: Callable[[int], None] | None = None,
) -> None:
    """Serve ``receiver`` until cancelled; once it listens, prints the banner and calls ``ready(port)``."""
    await serve_asgi(
        create_receiver(receiver), host, port, banner="TillQR notifications" if announce else None, ready=ready
    )


def run(host: str, port: int, *, demo: bool, data_dir: Path | None) -> int:
    """``tillqr notifications serve``: until interrupted; the exit status."""
    receiver = receiver_for(NotificationHub(), data_dir, demo=demo)
    try:
        asyncio.run(serve(receiver, host, port))
    except KeyboardInterrupt:
        pass
    except (OSError, OverflowError) as exc:
        reason = (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)
        if isinstance(exc, socket.gaierror):
            reason = _("unknown host ({reason})").format(reason=reason)
        print(
            _("tillqr notifications: cannot listen on {address}: {reason}").format(
                address=f"{host}:{port}", reason=reason
            ),
            file=sys.stderr,
        )
        return 1
    return 0
