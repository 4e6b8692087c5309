"""EventBridge: the one route from the core's events to the screens.

core (``app.checkout.events``: SaleChanged, CounterFree, Notice, published by the controller)
  → this adapter (one Qt signal, ``arrived``)
  → each screen's model (``CounterModel.on_event``, ``JournalModel.on_event``, Qt-free)
  → its view, which redraws when the model says it changed.

Models never subscribe to the controller themselves and views never see a core event: whoever
composes the window (app/ui/app.py) hands the bridge each model's ``on_event`` (``follow``). The
controller publishes on the asyncio loop, which under qasync is the Qt GUI thread; should an
event ever come from another thread, Qt's queued connection delivers it on the GUI thread all
the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from app.checkout.events import Event, Listener


class Publisher(Protocol):
    def subscribe(self, listener: Listener) -> Callable[[], None]: ...


class EventBridge(QObject):
    arrived = Signal(object)  # an app.checkout.events.Event (not `event`: that is QObject.event())

    def __init__(self, controller: Publisher, parent: QObject | None = None):
        super().__init__(parent)
        self._unsubscribe: Callable[[], None] | None = controller.subscribe(self.arrived.emit)

    def follow(self, on_event: Callable[[Event], None]) -> None:
        """Deliver every core event to ``on_event`` (a model's), on the GUI thread."""
        self.arrived.connect(on_event)

    def close(self) -> None:
        """Stop listening (the controller may outlive the window)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
