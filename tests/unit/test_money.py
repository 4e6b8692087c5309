from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.money import MINOR_UNITS, Money, MoneyError, max_amount


@pytest.mark.parametrize(
    "text,currency,minor",
    [
        ("12.50", "BRL", 1250),
        ("12,50", "BRL", 1250),
        ("7", "BRL", 700),
        ("0.01", "SGD", 1),
        (" 3.5 ", "HKD", 350),
        ("+4", "INR", 400),
        ("1500", "CLP", 1500),
        ("1.234", "KWD", 1234),
        ("1000000", "BRL", 100000000),
        (Decimal("9.99"), "BRL", 999),
        ("brl", "BRL", None),
        ("2500000", "VND", 2500000),
        ("45000", "KRW", 45000),
        ("1500000", "PYG", 1500000),
    ],
)
def test_parse_good(text, currency, minor):
    if minor is None:
        with pytest.raises(MoneyError):
            Money.parse(text, currency)
        return
    m = Money.parse(text, currency)
    assert m.minor == minor and m.currency == currency


@pytest.mark.parametrize(
    "text,currency,needle",
    [
        ("", "BRL", "enter an amount"),
        ("-1.00", "BRL", "positive"),
        ("0", "BRL", "more than zero"),
        ("0.00", "BRL", "more than zero"),
        ("1.005", "BRL", "too many"),
        ("10.5", "CLP", "no decimals"),
        ("1,000", "BRL", "a comma is read as the decimal point; for 1000 type it without the comma"),
        ("1,500", "CLP", "a comma is read as the decimal point"),
        ("1e3", "BRL", "not an amount"),
        ("NaN", "BRL", "not an amount"),
        ("Infinity", "BRL", "not an amount"),
        ("1,000.00", "BRL", "not an amount"),
        ("12.50.1", "BRL", "not an amount"),
        ("1000000.01", "BRL", "more than one sale"),
        ("99999999999", "BRL", "more than one sale"),
        ("12.50", "XXX", "unknown currency"),
        ("١٢", "BRL", "not an amount"),  # Arabic-Indic digits are refused, not silently read
    ],
)
def test_parse_bad_amounts_have_clear_messages(text, currency, needle):
    with pytest.raises(MoneyError) as exc:
        Money.parse(text, currency)
    assert needle in str(exc.value)


def test_float_is_refused():
    with pytest.raises(MoneyError, match="never floats"):
        Money.parse(12.5, "BRL")  # type: ignore[arg-type]


def test_display_and_arithmetic():
    a, b = Money.parse("12.50", "BRL"), Money.parse("0.75", "BRL")
    assert str(a + b) == "13.25" and str(a - b) == "11.75" and a.display() == "BRL 12.50"
    assert str(Money.parse("5", "CLP")) == "5" and str(Money.parse("1.5", "KWD")) == "1.500"
    with pytest.raises(MoneyError):
        a + Money.parse("1", "SGD")


def test_from_decimal_is_exact():
    assert Money.from_decimal(Decimal("150.00"), "BRL").minor == 15000
    assert Money.from_decimal(Decimal("0"), "BRL").minor == 0
    with pytest.raises(MoneyError):
        Money.from_decimal(Decimal("1.001"), "BRL")
    with pytest.raises(MoneyError):
        Money.from_decimal(Decimal("-1"), "BRL")


@given(st.sampled_from(sorted(MINOR_UNITS)), st.integers(min_value=1, max_value=10**9))
def test_text_round_trip(currency, minor):
    m = Money(minor, currency)
    if m.amount > max_amount(currency):
        with pytest.raises(MoneyError):
            Money.parse(str(m), currency)
    else:
        assert Money.parse(str(m), currency) == m
        assert Money.from_decimal(m.amount, currency) == m
