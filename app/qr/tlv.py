"""Reading TLV text (:mod:`app.qr.emv`'s first step): data objects split off a payload or a template's value, and
the repair of one template length a generator counted wrong (the reading with the fewest rule violations wins).
Nothing raises; what is wrong comes back in words."""

from __future__ import annotations

import re
from typing import Any

from app.i18n import _
from app.qr import rules
from app.qr.findings import Findings
from app.qr.values import check_templates, check_values

#: Template tags whose value is itself TLV.
TEMPLATE_TAGS: frozenset[str] = frozenset(
    [f"{t:02d}" for t in range(26, 52)] + ["62", "64"] + [f"{t:02d}" for t in range(80, 100)]
)
#: Tags every MPM payload must carry (plus one merchant account tag 02-51).
MANDATORY_TAGS: tuple[str, ...] = ("00", "52", "53", "58", "59", "60", "63")
TAG = re.compile(r"^[0-9][0-9]$")


def split(text: str) -> tuple[list[tuple[str, str, int]], str | None]:
    """Split ``text`` into (tag, value, position) triples; stop at the first structural error."""
    items: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        head = text[pos : pos + 4]
        if len(head) < 4:
            return items, _(
                "truncated at position {pos}: {left} character(s) left, a data object needs at least 4"
            ).format(pos=pos, left=len(head))
        tag, length = head[:2], head[2:]
        if not TAG.match(tag):
            return items, _("tag {tag!r} at position {pos} is not two digits").format(tag=tag, pos=pos)
        if not TAG.match(length):
            return items, _("length {length!r} of tag {tag} at position {pos} is not two digits").format(
                length=length, tag=tag, pos=pos + 2
            )
        size = int(length)
        if size == 0:
            return items, _("tag {tag} at position {pos} has length 00 (must be 01..99)").format(tag=tag, pos=pos)
        start = pos + 4
        if start + size > len(text):
            return items, _("tag {tag} at position {pos} declares {size} characters but only {left} remain").format(
                tag=tag, pos=pos, size=size, left=len(text) - start
            )
        items.append((tag, text[start : start + size], pos))
        pos = start + size
    return items, None


def template_ok(value: str) -> bool:
    sub, error = split(value)
    return error is None and len({t for t, _, _ in sub}) == len(sub)


def repair(
    payload: str, items: list[tuple[str, str, int]], structural: str | None
) -> tuple[list[tuple[str, str, int]], str] | None:
    """Find the one wrong template length that, corrected, makes the whole payload parse.

    Generators that count a template's length wrong (a real library bug) leave everything after
    it unreadable or misread. The candidates are the templates whose own data objects do not
    parse, and, after a structural error, every template before it. A corrected length counts
    when the template's data objects then end exactly there and the rest of the payload parses
    cleanly up to a final tag 63; of those, the reading with the fewest rule violations wins
    (then the one nearest the declared length). None when no single correction works.
    """
    best: tuple[tuple[int, int], int, list[tuple[str, str, int]], str] | None = None
    for index, (tag, value, pos) in enumerate(items):
        if tag not in TEMPLATE_TAGS or (template_ok(value) and structural is None):
            continue
        start = pos + 4
        for size in range(1, 100):
            if size == len(value) or start + size > len(payload) or not template_ok(payload[start : start + size]):
                continue
            rest, error = split(payload[start + size :])
            if error is not None or not rest or rest[-1][0] != "63":
                continue
            if not all(template_ok(v) for t, v, _ in rest if t in TEMPLATE_TAGS):
                continue
            fixed = items[:index] + [(tag, payload[start : start + size], pos)]
            fixed += [(t, v, p + start + size) for t, v, p in rest]
            score = (violations(fixed), abs(size - len(value)))
            if best is None or score < best[:2]:
                note = _(
                    "tag {tag} at position {pos} declares length {length}, but its data objects take {size} "
                    "characters; read as {size} (the fields after it depend on this)"
                ).format(tag=tag, pos=pos, length=f"{len(value):02d}", size=size)
                best = (*score, fixed, note)
    return None if best is None else (best[2], best[3])


def violations(items: list[tuple[str, str, int]]) -> tuple[int, int]:
    """How many errors and warnings a reading of the payload has (for choosing between readings)."""
    fields: dict[str, Any] = {}
    duplicates = 0
    for tag, value, _pos in items:
        if tag in fields:
            duplicates += 1
            continue
        fields[tag] = {t: v for t, v, _ in split(value)[0]} if tag in TEMPLATE_TAGS else value
    found = Findings()
    check_values(fields, found)
    check_templates(fields, found)
    rules.check(rules.scheme_of(fields), fields, found)
    missing = sum(1 for t in MANDATORY_TAGS if t not in fields)
    return len(found.errors) + duplicates + missing, len(found.warnings)
