"""Scheme builders on top of the EMV codec: Pix (Brazil), PayNow (Singapore), FPS (Hong Kong), UPI (India).

Every builder returns the payload text and raises ValueError (a message a person can act
on) for input the scheme cannot carry; what each builds decodes with no error in
:func:`app.qr.emv.decode` (the rules it checks are in :mod:`app.qr.rules`).

**Pix** follows the BR Code / Pix QR manual of Banco Central do Brasil:

* merchant account template 26: ``00`` GUI ``br.gov.bcb.pix``, then ``01`` the Pix
  key and optional ``02`` description (static), or ``25`` the payload location URL
  without ``https://`` (dynamic);
* 52 ``0000``, 53 ``986`` (BRL), optional 54 amount ("12.50"), 58 ``BR``,
  59 merchant name (at most 25 characters), 60 city (at most 15), 62/05 txid.

Names and cities are transliterated to plain ASCII ("São Paulo" -> "Sao Paulo") and
truncated to their limits, since many banking apps mishandle anything else. A
location given with a leading ``https://`` has it removed (the QR carries the URL
without scheme); ``http://`` is refused, Pix locations are always https.

**PayNow** (SGQR): template 26 ``00`` ``SG.PAYNOW``, ``01`` proxy type (``0`` mobile,
``2`` UEN), ``02`` proxy value (``+65XXXXXXXX`` or the UEN), ``03`` editable amount
(``1``/``0``), optional ``04`` expiry ``YYYYMMDD``; 53 ``702``; 58 ``SG``; the reference
in 62/01 (bill number), where PayNow banking apps show it.

**FPS** (HKMA common QR specification): template 26 ``00`` ``hk.com.hkicl`` and one of
``02`` FPS ID, ``03`` mobile (``+852-XXXXXXXX``), ``04`` e-mail; 53 ``344`` (HKD) or
``156`` (CNY); 58 ``HK``; the reference in 62/05 (reference label), the bill number in 62/01.

**UPI** (the ``upi://pay`` link and the EMV/Bharat QR form): built in :mod:`app.qr.schemes_upi`
(see its docstring), offered here as well. The checks every builder shares are in :mod:`app.qr.inputs`.

Point of initiation (tag 01): ``12`` when the code carries an amount (made for one sale),
``11`` otherwise (a sticker reused for many), except Pix dynamic codes which are always ``12``.
"""

from __future__ import annotations

import re
from datetime import date

from app.domain.money import Money
from app.i18n import _
from app.qr import emv, rules
from app.qr.inputs import PRINTABLE, ascii_text, check_amount, check_reference, merchant_fields
from app.qr.schemes_upi import NPCI_AID, upi_address, upi_emv, upi_link

PIX_GUI = "br.gov.bcb.pix"
_TXID = re.compile(r"^[A-Za-z0-9]{1,25}$")


def _txid(txid: str) -> str:
    if txid != "***" and not (isinstance(txid, str) and _TXID.match(txid)):
        raise ValueError(_("txid must be '***' or 1 to 25 letters and digits, not {txid!r}").format(txid=txid))
    return txid


def _pix(
    account: dict[str, str], merchant_name: str, merchant_city: str, amount: Money | None, txid: str, dynamic: bool
) -> str:
    fields: dict[str, emv.FieldValue] = {"00": "01"}
    if dynamic:
        fields["01"] = "12"
    template = {"00": PIX_GUI, **account}
    if len("".join(emv.tlv(k, v) for k, v in template.items())) > 99:
        raise ValueError(
            _("Pix key/location and description together are too long for one QR template (99 characters)")
        )
    fields["26"] = template
    fields["52"] = "0000"
    fields["53"] = "986"
    amount_text = check_amount(amount)
    if amount_text is not None:
        fields["54"] = amount_text
    fields.update(merchant_fields("BR", merchant_name, merchant_city))
    fields["62"] = {"05": _txid(txid)}
    return emv.build(fields)


