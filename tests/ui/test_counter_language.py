"""The counter's window in the store's language: the keypad's decimal key shows the locale's sign ("," in
pt_BR and es, "." in hi) and types it; the buttons and header follow a live switch."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.i18n import set_language

pytestmark = pytest.mark.ui


@pytest.mark.parametrize("language, sign", [("pt_BR", ","), ("es", ","), ("hi", "."), ("", ".")])
def test_the_decimal_key_shows_the_store_s_sign_and_types_it(till, qtbot, language, sign):
    window, view, _rt = till()
    set_language(language)  # a switch: the counter re-words itself at once
    point = view.keypad.buttons["."]
    assert point.text() == sign
    for key in "12":
        qtbot.mouseClick(view.keypad.buttons[key], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(point, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.keypad.buttons["5"], Qt.MouseButton.LeftButton)
    assert view.model.entry == "12.5" and view.amount.text() == f"12{sign}5"


def test_the_counter_and_its_header_follow_a_switch(till):
    window, view, _rt = till()
    assert (view.charge.text(), window.nav["counter"].text(), window.exit_button.text()) == (
        "Charge",
        "Counter",
        "Exit",
    )
    set_language("pt_BR")
    assert (view.charge.text(), view.cancel.text(), view.clear.text()) == ("Cobrar", "Cancelar", "Limpar")
    assert (window.nav["counter"].text(), window.nav["settings"].text(), window.exit_button.text()) == (
        "Caixa",
        "Configurações",
        "Sair",
    )
    assert view.banner.title.text() == "Pronto" and view.charge.accessibleName() == "Cobrar"
    set_language("hi")
    assert (view.charge.text(), view.cancel.text()) == ("भुगतान करें", "रद्द करें")
    set_language("")
    assert view.charge.text() == "Charge"
