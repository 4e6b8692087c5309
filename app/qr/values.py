"""EMVCo MPM value rules: the format of each top-level value and of the templates' sub-tags.

Used by :func:`app.qr.emv.decode`; every rule adds a reason in words to the :class:`Findings`, as an
error or a warning (the list is documented in app/qr/emv.py's docstring).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from app.domain.money import MINOR_UNITS, NUMERIC_CODES
from app.i18n import LazyText, _, lazy_, pgettext
from app.qr.findings import Findings

_AMOUNT = re.compile(r"[0-9]+(\.[0-9]+)?")
_PRINTABLE = re.compile(r"[\x20-\x7e]*")
#: A globally unique identifier: an application identifier (5 to 16 bytes in hex; a UUID without
#: hyphens is 32 hex digits) or a reverse domain name (labels of letters, digits and hyphens).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_GUI = re.compile(rf"[0-9A-Fa-f]{{10,32}}|{_LABEL}(?:\.{_LABEL})+")
#: ISO 4217 numeric code -> minor units, for the currencies TillQR knows.
DECIMALS_BY_NUMERIC: dict[str, int] = {num: MINOR_UNITS[code] for code, num in NUMERIC_CODES.items()}
_ALPHA_BY_NUMERIC: dict[str, str] = {num: code for code, num in NUMERIC_CODES.items()}


def _amount_error(tag: str, what: str, value: str, currency: str | None) -> str | None:
    """Why ``value`` is not an EMV amount in the currency with numeric code ``currency``, else None."""
    if len(value) > 13 or not _AMOUNT.fullmatch(value):
        return _(
            "tag {tag} ({what}) must be digits with an optional '.' decimal part, at most 13 characters, not {value!r}"
        ).format(tag=tag, what=what, value=value)
    decimals = len(value.partition(".")[2])
    allowed = DECIMALS_BY_NUMERIC.get(currency or "")
    if allowed is not None and decimals > allowed:
        code = _ALPHA_BY_NUMERIC[currency or ""]
        if allowed == 0:
            return _("tag {tag} ({what}) {value!r} has decimals, but {code} ({number}) has none").format(
                tag=tag, what=what, value=value, code=code, number=currency
            )
        return _("tag {tag} ({what}) {value!r} has {decimals} decimals, but {code} ({number}) has {allowed}").format(
            tag=tag, what=what, value=value, decimals=decimals, code=code, number=currency, allowed=allowed
        )
    return None


# Each top-level value's rule and what is said when it is broken: errors (the money depends on it), warnings.
_ERRORS: dict[str, tuple[Callable[[str], bool], LazyText]] = {
    "00": (lambda v: v == "01", lazy_("tag 00 (payload format indicator) must be '01', not {value!r}")),
    "53": (
        lambda v: re.fullmatch(r"[0-9]{3}", v) is not None,
        lazy_("tag 53 (currency) must be a 3-digit ISO 4217 code, not {value!r}"),
    ),
    "55": (
        lambda v: v in ("01", "02", "03"),
        lazy_("tag 55 (tip or convenience indicator) must be '01', '02' or '03', not {value!r}"),
    ),
    "58": (
        lambda v: re.fullmatch(r"[A-Za-z]{2}", v) is not None,
        lazy_("tag 58 (country) must be 2 letters, not {value!r}"),
    ),
}
_WARNINGS: dict[str, tuple[Callable[[str], bool], LazyText]] = {
    "01": (lambda v: v in ("11", "12"), lazy_("tag 01 (point of initiation) should be '11' or '12', not {value!r}")),
    "52": (
        lambda v: re.fullmatch(r"[0-9]{4}", v) is not None,
        lazy_("tag 52 (merchant category code) should be 4 digits, not {value!r}"),
    ),
    "58": (lambda v: v == v.upper(), lazy_("tag 58 (country) should be upper-case, not {value!r}")),
    "59": (lambda v: len(v) <= 25, lazy_("tag 59 (merchant name) should be at most 25 characters, not {value!r}")),
    "60": (lambda v: len(v) <= 15, lazy_("tag 60 (merchant city) should be at most 15 characters, not {value!r}")),
    "61": (lambda v: len(v) <= 10, lazy_("tag 61 (postal code) should be at most 10 characters, not {value!r}")),
}


def check_values(fields: Mapping[str, Any], found: Findings) -> None:
    """Format checks of the EMVCo values (only those present): errors for what the money depends on
    (format version, currency, amounts, fees, the country), warnings for the rest."""
    for rules, report in ((_ERRORS, found.error), (_WARNINGS, found.warn)):
        for tag, (ok, message) in rules.items():
            value = fields.get(tag)
            if isinstance(value, str) and not ok(value):
                report(message.format(value=value))
    currency = fields.get("53") if isinstance(fields.get("53"), str) else None
    for tag, what in (("54", pgettext("EMV field", "amount")), ("56", pgettext("EMV field", "convenience fee"))):
        value = fields.get(tag)
        if isinstance(value, str):
            problem = _amount_error(tag, what, value, currency)
            if problem:
                found.error(problem)
    pct = fields.get("57")
    if isinstance(pct, str) and not (len(pct) <= 5 and re.fullmatch(r"[0-9]+(\.[0-9]+)?", pct)):
        found.error(
            _("tag 57 (convenience fee percentage) must be a number of at most 5 characters, not {value!r}").format(
                value=pct
            )
        )
    tip = fields.get("55")
    if tip == "02" and "56" not in fields:
        found.error(_("tag 55 is '02' (fixed convenience fee) but tag 56 (the fee) is missing"))
    if tip == "03" and "57" not in fields:
        found.error(_("tag 55 is '03' (percentage convenience fee) but tag 57 (the percentage) is missing"))
    for tag, value in fields.items():
        if isinstance(value, str) and tag != "64" and not _PRINTABLE.fullmatch(value):
            found.warn(
                _("tag {tag} has characters outside printable ASCII: {chars}").format(tag=tag, chars=_odd(value))
            )


def _odd(value: str) -> str:
    odd = sorted({c for c in value if not " " <= c <= "~"})
    return ", ".join(f"U+{ord(c):04X} {c!r}" for c in odd[:5]) + (" ..." if len(odd) > 5 else "")


def check_gui(tag: str, gui: str | None, found: Findings) -> None:
    """A merchant account template (26-51) needs a well-formed globally unique identifier: an error
    otherwise (the payer's app could not tell whom to pay); in an unreserved template (80-99), a warning."""
    report = found.error if "26" <= tag <= "51" else found.warn
    if gui is None:
        report(_("template {tag} has no globally unique identifier (sub-tag 00)").format(tag=tag))
    elif len(gui) > 32:
        report(
            _(
                "template {tag}: globally unique identifier (sub-tag 00) must be at most 32 characters, not {length}"
            ).format(tag=tag, length=len(gui))
        )
    elif not _GUI.fullmatch(gui):
        report(
            _(
                "template {tag}: globally unique identifier (sub-tag 00) {gui!r} is neither an application "
                "identifier (hex digits) nor a reverse domain name"
            ).format(tag=tag, gui=gui)
        )


def check_templates(fields: Mapping[str, Any], found: Findings) -> None:
    """Rules for the sub-tags of templates (only templates that parsed as TLV)."""
    for tag, value in fields.items():
        if not isinstance(value, Mapping):
            continue
        if "26" <= tag <= "51" or "80" <= tag <= "99":
            check_gui(tag, value.get("00"), found)
        if tag == "62":
            for sub, sub_value in value.items():
                if "01" <= sub <= "08" and len(sub_value) > 25:
                    found.warn(
                        _("template 62: sub-tag {sub} should be at most 25 characters, not {length}").format(
                            sub=sub, length=len(sub_value)
                        )
                    )
                if sub == "09" and (len(sub_value) > 3 or not set(sub_value) <= set("AME")):
                    found.warn(
                        _(
                            "template 62: sub-tag 09 (consumer data request) should be up to 3 of the letters "
                            "A, M, E, not {value!r}"
                        ).format(value=sub_value)
                    )
        if tag == "64":
            if not re.fullmatch(r"[A-Za-z]{2}", value.get("00", "")):
                found.warn(_("template 64: sub-tag 00 (language preference) should be 2 letters (ISO 639-1)"))
            if "01" not in value:
                found.warn(_("template 64: sub-tag 01 (merchant name in the other language) is missing"))
            elif len(value["01"]) > 25:
                found.warn(
                    _("template 64: sub-tag {sub} should be at most {most} characters, not {length}").format(
                        sub="01", most=25, length=len(value["01"])
                    )
                )
            if len(value.get("02", "")) > 15:
                found.warn(
                    _("template 64: sub-tag {sub} should be at most {most} characters, not {length}").format(
                        sub="02", most=15, length=len(value["02"])
                    )
                )
        if tag != "64":
            for sub, sub_value in value.items():
                if not _PRINTABLE.fullmatch(sub_value):
                    found.warn(
                        _("template {tag}: sub-tag {sub} has characters outside printable ASCII: {chars}").format(
                            tag=tag, sub=sub, chars=_odd(sub_value)
                        )
                    )
