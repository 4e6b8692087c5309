"""Painting a printed layout (:mod:`app.qr.printlayout`: boxes, lines, texts, QR blocks in mm) with Qt, for
the counter sticker (:mod:`app.ui.sticker_render`) and the field agents' bills (:mod:`app.ui.bill_render`).

Why Qt: text drawn with real fonts and shaped (Devanagari, Chinese), and the fonts embedded in a PDF; Qt is
TillQR's only dependency that does both. The QR code is painted on whole device pixels (the module size is
rounded down to a whole number of pixels and the code re-centred), one rectangle a run of dark modules, so a
PNG scans crisply and a PDF has no seams. Text whose characters no installed font can draw is replaced by
its layout fallback and reported in ``warnings``, rather than printed as empty boxes.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QLineF, QMarginsF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QGuiApplication,
    QImage,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
)

from app.i18n import _
from app.qr.printlayout import FONT_FAMILIES, Align, Box, Line, QrBlock, Text
from app.qr.render import QrMatrix, dark_runs

from .fonts import load_bundled_fonts

_app: QGuiApplication | None = None


def ensure_app() -> None:
    """Fonts need a QGuiApplication; the command line has none, so make an offscreen one."""
    global _app
    if QGuiApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        # Qt logs a line per font when a script has no OpenType shaping font; the warnings we
        # return say it once, in words.
        os.environ.setdefault("QT_LOGGING_RULES", "qt.text.font.db=false")
        _app = QGuiApplication([])
    load_bundled_fonts()  # once: the fonts TillQR brings, so no text prints as boxes on a bare machine


_has_glyph: dict[int, bool] = {}


def _installed_glyph(codepoint: int) -> bool:
    """Whether any installed font family has a glyph for ``codepoint`` (cached)."""
    if codepoint not in _has_glyph:
        found = False
        for family in QFontDatabase.families():
            if QFontMetrics(QFont(family)).inFontUcs4(codepoint):
                found = True
                break
        _has_glyph[codepoint] = found
    return _has_glyph[codepoint]


def drawable(text: str) -> bool:
    """Whether some installed font has a glyph for every visible character of ``text``.

    (Qt's own fallback draws a missing character as an empty box without telling, so ask the
    font database character by character.)
    """
    return all(
        _installed_glyph(ord(c)) for c in text if not c.isspace() and unicodedata.category(c) not in ("Mn", "Mc", "Cf")
    )


def paint_modules(painter: QPainter, matrix: QrMatrix, left: int, top: int, module: int) -> None:
    """The dark modules of ``matrix`` from (``left``, ``top``), the first module's corner, ``module`` pixels
    a side: one rectangle a run (fewer paint calls, no seams between modules)."""
    black = QColor("#000000")
    for r, row in enumerate(matrix):
        y = top + r * module
        for start, end in dark_runs(row):
            painter.fillRect(left + start * module, y, (end - start) * module, module, black)


def _paint_qr(painter: QPainter, qr: QrBlock, scale: float) -> None:
    module = max(1, int(qr.size * scale // qr.modules))
    side = module * qr.modules
    x0 = round((qr.x + qr.size / 2) * scale - side / 2)
    y0 = round((qr.y + qr.size / 2) * scale - side / 2)
    painter.fillRect(x0, y0, side, side, QColor("#FFFFFF"))
    paint_modules(painter, qr.matrix, x0 + qr.border * module, y0 + qr.border * module, module)


def _content(t: Text, warnings: list[str]) -> str:
    if drawable(t.text):
        return t.text
    if t.fallback is None:
        warnings.append(
            _(
                "no installed font can draw every character of {text!r}; install one (e.g. Noto Sans CJK or "
                "Noto Sans Devanagari) for a clean print"
            ).format(text=t.text)
        )
        return t.text
    warnings.append(
        _("no installed font can draw {text!r}; printed {fallback!r} instead").format(text=t.text, fallback=t.fallback)
        if t.fallback
        else _("no installed font can draw {text!r}; left it out").format(text=t.text)
    )
    return t.fallback


def _paint_text(painter: QPainter, t: Text, scale: float, room_mm: float, warnings: list[str]) -> None:
    content = _content(t, warnings)
    if not content:
        return
    font = QFont()
    font.setFamilies(list(FONT_FAMILIES))
    font.setPixelSize(max(1, round(t.size * scale)))
    font.setBold(t.bold)
    room = (t.width if t.width is not None else room_mm) * scale
    measured = QFontMetrics(font).horizontalAdvance(content)
    if measured > room:  # the layout's estimate was short for this font: shrink to fit
        font.setPixelSize(max(1, int(font.pixelSize() * room / measured)))
    painter.setFont(font)
    painter.setPen(QColor(t.color))
    ascent = painter.fontMetrics().ascent()
    left = t.x * scale - room / 2 if t.align is Align.CENTER else t.x * scale
    horizontal = Qt.AlignmentFlag.AlignHCenter if t.align is Align.CENTER else Qt.AlignmentFlag.AlignLeft
    box = QRectF(left, t.y * scale - ascent, room, font.pixelSize() * 2)
    painter.drawText(box, int(horizontal | Qt.AlignmentFlag.AlignTop), content)


def paint(
    painter: QPainter,
    dpi: float,
    size_mm: tuple[float, float],
    *,
    boxes: Iterable[Box] = (),
    lines: Iterable[Line] = (),
    texts: Iterable[Text] = (),
    qrs: Iterable[QrBlock] = (),
) -> list[str]:
    """A white page of ``size_mm`` with the boxes, lines, QR codes and texts (in that order) painted at
    ``dpi``; the font warnings. A text without a ``width`` may use the page's width."""
    scale = dpi / 25.4  # device pixels a millimetre
    width, height = size_mm
    painter.fillRect(QRectF(0, 0, width * scale, height * scale), QColor("#FFFFFF"))
    for b in boxes:
        rect = QRectF(b.x * scale, b.y * scale, b.w * scale, b.h * scale)
        if b.stroke > 0:
            painter.setPen(QPen(QColor(b.color), b.stroke * scale))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect)
        else:
            painter.fillRect(rect, QColor(b.color))
    for line in lines:
        pen = QPen(QColor(line.color), line.width * scale)
        if line.dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawLine(QLineF(line.x1 * scale, line.y1 * scale, line.x2 * scale, line.y2 * scale))
    for qr in qrs:
        _paint_qr(painter, qr, scale)
    warnings: list[str] = []
    for t in texts:
        _paint_text(painter, t, scale, width, warnings)
    return warnings


