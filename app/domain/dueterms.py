"""A charge with a due date: its terms (``DueTerms``, ``Discount``) and their two JSON shapes.

The terms are domain values: the counter's form builds them, the journal keeps them with the sale,
the Pix client sends them and the sandbox charges by them (``app.domain.duedate`` computes what is
owed on a day). Each JSON shape is written and read in this one module:

- TillQR's own shape (``to_json`` / ``from_json``): what the journal keeps with a sale at its
  creation, so a restart resumes the sale with its terms;
- the Pix API's shape (``to_pix`` / ``from_pix``): the ``dynamic_term`` fields of the Pix seed
  (``expiration_date``, ``max_payment_days``, ``fine_amount``, ``interest_amount``,
  ``rebate_amount``, ``discounts`` numbered in limit-date order), spoken by the Pix client and
  the Pix sandbox alike. Amounts go out as ``Decimal`` (the exact JSON writer prints them as numbers);
- J.P. Morgan's shape (``to_jpm`` / ``from_jpm``): the ``DUE_DATE`` fields of a payment request's
  ``request`` object, in the API's camelCase (``dueDate``, ``daysAfterDueDate``, ``fineAmount``,
  ``interestAmountPerDay``, ``rebateAmount``, ``discounts`` of ``{"amount", "limitDate"}``), amounts as
  decimal strings like its ``paymentAmount``; spoken by the J.P. Morgan client and sandbox alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from operator import itemgetter

from app.domain.exact_json import ExactObject
from app.domain.jsontypes import Json, JsonObject
from app.domain.money import Money

PIX_TERM_FIELDS = (
    "expiration_date",
    "max_payment_days",
    "fine_amount",
    "interest_amount",
    "rebate_amount",
    "discounts",
)
JPM_TERM_FIELDS = (
    "dueDate",
    "daysAfterDueDate",
    "fineAmount",
    "interestAmountPerDay",
    "rebateAmount",
    "discounts",
)
JPM_DISCOUNT_FIELDS = ("amount", "limitDate")


@dataclass(frozen=True)
class Discount:
    """A discount of ``amount`` for paying on or before ``limit_date`` (Pix due-date charges)."""

    amount: Money
    limit_date: date


@dataclass(frozen=True)
class DueTerms:
    """A charge with a due date (DUE_DATE capability): what is owed depends on the day it is paid.

    ``fine`` once after the due date, ``interest_per_day`` for each day late, ``rebate`` always,
    ``discounts`` for paying early (each up to its limit date); payable until due_date + max_payment_days.
    The maths is in ``app.domain.duedate``.
    """

    due_date: date
    max_payment_days: int
    fine: Money
    interest_per_day: Money
    rebate: Money
    discounts: tuple[Discount, ...] = ()
    payer_name: str = ""
    payer_document: str = ""

    def numbered_discounts(self) -> list[tuple[int, Discount]]:
        """The discounts in limit-date order, numbered from 1 (the Pix ``discount_number``)."""
        return list(enumerate(sorted(self.discounts, key=lambda d: d.limit_date), 1))


class DueTermsError(ValueError):
    """JSON that does not hold readable due-date terms."""


# -- TillQR's own shape (the journal) ---------------------------------------------------
def to_json(terms: DueTerms) -> JsonObject:
    """The terms as TillQR journals them (amounts as decimal strings in major units)."""
    return {
        "due_date": terms.due_date.isoformat(),
        "max_payment_days": terms.max_payment_days,
        "fine": str(terms.fine),
        "interest_per_day": str(terms.interest_per_day),
        "rebate": str(terms.rebate),
        "discounts": [{"amount": str(d.amount), "limit_date": d.limit_date.isoformat()} for d in terms.discounts],
        "payer_name": terms.payer_name,
        "payer_document": terms.payer_document,
    }


def from_json(data: JsonObject, currency: str) -> DueTerms:
    """The terms ``to_json`` wrote, in ``currency``; DueTermsError when they cannot be read."""

    def money(text: Json) -> Money:
        return Money.parse(str(text), currency, allow_zero=True)

    try:
        return DueTerms(
            due_date=date.fromisoformat(_str(data["due_date"])),
            max_payment_days=_int(data["max_payment_days"]),
            fine=money(data["fine"]),
            interest_per_day=money(data["interest_per_day"]),
            rebate=money(data["rebate"]),
            discounts=tuple(
                Discount(money(entry["amount"]), date.fromisoformat(_str(entry["limit_date"])))
                for entry in map(_obj, _list(data.get("discounts", [])))
            ),
            payer_name=str(data.get("payer_name", "")),
            payer_document=str(data.get("payer_document", "")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DueTermsError(f"the due-date terms cannot be read ({type(exc).__name__})") from None


def _str(value: Json) -> str:
    if not isinstance(value, str):
        raise TypeError("not a JSON string")
    return value


def _int(value: Json) -> int:
    if value is None or isinstance(value, (list, dict)):
        raise TypeError("not a JSON number")
    return int(value)


def _obj(value: Json) -> JsonObject:
    if not isinstance(value, dict):
        raise TypeError("not a JSON object")
    return value


def _list(value: Json) -> list[Json]:
    if not isinstance(value, list):
        raise TypeError("not a JSON array")
    return value


# -- the Pix API's shape (client and sandbox) ----------------------------------------------
def to_pix(terms: DueTerms, numbers: tuple[int, ...] | None = None) -> ExactObject:
    """The ``dynamic_term`` fields of a Pix body (payer fields are the caller's); ``numbers``: the
    ``discount_number`` of each of ``terms.discounts`` as received (default: numbered by limit date)."""
    numbered = list(zip(numbers, terms.discounts, strict=True)) if numbers is not None else terms.numbered_discounts()
    return {
        "expiration_date": terms.due_date.isoformat(),
        "max_payment_days": terms.max_payment_days,
        "fine_amount": terms.fine.amount,
        "interest_amount": terms.interest_per_day.amount,
        "rebate_amount": terms.rebate.amount,
        "discounts": [
            {"discount_value": d.amount.amount, "discount_number": n, "discount_limit_date": d.limit_date.isoformat()}
            for n, d in numbered
        ],
    }


def from_pix(body: JsonObject) -> DueTerms:
    """The terms of a Pix ``dynamic_term`` body (amounts in BRL); DueTermsError when unreadable."""
    try:
        days = body.get("max_payment_days")
        if isinstance(days, bool) or not isinstance(days, int):
            raise TypeError("max_payment_days")
        numbered = sorted(
            (_pix_discount(n, entry) for n, entry in enumerate(_list(body.get("discounts") or []), 1)),
            key=itemgetter(0, 1),  # (number, discount): one number twice cannot be read (discounts do not compare)
        )
        return DueTerms(
            due_date=date.fromisoformat(_str(body["expiration_date"])),
            max_payment_days=days,
            fine=_brl(body.get("fine_amount")),
            interest_per_day=_brl(body.get("interest_amount")),
            rebate=_brl(body.get("rebate_amount")),
            discounts=tuple(d for _, d in numbered),
            payer_name=_str(body.get("payer_name") or ""),
            payer_document=_str(body.get("payer_document_number") or ""),
        )
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        raise DueTermsError(f"the due-date terms cannot be read ({type(exc).__name__})") from None


def _pix_discount(n: int, entry: Json) -> tuple[Json, Discount]:
    """A discount of a Pix body with its ``discount_number`` (``n``, its place, when it has none)."""
    d = _obj(entry)
    return d.get("discount_number") or n, Discount(
        _brl(d.get("discount_value")), date.fromisoformat(_str(d["discount_limit_date"]))
    )


def _brl(value: Json) -> Money:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise TypeError("not a JSON number")
    return Money.from_decimal(Decimal(value), "BRL")


# -- J.P. Morgan's shape (client and sandbox) ------------------------------------------------
def to_jpm(terms: DueTerms) -> JsonObject:
    """The ``DUE_DATE`` fields of a J.P. Morgan ``request`` object (``expirationType`` is the caller's)."""
    return {
        "dueDate": terms.due_date.isoformat(),
        "daysAfterDueDate": terms.max_payment_days,
        "fineAmount": str(terms.fine),
        "interestAmountPerDay": str(terms.interest_per_day),
        "rebateAmount": str(terms.rebate),
        "discounts": [
            {"amount": str(d.amount), "limitDate": d.limit_date.isoformat()} for _, d in terms.numbered_discounts()
        ],
    }


def from_jpm(body: JsonObject, currency: str) -> DueTerms:
    """The terms of a J.P. Morgan ``request`` object (absent charges are zero); DueTermsError when unreadable."""

    def money(value: Json) -> Money:
        return Money.from_decimal(Decimal(_str(value)), currency)

    try:
        days = body["daysAfterDueDate"]
        if isinstance(days, bool) or not isinstance(days, int):
            raise TypeError("daysAfterDueDate")
        return DueTerms(
            due_date=date.fromisoformat(_str(body["dueDate"])),
            max_payment_days=days,
            fine=money(body.get("fineAmount") or "0"),
            interest_per_day=money(body.get("interestAmountPerDay") or "0"),
            rebate=money(body.get("rebateAmount") or "0"),
            discounts=tuple(
                Discount(money(entry["amount"]), date.fromisoformat(_str(entry["limitDate"])))
                for entry in map(_obj, _list(body.get("discounts") or []))
            ),
        )
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        raise DueTermsError(f"the due-date terms cannot be read ({type(exc).__name__})") from None
