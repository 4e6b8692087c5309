"""Receipts in the GUI: "Print receipt" in the Journal detail (to PDF), on the counter after a paid sale, the
end-of-shift dialog; and a receipt painted on a PDF QPrinter (the system-printer path). Real controller, the
in-process sandbox (Depay), real SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter

from app.config.pin import PinGate, hash_pin
from app.receipts.desk import ReceiptDesk
from app.receipts.printer import PrinterConfig, PrinterKind
from app.runtime import open_runtime
from app.screens.counter_model import CounterModel
from app.screens.journal_model import JournalModel
from app.screens.settings_model import SettingsModel
from app.ui.bridge import EventBridge
from app.ui.counter import CounterView
from app.ui.journal_view import JournalView
from app.ui.receipt_painter import LazyQtPainter
from app.ui.receipt_render import print_on
from app.ui.sticker_render import render_printer

pytestmark = pytest.mark.ui

CLICK = Qt.MouseButton.LeftButton


@pytest.fixture
def depay(run, tmp_path):
    rt = run(open_runtime(demo=True, provider="depay", home=tmp_path, poll_interval=0.05))
    yield rt
    run(rt.aclose())


def desk_for(rt, folder: Path, width_mm: int = 58) -> ReceiptDesk:
    printer = PrinterConfig(PrinterKind.PDF, width_mm, str(folder))
    return ReceiptDesk(rt.journal, "Padaria Central", "SAO PAULO", printer, LazyQtPainter(), folder, demo=True)


def paid(run, rt, amount: str):
    sale = run(rt.controller.charge(amount, "table 4"))
    run(rt.sandbox.pay(sale.payload))
    return run(rt.controller.wait_closed(sale.sale_id, timeout=10))


def is_pdf(path: Path) -> bool:
    data = path.read_bytes()
    return data.startswith(b"%PDF") and b"/Type /Page" in data and data.rstrip().endswith(b"%%EOF")


def test_print_receipt_from_the_journal_detail(qtbot, run, depay, tmp_path):
    sale = paid(run, depay, "12.50")
    model = JournalModel(depay.controller, depay.journal, PinGate(hash_pin("246810")))
    bridge = EventBridge(depay.controller)
    bridge.follow(model.on_event)
    view = JournalView(model, receipts=desk_for(depay, tmp_path / "receipts"))
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    qtbot.waitUntil(lambda: model.loaded, timeout=10000)
    assert not view.detail.print_receipt.isVisible()  # no sale selected
    run(model.select(sale.sale_id))
    assert view.detail.print_receipt.isVisible() and view.detail.print_receipt.isEnabled()
    qtbot.mouseClick(view.detail.print_receipt, CLICK)
    target = tmp_path / "receipts" / f"receipt-{sale.sale_id[:8]}.pdf"
    qtbot.waitUntil(lambda: model.busy is None and "saved as" in model.message, timeout=10000)
    assert model.message == f"Receipt saved as {target}." and view.message.text() == model.message
    assert is_pdf(target)
    bridge.close()
    view.close()


def test_end_of_shift_dialog_from_the_journal(qtbot, run, depay, tmp_path):
    paid(run, depay, "20.00")
    model = JournalModel(depay.controller, depay.journal, PinGate(hash_pin("246810")))
    view = JournalView(model, receipts=desk_for(depay, tmp_path / "receipts"))
    qtbot.addWidget(view)
    view.show()
    assert view.shift.isVisible()
    dialog = view.open_shift()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.model.report is not None and dialog.print_button.isEnabled(), timeout=10000)
    text = dialog.text.text()
    assert "End-of-shift report" in text and "Paid (1)" in text and "ARS 20.00" in text
    qtbot.mouseClick(dialog.close_shift_button, CLICK)
    qtbot.waitUntil(lambda: "Shift closed" in dialog.message.text(), timeout=10000)
    assert "No sales in this shift." in dialog.text.text()
    dialog.close()
    view.close()


def test_the_counter_offers_a_receipt_once_the_sale_is_paid(qtbot, run, depay, tmp_path):
    model = CounterModel(depay.controller, demo=True, sandbox=depay.sandbox)
    bridge = EventBridge(depay.controller)
    bridge.follow(model.on_event)
    view = CounterView(model)
    view.set_receipts(desk_for(depay, tmp_path / "receipts", 80))
    qtbot.addWidget(view)
    view.show()
    assert not view.print_receipt.isVisible()
    sale = run(depay.controller.charge("9.50"))  # as the Charge button does; the bridge tells the model
    qtbot.waitUntil(lambda: model.sale is not None and model.sale.sale_id == sale.sale_id, timeout=10000)
    assert not view.print_receipt.isVisible()  # waiting: nothing to print yet
    run(depay.sandbox.pay(sale.payload))
    qtbot.waitUntil(lambda: view.print_receipt.isVisible(), timeout=10000)
    qtbot.mouseClick(view.print_receipt, CLICK)
    target = tmp_path / "receipts" / f"receipt-{sale.sale_id[:8]}.pdf"
    # what the cashier reads once it is done (the busy flag may clear a moment before the words are shown)
    qtbot.waitUntil(lambda: "Receipt saved as" in view.message.text(), timeout=10000)
    assert is_pdf(target) and model.busy is None
    bridge.close()
    view.close()


def test_a_receipt_on_a_pdf_qprinter(qtbot, tmp_path):
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    print_on(printer, ["PADARIA CENTRAL".center(32), "-" * 32, "Amount".ljust(22) + "BRL 12.50"], 58)
    assert is_pdf(tmp_path / "printed.pdf")


def test_the_sticker_prints_in_demo_on_the_sandbox_link(qtbot, run, tmp_path):
    rt = run(open_runtime(demo=True, provider="jpmorgan", home=tmp_path, poll_interval=0.05))
    try:
        model = SettingsModel(tmp_path / "config" / "config.toml")
        assert rt.link is not None
        model.demo_link = rt.link  # as compose() does in demo mode
        assert model.can_print_sticker()
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(tmp_path / "sticker.pdf"))
        ok, text = run(model.print_sticker_on(lambda s: render_printer(s, printer), printer.outputFileName()))
        assert ok and text.startswith(f"Sticker sent to {tmp_path / 'sticker.pdf'}")
        assert is_pdf(tmp_path / "sticker.pdf")
    finally:
        run(rt.aclose())


def test_a_hindi_receipt_keeps_its_amounts_right_aligned_on_paper(qtbot):
    """Devanagari is drawn in the bundled proportional family, not one cell a letter: each column is placed by
    its cells, so the amounts of a Hindi receipt end at one edge, as the layout padded them."""
    from datetime import UTC, datetime

    from PySide6.QtGui import QFontMetricsF

    from app.domain.money import Money
    from app.domain.sale import Sale, SaleStatus
    from app.i18n import set_language
    from app.receipts.layout import receipt_lines, receipt_of
    from app.ui.receipt_render import LINE_SPACING, MARGIN_MM, _fitted, render_image

    set_language("hi")
    base = Sale.new(Money.parse("1234.50", "INR"), "razorpay", "table 4")
    sale = base.with_(
        status=SaleStatus.PARTIALLY_REFUNDED,
        amount_received=base.amount,
        amount_refunded=Money.parse("34.50", "INR"),
        created_at=datetime(2026, 11, 25, 14, 3, tzinfo=UTC),
    )
    lines = receipt_lines(receipt_of(sale, "Chai Corner", "Pune", tz=UTC), 32)
    image = render_image(lines, 58)  # 203 dpi, as a thermal printer
    scale = 203 / 25.4
    step = QFontMetricsF(_fitted(lines, (58 - 2 * MARGIN_MM) * scale)).height() * LINE_SPACING
    rows = [i for i, line in enumerate(lines) if line.rstrip().endswith(("₹1,234.50", "₹34.50"))]
    assert len(rows) == 3  # amount, received, refunded

    def right_edge(row: int) -> int:
        top = int(MARGIN_MM * scale + row * step)
        ink = [
            x
            for y in range(top + 1, int(top + step) - 1)
            for x in range(image.width())
            if image.pixelColor(x, y).value() < 128
        ]
        return max(ink, default=-1)

    edges = [right_edge(row) for row in rows]
    assert min(edges) > image.width() // 2, edges  # each found, at the right
    assert max(edges) - min(edges) <= 3, edges
