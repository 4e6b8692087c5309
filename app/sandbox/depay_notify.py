"""Outbound notifications from the sandbox: JSON bodies POSTed to a merchant's URL, in the background.

Written for Depay's ``notification_url`` callbacks but provider-neutral (any
simulated provider can hand bodies to a ``Notifier``):

- ``send(url, body)`` never blocks and never fails the API call that caused it: it
  records the notification and queues it; a worker task per destination URL posts
  that URL's notifications *in order* (a payment notification never overtakes the
  creation callback of the same order);
- a delivery is a success on any 2xx answer; anything else (another status, a
  refused connection, a timeout) is retried after ``backoff_s``·2ⁿ (capped at
  ``backoff_max_s``), at most ``attempts`` times in all, then given up;
- every notification is recorded in ``SandboxState.notifications`` as ``{"id",
  "provider", "kind", "url", "body", "status", "attempts", "response_status",
  "error", "created_at"}`` (and ``"headers"`` when the sender adds any, e.g. a signature) with
  ``status`` ``pending`` → ``delivered`` / ``failed``,
  or ``skipped`` when it is never sent: a host under ``.invalid`` (RFC 2606, never
  resolves; TillQR's placeholder when it has no receiver), or no running event loop;
- the HTTP transport is ``SandboxState.notify_transport`` (``create_app(notify_transport=…)``):
  tests hand it an ``httpx.ASGITransport`` around a small receiver app; ``None`` is the network.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.domain.exact_json import dumps

from .core import SandboxState
from .model import iso

log = logging.getLogger("tillqr.sandbox.notify")

ATTEMPTS = 5
BACKOFF_S = 0.2
BACKOFF_MAX_S = 5.0
TIMEOUT_S = 5.0


class Notifier:
    def __init__(
        self,
        state: SandboxState,
        provider: str,
        *,
        attempts: int = ATTEMPTS,
        backoff_s: float = BACKOFF_S,
        backoff_max_s: float = BACKOFF_MAX_S,
        timeout_s: float = TIMEOUT_S,
    ):
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.state = state
        self.provider = provider
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.timeout_s = timeout_s
        self._ids = itertools.count(1)
        self._queues: dict[str, deque[dict[str, Any]]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}

    def send(self, url: str, body: dict[str, Any], kind: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        """Record and queue one notification; returns its record (updated as delivery goes on).

        ``headers``: sent with it besides the content type (a signature over ``dumps(body)``, an event id)."""
        record: dict[str, Any] = {
            "id": next(self._ids),
            "provider": self.provider,
            "kind": kind,
            "url": url,
            "body": body,
            "status": "pending",
            "attempts": 0,
            "response_status": None,
            "error": None,
            "created_at": iso(self.state.now()),
        }
        if headers:
            record["headers"] = dict(headers)
        self.state.notifications.append(record)
        host = (urlsplit(url).hostname or "").lower()
        if host == "invalid" or host.endswith(".invalid"):
            record.update(status="skipped", error="a host under .invalid never resolves")
            return record
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            record.update(status="skipped", error="no running event loop")
            return record
        self._queues.setdefault(url, deque()).append(record)
        if url not in self._workers:
            self._workers[url] = loop.create_task(self._work(url), name=f"notify {url}")
        return record

    @property
    def busy(self) -> bool:
        return any(not task.done() for task in self._workers.values())

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until every queued notification is delivered or given up (tests, shutdown)."""
        async with asyncio.timeout(timeout):
            while self._workers:
                await asyncio.gather(*list(self._workers.values()), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._workers.values()):
            task.cancel()
        await asyncio.gather(*list(self._workers.values()), return_exceptions=True)

    async def _work(self, url: str) -> None:
        queue = self._queues[url]
        try:
            while queue:  # again after the client closed: what came meanwhile is this worker's too
                async with httpx.AsyncClient(
                    transport=self.state.notify_transport, timeout=self.timeout_s, follow_redirects=False
                ) as client:
                    while queue:
                        await self._deliver(client, queue[0])
                        queue.popleft()
        except asyncio.CancelledError:  # shut down: what is left was never sent
            for record in queue:
                if record["status"] == "pending":
                    record.update(status="failed", error=record["error"] or "sandbox shut down")
            self._queues.pop(url, None)
            raise
        finally:
            self._workers.pop(url, None)

    async def _deliver(self, client: httpx.AsyncClient, record: dict[str, Any]) -> None:
        for attempt in range(1, self.attempts + 1):
            record["attempts"] = attempt
            try:
                async with asyncio.timeout(self.timeout_s):
                    response = await client.post(
                        record["url"],
                        content=dumps(record["body"]).encode(),
                        headers={
                            **record.get("headers", {}),
                            "Content-Type": "application/json",
                            "User-Agent": "TillQR-Sandbox-Notifier/1.0",
                        },
                    )
                record["response_status"] = response.status_code
                if 200 <= response.status_code < 300:
                    record.update(status="delivered", error=None)
                    return
                record["error"] = f"answered HTTP {response.status_code}"
            except (httpx.HTTPError, OSError, TimeoutError) as exc:
                record["error"] = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
            if attempt < self.attempts:
                await asyncio.sleep(min(self.backoff_max_s, self.backoff_s * 2 ** (attempt - 1)))
        record["status"] = "failed"
        log.info(
            "notification %s to %s given up after %d attempts: %s",
            record["id"],
            record["url"],
            self.attempts,
            record["error"],
        )


__all__ = ["Notifier", "ATTEMPTS", "BACKOFF_S", "dumps"]
