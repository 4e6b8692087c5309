"""Utility tariffs and the charge for a meter reading: THE one place the bill's amount is computed.

A ``Tariff`` is a fixed fee, consumption tiers priced per kWh, taxes on the subtotal and the due-date
terms of a Pix-style charge (fine, interest per day, rebate). The rules:

- **tiers**: each tier prices only the kWh within it (0–100 at one price, 100–300 at the next, the
  rest at the last); ``Tier.up_to`` is where a tier ends, ``None`` for the last, open one;
- **rounding**: every printed line (the fixed fee, each tier, each tax) is rounded to the currency's
  minor unit with ROUND_HALF_UP (half a cent goes up, the Brazilian banking rule), so the lines
  always add up to what is charged: ``subtotal = fixed fee + tiers``, ``taxes = Σ round(subtotal ×
  rate)``, ``total = subtotal + taxes``. Decimal throughout, never float;
- **due-date terms** (``due_terms``): the fine and the interest per day are rates of the charge,
  rounded the same way; the rebate is an amount, never as much as the charge itself.

``tariff_from_mapping`` builds a Tariff from a TOML table (read with ``parse_float=Decimal`` so that
0.65 is exactly 0.65) and refuses anything doubtful with a message naming the key, e.g.
``tariffs.residential.tiers[2].price must be a decimal number ≥ 0, not 'abc'``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from app.domain.duedate import to_money
from app.domain.dueterms import DueTerms
from app.domain.money import Money, MoneyError, max_amount, minor_units
from app.i18n import _, current, format_number


@dataclass(frozen=True)
class Tier:
    """The kWh up to ``up_to`` (from where the previous tier ended; ``None``: all the rest) at ``price`` each."""

    up_to: Decimal | None
    price: Decimal


@dataclass(frozen=True)
class Tax:
    """A tax of ``rate`` (0.18 = 18 %) on the subtotal."""

    name: str
    rate: Decimal


@dataclass(frozen=True)
class Tariff:
    name: str
    label: str
    currency: str
    fixed_fee: Money
    tiers: tuple[Tier, ...]
    taxes: tuple[Tax, ...]
    due_days: int  # due date = reading day + due_days when the bill has none
    max_payment_days: int  # payable this many days after the due date
    fine_rate: Decimal  # once, after the due date (0.02 = 2 % of the charge)
    interest_rate_per_day: Decimal  # per day late (0.00033)
    rebate: Money  # always taken off
    max_consumption: Decimal  # a reading implying more than this is "an absurd jump" (needs confirming)
    meter_digits: int  # rollover: 99999 -> 00012 on a 5-digit meter


@dataclass(frozen=True)
class ChargeLine:
    label: str
    amount: Money


@dataclass(frozen=True)
class Charge:
    """The charge for ``consumption`` kWh: the printed lines (fixed fee, tiers, then taxes) and their sums."""

    consumption: Decimal
    lines: tuple[ChargeLine, ...]
    subtotal: Money
    taxes: Money
    total: Money


def number_text(value: Decimal, *, grouped: bool = False) -> str:
    """``value`` as people write it: no exponent, no trailing zeros ("100", "0.65", "1,350.5" grouped)."""
    normal = value.normalize()
    if normal == normal.to_integral_value():
        normal = normal.quantize(Decimal(1))
    return f"{normal:,f}" if grouped else f"{normal:f}"


def shown_number(value: Decimal, *, grouped: bool = True) -> str:
    """``value`` on a screen or a printed bill, as the store's locale writes it: "1.350,5" in pt_BR; when
    neutral ``number_text`` ("1,350.5", or "1350.5" not ``grouped``); no exponent, no trailing zeros."""
    if current().neutral:
        return number_text(value, grouped=grouped)
    return format_number(Decimal(number_text(value)))


def percent_text(rate: Decimal) -> str:
    """0.18 -> "18 %", 0.0465 -> "4.65 %" ("4,65 %" in pt_BR)."""
    return _("{rate} %").format(rate=shown_number(rate * 100, grouped=False))


def compute_charge(tariff: Tariff, consumption: Decimal) -> Charge:
    """The charge for ``consumption`` kWh under ``tariff`` (see the module doc for the rounding)."""
    if not isinstance(consumption, Decimal) or not consumption.is_finite():
        raise ValueError(f"consumption must be a finite Decimal, not {consumption!r}")
    if consumption < 0:
        raise ValueError(_("The consumption cannot be negative ({kwh} kWh).").format(kwh=shown_number(consumption)))
    cur = tariff.currency
    lines = [ChargeLine(_("Fixed fee"), tariff.fixed_fee)]
    start = Decimal(0)
    for tier in tariff.tiers:
        if consumption <= start:
            break
        end = consumption if tier.up_to is None else min(consumption, tier.up_to)
        label = _("{start}–{end} kWh × {price}").format(
            start=shown_number(start, grouped=False),
            end=shown_number(end, grouped=False),
            price=shown_number(tier.price, grouped=False),
        )
        lines.append(ChargeLine(label, to_money((end - start) * tier.price, cur)))
        if tier.up_to is None:
            break
        start = tier.up_to
    subtotal = Money(sum(line.amount.minor for line in lines), cur)
    tax_lines = [
        ChargeLine(
            _("{tax} {rate}").format(tax=tax.name, rate=percent_text(tax.rate)),
            to_money(subtotal.amount * tax.rate, cur),
        )
        for tax in tariff.taxes
    ]
    taxes = Money(sum(line.amount.minor for line in tax_lines), cur)
    return Charge(consumption, tuple(lines + tax_lines), subtotal, taxes, subtotal + taxes)


def due_terms(tariff: Tariff, charge: Money, due_date: date) -> DueTerms | None:
    """The due-date terms of a bill of ``charge`` due on ``due_date``; None when the tariff has no fine,
    interest or rebate. The rebate is kept below the charge (something is always left to pay)."""
    if charge.currency != tariff.currency:
        raise ValueError(f"a charge in {charge.currency} under a tariff in {tariff.currency}")
    if charge.minor < 0:
        raise ValueError(f"a charge cannot be negative ({charge})")
    fine = to_money(charge.amount * tariff.fine_rate, charge.currency)
    interest = to_money(charge.amount * tariff.interest_rate_per_day, charge.currency)
    rebate = Money(max(0, min(tariff.rebate.minor, charge.minor - 1)), charge.currency)
    if not (fine.minor or interest.minor or rebate.minor):
        return None
    return DueTerms(
        due_date=due_date,
        max_payment_days=tariff.max_payment_days,
        fine=fine,
        interest_per_day=interest,
        rebate=rebate,
    )


# -- a tariff from configuration -----------------------------------------------------------------------
class TariffError(ValueError):
    """A tariff that cannot be used; the message names the key and what is wrong with it."""


_NAME = re.compile(r"[A-Za-z0-9_-]{1,35}")
_KEYS = frozenset(
    {
        "label",
        "currency",
        "fixed_fee",
        "tiers",
        "taxes",
        "due_days",
        "max_payment_days",
        "fine_rate",
        "interest_rate_per_day",
        "rebate",
        "max_consumption",
        "meter_digits",
    }
)
_REQUIRED = ("currency", "fixed_fee", "tiers", "due_days", "max_consumption", "meter_digits")
MAX_NUMBER = Decimal(10) ** 9  # no price, tier or consumption is this large: a typo
MAX_DUE_DAYS = 366
MAX_PAYMENT_DAYS = 3650


class _Table:
    """One TOML table being read: every value is checked and named by its key path."""

    def __init__(self, where: str, table: Mapping[str, object]) -> None:
        self.where = where
        self.table = table

    def key(self, name: str) -> str:
        return f"{self.where}.{name}"

    def has(self, name: str) -> bool:
        return name in self.table

    def decimal(self, name: str, *, low: Decimal, high: Decimal = MAX_NUMBER, above_low: bool = False) -> Decimal:
        value = self.table[name]
        if high != MAX_NUMBER:
            problem = _("{key} must be a decimal number between {low} and {high}, not {value}").format(
                key=self.key(name), low=number_text(low), high=number_text(high), value=repr(value)
            )
        elif above_low:
            problem = _("{key} must be a decimal number > {low}, not {value}").format(
                key=self.key(name), low=number_text(low), value=repr(value)
            )
        else:
            problem = _("{key} must be a decimal number ≥ {low}, not {value}").format(
                key=self.key(name), low=number_text(low), value=repr(value)
            )
        if isinstance(value, float):  # read with parse_float=Decimal: a float would not be exact
            raise TariffError(f"{self.key(name)} was read as a float; read the TOML with parse_float=Decimal")
        if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
            raise TariffError(problem)
        try:
            number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
        except InvalidOperation:
            raise TariffError(problem) from None
        if not number.is_finite() or not low <= number <= high or (above_low and number == low):
            raise TariffError(problem)
        return number

    def integer(self, name: str, low: int, high: int) -> int:
        value = self.table[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise TariffError(
                _("{key} must be a whole number between {low} and {high}, not {value}").format(
                    key=self.key(name), low=low, high=high, value=repr(value)
                )
            )
        return value

    def text(self, name: str, max_len: int) -> str:
        value = self.table[name]
        if not isinstance(value, str) or not value.strip() or len(value) > max_len or not value.isprintable():
            raise TariffError(
                _("{key} must be a text of 1 to {most} characters, not {value}").format(
                    key=self.key(name), most=max_len, value=repr(value)
                )
            )
        return value.strip()

    def money(self, name: str, currency: str) -> Money:
        amount = self.decimal(name, low=Decimal(0), high=max_amount(currency))
        try:
            return Money.from_decimal(amount, currency)
        except MoneyError:
            digits = minor_units(currency)
            raise TariffError(
                _("{key} has more than the {digits} decimals of {currency}: {amount}").format(
                    key=self.key(name), digits=digits, currency=currency, amount=amount
                )
            ) from None

    def tables(self, name: str) -> list[_Table]:
        value = self.table[name]
        if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
            raise TariffError(
                _("{key} must be a list of tables like {example}").format(
                    key=self.key(name), example="{ up_to = 100, price = 0.65 }"
                )
            )
        return [_Table(f"{self.key(name)}[{i}]", item) for i, item in enumerate(value, 1)]

    def only(self, known: frozenset[str]) -> None:
        for name in self.table:
            if name not in known:
                raise TariffError(
                    _("{key} is not a tariff setting (known: {known})").format(
                        key=self.key(name), known=", ".join(sorted(known))
                    )
                )


def _tiers(table: _Table) -> tuple[Tier, ...]:
    rows = table.tables("tiers")
    if not rows:
        raise TariffError(_("{key} must have at least one tier").format(key=table.key("tiers")))
    tiers: list[Tier] = []
    for n, row in enumerate(rows, 1):
        row.only(frozenset({"up_to", "price"}))
        if not row.has("price"):
            raise TariffError(_("{key} is missing (the price of one kWh in this tier)").format(key=row.key("price")))
        price = row.decimal("price", low=Decimal(0))
        last = n == len(rows)
        if not row.has("up_to"):
            if not last:
                raise TariffError(_("{key} is missing: only the last tier is open-ended").format(key=row.key("up_to")))
            tiers.append(Tier(None, price))
            continue
        if last:
            raise TariffError(
                _("{key} must be left out: the last tier prices all the rest").format(key=row.key("up_to"))
            )
        up_to = row.decimal("up_to", low=Decimal(0), above_low=True)
        before = tiers[-1].up_to if tiers else None
        if before is not None and up_to <= before:
            raise TariffError(
                _("{key} ({value}) must be more than the tier before it ({before}): tiers go up").format(
                    key=row.key("up_to"), value=number_text(up_to), before=number_text(before)
                )
            )
        tiers.append(Tier(up_to, price))
    return tuple(tiers)


def _taxes(table: _Table) -> tuple[Tax, ...]:
    if not table.has("taxes"):
        return ()
    taxes = []
    for row in table.tables("taxes"):
        row.only(frozenset({"name", "rate"}))
        for key in ("name", "rate"):
            if not row.has(key):
                raise TariffError(_("{key} is missing").format(key=row.key(key)))
        taxes.append(Tax(row.text("name", 40), row.decimal("rate", low=Decimal(0), high=Decimal(1))))
    return tuple(taxes)


def tariff_from_mapping(name: str, table: Mapping[str, object]) -> Tariff:
    """The tariff ``[tariffs.<name>]`` of a TOML file (read with ``parse_float=Decimal``), or TariffError."""
    where = f"tariffs.{name}"
    if not _NAME.fullmatch(name):
        raise TariffError(
            _("{key}: a tariff's name has 1 to 35 letters, digits, - or _ (it goes in the route's CSV)").format(
                key=where
            )
        )
    t = _Table(where, table)
    t.only(_KEYS)
    for key in _REQUIRED:
        if not t.has(key):
            raise TariffError(_("{key} is missing").format(key=t.key(key)))
    raw_currency = t.text("currency", 3).upper()
    try:
        minor_units(raw_currency)
    except MoneyError as exc:
        raise TariffError(f"{t.key('currency')}: {exc}") from None
    zero, one = Decimal(0), Decimal(1)
    return Tariff(
        name=name,
        label=t.text("label", 40) if t.has("label") else name.replace("_", " ").capitalize(),
        currency=raw_currency,
        fixed_fee=t.money("fixed_fee", raw_currency),
        tiers=_tiers(t),
        taxes=_taxes(t),
        due_days=t.integer("due_days", 0, MAX_DUE_DAYS),
        max_payment_days=t.integer("max_payment_days", 0, MAX_PAYMENT_DAYS) if t.has("max_payment_days") else 0,
        fine_rate=t.decimal("fine_rate", low=zero, high=one) if t.has("fine_rate") else zero,
        interest_rate_per_day=t.decimal("interest_rate_per_day", low=zero, high=one)
        if t.has("interest_rate_per_day")
        else zero,
        rebate=t.money("rebate", raw_currency) if t.has("rebate") else Money(0, raw_currency),
        max_consumption=t.decimal("max_consumption", low=zero, above_low=True),
        meter_digits=t.integer("meter_digits", 1, 12),
    )


__all__ = [
    "Charge",
    "ChargeLine",
    "Tariff",
    "TariffError",
    "Tax",
    "Tier",
    "compute_charge",
    "due_terms",
    "number_text",
    "percent_text",
    "shown_number",
    "tariff_from_mapping",
]
