"""MainWindow: a header (store name, demo mark) over the counter screen. Nothing else lives here.

Later screens (journal, field bills, settings) are added as pages next to the
counter by whoever composes the window (app/ui/app.py); the window itself holds
no business rules and no reference to the runtime.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QVBoxLayout, QWidget

COMPACT_BELOW = 620  # window height (px) under which the compact style applies (800x480 kiosks)


class MainWindow(QMainWindow):
    closed = Signal()

    def __init__(self, counter: QWidget, *, store_name: str, demo: bool, mode_text: str = ""):
        super().__init__()
        self.setWindowTitle(f"TillQR — {store_name}" + (" — DEMO" if demo else ""))
        self.setMinimumSize(760, 420)
        self.resize(1280, 800)

        header = QWidget()
        header.setObjectName("header")
        header.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        row = QHBoxLayout(header)
        row.setContentsMargins(14, 6, 14, 6)
        self.store_label = QLabel(store_name)
        self.store_label.setObjectName("storeName")
        row.addWidget(self.store_label, 1)
        self.demo_mark: QLabel | None = None
        if demo:
            self.demo_mark = QLabel("DEMO — sandbox")
            self.demo_mark.setObjectName("demoMark")
            self.demo_mark.setToolTip(mode_text or "Demo mode: payments are simulated, no money moves")
            self.demo_mark.setAccessibleName("Demo mode: sandbox, no real payments")
            row.addWidget(self.demo_mark)

        page = QWidget()
        page.setObjectName("page")
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(header)
        column.addWidget(counter, 1)
        self.setCentralWidget(page)
        self.counter = counter
        self._compact: bool | None = None

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        compact = event.size().height() < COMPACT_BELOW
        if compact != self._compact:
            self._compact = compact
            page = self.centralWidget()
            page.setProperty("compact", "true" if compact else "false")  # strings: QSS matches them
            for widget in [page, *page.findChildren(QWidget)]:  # re-apply the style sheet's [compact] rules
                widget.style().unpolish(widget)
                widget.style().polish(widget)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.closed.emit()
        super().closeEvent(event)
