"""The Journal screen in the store's language: Portuguese headings, filters, status words and R$ amounts in
pt_BR, and a live switch (to Hindi and back) re-words the headings, the rows and the detail at once."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.config.pin import PinGate, hash_pin
from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.i18n import set_language
from app.runtime import open_runtime
from app.screens.journal_model import JournalModel
from app.ui.journal_view import JournalView

pytestmark = pytest.mark.ui


@pytest.fixture
def brl_view(qtbot, run, tmp_path):
    """A Journal page over a real journal holding two sales in reais: one paid, one part refunded."""
    rt = run(open_runtime(demo=True, provider="depay", home=tmp_path, poll_interval=0.05))
    sales = []
    for amount, status, refunded in (
        ("12.50", SaleStatus.SETTLED, "0"),
        ("40.00", SaleStatus.PARTIALLY_REFUNDED, "15.00"),
    ):
        base = Sale.new(Money.parse(amount, "BRL"), "depay", "Mesa 4")
        sale = base.with_(
            status=status, amount_received=base.amount, amount_refunded=Money.parse(refunded, "BRL", allow_zero=True)
        )
        run(rt.journal.record(sale, "created"))
        sales.append(sale)
    set_language("pt_BR")  # as the store's [store] language would, before the page is built
    model = JournalModel(rt.controller, rt.journal, PinGate(hash_pin("246810")))
    view = JournalView(model)
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    qtbot.waitUntil(lambda: model.loaded and view.table.model().rowCount() == 2, timeout=10000)
    yield view, sales
    view.close()
    run(rt.aclose())


def headings(view) -> list[str]:
    m = view.table.model()
    return [m.headerData(c, Qt.Orientation.Horizontal) for c in range(m.columnCount())]


def column(view, c: int) -> list[str]:
    m = view.table.model()
    return [m.index(r, c).data() for r in range(m.rowCount())]


def test_the_journal_in_portuguese_shows_portuguese_headings_and_reais(qtbot, brl_view):
    view, sales = brl_view
    assert headings(view) == ["Hora", "Situação", "Valor", "Recebido", "Reembolsado", "Provedor", "Referência"]
    assert sorted(column(view, 1)) == ["Paga", "Reembolsada em parte"]
    assert sorted(column(view, 2)) == ["R$\xa012,50", "R$\xa040,00"] and "R$\xa015,00" in column(view, 4)
    assert view.status_filter.itemText(0) == "Todas as vendas" and view.refresh.text() == "Atualizar"
    assert view.summary.text() == "2 vendas" and view.search.placeholderText() == "Buscar id, referência, valor"
    assert "Paga: 1 venda, R$\xa012,50" in view.totals_text.toolTip()
    view.model.set_day_filter("today")
    assert view.totals_title.text().startswith("Hoje (")
    view.select_sale(sales[1].sale_id)
    qtbot.waitUntil(lambda: view.model.detail is not None, timeout=10000)
    assert view.detail_title.text() == "Reembolsada em parte — R$\xa040,00"
    names = [name for name, _value in view.model.detail.fields]
    assert names[:3] == ["Situação", "Valor", "Recebido"] and "Id da venda" in names
    assert view.refund_note.text() == "Até R$\xa025,00; o PIN do gerente é pedido."


def test_the_journal_follows_a_language_switch(qtbot, brl_view):
    view, sales = brl_view
    view.select_sale(sales[0].sale_id)
    qtbot.waitUntil(lambda: view.model.detail is not None, timeout=10000)
    set_language("hi")
    assert headings(view)[:3] == ["समय", "स्थिति", "राशि"]
    assert "भुगतान हुआ" in column(view, 1) and "R$12.50" in column(view, 2)
    assert view.refresh.text() == "रीफ़्रेश करें" and view.shift.text() == "शिफ़्ट का अंत…"
    qtbot.waitUntil(lambda: view.model.detail.fields[0][0] == "स्थिति", timeout=10000)
    assert view.events_title.text() == "इतिहास"
    set_language("")
    assert headings(view)[:3] == ["Time", "Status", "Amount"] and "BRL 12.50" in column(view, 2)
    assert view.status_filter.itemText(0) == "All sales" and view.refresh.text() == "Refresh"
