"""What a QR field may hold: the input checks every scheme builder shares (plain text, labels, amounts, references).

Each returns the value as the QR carries it, or raises ValueError with a message a person can act on.
"""

from __future__ import annotations

import re
import unicodedata

from app.domain.money import Money
from app.i18n import _

PRINTABLE = re.compile(r"^[\x21-\x7e]+$")


def ascii_text(text: str) -> str:
    """``text`` with accents removed and anything not printable ASCII dropped, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = " ".join(plain.split())  # tabs, newlines and runs of spaces become one space
    return " ".join("".join(c for c in plain if " " <= c <= "~").split())


def check_label(text: str, what: str, limit: int) -> str:
    if not isinstance(text, str):
        raise ValueError(f"{what} must be text")
    clean = ascii_text(text)[:limit].rstrip()
    if not clean:
        raise ValueError(
            _("{what} is empty (after removing characters a Pix QR cannot carry): {text!r}").format(
                what=what, text=text
            )
        )
    return clean


def merchant_fields(country: str, merchant_name: str, merchant_city: str) -> dict[str, str]:
    """Tags 58 (country), 59 (merchant name, at most 25 characters) and 60 (city, at most 15), as EMV carries them."""
    return {
        "58": country,
        "59": check_label(merchant_name, _("merchant name"), 25),
        "60": check_label(merchant_city, _("merchant city"), 15),
    }


def check_amount(amount: Money | None, currencies: tuple[str, ...] = ("BRL",), scheme: str = "Pix") -> str | None:
    if amount is None:
        return None
    if not isinstance(amount, Money):
        raise ValueError(f"amount must be Money, not {type(amount).__name__}")
    if amount.currency not in currencies:
        first, *more = currencies
        allowed = _("{first} or {second}").format(first=first, second=more[0]) if more else first
        raise ValueError(
            _("{scheme} charges are in {currencies}, not {currency}").format(
                scheme=scheme, currencies=allowed, currency=amount.currency
            )
        )
    if amount.minor <= 0:
        raise ValueError(_("the amount must be more than zero, not {amount}").format(amount=amount.display()))
    text = str(amount)
    if len(text) > 13:
        raise ValueError(_("amount {amount} is too large for a QR code (at most 13 characters)").format(amount=text))
    return text


def check_reference(reference: str, what: str | None = None) -> str:
    what = what or _("reference")
    if not isinstance(reference, str):
        raise ValueError(f"{what} must be text")
    clean = ascii_text(reference)
    if not clean:
        raise ValueError(
            _("{what} is empty (after removing characters a QR code cannot carry): {text!r}").format(
                what=what, text=reference
            )
        )
    if len(clean) > 25:
        raise ValueError(
            _("{what} must be at most 25 characters, not {length}: {text!r}").format(
                what=what, length=len(clean), text=clean
            )
        )
    return clean
