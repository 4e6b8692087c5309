"""Tariffs from TOML (app.fieldwork.tariff_config): the sample file, a store's config.toml, errors naming file and key."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from app.config import settings
from app.config.paths import RESOURCES, paths
from app.domain.money import Money
from app.domain.tariffs import TariffError, compute_charge
from app.fieldwork.tariff_config import DEMO_TARIFFS_FILE, load_tariffs, tariffs_for

ONE = """
[tariffs.rural]
currency = "BRL"
fixed_fee = 5.10
tiers = [{ up_to = 50, price = 0.1 }, { price = 0.2 }]
due_days = 10
max_consumption = 500
meter_digits = 4
"""


def test_the_sample_file_is_in_resources_and_has_both_tariffs_as_documented():
    assert DEMO_TARIFFS_FILE == RESOURCES / "tariffs.toml" and DEMO_TARIFFS_FILE.is_file()
    tariffs = load_tariffs(DEMO_TARIFFS_FILE)
    assert set(tariffs) == {"residential", "commercial"}
    res = tariffs["residential"]
    assert (res.currency, res.fixed_fee, res.due_days, res.max_payment_days) == ("BRL", Money(1250, "BRL"), 10, 30)
    assert [(t.up_to, t.price) for t in res.tiers] == [
        (Decimal(100), Decimal("0.65")),
        (Decimal(300), Decimal("0.82")),
        (None, Decimal("0.98")),
    ]
    assert [(t.name, t.rate) for t in res.taxes] == [("ICMS", Decimal("0.18")), ("PIS/COFINS", Decimal("0.0465"))]
    assert (res.fine_rate, res.interest_rate_per_day, res.rebate) == (
        Decimal("0.02"),
        Decimal("0.00033"),
        Money(0, "BRL"),
    )
    assert tariffs["commercial"].tiers != res.tiers and tariffs["commercial"].fixed_fee != res.fixed_fee


def test_numbers_are_read_as_written_never_through_float(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(ONE, encoding="utf-8")
    rural = load_tariffs(path)["rural"]
    assert rural.tiers[0].price == Decimal("0.1") and str(rural.tiers[0].price) == "0.1"
    assert compute_charge(rural, Decimal(3)).subtotal == Money(540, "BRL")  # 5.10 + 3 × 0.1, exactly


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (ONE.replace("price = 0.2", "price = 'abc'"), "t.toml: tariffs.rural.tiers[2].price must be a decimal number"),
        (ONE.replace("meter_digits = 4", ""), "t.toml: tariffs.rural.meter_digits is missing"),
        ("[store]\nname = 'x'\n", "t.toml: no tariffs in it"),
        ("[tariffs]\n", "t.toml: [tariffs] has no tariff in it"),
        ("tariffs = 3\n", "t.toml: tariffs must be tables"),
        ("[tariffs]\nrural = 3\n", "t.toml: tariffs.rural must be a table"),
        ("[tariffs.rural\n", "t.toml: not valid TOML"),
    ],
)
def test_a_bad_file_names_the_file_and_the_key(tmp_path, text, message):
    path = tmp_path / "t.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TariffError) as caught:
        load_tariffs(path)
    assert message in str(caught.value) and str(path) in str(caught.value)


def test_an_unreadable_file_is_a_tariff_error(tmp_path):
    with pytest.raises(TariffError, match="does not exist"):
        load_tariffs(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_bytes(b"[tariffs.r]\nlabel = '\xff'\n")
    with pytest.raises(TariffError, match="not UTF-8"):
        load_tariffs(tmp_path / "bad.toml")


def test_demo_mode_uses_the_sample_and_a_store_its_config(tmp_path):
    store = paths(tmp_path)
    assert set(tariffs_for(store, demo=True)) == {"residential", "commercial"}
    with pytest.raises(TariffError, match="no tariffs are configured"):
        tariffs_for(store, demo=False)  # no config.toml at all
    store.ensure()
    store.config_file.write_text("[store]\nname = 'Loja'\ncity = 'QUIXERAMOBIM'\n" + ONE, encoding="utf-8")
    assert set(tariffs_for(store, demo=False)) == {"rural"}
    assert set(tariffs_for(store, demo=True)) == {"residential", "commercial"}
    # the store's settings read the same file and leave its [tariffs.*] to tariff_config
    loaded = settings.load(store.config_file)
    assert loaded is not None and loaded.store_name == "Loja"


def test_the_sample_file_can_be_copied_into_a_config_file(tmp_path: Path):
    store = paths(tmp_path).ensure()
    store.config_file.write_text(DEMO_TARIFFS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    assert tariffs_for(store, demo=False) == load_tariffs(DEMO_TARIFFS_FILE)


def test_saving_the_store_settings_keeps_its_tariffs_as_written(tmp_path):
    store = paths(tmp_path).ensure()
    sample = DEMO_TARIFFS_FILE.read_text(encoding="utf-8")
    store.config_file.write_text("[store]\nname = 'Loja'\ncity = 'QUIXERAMOBIM'\n\n" + sample, encoding="utf-8")
    loaded = settings.load(store.config_file)
    assert loaded is not None
    settings.save(replace(loaded, store_name="Loja Nova"), store.config_file)
    saved = store.config_file.read_text(encoding="utf-8")
    assert "# Consumption tiers, lowest first" in saved  # the comments too
    assert tariffs_for(store, demo=False) == load_tariffs(DEMO_TARIFFS_FILE)
    assert settings.load(store.config_file) == replace(loaded, store_name="Loja Nova")
