"""The amount due on a given day for a charge with a due date (Pix ``dynamic_term``, a boleto's rules).

This is the ONE place that computes it: the sandbox (``app/sandbox/pix.py``) charges
what ``amount_due`` says, the Pix client (``app/providers/pix.py``) and the counter
show it with ``DueBreakdown.lines()``. Money only (integer minor units), never float.

The rules, from the Pix seed (``seeds/pix-dynamic-qr-due-date.txt``) and, where it
is silent, from BACEN's ``cobv`` conventions (Pix *cobrança com vencimento*):

- **rebate** (*abatimento*, ``rebate_amount``): "absolute rebate amount before
  payment" — deducted on every day, early or late.
- **discounts** (``discounts``: value + limit date): a discount applies on or before
  its limit date and never after it. They do **not** accumulate: on a given day the
  one discount in force is the one with the *earliest limit date not yet passed*
  (BACEN's "desconto por data fixa": up to three dates, each value valid until its
  date). Ties (same limit date) go to the larger value. The Pix sandbox also requires
  ``discount_number`` to follow the limit dates and every limit date to be on or
  before the due date, so a discount and a fine never meet; this module does not
  assume it.
- **fine** (*multa*, ``fine_amount``): "absolute fine amount after the due date" —
  added once, on any day after the due date (the due date itself is on time).
- **interest** (*juros*, ``interest_amount``): "absolute value per day of delay after
  the due date. If paid one day after the due date, the total amount will be the
  original value + fine." Read literally: on the first day late only the fine is
  added, so interest counts from the *second* day late —
  ``interest = interest_amount × (days_late − 1)`` for ``days_late ≥ 1``. With the
  seed's sample (10.25, fine 3, interest 2, rebate 1, due 2023-03-25): 9.25 on or
  before 03-25, 12.25 on 03-26, 14.25 on 03-27, 16.25 on 03-28.
- **payable** while ``on ≤ due_date + max_payment_days``; after that the provider
  writes the charge off (``bank_written_off``). Dates are calendar days as written
  (no business-day shifting of a due date that falls on a weekend or holiday).
- **never negative**: ``total = max(0, base − rebate − discount + fine + interest)``;
  when the deductions exceed the amount the total is 0 and the breakdown says so.
- **rounding**: every input is ``Money`` and every step is an addition or a whole
  number of days times a ``Money``, so no step ever rounds and every component is an
  exact multiple of the currency's minor unit. Where a ``Decimal`` with more digits
  has to become Money (a rate, a JSON number), ``to_money`` rounds it to the minor
  unit with ROUND_HALF_UP (half a cent goes up), the usual Brazilian banking rule.

Which calendar day it is: Pix due dates are Brasília dates. ``BRASILIA`` is UTC−3
(Brazil has had no daylight saving time since 2019); ``local_date`` turns an aware
time into that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from app.domain.dueterms import Discount, DueTerms
from app.domain.money import Money, minor_units
from app.i18n import _, format_date, ngettext

BRASILIA = timezone(timedelta(hours=-3), "BRT")


def local_date(when: datetime) -> date:
    """The Brasília calendar day of an aware time."""
    if when.tzinfo is None:
        raise ValueError("need an aware datetime to know which day it is in Brazil")
    return when.astimezone(BRASILIA).date()


def last_payable_day(terms: DueTerms) -> date:
    return terms.due_date + timedelta(days=terms.max_payment_days)


def payable_until(terms: DueTerms) -> datetime:
    """The first instant (aware, Brasília) at which the charge can no longer be paid."""
    return datetime.combine(last_payable_day(terms) + timedelta(days=1), time(0), BRASILIA)


def to_money(value: Decimal | int | str, currency: str) -> Money:
    """``value`` (major units) rounded to the currency's minor unit, ROUND_HALF_UP. Never a float."""
    if isinstance(value, float):
        raise TypeError("amounts are never floats: pass a Decimal, an int or a string")
    digits = minor_units(currency)
    scaled = Decimal(value).scaleb(digits).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Money(int(scaled), currency)


def applicable_discount(terms: DueTerms, on: date) -> Discount | None:
    """The discount in force on ``on``: earliest limit date not yet passed (ties: the larger)."""
    live = [d for d in terms.discounts if on <= d.limit_date]
    if not live:
        return None
    return min(live, key=lambda d: (d.limit_date, -d.amount.minor))


