"""The charge for a reading (app.domain.tariffs): tiers, taxes, rounding, due-date terms; properties with hypothesis."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import duedate
from app.domain.money import Money
from app.domain.tariffs import Tariff, TariffError, Tax, Tier, compute_charge, due_terms, tariff_from_mapping

D = Decimal


def residential(**changes: object) -> Tariff:
    table: dict[str, object] = {
        "currency": "BRL",
        "fixed_fee": D("12.50"),
        "tiers": [{"up_to": 100, "price": D("0.65")}, {"up_to": 300, "price": D("0.82")}, {"price": D("0.98")}],
        "taxes": [{"name": "ICMS", "rate": D("0.18")}, {"name": "PIS/COFINS", "rate": D("0.0465")}],
        "due_days": 10,
        "max_payment_days": 30,
        "fine_rate": D("0.02"),
        "interest_rate_per_day": D("0.00033"),
        "rebate": 0,
        "max_consumption": 2000,
        "meter_digits": 5,
    }
    table.update(changes)
    return tariff_from_mapping("residential", table)


def test_a_charge_worked_by_hand():
    charge = compute_charge(residential(), D("350.5"))
    assert [(line.label, str(line.amount)) for line in charge.lines] == [
        ("Fixed fee", "12.50"),
        ("0–100 kWh × 0.65", "65.00"),
        ("100–300 kWh × 0.82", "164.00"),
        ("300–350.5 kWh × 0.98", "49.49"),  # 49.49 exactly
        ("ICMS 18 %", "52.38"),  # 290.99 × 0.18 = 52.3782
        ("PIS/COFINS 4.65 %", "13.53"),  # 290.99 × 0.0465 = 13.531035
    ]
    assert (str(charge.subtotal), str(charge.taxes), str(charge.total)) == ("290.99", "65.91", "356.90")


def test_no_consumption_is_the_fixed_fee_and_its_taxes():
    charge = compute_charge(residential(), D(0))
    assert [line.label for line in charge.lines] == ["Fixed fee", "ICMS 18 %", "PIS/COFINS 4.65 %"]
    assert str(charge.subtotal) == "12.50" and str(charge.total) == "15.33"  # 12.50 + 2.25 + 0.58


def test_half_a_cent_goes_up():
    tariff = residential(fixed_fee=0, tiers=[{"price": D("0.005")}], taxes=[])
    assert compute_charge(tariff, D(1)).total == Money(1, "BRL")
    assert compute_charge(tariff, D("0.999")).total == Money(0, "BRL")  # 0.004995


def test_a_currency_without_decimals_rounds_to_whole_units():
    tariff = residential(
        currency="JPY", fixed_fee=800, tiers=[{"price": D("31.5")}], taxes=[{"name": "VAT", "rate": D("0.1")}]
    )
    charge = compute_charge(tariff, D(3))  # 800 + 94.5 -> 895; tax 89.5 -> 90
    assert (charge.subtotal, charge.taxes, charge.total) == (Money(895, "JPY"), Money(90, "JPY"), Money(985, "JPY"))


@pytest.mark.parametrize("bad", [D(-1), D("-0.001"), D("NaN"), D("Infinity")])
def test_negative_or_not_finite_consumption_is_refused(bad):
    with pytest.raises(ValueError):
        compute_charge(residential(), bad)


consumptions = st.decimals(min_value=0, max_value=100_000, places=3, allow_nan=False, allow_infinity=False)
prices = st.decimals(min_value=0, max_value=5, places=5)
rates = st.decimals(min_value=0, max_value=1, places=4)


@st.composite
def tariffs(draw: st.DrawFn) -> Tariff:
    bounds = sorted(draw(st.sets(st.integers(1, 5000), max_size=4)))
    tiers = [{"up_to": b, "price": draw(prices)} for b in bounds] + [{"price": draw(prices)}]
    taxes = [{"name": f"T{i}", "rate": draw(rates)} for i in range(draw(st.integers(0, 3)))]
    fee = draw(st.decimals(min_value=0, max_value=500, places=2))
    return residential(tiers=tiers, taxes=taxes, fixed_fee=fee)


def exact_energy(tariff: Tariff, kwh: Decimal) -> Decimal:
    """The unrounded price of ``kwh``, worked out another way: each kWh band's share, summed."""
    total, low = D(0), D(0)
    for tier in tariff.tiers:
        high = tier.up_to if tier.up_to is not None else max(kwh, low)
        total += max(D(0), min(kwh, high) - low) * tier.price
        low = high
    return total


