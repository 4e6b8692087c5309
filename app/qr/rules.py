"""What each scheme asks of an EMV payload, beyond the EMVCo rules :mod:`app.qr.emv` checks itself.

:func:`scheme_of` tells the scheme from the merchant account templates' globally unique
identifiers (GUI, sub-tag 00); :func:`check` appends one precise sentence per deviation to
the :class:`~app.qr.findings.Findings` (an error or a warning, by the rule in
:mod:`app.qr.findings`). Nothing here raises, and nothing imports :mod:`app.qr.emv` (it imports us).

Sources, and the choices made where they leave room:

* **Pix** (Banco Central do Brasil, *Manual de Padrões para Iniciação do Pix* and the BR Code
  manual): GUI ``br.gov.bcb.pix`` (compared case-insensitively: it is a domain name, and
  widely used generators write it upper-case), then either ``01`` the key or ``25`` the
  location URL (without ``https://``), optional ``02`` description; 53 ``986``; 58 ``BR``;
  62/05 the reference label (txid), ``***`` when there is none; a static code's txid is at
  most 25 letters and digits. A dynamic code's 62/05 is not checked further: Banco Central's
  own dynamic example carries ``RP12345678-2019``. Errors: no key and no location, or both;
  the currency or country; an identifier one or two letters from a known scheme's
  (``br.gov.bcb.spi``, ``SG.PAYNOWW``). Warnings: an upper-case identifier, a key in a form
  DICT does not use (a phone without ``+55``), a location with ``https://``, a missing or
  punctuated txid. PayNow and FPS likewise: a proxy type, payee, currency or country that
  cannot pay is an error; a mobile without ``+65``/``+852-``, a UEN or participant code of
  another shape, a missing editable flag or a malformed expiry are warnings.
* **PayNow** (SGQR): GUI ``SG.PAYNOW``; ``01`` proxy type ``0`` (mobile) or ``2`` (UEN);
  ``02`` the proxy value (``+65`` and eight digits for a mobile); ``03`` editable flag ``0``
  or ``1``; ``04`` expiry, digits (published codes use ``YYYYMMDD``, ``YYMMDDhhmmss`` and
  ``YYYYMMDDhhmmss``); 53 ``702``; 58 ``SG``.
* **FPS** (HKMA *Common QR Code Specification for Retail Payments in Hong Kong*): GUI
  ``hk.com.hkicl``; ``01`` participant (clearing) code, three digits, optional; one of ``02``
  FPS identifier (digits), ``03`` mobile (``+852-`` and eight digits), ``04`` e-mail;
  53 ``344`` (HKD) or ``156`` (CNY); 58 ``HK``.
* **UPI, EMV form** (Bharat QR): NPCI does not publish the Bharat QR specification openly; the
  structure below is the one every published Bharat QR payload we found shares (Razorpay's
  and PayU's API documentation, merchants' codes): template 26 with GUI ``A000000524`` (the
  NPCI application identifier), ``01`` the UPI address (VPA), optional ``02`` minimum amount;
  template 27 with the same GUI and ``01`` the transaction reference; 53 ``356``; 58 ``IN``.
  A template whose GUI mentions ``upi`` or ``npci`` is taken as UPI too.
* **UPI link** (NPCI *UPI Linking Specification*): ``upi://pay?`` with ``pa`` (payee address,
  ``name@handle``) required; ``am`` an amount with at most two decimals; ``cu`` ``INR``;
  ``mc`` four digits. The specification also asks for ``pn`` (payee name), but links
  without it are common and UPI apps pay them, so its absence is not counted against a
  link (TillQR's builder always writes it); a ``pn`` that is present must not be empty.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from app.domain.excerpt import excerpt
from app.i18n import _, pgettext
from app.qr.findings import Findings
from app.qr.pixkeys import pix_key_problem as pix_key_problem  # the command line asks it here
from app.qr.pixkeys import pix_key_warning


class Scheme(enum.StrEnum):
    """The QR schemes TillQR tells apart: the words of ``tillqr qr decode``'s ``scheme``."""

    PIX = "pix"
    PAYNOW = "paynow"
    FPS = "fps"
    UPI = "upi"
    EMV = "emv"  # any other EMV merchant-presented code


PIX_GUI = "br.gov.bcb.pix"
PAYNOW_GUI = "SG.PAYNOW"
FPS_GUI = "hk.com.hkicl"
NPCI_AID = "A000000524"

