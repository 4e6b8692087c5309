"""Push: status events that wake the watchers at once instead of at their next poll.

An event is a hint, never the truth: a woken watcher asks the provider
(``get_request``) and the controller applies what it answers, so an event that
arrives twice, late or out of order shows nothing twice. While the hub is
connected the watchers poll slowly as a safety net; when it drops they poll at
their normal interval at once, so there is no gap.

- ``WebSocketHub``: the sandbox's ``/_sandbox/events`` websocket (or any relay that
  speaks the same JSON: ``{"provider", "request_id", "status", "amount_paid"}``),
  reconnecting with backoff and jitter.
- ``SandboxHub``: the embedded, in-process sandbox's own change hook (no socket in
  between: it runs in this very process).
- ``NotificationHub``: providers' notifications received by ``app.notifications``, beside
  either of the above; polling never slows down for them.
- ``JoinedHub``: several of these at once (a till registered with a back office hears its relayed
  notifications on a ``WebSocketHub`` beside its own hub); polling follows the main hub only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import deque
from collections.abc import Callable, Mapping
from typing import Generic, Protocol, TypeVar

log = logging.getLogger("tillqr.push")

Wake = Callable[[], None]
HEARD_KEPT = 1024  # relayed ids a hub remembers (well over the back office's replay overlap)
POLICY_CLOSE = 1008  # a websocket closed so (RFC 6455 7.4.1): the back office revoked this device


class Changed(Protocol):
    """What an in-process sandbox tells its listeners about: a request, by its id."""

    @property
    def id(self) -> str: ...


R = TypeVar("R", bound=Changed)


class Listened(Protocol[R]):
    """An in-process sandbox's state as ``SandboxHub`` uses it: the listeners told of each changed request."""

    listeners: list[Callable[[R], None]]


class PushHub:
    """Fan-out of events by request id to the watchers that subscribed."""

    def __init__(self) -> None:
        self._subs: dict[str, set[Wake]] = {}
        self.connected = False
        self.events = 0

    def subscribe(self, request_id: str, wake: Wake) -> Callable[[], None]:
        self._subs.setdefault(request_id, set()).add(wake)

        def unsubscribe() -> None:
            subs = self._subs.get(request_id)
            if subs is not None:
                subs.discard(wake)
                if not subs:
                    del self._subs[request_id]

        return unsubscribe

    def dispatch(self, event: Mapping[str, object]) -> None:
        request_id = event.get("request_id") if isinstance(event, Mapping) else None
        if not isinstance(request_id, str):
            log.warning("ignored a status event without a request id: %.200r", event)
            return
        self.events += 1
        for wake in list(self._subs.get(request_id, ())):
            wake()

    def wake_all(self) -> None:
        """Every watcher asks the provider now: on connect (events missed meanwhile) and on a drop
        (a watcher waiting out the slow interval must switch to normal polling at once)."""
        for subs in list(self._subs.values()):
            for wake in list(subs):
                wake()

    async def start(self) -> PushHub:
        return self

    async def aclose(self) -> None:
        self.connected = False


class WebSocketHub(PushHub):
    """Events read from a websocket. ``headers`` go with each handshake (the back office's relay wants the device
    token). An event with an integer ``id`` (the relay's) is remembered, and a reconnect asks for what came
    after it (``?after=<id>``), so nothing relayed meanwhile is missed."""

    def __init__(
        self,
        url: str,
        *,
        max_backoff: float = 10.0,
        open_timeout: float = 5.0,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__()
        self.url = url
        self.max_backoff = max_backoff
        self.open_timeout = open_timeout
        self.headers = dict(headers or {})
        self._task: asyncio.Task[None] | None = None
        self.connects = 0
        self.last_id: int | None = None  # the newest relayed event's id
        self._heard_ids: deque[int] = deque(maxlen=HEARD_KEPT)  # relayed ids heard: a replay's overlap is skipped

    def dispatch(self, event: Mapping[str, object]) -> None:
        event_id = event.get("id") if isinstance(event, Mapping) else None
        if isinstance(event_id, int) and not isinstance(event_id, bool):
            self.last_id = max(event_id, self.last_id or 0)
        super().dispatch(event)

    def _heard_before(self, event: object) -> bool:
        """Whether this relayed event (by its ``id``) was heard already: a resumed replay overlaps what was heard."""
        event_id = event.get("id") if isinstance(event, dict) else None
        if not isinstance(event_id, int) or isinstance(event_id, bool):
            return False
        if event_id in self._heard_ids:
            return True
        self._heard_ids.append(event_id)
        return False

    def _resume_url(self) -> str:
        if self.last_id is None:
            return self.url
        return f"{self.url}{'&' if '?' in self.url else '?'}after={self.last_id}"

    async def start(self) -> WebSocketHub:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="push-hub")
        return self

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self.connected = False

    async def _run(self) -> None:
        import websockets  # lazy: only a till whose provider pushes status events loads it
        from websockets.exceptions import InvalidStatus  # lazy: as above

        failures = 0
        while True:
            try:
                async with websockets.connect(
                    self._resume_url(), open_timeout=self.open_timeout, additional_headers=self.headers or None
                ) as ws:
                    self.connected, failures = True, 0
                    self.connects += 1
                    log.info("status events connected (%s)", self.url)
                    self.wake_all()
                    async for message in ws:
                        try:
                            event = json.loads(message)
                            if not self._heard_before(event):
                                self.dispatch(event)
                        except ValueError:
                            log.warning("ignored a malformed status event: %.200r", message)
                if ws.close_code == POLICY_CLOSE:
                    log.warning("status events ended: %s said %r; polling only", self.url, ws.close_reason)
                    return  # the back office revoked this device: asking again would be refused
            except asyncio.CancelledError:
                raise
            except InvalidStatus as exc:
                if exc.response.status_code in (401, 403):  # this device's token is refused (revoked, unknown)
                    log.warning("status events refused (%s); polling only", exc)
                    return
                log.info("status events unavailable (%s); polling", exc)
            except Exception as exc:  # noqa: BLE001 - network, handshake, protocol: all mean "poll instead"
                log.info("status events unavailable (%s); polling", exc)
            finally:
                if self.connected:
                    self.connected = False
                    self.wake_all()
            failures += 1
            await asyncio.sleep(min(self.max_backoff, 0.25 * 2 ** min(failures, 6)) * (0.5 + random.random() / 2))


