"""The due-date maths (app.domain.duedate): worked examples from the Pix seed, and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.duedate import BRASILIA, amount_due, applicable_discount, local_date, payable_until, problems, to_money
from app.domain.dueterms import Discount, DueTerms
from app.domain.money import Money


def brl(text: str) -> Money:
    return Money.from_decimal(Decimal(text), "BRL")


DUE = date(2023, 3, 25)
# The seed's sample body: amount 10.25, fine 3, interest 2, rebate 1, expiration 2023-03-25, 128 days.
SEED = DueTerms(due_date=DUE, max_payment_days=128, fine=brl("3"), interest_per_day=brl("2"), rebate=brl("1"))
BASE = brl("10.25")


@pytest.mark.parametrize(
    "on, total",
    [
        (date(2023, 3, 1), "9.25"),  # early: amount - rebate
        (DUE, "9.25"),  # on the due date: still on time
        (date(2023, 3, 26), "12.25"),  # one day late: original value + fine (- rebate), no interest yet
        (date(2023, 3, 27), "14.25"),  # two days late: + one day of interest
        (date(2023, 3, 28), "16.25"),
    ],
)
def test_seed_sample_on_several_days(on, total):
    assert amount_due(BASE, SEED, on).total == brl(total)


def test_seed_sample_breakdown_for_the_cashier():
    b = amount_due(BASE, SEED, date(2023, 3, 28))
    assert (b.base, b.rebate, b.discount, b.fine, b.interest) == (BASE, brl("1"), brl("0"), brl("3"), brl("4"))
    assert b.days_late == 3 and b.interest_days == 2 and b.payable and not b.clamped
    assert b.lines() == [
        "Amount: BRL 10.25",
        "Rebate: -BRL 1.00",
        "Fine after 2023-03-25: BRL 3.00",
        "Interest, 2 days x BRL 2.00: BRL 4.00",
        "Total due on 2023-03-28: BRL 16.25",
    ]


def test_last_payable_day_is_due_date_plus_max_payment_days():
    last = DUE + timedelta(days=128)
    assert amount_due(BASE, SEED, last).payable
    late = amount_due(BASE, SEED, last + timedelta(days=1))
    assert not late.payable and late.lines()[-2] == f"No longer payable: the last day was {last}"
    assert payable_until(SEED) == datetime(2023, 8, 1, 0, 0, tzinfo=BRASILIA)
    assert payable_until(SEED) == datetime(2023, 8, 1, 3, 0, tzinfo=UTC)


def test_discounts_do_not_accumulate_the_earliest_live_limit_applies():
    terms = DueTerms(
        DUE,
        10,
        brl("0"),
        brl("0"),
        brl("0"),
        discounts=(Discount(brl("0.50"), date(2023, 3, 20)), Discount(brl("1.50"), date(2023, 3, 10))),
    )
    assert amount_due(BASE, terms, date(2023, 3, 5)).total == brl("8.75")  # 1.50 until 03-10
    assert amount_due(BASE, terms, date(2023, 3, 10)).total == brl("8.75")  # on the limit date: still
    b = amount_due(BASE, terms, date(2023, 3, 11))
    assert b.total == brl("9.75") and b.discount_limit == date(2023, 3, 20)  # then 0.50 until 03-20
    assert "Discount until 2023-03-20: -BRL 0.50" in b.lines()
    assert amount_due(BASE, terms, date(2023, 3, 21)).total == BASE  # then none


def test_total_is_clamped_at_zero_and_says_so():
    terms = DueTerms(DUE, 0, brl("0"), brl("0"), brl("8"), discounts=(Discount(brl("5"), DUE),))
    b = amount_due(BASE, terms, DUE)
    assert b.total == brl("0") and b.clamped
    assert "Deductions exceed the amount: nothing is owed (total set to zero)" in b.lines()
    assert problems(BASE, terms) == ["the rebate and the discount until 2023-03-25 leave nothing to pay"]


def test_problems_of_bad_terms():
    assert problems(BASE, SEED) == []
    bad = DueTerms(
        DUE,
        -1,
        brl("0"),
        brl("0"),
        brl("10.25"),
        discounts=(Discount(brl("0"), DUE + timedelta(days=1)), Discount(brl("1"), DUE + timedelta(days=1))),
    )
    found = problems(BASE, bad)
    assert "the days it can be paid late cannot be negative" in found
    assert "the rebate (BRL 10.25) must be less than the amount (BRL 10.25)" in found
    assert "two discounts have the same limit date" in found
    assert any("after the due date" in p for p in found)
    assert problems(BASE, DueTerms(DUE, 1, Money(100, "USD"), brl("0"), brl("0"))) == [
        "due-date terms in USD for a charge in BRL"
    ]


def test_to_money_rounds_half_up_and_refuses_floats():
    assert to_money(Decimal("10.255"), "BRL") == brl("10.26")
    assert to_money(Decimal("10.254"), "BRL") == brl("10.25")
    assert to_money("0.005", "BRL") == brl("0.01")
    assert to_money(Decimal("1.5"), "CLP") == Money(2, "CLP")
    with pytest.raises(TypeError):
        to_money(10.25, "BRL")  # type: ignore[arg-type]


def test_local_date_is_brasilia():
    assert local_date(datetime(2023, 3, 26, 2, 59, tzinfo=UTC)) == date(2023, 3, 25)
    assert local_date(datetime(2023, 3, 26, 3, 0, tzinfo=UTC)) == date(2023, 3, 26)
    assert amount_due(BASE, SEED, datetime(2023, 3, 26, 2, 59, tzinfo=UTC)).total == brl("9.25")
    with pytest.raises(ValueError):
        local_date(datetime(2023, 3, 26))


# -- properties ---------------------------------------------------------------------
cents = st.integers(min_value=0, max_value=100_000)


@st.composite
def charges(draw):
    """(base, terms) with discount limits on or before the due date, as the Pix sandbox requires."""
    currency = draw(st.sampled_from(["BRL", "CLP", "KWD"]))
    base = Money(draw(st.integers(min_value=1, max_value=10_000_000)), currency)
    due = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
    limits = draw(st.lists(st.integers(min_value=0, max_value=60), max_size=3, unique=True))
    discounts = tuple(Discount(Money(draw(cents), currency), due - timedelta(days=n)) for n in limits)
    terms = DueTerms(
        due_date=due,
        max_payment_days=draw(st.integers(min_value=0, max_value=400)),
        fine=Money(draw(cents), currency),
        interest_per_day=Money(draw(cents), currency),
        rebate=Money(draw(st.integers(min_value=0, max_value=20_000_000)), currency),
        discounts=discounts,
    )
    return base, terms


offsets = st.integers(min_value=-100, max_value=500)


@given(charges(), offsets)
def test_never_negative_and_every_part_in_minor_units(charge, offset):
    base, terms = charge
    b = amount_due(base, terms, terms.due_date + timedelta(days=offset))
    assert b.total.minor >= 0
    for part in (b.base, b.rebate, b.discount, b.fine, b.interest, b.total):
        assert part.currency == base.currency
        assert part.amount == part.amount.quantize(Decimal(1).scaleb(-part.digits))  # exact in minor units
        assert part.minor >= 0
    raw = base.minor - b.rebate.minor - b.discount.minor + b.fine.minor + b.interest.minor
    assert b.total.minor == max(0, raw) and b.clamped == (raw < 0)
    assert b.lines()[-1].endswith(b.total.display())


@given(charges(), offsets)
def test_fines_and_interest_only_after_the_due_date(charge, offset):
    base, terms = charge
    on = terms.due_date + timedelta(days=offset)
    b = amount_due(base, terms, on)
    if on <= terms.due_date:
        assert b.fine.minor == 0 and b.interest.minor == 0 and b.days_late == 0
    else:
        assert b.fine == terms.fine and b.days_late == offset
        assert b.interest.minor == terms.interest_per_day.minor * (offset - 1)
    if offset == 1:
        assert b.interest.minor == 0  # "one day after the due date: original value + fine"


@given(charges(), offsets)
def test_discounts_only_on_or_before_their_limit_date(charge, offset):
    base, terms = charge
    on = terms.due_date + timedelta(days=offset)
    b = amount_due(base, terms, on)
    chosen = applicable_discount(terms, on)
    if chosen is None:
        assert b.discount.minor == 0 and b.discount_limit is None
    else:
        assert on <= chosen.limit_date and b.discount == chosen.amount
        assert all(d.limit_date >= chosen.limit_date for d in terms.discounts if on <= d.limit_date)
    if on > terms.due_date:
        assert b.discount.minor == 0


@given(charges(), st.integers(min_value=0, max_value=400), st.integers(min_value=0, max_value=400))
def test_total_never_decreases_as_days_late_grow(charge, a, b):
    base, terms = charge
    early, late = sorted((a, b))
    first = amount_due(base, terms, terms.due_date + timedelta(days=early)).total
    second = amount_due(base, terms, terms.due_date + timedelta(days=late)).total
    assert first.minor <= second.minor


@given(charges(), offsets)
def test_rebate_always_applies(charge, offset):
    base, terms = charge
    assert amount_due(base, terms, terms.due_date + timedelta(days=offset)).rebate == terms.rebate


@settings(max_examples=200)
@given(st.decimals(min_value=0, max_value=10**6, places=6, allow_nan=False, allow_infinity=False))
def test_to_money_is_half_up_to_the_minor_unit(value):
    m = to_money(value, "BRL")
    assert abs(m.amount - value) <= Decimal("0.005")
    if abs(m.amount - value) == Decimal("0.005"):
        assert m.amount > value


def test_terms_running_past_the_calendar_are_a_problem_not_a_crash():
    from datetime import date

    from app.domain.duedate import problems
    from app.domain.dueterms import DueTerms
    from app.domain.money import Money

    zero = Money(0, "BRL")
    terms = DueTerms(due_date=date(9999, 12, 31), max_payment_days=10, fine=zero, interest_per_day=zero, rebate=zero)
    assert any("calendar" in p for p in problems(Money(1250, "BRL"), terms))
