"""Paint a counter sticker (:class:`app.qr.sticker.Sticker`) to PNG or PDF with Qt.

Why Qt: PNG and PDF stickers need text drawn with real fonts and shaped (Devanagari, Chinese);
Qt is TillQR's only dependency that does both, and it embeds the fonts it uses in the PDF. The
layout itself is Qt-free (``app/qr/sticker.py``, which also writes the SVG); this module only
paints it, through :mod:`app.ui.print_paint` (shared with the field agents' bills), so the three
formats show the same card. The command line imports this lazily.

The QR code is painted on whole device pixels, so a PNG scans crisply. Text whose characters no
installed font can draw is replaced by its layout fallback (``FPS 轉數快`` becomes ``FPS``; a
second-language line is left out) and reported, rather than printed as empty boxes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QPageSize, QPainter
from PySide6.QtPrintSupport import QPrinter

from app.i18n import _
from app.qr.sticker import Sticker
from app.ui.print_paint import begin, image, paint, pdf_writer, png_bytes


def _doc_name(sticker: Sticker) -> str:
    """The print job's and the PDF's title."""
    return _("TillQR sticker ({scheme})").format(scheme=sticker.scheme)


def _paint(painter: QPainter, sticker: Sticker, dpi: float) -> list[str]:
    return paint(
        painter,
        dpi,
        (sticker.width, sticker.height),
        boxes=sticker.boxes,
        texts=sticker.texts,
        qrs=[sticker.qr] if sticker.qr is not None else [],
    )


def render_png(sticker: Sticker, path: str | Path | None = None, *, dpi: int = 300) -> tuple[bytes, list[str]]:
    """The sticker as PNG bytes at ``dpi`` (written to ``path`` too when given), and any font warnings."""
    picture = image((sticker.width, sticker.height), dpi)
    painter = QPainter()
    begin(painter, picture, _("cannot paint the sticker"))
    try:
        warnings = _paint(painter, sticker, dpi)
    finally:
        painter.end()
    png = png_bytes(picture)
    if path is not None:
        Path(path).write_bytes(png)
    return png, warnings


def render_pdf(sticker: Sticker, path: str | Path, *, dpi: int = 1200) -> list[str]:
    """Write the sticker as a one-page PDF of its size (vector QR and text, fonts embedded)."""
    target = Path(path)
    size = QPageSize(QSizeF(sticker.width, sticker.height), QPageSize.Unit.Millimeter, "sticker")
    writer = pdf_writer(target, size, dpi, _doc_name(sticker))
    painter = QPainter()
    begin(painter, writer, _("cannot write a PDF at {path}").format(path=target))
    try:
        warnings = _paint(painter, sticker, dpi)
    finally:
        painter.end()
    if not target.exists() or target.stat().st_size == 0:
        raise OSError(_("Qt wrote no PDF at {path}").format(path=target))
    return warnings


def render_printer(sticker: Sticker, printer: QPrinter) -> list[str]:
    """Paint the sticker on ``printer`` (as a print dialog set it up) at its resolution, from the top-left
    corner of its page; a PDF file (the dialog's "Print to file") gets a page the sticker's size."""
    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat:
        size = QPageSize(QSizeF(sticker.width, sticker.height), QPageSize.Unit.Millimeter, "sticker")
        printer.setPageSize(size)
        printer.setPageMargins(QMarginsF(0, 0, 0, 0))
    printer.setDocName(_doc_name(sticker))
    painter = QPainter()
    begin(painter, printer, _("the printer did not start the job"))  # type: ignore[arg-type]  # any paint device
    try:
        return _paint(painter, sticker, printer.resolution())
    finally:
        painter.end()