@dataclass(frozen=True)
class DueBreakdown:
    """What is owed on ``on`` and why. Deductions (rebate, discount) are positive amounts."""

    on: date
    due_date: date
    base: Money
    rebate: Money
    discount: Money
    discount_limit: date | None
    fine: Money
    interest: Money
    interest_days: int
    days_late: int
    total: Money
    clamped: bool  # the deductions exceeded the amount: total set to zero
    payable: bool  # on <= due_date + max_payment_days
    last_payable_day: date

    def lines(self) -> list[str]:
        """Human-readable lines for the cashier, last one the total."""
        out = [_("Amount: {amount}").format(amount=self.base.display())]
        if self.rebate.minor:
            out.append(_("Rebate: -{amount}").format(amount=self.rebate.display()))
        if self.discount.minor and self.discount_limit is not None:
            out.append(
                _("Discount until {date}: -{amount}").format(
                    date=format_date(self.discount_limit), amount=self.discount.display()
                )
            )
        if self.fine.minor:
            out.append(
                _("Fine after {date}: {amount}").format(date=format_date(self.due_date), amount=self.fine.display())
            )
        if self.interest.minor:
            per_day = Money(self.interest.minor // self.interest_days, self.interest.currency)
            out.append(
                ngettext(
                    "Interest, {n} day x {per_day}: {amount}",
                    "Interest, {n} days x {per_day}: {amount}",
                    self.interest_days,
                ).format(n=self.interest_days, per_day=per_day.display(), amount=self.interest.display())
            )
        if self.clamped:
            out.append(_("Deductions exceed the amount: nothing is owed (total set to zero)"))
        if not self.payable:
            out.append(_("No longer payable: the last day was {date}").format(date=format_date(self.last_payable_day)))
        out.append(_("Total due on {date}: {amount}").format(date=format_date(self.on), amount=self.total.display()))
        return out


def _same(currency: str, *amounts: Money) -> None:
    for m in amounts:
        if m.currency != currency:
            raise ValueError(
                _("due-date terms in {currency} for a charge in {charged}").format(
                    currency=m.currency, charged=currency
                )
            )
        if m.minor < 0:
            raise ValueError(_("due-date amounts cannot be negative: {amount}").format(amount=m.display()))


def amount_due(base: Money, terms: DueTerms, on: date) -> DueBreakdown:
    """The amount due on day ``on`` for a charge of ``base`` under ``terms`` (see the module doc)."""
    if isinstance(on, datetime):
        on = local_date(on)
    cur = base.currency
    _same(cur, base, terms.fine, terms.interest_per_day, terms.rebate, *(d.amount for d in terms.discounts))
    if terms.max_payment_days < 0:
        raise ValueError("max_payment_days cannot be negative")
    zero = Money(0, cur)
    days_late = max(0, (on - terms.due_date).days)
    discount = applicable_discount(terms, on)
    fine = terms.fine if days_late >= 1 else zero
    interest_days = max(0, days_late - 1)
    interest = Money(terms.interest_per_day.minor * interest_days, cur)
    off = discount.amount if discount else zero
    raw = base.minor - terms.rebate.minor - off.minor + fine.minor + interest.minor
    last = last_payable_day(terms)
    return DueBreakdown(
        on=on,
        due_date=terms.due_date,
        base=base,
        rebate=terms.rebate,
        discount=off,
        discount_limit=discount.limit_date if discount else None,
        fine=fine,
        interest=interest,
        interest_days=interest_days if interest.minor else 0,
        days_late=days_late,
        total=Money(max(0, raw), cur),
        clamped=raw < 0,
        payable=on <= last,
        last_payable_day=last,
    )


def problems(base: Money, terms: DueTerms) -> list[str]:
    """What makes these terms unusable for a charge (empty when fine): for validation before sending."""
    out: list[str] = []
    try:
        _same(
            base.currency, base, terms.fine, terms.interest_per_day, terms.rebate, *(d.amount for d in terms.discounts)
        )
    except ValueError as exc:
        out.append(str(exc))
        return out
    if terms.max_payment_days < 0:
        out.append(_("the days it can be paid late cannot be negative"))
    elif date.max - terms.due_date <= timedelta(days=terms.max_payment_days + 1):
        out.append(
            ngettext(
                "the due date {date} plus {n} day is past the calendar's end",
                "the due date {date} plus {n} days is past the calendar's end",
                terms.max_payment_days,
            ).format(date=format_date(terms.due_date), n=terms.max_payment_days)
        )
    if terms.rebate.minor >= base.minor:
        out.append(
            _("the rebate ({rebate}) must be less than the amount ({amount})").format(
                rebate=terms.rebate.display(), amount=base.display()
            )
        )
    dates = [d.limit_date for d in terms.discounts]
    if len(set(dates)) != len(dates):
        out.append(_("two discounts have the same limit date"))
    for d in terms.discounts:
        limit = format_date(d.limit_date)
        if d.amount.minor <= 0:
            out.append(_("the discount until {date} must be more than zero").format(date=limit))
        if d.limit_date > terms.due_date:
            out.append(
                _("the discount limit date {date} is after the due date {due}").format(
                    date=limit, due=format_date(terms.due_date)
                )
            )
        if terms.rebate.minor + d.amount.minor >= base.minor:
            out.append(_("the rebate and the discount until {date} leave nothing to pay").format(date=limit))
    return out


__all__ = [
    "BRASILIA",
    "DueBreakdown",
    "amount_due",
    "applicable_discount",
    "last_payable_day",
    "local_date",
    "payable_until",
    "problems",
    "to_money",
]
