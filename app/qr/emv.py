"""EMVCo merchant-presented QR (MPM) payloads: TLV encoding, CRC-16 and a forgiving decoder.

A payload is a string of TLV data objects: a two-digit tag, a two-digit length
(the number of *characters* of the value, 01..99) and the value. Template tags
(26-51 merchant account information, 62 additional data, 64 language template,
80-99 unreserved) hold TLV data objects of their own. The payload starts with
``000201`` and ends with ``6304`` followed by the CRC-16/CCITT-FALSE of
everything before it (``6304`` included), as four upper-case hex digits.

:func:`decode` never raises. It reads as much as it can and lists a precise
reason for every defect in ``errors``; ``valid`` is true only when there is
none. Choices made where the specification leaves room:

* ``crc_ok`` means "the payload ends with ``6304`` and four hex digits that
  equal the CRC of what precedes them", compared case-insensitively and
  independently of whether the rest of the structure parses.
* lower-case CRC hex digits are reported as an error ("CRC must be upper-case
  hex"), so ``valid`` is false, while ``crc_ok`` may still be true.
* a duplicated tag keeps its first value and is reported.
* a ``upi://pay?...`` link has no CRC; its query parameters become ``fields``,
  it is valid when ``pa`` (the payee address) is present and well formed, and
  ``crc_ok`` is true (there is no CRC that could fail).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union
from urllib.parse import parse_qsl

FieldValue = Union[str, Mapping[str, str]]

#: Template tags whose value is itself TLV.
TEMPLATE_TAGS: frozenset[str] = frozenset(
    [f"{t:02d}" for t in range(26, 52)] + ["62", "64"] + [f"{t:02d}" for t in range(80, 100)]
)
#: Tags every MPM payload must carry (plus one merchant account tag 02-51).
MANDATORY_TAGS: tuple[str, ...] = ("00", "52", "53", "58", "59", "60", "63")
MERCHANT_ACCOUNT_TAGS: frozenset[str] = frozenset(f"{t:02d}" for t in range(2, 52))

_TAG = re.compile(r"^\d\d$")
_HEX4 = re.compile(r"^[0-9A-Fa-f]{4}$")
_AMOUNT = re.compile(r"^\d+(\.\d+)?$")


def crc16(data: str) -> str:
    """CRC-16/CCITT-FALSE of the UTF-8 bytes of ``data`` as four upper-case hex digits.

    ``data`` is the payload up to and including ``"6304"``. ``crc16("123456789") == "29B1"``.
    """
    crc = 0xFFFF
    for byte in data.encode("utf-8"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return f"{crc:04X}"


def tlv(tag: str, value: str) -> str:
    """One data object: ``tag`` (two digits) + two-digit length + ``value`` (1..99 characters)."""
    if not isinstance(tag, str) or not _TAG.match(tag):
        raise ValueError(f"EMV tag must be two digits, not {tag!r}")
    if not isinstance(value, str):
        raise ValueError(f"value of tag {tag} must be a string, not {type(value).__name__}")
    if not 1 <= len(value) <= 99:
        raise ValueError(f"value of tag {tag} must be 1 to 99 characters long, not {len(value)}")
    return f"{tag}{len(value):02d}{value}"


def build(fields: Mapping[str, FieldValue]) -> str:
    """Encode ``fields`` (in their order) and append ``6304`` + CRC.

    A template tag (26-51, 62, 64, 80-99) may be given as a mapping of sub-tag to
    value; any tag may be given as its already-encoded string. Tag 63 is added
    here and must not be in ``fields``. Raises ValueError on a bad tag or length.
    """
    parts: list[str] = []
    for tag, value in fields.items():
        if tag == "63":
            raise ValueError("tag 63 (CRC) is computed by build(); do not pass it")
        if isinstance(value, Mapping):
            if tag not in TEMPLATE_TAGS:
                raise ValueError(f"tag {tag} is not a template tag; give its value as a string")
            try:
                inner = "".join(tlv(sub, subvalue) for sub, subvalue in value.items())
            except ValueError as exc:
                raise ValueError(f"in template {tag}: {exc}") from None
            parts.append(tlv(tag, inner))
        else:
            parts.append(tlv(tag, value))
    body = "".join(parts) + "6304"
    return body + crc16(body)


@dataclass
class Decoded:
    """What :func:`decode` read from a payload, and everything wrong with it."""

    valid: bool
    crc_ok: bool
    scheme: str
    fields: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def to_json_dict(self) -> dict[str, Any]:
        """The ``tillqr qr decode`` JSON object."""
        return {
            "valid": self.valid,
            "crc_ok": self.crc_ok,
            "scheme": self.scheme,
            "fields": {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in self.fields.items()},
            "errors": list(self.errors),
        }


def _parse(text: str) -> tuple[list[tuple[str, str, int]], str | None]:
    """Split ``text`` into (tag, value, position) triples; stop at the first structural error."""
    items: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        head = text[pos:pos + 4]
        if len(head) < 4:
            return items, f"truncated at position {pos}: {len(head)} character(s) left, a data object needs at least 4"
        tag, length = head[:2], head[2:]
        if not _TAG.match(tag):
            return items, f"tag {tag!r} at position {pos} is not two digits"
        if not _TAG.match(length):
            return items, f"length {length!r} of tag {tag} at position {pos + 2} is not two digits"
        size = int(length)
        if size == 0:
            return items, f"tag {tag} at position {pos} has length 00 (must be 01..99)"
        start = pos + 4
        if start + size > len(text):
            return items, (f"tag {tag} at position {pos} declares {size} characters "
                           f"but only {len(text) - start} remain")
        items.append((tag, text[start:start + size], pos))
        pos = start + size
    return items, None


def _check_crc(payload: str, errors: list[str]) -> bool:
    tail = payload[-8:]
    if len(payload) < 8 or not tail.startswith("6304"):
        return False
    given = tail[4:]
    if not _HEX4.match(given):
        errors.append(f"CRC {given!r} is not four hex digits")
        return False
    if given != given.upper():
        errors.append(f"CRC must be upper-case hex: {given!r}")
    expected = crc16(payload[:-4])
    if given.upper() != expected:
        errors.append(f"CRC mismatch: payload says {given.upper()}, computed {expected}")
        return False
    return True


def _scheme(fields: Mapping[str, Any]) -> str:
    guids = [str(v.get("00", "")).strip() for t, v in fields.items()
             if t in TEMPLATE_TAGS and "26" <= t <= "51" and isinstance(v, Mapping)]
    lowered = [g.lower() for g in guids]
    if "br.gov.bcb.pix" in lowered:
        return "pix"
    if "sg.paynow" in lowered:
        return "paynow"
    if "hk.com.hkicl" in lowered:
        return "fps"
    if any("upi" in g or "npci" in g for g in lowered):
        return "upi"
    return "emv"


def _check_values(fields: Mapping[str, Any], errors: list[str]) -> None:
    """Format checks of the common top-level values (only those present)."""
    checks = {
        "00": (lambda v: v == "01", "tag 00 (payload format indicator) must be '01'"),
        "01": (lambda v: v in ("11", "12"), "tag 01 (point of initiation) must be '11' or '12'"),
        "52": (lambda v: re.fullmatch(r"\d{4}", v) is not None, "tag 52 (merchant category code) must be 4 digits"),
        "53": (lambda v: re.fullmatch(r"\d{3}", v) is not None, "tag 53 (currency) must be a 3-digit ISO 4217 code"),
        "54": (lambda v: len(v) <= 13 and _AMOUNT.match(v) is not None,
               "tag 54 (amount) must be digits with an optional '.' decimal part, at most 13 characters"),
        "58": (lambda v: re.fullmatch(r"[A-Z]{2}", v) is not None, "tag 58 (country) must be 2 upper-case letters"),
        "59": (lambda v: len(v) <= 25, "tag 59 (merchant name) must be at most 25 characters"),
        "60": (lambda v: len(v) <= 15, "tag 60 (merchant city) must be at most 15 characters"),
    }
    for tag, (ok, message) in checks.items():
        value = fields.get(tag)
        if isinstance(value, str) and not ok(value):
            errors.append(f"{message}, not {value!r}")


def _decode_upi(payload: str) -> Decoded:
    errors: list[str] = []
    _, _, query = payload.partition("?")
    fields: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key in fields:
            errors.append(f"parameter {key!r} appears more than once")
            continue
        fields[key] = value
    if not query:
        errors.append("UPI link has no query parameters")
    pa = fields.get("pa")
    if pa is None:
        errors.append("missing parameter 'pa' (payee address)")
    elif not re.fullmatch(r"[\w.\-]+@[\w.\-]+", pa):
        errors.append(f"parameter 'pa' must be a UPI address like name@bank, not {pa!r}")
    am = fields.get("am")
    if am is not None and not _AMOUNT.match(am):
        errors.append(f"parameter 'am' must be an amount like 12.50, not {am!r}")
    return Decoded(valid=not errors, crc_ok=True, scheme="upi", fields=fields, errors=errors)


def decode(payload: str) -> Decoded:
    """Decode an EMV MPM payload (or a ``upi://pay`` link). Never raises; see the module docstring."""
    if not isinstance(payload, str):
        return Decoded(False, False, "emv", {}, [f"payload must be text, not {type(payload).__name__}"])
    if payload[:9].lower() == "upi://pay":
        return _decode_upi(payload)
    if not payload:
        return Decoded(False, False, "emv", {}, ["empty payload"])
    errors: list[str] = []
    crc_ok = _check_crc(payload, errors)
    items, structural = _parse(payload)
    if structural:
        errors.append(structural)

    fields: dict[str, Any] = {}
    for index, (tag, value, pos) in enumerate(items):
        if tag in fields:
            errors.append(f"tag {tag} at position {pos} appears more than once (first value kept)")
            continue
        if tag in TEMPLATE_TAGS:
            sub_items, sub_error = _parse(value)
            if sub_error:
                errors.append(f"template {tag} is not valid TLV: {sub_error}")
                fields[tag] = value
            else:
                sub: dict[str, str] = {}
                for sub_tag, sub_value, sub_pos in sub_items:
                    if sub_tag in sub:
                        errors.append(f"template {tag}: sub-tag {sub_tag} appears more than once (first value kept)")
                    else:
                        sub[sub_tag] = sub_value
                fields[tag] = sub
        else:
            fields[tag] = value
        if tag == "00" and index != 0:
            errors.append(f"tag 00 (payload format indicator) must be the first field, found at position {pos}")
        if tag == "63":
            if len(value) != 4:
                errors.append(f"tag 63 (CRC) must have length 04, not {len(value):02d}")
            after = len(payload) - (pos + 4 + len(value))
            if index != len(items) - 1 or after:
                errors.append(f"tag 63 (CRC) must be the last field; {after} character(s) follow it")

    if items and items[0][0] != "00":
        errors.append(f"payload must start with tag 00 (payload format indicator), not tag {items[0][0]}")
    _check_values(fields, errors)
    for tag in MANDATORY_TAGS:
        if tag not in fields:
            errors.append(f"missing mandatory tag {tag}")
    if not MERCHANT_ACCOUNT_TAGS & fields.keys():
        errors.append("missing merchant account information (one of tags 02-51)")
    if "63" in fields and not crc_ok and not any("CRC" in e for e in errors):
        errors.append("CRC could not be checked: the payload does not end with 6304 and four hex digits")
    return Decoded(valid=not errors, crc_ok=crc_ok, scheme=_scheme(fields), fields=fields, errors=errors)