@given(tariffs(), consumptions)
def test_the_lines_add_up_and_round_each_within_half_a_cent(tariff, kwh):
    charge = compute_charge(tariff, kwh)
    n_energy = len(charge.lines) - 1 - len(tariff.taxes)
    energy_lines = charge.lines[1 : 1 + n_energy]
    tax_lines = charge.lines[1 + n_energy :]
    assert charge.lines[0].amount == tariff.fixed_fee
    assert charge.subtotal.minor == sum(line.amount.minor for line in charge.lines[: 1 + n_energy])
    assert charge.taxes.minor == sum(line.amount.minor for line in tax_lines)
    assert charge.total == charge.subtotal + charge.taxes
    exact = exact_energy(tariff, kwh)
    assert abs(sum(line.amount.amount for line in energy_lines) - exact) <= D("0.005") * n_energy
    for tax, line in zip(tariff.taxes, tax_lines):
        assert line.amount.amount == (charge.subtotal.amount * tax.rate).quantize(D("0.01"), ROUND_HALF_UP)


@given(tariffs(), consumptions, consumptions)
def test_more_consumption_never_costs_less(tariff, a, b):
    low, high = sorted((a, b))
    assert compute_charge(tariff, low).total <= compute_charge(tariff, high).total


@given(tariffs(), consumptions)
def test_each_tier_line_prices_only_its_own_kwh(tariff, kwh):
    charge = compute_charge(tariff, kwh)
    ranges = [line.label.split(" kWh")[0].split("–") for line in charge.lines[1:] if "kWh" in line.label]
    assert sum(D(high) - D(low) for low, high in ranges) == kwh
    for (_, high), (low, _) in zip(ranges, ranges[1:]):
        assert high == low  # contiguous bands, no kWh twice


@given(st.integers(1, 10**8), rates, rates, st.integers(0, 10**6), st.integers(0, 3650))
def test_due_terms_are_always_acceptable_to_the_provider_rules(minor, fine, interest, rebate, days):
    tariff = residential(fine_rate=fine, interest_rate_per_day=interest, rebate=Money(rebate, "BRL").amount)
    tariff = Tariff(**{**tariff.__dict__, "max_payment_days": days})
    charge = Money(minor, "BRL")
    terms = due_terms(tariff, charge, date(2025, 7, 10))
    if terms is None:
        assert duedate.to_money(charge.amount * fine, "BRL").minor == 0
        assert duedate.to_money(charge.amount * interest, "BRL").minor == 0
        assert rebate == 0 or minor == 1
        return
    assert duedate.problems(charge, terms) == []
    assert terms.rebate.minor == min(rebate, minor - 1)
    assert terms.fine == duedate.to_money(charge.amount * fine, "BRL")
    assert terms.max_payment_days == days


def test_due_terms_worked_by_hand_and_none_without_charges():
    terms = due_terms(residential(), Money(14534, "BRL"), date(2025, 7, 10))
    assert terms is not None
    assert (str(terms.fine), str(terms.interest_per_day), str(terms.rebate)) == ("2.91", "0.05", "0.00")
    assert terms.max_payment_days == 30 and terms.due_date == date(2025, 7, 10)
    free = residential(fine_rate=0, interest_rate_per_day=0)
    assert due_terms(free, Money(14534, "BRL"), date(2025, 7, 10)) is None
    with pytest.raises(ValueError):
        due_terms(residential(), Money(100, "USD"), date(2025, 7, 10))