VPA = re.compile(r"^[A-Za-z0-9.\-_]{1,255}@[A-Za-z][A-Za-z0-9.\-]{0,63}\Z")
_TXID = re.compile(r"^[A-Za-z0-9]{1,25}$")
_DIGITS = re.compile(r"^[0-9]+$")
_UPI_AMOUNT = re.compile(r"^[0-9]{1,10}(\.[0-9]{1,2})?\Z")


def merchant_templates(fields: Mapping[str, Any]) -> list[tuple[str, Mapping[str, str]]]:
    """The merchant account templates (26-51) that parsed as TLV, in tag order."""
    return [(tag, fields[tag]) for tag in sorted(fields) if "26" <= tag <= "51" and isinstance(fields[tag], Mapping)]


def _gui(template: Mapping[str, str]) -> str:
    return str(template.get("00", "")).strip()


def _is_upi_gui(gui: str) -> bool:
    low = gui.lower()
    return gui.upper() == NPCI_AID or "upi" in low or "npci" in low


def scheme_of(fields: Mapping[str, Any]) -> Scheme:
    """``pix``, ``paynow``, ``fps``, ``upi`` or ``emv`` (anything else), from the templates' GUIs."""
    guis = [_gui(t) for _, t in merchant_templates(fields)]
    lowered = [g.lower() for g in guis]
    if PIX_GUI in lowered:
        return Scheme.PIX
    if PAYNOW_GUI.lower() in lowered:
        return Scheme.PAYNOW
    if FPS_GUI in lowered:
        return Scheme.FPS
    if any(_is_upi_gui(g) for g in guis):
        return Scheme.UPI
    return Scheme.EMV


def _template(fields: Mapping[str, Any], match: Callable[[str], bool]) -> tuple[str, Mapping[str, str]] | None:
    for tag, template in merchant_templates(fields):
        if match(_gui(template)):
            return tag, template
    return None


def _expect(
    fields: Mapping[str, Any], tag: str, allowed: tuple[str, ...], scheme: str, what: str, found: Findings
) -> None:
    value = fields.get(tag)
    if isinstance(value, str) and value.upper() not in allowed:
        first, *more = (repr(a) for a in allowed)
        want = _("{first} or {second}").format(first=first, second=more[0]) if more else first
        found.error(
            _("{scheme}: tag {tag} ({what}) must be {want}, not {value!r}").format(
                scheme=scheme, tag=tag, what=what, want=want, value=value
            )
        )


def _near(a: str, b: str) -> bool:
    """Whether ``a`` is one or two edits (insert, delete, replace) away from ``b``, ignoring case."""
    a, b = a.lower(), b.lower()
    if a == b or abs(len(a) - len(b)) > 2:
        return False
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1] <= 2


def check_scheme_identifiers(fields: Mapping[str, Any], found: Findings) -> None:
    """A merchant account template whose identifier is a near miss of a known scheme's is an error:
    ``br.gov.bcb.pixx`` pays nobody, and the payer's app would not know that scheme."""
    for tag, template in merchant_templates(fields):
        gui = _gui(template)
        for known in (PIX_GUI, PAYNOW_GUI, FPS_GUI):  # not AIDs: registered numbers sit close together
            if _near(gui, known):
                found.error(
                    _(
                        "template {tag}: identifier {gui!r} is not a known scheme's; did the code mean {known!r}?"
                    ).format(tag=tag, gui=gui, known=known)
                )
                break


def _check_pix(fields: Mapping[str, Any], found: Findings) -> None:
    match = _template(fields, lambda g: g.lower() == PIX_GUI)
    if match is None:
        return
    tag, t = match
    if _gui(t) != PIX_GUI:
        found.warn(
            _("pix: identifier {gui!r} (template {tag}) is written as {known!r} in the BR Code manual").format(
                gui=_gui(t), tag=tag, known=PIX_GUI
            )
        )
    has_key, has_url = "01" in t, "25" in t
    if has_key and has_url:
        found.error(_("pix: template {tag} has both a key (01) and a location (25); it must have one").format(tag=tag))
    elif not has_key and not has_url:
        found.error(_("pix: template {tag} has neither a key (01) nor a location (25)").format(tag=tag))
    elif has_key and (warning := pix_key_warning(t["01"])):
        found.warn(f"pix: {warning}")
    if has_url and t["25"].lower().startswith(("https://", "http://")):
        found.warn(
            _("pix: the location (template {tag}, sub-tag 25) should not start with a URL scheme").format(tag=tag)
        )
    _expect(fields, "53", ("986",), "pix", pgettext("EMV field", "currency"), found)
    _expect(fields, "58", ("BR",), "pix", pgettext("EMV field", "country"), found)
    extra = fields.get("62")
    txid = extra.get("05") if isinstance(extra, Mapping) else None
    if "62" not in fields or (isinstance(extra, Mapping) and txid is None):
        found.warn(_("pix: no reference label (txid, tag 62 sub-tag 05); the BR Code manual asks for '***' when none"))
    elif has_key and isinstance(txid, str) and txid != "***" and not _TXID.match(txid):
        found.warn(
            _("pix: a static code's txid (62/05) should be '***' or 1 to 25 letters and digits, not {txid!r}").format(
                txid=txid
            )
        )


