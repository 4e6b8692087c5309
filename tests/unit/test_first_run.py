"""A store set up only in part (the first-run banner asks for the PIN first) stays a working demo till.

``settings.missing_setup`` says what the provider still needs; the runtime runs such a store in demo
mode and says so; ``tillqr journal`` on a till whose only sales are demo ones says where they are.
"""

from __future__ import annotations

import pytest

from app.__main__ import main
from app.config import settings as settings_mod
from app.config.settings import Settings, is_configured, missing_setup, unfinished_text
from app.runtime import open_runtime


def test_a_pin_only_store_lacks_the_providers_address_and_payment_link():
    s = Settings(pin_hash="scrypt$x")  # what Save writes when only the PIN was set
    missing = missing_setup(s)
    assert [m.key for m in missing] == ["provider.base_url", "provider.payment_link_id"]
    assert unfinished_text(missing) == "setup is unfinished: the provider's address and the payment link"
    assert not is_configured(s) and not is_configured(None)


def test_a_store_with_its_providers_required_settings_is_configured():
    jpm = Settings(base_url="https://api.example.test", payment_link_id="L1")
    assert missing_setup(jpm) == [] and is_configured(jpm)
    depay = Settings(provider="depay", base_url="https://api.example.test", currency="ARS", store_country="AR")
    assert [m.words for m in missing_setup(depay)] == ["this till's POS reference"]  # local_country: optional
    assert "_" not in unfinished_text(missing_setup(depay))  # words, not config keys


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("TILLQR_HOME", str(tmp_path))
    monkeypatch.delenv("TILLQR_SANDBOX_URL", raising=False)
    return tmp_path


def _save(home, settings: Settings) -> None:
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    settings_mod.save(settings, config)


async def test_a_half_configured_store_opens_a_demo_till_that_says_setup_is_unfinished(home):
    _save(home, Settings(store_name="Padaria Central", pin_hash="scrypt$x"))
    rt = await open_runtime(home=home)
    try:
        assert rt.demo and rt.journal.path.name == "journal-demo.sqlite3"
        assert rt.store_name == "Padaria Central"
        assert rt.setup_note == "setup is unfinished: the provider's address and the payment link"
        assert rt.setup_note in rt.mode_text
        assert await rt.controller.recover() == []
    finally:
        await rt.aclose()


def test_recover_and_charge_work_on_a_half_configured_store(home, capsys):
    _save(home, Settings(pin_hash="scrypt$x"))
    assert main(["charge", "12.50", "--pay-after", "0", "--wait", "20"]) == 0
    assert main(["recover"]) == 0
    err = capsys.readouterr().err
    assert "setup is unfinished: the provider's address and the payment link" in err
    assert "config" not in err.split("setup is unfinished")[0].lower()  # no "the config is unusable"


def test_journal_list_on_a_configured_till_points_at_the_demo_sales(home, capsys):
    assert main(["charge", "3.00", "--pay-after", "0", "--wait", "20"]) == 0  # nothing configured: demo
    _save(home, Settings(base_url="https://api.example.test", payment_link_id="L1"))
    capsys.readouterr()
    assert main(["journal", "list"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "no sales in the shop's journal; the demo journal has 1 sale: add --demo" in err
    assert main(["journal", "list", "--demo"]) == 0
    assert "3.00" in capsys.readouterr().out
