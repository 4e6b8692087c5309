"""Typed events the checkout publishes; the UI re-emits them as Qt signals (app/ui/bridge.py)."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from app.domain.sale import Sale


@dataclass(frozen=True)
class SaleChanged:
    """A sale's new state, already written to the journal."""

    sale: Sale


@dataclass(frozen=True)
class CounterFree:
    """No sale is open on the counter any more; ``last`` is the one that just ended (or None)."""

    last: Sale | None


class Level(str, enum.Enum):
    """How much a notice matters (its value is what the Qt bridge hands on: "info", "warning", "error")."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Notice:
    """Something the cashier should read."""

    level: Level
    message: str


Event = SaleChanged | CounterFree | Notice
Listener = Callable[[Event], None]


class EventBus:
    """Synchronous fan-out; a failing listener is logged, never breaks the sale."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def publish(self, event: Event) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                logging.getLogger("tillqr.events").exception("listener failed on %s", type(event).__name__)
