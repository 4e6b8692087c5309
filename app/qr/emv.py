"""EMVCo merchant-presented QR (MPM) payloads: TLV encoding, CRC-16 and a forgiving decoder.

A payload is a string of TLV data objects: a two-digit tag, a two-digit length
(the number of *characters* of the value, 01..99) and the value. Template tags
(26-51 merchant account information, 62 additional data, 64 language template,
80-99 unreserved) hold TLV data objects of their own. The payload starts with
``000201`` and ends with ``6304`` followed by the CRC-16/CCITT-FALSE of
everything before it (``6304`` included, as UTF-8 bytes), as four upper-case hex digits.

:func:`decode` never raises. It reads as much as it can and sorts what departs from the
standard into ``errors`` and ``warnings``; ``valid`` is true when there is no error. The
rule (:mod:`app.qr.findings`): stickers and banking apps in the wild bend the letter of
EMV, and a payload that still reads one way only is valid, with each thing tolerated named
in ``warnings``; only what makes a payload mean nothing or something else is an error.

Errors:

* the text: empty, or not encodable as UTF-8 (lone surrogates);
* structure: a tag or length that is not two digits, length 00, a value running past the
  end, a template whose data objects do not parse, a tag given twice (the first value is
  kept), tag 00 not first, tag 63 not last or not four characters, lengths that can be
  read in more than one way (see below);
* the CRC: missing, not four hex digits, or not the CRC of what precedes it;
* a missing mandatory field: 00, 52, 53, 58, 59, 60, 63 and a merchant account (02-51),
  and the scheme's own account data (the Pix key or location, the PayNow proxy type and
  value, the FPS payee, the UPI address);
* a wrong scheme identifier: a merchant account template (26-51) without a globally
  unique identifier (00), or one that is neither an application identifier (hex) nor a
  reverse domain name, or a near miss of a known scheme's (``br.gov.bcb.pixx``);
* what the money depends on: 00 is ``01``; 53 three digits; 54 and 56 digits with an
  optional ``.``, at most the currency's minor units (ISO 4217, when TillQR knows it), at
  most 13 characters; 55 ``01``-``03`` with 56 or 57 as it asks; 58 two letters; the
  scheme's currency and country; a payee that is not an address (a UPI address, an FPS ID,
  mobile or e-mail, a PayNow mobile that is not a Singapore number).

Warnings (the payload is read anyway):

* text outside printable ASCII in any value (UTF-8 names and cities, emoji, free text in
  template sub-tags), except inside template 64, which is made for it;
* lengths: 59 over 25 characters, 60 over 15, 61 over 10, 62's sub-tags 01-08 over 25;
* formats: 01 not ``11``/``12``, 52 not four digits, 58 in lower case, 62/09, template 64's
  sub-tags, an unreserved template's (80-99) identifier, and the schemes' softer rules
  (:mod:`app.qr.rules`: a proxy without its country code, a Pix txid with punctuation or
  none, an upper-case Pix identifier, a PayNow flag or expiry, ...);
* the CRC in lower-case hex (``crc_ok`` true; ``fields["63"]`` is given in upper case);
* lengths counted in UTF-8 bytes or UTF-16 code units instead of characters. TillQR counts
  characters (so does EMVCo's own example, ``tests/data/qr/published.json``); when a
  payload does not parse that way, :mod:`app.qr.lengths` tries each data object's length
  as characters, UTF-8 bytes or UTF-16 units, and a payload with exactly one complete
  reading is read so, with a warning per object that did not count characters; more than
  one reading is an error.

Other choices:

* ``crc_ok`` means "the payload ends with ``6304`` and four hex digits that equal the CRC
  of what precedes them", compared case-insensitively and independently of whether the
  rest of the structure parses.
* a ``upi://pay?...`` link has no CRC; its query parameters become ``fields``, its payee
  address ``pa`` is required (see :mod:`app.qr.upi` and :func:`app.qr.rules.check_upi_link`),
  and ``crc_ok`` is true (there is no CRC that could fail).
* after a structural error nothing further can be read with certainty, so reading stops
  there; the fields before it are kept, and so is the CRC when the payload still ends with
  ``6304`` and four characters. A template whose declared length is wrong while one other
  length makes everything parse is read through (:func:`_repair`), with an error.
* template values are one level deep: a template's sub-tags map to strings (the
  payment-system templates 50-99 inside tag 62 stay as their TLV text).

:func:`encode` is the inverse of :func:`decode` for payloads without errors or warnings:
``encode(decode(p)) == p``.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.i18n import _
from app.qr import lengths, rules
from app.qr.findings import Findings
from app.qr.tlv import MANDATORY_TAGS, TAG, TEMPLATE_TAGS, repair, split, template_ok
from app.qr.upi import decode_upi_link, encode_upi_link
from app.qr.values import DECIMALS_BY_NUMERIC, check_templates, check_values  # noqa: F401

FieldValue = str | Mapping[str, str]

MERCHANT_ACCOUNT_TAGS: frozenset[str] = frozenset(f"{t:02d}" for t in range(2, 52))
_HEX4 = re.compile(r"^[0-9A-Fa-f]{4}$")


def crc16(data: str) -> str:
    """CRC-16/CCITT-FALSE of the UTF-8 bytes of ``data`` as four upper-case hex digits.

    ``data`` is the payload up to and including ``"6304"``. ``crc16("123456789") == "29B1"``.
    """
    # binascii's CRC-CCITT (XModem polynomial 0x1021, MSB first) started at 0xFFFF is exactly CCITT-FALSE, in C.
    return f"{binascii.crc_hqx(data.encode('utf-8', 'surrogatepass'), 0xFFFF):04X}"


def tlv(tag: str, value: str) -> str:
    """One data object: ``tag`` (two digits) + two-digit length + ``value`` (1..99 characters)."""
    if not isinstance(tag, str) or not TAG.match(tag):
        raise ValueError(f"EMV tag must be two digits, not {tag!r}")
    if not isinstance(value, str):
        raise ValueError(f"value of tag {tag} must be a string, not {type(value).__name__}")
    if not 1 <= len(value) <= 99:
        raise ValueError(
            _("value of tag {tag} must be 1 to 99 characters long, not {length}").format(tag=tag, length=len(value))
        )
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
                raise ValueError(_("in template {tag}: {reason}").format(tag=tag, reason=exc)) from None
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
    #: What was tolerated: the payload departs from the standard but reads one way only.
    warnings: list[str] = field(default_factory=list)

    def to_json_dict(self) -> dict[str, Any]:
        """The ``tillqr qr decode`` JSON object."""
        return {
            "valid": self.valid,
            "crc_ok": self.crc_ok,
            "scheme": self.scheme,
            "fields": {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in self.fields.items()},
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }


def _check_crc(payload: str, found: Findings) -> bool:
    tail = payload[-8:]
    if len(payload) < 8 or not tail.startswith("6304"):
        return False
    given = tail[4:]
    if not _HEX4.fullmatch(given):
        found.error(_("CRC {crc!r} is not four hex digits").format(crc=given))
        return False
    expected = crc16(payload[:-4])
    if given.upper() != expected:
        found.error(
            _("CRC mismatch: payload says {given}, computed {expected}").format(given=given.upper(), expected=expected)
        )
        return False
    if given != given.upper():
        found.warn(
            _("CRC in lower-case hex: {crc!r} (the standard writes {expected})").format(crc=given, expected=expected)
        )
    return True


def _read(payload: str, found: Findings) -> tuple[list[tuple[str, str, int]], dict[int, list[tuple[str, str, int]]]]:
    """The payload's data objects (tag, value, position) and, by position, the data objects of each template
    read otherwise than by plain characters; structural errors, and warnings for what was tolerated, in ``found``."""
    items, structural = split(payload)
    inner: dict[int, list[tuple[str, str, int]]] = {}
    broken = structural or any(t in TEMPLATE_TAGS and not template_ok(v) for t, v, _ in items)
    if broken and not payload.isascii():
        reading, count = lengths.read(payload, TEMPLATE_TAGS)
        if reading is not None:
            for warning in lengths.departures(reading):
                found.warn(warning)
            items = [(i.tag, i.value, i.pos) for i in reading]
            inner = {i.pos: [(s.tag, s.value, s.pos) for s in i.inner] for i in reading if i.tag in TEMPLATE_TAGS}
            return items, inner
        if count > 1:
            found.error(
                _(
                    "the lengths can be read in more than one way (as characters, UTF-8 bytes or UTF-16 units), "
                    "so the fields are not certain"
                )
            )
    repaired = repair(payload, items, structural) if broken else None
    if repaired is not None:
        items, note = repaired
        found.error(note)
        return items, inner
    if structural:
        found.error(structural)
        tail = payload[-8:]
        if len(payload) >= 8 and tail.startswith("6304") and all(tag != "63" for tag, _, _ in items):
            items.append(("63", tail[4:], -1))  # the CRC is still readable at the end (position -1: not parsed)
    return items, inner


def decode(payload: str) -> Decoded:
    """Decode an EMV MPM payload (or a ``upi://pay`` link). Never raises; see the module docstring."""
    if not isinstance(payload, str):
        return Decoded(
            False, False, "emv", {}, [_("payload must be text, not {kind}").format(kind=type(payload).__name__)]
        )
    try:
        payload.encode("utf-8")
    except UnicodeEncodeError as exc:
        return Decoded(
            False,
            False,
            "emv",
            {},
            [
                _("payload is not valid text: undecodable byte(s) at position {pos} (it must be UTF-8)").format(
                    pos=exc.start
                )
            ],
        )
    if payload[:4].lower() == "upi:":
        link_fields, link = decode_upi_link(payload)
        return Decoded(not link.errors, True, "upi", link_fields, link.errors, link.warnings)
    if not payload:
        return Decoded(False, False, "emv", {}, [_("empty payload")])
    found = Findings()
    crc_ok = _check_crc(payload, found)
    crc_said = bool(found.errors)  # the CRC's own error is said: no second one about it
    items, inner = _read(payload, found)
    fields: dict[str, Any] = {}
    for index, (tag, value, pos) in enumerate(items):
        if tag in fields:
            found.error(
                _("tag {tag} at position {pos} appears more than once (first value kept)").format(tag=tag, pos=pos)
            )
            continue
        fields[tag] = _field(tag, value, inner.get(pos), found)
        if tag == "00" and index != 0:
            found.error(
                _("tag 00 (payload format indicator) must be the first field, found at position {pos}").format(pos=pos)
            )
        if tag == "63" and pos >= 0:
            if len(value) != 4:
                found.error(_("tag 63 (CRC) must have length 04, not {length}").format(length=f"{len(value):02d}"))
                crc_said = True
            after = len(payload) - (pos + 4 + len(value))
            if index != len(items) - 1 or after:
                found.error(
                    _("tag 63 (CRC) must be the last field; {after} character(s) follow it").format(after=after)
                )
                crc_said = True
    if crc_ok and isinstance(fields.get("63"), str):  # a lower-case CRC was tolerated (a warning): as written
        fields["63"] = fields["63"].upper()
    if items and items[0][0] != "00":
        found.error(
            _("payload must start with tag 00 (payload format indicator), not tag {tag}").format(tag=items[0][0])
        )
    check_values(fields, found)
    check_templates(fields, found)
    for tag in MANDATORY_TAGS:
        if tag not in fields:
            found.error(_("missing mandatory tag {tag}").format(tag=tag))
    if not MERCHANT_ACCOUNT_TAGS & fields.keys():
        found.error(_("missing merchant account information (one of tags 02-51)"))
    if "63" in fields and not crc_ok and not crc_said:
        found.error(_("CRC could not be checked: the payload does not end with 6304 and four hex digits"))
    scheme = rules.scheme_of(fields)
    rules.check(scheme, fields, found)
    return Decoded(not found.errors, crc_ok, scheme, fields, found.errors, found.warnings)


def _field(tag: str, value: str, inner: list[tuple[str, str, int]] | None, found: Findings) -> FieldValue:
    """A top-level value: a template's sub-tags as a mapping (its raw text when they do not parse), else the text."""
    if tag not in TEMPLATE_TAGS:
        return value
    if inner is None:
        sub_items, sub_error = split(value)
        if sub_error:
            found.error(_("template {tag} is not valid TLV: {reason}").format(tag=tag, reason=sub_error))
            return value
        inner = sub_items
    sub: dict[str, str] = {}
    for sub_tag, sub_value, _sub_pos in inner:
        if sub_tag in sub:
            found.error(
                _("template {tag}: sub-tag {sub} appears more than once (first value kept)").format(
                    tag=tag, sub=sub_tag
                )
            )
        else:
            sub[sub_tag] = sub_value
    return sub


def encode(decoded: Decoded | Mapping[str, Any], scheme: str | None = None) -> str:
    """The payload of decoded ``fields`` again: a ``upi://pay`` link for a UPI link's parameters, else
    EMV TLV with a fresh CRC (tag 63 is recomputed). ``encode(decode(p)) == p`` for every payload
    that decodes without errors. Raises ValueError when the fields cannot be encoded.
    """
    if isinstance(decoded, Decoded):
        fields: Mapping[str, Any] = decoded.fields
        scheme = decoded.scheme
    else:
        fields = decoded
    if scheme == "upi" and fields and not any(TAG.match(k) for k in fields):
        return encode_upi_link(fields)
    return build({k: v for k, v in fields.items() if k != "63"})
