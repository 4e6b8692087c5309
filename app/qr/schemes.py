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

**UPI link** (NPCI linking specification): ``upi://pay?pa=…&pn=…&am=…&cu=INR&tn=…&tr=…``
(and ``mc`` when given), values percent-encoded as UTF-8.

**UPI, EMV form** (Bharat QR): NPCI's Bharat QR specification is not public; this follows
the structure every published Bharat QR shares (see :mod:`app.qr.rules`): template 26
``00`` ``A000000524`` + ``01`` the UPI address, template 27 ``00`` ``A000000524`` + ``01``
the transaction reference; 53 ``356``; 58 ``IN``; optional 61 postal code (PIN code);
62/05 the reference. Card-network tags (02-08) are not built: they need an acquirer.

Point of initiation (tag 01): ``12`` when the code carries an amount (made for one sale),
``11`` otherwise (a sticker reused for many), except Pix dynamic codes which are always ``12``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from app.domain.money import Money
from app.qr import emv, rules

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


def _amount(amount: Money | None, currencies: tuple[str, ...] = ("BRL",), scheme: str = "Pix") -> str | None:
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


def _txid(txid: str) -> str:
    if txid != "***" and not (isinstance(txid, str) and _TXID.match(txid)):
        raise ValueError(f"txid must be '***' or 1 to 25 letters and digits, not {txid!r}")
    return txid


def _pix(
    account: dict[str, str], merchant_name: str, merchant_city: str, amount: Money | None, txid: str, dynamic: bool
) -> str:
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
        raise ValueError(f"Pix locations must be https, not {location!r}")
    if not loc:
        raise ValueError("location is empty")
    if not _PRINTABLE.match(loc):
        raise ValueError(f"location must be a URL of printable ASCII without spaces, not {location!r}")
    if len(loc) > 77:
        raise ValueError(f"location must be at most 77 characters without https://, not {len(loc)}")
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
        raise ValueError(f"a PayNow mobile is 8 digits starting with 8, 9 or 3 (optionally +65), not {mobile!r}")
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
        raise ValueError("give exactly one PayNow proxy: a mobile number or a UEN")
    if mobile is not None:
        proxy = {"01": "0", "02": paynow_mobile(mobile)}
    else:
        value = re.sub(r"\s", "", uen or "").upper()
        if not _UEN.match(value):
            raise ValueError(f"a UEN is 9 to 13 letters and digits (e.g. 201403121W), not {uen!r}")
        proxy = {"01": "2", "02": value}
    amount_text = _amount(amount, ("SGD",), "PayNow")
    if editable is None:
        editable = amount_text is None
    template = {"00": PAYNOW_GUI, **proxy, "03": "1" if editable else "0"}
    if expiry is not None:
        if not isinstance(expiry, date):
            raise ValueError("expiry must be a date")
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
    fields.update(
        {"58": "SG", "59": _label(merchant_name, "merchant name", 25), "60": _label(merchant_city, "merchant city", 15)}
    )
    if reference:
        fields["62"] = {"01": _reference(reference)}
    return emv.build(fields)


def _reference(reference: str, what: str = "reference") -> str:
    if not isinstance(reference, str):
        raise ValueError(f"{what} must be text")
    clean = ascii_text(reference)
    if not clean:
        raise ValueError(f"{what} is empty (after removing characters a QR code cannot carry): {reference!r}")
    if len(clean) > 25:
        raise ValueError(f"{what} must be at most 25 characters, not {len(clean)}: {clean!r}")
    return clean


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
        raise ValueError(f"an FPS mobile is a Hong Kong number of 8 digits (optionally +852), not {mobile!r}")
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
        raise ValueError("give exactly one FPS payee: an FPS ID, a mobile number or an e-mail address")
    sub, value = given[0]
    if sub == "02":
        value = re.sub(r"[\s\-]", "", value)
        if not re.fullmatch(r"[0-9]{7,10}", value):
            raise ValueError(f"an FPS ID is 7 to 10 digits, not {fps_id!r}")
    elif sub == "03":
        value = fps_mobile(value)
    else:
        value = value.strip()
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value) or not _PRINTABLE.match(value) or len(value) > 64:
            raise ValueError(f"not an e-mail address FPS can carry: {email!r}")
    amount_text = _amount(amount, ("HKD", "CNY"), "FPS")
    code = amount.currency if amount is not None else (currency or "").strip().upper()
    if code not in ("HKD", "CNY"):
        raise ValueError(f"FPS charges are in HKD or CNY, not {currency!r}")
    fields: dict[str, emv.FieldValue] = {
        "00": "01",
        "01": "12" if amount_text else "11",
        "26": {"00": FPS_GUI, sub: value},
        "52": "0000",
        "53": "344" if code == "HKD" else "156",
    }
    if amount_text is not None:
        fields["54"] = amount_text
    fields.update(
        {"58": "HK", "59": _label(merchant_name, "merchant name", 25), "60": _label(merchant_city, "merchant city", 15)}
    )
    extra = {}
    if bill_number:
        extra["01"] = _reference(bill_number, "bill number")
    if reference:
        extra["05"] = _reference(reference)
    if extra:
        fields["62"] = extra
    return emv.build(fields)


