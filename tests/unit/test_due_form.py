"""DueForm without Qt: defaults, edits, the words for anything wrong, terms and today's breakdown."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.domain.money import Money
from app.screens.due_form import MAX_DISCOUNTS, DueForm, owed_today

TODAY = date(2025, 3, 20)


def brl(text: str) -> Money:
    return Money.parse(text, "BRL", allow_zero=True)


def form(**kw) -> DueForm:
    return DueForm("BRL", today=lambda: TODAY, **kw)


def test_defaults_due_in_a_week_zeros_thirty_days_late():
    f = form()
    check = f.check(brl("10.25"))
    assert f.due_date == TODAY + timedelta(days=7) and f.max_days == "30" and f.discounts == []
    t = check.terms
    assert t.fine == t.interest_per_day == t.rebate == brl("0") and t.max_payment_days == 30 and t.discounts == ()
    assert check.lines == ("Amount: BRL 10.25", f"Total due on {TODAY}: BRL 10.25") and check.total == brl("10.25")


def test_the_seed_example_breakdown_today():
    f = form()
    f.set_due_date(date(2025, 3, 25))
    for name, text in (("fine", "3"), ("interest", "2"), ("rebate", "1")):
        assert f.set(name, text)
    check = f.check(brl("10.25"))
    assert check.problems == () and check.total == brl("9.25")
    assert check.lines[-1] == f"Total due on {TODAY}: BRL 9.25"
    assert owed_today(brl("10.25"), check.terms, date(2025, 3, 27)) == brl("14.25")


def test_edits_report_changes_and_are_refused_while_locked():
    seen, locked = [], [False]
    f = form(changed=lambda: seen.append(1), locked=lambda: locked[0])
    assert f.set("fine", "1") and not f.set("fine", "1") and not f.set("unknown", "1")
    assert f.set("max_days", "10") and f.set_due_date(TODAY) and not f.set_due_date(TODAY)
    assert len(seen) == 3
    locked[0] = True
    assert not f.set("fine", "2") and not f.add_discount() and not f.set_due_date(TODAY + timedelta(days=1))
    assert f.values["fine"] == "1" and len(seen) == 3


def test_discounts_default_dates_limit_and_removal():
    f = form()
    for _ in range(MAX_DISCOUNTS):
        assert f.add_discount()
    assert not f.add_discount() and not f.can_add_discount
    due = f.due_date
    assert [d.limit for d in f.discounts] == [due, due - timedelta(days=1), due - timedelta(days=2)]
    assert f.set_discount(1, amount="2") and f.set_discount(1, limit=TODAY) and not f.set_discount(5, amount="1")
    assert f.remove_discount(0) and [d.amount for d in f.discounts] == ["2", ""] and not f.remove_discount(7)


def test_terms_sort_discounts_by_limit_date():
    f = form()
    f.add_discount()
    f.add_discount()
    f.set_discount(0, amount="1")
    f.set_discount(1, amount="3")
    terms = f.check(None).terms
    assert [d.amount for d in terms.discounts] == [brl("3"), brl("1")], "earliest limit first"
    check = f.check(brl("50"))
    assert check.lines[-1] == f"Total due on {TODAY}: BRL 47.00" and "Discount until" in check.lines[1]


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda f: f.set("fine", "abc"), "Fine: 'abc' is not an amount"),
        (lambda f: f.set("interest", "-1"), "Interest per day: the amount must be positive, not '-1'"),
        (lambda f: f.set("rebate", "1.234"), "Rebate: BRL has 2 decimals: 1.234 has too many"),
        (lambda f: f.set("max_days", "x"), "Days it can be paid late: a whole number from 0 to 3650, not 'x'"),
        (lambda f: f.set("max_days", "4000"), "Days it can be paid late: a whole number from 0 to 3650"),
        (
            lambda f: f.set_due_date(TODAY - timedelta(days=1)),
            f"The due date {TODAY - timedelta(days=1)} is before today",
        ),
        (lambda f: f.add_discount(), "Discount 1: enter an amount"),
        (
            lambda f: (f.add_discount(), f.set_discount(0, amount="1", limit=TODAY - timedelta(days=1))),
            "Discount 1: its limit date",
        ),
        (
            lambda f: (f.add_discount(), f.set_discount(0, amount="1", limit=TODAY + timedelta(days=30))),
            "is after the due date",
        ),
        (lambda f: f.set("rebate", "10"), "The rebate (BRL 10.00) must be less than the amount (BRL 10.00)"),
        (
            lambda f: (f.add_discount(), f.set_discount(0, amount="9.99"), f.set("rebate", "0.01")),
            "The rebate and the discount until",
        ),
    ],
)
def test_problems_are_said_in_words_and_nothing_typed_is_lost(edit, words):
    f = form()
    edit(f)
    before = (f.due_date, f.max_days, dict(f.values), list(f.discounts))
    check = f.check(brl("10"))
    assert check.terms is None and check.lines == () and any(words in p for p in check.problems), check.problems
    assert all(p[0].isupper() for p in check.problems)
    assert (f.due_date, f.max_days, dict(f.values), list(f.discounts)) == before


def test_reset_after_a_charge():
    f = form()
    f.set("fine", "2")
    f.add_discount()
    f.set_due_date(TODAY + timedelta(days=2))
    f.reset()
    assert f.values == {"fine": "", "interest": "", "rebate": ""} and f.discounts == []
    assert f.due_date == TODAY + timedelta(days=7)
