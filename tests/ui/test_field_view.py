"""The field screen driven by the keyboard, on a real field book and the in-process sandbox (J.P. Morgan):
readings typed with Enter, the charge shown while typing, a refused reading, readings recorded offline,
then a sync and the states changing; the Field page in the main window (F4) and its demo route."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QWidget

from app.domain.tariffs import compute_charge
from app.i18n import set_language
from app.screens.field_model import FieldModel
from app.storage.fieldbook import SyncState
from app.ui.field_table import TONES
from app.ui.field_view import FieldBridge, FieldView
from tests.support.fieldsetup import Ticks, field_kit

pytestmark = pytest.mark.ui

FIRST, SECOND, THIRD, FOURTH = "QXB-2507-0001", "QXB-2507-0002", "QXB-2507-0003", "QXB-2507-0004"
CTRL = Qt.KeyboardModifier.ControlModifier
SIZES = [(1366, 768), (1280, 800)]


@pytest.fixture
def kit(run, tmp_path):
    opened = field_kit(tmp_path / "home")
    made = run(opened.__aenter__())
    yield made
    run(opened.__aexit__(None, None, None))


@pytest.fixture
def field_view(qtbot, kit):
    """``make(size)`` → (view, ticks): the field screen on the kit's service, shown and active, its first probe done."""
    bridges = []

    def make(size=(1280, 800)):
        ticks = Ticks()
        model = FieldModel(kit.service, timer=ticks)
        kit.models.append(model)  # closed with the kit, before its field book
        bridge = FieldBridge(kit.service)  # the service's events on the GUI thread, as the Field page does
        bridge.follow(model.on_event)
        bridges.append(bridge)
        view = FieldView(model)
        qtbot.addWidget(view)
        view.resize(*size)
        view.show()
        qtbot.waitExposed(view)
        view.activateWindow()
        qtbot.waitUntil(view.isActiveWindow)
        qtbot.waitUntil(lambda: ticks.sleeping == 1, timeout=10000)  # loaded and probed once
        qtbot.waitUntil(view.reading.hasFocus)
        return view, ticks

    yield make
    for bridge in bridges:
        bridge.close()


def state_cell(view: FieldView, row: int) -> str:
    return view.table_model.index(row, view.table_model.columnCount() - 1).data()


def global_rect(widget: QWidget) -> QRect:
    return QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size())


