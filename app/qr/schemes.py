"""Scheme builders on top of the EMV codec: Pix (Brazil) BR Codes, static and dynamic.

Follows the BR Code / Pix QR manual of Banco Central do Brasil:

* merchant account template 26: ``00`` GUI ``br.gov.bcb.pix``, then ``01`` the Pix
  key and optional ``02`` description (static), or ``25`` the payload location URL
  without ``https://`` (dynamic);
* 52 ``0000``, 53 ``986`` (BRL), optional 54 amount ("12.50"), 58 ``BR``,
  59 merchant name (at most 25 characters), 60 city (at most 15), 62/05 txid.

Names and cities are transliterated to plain ASCII ("São Paulo" -> "Sao Paulo") and
truncated to their limits, since many banking apps mishandle anything else. A
location given with a leading ``https://`` has it removed (the QR carries the URL
without scheme); ``http://`` is refused, Pix locations are always https.
PayNow, FPS and UPI builders are still to come.
"""

from __future__ import annotations

import re
import unicodedata

from app.domain.money import Money
from app.qr import emv

PIX_GUI = "br.gov.bcb.pix"
_TXID = re.compile(r"^[A-Za-z0-9]{1,25}$")
_PRINTABLE = re.compile(r"^[\x21-\x7e]+$")


def ascii_text(text: str) -> str:
    """``text`` with accents removed and anything not printable ASCII dropped, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = " ".join(plain.split())  # tabs, newlines and runs of spaces become one space
    return " ".join("".join(c for c in plain if " " <= c <= "~").split())


def _label(text: str, what: str, limit: int) -> str:
    if not isinstance(text, str):
        raise ValueError(f"{what} must be text")
    clean = ascii_text(text)[:limit].rstrip()
    if not clean:
        raise ValueError(f"{what} is empty (after removing characters a Pix QR cannot carry): {text!r}")
    return clean


def _amount(amount: Money | None) -> str | None:
    if amount is None:
        return None
    if not isinstance(amount, Money):
        raise ValueError(f"amount must be Money, not {type(amount).__name__}")
    if amount.currency != "BRL":
        raise ValueError(f"Pix charges are in BRL, not {amount.currency}")
    if amount.minor <= 0:
        raise ValueError(f"the amount must be more than zero, not {amount}")
    text = str(amount)
    if len(text) > 13:
        raise ValueError(f"amount {text} is too large for a QR code (at most 13 characters)")
    return text


def _txid(txid: str) -> str:
    if txid != "***" and not (isinstance(txid, str) and _TXID.match(txid)):
        raise ValueError(f"txid must be '***' or 1 to 25 letters and digits, not {txid!r}")
    return txid


def _pix(account: dict[str, str], merchant_name: str, merchant_city: str,
         amount: Money | None, txid: str, dynamic: bool) -> str:
    fields: dict[str, emv.FieldValue] = {"00": "01"}
    if dynamic:
        fields["01"] = "12"
    template = {"00": PIX_GUI, **account}
    if len("".join(emv.tlv(k, v) for k, v in template.items())) > 99:
        raise ValueError("Pix key/location and description together are too long for one QR template (99 characters)")
    fields["26"] = template
    fields["52"] = "0000"
    fields["53"] = "986"
    amount_text = _amount(amount)
    if amount_text is not None:
        fields["54"] = amount_text
    fields["58"] = "BR"
    fields["59"] = _label(merchant_name, "merchant name", 25)
    fields["60"] = _label(merchant_city, "merchant city", 15)
    fields["62"] = {"05": _txid(txid)}
    return emv.build(fields)


def pix_dynamic(location: str, *, merchant_name: str, merchant_city: str,
                amount: Money | None = None, txid: str = "***") -> str:
    """A Pix dynamic BR Code pointing at ``location`` (the PSP's payload URL, e.g.
    ``pix.example.com/qr/v2/9d36b84f...``). For dynamic codes the real txid lives
    behind the location, so ``txid`` stays ``"***"`` unless a PSP asks otherwise.

    Raises ValueError on an empty/too long location, a non-BRL or non-positive
    amount, an empty name or city, or a bad txid.
    """
    if not isinstance(location, str):
        raise ValueError("location must be text")
    loc = location.strip()
    if loc.lower().startswith("https://"):
        loc = loc[len("https://"):]
    if loc.lower().startswith("http://"):
        raise ValueError(f"Pix locations must be https, not {location!r}")
    if not loc:
        raise ValueError("location is empty")
    if not _PRINTABLE.match(loc):
        raise ValueError(f"location must be a URL of printable ASCII without spaces, not {location!r}")
    if len(loc) > 77:
        raise ValueError(f"location must be at most 77 characters without https://, not {len(loc)}")
    return _pix({"25": loc}, merchant_name, merchant_city, amount, txid, dynamic=True)


def pix_static(key: str, *, merchant_name: str, merchant_city: str, amount: Money | None = None,
               txid: str = "***", description: str | None = None) -> str:
    """A Pix static BR Code paying the Pix ``key`` (CPF/CNPJ digits, e-mail, +55 phone or random key).

    ``description`` (26/02) is optional free text for the payer. Raises ValueError on bad input.
    """
    if not isinstance(key, str) or not key.strip():
        raise ValueError("Pix key is empty")
    k = key.strip()
    if not _PRINTABLE.match(k) or len(k) > 77:
        raise ValueError(f"Pix key must be at most 77 printable characters without spaces, not {key!r}")
    account = {"01": k}
    if description is not None:
        desc = ascii_text(description)
        if not desc:
            raise ValueError("description is empty; pass None for no description")
        account["02"] = desc
    return _pix(account, merchant_name, merchant_city, amount, txid, dynamic=False)


def pix_location(payload: str) -> str | None:
    """The location (26/25) of a valid Pix dynamic payload, else None."""
    decoded = emv.decode(payload)
    if not decoded.valid or decoded.scheme != "pix":
        return None
    for tag in sorted(decoded.fields):
        value = decoded.fields[tag]
        if "26" <= tag <= "51" and isinstance(value, dict) and value.get("00", "").lower() == PIX_GUI:
            return value.get("25")
    return None
