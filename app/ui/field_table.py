"""BillsTable: the field screen's bills as a Qt table model (read-only; the rules live in FieldModel).

Each sync state has a tone painted as a light background with dark text; the State column says the state
in words and a symbol too, so colour is never the only sign. Bills in conflict are bold.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from app.fieldwork.service import BillRow
from app.screens.field_lines import COLUMNS, NUMERIC_COLUMNS, cells
from app.screens.field_model import FieldModel
from app.storage.fieldbook import SyncState

# state → (background, text): each pair reads at WCAG AA contrast or better
TONES = {
    SyncState.NEW: ("#ffffff", "#1f2933"),
    SyncState.PENDING: ("#fff0c7", "#563900"),
    SyncState.SYNCED: ("#d8f0df", "#0d4a22"),
    SyncState.CONFLICT: ("#fde3e7", "#7a0013"),
}


class BillsTable(QAbstractTableModel):
    def __init__(self, model: FieldModel, parent: QObject | None = None):
        super().__init__(parent)
        self.model = model
        self._rows: list[BillRow] = list(model.rows)
        self._bold = QFont()
        self._bold.setBold(True)
        self._tones = {s: (QBrush(QColor(bg)), QBrush(QColor(fg))) for s, (bg, fg) in TONES.items()}

    def refresh(self) -> None:
        rows = list(self.model.rows)
        if rows == self._rows:
            return
        same_ids = [r.bill.bill_id for r in rows] == [r.bill.bill_id for r in self._rows]
        self._rows = rows
        if same_ids and rows:  # values changed in place: the selection stays as it is
            self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(COLUMNS) - 1))
        else:
            self.beginResetModel()
            self.endResetModel()

    def retranslate(self) -> None:
        """The headings and the state words in the language in force (after a switch)."""
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(COLUMNS) - 1))

    def bill_id(self, row: int) -> str | None:
        return self._rows[row].bill.bill_id if 0 <= row < len(self._rows) else None

    def row_of(self, bill_id: str | None) -> int:
        return next((i for i, r in enumerate(self._rows) if r.bill.bill_id == bill_id), -1)

    # -- QAbstractTableModel --------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> str | None:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return str(COLUMNS[section])
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> str | QBrush | QFont | int | None:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cells(row)[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.bill.address}\n{row.reason}" if row.reason else row.bill.address
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._tones[row.sync_state][0]
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._tones[row.sync_state][1]
        if role == Qt.ItemDataRole.FontRole and row.sync_state is SyncState.CONFLICT:
            return self._bold
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in NUMERIC_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