def test_readings_typed_offline_then_synced(run, qtbot, kit, field_view):
    run(kit.import_demo_route())
    run(kit.offline())
    view, _ticks = field_view()
    model = view.model
    assert view.banner_state.text() == "● Offline"  # the first probe failed: said, not guessed
    assert model.selected == FIRST and view.table.currentIndex().row() == 0

    qtbot.keyClicks(view.reading, "50")  # lower than 4821: questioned while typing
    qtbot.waitUntil(view.form.problem.isVisible)
    assert "lower" in view.form.problem.text().lower() and view.form.confirm.isVisible()
    assert not view.form.record_button.isEnabled()
    qtbot.keyClicks(view.reading, "12")  # 5012: 191 kWh
    qtbot.waitUntil(view.form.charge.isVisible)
    total = compute_charge(kit.service.tariffs["residential"], Decimal(191)).total
    assert total.display() in view.form.charge_text() and not view.form.problem.isVisible()

    qtbot.keyClick(view.reading, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: model.selected == SECOND)  # Enter recorded it and went on to the next bill
    assert view.table.currentIndex().row() == 1 and view.reading.text() == "" and view.reading.hasFocus()
    qtbot.waitUntil(lambda: state_cell(view, 0) == "◷ Pending")
    background = view.table_model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole)
    assert background.color().name() == TONES[SyncState.PENDING][0]
    for reading, then in (("14100", THIRD), ("900", FOURTH)):
        qtbot.keyClicks(view.reading, reading)
        qtbot.keyClick(view.reading, Qt.Key.Key_Enter)
        qtbot.waitUntil(lambda then=then: model.selected == then)
    qtbot.waitUntil(lambda: "3 readings waiting to sync" in view.banner_counts.text())  # the writes caught up

    qtbot.keyClicks(view.reading, "100")  # FOURTH's previous reading is 25480
    qtbot.keyClick(view.reading, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Ctrl+R" in view.message.text())
    assert model.selected == FOURTH and model.pending == 3  # refused, kept
    qtbot.keyClick(view.reading, Qt.Key.Key_Escape)
    assert view.reading.text() == "" and not view.form.problem.isVisible()

    run(kit.online())
    qtbot.keyClick(view.reading, Qt.Key.Key_S, CTRL)  # Ctrl+S: sync now
    qtbot.waitUntil(lambda: model.report is not None and not model.syncing, timeout=10000)
    assert [state_cell(view, i) for i in range(4)] == ["✔ Synced"] * 3 + ["○ Not read"]
    assert view.banner_state.text() == "● Online" and "nothing waiting" in view.banner_counts.text()
    assert not view.progress.isVisible() and "3 synced" in view.message.text()


def test_the_progress_bar_follows_a_sync(run, qtbot, kit, field_view):
    run(kit.import_demo_route())
    run(kit.offline())
    view, _ticks = field_view()
    for reading in ("5012", "14100"):
        qtbot.keyClicks(view.reading, reading)
        qtbot.keyClick(view.reading, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.model.pending == 2)
    run(kit.online())
    seen = []
    view.model.on_change(lambda: seen.append((view.progress.isVisible(), view.progress.value())))
    qtbot.keyClick(view.reading, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: view.model.report is not None and not view.model.syncing, timeout=10000)
    assert (True, 2) in seen  # shown during the sync with its count, hidden after
    assert not view.progress.isVisible()


def test_search_and_arrows_choose_the_bill(run, qtbot, kit, field_view):
    run(kit.import_demo_route())
    view, _ticks = field_view()
    qtbot.keyClick(view.reading, Qt.Key.Key_Down)
    qtbot.keyClick(view.reading, Qt.Key.Key_Down)
    assert view.model.selected == THIRD and view.table.currentIndex().row() == 2
    qtbot.keyClick(view.reading, Qt.Key.Key_Up)
    assert view.model.selected == SECOND

    qtbot.keyClick(view.reading, Qt.Key.Key_F, CTRL)
    qtbot.waitUntil(view.search.hasFocus)
    qtbot.keyClicks(view.search, "padaria")
    qtbot.waitUntil(lambda: view.table_model.rowCount() == 1)
    qtbot.keyClick(view.search, Qt.Key.Key_Return)
    qtbot.waitUntil(view.reading.hasFocus)
    assert view.model.selected == "QXB-2507-0009" and view.form.title.text() == "QXB-2507-0009"
    qtbot.keyClicks(view.reading, "402500")  # typed for the bill found
    qtbot.keyClick(view.reading, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.model.pending == 1)

    qtbot.keyClick(view.reading, Qt.Key.Key_F, CTRL)
    qtbot.keyClick(view.search, Qt.Key.Key_Escape)  # Esc: the search cleared, back to the reading
    qtbot.waitUntil(lambda: view.table_model.rowCount() == 24 and view.reading.hasFocus())


def test_a_conflict_is_resolved_with_its_buttons(run, qtbot, kit, field_view):
    run(kit.import_demo_route())
    run(kit.offline())
    view, _ticks = field_view()
    qtbot.keyClicks(view.reading, "5012")
    qtbot.keyClick(view.reading, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.model.pending == 1)
    run(kit.online())
    payload = view.model.rows[0].payload
    assert run(kit.sandbox.post("/_sandbox/pay", json={"payload": payload})).status_code == 200
    qtbot.keyClick(view.reading, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: view.model.conflicts == 1 and not view.model.syncing, timeout=10000)
    assert state_cell(view, 0) == "⚠ Conflict" and "1 bill in conflict" in view.banner_counts.text()

    qtbot.keyClick(view.reading, Qt.Key.Key_Up)
    assert view.model.selected == FIRST and view.form.conflict.isVisible()
    assert "paid at the provider" in view.form.state_text.text()
    qtbot.mouseClick(view.form.drop_button, Qt.MouseButton.LeftButton)  # no note: refused in words
    qtbot.waitUntil(lambda: "note" in view.message.text())
    qtbot.mouseClick(view.form.reissue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: state_cell(view, 0) == "✔ Synced", timeout=10000)  # online: re-issued and synced
    assert not view.form.conflict.isVisible()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_screen_fits_the_laptop_sizes(run, qtbot, kit, field_view, size):
    run(kit.import_demo_route())
    view, _ticks = field_view(size)
    qtbot.keyClicks(view.reading, "5400")
    qtbot.waitUntil(view.form.charge.isVisible)
    viewport = global_rect(view.form_scroll.viewport())
    for widget in (view.form.reading, view.form.charge, view.form.record_button):
        assert viewport.contains(global_rect(widget)), widget.objectName()  # no scrolling to record
    assert not view.table.horizontalScrollBar().isVisible()  # every column in view
    assert global_rect(view).contains(global_rect(view.sync_button))
    assert view.table.columnWidth(1) >= 150  # the customer's name has room


def test_the_field_page_opens_from_the_header_with_the_demo_route(run, qtbot, window_for, tmp_path):
    window = window_for(tmp_path / "home", (1366, 768))
    assert "field" in window.nav and "field" not in window.pages  # built on first open
    qtbot.keyClick(window, Qt.Key.Key_F4)
    qtbot.waitUntil(lambda: window.current_page() == "field")
    page = window.pages["field"]
    try:
        qtbot.waitUntil(lambda: page.view is not None, timeout=10000)
        view = page.view
        qtbot.waitUntil(lambda: view.model.loaded)
        assert view.demo_button.isVisible()  # demo mode, empty field book
        qtbot.mouseClick(view.demo_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: view.table_model.rowCount() == 24, timeout=20000)
        assert view.table.isVisible() and not view.demo_button.isVisible()
        assert view.model.online is True  # the import's calls answered
    finally:
        run(window.aclose_pages())


def test_the_field_screen_speaks_the_store_s_language(run, qtbot, kit, field_view):
    run(kit.import_demo_route())
    set_language("pt_BR")  # as the store's [store] language would, before the screen is built
    view, _ticks = field_view()
    heading = view.table_model.headerData(0, Qt.Orientation.Horizontal)
    assert (view.sync_button.text(), heading, state_cell(view, 0)) == (
        "Sincronizar agora (Ctrl+S)",
        "Conta",
        "○ Não lida",
    )
    assert "leitura anterior 4.821" in view.form.meter.text()  # the locale's thousands separator
    qtbot.keyClicks(view.reading, "5012")  # 191 kWh
    qtbot.waitUntil(view.form.charge.isVisible)
    said = view.form.charge_text()
    assert "Taxa fixa: R$\u00a0" in said and "Total para 191 kWh: R$\u00a0" in said
    total = compute_charge(kit.service.tariffs["residential"], Decimal(191)).total
    assert total.display().startswith("R$\u00a0") and "," in total.display() and total.display() in said
    set_language("es")  # a switch: the screen re-words itself at once
    assert view.sync_button.text() == "Sincronizar ahora (Ctrl+S)"
    assert view.table_model.headerData(0, Qt.Orientation.Horizontal) == "Factura"
    assert view.form.record_button.text() == "Registrar (Enter)" and "Total por 191 kWh" in view.form.charge_text()
