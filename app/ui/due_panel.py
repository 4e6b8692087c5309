"""DuePanel: the counter's optional "Due date" section. Renders a DueForm; forwards edits to it.

Due date, fine, interest per day, rebate, how many days it may be paid late, and up
to three discounts with their limit dates. Everything is reachable by Tab and typed
from the keyboard (dates: type the digits or use the arrow keys; Alt+Down opens the
calendar); Enter charges, as from the amount field. The rules and the words for
anything wrong are the form's (app/checkout/due_form.py); the breakdown of what is
owed today is shown beside the QR (QrPanel.show_details).
"""

from __future__ import annotations

import re
from datetime import date

from PySide6.QtCore import QDate, QLocale, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _, current, on_language_changed
from app.screens.due_form import LABELS, MAX_DISCOUNTS, DueForm

NEUTRAL_DATE_FORMAT = "yyyy-MM-dd"
# a CLDR date pattern's fields: a run of one letter, a quoted literal, or anything else
_FIELD = re.compile(r"([A-Za-z])\1*|'(?:[^']|'')*'|[^A-Za-z']+")


def date_format() -> str:
    """The Qt display format of the store locale's short date ("dd/MM/yyyy" in pt_BR, "d/M/yyyy" in es and hi;
    "yyyy-MM-dd" when neutral), from Babel's CLDR pattern; the year is always written whole (a two-digit year
    would be read as the 1900s)."""
    locale = current().locale
    if locale is None:
        return NEUTRAL_DATE_FORMAT
    out = []
    for match in _FIELD.finditer(locale.date_formats["short"].pattern):
        part = match.group(0)
        letter = part[0]
        if letter in "dML":
            out.append(("M" if letter == "L" else letter) * min(len(part), 4 if letter != "d" else 2))
        elif letter == "y":
            out.append("yyyy")
        elif letter.isalpha():
            return NEUTRAL_DATE_FORMAT  # an era or a weekday: not a pattern a date field can be typed in
        else:
            out.append(part)
    return "".join(out)


class DuePanel(QScrollArea):
    """Scrolls rather than clips on a small screen; ``submitted`` is Enter in any of its fields."""

    submitted = Signal()

    def __init__(self, form: DueForm, placeholder: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.form = form
        self.placeholder = placeholder
        self.setObjectName("duePanel")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        body.setObjectName("dueBody")
        self.setWidget(body)
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)

        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        self.due_date = _date_edit()
        self.due_date.dateChanged.connect(lambda d: form.set_due_date(_py(d)))
        self.due_label = _label()
        grid.addWidget(self.due_label, 0, 0)
        grid.addWidget(self.due_date, 0, 1)
        self.fields: dict[str, QLineEdit] = {}
        self.field_labels: dict[str, QLabel] = {}
        for row, name in enumerate([*LABELS, "max_days"], start=1):
            edit = QLineEdit()
            edit.setObjectName("dueField")
            edit.setPlaceholderText("0" if name == "max_days" else placeholder)
            edit.setAlignment(Qt.AlignmentFlag.AlignRight)
            edit.textEdited.connect(lambda text, n=name: form.set(n, text))
            self.field_labels[name] = _label()
            grid.addWidget(self.field_labels[name], row, 0)
            grid.addWidget(edit, row, 1)
            self.fields[name] = edit
        grid.setColumnStretch(1, 1)
        column.addLayout(grid)

        self.discount_box = QVBoxLayout()
        self.discount_box.setSpacing(6)
        column.addLayout(self.discount_box)
        self.discount_rows: list[_DiscountRow] = []
        self.add = QPushButton()
        self.add.setObjectName("addDiscount")
        self.add.clicked.connect(self._add_discount)
        column.addWidget(self.add)
        self.problems = QLabel()
        self.problems.setObjectName("dueProblems")
        self.problems.setWordWrap(True)
        column.addWidget(self.problems)
        column.addStretch(1)
        stop_words = on_language_changed(lambda _language: self.retranslate())  # a switch: new words and dates
        self.destroyed.connect(lambda *_args: stop_words())
        self.retranslate()

    def retranslate(self) -> None:
        """The panel's words and its dates' format in the language in force (at start and on a switch)."""
        self.due_label.setText(_("Due date"))
        self.due_date.setAccessibleName(_("Due date"))
        _show_dates(self.due_date)
        for name, edit in self.fields.items():
            label = _("Days payable late") if name == "max_days" else LABELS[name]
            edit.setAccessibleName(label)
            self.field_labels[name].setText(label)
        self.add.setText(_("+ Discount (up to {n})").format(n=MAX_DISCOUNTS))
        self.add.setAccessibleName(_("Add a discount for paying early"))
        for row in self.discount_rows:
            row.retranslate()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Enter from any field (they pass it on)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submitted.emit()
            event.accept()
        else:
            super().keyPressEvent(event)

    def _add_discount(self) -> None:
        if self.form.add_discount():
            self.discount_rows[-1].amount.setFocus()

    def first_field(self) -> QWidget:
        return self.due_date

    # -- rendering: from the form, never the other way round while the cashier types -----------
    def redraw(self, problems: list[str], locked: bool) -> None:
        form = self.form
        _set_date(self.due_date, form.due_date)
        for name, edit in self.fields.items():
            _set_text(edit, form.max_days if name == "max_days" else form.values[name])
        while len(self.discount_rows) > len(form.discounts):
            row = self.discount_rows.pop()
            self.discount_box.removeWidget(row)
            row.hide()
            row.deleteLater()
        while len(self.discount_rows) < len(form.discounts):
            row = _DiscountRow(len(self.discount_rows), self.form, self.placeholder)
            self.discount_box.addWidget(row)
            self.discount_rows.append(row)
        for row, line in zip(self.discount_rows, form.discounts):
            _set_text(row.amount, line.amount)
            _set_date(row.limit, line.limit)
        self.add.setEnabled(form.can_add_discount)
        body = self.widget()
        if body is not None:
            body.setEnabled(not locked)
        self.problems.setText("\n".join(problems))
        self.problems.setVisible(bool(problems))