def _phone(value: str, country: str, written: str, length: int) -> str | None:
    """``value`` as ``written`` + the national number when it is one written otherwise, else None."""
    digits = re.sub(r"[\s\-()]", "", value)
    national = rf"[0-9]{{{length}}}"
    if re.fullmatch(national, digits) or re.fullmatch(rf"\+?{country}{national}", digits):
        return written + digits[-length:]
    return None


def _check_paynow(fields: Mapping[str, Any], found: Findings) -> None:
    match = _template(fields, lambda g: g.upper() == PAYNOW_GUI)
    if match is None:
        return
    tag, t = match
    kind, value = t.get("01"), t.get("02")
    if kind is None:
        found.error(_("paynow: template {tag} has no proxy type (sub-tag 01)").format(tag=tag))
    elif kind not in ("0", "2"):
        found.error(
            _("paynow: proxy type (template {tag}, sub-tag 01) must be '0' (mobile) or '2' (UEN), not {kind!r}").format(
                tag=tag, kind=kind
            )
        )
    if value is None:
        found.error(_("paynow: template {tag} has no proxy value (sub-tag 02)").format(tag=tag))
    elif kind == "0" and not re.fullmatch(r"\+65[0-9]{8}", value):
        mobile = _phone(value, "65", "+65", 8)
        if mobile is None:
            found.error(
                _("paynow: a mobile proxy (template {tag}, sub-tag 02) must be +65 and 8 digits, not {value!r}").format(
                    tag=tag, value=value
                )
            )
        else:
            found.warn(
                _("paynow: the mobile proxy {value!r} (template {tag}, sub-tag 02) is not written as {mobile}").format(
                    value=value, tag=tag, mobile=mobile
                )
            )
    elif kind == "2" and not re.fullmatch(r"[0-9A-Za-z]{9,13}", value):
        found.warn(
            _(
                "paynow: a UEN proxy (template {tag}, sub-tag 02) should be 9 to 13 letters and digits: {value!r}"
            ).format(tag=tag, value=value)
        )
    editable = t.get("03")
    if editable is None:
        found.warn(
            _("paynow: template {tag} has no editable-amount flag (sub-tag 03); the payer's app decides").format(
                tag=tag
            )
        )
    elif editable not in ("0", "1"):
        found.warn(
            _("paynow: editable flag (template {tag}, sub-tag 03) should be '0' or '1', not {value!r}").format(
                tag=tag, value=editable
            )
        )
    expiry = t.get("04")
    if expiry is not None and not _DIGITS.match(expiry):
        found.warn(
            _("paynow: expiry date (template {tag}, sub-tag 04) should be digits (YYYYMMDD), not {value!r}").format(
                tag=tag, value=expiry
            )
        )
    elif expiry is not None and len(expiry) == 8 and not _is_date(expiry):
        found.warn(
            _("paynow: expiry date (template {tag}, sub-tag 04) {value!r} is not a date (YYYYMMDD)").format(
                tag=tag, value=expiry
            )
        )
    _expect(fields, "53", ("702",), "paynow", pgettext("EMV field", "currency"), found)
    _expect(fields, "58", ("SG",), "paynow", pgettext("EMV field", "country"), found)


def _is_date(text: str) -> bool:
    try:
        date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return False
    return True


