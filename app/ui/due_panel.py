"""DuePanel: the counter's optional "Due date" section. Renders a DueForm; forwards edits to it.

Due date, fine, interest per day, rebate, how many days it may be paid late, and up
to three discounts with their limit dates. Everything is reachable by Tab and typed
from the keyboard (dates: type the digits or use the arrow keys; Alt+Down opens the
calendar); Enter charges, as from the amount field. The rules and the words for
anything wrong are the form's (app/checkout/due_form.py); the breakdown of what is
owed today is shown beside the QR (QrPanel.show_details).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
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

from app.i18n import _
from app.screens.due_form import LABELS, MAX_DISCOUNTS, DueForm

DATE_FORMAT = "yyyy-MM-dd"


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
        self.due_date = _date_edit(_("Due date"))
        self.due_date.dateChanged.connect(lambda d: form.set_due_date(_py(d)))
        grid.addWidget(_label(_("Due date")), 0, 0)
        grid.addWidget(self.due_date, 0, 1)
        self.fields: dict[str, QLineEdit] = {}
        for row, (name, label) in enumerate([*LABELS.items(), ("max_days", _("Days payable late"))], start=1):
            edit = QLineEdit()
            edit.setObjectName("dueField")
            edit.setAccessibleName(label)
            edit.setPlaceholderText("0" if name == "max_days" else placeholder)
            edit.setAlignment(Qt.AlignmentFlag.AlignRight)
            edit.textEdited.connect(lambda text, n=name: form.set(n, text))
            grid.addWidget(_label(label), row, 0)
            grid.addWidget(edit, row, 1)
            self.fields[name] = edit
        grid.setColumnStretch(1, 1)
        column.addLayout(grid)

        self.discount_box = QVBoxLayout()
        self.discount_box.setSpacing(6)
        column.addLayout(self.discount_box)
        self.discount_rows: list[_DiscountRow] = []
        self.add = QPushButton(_("+ Discount (up to {n})").format(n=MAX_DISCOUNTS))
        self.add.setObjectName("addDiscount")
        self.add.setAccessibleName(_("Add a discount for paying early"))
        self.add.clicked.connect(self._add_discount)
        column.addWidget(self.add)
        self.problems = QLabel()
        self.problems.setObjectName("dueProblems")
        self.problems.setWordWrap(True)
        column.addWidget(self.problems)
        column.addStretch(1)

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
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self.amount = QLineEdit()
        self.amount.setObjectName("dueField")
        self.amount.setPlaceholderText(placeholder)
        self.amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.amount.setAccessibleName(_("Discount {n} amount").format(n=index + 1))
        self.amount.textEdited.connect(lambda text: form.set_discount(index, amount=text))
        self.limit = _date_edit(_("Discount {n} limit date").format(n=index + 1))
        self.limit.dateChanged.connect(lambda d: form.set_discount(index, limit=_py(d)))
        self.remove = QPushButton("✖")
        self.remove.setObjectName("removeDiscount")
        self.remove.setAccessibleName(_("Remove discount {n}").format(n=index + 1))
        self.remove.setToolTip(_("Remove this discount"))
        self.remove.clicked.connect(lambda: form.remove_discount(index))
        row.addWidget(_label(_("Discount {n}").format(n=index + 1)))
        row.addWidget(self.amount, 1)
        row.addWidget(_label(_("until")))
        row.addWidget(self.limit, 1)
        row.addWidget(self.remove)


def _label(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("dueLabel")
    return label


def _date_edit(name: str) -> QDateEdit:
    edit = QDateEdit()
    edit.setObjectName("dueDate")
    edit.setDisplayFormat(DATE_FORMAT)
    edit.setCalendarPopup(True)
    edit.setAccessibleName(name)
    return edit


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