class _DiscountRow(QWidget):
    def __init__(self, index: int, form: DueForm, placeholder: str):
        super().__init__()
        self.setObjectName("discountRow")
        self.index = index
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self.amount = QLineEdit()
        self.amount.setObjectName("dueField")
        self.amount.setPlaceholderText(placeholder)
        self.amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.amount.textEdited.connect(lambda text: form.set_discount(index, amount=text))
        self.limit = _date_edit()
        self.limit.dateChanged.connect(lambda d: form.set_discount(index, limit=_py(d)))
        self.remove = QPushButton("✖")
        self.remove.setObjectName("removeDiscount")
        self.remove.clicked.connect(lambda: form.remove_discount(index))
        self.title = _label()
        self.until = _label()
        row.addWidget(self.title)
        row.addWidget(self.amount, 1)
        row.addWidget(self.until)
        row.addWidget(self.limit, 1)
        row.addWidget(self.remove)
        self.retranslate()

    def retranslate(self) -> None:
        n = self.index + 1
        self.amount.setAccessibleName(_("Discount {n} amount").format(n=n))
        self.limit.setAccessibleName(_("Discount {n} limit date").format(n=n))
        _show_dates(self.limit)
        self.remove.setAccessibleName(_("Remove discount {n}").format(n=n))
        self.remove.setToolTip(_("Remove this discount"))
        self.title.setText(_("Discount {n}").format(n=n))
        self.until.setText(_("until"))


def _label() -> QLabel:
    label = QLabel()
    label.setObjectName("dueLabel")
    return label


def _date_edit() -> QDateEdit:
    edit = QDateEdit()
    edit.setObjectName("dueDate")
    edit.setCalendarPopup(True)
    return edit


def _show_dates(edit: QDateEdit) -> None:
    """The store locale's date format (typed in it too) and its calendar's month and day names."""
    language = current()
    edit.setLocale(QLocale(language.code) if language.locale is not None else QLocale.c())
    edit.setDisplayFormat(date_format())


def _py(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def _set_date(edit: QDateEdit, value: date) -> None:
    if _py(edit.date()) != value:
        edit.blockSignals(True)
        edit.setDate(QDate(value.year, value.month, value.day))
        edit.blockSignals(False)


def _set_text(edit: QLineEdit, text: str) -> None:
    if edit.text() != text:
        edit.setText(text)
