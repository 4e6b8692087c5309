"""Receipt lines (app.receipts.layout: plain text, one layout for every output) painted with Qt in a monospaced
font: to PDF (QPdfWriter, as the sticker and the bills: app/ui/print_paint.py), to a system printer (QPrinter)
and to an image (the screenshot, the screen's preview).

The page of a PDF is the paper roll: ``width_mm`` wide, as long as the lines need. On a system printer's page
(A4, Letter, a roll) the lines are painted from the top-left corner of the printable area, in a column as wide
as the roll would be, so a receipt looks the same on any printer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QPointF, QSizeF
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetricsF, QImage, QPageSize, QPaintDevice, QPainter
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from app.i18n import _
from app.qr.printlayout import BUNDLED_FAMILIES
from app.receipts.escpos_out import PrintFailed
from app.receipts.layout import cells

from .print_paint import begin, ensure_app, image, pdf_writer

MARGIN_MM = 3.0
LINE_SPACING = 1.15  # line height, in font heights
# monospaced (the receipt's columns are padded with spaces), then the bundled families (app.ui.fonts) for the
# characters a monospaced font lacks (Devanagari, ₹): no box on a bare machine
MONO_FAMILIES = ("DejaVu Sans Mono", "Liberation Mono", "Noto Sans Mono", "Courier New", *BUNDLED_FAMILIES, "monospace")


def _font() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setFamilies(list(MONO_FAMILIES))
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


def _fitted(lines: Sequence[str], room_px: float) -> QFont:
    """The monospaced font whose widest line (at least 32 characters) just fills ``room_px``."""
    font = _font()
    font.setPixelSize(100)
    chars = max([32, *(len(line) for line in lines)])
    advance = QFontMetricsF(font).horizontalAdvance("M" * chars)
    font.setPixelSize(max(1, int(100 * room_px / advance)))
    return font


def height_mm(lines: Sequence[str], width_mm: int) -> float:
    """The paper a receipt of ``lines`` takes on a roll ``width_mm`` wide."""
    ensure_app()
    font = _fitted(lines, 1000.0)  # measured at 1000 px for the printable width, scaled to mm
    line_px = QFontMetricsF(font).height() * LINE_SPACING
    room_mm = width_mm - 2 * MARGIN_MM
    return 2 * MARGIN_MM + len(lines) * line_px * room_mm / 1000.0


def paint_lines(painter: QPainter, lines: Sequence[str], dpi: float, width_mm: float, *, left_mm: float = 0.0) -> None:
    """``lines`` in black, from (``left_mm`` + margin, margin), filling a column ``width_mm`` wide."""
    scale = dpi / 25.4
    room = (width_mm - 2 * MARGIN_MM) * scale
    font = _fitted(lines, room)
    painter.setFont(font)
    painter.setPen(QColor("#000000"))
    metrics = QFontMetricsF(font)
    step = metrics.height() * LINE_SPACING
    x, y = (left_mm + MARGIN_MM) * scale, MARGIN_MM * scale + metrics.ascent()
    cell = metrics.horizontalAdvance("M")
    for line in lines:
        for left, run in _placed(line, metrics, cell):
            painter.drawText(QPointF(x + left, y), run)
        y += step


_RUN = re.compile(r"\S+(?: \S+)*")  # a column's text: words apart by single spaces; columns apart by two or more


def _placed(line: str, metrics: QFontMetricsF, cell: float) -> list[tuple[float, str]]:
    """Where each column of ``line`` starts, in px. The layout pads columns with spaces counted in cells
    (``app.receipts.layout.cells``); a script the monospaced font lacks (Devanagari, drawn in the bundled
    proportional family) is not one cell a character, so each column is placed by its cells instead: the
    last of several ends where its cells end (amounts stay right-aligned), a lone indented one is centred
    on its cells, the others start where theirs start."""
    if line.isascii():
        return [(0.0, line)]
    runs = [(cells(line[: m.start()]), m.group()) for m in _RUN.finditer(line)]
    out = []
    for i, (start, run) in enumerate(runs):
        end, natural = start + cells(run), metrics.horizontalAdvance(run)
        if start and i == len(runs) - 1 and len(runs) > 1:
            out.append((end * cell - natural, run))
        elif start and len(runs) == 1:
            out.append(((start + end) * cell / 2 - natural / 2, run))
        else:
            out.append((start * cell, run))
    return out


def _paint_page(device: QPaintDevice, lines: Sequence[str], dpi: float, width_mm: float, failure: str) -> None:
    painter = QPainter()
    begin(painter, device, failure)  # type: ignore[arg-type]  # any paint device: an image, a PDF, a printer
    try:
        if isinstance(device, QImage):
            device.fill(QColor("#FFFFFF"))
        paint_lines(painter, lines, dpi, width_mm)
    finally:
        painter.end()


def write_pdf(lines: Sequence[str], path: Path, width_mm: int, title: str, *, dpi: int = 600) -> None:
    """``lines`` as a one-page PDF the size of the receipt (text kept as text, the font embedded)."""
    size = QPageSize(QSizeF(width_mm, height_mm(lines, width_mm)), QPageSize.Unit.Millimeter, "receipt")
    writer = pdf_writer(path, size, dpi, f"TillQR {title}")
    _paint_page(writer, lines, dpi, width_mm, _("cannot write a PDF at {path}").format(path=path))
    if not path.exists() or path.stat().st_size == 0:
        raise OSError(_("no PDF was written at {path}").format(path=path))


def render_image(lines: Sequence[str], width_mm: int, *, dpi: int = 203) -> QImage:
    """``lines`` as a white image the size of the receipt (203 dpi: a thermal printer's dots)."""
    picture = image((width_mm, height_mm(lines, width_mm)), dpi)
    _paint_page(picture, lines, dpi, width_mm, _("cannot paint the receipt"))
    return picture


def print_on(printer: QPrinter, lines: Sequence[str], width_mm: int) -> None:
    """``lines`` on ``printer`` (set up by the caller, or by a print dialog), in a column ``width_mm`` wide."""
    _paint_page(printer, lines, printer.resolution(), width_mm, _("the printer did not start the job"))


class QtPainter:
    """app.receipts.desk.Painter with Qt: PDF files and the system's printers."""

    def pdf(self, lines: Sequence[str], path: Path, width_mm: int, title: str) -> None:
        write_pdf(lines, path, width_mm, title)

    def system(self, lines: Sequence[str], printer_name: str, width_mm: int, title: str) -> str:
        ensure_app()
        info = QPrinterInfo.printerInfo(printer_name) if printer_name else QPrinterInfo.defaultPrinter()
        if info.isNull():
            raise PrintFailed(
                _("there is no printer named {printer} on this computer").format(printer=repr(printer_name))
                if printer_name
                else _("this computer has no default printer")
            )
        printer = QPrinter(info)
        printer.setDocName(f"TillQR {title}")
        try:
            print_on(printer, lines, width_mm)
        except OSError as exc:
            raise PrintFailed(
                _("the printer {printer} did not take the receipt: {reason}").format(
                    printer=info.printerName(), reason=exc
                )
            ) from exc
        return info.printerName()
