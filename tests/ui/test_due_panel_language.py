"""The counter's due-date section in the store's language: its date fields show and take the locale's short
date (dd/MM/yyyy in pt_BR, d/M/yyyy in es) and follow a language switch, as do its words."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtWidgets import QDateTimeEdit

from app.i18n import set_language
from app.screens.due_form import DueForm
from app.ui.due_panel import DuePanel

pytestmark = pytest.mark.ui

TODAY = date(2026, 11, 25)


@pytest.fixture
def panel(qtbot):
    def make() -> DuePanel:
        form = DueForm("BRL", today=lambda: TODAY)
        made = DuePanel(form, placeholder="0,00")
        form.changed = lambda: made.redraw([], locked=False)
        qtbot.addWidget(made)
        made.redraw([], locked=False)
        made.show()
        qtbot.waitExposed(made)
        return made

    return make


def test_the_due_date_shows_and_takes_the_store_s_date_format(panel, qtbot):
    set_language("pt_BR")
    view = panel()
    edit = view.due_date
    assert (edit.displayFormat(), edit.text()) == ("dd/MM/yyyy", "02/12/2026")  # due in 7 days
    assert view.due_label.text() == "Vencimento" and view.field_labels["fine"].text() == "Multa"
    edit.setFocus()
    edit.setSelectedSection(QDateTimeEdit.Section.DaySection)
    qtbot.keyClicks(edit, "15012027")  # day first, as a Brazilian writes it (each part moves on to the next)
    assert view.form.due_date == date(2027, 1, 15) and edit.text() == "15/01/2027"

    view.form.add_discount()
    limit = view.discount_rows[0].limit
    assert limit.displayFormat() == "dd/MM/yyyy" and limit.text() == "15/01/2027"

    set_language("es")  # a switch: the dates and words follow at once
    assert (edit.displayFormat(), edit.text(), limit.text()) == ("d/M/yyyy", "15/1/2027", "15/1/2027")
    assert view.due_label.text() == "Vencimiento" and view.discount_rows[0].title.text() == "Descuento 1"
    set_language("")
    assert (edit.displayFormat(), edit.text(), view.due_label.text()) == ("yyyy-MM-dd", "2027-01-15", "Due date")
