"""Screenshots of the customer display: ``python -m tools.display_screenshots [OUT_DIR]``.

A real till on the in-process sandbox (in a throw-away TILLQR_HOME); headless, the offscreen platform is given
two 1280×800 screens side by side (the cashier's and the customer's), so the display goes full screen on the
second as in a shop. Writes ``display-idle.png`` (the static sticker's QR), ``display-waiting.png`` (a sale's
QR, amount and countdown) and ``display-paid.png`` to OUT_DIR (default: ./screenshots).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

from app.config.settings import DisplayMode
from app.ui.app import compose, show_fitted
from app.ui.customer_display import CustomerDisplay
from app.ui.main_window import MainWindow
from tools import shots

if TYPE_CHECKING:
    from app.runtime import Runtime  # lazy at run time: after the platform is chosen
from tools.screenshots import _typed, _until

SIZE = (1280, 800)


def two_screens(folder: Path) -> None:
    """Headless: Qt's offscreen platform with the cashier's and the customer's screen (its ``configfile``)."""
    if os.environ.get("QT_QPA_PLATFORM", "offscreen") != "offscreen":
        return  # a real display, or a platform configured by the caller
    width, height = SIZE
    screens = [
        {"name": "A-cashier", "x": 0, "y": 0, "width": width, "height": height},
        {"name": "B-customer", "x": width, "y": 0, "width": width, "height": height},
    ]
    config = folder / "screens.json"
    config.write_text(json.dumps({"windowFrameMargins": False, "screens": screens}), encoding="utf-8")
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"


def till_with_display(rt: Runtime) -> tuple[MainWindow, CustomerDisplay]:
    """The till's window at SIZE and its customer display, shown (the two screens of ``two_screens``)."""
    window = compose(rt, display=DisplayMode.AUTO)
    window.resize(*SIZE)
    show_fitted(window)
    display = window.customer_display
    assert isinstance(display, CustomerDisplay), "no customer display"
    return window, display


async def capture(_app: QApplication, out: Path, home: Path) -> list[Path]:
    from app.runtime import open_runtime  # lazy: after the platform is chosen

    rt = await open_runtime(demo=True, home=home, duration_s=300, poll_interval=0.05)
    written: list[Path] = []
    try:
        window, display = till_with_display(rt)
        model = window.counter.model

        async def shoot(state: str) -> None:
            await _until(lambda: display.isVisible() and display.width() > 0)
            path = out / f"display-{state}.png"
            display.grab().save(str(path))
            written.append(path)

        await shoot("idle")
        _typed(model, "12.50")
        await model.charge()
        await _until(lambda: display.qr.payload() is not None and display.qr.payload() != (rt.link and rt.link.payload))
        await shoot("waiting")
        await model.simulate_payment()
        await _until(lambda: display.model.face.value == "paid")
        await shoot("paid")
        window.close_for_good()
    finally:
        await rt.aclose()
    return written


def main(argv: list[str] | None = None) -> int:
    args = shots.parser("tools.display_screenshots", __doc__.splitlines()[0] if __doc__ else "").parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        two_screens(Path(tmp))
        paths = shots.run(lambda app: capture(app, out, Path(tmp) / "home"))
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
