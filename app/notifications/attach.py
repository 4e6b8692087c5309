"""The receiver inside a running till (the GUI): ``[notifications] port`` in config.toml turns it on.

``listen`` serves the receiver on the till's own event loop, beside the watchers: a notification for the sale
on screen wakes its watcher at once (a hint: the watcher reads the status back from the provider). Polling
never stops; a kiosk behind NAT receives nothing and loses nothing. The receiver listens on
``notifications.host`` (127.0.0.1 unless set: a shop's reverse proxy forwards ``notifications.public_url`` to it).

In demo mode it is wired to the sandbox the till runs on: the sandbox is told (``POST /_sandbox/webhooks``) to
notify this receiver, signed with the demo secret where the provider signs, so the whole path (signature,
replay window, hub, watcher) runs with no account. Depay needs no registration: each order names its
``notification_url`` (``ProviderSpec.notify_option``, set by the runtime from ``receiver_url``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.checkout.push import NotificationHub
from app.i18n import _

from .receiver import Receiver
from .serve import DEMO_SECRET, receiver_for, serve
from .sources import BY_NAME

log = logging.getLogger("tillqr.notifications")


class CannotListen(Exception):
    """The receiver could not start (the port is taken, the host is not this machine's); the message says so."""


def receiver_url(host: str, port: int, provider: str) -> str:
    """The local URL of ``provider``'s route (what the demo sandbox is told to notify)."""
    any_address = host in ("0.0.0.0", "::", "")  # listening everywhere: this machine reaches it on loopback
    shown = "127.0.0.1" if any_address else f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/notifications/{provider}"


@dataclass
class Listening:
    """A receiver serving in the background of a till; ``aclose`` stops it."""

    receiver: Receiver
    host: str
    port: int
    task: asyncio.Task[None]

    @property
    def text(self) -> str:
        return _("notifications on {address}").format(address=f"{self.host}:{self.port}")

    async def aclose(self) -> None:
        if not self.task.done():
            self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


async def listen(hub: NotificationHub, host: str, port: int, data_dir: Path | None, *, demo: bool) -> Listening:
    """The receiver on ``hub``, listening once this returns; CannotListen when it cannot."""
    receiver = receiver_for(hub, data_dir, demo=demo)
    started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    ports: list[int] = []

    def ready(actual: int) -> None:
        ports.append(actual)
        if not started.done():
            started.set_result(None)

    task = asyncio.create_task(serve(receiver, host, port, announce=False, ready=ready), name="notifications")
    await asyncio.wait({task, started}, return_when=asyncio.FIRST_COMPLETED)
    if not started.done():
        started.cancel()
        exc = task.exception() if not task.cancelled() else None
        reason = (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc or _("it stopped"))
        raise CannotListen(
            _("the notification receiver cannot listen on {address}: {reason}").format(
                address=f"{host}:{port}", reason=reason
            )
        )
    log.info("notification receiver on %s:%d", host, ports[0])
    return Listening(receiver, host, ports[0], task)


async def register_demo(sandbox: httpx.AsyncClient, provider: str, url: str) -> bool:
    """Tell the demo sandbox to notify ``url`` for ``provider``, as a merchant sets a webhook in the provider's
    dashboard (signed with the demo secret where the provider signs); False when the sandbox refused."""
    if provider not in BY_NAME:
        return False
    try:
        resp = await sandbox.post("/_sandbox/webhooks", json={"provider": provider, "url": url, "secret": DEMO_SECRET})
    except httpx.HTTPError as exc:
        log.warning("the sandbox could not be told of the demo webhook for %s: %s", provider, exc)
        return False
    if resp.status_code != 200:
        log.info("the sandbox did not take the demo webhook for %s: %s", provider, resp.status_code)
        return False
    return True
