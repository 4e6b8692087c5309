"""What a QR field may hold: the input checks every scheme builder shares (plain text, labels, amounts, references).

Each returns the value as the QR carries it, or raises ValueError with a message a person can act on.
"""

from __future__ import annotations

import re
import unicodedata

from app.domain.money import Money

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
        raise ValueError(f"{what} is empty (after removing characters a Pix QR cannot carry): {text!r}")
    return clean


def merchant_fields(country: str, merchant_name: str, merchant_city: str) -> dict[str, str]:
    """Tags 58 (country), 59 (merchant name, at most 25 characters) and 60 (city, at most 15), as EMV carries them."""
    return {
        "58": country,
        "59": check_label(merchant_name, "merchant name", 25),
        "60": check_label(merchant_city, "merchant city", 15),
    }


def check_amount(amount: Money | None, currencies: tuple[str, ...] = ("BRL",), scheme: str = "Pix") -> str | None:
    if amount is None:
        return None
    if not isinstance(amount, Money):
        raise ValueError(f"amount must be Money, not {type(amount).__name__}")
    if amount.currency not in currencies:
        raise ValueError(f"{scheme} charges are in {' or '.join(currencies)}, not {amount.currency}")
    if amount.minor <= 0:
        raise ValueError(f"the amount must be more than zero, not {amount}")
    text = str(amount)
    if len(text) > 13:
        raise ValueError(f"amount {text} is too large for a QR code (at most 13 characters)")
    return text


def check_reference(reference: str, what: str = "reference") -> str:
    if not isinstance(reference, str):
        raise ValueError(f"{what} must be text")
    clean = ascii_text(reference)
    if not clean:
        raise ValueError(f"{what} is empty (after removing characters a QR code cannot carry): {reference!r}")
    if len(clean) > 25:
        raise ValueError(f"{what} must be at most 25 characters, not {len(clean)}: {clean!r}")
    return clean
