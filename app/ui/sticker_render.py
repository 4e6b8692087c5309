"""Paint a counter sticker (:class:`app.qr.sticker.Sticker`) to PNG or PDF with Qt.

Why Qt: PNG and PDF stickers need text drawn with real fonts and shaped (Devanagari, Chinese);
Qt is TillQR's only dependency that does both, and it embeds the fonts it uses in the PDF. The
layout itself is Qt-free (``app/qr/sticker.py``, which also writes the SVG); this module only
paints it, so the three formats show the same card. The command line imports this lazily.

The QR code is painted module by module on whole device pixels (the module size is rounded down
to a whole number of pixels and the code re-centred), so a PNG scans crisply. Text whose
characters no installed font can draw is replaced by its layout fallback (``FPS 轉數快`` becomes
``FPS``; a second-language line is left out) and reported, rather than printed as empty boxes.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF, Qt
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
)

from app.qr.sticker import FONT_FAMILIES, MARGIN_MM, Sticker, Text

_app: QGuiApplication | None = None


def _ensure_app() -> None:
    """Fonts need a QGuiApplication; the command line has none, so make an offscreen one."""
    global _app
    if QGuiApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        # Qt logs a line per font when a script has no OpenType shaping font; the warnings we
        # return say it once, in words.
        os.environ.setdefault("QT_LOGGING_RULES", "qt.text.font.db=false")
        _app = QGuiApplication([])


def _font(text: Text, px: float) -> QFont:
    font = QFont()
    font.setFamilies(list(FONT_FAMILIES))
    font.setPixelSize(max(1, round(px)))
    font.setBold(text.bold)
    return font


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


def _paint(painter: QPainter, sticker: Sticker, dpi: float, warnings: list[str]) -> None:
    scale = dpi / 25.4  # device pixels a millimetre
    painter.fillRect(QRectF(0, 0, sticker.width * scale, sticker.height * scale), QColor("#FFFFFF"))
    for b in sticker.boxes:
        painter.fillRect(QRectF(b.x * scale, b.y * scale, b.w * scale, b.h * scale), QColor(b.color))
    qr = sticker.qr
    if qr is not None:
        module = max(1, int(qr.size * scale // qr.modules))
        side = module * qr.modules
        x0 = round((qr.x + qr.size / 2) * scale - side / 2)
        y0 = round((qr.y + qr.size / 2) * scale - side / 2)
        painter.fillRect(x0, y0, side, side, QColor("#FFFFFF"))
        black = QColor("#000000")
        for r, row in enumerate(qr.matrix):
            for c, dark in enumerate(row):
                if dark:
                    painter.fillRect(
                        x0 + (c + qr.border) * module, y0 + (r + qr.border) * module, module, module, black
                    )
    for t in sticker.texts:
        font = _font(t, t.size * scale)
        content = t.text
        if not drawable(content):
            if t.fallback is not None:
                warnings.append(
                    f"no installed font can draw {t.text!r}; printed {t.fallback!r} instead"
                    if t.fallback
                    else f"no installed font can draw {t.text!r}; left it out"
                )
                content = t.fallback
            else:
                warnings.append(
                    f"no installed font can draw every character of {t.text!r}; install one "
                    f"(e.g. Noto Sans CJK or Noto Sans Devanagari) for a clean print"
                )
        if not content:
            continue
        width = sticker.width * scale
        room = width - 2 * MARGIN_MM * scale
        measured = QFontMetrics(font).horizontalAdvance(content)
        if measured > room:  # the layout's estimate was short for this font: shrink to fit
            font.setPixelSize(max(1, int(font.pixelSize() * room / measured)))
        painter.setFont(font)
        painter.setPen(QColor(t.color))
        ascent = painter.fontMetrics().ascent()
        box = QRectF(0, t.y * scale - ascent, width, font.pixelSize() * 2)
        painter.drawText(box, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop), content)


def render_png(sticker: Sticker, path: str | Path | None = None, *, dpi: int = 300) -> tuple[bytes, list[str]]:
    """The sticker as PNG bytes at ``dpi`` (written to ``path`` too when given), and any font warnings."""
    _ensure_app()
    scale = dpi / 25.4
    image = QImage(round(sticker.width * scale), round(sticker.height * scale), QImage.Format.Format_RGB32)
    image.setDotsPerMeterX(round(dpi / 0.0254))
    image.setDotsPerMeterY(round(dpi / 0.0254))
    warnings: list[str] = []
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    try:
        _paint(painter, sticker, dpi, warnings)
    finally:
        painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]  # the stub says bytes; PySide6 takes str only
        raise OSError("Qt could not encode the sticker as PNG")
    png = bytes(data.data())
    if path is not None:
        Path(path).write_bytes(png)
    return png, warnings


def render_pdf(sticker: Sticker, path: str | Path, *, dpi: int = 1200) -> list[str]:
    """Write the sticker as a one-page PDF of its size (vector QR and text, fonts embedded)."""
    _ensure_app()
    target = Path(path)
    writer = QPdfWriter(str(target))
    writer.setTitle(f"TillQR sticker ({sticker.scheme})")
    writer.setCreator("TillQR")
    writer.setResolution(dpi)
    writer.setPageSize(QPageSize(QSizeF(sticker.width, sticker.height), QPageSize.Unit.Millimeter, "sticker"))
    writer.setPageMargins(QMarginsF(0, 0, 0, 0))
    warnings: list[str] = []
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"cannot write a PDF at {target}")
    try:
        _paint(painter, sticker, dpi, warnings)
    finally:
        painter.end()
    if not target.exists() or target.stat().st_size == 0:
        raise OSError(f"Qt wrote no PDF at {target}")
    return warnings