def pix_dynamic(
    location: str, *, merchant_name: str, merchant_city: str, amount: Money | None = None, txid: str = "***"
) -> str:
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
        loc = loc[len("https://") :]
    if loc.lower().startswith("http://"):
        raise ValueError(_("Pix locations must be https, not {location!r}").format(location=location))
    if not loc:
        raise ValueError(_("location is empty"))
    if not PRINTABLE.match(loc):
        raise ValueError(
            _("location must be a URL of printable ASCII without spaces, not {location!r}").format(location=location)
        )
    if len(loc) > 77:
        raise ValueError(
            _("location must be at most 77 characters without https://, not {length}").format(length=len(loc))
        )
    return _pix({"25": loc}, merchant_name, merchant_city, amount, txid, dynamic=True)


def pix_static(
    key: str,
    *,
    merchant_name: str,
    merchant_city: str,
    amount: Money | None = None,
    txid: str = "***",
    description: str | None = None,
) -> str:
    """A Pix static BR Code paying the Pix ``key`` (CPF/CNPJ digits, e-mail, +55 phone or random key).

    ``description`` (26/02) is optional free text for the payer. Raises ValueError on bad input.
    """
    if not isinstance(key, str) or not key.strip():
        raise ValueError(_("Pix key is empty"))
    k = key.strip()
    if not PRINTABLE.match(k) or len(k) > 77:
        raise ValueError(
            _("Pix key must be at most 77 printable characters without spaces, not {key!r}").format(key=key)
        )
    account = {"01": k}
    if description is not None:
        desc = ascii_text(description)
        if not desc:
            raise ValueError(_("description is empty; pass None for no description"))
        account["02"] = desc
    return _pix(account, merchant_name, merchant_city, amount, txid, dynamic=False)


def pix_location(payload: str) -> str | None:
    """The location (26/25) of a valid Pix dynamic payload, else None."""
    decoded = emv.decode(payload)
    if not decoded.valid or decoded.scheme != rules.Scheme.PIX:
        return None
    for tag in sorted(decoded.fields):
        value = decoded.fields[tag]
        if "26" <= tag <= "51" and isinstance(value, dict) and value.get("00", "").lower() == PIX_GUI:
            return value.get("25")
    return None


# -- PayNow (Singapore) ---------------------------------------------------------------------
PAYNOW_GUI = rules.PAYNOW_GUI
_UEN = re.compile(r"^[0-9A-Z]{9,13}$")


def paynow_mobile(mobile: str) -> str:
    """A Singapore mobile number as PayNow carries it: ``+65`` and 8 digits (8..., 9... or 3...)."""
    digits = re.sub(r"[\s\-()]", "", mobile or "")
    if digits.startswith("+65"):
        digits = digits[3:]
    elif digits.startswith("65") and len(digits) == 10:
        digits = digits[2:]
    if not re.fullmatch(r"[389][0-9]{7}", digits):
        raise ValueError(
            _("a PayNow mobile is 8 digits starting with 8, 9 or 3 (optionally +65), not {mobile!r}").format(
                mobile=mobile
            )
        )
    return "+65" + digits


def paynow(
    *,
    mobile: str | None = None,
    uen: str | None = None,
    merchant_name: str = "NA",
    merchant_city: str = "Singapore",
    amount: Money | None = None,
    editable: bool | None = None,
    expiry: date | None = None,
    reference: str | None = None,
) -> str:
    """A PayNow (SGQR) payload paying a mobile number or a company's UEN (give exactly one).

    ``editable`` lets the payer change the amount (default: editable when there is no amount);
    ``expiry`` is the last day the code may be paid; ``reference`` (62/01, at most 25 characters)
    is shown to the payer and comes back with the payment.
    """
    if (mobile is None) == (uen is None):
        raise ValueError(_("give exactly one PayNow proxy: a mobile number or a UEN"))
    if mobile is not None:
        proxy = {"01": "0", "02": paynow_mobile(mobile)}
    else:
        value = re.sub(r"\s", "", uen or "").upper()
        if not _UEN.match(value):
            raise ValueError(_("a UEN is 9 to 13 letters and digits (e.g. 201403121W), not {uen!r}").format(uen=uen))
        proxy = {"01": "2", "02": value}
    amount_text = check_amount(amount, ("SGD",), "PayNow")
    if editable is None:
        editable = amount_text is None
    template = {"00": PAYNOW_GUI, **proxy, "03": "1" if editable else "0"}
    if expiry is not None:
        if not isinstance(expiry, date):
            raise ValueError(_("expiry must be a date"))
        template["04"] = expiry.strftime("%Y%m%d")
    fields: dict[str, emv.FieldValue] = {
        "00": "01",
        "01": "12" if amount_text else "11",
        "26": template,
        "52": "0000",
        "53": "702",
    }
    if amount_text is not None:
        fields["54"] = amount_text
    fields.update(merchant_fields("SG", merchant_name, merchant_city))
    if reference:
        fields["62"] = {"01": check_reference(reference)}
    return emv.build(fields)


