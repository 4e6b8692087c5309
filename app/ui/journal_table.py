"""SalesTable: the JournalModel's rows as a Qt table model (read-only; the rules live in the model).

Each status has a tone (paid, refunded, unpaid, failed, open) painted as a light
background with dark text; the Status column always says the status in words too,
so colour is never the only sign. Rows with money to give back are bold.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from app.i18n import _
from app.screens.journal_model import JournalModel
from app.screens.journal_words import COLUMNS

# tone → (background, text): each pair reads at WCAG AA contrast or better
TONES = {
    "paid": ("#d8f0df", "#0d4a22"),
    "refunded": ("#e9e1f8", "#3f237a"),
    "unpaid": ("#fff0c7", "#563900"),
    "failed": ("#fde3e7", "#7a0013"),
    "open": ("#dce9fa", "#0b3d75"),
}
RIGHT = {2, 3, 4}  # money columns


class SalesTable(QAbstractTableModel):
    def __init__(self, model: JournalModel, parent: Any = None):
        super().__init__(parent)
        self.model = model
        self._rows = list(model.rows)
        self._bold = QFont()
        self._bold.setBold(True)

    def refresh(self) -> None:
        rows = list(self.model.rows)
        if rows == self._rows:
            return
        same_ids = [r.sale_id for r in rows] == [r.sale_id for r in self._rows]
        self._rows = rows
        if same_ids and rows:  # values changed in place: the selection stays as it is
            self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(COLUMNS) - 1))
        else:
            self.beginResetModel()
            self.endResetModel()

    def retranslate(self) -> None:
        """The headings in the store's language (the rows follow the model's ``relabel``)."""
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)

    def sale_id(self, row: int) -> str | None:
        return self._rows[row].sale_id if 0 <= row < len(self._rows) else None

    def row_of(self, sale_id: str | None) -> int:
        for i, r in enumerate(self._rows):
            if r.sale_id == sale_id:
                return i
        return -1

    # -- QAbstractTableModel --------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return str(COLUMNS[section])
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole and section in RIGHT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return row.cells()[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            return _("{status} — sale {sale}").format(status=row.status, sale=row.sale_id)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col in RIGHT:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole and col == 1:
            return QBrush(QColor(TONES[row.tone][0]))
        if role == Qt.ItemDataRole.ForegroundRole and col == 1:
            return QBrush(QColor(TONES[row.tone][1]))
        if role == Qt.ItemDataRole.FontRole and (row.attention or col == 1):
            return self._bold
        if role == Qt.ItemDataRole.UserRole:
            return row.sale_id
        return None
