"""Each service instance's share of the relayed notifications: one PostgreSQL connection LISTENing on
``tillqr_notifications``, and the devices connected to this instance's events websocket.

Instances share only the database: the one that took a provider's notification stores it and NOTIFYs (in the
same transaction, so it is announced once committed); every instance's ``Fanout`` hears it and hands it to the
queues of the devices connected to it — the device whose sale holds the request, or every device when none is
known. The listening connection is opened with the first websocket (``ready``), and again after PostgreSQL went
away: what was stored meanwhile is read back (by id) and handed out then, so a connected device misses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from dataclasses import dataclass
from decimal import Decimal

import psycopg

from app.domain.jsontypes import JsonObject

from .db import REVOKED_CHANNEL

log = logging.getLogger("tillqr.backoffice")

CHANNEL = "tillqr_notifications"
SEEN_KEPT = 10_000  # ids handed out, remembered so one read back after a reconnect is not sent twice
# Ids are taken at INSERT and committed in any order: one below an id already heard may commit after it. So a
# read back (here after a drop, or a device's ?after=) starts this many ids earlier, and what was heard is skipped
# (``Fanout.dispatch``'s seen set; the till's WebSocketHub).
REPLAY_OVERLAP = 64
RETRY_S = (0.2, 0.5, 1.0, 2.0, 5.0)  # between attempts to LISTEN again after the connection dropped


@dataclass(frozen=True)
class Relayed:
    """One stored notification, as it is announced and sent to the tills."""

    id: int
    provider: str
    request_id: str
    status: str
    amount: Decimal | None
    device_id: str | None  # the device whose sale holds the request (None: none known; sent to all)

    def event(self) -> JsonObject:
        """What the tills' ``WebSocketHub`` reads (``id``: what ``?after=`` resumes from)."""
        return {
            "id": self.id,
            "provider": self.provider,
            "request_id": self.request_id,
            "status": self.status,
            "amount_paid": None if self.amount is None else str(self.amount),
        }

    def announcement(self) -> str:
        """The NOTIFY payload (well under PostgreSQL's 8000 bytes: ids are at most 200 characters)."""
        return json.dumps({**self.event(), "device_id": self.device_id})

    @classmethod
    def from_announcement(cls, text: str) -> Relayed:
        raw = json.loads(text)
        amount = raw.get("amount_paid")
        return cls(
            int(raw["id"]),
            str(raw["provider"]),
            str(raw["request_id"]),
            str(raw["status"]),
            None if amount is None else Decimal(amount),
            raw.get("device_id"),
        )


SELECT_RELAYED = "SELECT id, provider, request_id, status, amount, device_id FROM notifications"


class Fanout:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._subs: dict[str, set[asyncio.Queue[Relayed | None]]] = {}  # None: the device was revoked
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._failed: BaseException | None = None
        self.last_id: int | None = None  # the newest notification handed out (None: not listening yet)
        self._seen: set[int] = set()
        self._order: deque[int] = deque()
        self.delivered = 0

    async def ready(self, timeout: float = 10.0) -> None:
        """Listening (started with the first caller); TimeoutError when PostgreSQL cannot be reached."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="relay-listen")
        await asyncio.wait_for(self._listening.wait(), timeout)

    def subscribe(self, device_id: str) -> asyncio.Queue[Relayed | None]:
        """The device's queue: each notification for it, then None if it is revoked (its socket closes)."""
        queue: asyncio.Queue[Relayed | None] = asyncio.Queue()
        self._subs.setdefault(device_id, set()).add(queue)
        return queue

    def unsubscribe(self, device_id: str, queue: asyncio.Queue[Relayed | None]) -> None:
        subs = self._subs.get(device_id)
        if subs is not None:
            subs.discard(queue)
            if not subs:
                del self._subs[device_id]

    @property
    def connected(self) -> int:
        """Websockets open on this instance."""
        return sum(len(s) for s in self._subs.values())

    def dispatch(self, relayed: Relayed) -> None:
        if relayed.id in self._seen:
            return  # already handed out (read back after a reconnect, then announced too)
        self._seen.add(relayed.id)
        self._order.append(relayed.id)
        if len(self._order) > SEEN_KEPT:
            self._seen.discard(self._order.popleft())
        self.last_id = max(relayed.id, self.last_id or 0)  # ids commit out of order: the set, not this, dedupes
        if relayed.device_id is None:
            targets = [q for subs in self._subs.values() for q in subs]
        else:
            targets = list(self._subs.get(relayed.device_id, ()))
        for queue in targets:
            queue.put_nowait(relayed)
            self.delivered += 1

    def revoked(self, device_id: str) -> None:
        """The device was revoked (on any instance): its websockets here are told to close."""
        for queue in list(self._subs.get(device_id, ())):
            queue.put_nowait(None)

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.dsn, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    await conn.execute(f"LISTEN {REVOKED_CHANNEL}")
                    await self._catch_up(conn)
                    self._listening.set()
                    attempt = 0
                    async for note in conn.notifies():
                        if note.channel == REVOKED_CHANNEL:
                            self.revoked(note.payload)
                            continue
                        try:
                            self.dispatch(Relayed.from_announcement(note.payload))
                        except (ValueError, KeyError, TypeError, ArithmeticError):
                            log.warning("ignored an announcement that is not a notification: %.200r", note.payload)
            except psycopg.OperationalError as exc:
                log.warning("the relay stopped listening (%s); trying again", str(exc).strip().splitlines()[0])
            finally:
                self._listening.clear()
            await asyncio.sleep(RETRY_S[min(attempt, len(RETRY_S) - 1)])
            attempt += 1

    async def _catch_up(self, conn: psycopg.AsyncConnection) -> None:
        """First time: start after what is stored now. Again (after a drop): hand out what came meanwhile."""
        if self.last_id is None:
            cur = await conn.execute("SELECT coalesce(max(id), 0) FROM notifications")
            row = await cur.fetchone()
            self.last_id = int(row[0]) if row else 0
            return
        cur = await conn.execute(f"{SELECT_RELAYED} WHERE id > %s ORDER BY id", (self.last_id - REPLAY_OVERLAP,))
        for row in await cur.fetchall():
            self.dispatch(Relayed(*row))
