"""What a bill charges: its reading's charge (``app.domain.tariffs.compute_charge``, the one place the maths
lives), the due date it gets, its due-date terms, and what the provider takes if it is paid on a given day."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal

from app.domain.bills import Bill
from app.domain.duedate import amount_due
from app.domain.dueterms import DueTerms
from app.domain.money import Money
from app.domain.tariffs import Tariff, compute_charge, due_terms
from app.i18n import _


class UnknownTariff(LookupError):
    """A bill names a tariff the configuration no longer has."""

    def __init__(self, bill: Bill):
        super().__init__(
            _(
                "bill {bill} uses the tariff {tariff}, which is not in the configuration: add it back under "
                "[tariffs] in config.toml"
            ).format(bill=bill.bill_id, tariff=repr(bill.tariff))
        )


def tariff_of(bill: Bill, tariffs: Mapping[str, Tariff]) -> Tariff:
    try:
        return tariffs[bill.tariff]
    except KeyError:
        raise UnknownTariff(bill) from None


def due_date_for(bill: Bill, tariff: Tariff, read_on: date) -> date:
    """The bill's printed due date, or ``tariff.due_days`` after the day it was read (or imported)."""
    return bill.due_date or read_on + timedelta(days=tariff.due_days)


def terms_for(tariff: Tariff, charge: Money, due: date) -> DueTerms | None:
    return due_terms(tariff, charge, due)


def minimum_charge(tariff: Tariff) -> Money:
    """What a bill asks before its reading is known: the charge for no consumption (the fixed fee and its taxes)."""
    return compute_charge(tariff, Decimal(0)).total


def payable_today(charge: Money, terms: DueTerms | None, today: date) -> Money:
    """What the provider takes if the bill is paid on ``today`` (fine, interest, rebate, discounts applied)."""
    return charge if terms is None else amount_due(charge, terms, today).total
