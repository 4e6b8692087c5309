"""The pieces of a printed page, in millimetres, that the counter sticker (:mod:`app.qr.sticker`) and the
field agents' bills (:mod:`app.fieldwork.billsheet`) are both made of. Qt-free.

A layout is a list of :class:`Box` (filled, or outlined when ``stroke`` is set), :class:`Line`, :class:`Text`
and :class:`QrBlock`; :mod:`app.ui.print_paint` paints any such list with Qt (real fonts, the QR on whole
device pixels). Text widths are *estimated* here (no fonts without Qt): :func:`em_width` errs on the wide
side, so a line that :func:`fit`, :func:`elide` or :func:`wrap` says fits does fit once drawn, and the
painter shrinks the rare line whose real font is wider still.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass

from app.i18n import _
from app.qr import emv
from app.qr.render import QrMatrix

#: The families TillQR bundles (resources/fonts/, loaded by app.ui.fonts): Noto Sans first, Noto Sans Devanagari
#: for what it lacks. Printed text and the GUI use them, so output does not depend on the host's fonts.
BUNDLED_FAMILIES = ("Noto Sans", "Noto Sans Devanagari")
#: Printed text: the bundled families, then the host's for scripts they do not cover (Chinese: Noto Sans CJK).
FONT_FAMILIES = (*BUNDLED_FAMILIES, "Noto Sans CJK TC", "DejaVu Sans", "Arial", "sans-serif")
ELLIPSIS = "…"
_ROUNDING = 1e-6  # mm


class Align(enum.Enum):
    """Where a :class:`Text`'s ``x`` is: the middle of the line, or its left end."""

    CENTER = "center"
    LEFT = "left"


@dataclass(frozen=True)
class Box:
    """A rectangle: filled with ``color``, or outlined in it with a pen ``stroke`` mm wide when ``stroke`` > 0."""

    x: float
    y: float
    w: float
    h: float
    color: str
    stroke: float = 0.0


@dataclass(frozen=True)
class Line:
    """A straight line ``width`` mm wide; ``dashed`` for a cut line."""

    x1: float
    y1: float
    x2: float
    y2: float
    color: str = "#000000"
    width: float = 0.2
    dashed: bool = False


@dataclass(frozen=True)
class Text:
    """One line; ``y`` is the baseline; ``size`` the em size; all in mm. ``x`` is the middle of the line
    (``align`` CENTER) or its left end (LEFT). ``width``: the room the line has (None: no limit); a line the
    real font draws wider is shrunk to it.

    ``fallback`` is what to print instead when no font on the machine can draw every character
    (``""``: leave the line out); None: print it anyway.
    """

    text: str
    x: float
    y: float
    size: float
    color: str = "#000000"
    bold: bool = False
    role: str = ""
    fallback: str | None = None
    width: float | None = None
    align: Align = Align.CENTER

    @property
    def left(self) -> float:
        """Where the line's room starts (its middle minus half the room when centred)."""
        return self.x - (self.width or 0.0) / 2 if self.align is Align.CENTER else self.x


@dataclass(frozen=True)
class QrBlock:
    """The QR code: ``size`` mm square including a quiet zone of ``border`` modules on each side."""

    x: float
    y: float
    size: float
    matrix: QrMatrix
    border: int = 4

    @property
    def modules(self) -> int:
        return len(self.matrix) + 2 * self.border


def em_width(text: str, bold: bool = False) -> float:
    """A generous estimate of ``text``'s width in ems (no font to measure with here)."""
    total = 0.0
    for c in text:
        if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf"):
            continue
        if unicodedata.east_asian_width(c) in ("W", "F"):
            total += 1.0
        elif c == " ":
            total += 0.32
        elif c.isupper() or c.isdigit():
            total += 0.72 if bold else 0.66
        else:
            total += 0.62 if bold else 0.56
    return total


def fit(text: str, size: float, max_width: float, bold: bool = False) -> float:
    """``size``, or smaller so that ``text`` fits in ``max_width`` (never below a third of it)."""
    width = em_width(text, bold) * size
    return size if width <= max_width else max(size / 3, size * max_width / width)


def elide(text: str, size: float, max_width: float, bold: bool = False) -> str:
    """``text``, or as much of it as fits in ``max_width`` followed by "…"."""
    max_width += _ROUNDING  # a size :func:`fit` chose for exactly this width fits
    if em_width(text, bold) * size <= max_width:
        return text
    cut = len(text)
    while cut > 0 and em_width(text[:cut].rstrip() + ELLIPSIS, bold) * size > max_width:
        cut -= 1
    return text[:cut].rstrip() + ELLIPSIS if cut else ""


def wrap(text: str, size: float, max_width: float, max_lines: int, bold: bool = False) -> list[str]:
    """``text`` broken at spaces into at most ``max_lines`` lines that fit in ``max_width`` (a word longer
    than a line is broken inside); what does not fit on the last line is elided with "…"."""
    words = text.split()
    max_width += _ROUNDING
    lines: list[str] = []
    while words and len(lines) < max_lines:
        if len(lines) == max_lines - 1:
            lines.append(elide(" ".join(words), size, max_width, bold))
            break
        line = words.pop(0)
        while em_width(line, bold) * size > max_width:  # a word wider than the line: break it
            cut = len(line) - 1
            while cut > 1 and em_width(line[:cut], bold) * size > max_width:
                cut -= 1
            words.insert(0, line[cut:])
            line = line[:cut]
            if cut <= 1:
                break
        while words and em_width(f"{line} {words[0]}", bold) * size <= max_width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    return lines


def printable(payload: str, what: str) -> emv.Decoded:
    """``payload`` decoded; ValueError naming ``what`` ("a sticker", "bill B-17") when it has errors:
    what a customer scans must be what the store meant to charge. Warnings (what was tolerated, e.g. a
    UTF-8 city the store typed) do not stop printing: the payload still reads one way only; they are in
    the result's ``warnings`` for the caller to show."""
    decoded = emv.decode(payload)
    if not decoded.valid:
        raise ValueError(
            _("refusing to print {what} for a payload with errors: {errors}").format(
                what=what, errors="; ".join(decoded.errors)
            )
        )
    return decoded
