"""UPI (India) builders on top of the EMV codec: the ``upi://pay`` link and the EMV (Bharat QR) form.

Like the other builders (:mod:`app.qr.schemes`, which offers these two as well), each returns the
payload text and raises ValueError (a message a person can act on) for input UPI cannot carry.

**UPI link** (NPCI linking specification): ``upi://pay?pa=…&pn=…&am=…&cu=INR&tn=…&tr=…``
(and ``mc`` when given), values percent-encoded as UTF-8.

**UPI, EMV form** (Bharat QR): NPCI's Bharat QR specification is not public; this follows
the structure every published Bharat QR shares (see :mod:`app.qr.rules`): template 26
``00`` ``A000000524`` + ``01`` the UPI address, template 27 ``00`` ``A000000524`` + ``01``
the transaction reference; 53 ``356``; 58 ``IN``; optional 61 postal code (PIN code);
62/05 the reference. Card-network tags (02-08) are not built: they need an acquirer.
Tag 01 is ``12`` when the code carries an amount, ``11`` otherwise.
"""

from __future__ import annotations

import re

from app.domain.money import Money
from app.i18n import _
from app.qr import emv, rules
from app.qr.inputs import check_amount, check_reference, merchant_fields

NPCI_AID = rules.NPCI_AID


def upi_address(vpa: str) -> str:
    """A UPI address (VPA) like ``shop@okbank``, or ValueError."""
    value = (vpa or "").strip()
    if not rules.VPA.match(value):
        raise ValueError(_("a UPI address looks like name@bank, not {vpa!r}").format(vpa=vpa))
    return value


def _upi_amount(amount: Money | None) -> str | None:
    return check_amount(amount, ("INR",), "UPI")


def _mcc(mcc: str) -> str:
    if not isinstance(mcc, str) or not re.fullmatch(r"[0-9]{4}", mcc):
        raise ValueError(_("a merchant category code is 4 digits, not {mcc!r}").format(mcc=mcc))
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
        raise ValueError(_("the payee name is empty"))
    if len(name) > 99:
        raise ValueError(_("the payee name must be at most 99 characters, not {length}").format(length=len(name)))
    fields = {"pa": upi_address(vpa), "pn": name}
    if mcc is not None:
        fields["mc"] = _mcc(mcc)
    if reference:
        ref = reference.strip()
        if not re.fullmatch(r"[A-Za-z0-9.\-_]{1,35}", ref):
            raise ValueError(
                _("a UPI transaction reference is 1 to 35 letters, digits, '.', '-' or '_', not {reference!r}").format(
                    reference=reference
                )
            )
        fields["tr"] = ref
    amount_text = _upi_amount(amount)
    if amount_text is not None:
        fields["am"] = amount_text
    fields["cu"] = "INR"
    if note:
        text = " ".join(note.split())
        if len(text) > 50:
            raise ValueError(_("a UPI note must be at most 50 characters, not {length}").format(length=len(text)))
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
        raise ValueError(
            _("the UPI address is too long for a QR template: {length} characters").format(length=len(address))
        )
    fields: dict[str, emv.FieldValue] = {"00": "01"}
    amount_text = _upi_amount(amount)
    fields["01"] = "12" if amount_text else "11"
    fields["26"] = {"00": NPCI_AID, "01": address}
    ref = check_reference(reference) if reference else None
    if ref is not None:
        fields["27"] = {"00": NPCI_AID, "01": ref}
    fields["52"] = _mcc(mcc)
    fields["53"] = "356"
    if amount_text is not None:
        fields["54"] = amount_text
    fields.update(merchant_fields("IN", merchant_name, merchant_city))
    if postal_code is not None:
        if not re.fullmatch(r"[0-9]{6}", postal_code.strip()):
            raise ValueError(_("an Indian PIN code is 6 digits, not {code!r}").format(code=postal_code))
        fields["61"] = postal_code.strip()
    if ref is not None:
        fields["62"] = {"05": ref}
    return emv.build(fields)
