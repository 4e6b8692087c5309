"""FieldView: the field agent's screen. Renders a FieldModel; forwards the search, the keys and the commands.

Top: the banner (online / offline as the last probe or sync said, the readings pending, the bills in
conflict) with Sync now, and a progress bar while a sync (or the demo route's import) runs. Then the search
box and the bills (app/ui/field_table.py) beside the reading form (app/ui/field_form.py). Bottom: the last
message (what was recorded, the sync's summary).

Driven by the keyboard: the reading field keeps the focus; Enter records and goes on to the next bill to
read, Esc clears, Up/Down move in the list, Ctrl+F searches (Enter or Down goes back to the reading, Esc
clears the search), Ctrl+S syncs, Ctrl+R confirms a questioned reading. Digits typed on the table go to the
reading. Fits 1280×800 and 1366×768 (the form scrolls on a shorter screen).

``FieldBridge`` is the field service's route to the model: the service's events (BillsChanged,
OnlineChanged, SyncProgress) re-emitted as one Qt signal on the GUI thread, as app.ui.bridge does for the
checkout controller's.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelectionModel, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.fieldwork.service import FieldEvent, FieldService
from app.i18n import _, on_language_changed
from app.screens.field_lines import CUSTOMER_COLUMN
from app.screens.field_model import FieldModel
from app.screens.operations import Busy

from .a11y import describe
from .field_form import ReadingForm
from .field_style import STYLE
from .field_table import BillsTable
from .qss import local
from .restyle import restyle

FORM_WIDTH = 400


class FieldBridge(QObject):
    """The field service's events as one Qt signal (the service's listeners cannot be removed: ``close``
    makes this one deaf instead, for a service that outlives the window)."""

    arrived = Signal(object)  # an app.fieldwork.service FieldEvent

    def __init__(self, service: FieldService, parent: QObject | None = None):
        super().__init__(parent)
        self._open = True
        service.subscribe(self._deliver)

    def _deliver(self, event: FieldEvent) -> None:
        if self._open:
            self.arrived.emit(event)

    def follow(self, on_event: Callable[[FieldEvent], None]) -> None:
        self.arrived.connect(on_event)

    def close(self) -> None:
        self._open = False


class BillsView(QTableView):
    """The bills table; digits typed here go to the reading field."""

    typed = Signal(str)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        text = event.text()
        if text and text in "0123456789.,":
            self.typed.emit(text)
        else:
            super().keyPressEvent(event)


class FieldView(QWidget):
    def __init__(self, model: FieldModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.setObjectName("field")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(local(STYLE))
        self._rendering = False
        self._build()
        self._shortcuts()
        stop = model.on_change(self.redraw)
        stop_words = on_language_changed(lambda _language: self.retranslate())  # a switch: the new words at once

        def gone(*_args: object) -> None:  # a read or sync still awaited must not paint a deleted widget
            stop()
            stop_words()
            model.close()

        self.destroyed.connect(gone)
        self.retranslate()

    # -- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        column = QVBoxLayout(self)
        column.setContentsMargins(12, 8, 12, 8)
        column.setSpacing(6)

        self.banner = QFrame()
        self.banner.setObjectName("fieldBanner")
        row = QHBoxLayout(self.banner)
        row.setContentsMargins(12, 4, 8, 4)
        self.banner_state = QLabel()
        self.banner_state.setObjectName("bannerState")
        self.banner_counts = QLabel()
        self.banner_counts.setObjectName("bannerCounts")
        self.banner_counts.setWordWrap(True)
        self.sync_button = QPushButton()
        self.sync_button.setObjectName("syncButton")
        self.sync_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.sync_button.clicked.connect(self.sync)
        row.addWidget(self.banner_state)
        row.addWidget(self.banner_counts, 1)
        row.addWidget(self.sync_button)
        column.addWidget(self.banner)

        self.progress = QProgressBar()
        self.progress.setObjectName("syncProgress")
        self.progress.setVisible(False)
        column.addWidget(self.progress)

        search_row = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("fieldSearch")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.search_changed)
        self.search.returnPressed.connect(self.focus_reading)
        self.search.installEventFilter(self)
        self.summary = QLabel()
        self.summary.setObjectName("fieldSummary")
        search_row.addWidget(self.search, 1)
        search_row.addWidget(self.summary)
        column.addLayout(search_row)

        body = QHBoxLayout()
        body.setSpacing(10)
        self.list_stack = QStackedWidget()
        self.table = BillsView()
        self.table.setObjectName("bills")
        self.table_model = BillsTable(self.model, self.table)
        self.table.setModel(self.table_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CUSTOMER_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._row_picked)
        self.table.typed.connect(self._typed_on_table)
        self.list_stack.addWidget(self.table)

        self.empty = QWidget()
        empty_column = QVBoxLayout(self.empty)
        empty_column.addStretch(1)
        self.empty_note = QLabel()
        self.empty_note.setObjectName("emptyNote")
        self.empty_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_note.setWordWrap(True)
        empty_column.addWidget(self.empty_note)
        self.demo_button = QPushButton()
        self.demo_button.setObjectName("demoRoute")
        self.demo_button.clicked.connect(self.load_demo)
        empty_column.addWidget(self.demo_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_column.addStretch(2)
        self.list_stack.addWidget(self.empty)
        body.addWidget(self.list_stack, 1)

        self.form = ReadingForm(self.model)
        self.form_scroll = QScrollArea()
        self.form_scroll.setObjectName("formScroll")
        self.form_scroll.setWidget(self.form)
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.form_scroll.setFixedWidth(FORM_WIDTH)
        body.addWidget(self.form_scroll)
        column.addLayout(body, 1)

        bottom = QHBoxLayout()
        self.message = QLabel()
        self.message.setObjectName("fieldMessage")
        self.message.setWordWrap(True)
        bottom.addWidget(self.message, 1)
        column.addLayout(bottom)
        self.last_sync = QLabel()
        self.last_sync.setObjectName("lastSync")
        self.last_sync.setWordWrap(True)
        column.addWidget(self.last_sync)
        self.reading = self.form.reading

    def _shortcuts(self) -> None:
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut  # only while the field page is shown
        for keys, slot in (
            ("Ctrl+F", self.focus_search),
            ("Ctrl+S", self.sync),
            ("Ctrl+R", self.form.toggle_confirm),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(context)
            shortcut.activated.connect(slot)

    def retranslate(self) -> None:
        """The screen's fixed words in the language in force (at start and on a switch); the rest repaints."""
        self.sync_button.setText(_("Sync now (Ctrl+S)"))
        describe(self.sync_button, _("Sync now"), _("Sends the recorded readings to the provider (Ctrl+S)"))
        describe(self.search, _("Search bills"), _("Filters by bill, customer, address or meter (Ctrl+F)"))
        self.search.setPlaceholderText(_("Search: bill, customer, address or meter (Ctrl+F)"))
        describe(self.table, _("Bills"), _("The route's bills; Enter records a reading"))
        self.demo_button.setText(_("Load the demo route"))
        describe(self.demo_button, _("Load the demo route"), _("Imports the sample route"))
        self.table_model.retranslate()
        self.form.retranslate()
        self.redraw()

    # -- input -----------------------------------------------------------------------------
    def focus_reading(self) -> None:
        self.reading.setFocus()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def eventFilter(self, watched: QObject, event: object) -> bool:  # noqa: N802 - Qt API
        if watched is self.search and isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            if event.key() == Qt.Key.Key_Escape:
                self.search.clear()
                self.focus_reading()
                return True
            if event.key() == Qt.Key.Key_Down:
                self.focus_reading()
                return True
        return super().eventFilter(watched, event)  # type: ignore[arg-type]

    def _typed_on_table(self, text: str) -> None:
        self.focus_reading()
        self.model.set_text(self.model.text + text)

    def _row_picked(self, current: object, _previous: object) -> None:
        if self._rendering:
            return
        bill_id = self.table_model.bill_id(self.table.currentIndex().row())
        if bill_id is not None:
            self.model.select(bill_id)

    @asyncSlot(str)
    async def search_changed(self, text: str) -> None:
        await self.model.set_query(text)

    @asyncSlot()
    async def sync(self) -> None:
        await self.model.sync()

    @asyncSlot()
    async def load_demo(self) -> None:
        await self.model.load_demo_route()
        self.focus_reading()

    # -- drawing ---------------------------------------------------------------------------------
    def redraw(self) -> None:
        m = self.model
        self._rendering = True
        try:
            banner = m.banner
            restyle(self.banner, "connection", banner.connection.value)
            for label in (self.banner_state, self.banner_counts):
                label.style().unpolish(label)
                label.style().polish(label)
            self.banner_state.setText(f"● {banner.title}")
            self.banner_counts.setText(banner.detail)
            self.banner.setToolTip(m.online_detail)
            self.banner.setAccessibleName(banner.text())
            self.sync_button.setEnabled(m.can_sync and m.total > 0)
            self._draw_progress()
            self.summary.setText(m.summary)
            empty = m.loaded and m.total == 0
            self.list_stack.setCurrentWidget(self.empty if empty else self.table)
            self.form_scroll.setVisible(not empty)  # nothing to read: no form
            self.demo_button.setVisible(m.can_load_demo)
            self.demo_button.setEnabled(m.network_busy is None)
            self.empty_note.setText(
                _("No route on this laptop yet. In demo mode, load the sample route to try the field screen.")
                if m.demo
                else _("No route on this laptop yet: import one with `{command}`.").format(
                    command="tillqr bills import FILE.csv"
                )
            )
            self.table_model.refresh()
            self._select_current()
            self.form.redraw()
            self.message.setText(m.message)
            self.message.setVisible(bool(m.message))
            restyle(self.message, "level", str(m.message_level))
            self.last_sync.setText(m.last_sync if m.last_sync != m.message else "")
            self.last_sync.setVisible(bool(self.last_sync.text()))
        finally:
            self._rendering = False

    def _draw_progress(self) -> None:
        m = self.model
        if m.syncing and m.progress is not None and m.progress.total:
            p = m.progress
            self.progress.setRange(0, p.total)
            self.progress.setValue(p.done)
            self.progress.setFormat(
                _("Syncing: {done} of {total} ({synced} synced, {conflicts} in conflict)").format(
                    done="%v", total="%m", synced=p.synced, conflicts=p.conflicts
                )
            )
        elif m.network_busy is Busy.IMPORT and m.import_progress is not None and m.import_progress.total:
            step = m.import_progress
            self.progress.setRange(0, step.total)
            self.progress.setValue(step.done)
            self.progress.setFormat(_("Loading the route: {done} of {total}").format(done="%v", total="%m"))
        elif m.syncing or m.network_busy is Busy.IMPORT:
            self.progress.setRange(0, 0)  # busy, no count yet
        self.progress.setVisible(m.syncing or m.network_busy is Busy.IMPORT)

    def _select_current(self) -> None:
        row = self.table_model.row_of(self.model.selected)
        if row < 0:
            self.table.clearSelection()
            return
        if self.table.currentIndex().row() != row:
            index = self.table_model.index(row, 0)
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(self.table_model.index(row, 0))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self.model.start()  # reads the bills, then probes (and syncs) while the app runs
        QTimer.singleShot(0, self.focus_reading)
