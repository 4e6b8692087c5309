"""Reading TLV whose lengths were counted in UTF-8 bytes or UTF-16 code units instead of characters.

EMV counts a value's length in characters, and so does TillQR (:mod:`app.qr.emv`). Generators written
in languages whose strings are bytes (C, Go, PHP) or UTF-16 (JavaScript, Java, C#) count otherwise as
soon as a value holds a non-ASCII character ("São" is 3 characters, 4 UTF-8 bytes; an emoji outside
the Basic Multilingual Plane is 1 character, 2 UTF-16 units). :func:`read` finds every way of reading a
text in which each data object's length counts one of those measures (each object on its own: mixed
counting is found too) and the whole text, templates included, parses; it gives the reading only when
there is exactly one. The caller tries plain characters first and comes here only when they fail.

Cost: linear in the text (dynamic programming over positions, at most three candidate ends per data
object, templates read the same way inside); :data:`MAX_CHARS` bounds the text it will try.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection
from dataclasses import dataclass

from app.i18n import LazyWords, _, lazy_

#: EMV payloads are at most 512 characters; longer text is not tried (its plain reading's errors stand).
MAX_CHARS = 512

_DIGITS2 = re.compile(r"[0-9][0-9]")


class Measure(enum.Enum):
    """What a data object's length counts."""

    CHARACTERS = "characters"
    UTF8_BYTES = "UTF-8 bytes"
    UTF16_UNITS = "UTF-16 code units"


#: What each measure is called in a warning.
MEASURE_WORDS: LazyWords[Measure] = LazyWords(
    {
        Measure.CHARACTERS: lazy_("characters"),
        Measure.UTF8_BYTES: lazy_("UTF-8 bytes"),
        Measure.UTF16_UNITS: lazy_("UTF-16 code units"),
    }
)


@dataclass(frozen=True)
class Item:
    """One data object of a reading: its tag, value, position (in characters), what its length counted,
    and for a template the data objects inside it."""

    tag: str
    value: str
    pos: int
    measure: Measure
    inner: tuple[Item, ...] = ()


class _Text:
    """A text with its running UTF-8 and UTF-16 sizes, to find where a value of a declared length ends."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.utf8 = [0]
        self.utf16 = [0]
        for c in text:
            code = ord(c)
            self.utf8.append(self.utf8[-1] + (1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4))
            self.utf16.append(self.utf16[-1] + (2 if code > 0xFFFF else 1))
        self.at_utf8 = {size: index for index, size in enumerate(self.utf8)}
        self.at_utf16 = {size: index for index, size in enumerate(self.utf16)}

    def candidates(self, pos: int) -> list[tuple[str, int, Measure]]:
        """(tag, end of value, measure) for every distinct way the data object at ``pos`` can end."""
        text = self.text
        tag, length = text[pos : pos + 2], text[pos + 2 : pos + 4]
        if not (_DIGITS2.fullmatch(tag) and _DIGITS2.fullmatch(length)) or length == "00":
            return []
        size, start = int(length), pos + 4
        ends = [
            (start + size, Measure.CHARACTERS),
            (self.at_utf8.get(self.utf8[start] + size, -1), Measure.UTF8_BYTES),
            (self.at_utf16.get(self.utf16[start] + size, -1), Measure.UTF16_UNITS),
        ]
        seen: set[int] = set()
        found = []
        for end, measure in ends:
            if start < end <= len(text) and end not in seen:
                seen.add(end)
                found.append((tag, end, measure))
        return found


def _ways(text: _Text, templates: Collection[str]) -> list[int]:
    """ways[p]: how many readings the text has from position p to its end (counted up to 2)."""
    n = len(text.text)
    ways = [0] * (n + 1)
    ways[n] = 1
    for pos in range(n - 1, -1, -1):
        total = 0
        for tag, end, _measure in text.candidates(pos):
            count = ways[end]
            if count and tag in templates:
                count *= _ways(_Text(text.text[pos + 4 : end]), ())[0]
            total = min(2, total + count)
        ways[pos] = total
    return ways


def _follow(text: _Text, ways: list[int], templates: Collection[str], offset: int) -> tuple[Item, ...]:
    """The one reading (the caller checked there is exactly one)."""
    items: list[Item] = []
    pos = 0
    while pos < len(text.text):
        for tag, end, measure in text.candidates(pos):
            if not ways[end]:
                continue
            value = text.text[pos + 4 : end]
            inner: tuple[Item, ...] = ()
            if tag in templates:
                sub = _Text(value)
                sub_ways = _ways(sub, ())
                if not sub_ways[0]:
                    continue
                inner = _follow(sub, sub_ways, (), offset + pos + 4)
            items.append(Item(tag, value, offset + pos, measure, inner))
            pos = end
            break
        else:  # pragma: no cover - unreachable when ways[0] == 1
            raise AssertionError("no reading to follow")
    return tuple(items)


def read(text: str, templates: Collection[str]) -> tuple[tuple[Item, ...] | None, int]:
    """The data objects of ``text`` when exactly one reading exists, and how many were found (0, 1 or 2
    meaning "two or more"). ``templates``: the tags whose values are read as data objects too."""
    if len(text) > MAX_CHARS:
        return None, 0
    whole = _Text(text)
    ways = _ways(whole, templates)
    if ways[0] != 1:
        return None, ways[0]
    return _follow(whole, ways, templates, 0), 1


def departures(items: tuple[Item, ...]) -> list[str]:
    """A warning for every data object whose length did not count characters."""
    found = []
    for item in items:
        if item.measure is not Measure.CHARACTERS:
            found.append(
                _(
                    "tag {tag} at position {pos}: its length {length} counts {measure}, not characters "
                    "(read as {count} characters)"
                ).format(
                    tag=item.tag,
                    pos=item.pos,
                    length=_declared(item),
                    measure=MEASURE_WORDS[item.measure],
                    count=len(item.value),
                )
            )
        for sub in item.inner:
            if sub.measure is not Measure.CHARACTERS:
                found.append(
                    _(
                        "template {tag}, sub-tag {sub} at position {pos}: its length {length} counts {measure}, "
                        "not characters (read as {count} characters)"
                    ).format(
                        tag=item.tag,
                        sub=sub.tag,
                        pos=sub.pos,
                        length=_declared(sub),
                        measure=MEASURE_WORDS[sub.measure],
                        count=len(sub.value),
                    )
                )
    return found


def _declared(item: Item) -> str:
    size = {
        Measure.CHARACTERS: len(item.value),
        Measure.UTF8_BYTES: len(item.value.encode("utf-8")),
        Measure.UTF16_UNITS: len(item.value.encode("utf-16-le")) // 2,
    }[item.measure]
    return f"{size:02d}"
