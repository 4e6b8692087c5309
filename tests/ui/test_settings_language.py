"""The Settings page in the store's language: its labels, its errors, and a switch made on the page itself."""

from __future__ import annotations

import pytest

from app.config import settings as st
from app.config.pin import hash_pin
from app.i18n import set_language
from app.screens.settings_model import SettingsModel

pytestmark = pytest.mark.ui


def write_config(home, text):
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(text, encoding="utf-8")


def test_the_settings_page_in_portuguese_names_its_fields_and_a_bad_value_in_portuguese(window_for, tmp_path, ring):
    set_language("pt_BR")
    home = tmp_path / "home"
    write_config(home, '[store]\nname = "Padaria Central"\nmcc = "12"\n')
    view = window_for(home).settings
    assert view.labels["store.name"].text() == "Nome da loja"
    assert view.boxes["store"].title() == "Loja" and view.boxes["printer"].title() == "Recibos"
    assert view.rows["store.country"].note.text() == "duas letras, p. ex. BR, IN, SG"
    assert (view.save_button.text(), view.test_button.text()) == ("Salvar", "Testar conexão")
    assert view.pin_box.title() == "PIN do gerente" and view.credentials.title().startswith("Credenciais")
    # the broken value: its key quoted as it is in config.toml, the sentence in Portuguese
    error = view.rows["store.mcc"].error.text()
    assert error == "store.mcc deve ser um código de categoria de comerciante de quatro dígitos, não '12'", error
    assert view.problem.text().startswith("A configuração não pode ser usada: ")


def test_a_language_saved_on_the_settings_page_redraws_the_page_at_once(window_for, tmp_path, ring):
    home = tmp_path / "home"
    st.save(st.Settings(pin_hash=hash_pin("135790")), home / "config" / "config.toml")
    view = window_for(home).settings
    assert view.labels["sound.volume"].text() == "Volume" and view.save_button.text() == "Save"
    view.model.set("store.language", "hi")
    assert view.save(), view.outcome.text()
    assert view.labels["store.name"].text() == "दुकान का नाम"
    assert view.boxes["sound"].title() == "ध्वनि" and view.save_button.text() == "सहेजें"
    assert view.switches[0].text() == "चालू" and view.pin_box.button.text() == "PIN बदलें"
    assert view.outcome.text().startswith("सहेज लिया।")
    assert st.load(home / "config" / "config.toml").language == "hi"


def test_a_form_value_that_is_no_number_reads_in_portuguese(tmp_path):
    set_language("pt_BR")
    model = SettingsModel(tmp_path / "config" / "config.toml")
    model.set("checkout.expires_in", "cinco")
    model.set("checkout.poll_interval", "0,5")  # the Brazilian decimal comma is read
    assert model.validate() is None
    assert model.errors == {"checkout.expires_in": "checkout.expires_in deve ser um número inteiro, não 'cinco'"}
    model.set("checkout.expires_in", "5")
    assert model.validate() is None
    assert model.errors["checkout.expires_in"] == "checkout.expires_in deve estar entre 30 e 86.400 segundos, não 5"
