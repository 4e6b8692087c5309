"""What stands above the counter's banner for as long as it holds, without Qt: a store whose setup is unfinished,
a provider that does not answer. ``watch_provider`` asks the provider at start-up and keeps the words true.

Used by CounterModel (``standings``); ``app.ui.app`` starts ``watch_provider`` as a held task beside recovery.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from app.providers.base import ProviderError, ProviderProtocolError, ProviderUnavailable

from .counter_words import NO_ANSWER, Standing


class Standings:
    """The conditions said above the banner (``Standing`` order); ``changed`` is called when they change."""

    def __init__(self, changed: Callable[[], None]):
        self._said: dict[Standing, str] = {}
        self._changed = changed

    def set(self, kind: Standing, text: str) -> None:
        """Say ``text`` for ``kind`` until it is set again ("" removes it)."""
        if self._said.get(kind, "") == text:
            return
        if text:
            self._said[kind] = text
        else:
            self._said.pop(kind, None)
        self._changed()

    @property
    def text(self) -> str:
        return " ".join(self._said[k] for k in Standing if k in self._said)


async def watch_provider(
    standings: Standings,
    ping: Callable[[], Awaitable[None]],
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    waits: Sequence[float] = (2.0, 5.0, 10.0, 30.0),
) -> None:
    """Ask the provider at start-up (``ping``) and say at once when it does not answer; ask again after each of
    ``waits`` (the last one repeated) until it does, then clear the words. A provider that answers with a
    refusal (keys not accepted) is said in its words, and not asked again."""
    attempt = 0
    while True:
        try:
            await ping()
        except (ProviderUnavailable, ProviderProtocolError):
            standings.set(Standing.PROVIDER, str(NO_ANSWER))
        except ProviderError as exc:
            standings.set(Standing.PROVIDER, str(exc.words))
            return
        else:
            standings.set(Standing.PROVIDER, "")
            return
        await sleep(waits[min(attempt, len(waits) - 1)])
        attempt += 1