# -- UPI (India) ----------------------------------------------------------------------------
NPCI_AID = rules.NPCI_AID


def upi_address(vpa: str) -> str:
    """A UPI address (VPA) like ``shop@okbank``, or ValueError."""
    value = (vpa or "").strip()
    if not rules.VPA.match(value):
        raise ValueError(f"a UPI address looks like name@bank, not {vpa!r}")
    return value


def _upi_amount(amount: Money | None) -> str | None:
    return _amount(amount, ("INR",), "UPI")


def _mcc(mcc: str) -> str:
    if not isinstance(mcc, str) or not re.fullmatch(r"[0-9]{4}", mcc):
        raise ValueError(f"a merchant category code is 4 digits, not {mcc!r}")
    return mcc


def upi_link(
    vpa: str,
    *,
    payee_name: str,
    amount: Money | None = None,
    note: str | None = None,
    reference: str | None = None,
    mcc: str | None = None,
) -> str:
    """A ``upi://pay`` link: payee address and name, optional amount (INR), note (``tn``),
    transaction reference (``tr``) and merchant category code (``mc``). Unlike EMV codes a
    link can carry any Unicode text in the name and note; they are percent-encoded as UTF-8.
    """
    name = " ".join((payee_name or "").split())
    if not name:
        raise ValueError("the payee name is empty")
    if len(name) > 99:
        raise ValueError(f"the payee name must be at most 99 characters, not {len(name)}")
    fields = {"pa": upi_address(vpa), "pn": name}
    if mcc is not None:
        fields["mc"] = _mcc(mcc)
    if reference:
        ref = reference.strip()
        if not re.fullmatch(r"[A-Za-z0-9.\-_]{1,35}", ref):
            raise ValueError(
                f"a UPI transaction reference is 1 to 35 letters, digits, '.', '-' or '_', not {reference!r}"
            )
        fields["tr"] = ref
    amount_text = _upi_amount(amount)
    if amount_text is not None:
        fields["am"] = amount_text
    fields["cu"] = "INR"
    if note:
        text = " ".join(note.split())
        if len(text) > 50:
            raise ValueError(f"a UPI note must be at most 50 characters, not {len(text)}")
        fields["tn"] = text
    return emv.encode_upi_link(fields)


def upi_emv(
    vpa: str,
    *,
    merchant_name: str,
    merchant_city: str,
    amount: Money | None = None,
    reference: str | None = None,
    mcc: str = "0000",
    postal_code: str | None = None,
) -> str:
    """The EMV (Bharat QR) form of a UPI payment: see the module docstring for its provenance."""
    address = upi_address(vpa)
    if len(address) > 95:
        raise ValueError(f"the UPI address is too long for a QR template: {len(address)} characters")
    fields: dict[str, emv.FieldValue] = {"00": "01"}
    amount_text = _upi_amount(amount)
    fields["01"] = "12" if amount_text else "11"
    fields["26"] = {"00": NPCI_AID, "01": address}
    ref = _reference(reference) if reference else None
    if ref is not None:
        fields["27"] = {"00": NPCI_AID, "01": ref}
    fields["52"] = _mcc(mcc)
    fields["53"] = "356"
    if amount_text is not None:
        fields["54"] = amount_text
    fields.update(
        {"58": "IN", "59": _label(merchant_name, "merchant name", 25), "60": _label(merchant_city, "merchant city", 15)}
    )
    if postal_code is not None:
        if not re.fullmatch(r"[0-9]{6}", postal_code.strip()):
            raise ValueError(f"an Indian PIN code is 6 digits, not {postal_code!r}")
        fields["61"] = postal_code.strip()
    if ref is not None:
        fields["62"] = {"05": ref}
    return emv.build(fields)
