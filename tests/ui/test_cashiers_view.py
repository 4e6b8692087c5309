"""Cashiers by name on screen: the sign-in page in the counter's place, a wrong PIN refused, the right one signs
in, the sale records the name, Sign out refused while the sale is open; Settings' Cashiers box; and a shop with no
cashier that never sees a sign-in (the real controller and the in-process sandbox, real SQLite)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.config import settings as st
from app.config.pin import hash_pin
from app.storage.cashiers import Cashiers
from app.storage.journal import Journal
from app.ui.cashier_view import CashierBar, CashiersBox, SignInPage

pytestmark = pytest.mark.ui

CLICK = Qt.MouseButton.LeftButton
MANAGER_PIN = "246810"
SHOTS = os.environ.get("TILLQR_CASHIER_SHOTS")  # a folder: the screenshots are saved there too


async def add_cashiers(home: Path, *people: tuple[str, str]) -> None:
    """Cashiers in the home's demo journal, before the till opens (the manager did it earlier)."""
    journal = Journal(home / "data" / "journal-demo.sqlite3")
    try:
        for name, pin in people:
            await Cashiers(journal).add(name, pin)
    finally:
        await journal.aclose()


def type_pin(qtbot, dialog, pin: str) -> None:
    dialog.field.clear()
    qtbot.keyClicks(dialog.field, pin)
    qtbot.mouseClick(dialog.ok_button, CLICK)


def shot(widget, name: str, tmp_path: Path) -> None:
    for folder in (tmp_path, *([Path(SHOTS)] if SHOTS else [])):
        assert widget.grab().save(str(folder / f"cashier-{name}.png"))


def test_sign_in_then_the_sale_records_the_cashier(window_for, qtbot, run, ring, tmp_path):
    home = tmp_path / "home"
    run(add_cashiers(home, ("Ana", "4821"), ("Bruno", "1357"), ("Carla Dias", "2468")))
    window = window_for(home, size=(800, 480))
    qtbot.waitUntil(lambda: window.current_page() == "signin")
    page = window.pages["signin"]
    assert isinstance(page, SignInPage) and [b.text() for b in page.buttons.values()] == ["Ana", "Bruno", "Carla Dias"]
    assert all(b.height() >= window.touch and b.width() >= window.touch for b in page.buttons.values())
    window.show_page("counter")
    assert window.current_page() == "signin"  # nobody signed in: the counter is not reachable
    shot(window, "sign-in", tmp_path)

    ana = next(c for c in page.model.cashiers if c.name == "Ana")
    qtbot.mouseClick(page.buttons[ana.id], CLICK)
    dialog = page.pin_dialog
    assert dialog is not None and dialog.title.text() == "Ana: your PIN"
    type_pin(qtbot, dialog, "1357")  # Bruno's PIN is not Ana's
    assert dialog.error.text() == "Wrong PIN (4 tries left)" and window.current_page() == "signin"
    type_pin(qtbot, dialog, "4821")
    qtbot.waitUntil(lambda: window.current_page() == "counter")
    bar = window.findChild(CashierBar)
    assert bar.isVisible() and bar.label.text() == "Cashier: Ana"
    view = window.counter
    rt_controller = view.model.controller
    assert rt_controller.cashier is not None and rt_controller.cashier.name == "Ana"

    qtbot.keyClicks(view.amount, "12.50")
    qtbot.mouseClick(view.charge, CLICK)
    qtbot.waitUntil(lambda: view.qr.payload() is not None, timeout=10000)
    sale = rt_controller.current
    assert not bar.refused.isVisible()
    shot(window, "counter", tmp_path)
    qtbot.mouseClick(bar.sign_out, CLICK)  # refused while the customer has the code in front of them
    assert window.current_page() == "counter" and bar.refused.text() == "Finish the sale first."
    shot(window, "counter-sign-out-refused", tmp_path)
    qtbot.mouseClick(view.simulate, CLICK)
    qtbot.waitUntil(lambda: rt_controller.current is None, timeout=10000)
    stored = run(rt_controller.journal.get(sale.sale_id))
    assert stored.cashier == "Ana" and stored.cashier_id == ana.id

    qtbot.mouseClick(bar.sign_out, CLICK)
    qtbot.waitUntil(lambda: window.current_page() == "signin")
    assert rt_controller.cashier is None and not bar.isVisible()


