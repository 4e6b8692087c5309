"""EventBridge: the controller's typed events (app/checkout/events.py) re-emitted as Qt signals.

The controller publishes on the asyncio loop, which under qasync is the Qt GUI
thread; should an event ever come from another thread, Qt's queued connections
deliver it to the views on the GUI thread all the same.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from app.checkout.events import CounterFree, Notice, SaleChanged


class EventBridge(QObject):
    sale_changed = Signal(object)  # Sale
    counter_free = Signal(object)  # Sale | None: the sale that just ended
    notice = Signal(str, str)  # level ("info" | "warning" | "error"), message

    def __init__(self, controller: Any, parent: QObject | None = None):
        super().__init__(parent)
        self._unsubscribe = controller.subscribe(self._on_event)

    def _on_event(self, event: object) -> None:
        if isinstance(event, SaleChanged):
            self.sale_changed.emit(event.sale)
        elif isinstance(event, CounterFree):
            self.counter_free.emit(event.last)
        elif isinstance(event, Notice):
            self.notice.emit(event.level, event.message)

    def close(self) -> None:
        """Stop listening (the controller may outlive the window)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