class SandboxHub(PushHub, Generic[R]):
    """Events straight from an in-process sandbox (``app.state.sandbox`` of ``create_app()``)."""

    def __init__(self, state: Listened[R]):
        super().__init__()
        self._state = state
        self._listener: Callable[[R], None] = lambda req: self.dispatch({"request_id": req.id})

    async def start(self) -> SandboxHub[R]:
        if self._listener not in self._state.listeners:
            self._state.listeners.append(self._listener)
        self.connected = True
        return self

    async def aclose(self) -> None:
        if self._listener in self._state.listeners:
            self._state.listeners.remove(self._listener)
        self.connected = False


class JoinedHub(PushHub):
    """Watchers subscribed to several hubs at once, woken by whichever hears first.

    Whether polling may slow down (``connected``) is ``main``'s to say alone (False without one): the others
    are hints beside it, as the back office's relayed notifications beside the sandbox's events or none.
    """

    def __init__(self, main: PushHub | None, *others: PushHub):
        super().__init__()
        self.main = main
        self.hubs: tuple[PushHub, ...] = ((main,) if main is not None else ()) + others

    @property
    def connected(self) -> bool:
        return self.main.connected if self.main is not None else False

    @connected.setter
    def connected(self, value: bool) -> None:
        """Set by ``PushHub`` itself; whether polling may slow down is ``main``'s to say."""

    def subscribe(self, request_id: str, wake: Wake) -> Callable[[], None]:
        undo = [hub.subscribe(request_id, wake) for hub in self.hubs]

        def unsubscribe() -> None:
            for each in undo:
                each()

        return unsubscribe

    async def start(self) -> JoinedHub:
        for hub in self.hubs:
            await hub.start()
        return self

    async def aclose(self) -> None:
        for hub in self.hubs:
            await hub.aclose()


class NotificationHub(PushHub):
    """Provider notifications (``app.notifications``'s receiver) as push events, beside another hub.

    ``notify(request_id)`` wakes the watchers of that request, which then ask the provider: a notification is
    a hint like any event. It never slows polling (``connected`` is the inner hub's, False without one): a
    kiosk behind NAT receives no notification at all, so polling always remains. Watchers subscribe here and
    to the inner hub (the sandbox's or a websocket) at once.
    """

    def __init__(self, inner: PushHub | None = None):
        super().__init__()
        self.inner = inner
        self.notified = 0

    @property
    def connected(self) -> bool:
        return self.inner.connected if self.inner is not None else False

    @connected.setter
    def connected(self, value: bool) -> None:
        """Set by ``PushHub`` itself; whether polling may slow down is the inner hub's to say."""

    def watching(self, request_id: str) -> bool:
        """Whether a watcher of this till follows ``request_id`` now (an order TillQR knows)."""
        return request_id in self._subs

    def subscribe(self, request_id: str, wake: Wake) -> Callable[[], None]:
        mine = super().subscribe(request_id, wake)
        theirs = self.inner.subscribe(request_id, wake) if self.inner is not None else None

        def unsubscribe() -> None:
            mine()
            if theirs is not None:
                theirs()

        return unsubscribe

    def notify(self, request_id: str) -> None:
        self.notified += 1
        self.dispatch({"request_id": request_id})

    async def start(self) -> NotificationHub:
        if self.inner is not None:
            await self.inner.start()
        return self

    async def aclose(self) -> None:
        if self.inner is not None:
            await self.inner.aclose()
