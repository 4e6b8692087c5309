"""UPI payment links (``upi://pay?pa=…&pn=…&am=…``): percent-encoding in and out, with every defect named."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote

from app.domain.excerpt import excerpt
from app.i18n import _
from app.qr import rules
from app.qr.findings import Findings

#: Characters a ``upi://pay`` parameter value keeps as they are; everything else is percent-encoded (UTF-8).
_UPI_SAFE = "-._~"
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2}).{0,2}", re.DOTALL)


def encode_upi_link(fields: Mapping[str, str]) -> str:
    """``upi://pay?`` and ``fields`` in their order, each value percent-encoded (UTF-8, space as %20).

    ``@`` is kept as is in ``pa`` (as UPI apps write addresses); every other reserved
    character is encoded, so a value can hold ``&``, ``=``, ``+`` or ``%`` safely.
    """
    parts = []
    for key, value in fields.items():
        safe = _UPI_SAFE + ("@" if key == "pa" else "")
        parts.append(f"{quote(key, safe=_UPI_SAFE)}={quote(value, safe=safe)}")
    return "upi://pay?" + "&".join(parts)


def decode_upi_link(payload: str) -> tuple[dict[str, Any], Findings]:
    """The query parameters of a ``upi://pay`` link as fields, and every defect in words: errors for
    what makes the link mean something else or nothing (prefix, payee, amount, currency, a parameter
    given twice), warnings for what UPI apps read anyway (escapes, unencoded characters, empty pairs)."""
    found = Findings()
    head, sep, query = payload.partition("?")
    if head.lower() != "upi://pay":
        found.error(_("a UPI payment link starts with 'upi://pay?', not {start}").format(start=excerpt(head + sep)))
    fields: dict[str, Any] = {}
    for pair in query.split("&") if query else []:
        if "=" not in pair:
            found.warn(_("parameter {name} has no '=' and value (ignored)").format(name=excerpt(pair)))
            continue
        parsed = parse_qsl(pair, keep_blank_values=True)
        if not parsed or not parsed[0][0]:
            found.warn(_("parameter {name} has no name (ignored)").format(name=excerpt(pair)))
            continue
        key, value = parsed[0]
        raw_key, _eq, raw = pair.partition("=")
        bad = _BAD_ESCAPE.search(raw)
        if bad:
            found.warn(
                _("parameter {name} has a malformed percent-escape {escape!r} (kept as is)").format(
                    name=excerpt(key), escape=bad.group(0)
                )
            )
        unencoded = sorted({c for c in raw_key + raw if c == " " or not " " < c <= "~"})
        if unencoded:
            found.warn(
                _("parameter {name} has characters that must be percent-encoded: {chars}").format(
                    name=excerpt(key), chars=", ".join(repr(c) for c in unencoded)
                )
            )
        if key in fields:
            found.error(_("parameter {name} appears more than once (first value kept)").format(name=excerpt(key)))
            continue
        fields[key] = value
    if not query:
        found.error(_("UPI link has no query parameters"))
    rules.check_upi_link(fields, found)
    return fields, found