def test_the_manager_adds_a_cashier_in_settings_and_the_counter_asks_for_a_sign_in(
    window_for, qtbot, run, ring, tmp_path
):
    home = tmp_path / "home"
    st.save(st.Settings(pin_hash=hash_pin(MANAGER_PIN)), home / "config" / "config.toml")
    window = window_for(home)
    if window.pin_dialog is None:
        window.request_page("settings")
    assert not window.findChild(CashierBar).isVisible()  # nobody signs in yet
    type_pin(qtbot, window.pin_dialog, MANAGER_PIN)  # Settings, and so the cashiers, behind the manager PIN
    qtbot.waitUntil(lambda: window.current_page() == "settings")
    box = window.settings.findChild(CashiersBox)
    assert box is not None and box.choice.currentText() == "New cashier"
    box.name.setText("Ana")
    box.pin.setText("4821")
    box.repeat.setText("4820")
    qtbot.waitUntil(lambda: box.admin.busy is None and box.add_button.isEnabled())  # the list read first
    window.settings.scroll_area.ensureWidgetVisible(box.add_button)  # the box is at the end of the form
    qtbot.mouseClick(box.add_button, CLICK)
    qtbot.waitUntil(lambda: "the two PINs differ" in box.outcome.text() and box.pin.text() == "")  # cleared, too
    box.pin.setText("4821")
    box.repeat.setText("4821")
    qtbot.mouseClick(box.add_button, CLICK)
    qtbot.waitUntil(lambda: "Ana added" in box.outcome.text() and box.pin.text() == "")
    assert [c.name for c in box.admin.cashiers] == ["Ana"]
    box.choice.setCurrentIndex(box.choice.findText("Ana"))
    box.name.setText("Ana Souza")
    qtbot.mouseClick(box.rename_button, CLICK)
    qtbot.waitUntil(lambda: "Renamed to Ana Souza" in box.outcome.text())
    window.show_page("counter")
    qtbot.waitUntil(lambda: window.current_page() == "signin")  # the counter now asks who is there
    page = window.pages["signin"]
    assert [b.text() for b in page.buttons.values()] == ["Ana Souza"]
    window.show_page("settings")
    box.choice.setCurrentIndex(box.choice.findText("Ana Souza"))
    qtbot.mouseClick(box.deactivate_button, CLICK)
    qtbot.waitUntil(lambda: "can no longer sign in" in box.outcome.text())
    assert box.choice.findText("Ana Souza (inactive)") > 0
    window.show_page("counter")
    assert window.current_page() == "counter"  # no active cashier left: a one-person shop again


def test_the_cashiers_box_follows_a_language_switch(window_for, qtbot, ring, tmp_path):
    from PySide6.QtWidgets import QLabel

    from app.i18n import set_language

    home = tmp_path / "home"
    st.save(st.Settings(pin_hash=hash_pin(MANAGER_PIN)), home / "config" / "config.toml")
    window = window_for(home)
    if window.pin_dialog is None:
        window.request_page("settings")
    type_pin(qtbot, window.pin_dialog, MANAGER_PIN)
    qtbot.waitUntil(lambda: window.current_page() == "settings")
    box = window.settings.findChild(CashiersBox)
    assert box.title() == "Cashiers" and box.add_button.text() == "Add"
    set_language("pt_BR")  # what saving [store] language in Settings does
    label = box._form.labelForField(box.repeat)
    assert box.title() == "Caixas" and box.add_button.text() == "Adicionar"
    assert isinstance(label, QLabel) and label.text() == "PIN de novo" and box.repeat.accessibleName() == "PIN de novo"
    assert box.choice.itemText(0) == "Novo caixa"


def test_a_shop_without_cashiers_never_sees_a_sign_in(till, qtbot):
    window, view, rt = till()
    bar = window.findChild(CashierBar)
    qtbot.waitUntil(lambda: bar.model.loaded)  # the cashiers were read: there are none
    window.show_page("counter")
    assert window.current_page() == "counter" and not bar.isVisible() and "signin" not in window.pages
    assert rt.controller.cashier is None
