"""Qt's own words follow the store's language: qtbase's catalogue for pt_BR and es, none for hi (Qt ships none),
swapped on a live switch; a dialog's standard buttons say them."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QDialogButtonBox

from app.i18n import set_language
from app.ui.qt_translations import install_qt_translations

pytestmark = pytest.mark.ui


def cancel_word() -> str:
    return QCoreApplication.translate("QPlatformTheme", "Cancel")


def test_qt_dialogs_speak_the_language_and_follow_a_switch(qtbot, qapp):
    set_language("pt_BR")
    qt = install_qt_translations(qapp)
    try:
        assert qt.loaded == "pt_BR" and cancel_word() == "Cancelar"
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        qtbot.addWidget(buttons)
        assert buttons.button(QDialogButtonBox.StandardButton.Cancel).text() == "Cancelar"
        set_language("es_AR")  # es_AR falls back to Qt's qtbase_es
        assert qt.loaded.startswith("es") and cancel_word() == "Cancelar"
        set_language("hi")  # Qt ships no Hindi: its dialogs stay in English
        assert qt.loaded == "" and cancel_word() == "Cancel"
        set_language("pt_BR")
        assert cancel_word() == "Cancelar"
    finally:
        qt.stop()
    assert cancel_word() == "Cancel"
