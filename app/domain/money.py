"""Money: integer minor units of an ISO 4217 currency, parsed from text with Decimal.

Never float. ``Money.parse("12.50", "BRL")`` is the one door for amounts typed by
people or read from files; it refuses, with a message a cashier can act on,
negative and zero amounts, more decimals than the currency has, absurdly large
amounts and anything that is not a plain decimal number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from app.domain.excerpt import excerpt, plain_text
from app.i18n import _, current, format_money, format_number, ngettext

# ISO 4217 minor units of the currencies TillQR's providers and markets use.
MINOR_UNITS: dict[str, int] = {
    "BRL": 2,
    "SGD": 2,
    "HKD": 2,
    "INR": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CNY": 2,
    "ARS": 2,
    "MXN": 2,
    "COP": 2,
    "PEN": 2,
    "UYU": 2,
    "AUD": 2,
    "CAD": 2,
    "CLP": 0,
    "PYG": 0,
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "KWD": 3,
    "BHD": 3,
    "JOD": 3,
    "OMR": 3,
    "TND": 3,
}

# ISO 4217 numeric codes (EMV tag 53 carries these).
NUMERIC_CODES: dict[str, str] = {
    "BRL": "986",
    "SGD": "702",
    "HKD": "344",
    "INR": "356",
    "USD": "840",
    "CNY": "156",
    "EUR": "978",
    "GBP": "826",
    "ARS": "032",
    "MXN": "484",
    "COP": "170",
    "PEN": "604",
    "UYU": "858",
    "AUD": "036",
    "CAD": "124",
    "CLP": "152",
    "PYG": "600",
    "JPY": "392",
    "KRW": "410",
    "VND": "704",
    "KWD": "414",
    "BHD": "048",
    "JOD": "400",
    "OMR": "512",
    "TND": "788",
}

# One sale above this many major units is a typo, not a sale (e.g. 1250 typed as 125000); currencies
# with small units get room for the same order of value (about USD 1 million or less).
MAX_MAJOR_UNITS = Decimal("1000000")
MAX_MAJOR_UNITS_BY_CURRENCY: dict[str, Decimal] = {
    "VND": Decimal("10000000000"),
    "PYG": Decimal("10000000000"),
    "COP": Decimal("10000000000"),
    "KRW": Decimal("1000000000"),
    "CLP": Decimal("1000000000"),
    "ARS": Decimal("1000000000"),
    "JPY": Decimal("100000000"),
    "INR": Decimal("10000000"),
    "UYU": Decimal("10000000"),
    "MXN": Decimal("10000000"),
    "PEN": Decimal("10000000"),
    "HKD": Decimal("10000000"),
    "CNY": Decimal("10000000"),
}


# Minor units SQLite's INTEGER (64-bit) can hold: a provider's answer above it is not an amount.
MAX_MINOR = 2**63 - 1


def max_amount(currency: str) -> Decimal:
    return MAX_MAJOR_UNITS_BY_CURRENCY.get(currency.strip().upper(), MAX_MAJOR_UNITS)


MAX_AMOUNT_CHARS = 40  # longer text is never an amount (the largest cap has 9 digits before the point)
_PLAIN = re.compile(r"^[0-9]+([.,][0-9]+)?$")


class MoneyError(ValueError):
    """An amount or currency that cannot be used; the message is for people."""


def minor_units(currency: str) -> int:
    code = (currency or "").strip().upper()
    if code not in MINOR_UNITS:
        raise MoneyError(
            _("unknown currency {currency}: use an ISO 4217 code such as BRL, SGD, HKD or INR").format(
                currency=excerpt(currency)
            )
        )
    return MINOR_UNITS[code]


def amount_text(text: str | Decimal | int) -> str:
    """``text`` as the plain decimal number an amount must be ("12.50", "12,50", "7"), whatever the currency;
    MoneyError (quoting at most an excerpt of it) when it is not one: what can be refused before anything opens."""
    if isinstance(text, float):
        raise MoneyError("amounts are never floats: pass a string or a Decimal")
    raw = (text if isinstance(text, str) else plain_text(text)).strip()
    if not raw:
        raise MoneyError(_("enter an amount"))
    if len(raw) > MAX_AMOUNT_CHARS:  # from here on ``raw`` is short enough to quote whole
        raise MoneyError(_("{text} is too long to be an amount: type it like 12.50").format(text=excerpt(raw)))
    if raw.startswith("-"):
        raise MoneyError(_("the amount must be positive, not {text}").format(text=excerpt(raw)))
    if raw.startswith("+"):
        raw = raw[1:]
    if not _PLAIN.match(raw):
        raise MoneyError(
            _("{text} is not an amount: use digits and one decimal point, like 12.50").format(text=excerpt(raw))
        )
    return raw


def _too_many_decimals(code: str, digits: int, raw: str) -> str:
    """Why ``raw`` has more decimals than ``code`` allows; "1,000" typed for a thousand is read with a decimal
    comma here: say so, never guess."""
    if digits == 0 and "," in raw:
        text = _(
            "{code} has no decimals: {text} cannot be charged (a comma is read as the decimal point; "
            "for {whole} type it without the comma)"
        )
    elif digits == 0:
        text = _("{code} has no decimals: {text} cannot be charged")
    elif "," in raw:
        text = ngettext(
            "{code} has {digits} decimal: {text} has too many (a comma is read as the decimal point; "
            "for {whole} type it without the comma)",
            "{code} has {digits} decimals: {text} has too many (a comma is read as the decimal point; "
            "for {whole} type it without the comma)",
            digits,
        )
    else:
        text = ngettext(
            "{code} has {digits} decimal: {text} has too many",
            "{code} has {digits} decimals: {text} has too many",
            digits,
        )
    return text.format(code=code, digits=digits, text=raw, whole=raw.replace(",", ""))


@dataclass(frozen=True, order=True)
class Money:
    """An amount in integer minor units of one currency."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise MoneyError("amount must be an integer number of minor units")
        object.__setattr__(self, "currency", self.currency.strip().upper())
        minor_units(self.currency)

    # -- construction -------------------------------------------------
    @classmethod
    def parse(cls, text: str | Decimal | int, currency: str, *, allow_zero: bool = False) -> Money:
        """Parse what a person typed ("12.50", "12,50", "7") into Money, or raise MoneyError."""
        digits = minor_units(currency)
        raw = amount_text(text)
        value = Decimal(raw.replace(",", "."))
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)
        code = currency.strip().upper()
        if -exponent > digits:
            # "1,000" typed for a thousand: the comma is a decimal comma here; say so, never guess.
            raise MoneyError(_too_many_decimals(code, digits, raw))
        if value == 0 and not allow_zero:
            raise MoneyError(_("the amount must be more than zero"))
        cap = max_amount(currency)
        if value > cap:
            most = f"{cap:,}" if current().neutral else format_number(cap)
            raise MoneyError(
                _("{text} {code} is more than one sale can be (at most {most} {code}); check the amount").format(
                    text=raw, code=code, most=most
                )
            )
        return cls(int(value.scaleb(digits)), currency)

    @classmethod
    def from_decimal(cls, value: Decimal, currency: str) -> Money:
        """Exact conversion of a provider's decimal amount (may be zero; never rounds)."""
        digits = minor_units(currency)
        try:
            scaled = Decimal(value).scaleb(digits)
        except (ArithmeticError, TypeError) as exc:  # InvalidOperation, or an exponent past Decimal's range
            raise MoneyError(_("{value} is not an amount").format(value=excerpt(value))) from exc
        if not scaled.is_finite() or scaled != scaled.to_integral_value() or scaled < 0:
            raise MoneyError(
                _("{value} is not a valid {currency} amount").format(value=value, currency=currency.upper())
            )
        if scaled > MAX_MINOR:
            raise MoneyError(
                _("{value} {currency} is larger than any amount TillQR can keep").format(
                    value=value, currency=currency.upper()
                )
            )
        return cls(int(scaled), currency)

    # -- views ----------------------------------------------------------
    @property
    def digits(self) -> int:
        return MINOR_UNITS[self.currency]

    @property
    def amount(self) -> Decimal:
        return Decimal(self.minor).scaleb(-self.digits)

    def __str__(self) -> str:  # "12.50"
        return f"{self.amount:.{self.digits}f}"

    def display(self) -> str:
        """The amount for people, in the store's locale (``app.i18n.format_money``): "R$ 12,50" in pt_BR,
        "BRL 12.50" when no language is set (``str()`` is always the plain "12.50")."""
        return format_money(self)

    @property
    def numeric_code(self) -> str:
        return NUMERIC_CODES[self.currency]

    # -- arithmetic -----------------------------------------------------
    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(_("cannot mix {one} and {other}").format(one=self.currency, other=other.currency))

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)
