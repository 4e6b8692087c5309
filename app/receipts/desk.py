"""ReceiptDesk: prints a sale's receipt, or any laid-out lines (the shift report), where ``[printer]`` says
(Qt-free; the GUI and ``tillqr journal receipt|shift`` both use it).

ESC/POS goes through :mod:`app.receipts.escpos_out` on a worker thread (a device write or a socket may
block); PDF and a system printer are painted by Qt, which this layer does not import: the caller hands a
:class:`Painter` (``app/ui/receipt_render.py``'s ``QtPainter``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from app.config.settings import Settings
from app.i18n import LazyText, _, lazy_
from app.storage.journal import Journal

from . import escpos_out
from .escpos_out import PrintFailed
from .layout import Receipt, receipt_lines, receipt_of
from .printer import PrinterConfig, PrinterKind, effective_kind, escpos_target, pdf_folder

__all__ = ["Painter", "PrintFailed", "Printout", "ReceiptDesk"]


class Printout(StrEnum):
    """What is printed (``print_lines``' ``what``; the plain "Shift report" is the same)."""

    RECEIPT = "Receipt"
    REPORT = "Shift report"


# what was done, in words: (on the receipt printer, on a system printer, saved as a PDF)
DONE: dict[Printout, tuple[LazyText, LazyText, LazyText]] = {
    Printout.RECEIPT: (
        lazy_("Receipt printed on the receipt printer ({printer})"),
        lazy_("Receipt sent to the printer {printer}"),
        lazy_("Receipt saved as {path}"),
    ),
    Printout.REPORT: (
        lazy_("Shift report printed on the receipt printer ({printer})"),
        lazy_("Shift report sent to the printer {printer}"),
        lazy_("Shift report saved as {path}"),
    ),
}


class Painter(Protocol):
    """Paints lines in a monospaced font: to a PDF file, or to a system printer (``""``: the default one)."""

    def pdf(self, lines: Sequence[str], path: Path, width_mm: int, title: str) -> None: ...

    def system(self, lines: Sequence[str], printer_name: str, width_mm: int, title: str) -> str: ...


@dataclass
class ReceiptDesk:
    journal: Journal
    store_name: str
    store_city: str
    printer: PrinterConfig
    painter: Painter
    data_dir: Path
    demo: bool = False
    tz: tzinfo | None = None

    @classmethod
    def for_settings(
        cls, settings: Settings, journal: Journal, painter: Painter, data_dir: Path, *, demo: bool
    ) -> ReceiptDesk:
        """The desk of a till with ``settings`` (its store and ``[printer]``)."""
        printer = PrinterConfig(PrinterKind(settings.printer_kind), settings.printer_width_mm, settings.printer_target)
        return cls(journal, settings.store_name, settings.store_city, printer, painter, data_dir, demo)

    @property
    def kind(self) -> PrinterKind:
        """Where a receipt goes now (a demo with no printer: PDF)."""
        return effective_kind(self.printer, demo=self.demo)

    @property
    def can_print(self) -> bool:
        """Whether the counter offers to print (a printer, or PDF, is set up)."""
        return self.kind is not PrinterKind.NONE

    async def receipt(self, sale_id: str) -> Receipt:
        """The receipt of the sale ``sale_id`` (its whole id, or the short one a receipt shows, if unique)."""
        sale = await self.journal.get(sale_id)
        if sale is None and len(sale_id) >= 6:
            matches = [s for s in await self.journal.list_sales(limit=None) if s.sale_id.startswith(sale_id)]
            sale = matches[0] if len(matches) == 1 else None
        if sale is None:
            raise PrintFailed(_("there is no sale {sale} in the journal").format(sale=sale_id))
        return receipt_of(sale, self.store_name, self.store_city, tz=self.tz)

    def lines(self, receipt: Receipt) -> list[str]:
        return receipt_lines(receipt, self.printer.chars)

    async def print_sale(self, sale_id: str, *, pdf: Path | None = None) -> str:
        """Print the receipt of ``sale_id`` (to the PDF file ``pdf`` when given); what was done, in words."""
        receipt = await self.receipt(sale_id)
        return await self.print_lines(
            self.lines(receipt), f"receipt-{receipt.short_id}", pdf=pdf, what=Printout.RECEIPT
        )

    async def print_lines(self, lines: Sequence[str], name: str, *, pdf: Path | None = None, what: str) -> str:
        """Print ``lines``; ``name``: the PDF's file name (without .pdf) and the print job's title; ``what``: a
        ``Printout``."""
        on_escpos, on_system, saved = DONE[Printout(what)]
        kind = PrinterKind.PDF if pdf is not None else self.kind
        if kind is PrinterKind.ESCPOS:
            target = escpos_target(self.printer.target)
            await asyncio.to_thread(escpos_out.send, lines, target)
            return on_escpos.format(printer=self.printer.target)
        if kind is PrinterKind.SYSTEM:
            used = self.painter.system(lines, self.printer.target.strip(), self.printer.width_mm, name)
            return on_system.format(printer=used)
        if kind is PrinterKind.NONE:
            raise PrintFailed(_("no receipt printer is set up: choose one in Settings (Receipts), or save a PDF"))
        path = pdf or pdf_folder(self.printer, self.data_dir) / f"{name}.pdf"
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.painter.pdf(lines, path, self.printer.width_mm, name)
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise PrintFailed(
                _("the PDF could not be written to {path}: {reason}").format(path=path, reason=why)
            ) from exc
        return saved.format(path=path)
