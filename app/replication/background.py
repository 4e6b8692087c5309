"""The till's sender in the background: what the GUI runs beside the counter when the machine is registered.

``open_till_sender`` makes one when ``[backoffice] url`` is set and this machine is registered (the demo journal:
when its own device is registered), on the runtime's journal (its SQLite work on the journal's own thread, so the
counter never waits on it) and the field book's file when there is one. ``start`` runs ``Sender.run`` as a held
task; every commit to those files (``app.storage.sqlite.on_commit``: a sale, a status change, a refund, a
reading) wakes it, so a sale reaches the back office without anyone doing anything. ``changed`` listeners are
told after each such commit and each push (the manager's view redraws). When another process holds the sender's
lock (``tillqr backoffice push`` running), it tries again later; when the back office revoked the device, it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from pathlib import Path

from app.replication.identity import identity_file, registered_identity
from app.replication.outbox import Outbox, fieldbook_path
from app.replication.sender import IDLE_S, PushReport, Sender, SenderBusy, sender_lock_file
from app.replication.wire import Stream
from app.retry import BACKOFFICE_AWAY, BACKOFFICE_PUSH, SYSTEM_TIMER, RetryPolicy, Timer
from app.storage.fieldbook import Fieldbook
from app.storage.journal import Journal
from app.storage.sqlite import on_commit

log = logging.getLogger("tillqr.replication")


class TillSender:
    """A ``Sender`` held in the background; ``last`` is its last push's report (None: none yet)."""

    def __init__(
        self,
        sender: Sender,
        lock_path: Path,
        *,
        owned: list[Outbox],
        book: Path | None = None,
    ) -> None:
        """``book``: a field book not written yet: its outbox is opened and sent from its first commit on."""
        self.sender = sender
        self.lock_path = lock_path
        self.owned = owned  # outboxes opened for the sender alone (the field book's): closed with it
        self.last: PushReport | None = None
        self._listeners: list[Callable[[], None]] = []
        self._next: asyncio.Future[PushReport] | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unwatch = [on_commit(o.db.path, self._committed) for o in sender.outboxes]
        self._book = book
        if book is not None:
            self._unwatch.append(on_commit(book, self._book_committed))
        sender.pushed = self._pushed

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="backoffice sender")

    async def push_now(self) -> PushReport:
        """Wakes the sender and waits for the report of its next push."""
        if not self.running:
            return await self.sender.push()  # ended (revoked): the push says so again
        if self._next is None or self._next.done():
            self._next = asyncio.get_running_loop().create_future()
        waiting = self._next
        self.sender.wake.set()
        return await asyncio.shield(waiting)

    async def aclose(self) -> None:
        for stop in self._unwatch:
            stop()
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._next is not None and not self._next.done():
            self._next.cancel()
        await self.sender.aclose()
        for outbox in self.owned:
            await outbox.db.aclose()

    def _book_committed(self) -> None:
        """The field book's first commit in this process (a new route, a first reading): sent from now on."""
        book, self._book = self._book, None
        if book is None:
            return  # opened already: its own listener wakes the sender
        outbox = Outbox(Fieldbook(book), Stream.FIELDBOOK)
        self.owned.append(outbox)
        self.sender.outboxes.append(outbox)  # the next push resumes it from the back office's cursor
        self._unwatch.append(on_commit(outbox.db.path, self._committed))
        self._committed()

    def _committed(self) -> None:
        self.sender.wake.set()
        self._tell()

    def _pushed(self, report: PushReport) -> None:
        self.last = report
        if self._next is not None and not self._next.done():
            self._next.set_result(report)
        self._tell()

    def _tell(self) -> None:
        for listener in list(self._listeners):
            listener()

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.sender.run(self._stop, self.lock_path)
                return  # stopped, or the device was revoked
            except SenderBusy as exc:
                log.info("the back office sender waits: %s", exc)
            except Exception:  # never the counter's problem: said in the log, tried again later
                log.exception("the back office sender failed; it starts again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), IDLE_S)


def open_till_sender(
    data_dir: Path,
    demo: bool,
    url: str,
    journal: Journal,
    *,
    timer: Timer = SYSTEM_TIMER,
    policy: RetryPolicy = BACKOFFICE_PUSH,
    away: RetryPolicy = BACKOFFICE_AWAY,
    rng: random.Random | None = None,
) -> TillSender | None:
    """The background sender for this machine (not started), or None when it should not send (no back office
    set, not registered, revoked, or no token in the keyring). SecretsUnavailable when the keyring cannot be
    read."""
    identity = registered_identity(data_dir, demo, url)
    if identity is None or identity.revoked_at:
        return None
    token = identity.token()
    if not token:
        return None
    outboxes = [Outbox(journal, Stream.JOURNAL)]
    owned: list[Outbox] = []
    book = fieldbook_path(data_dir, demo)
    opened = book.exists()  # not yet: opened at its first commit (a till that never goes out creates no file)
    if opened:
        owned.append(Outbox(Fieldbook(book), Stream.FIELDBOOK))
    sender = Sender(
        identity,
        identity_file(data_dir, demo),
        outboxes + owned,
        token=token,
        timer=timer,
        rng=rng,
        policy=policy,
        away=away,
    )
    return TillSender(sender, sender_lock_file(data_dir, demo), owned=owned, book=None if opened else book)
