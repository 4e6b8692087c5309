"""The controller's background tasks: each one held until it ends, its failure never lost."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import TypeVar

from app.domain.sale import Sale

log = logging.getLogger("tillqr.checkout")

T = TypeVar("T")


class Background:
    """Tasks a controller starts and does not await at once (closing, expiry, a shared cancel).

    ``spawn`` keeps a reference (asyncio holds tasks only weakly) and, when ``report`` is set, hands an
    unexpected failure to ``on_failure`` (the cashier reads it); ``aclose`` cancels what is left."""

    def __init__(self, on_failure: Callable[[BaseException], None]) -> None:
        self._tasks: set[asyncio.Task[object]] = set()
        self._on_failure = on_failure

    def spawn(self, coro: Coroutine[object, object, T], *, report: bool = True) -> asyncio.Task[T]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[T]) -> None:
            self._tasks.discard(t)
            failure = None if t.cancelled() else t.exception()  # read, so an unreported one is not "never retrieved"
            if report and failure is not None:
                log.error("background task failed", exc_info=failure)
                self._on_failure(failure)

        task.add_done_callback(done)
        return task

    async def aclose(self) -> None:
        pending = list(self._tasks)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


class ClosedWaiters:
    """Who waits for which sale to be CLOSED (``wait_closed``), told by ``closed(sale)``."""

    def __init__(self) -> None:
        self._waiting: dict[str, list[asyncio.Future[Sale]]] = {}

    def add(self, sale_id: str) -> asyncio.Future[Sale]:
        fut: asyncio.Future[Sale] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(sale_id, []).append(fut)
        return fut

    def remove(self, sale_id: str, fut: asyncio.Future[Sale]) -> None:
        waiters = self._waiting.get(sale_id, [])
        if fut in waiters:
            waiters.remove(fut)
        if not waiters:
            self._waiting.pop(sale_id, None)

    def closed(self, sale_id: str, sale: Sale) -> None:
        for fut in self._waiting.pop(sale_id, []):
            if not fut.done():
                fut.set_result(sale)
