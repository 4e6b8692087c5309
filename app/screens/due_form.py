"""DueForm: the counter's optional "Due date" section, without Qt.

Only providers with ``Capability.DUE_DATE`` get it (the counter model decides). The
cashier fills, in any order and by keyboard: the due date (default: in 7 days),
how many days it may still be paid late (default 30, as ``tillqr charge --max-days``),
a fine, an interest per day late, a rebate (empty means zero) and up to three
discounts, each with its limit date. The form keeps exactly what was typed, valid
or not, so nothing is lost; ``check(base)`` says what is wrong, in words, one sentence
per problem, and, when nothing is, the ``DueTerms`` to charge with and the breakdown
of what the customer owes today (``app.domain.duedate.amount_due(...).lines()``).

The rules are those of the domain (``duedate.problems``) and of the Pix API as the
sandbox enforces them (a due date not before today, 0–3650 days late, at most three
discounts); "today" is the Brasília day (``duedate.local_date``), the calendar Pix
due dates are written in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from app.domain.duedate import amount_due
from app.domain.duedate import problems as term_problems
from app.domain.dueterms import Discount, DueTerms
from app.domain.money import Money, MoneyError
from app.i18n import LazyWords, _, format_date, lazy_

from .amount_entry import sentence

DUE_IN_DAYS = 7
MAX_DAYS = 30
MAX_DAYS_LIMIT = 3650
MAX_DISCOUNTS = 3

# the amount fields and how the cashier reads them
LABELS = LazyWords({"fine": lazy_("Fine"), "interest": lazy_("Interest per day"), "rebate": lazy_("Rebate")})


@dataclass
class DiscountLine:
    limit: date
    amount: str = ""


@dataclass(frozen=True)
class DueCheck:
    """What the form means for a charge of ``base``: terms (None when there are problems), the
    problems in words, and the breakdown for today (empty without a base or with problems)."""

    terms: DueTerms | None
    problems: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    total: Money | None = None


@dataclass
class DueForm:
    currency: str
    today: Callable[[], date]
    changed: Callable[[], None] = lambda: None
    locked: Callable[[], bool] = lambda: False
    due_date: date = field(init=False)
    max_days: str = field(init=False)
    values: dict[str, str] = field(init=False)
    discounts: list[DiscountLine] = field(init=False)

    def __post_init__(self) -> None:
        self._defaults()

    def _defaults(self) -> None:
        self.due_date = self.today() + timedelta(days=DUE_IN_DAYS)
        self.max_days = str(MAX_DAYS)
        self.values = {name: "" for name in LABELS}
        self.discounts = []

    def reset(self) -> None:
        """Back to the defaults (after a charge): due in 7 days, no fine, interest, rebate or discount."""
        self._defaults()
        self.changed()

    # -- edits: each returns False (nothing changed) while the counter is locked --------------
    def set(self, name: str, text: str) -> bool:
        """An amount field ("fine", "interest", "rebate") or "max_days", exactly as typed."""
        if self.locked() or (name not in LABELS and name != "max_days"):
            return False
        if name == "max_days":
            if text == self.max_days:
                return False
            self.max_days = text
        else:
            if self.values[name] == text:
                return False
            self.values[name] = text
        self.changed()
        return True

    def set_due_date(self, day: date) -> bool:
        if self.locked() or day == self.due_date:
            return False
        self.due_date = day
        self.changed()
        return True

    @property
    def can_add_discount(self) -> bool:
        return not self.locked() and len(self.discounts) < MAX_DISCOUNTS

    def add_discount(self) -> bool:
        """A new discount line, limited one day before the earliest one (the due date for the first)."""
        if not self.can_add_discount:
            return False
        earliest = min([d.limit for d in self.discounts], default=self.due_date + timedelta(days=1))
        self.discounts.append(DiscountLine(limit=max(self.today(), earliest - timedelta(days=1))))
        self.changed()
        return True

    def remove_discount(self, index: int) -> bool:
        if self.locked() or not 0 <= index < len(self.discounts):
            return False
        del self.discounts[index]
        self.changed()
        return True

    def set_discount(self, index: int, *, amount: str | None = None, limit: date | None = None) -> bool:
        if self.locked() or not 0 <= index < len(self.discounts):
            return False
        line = self.discounts[index]
        new = DiscountLine(
            limit=line.limit if limit is None else limit, amount=line.amount if amount is None else amount
        )
        if new == line:
            return False
        self.discounts[index] = new
        self.changed()
        return True

    # -- meaning -----------------------------------------------------------------------------
    def check(self, base: Money | None) -> DueCheck:
        """Problems in words, or the terms and today's breakdown for a charge of ``base``."""
        today = self.today()
        problems: list[str] = []
        amounts: dict[str, Money] = {}
        for name, label in LABELS.items():
            try:
                amounts[name] = self._money(self.values[name])
            except MoneyError as exc:
                problems.append(_("{field}: {problem}").format(field=label, problem=exc))
        days = self.max_days.strip()
        if not days.isdigit() or int(days) > MAX_DAYS_LIMIT:
            problems.append(
                _("Days it can be paid late: a whole number from 0 to {most}, not {days}").format(
                    most=MAX_DAYS_LIMIT, days=repr(days)
                )
            )
        if self.due_date < today:
            problems.append(
                _("The due date {date} is before today ({today})").format(
                    date=format_date(self.due_date), today=format_date(today)
                )
            )
        discounts: list[Discount] = []
        for n, line in enumerate(self.discounts, 1):
            try:
                money = Money.parse(line.amount, self.currency)
            except MoneyError as exc:
                problems.append(_("Discount {n}: {problem}").format(n=n, problem=exc))
                continue
            if line.limit < today:
                problems.append(
                    _("Discount {n}: its limit date {date} has already passed").format(
                        n=n, date=format_date(line.limit)
                    )
                )
            discounts.append(Discount(money, line.limit))
        if problems:
            return DueCheck(None, tuple(problems))
        terms = DueTerms(
            due_date=self.due_date,
            max_payment_days=int(days),
            fine=amounts["fine"],
            interest_per_day=amounts["interest"],
            rebate=amounts["rebate"],
            discounts=tuple(sorted(discounts, key=lambda d: d.limit_date)),
        )
        if base is None:
            return DueCheck(terms)
        found = tuple(sentence(p) for p in term_problems(base, terms))
        if found:
            return DueCheck(None, found)
        breakdown = amount_due(base, terms, today)
        return DueCheck(terms, (), tuple(breakdown.lines()), breakdown.total)

    def _money(self, text: str) -> Money:
        return Money.parse(text, self.currency, allow_zero=True) if text.strip() else Money(0, self.currency)


def owed_today(base: Money, terms: DueTerms, today: date) -> Money:
    """What a charge of ``base`` under ``terms`` costs the customer on ``today``."""
    return amount_due(base, terms, today).total


def summary(base: Money, terms: DueTerms, today: date) -> list[str]:
    """The breakdown of a sale already charged, headed by its due date."""
    return [_("Due date {date}").format(date=format_date(terms.due_date)), *amount_due(base, terms, today).lines()]
