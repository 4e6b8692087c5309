"""systemd's service notifications (``sd_notify``), spoken with the standard library: the till tells systemd when
it is up and, while its event loop turns, that it is alive (``packaging/tillqr.service``: ``Type=notify``,
``WatchdogSec=30``).

Under such a unit systemd sets ``NOTIFY_SOCKET`` (an AF_UNIX datagram socket; a leading ``@`` names one in the
abstract namespace) and ``WATCHDOG_USEC`` (and ``WATCHDOG_PID``, the process it watches). ``Watchdog.start``
sends ``READY=1`` once the window is up and recovery has run, then ``WATCHDOG=1`` every third of the watchdog
period from a task on the event loop: a loop that hangs stops pinging and systemd kills and restarts the till,
whose recovery runs at every start. Without ``NOTIFY_SOCKET`` (started by hand or from the desktop) every call
does nothing. A message that cannot be sent is logged, never raised: the till runs on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

log = logging.getLogger("tillqr.watchdog")

T = TypeVar("T")
READY_WITHIN = 60.0  # seconds: READY=1 then even when recovery is still running (the unit's TimeoutStartSec is 120)


@dataclass
class Watchdog:
    address: str | None  # NOTIFY_SOCKET; None: not under systemd
    interval: float | None  # seconds between WATCHDOG=1 pings; None: no watchdog asked for this process
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None, pid: int | None = None) -> Watchdog:
        """What systemd asked for this process (``os.environ`` and ``os.getpid()`` by default)."""
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET") or None
        interval = None
        try:
            usec = int(env.get("WATCHDOG_USEC", ""))
            watched = int(env.get("WATCHDOG_PID", "") or (os.getpid() if pid is None else pid))
        except ValueError:
            usec, watched = 0, 0
        if address and usec > 0 and watched == (os.getpid() if pid is None else pid):
            interval = usec / 1_000_000 / 3
        return cls(address, interval)

    def notify(self, *states: str) -> bool:
        """Send ``states`` (``READY=1``, ``WATCHDOG=1``, ``STATUS=...``) in one datagram; False when not under
        systemd or when it could not be sent (logged)."""
        if not self.address:
            return False
        target = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto("\n".join(states).encode(), target)
        except OSError as exc:
            log.warning("could not tell systemd %s: %s", ", ".join(states), exc)
            return False
        return True

    def start(self, after: asyncio.Future[T] | None = None) -> None:
        """On the running loop: READY=1 once ``after`` (the start-up recovery) is done, or READY_WITHIN seconds
        have passed, then WATCHDOG=1 every ``interval`` seconds until ``stop``."""
        if self.address and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(after))

    async def _run(self, after: asyncio.Future[T] | None) -> None:
        if after is not None:
            await asyncio.wait([after], timeout=READY_WITHIN)
        done = after is None or after.done()
        self.notify("READY=1", "STATUS=" + ("serving" if done else "serving; recovery still running"))
        while self.interval is not None:
            self.notify("WATCHDOG=1")
            await asyncio.sleep(self.interval)

    async def stop(self) -> None:
        """STOPPING=1, and no more pings (the till is closing on purpose)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
            self.notify("STOPPING=1")