# -- FPS (Hong Kong) ------------------------------------------------------------------------
FPS_GUI = rules.FPS_GUI


def fps_mobile(mobile: str) -> str:
    """A Hong Kong mobile number as FPS carries it: ``+852-`` and 8 digits."""
    digits = re.sub(r"[\s()]", "", mobile or "")
    if digits.startswith("+852"):
        digits = digits[4:].lstrip("-")
    elif digits.startswith("852") and len(digits.replace("-", "")) == 11:
        digits = digits[3:].lstrip("-")
    digits = digits.replace("-", "")
    if not re.fullmatch(r"[4-9][0-9]{7}", digits):
        raise ValueError(
            _("an FPS mobile is a Hong Kong number of 8 digits (optionally +852), not {mobile!r}").format(mobile=mobile)
        )
    return "+852-" + digits


def fps(
    *,
    fps_id: str | None = None,
    mobile: str | None = None,
    email: str | None = None,
    merchant_name: str = "NA",
    merchant_city: str = "HK",
    amount: Money | None = None,
    currency: str = "HKD",
    reference: str | None = None,
    bill_number: str | None = None,
) -> str:
    """An FPS payload paying an FPS ID, a mobile or an e-mail address (give exactly one).

    Without an amount the code is in ``currency`` (HKD or CNY); with one, in the amount's currency.
    """
    given = [(k, v) for k, v in (("02", fps_id), ("03", mobile), ("04", email)) if v is not None]
    if len(given) != 1:
        raise ValueError(_("give exactly one FPS payee: an FPS ID, a mobile number or an e-mail address"))
    sub, value = given[0]
    if sub == "02":
        value = re.sub(r"[\s\-]", "", value)
        if not re.fullmatch(r"[0-9]{7,10}", value):
            raise ValueError(_("an FPS ID is 7 to 10 digits, not {fps_id!r}").format(fps_id=fps_id))
    elif sub == "03":
        value = fps_mobile(value)
    else:
        value = value.strip()
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value) or not PRINTABLE.match(value) or len(value) > 64:
            raise ValueError(_("not an e-mail address FPS can carry: {email!r}").format(email=email))
    amount_text = check_amount(amount, ("HKD", "CNY"), "FPS")
    code = amount.currency if amount is not None else (currency or "").strip().upper()
    if code not in ("HKD", "CNY"):
        raise ValueError(_("FPS charges are in HKD or CNY, not {currency!r}").format(currency=currency))
    fields: dict[str, emv.FieldValue] = {
        "00": "01",
        "01": "12" if amount_text else "11",
        "26": {"00": FPS_GUI, sub: value},
        "52": "0000",
        "53": "344" if code == "HKD" else "156",
    }
    if amount_text is not None:
        fields["54"] = amount_text
    fields.update(merchant_fields("HK", merchant_name, merchant_city))
    extra = {}
    if bill_number:
        extra["01"] = check_reference(bill_number, _("bill number"))
    if reference:
        extra["05"] = check_reference(reference)
    if extra:
        fields["62"] = extra
    return emv.build(fields)


__all__ = [
    "PIX_GUI",
    "PAYNOW_GUI",
    "FPS_GUI",
    "NPCI_AID",
    "ascii_text",
    "pix_dynamic",
    "pix_static",
    "pix_location",
    "paynow_mobile",
    "paynow",
    "fps_mobile",
    "fps",
    "upi_address",
    "upi_link",
    "upi_emv",
]
