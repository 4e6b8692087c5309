"""LazyQtPainter: app.receipts.desk.Painter that loads Qt's printing (app/ui/receipt_render.py, QtPrintSupport)
only when a receipt is painted, so neither the counter's start nor ``tillqr journal receipt`` (text, ESC/POS)
pays for it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class LazyQtPainter:
    def pdf(self, lines: Sequence[str], path: Path, width_mm: int, title: str) -> None:
        from app.ui.receipt_render import write_pdf  # lazy: Qt's PDF painting only when one is written

        write_pdf(lines, path, width_mm, title)

    def system(self, lines: Sequence[str], printer_name: str, width_mm: int, title: str) -> str:
        from app.ui.receipt_render import QtPainter  # lazy: QtPrintSupport only when a printer is used

        return QtPainter().system(lines, printer_name, width_mm, title)
