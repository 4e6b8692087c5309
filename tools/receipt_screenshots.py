"""Screenshots of a receipt and of the end-of-shift report: ``python -m tools.receipt_screenshots [OUT_DIR]``.

Makes the journal screenshots' day of sales (tools/journal_screenshots.py: paid, over-paid, expired, refunded,
failed, cancelled, through the real controllers on the in-process sandbox, one throw-away TILLQR_HOME), then
writes ``receipt.png`` (a partly refunded Depay sale's receipt painted as a 58 mm thermal printer prints it, at
203 dpi) and ``shift-report.png`` (the End of shift… dialog over the Journal page, 1280×800).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from app.config.pin import PinGate, hash_pin
from app.receipts.desk import ReceiptDesk
from app.receipts.printer import PrinterConfig, PrinterKind
from app.screens.journal_model import JournalModel
from app.ui.journal_view import JournalView
from app.ui.main_window import MainWindow
from app.ui.receipt_painter import LazyQtPainter
from app.ui.receipt_render import render_image
from tools import shots
from tools.journal_screenshots import make_sales


async def capture(out: Path, home: Path) -> list[Path]:
    from app.runtime import open_runtime

    out.mkdir(parents=True, exist_ok=True)
    ids = await make_sales(home)
    rt = await open_runtime(demo=True, provider="depay", home=home, duration_s=600, poll_interval=0.05)
    written: list[Path] = []
    try:
        printer = PrinterConfig(PrinterKind.PDF, 58, str(home / "receipts"))
        desk = ReceiptDesk(rt.journal, "Padaria Central", "SAO PAULO", printer, LazyQtPainter(), home, demo=True)
        lines = desk.lines(await desk.receipt(ids["refunded_part"]))
        path = out / "receipt.png"
        render_image(lines, 58).save(str(path))
        written.append(path)

        open_sale = await rt.controller.charge("7.25", "Waiting at the till")  # one left open
        model = JournalModel(rt.controller, rt.journal, PinGate(hash_pin("246813")))
        view = JournalView(model, receipts=desk)
        window = MainWindow(view, store_name="Padaria Central", demo=True)
        window.resize(1280, 800)
        window.show()
        dialog = view.open_shift()
        assert dialog is not None
        while dialog.model.report is None or dialog.model.busy is not None:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        path = out / "shift-report.png"
        dialog.grab().save(str(path))  # a window of its own over the Journal page
        window.grab().save(str(out / "shift-report-journal.png"))  # the page and its End of shift… button
        written += [path, out / "shift-report-journal.png"]
        dialog.close()
        window.close()
        await rt.controller.cancel()
        await rt.controller.wait_closed(open_sale.sale_id, timeout=15)
    finally:
        await rt.aclose()
    return written


def main(argv: list[str] | None = None) -> int:
    args = shots.parser("python -m tools.receipt_screenshots", __doc__.splitlines()[0]).parse_args(
        sys.argv[1:] if argv is None else argv
    )
    out = Path(args.out).resolve()
    with tempfile.TemporaryDirectory() as home:
        for path in shots.run(lambda app: capture(out, Path(home))):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
