"""Paint the field agents' bill sheets (:mod:`app.fieldwork.billsheet`) to a PDF or an image with Qt.

The layout is Qt-free; this module only paints it through :mod:`app.ui.print_paint`, the painter the counter
sticker uses (real fonts embedded in the PDF, the QR on whole device pixels). :func:`write_pdf` writes one
A4 PDF page a :class:`~app.fieldwork.billsheet.Page`, atomically (a temporary file beside the target, then
renamed over it) and readable by this user only: the bills carry customers' names and addresses.
Font warnings (a character no installed font can draw) are logged.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtGui import QImage, QPageSize, QPainter, QPdfWriter

from app.fieldwork.billsheet import Page
from app.i18n import _
from app.ui.print_paint import begin, image, paint, pdf_writer

log = logging.getLogger(__name__)
PDF_DPI = 1200


def _paint(painter: QPainter, page: Page, dpi: float) -> list[str]:
    return paint(
        painter, dpi, (page.width, page.height), boxes=page.boxes, lines=page.lines, texts=page.texts, qrs=page.qrs
    )


def page_image(page: Page, dpi: int = 150) -> QImage:
    """The sheet as an image at ``dpi`` (to look at, or to decode its QR codes back)."""
    picture = image((page.width, page.height), dpi)
    painter = QPainter()
    begin(painter, picture, _("cannot paint the bill sheet"))
    try:
        for warning in _paint(painter, page, dpi):
            log.warning("bill sheet: %s", warning)
    finally:
        painter.end()
    return picture


def _write(pages: Sequence[Page], writer: QPdfWriter, target: Path) -> None:
    painter = QPainter()
    begin(painter, writer, _("cannot write a PDF at {path}").format(path=target))
    try:
        for n, page in enumerate(pages):
            if n and not writer.newPage():
                raise OSError(_("cannot start page {n} of the PDF at {path}").format(n=n + 1, path=target))
            for warning in _paint(painter, page, PDF_DPI):
                log.warning("bill sheet %d: %s", n + 1, warning)
    finally:
        painter.end()


def write_pdf(pages: Sequence[Page], path: Path) -> None:
    """The sheets as an A4 PDF at ``path``, one page a sheet, 0600, written whole or not at all.
    ValueError when there is no page; OSError when it cannot be written."""
    if not pages:
        raise ValueError(_("no bills to print"))
    target = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)  # 0600
    os.close(fd)
    tmp = Path(name)
    try:
        writer = pdf_writer(tmp, QPageSize(QPageSize.PageSizeId.A4), PDF_DPI, "TillQR bills")
        _write(pages, writer, tmp)
        del writer  # flushes and closes the file
        if tmp.stat().st_size == 0:
            raise OSError(_("Qt wrote no PDF at {path}").format(path=target))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
