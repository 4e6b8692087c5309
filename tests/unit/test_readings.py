"""Meter readings (app.domain.bills.check_reading): what is refused, in words an agent understands, and what a
confirmation accepts; properties with hypothesis."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.bills import Bill, ReadingProblem, ReadingRejected, check_reading, parse_reading
from app.domain.tariffs import tariff_from_mapping

D = Decimal
TARIFF = tariff_from_mapping(
    "residential",
    {
        "currency": "BRL",
        "fixed_fee": 10,
        "tiers": [{"price": 1}],
        "due_days": 10,
        "max_consumption": 2000,
        "meter_digits": 5,
    },
)


def bill(previous: int | str = 1350, meter: str = "RM-10371") -> Bill:
    return Bill("QXB-1", "Maria", "Rua A, 1", meter, D(previous), "residential")


def rejected(
    text: str, b: Bill | None = None, meter_id: str | None = None, confirm_reset: bool = False
) -> ReadingRejected:
    with pytest.raises(ReadingRejected) as caught:
        check_reading(b or bill(), TARIFF, text, meter_id=meter_id, confirm_reset=confirm_reset)
    return caught.value


def test_a_plain_reading_is_its_consumption():
    assert check_reading(bill(), TARIFF, " 1420 ").consumption == D(70)
    assert check_reading(bill(), TARIFF, "1350").consumption == D(0)
    taken = check_reading(bill(), TARIFF, "1420,5")  # a decimal comma is the decimal point
    assert (taken.reading, taken.consumption, taken.reset) == (D("1420.5"), D("70.5"), False)


def test_lower_than_previous_says_so_and_a_confirmed_reset_is_a_rollover_or_a_new_meter():
    err = rejected("1200")
    assert err.problem is ReadingProblem.LOWER_THAN_PREVIOUS and err.confirmable
    assert err.message == (
        "The reading 1,200 is lower than the previous reading 1,350. "
        "If the meter rolled over or was replaced, confirm the reset."
    )
    rolled = check_reading(bill(99870), TARIFF, "00012", confirm_reset=True)
    assert (rolled.consumption, rolled.reset) == (D(142), True)  # 99870 -> 99999 -> 00000 -> 00012
    replaced = check_reading(bill(1350), TARIFF, "40", confirm_reset=True)
    assert (replaced.consumption, replaced.reset) == (D(40), True)  # a rollover would be 98,690 kWh


def test_an_absurd_jump_is_questioned_and_taken_as_read_when_confirmed():
    err = rejected("25000")
    assert err.problem is ReadingProblem.ABSURD_JUMP and err.confirmable
    assert "23,650 kWh since the previous reading 1,350" in err.message and "confirm" in err.message
    assert check_reading(bill(), TARIFF, "25000", confirm_reset=True).consumption == D(23650)
    assert check_reading(bill(), TARIFF, "3350").consumption == D(2000)  # the limit itself is fine
    err = rejected("123456", b=bill(99990))  # more digits than the meter has, even a small step
    assert err.problem is ReadingProblem.ABSURD_JUMP and "5-digit meter" in err.message and not err.confirmable


def test_a_wrong_meter_is_refused_and_cannot_be_confirmed():
    err = rejected("1400", meter_id="RM-99999", confirm_reset=True)
    assert err.problem is ReadingProblem.WRONG_METER and not err.confirmable
    assert "RM-99999" in err.message and "RM-10371" in err.message
    assert check_reading(bill(), TARIFF, "1400", meter_id=" rm-10371 ").consumption == D(50)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", ReadingProblem.NOT_A_NUMBER),
        ("   ", ReadingProblem.NOT_A_NUMBER),
        ("NaN", ReadingProblem.NOT_A_NUMBER),
        ("inf", ReadingProblem.NOT_A_NUMBER),
        ("1e3", ReadingProblem.NOT_A_NUMBER),
        ("12a4", ReadingProblem.NOT_A_NUMBER),
        ("1.234.5", ReadingProblem.NOT_A_NUMBER),
        ("١٢٣", ReadingProblem.NOT_A_NUMBER),  # Arabic-Indic digits: not what a meter here shows
        ("+1400", ReadingProblem.NOT_A_NUMBER),
        ("-5", ReadingProblem.NEGATIVE),
        ("1400.1234", ReadingProblem.TOO_PRECISE),
    ],
)
def test_text_that_is_not_a_reading_is_refused_for_what_it_is(text, problem):
    err = rejected(text, confirm_reset=True)
    assert err.problem is problem and not err.confirmable and err.message == str(err)


readings = st.decimals(min_value=0, max_value=99999, places=3)


@given(readings, readings)
def test_any_reading_is_accepted_or_refused_consistently(previous, reading):
    b = bill(str(previous))
    wrap, limit = D(10**5), TARIFF.max_consumption
    try:
        taken = check_reading(b, TARIFF, f"{reading:f}")
    except ReadingRejected as err:
        if reading >= wrap:  # no 5-digit meter shows it: refused outright
            assert err.problem is ReadingProblem.ABSURD_JUMP and not err.confirmable
            return
        assert err.confirmable
        if reading < previous:
            assert err.problem is ReadingProblem.LOWER_THAN_PREVIOUS
        else:
            assert err.problem is ReadingProblem.ABSURD_JUMP and reading - previous > limit
        try:
            confirmed = check_reading(b, TARIFF, f"{reading:f}", confirm_reset=True)
        except ReadingRejected as again:  # confirmed lower, yet neither a rollover nor a plausible new meter
            assert reading < previous and not again.confirmable and reading > limit
            assert wrap - previous + reading > limit or previous >= wrap
            return
        assert confirmed.reading == reading and confirmed.consumption >= 0
        if reading < previous:
            assert confirmed.reset and confirmed.consumption in (wrap - previous + reading, reading)
            assert confirmed.consumption <= limit
    else:
        assert taken == type(taken)(reading, reading - previous, False)
        assert 0 <= taken.consumption <= limit


def test_a_confirmed_reset_still_refuses_what_no_meter_change_explains():
    err = rejected("13000", b=bill(13907), confirm_reset=True)  # not a rollover; 13,000 kWh on a new meter
    assert err.problem is ReadingProblem.ABSURD_JUMP and not err.confirmable and "Check the number" in err.message
    err = rejected("9999999", b=bill(99990), confirm_reset=True)  # more digits than the meter: never confirmed
    assert err.problem is ReadingProblem.ABSURD_JUMP and not err.confirmable


@given(st.text(max_size=30))
def test_any_text_is_a_reading_or_a_clear_refusal(text):
    try:
        value = parse_reading(text)
    except ReadingRejected as err:
        assert err.problem in (ReadingProblem.NOT_A_NUMBER, ReadingProblem.NEGATIVE, ReadingProblem.TOO_PRECISE)
        assert err.message.endswith(".")
    else:
        assert value.is_finite() and value >= 0 and -int(value.as_tuple().exponent) <= 3
