"""Screenshots of the accessibility options and the bundled fonts: ``python -m tools.a11y_screenshots [OUT_DIR]``.

Writes ``a11y-counter-contrast-150-1280x800.png`` (the counter in high contrast at 150 % text, a sale waiting)
and ``a11y-hindi.png`` (a Hindi total and the sticker's Hindi line in the bundled fonts, regular and bold).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QApplication

from app.qr.printlayout import BUNDLED_FAMILIES
from app.qr.sticker import SCAN_TO_PAY
from app.ui import qss
from app.ui.app import apply_style, compose
from tools import shots
from tools.screenshots import _typed, _until

HINDI = ("कुल ₹1,250.00", SCAN_TO_PAY["hi"])


def hindi_image(path: Path) -> None:
    image = QImage(900, 260, QImage.Format.Format_RGB32)
    image.fill(QColor("#ffffff"))
    painter = QPainter(image)
    painter.setPen(QColor("#000000"))
    y = 60
    for bold in (False, True):
        for text in HINDI:
            font = QFont()
            font.setFamilies(list(BUNDLED_FAMILIES))
            font.setPixelSize(38)
            font.setBold(bold)
            painter.setFont(font)
            painter.drawText(20, y, text)
            y += 52
    painter.end()
    image.save(str(path))


async def capture(app: QApplication, out: Path, home: Path) -> list[Path]:
    from app.runtime import open_runtime  # lazy: as the other screenshot scripts

    out.mkdir(parents=True, exist_ok=True)
    apply_style(app, qss.Look(high_contrast=True, text_scale=150))
    rt = await open_runtime(demo=True, home=home, duration_s=300, poll_interval=0.1)
    window = compose(rt)
    model = window.counter.model
    written = [out / "a11y-counter-contrast-150-1280x800.png", out / "a11y-hindi.png"]
    try:
        window.resize(1280, 800)
        window.show()
        _typed(model, "12.50")
        model.set_reference("Table 4")
        await model.charge()
        await _until(lambda: model.show_qr)
        await asyncio.sleep(1.2)
        window.grab().save(str(written[0]))
        await model.cancel()
    finally:
        window.close_for_good()
        await rt.aclose()
    hindi_image(written[1])
    return written


def main(argv: list[str] | None = None) -> int:
    args = shots.parser("python -m tools.a11y_screenshots", __doc__ or "").parse_args(argv)
    with tempfile.TemporaryDirectory() as home:
        for path in shots.run(lambda app: capture(app, Path(args.out), Path(home))):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
