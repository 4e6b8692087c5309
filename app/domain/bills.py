"""A utility bill and the meter reading a field agent takes for it.

``check_reading`` is the one judge of a typed reading. What it refuses comes back as ``ReadingRejected``
with a ``ReadingProblem`` and a message the agent can act on; two problems are *confirmable* — the
agent looked again and the number is right:

- a reading **lower than the previous** one: the meter rolled over (99999 -> 00012 on a 5-digit meter)
  or was replaced. Confirmed (``confirm_reset=True``), it is a rollover when that gives a plausible
  consumption (``10**digits - previous + reading <= max_consumption``), else a new meter that started
  from zero (consumption = reading);
- an **absurd jump** (more than the tariff's ``max_consumption`` since the previous reading, or more
  digits than the meter has): confirmed, it is taken as read.

A reading for another meter (``meter_id`` given and not the bill's) is refused outright, as is text that
is not a plain non-negative number with at most three decimals (``parse_reading``). A decimal comma is
read as the decimal point ("1234,5" is 1234.5); no thousands separators.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.domain.excerpt import excerpt
from app.domain.tariffs import Tariff, shown_number
from app.i18n import _, decimal_symbol

MAX_DECIMALS = 3
_READING = re.compile(r"([0-9]{1,15})(?:[.,]([0-9]{1,15}))?")


@dataclass(frozen=True)
class Bill:
    bill_id: str
    customer: str
    address: str
    meter_id: str
    previous_reading: Decimal
    tariff: str
    payment_link_id: str | None = None
    due_date: date | None = None


class ReadingProblem(enum.Enum):
    NOT_A_NUMBER = "not_a_number"
    NEGATIVE = "negative"
    TOO_PRECISE = "too_precise"
    LOWER_THAN_PREVIOUS = "lower_than_previous"
    ABSURD_JUMP = "absurd_jump"
    WRONG_METER = "wrong_meter"

    @property
    def confirmable(self) -> bool:
        """The agent may confirm the reading as right (``confirm_reset``)."""
        return self in (ReadingProblem.LOWER_THAN_PREVIOUS, ReadingProblem.ABSURD_JUMP)


class ReadingRejected(ValueError):
    """A reading that cannot be taken as typed; ``message`` is for the field agent."""

    def __init__(self, problem: ReadingProblem, message: str, *, confirmable: bool | None = None) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message
        self.confirmable = problem.confirmable if confirmable is None else confirmable


@dataclass(frozen=True)
class Consumption:
    """An accepted reading and the kWh it means; ``reset``: the meter rolled over or was replaced."""

    reading: Decimal
    consumption: Decimal
    reset: bool


def parse_reading(text: str) -> Decimal:
    """The number on a meter as typed ("12345", "12345.6", "12345,6"), or ReadingRejected."""
    raw = text.strip() if isinstance(text, str) else ""
    negative = raw.startswith("-")
    match = _READING.fullmatch(raw[1:] if negative else raw)
    if not match:
        if raw:
            said = _("{text} is not a meter reading: type the digits on the meter, like {example}.").format(
                text=excerpt(raw), example=_example()
            )
        else:
            said = _("Type the reading: the digits on the meter, like {example}.").format(example=_example())
        raise ReadingRejected(ReadingProblem.NOT_A_NUMBER, said)
    whole, decimals = match.group(1), match.group(2) or ""
    value = Decimal(f"{whole}.{decimals}" if decimals else whole)
    if negative:
        raise ReadingRejected(
            ReadingProblem.NEGATIVE,
            _("A meter reading cannot be negative (-{reading}).").format(reading=shown_number(value)),
        )
    if len(decimals) > MAX_DECIMALS:
        raise ReadingRejected(
            ReadingProblem.TOO_PRECISE,
            _("The reading {text} has more than {most} decimals: type it as the meter shows it.").format(
                text=excerpt(raw), most=MAX_DECIMALS
            ),
        )
    return value


def _example() -> str:
    """A reading as the agent may type it, with the locale's decimal mark ("12345 or 12345,6" in pt_BR)."""
    return _("{whole} or {decimal}").format(whole="12345", decimal="12345" + decimal_symbol() + "6")


def _same_meter(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def check_reading(
    bill: Bill, tariff: Tariff, text: str, *, meter_id: str | None = None, confirm_reset: bool = False
) -> Consumption:
    """The consumption a reading typed for ``bill`` means, or ReadingRejected (see the module doc)."""
    if meter_id is not None and not _same_meter(meter_id, bill.meter_id):
        raise ReadingRejected(
            ReadingProblem.WRONG_METER,
            _("This is meter {meter}, but bill {bill} is for meter {expected}. Find the bill for this meter.").format(
                meter=meter_id.strip(), bill=bill.bill_id, expected=bill.meter_id
            ),
        )
    reading = parse_reading(text)
    previous = bill.previous_reading
    shown, before = shown_number(reading), shown_number(previous)
    limit = tariff.max_consumption
    wrap = Decimal(10) ** tariff.meter_digits
    if reading < previous:
        if not confirm_reset:
            raise ReadingRejected(
                ReadingProblem.LOWER_THAN_PREVIOUS,
                _(
                    "The reading {reading} is lower than the previous reading {previous}. "
                    "If the meter rolled over or was replaced, confirm the reset."
                ).format(reading=shown, previous=before),
            )
        rollover = wrap - previous + reading
        if previous < wrap and rollover <= limit:
            return Consumption(reading, rollover, reset=True)
        if reading > limit:  # not a rollover, and too much for a new meter counting from zero: a typing slip
            raise ReadingRejected(
                ReadingProblem.ABSURD_JUMP,
                _(
                    "The reading {reading} is lower than the previous reading {previous}, but it is no rollover, "
                    "and a replaced meter would have counted {reading} kWh from zero, more than the {most} kWh "
                    "expected at most. Check the number on the meter."
                ).format(reading=shown, previous=before, most=shown_number(limit)),
                confirmable=False,
            )
        return Consumption(reading, reading, reset=True)  # a new meter, counting from zero
    consumption = reading - previous
    if reading >= wrap:  # no meter of these digits can show it: confirming would only charge a slip
        raise ReadingRejected(
            ReadingProblem.ABSURD_JUMP,
            _(
                "The reading {reading} has more digits than this {digits}-digit meter shows. Check the number on "
                "the meter (a meter with more digits needs the tariff's meter_digits changed)."
            ).format(reading=shown, digits=tariff.meter_digits),
            confirmable=False,
        )
    if not confirm_reset and consumption > limit:
        raise ReadingRejected(
            ReadingProblem.ABSURD_JUMP,
            _(
                "The reading {reading} means {kwh} kWh since the previous reading {previous}, more than the {most} "
                "kWh expected at most. Check the number; if it is right, confirm it."
            ).format(reading=shown, kwh=shown_number(consumption), previous=before, most=shown_number(limit)),
        )
    return Consumption(reading, consumption, reset=False)


__all__ = [
    "MAX_DECIMALS",
    "Bill",
    "Consumption",
    "ReadingProblem",
    "ReadingRejected",
    "check_reading",
    "parse_reading",
]