# -- tariff_from_mapping: strict, naming the key ------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"tiers": [{"up_to": 100, "price": 1}, {"up_to": 200, "price": "abc"}, {"price": 1}]},
            "tariffs.residential.tiers[2].price must be a decimal number ≥ 0, not 'abc'",
        ),
        ({"tiers": [{"up_to": 100, "price": -1}, {"price": 1}]}, "tariffs.residential.tiers[1].price"),
        ({"tiers": [{"price": 1}, {"price": 2}]}, "tiers[1].up_to is missing: only the last tier is open-ended"),
        ({"tiers": [{"up_to": 100, "price": 1}]}, "tiers[1].up_to must be left out"),
        ({"tiers": [{"up_to": 300, "price": 1}, {"up_to": 100, "price": 1}, {"price": 1}]}, "tiers go up"),
        ({"tiers": [{"up_to": 0, "price": 1}, {"price": 1}]}, "tiers[1].up_to must be a decimal number > 0"),
        ({"tiers": []}, "tariffs.residential.tiers must have at least one tier"),
        ({"tiers": [{"price": 1, "upto": 5}]}, "tariffs.residential.tiers[1].upto is not a tariff setting"),
        ({"currency": "XYZ"}, "tariffs.residential.currency: unknown currency"),
        ({"fixed_fee": D("12.505")}, "tariffs.residential.fixed_fee has more than the 2 decimals of BRL"),
        (
            {"fine_rate": D("2")},
            "tariffs.residential.fine_rate must be a decimal number between 0 and 1, not Decimal('2')",
        ),
        ({"taxes": [{"name": "ICMS", "rate": D("1.5")}]}, "tariffs.residential.taxes[1].rate must be"),
        ({"taxes": [{"rate": D("0.1")}]}, "tariffs.residential.taxes[1].name is missing"),
        ({"meter_digits": 13}, "tariffs.residential.meter_digits must be a whole number between 1 and 12"),
        ({"meter_digits": True}, "tariffs.residential.meter_digits must be a whole number"),
        ({"due_days": -1}, "tariffs.residential.due_days must be a whole number between 0 and 366"),
        ({"max_consumption": 0}, "tariffs.residential.max_consumption must be a decimal number > 0"),
        ({"interest_rate_per_day": 0.00033}, "interest_rate_per_day was read as a float"),
        ({"fine_rte": D("0.02")}, "tariffs.residential.fine_rte is not a tariff setting"),
        ({"rebate": D("NaN")}, "tariffs.residential.rebate must be"),
        ({"price": D("1E+999999")}, "tariffs.residential.price is not a tariff setting"),
        ({"tiers": [{"price": D("1E+999")}]}, "tariffs.residential.tiers[1].price must be"),
    ],
)
def test_a_bad_tariff_is_refused_naming_the_key(changes, message):
    with pytest.raises(TariffError) as caught:
        residential(**changes)
    assert message in str(caught.value)


def test_required_keys_and_names():
    with pytest.raises(TariffError, match=r"tariffs\.residential\.max_consumption is missing"):
        tariff_from_mapping("residential", {k: v for k, v in residential().__dict__.items() if k == "currency"} | {
            "fixed_fee": 1, "tiers": [{"price": 1}], "due_days": 1, "meter_digits": 5})  # fmt: skip
    with pytest.raises(TariffError, match="1 to 35 letters"):
        tariff_from_mapping("res idential", {})


def test_a_tariff_read_from_a_mapping_keeps_exact_decimals_and_defaults():
    t = tariff_from_mapping(
        "rural_low",
        {
            "currency": "brl",
            "fixed_fee": "5",
            "tiers": [{"price": "0.1"}],
            "due_days": 5,
            "max_consumption": 800,
            "meter_digits": 4,
        },
    )
    assert t.label == "Rural low" and t.currency == "BRL" and t.fixed_fee == Money(500, "BRL")
    assert t.tiers == (Tier(None, D("0.1")),) and t.taxes == ()
    assert (t.fine_rate, t.interest_rate_per_day, t.rebate, t.max_payment_days) == (0, 0, Money(0, "BRL"), 0)
    assert compute_charge(t, D(3)).subtotal == Money(530, "BRL")  # 0.1 × 3 is 0.3 exactly
    assert Tax("ICMS", D("0.18")) in residential().taxes
