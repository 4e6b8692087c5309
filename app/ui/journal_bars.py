"""The journal page's two bars, drawn from a JournalModel; their choices go straight to it.

- FilterBar (top): the status and day filters (a date picker for "On a date…"), the search box,
  and the Refresh and Export CSV… buttons (JournalView wires those two: they are its commands).
- TotalsBar (bottom): the day's totals by status, one unbreakable entry per status; on a small
  screen without received and refunded (the tooltip and the CSV keep them).

JournalView (app/ui/journal_view.py) places them and its style sheet styles them.
"""

from __future__ import annotations

from datetime import date
from html import escape

from PySide6.QtCore import QDate, QLocale, Qt
from PySide6.QtWidgets import QComboBox, QDateEdit, QFrame, QHBoxLayout, QLabel, QLineEdit, QWidget

from app.i18n import _, current
from app.screens.journal_filters import DAY_FILTERS, STATUS_FILTERS
from app.screens.journal_model import JournalModel
from app.screens.operations import Busy

from .journal_detail import button as _button


class FilterBar(QWidget):
    def __init__(self, model: JournalModel):
        super().__init__()
        self.model = model
        self.status_filter = QComboBox()
        for key in STATUS_FILTERS:
            self.status_filter.addItem("", key)
        self.day_filter = QComboBox()
        for key in DAY_FILTERS:
            self.day_filter.addItem("", key)
        for combo in (self.status_filter, self.day_filter):  # a long filter name must not widen the bar past 800 px
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(16)
        self.date = QDateEdit()
        self.date.setCalendarPopup(True)
        self.date.setDate(QDate.currentDate())
        self.search = QLineEdit()
        self.search.setObjectName("journalSearch")
        self.search.setClearButtonEnabled(True)
        self.refresh = _button("", "journalRefresh", "")
        self.export = _button("", "journalExport", "")
        self.retranslate()
        top = QHBoxLayout(self)
        top.setContentsMargins(0, 0, 0, 0)
        top.setSpacing(8)
        top.addWidget(self.status_filter)
        top.addWidget(self.day_filter)
        top.addWidget(self.date)
        top.addWidget(self.search, 1)
        top.addWidget(self.refresh)
        top.addWidget(self.export)
        self.status_filter.currentIndexChanged.connect(
            lambda i: self.model.set_status_filter(self.status_filter.itemData(i))
        )
        self.day_filter.currentIndexChanged.connect(self._day_chosen)
        self.date.dateChanged.connect(lambda _d: self._day_chosen(self.day_filter.currentIndex()))
        self.search.textChanged.connect(self.model.set_search)

    def retranslate(self) -> None:
        """Every word of the bar in the store's language (at start and after a switch)."""
        self.status_filter.setAccessibleName(_("Show sales by status"))
        for i, (words, _test) in enumerate(STATUS_FILTERS.values()):
            self.status_filter.setItemText(i, str(words))
        self.day_filter.setAccessibleName(_("Show sales of a day"))
        for i, day in enumerate(DAY_FILTERS.values()):
            self.day_filter.setItemText(i, day)
        self.date.setDisplayFormat(_date_format())
        self.date.setAccessibleName(_("Date"))
        self.search.setPlaceholderText(_("Search id, reference, amount"))
        self.search.setAccessibleName(_("Search sales"))
        self.refresh.setText(_("Refresh"))
        self.refresh.setAccessibleName(_("Read the journal again"))
        self.export.setAccessibleName(_("Export the sales shown to a CSV file"))
        self.redraw()

    def _day_chosen(self, index: int) -> None:
        key = self.day_filter.itemData(index)
        self.date.setVisible(key == "date")
        chosen = self.date.date()
        day = date(chosen.year(), chosen.month(), chosen.day()) if key == "date" else None
        self.model.set_day_filter(key, day)

    def redraw(self) -> None:
        m = self.model
        self.date.setVisible(m.day_filter == "date")
        busy = m.busy is not None
        self.refresh.setEnabled(not busy)
        self.export.setEnabled(not busy and bool(m.rows))
        self.export.setText(_("Exporting…") if m.busy is Busy.EXPORT else _("Export CSV…"))


def _date_format() -> str:
    """The date picker's format: the store locale's short date (Qt's CLDR data), ISO when neutral."""
    language = current()
    if language.neutral:
        return "yyyy-MM-dd"
    return QLocale(language.code).dateFormat(QLocale.FormatType.ShortFormat)


class TotalsBar(QFrame):
    def __init__(self, model: JournalModel):
        super().__init__()
        self.model = model
        self.setObjectName("totals")
        self.title = QLabel()
        self.title.setObjectName("totalsTitle")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 4, 10, 4)
        row.addWidget(self.title, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.text, 1)

    def redraw(self, *, short: bool) -> None:
        m = self.model
        self.title.setText(f"{m.totals_title}:")
        self.text.setText(_totals_html(m.totals_entries(), short=short))
        self.text.setToolTip("\n".join(m.totals_text()))


def _totals_html(entries: list[tuple[str, str, str]], *, short: bool) -> str:
    """The day's totals, one unbreakable entry per status (a line breaks between entries, never inside);
    ``short`` (small screens) leaves out received and refunded, which the tooltip and the CSV keep."""
    if not entries:
        return _("no sales that day")
    parts = []
    for words, count, money in entries:
        text = f"{count}, {money.split(',')[0]}" if short else f"{count}, {money}"
        parts.append(f"<b>{escape(words)}</b>&nbsp;{escape(text).replace(' ', '&nbsp;')}")
    return " &nbsp;&nbsp;·&nbsp;&nbsp; ".join(parts)
