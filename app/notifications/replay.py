"""The replay window: events already taken, so the same event again is answered and does nothing.

A notification is known by its provider's event id when it has one, and always by the SHA-256 of its raw
body, so a replay with a new id but the same body, or the same id with another body, is caught. The window is
bounded (``limit`` keys, each kept ``ttl_s`` seconds: providers retry for about a day) and, given a file,
persisted enough to survive a restart: each key is appended as one line (``<unix time> <key>``) and the file
is rewritten to the keys still kept when it holds twice as many lines. The file is 0600 and holds no body,
only hashes and the providers' ids. A file that cannot be read or written costs the memory of replays across
restarts, never a notification (said once in the log).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("tillqr.notifications")

LIMIT = 10_000
TTL_S = 48 * 3600.0


def body_key(provider: str, body: bytes) -> str:
    return f"{provider}:body:{hashlib.sha256(body).hexdigest()}"


def event_key(provider: str, event_id: str) -> str:
    return f"{provider}:event:{hashlib.sha256(event_id.encode()).hexdigest()}"


class ReplayWindow:
    def __init__(
        self,
        path: Path | None = None,
        *,
        limit: int = LIMIT,
        ttl_s: float = TTL_S,
        clock: Callable[[], float] = time.time,
    ):
        if limit < 1:
            raise ValueError("the replay window keeps at least one event")
        self.path, self.limit, self.ttl_s, self.clock = path, limit, ttl_s, clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lines = 0
        self._broken = False
        if path is not None:
            self._load(path)

    def __len__(self) -> int:
        return len(self._seen)

    def seen(self, *keys: str) -> bool:
        self._expire()
        return any(key in self._seen for key in keys)

    def add(self, *keys: str) -> None:
        now = self.clock()
        for key in keys:
            self._seen[key] = now
            self._seen.move_to_end(key)
        while len(self._seen) > self.limit:
            self._seen.popitem(last=False)
        self._append(keys, now)

    def _expire(self) -> None:
        oldest = self.clock() - self.ttl_s
        while self._seen and next(iter(self._seen.values())) < oldest:
            self._seen.popitem(last=False)

    # -- the file --------------------------------------------------------------------------------------------
    def _load(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="ascii", errors="replace")
        except FileNotFoundError:
            return
        except OSError as exc:
            self._give_up(exc)
            return
        for line in text.splitlines():
            stamp, _, key = line.partition(" ")
            try:
                when = float(stamp)
            except ValueError:
                continue  # a torn last line
            if key:
                self._seen[key] = when
                self._seen.move_to_end(key)
            self._lines += 1
        while len(self._seen) > self.limit:
            self._seen.popitem(last=False)
        self._expire()

    def _append(self, keys: tuple[str, ...], now: float) -> None:
        if self.path is None or self._broken:
            return
        try:
            if self._lines + len(keys) > 2 * self.limit:
                self._rewrite(self.path)
            else:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                with os.fdopen(fd, "a", encoding="ascii") as out:
                    out.write("".join(f"{now:.3f} {key}\n" for key in keys))
                self._lines += len(keys)
        except OSError as exc:
            self._give_up(exc)

    def _rewrite(self, path: Path) -> None:
        self._expire()
        temp = path.with_name(path.name + ".tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write("".join(f"{when:.3f} {key}\n" for key, when in self._seen.items()))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
        self._lines = len(self._seen)

    def _give_up(self, exc: OSError) -> None:
        self._broken = True
        log.warning(
            "the replay window's file %s cannot be used (%s): replays are recognised until the receiver stops",
            self.path,
            exc.strerror or exc,
        )