def image(size_mm: tuple[float, float], dpi: int) -> QImage:
    """A blank RGB image of ``size_mm`` at ``dpi`` (its resolution recorded in it)."""
    ensure_app()
    scale = dpi / 25.4
    out = QImage(round(size_mm[0] * scale), round(size_mm[1] * scale), QImage.Format.Format_RGB32)
    out.setDotsPerMeterX(round(dpi / 0.0254))
    out.setDotsPerMeterY(round(dpi / 0.0254))
    return out


def begin(painter: QPainter, device: QImage | QPdfWriter, failure: str) -> None:
    """``painter.begin(device)`` with text antialiasing; OSError(``failure``) when Qt cannot."""
    if not painter.begin(device):
        raise OSError(failure)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)


def png_bytes(picture: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not picture.save(buffer, "PNG"):  # type: ignore[call-overload]  # the stub says bytes; PySide6 takes str only
        raise OSError(_("Qt could not encode the image as PNG"))
    return bytes(data.data())


def pdf_writer(path: Path, page: QPageSize, dpi: int, title: str) -> QPdfWriter:
    """A QPdfWriter for ``path``: pages of ``page`` size without margins, ``dpi`` device pixels an inch."""
    ensure_app()
    writer = QPdfWriter(str(path))
    writer.setTitle(title)
    writer.setCreator("TillQR")
    writer.setResolution(dpi)
    writer.setPageSize(page)
    writer.setPageMargins(QMarginsF(0, 0, 0, 0))
    return writer
