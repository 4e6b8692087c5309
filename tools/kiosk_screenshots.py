"""Screenshots of the counter in kiosk mode: ``python -m tools.kiosk_screenshots [OUT_DIR] [--dpi D]``.

A real window on the in-process sandbox (in a throw-away TILLQR_HOME), in kiosk mode (full screen,
frameless, the Exit button in the header), showing a sale's QR at 800×480, 1024×600, 1280×800 and
1920×1080; written as ``kiosk-<W>x<H>.png`` to OUT_DIR (default: ./screenshots), and
``kiosk-exit-pin-<W>x<H>.png`` and ``kiosk-exit-choices-<W>x<H>.png`` (the manager's Exit: the PIN,
then leave full screen / quit / back) at the smallest size. ``--dpi``: the
screen density the keys are sized for (default: each panel's typical, e.g. a 7-inch 800×480 is
about 133 dpi). Headless (``QT_QPA_PLATFORM=offscreen``, the default here), the offscreen platform is
given one screen per panel, side by side, so each window is really full screen on a screen of that size.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication

from app.config import settings as st
from app.config.pin import hash_pin
from app.ui.app import compose
from app.ui.main_window import MainWindow
from tools import shots
from tools.screenshots import _typed, _until

PIN = "135790"  # the demo manager's PIN
# (width, height, typical density): a 7" 800x480 panel, a 7" 1024x600, a 10" 1280x800, a 24" 1920x1080
PANELS = ((800, 480, 133.0), (1024, 600, 170.0), (1280, 800, 150.0), (1920, 1080, 92.0))


def offscreen_panels(folder: Path) -> None:
    """Headless: Qt's offscreen platform with one screen per panel (its ``configfile`` option)."""
    platform = os.environ.get("QT_QPA_PLATFORM", "offscreen")
    if platform != "offscreen":
        return  # a real display, or a platform configured by the caller: left as it is
    screens, x = [], 0
    for width, height, _dpi in PANELS:
        screens.append({"name": f"panel-{width}x{height}", "x": x, "y": 0, "width": width, "height": height})
        x += width
    config = folder / "screens.json"
    config.write_text(json.dumps({"windowFrameMargins": False, "screens": screens}), encoding="utf-8")
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"


def _grab_screen(window: MainWindow, path: Path) -> Path:
    """What the screen under ``window`` shows (its dialogs included), saved to ``path``."""
    screen = window.screen()
    geometry = window.frameGeometry()
    pixmap = screen.grabWindow(0, geometry.x(), geometry.y(), geometry.width(), geometry.height())
    if pixmap.isNull():  # a platform that cannot grab its screen: the window alone
        pixmap = window.grab()
    pixmap.save(str(path))
    return path


async def capture(app: QApplication, out: Path, home: Path, dpi: float | None = None) -> list[Path]:
    from app.runtime import open_runtime

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    panels = {(s.geometry().width(), s.geometry().height()): s for s in app.screens()}
    for n, (width, height, typical) in enumerate(PANELS):
        config = home / str(n) / "config" / "config.toml"
        st.save(st.Settings(store_name="Padaria Central", pin_hash=hash_pin(PIN), kiosk_enabled=True), config)
        rt = await open_runtime(demo=True, home=home / str(n), duration_s=300, poll_interval=0.1)
        window = compose(rt, config_file=config, kiosk=True, touch_dpi=dpi or typical)
        try:
            screen = panels.get((width, height))
            if screen is not None:
                window.setScreen(screen)
                window.move(screen.geometry().topLeft())
            else:  # no screen of the panel's size (a real display): the window at that size, as a preview
                window.kiosk.kiosk = False
                window.resize(width, height)
            window.show_on_screen()
            model = window.counter.model
            _typed(model, "12.50")
            model.set_reference("Table 4")
            await model.charge()
            await _until(lambda: model.show_qr)
            await asyncio.sleep(0.3)  # let layout and paint settle
            path = out / f"kiosk-{width}x{height}.png"
            window.grab().save(str(path))
            written.append(path)
            if n == 0:  # the manager's way out: the PIN, then the choices (dialogs are windows: the screen's grab)
                window.request_exit()
                await asyncio.sleep(0.3)
                written.append(_grab_screen(window, out / f"kiosk-exit-pin-{width}x{height}.png"))
                if window.pin_dialog is not None:
                    window.pin_dialog.field.setText(PIN)
                    window.pin_dialog.submit()
                await asyncio.sleep(0.3)
                written.append(_grab_screen(window, out / f"kiosk-exit-choices-{width}x{height}.png"))
                if window.exit_dialog is not None:
                    window.exit_dialog.reject()
        finally:
            window.close_for_good()
            await window.aclose_pages()
            await rt.aclose()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = shots.parser("python -m tools.kiosk_screenshots", (__doc__ or "").splitlines()[0])
    parser.add_argument("--dpi", type=float, help="the screen density keys are sized for (default: the panel's)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    out = Path(args.out).resolve()
    with tempfile.TemporaryDirectory() as home:
        offscreen_panels(Path(home))
        for path in shots.run(lambda app: capture(app, out, Path(home), args.dpi)):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