def _check_fps(fields: Mapping[str, Any], found: Findings) -> None:
    match = _template(fields, lambda g: g.lower() == FPS_GUI)
    if match is None:
        return
    tag, t = match
    ids = [s for s in ("02", "03", "04") if s in t]
    if not ids:
        found.error(
            _("fps: template {tag} has no payee: an FPS ID (02), a mobile (03) or an e-mail (04)").format(tag=tag)
        )
    elif len(ids) > 1:
        found.error(
            _("fps: template {tag} has more than one payee ({subs}); it must have one").format(
                tag=tag, subs=", ".join(ids)
            )
        )
    if "01" in t and not re.fullmatch(r"[0-9]{3}", t["01"]):
        found.warn(
            _("fps: participant code (template {tag}, sub-tag 01) should be 3 digits, not {value!r}").format(
                tag=tag, value=t["01"]
            )
        )
    if "02" in t and not _DIGITS.match(t["02"]):
        found.error(
            _("fps: FPS ID (template {tag}, sub-tag 02) must be digits, not {value!r}").format(tag=tag, value=t["02"])
        )
    if "03" in t and not re.fullmatch(r"\+[0-9]{1,3}-[0-9]{4,15}", t["03"]):
        mobile = _phone(t["03"], "852", "+852-", 8)
        if mobile is None:
            found.error(
                _("fps: mobile (template {tag}, sub-tag 03) must be like +852-91234567, not {value!r}").format(
                    tag=tag, value=t["03"]
                )
            )
        else:
            found.warn(
                _("fps: the mobile {value!r} (template {tag}, sub-tag 03) is not written as {mobile}").format(
                    value=t["03"], tag=tag, mobile=mobile
                )
            )
    if "04" in t and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", t["04"]):
        found.error(
            _("fps: e-mail (template {tag}, sub-tag 04) is not an e-mail address: {value!r}").format(
                tag=tag, value=t["04"]
            )
        )
    _expect(fields, "53", ("344", "156"), "fps", pgettext("EMV field", "currency"), found)
    _expect(fields, "58", ("HK",), "fps", pgettext("EMV field", "country"), found)


def _check_upi_emv(fields: Mapping[str, Any], found: Findings) -> None:
    match = _template(fields, lambda g: _is_upi_gui(g) and g.upper() == NPCI_AID)
    if match is not None:
        vpas = [
            (tg, tm)
            for tg, tm in merchant_templates(fields)
            if _gui(tm).upper() == NPCI_AID and "@" in tm.get("01", "")
        ]
        if not vpas:
            found.error(
                _("upi: no template with GUI {gui} carries a UPI address (sub-tag 01, name@handle)").format(
                    gui=NPCI_AID
                )
            )
        for vtag, vt in vpas:
            if not VPA.match(vt["01"]):
                found.error(
                    _("upi: UPI address (template {tag}, sub-tag 01) is not like name@handle: {value!r}").format(
                        tag=vtag, value=vt["01"]
                    )
                )
    _expect(fields, "53", ("356",), "upi", pgettext("EMV field", "currency"), found)
    _expect(fields, "58", ("IN",), "upi", pgettext("EMV field", "country"), found)


_CHECKS: dict[str, Callable[[Mapping[str, Any], Findings], None]] = {
    Scheme.PIX: _check_pix,
    Scheme.PAYNOW: _check_paynow,
    Scheme.FPS: _check_fps,
    Scheme.UPI: _check_upi_emv,
}


def check(scheme: str, fields: Mapping[str, Any], found: Findings) -> None:
    """Add the deviations of an EMV payload of ``scheme`` from that scheme's rules."""
    check_scheme_identifiers(fields, found)
    checker = _CHECKS.get(scheme)
    if checker is not None:
        checker(fields, found)


def check_upi_link(fields: Mapping[str, str], found: Findings) -> None:
    """Add the deviations of a ``upi://pay`` link's parameters from the UPI linking specification."""
    pa = fields.get("pa")
    if pa is None:
        found.error(_("missing parameter 'pa' (payee address)"))
    elif not VPA.match(pa):
        found.error(_("parameter 'pa' must be a UPI address like name@bank, not {value}").format(value=excerpt(pa)))
    if "pn" in fields and not fields["pn"].strip():
        found.warn(_("parameter 'pn' (payee name) is empty"))
    am = fields.get("am")
    if am is not None and not _UPI_AMOUNT.match(am):
        found.error(
            _("parameter 'am' must be an amount like 12.50 (at most 2 decimals), not {value}").format(value=excerpt(am))
        )
    cu = fields.get("cu")
    if cu is not None and cu != "INR":
        found.error(_("parameter 'cu' must be 'INR', not {value}").format(value=excerpt(cu)))
    mc = fields.get("mc")
    if mc is not None and not re.fullmatch(r"[0-9]{4}", mc):
        found.warn(
            _("parameter 'mc' (merchant category code) should be 4 digits, not {value}").format(value=excerpt(mc))
        )
