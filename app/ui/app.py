"""The GUI's entry: QApplication, the qasync loop (the Qt loop *is* the asyncio loop), the runtime.

``compose`` builds the window from a Runtime (used by run_gui, the tests and the
screenshot script); ``run_gui`` owns the process: it shows the window at once,
reconciles unfinished sales (``recover``) in the background, and closes the
runtime when the window closes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QMessageBox

from app.checkout.counter_model import CounterModel

from .bridge import EventBridge
from .counter import CounterView
from .main_window import MainWindow
from .qtloop import TillEventLoop

log = logging.getLogger("tillqr.ui")

STYLE = Path(__file__).resolve().parents[2] / "resources" / "style.qss"


def apply_style(app: QApplication) -> None:
    try:
        app.setStyleSheet(STYLE.read_text(encoding="utf-8"))
    except OSError:
        log.warning("style sheet %s not found; using Qt's default look", STYLE)


def compose(runtime: Any) -> MainWindow:
    """The main window for ``runtime``: bridge → model → view, each handed what it needs."""
    controller = runtime.controller
    bridge = EventBridge(controller)
    model = CounterModel(controller, demo=runtime.demo, sandbox=runtime.sandbox,
                         link_payload=runtime.link.payload if runtime.link else None)
    view = CounterView(model, bridge)
    window = MainWindow(view, store_name=runtime.store_name, demo=runtime.demo,
                        mode_text=getattr(runtime, "mode_text", ""))
    bridge.setParent(window)
    window.closed.connect(bridge.close)
    return window


def show_fitted(window: MainWindow) -> None:
    """1280×800 where it fits; maximised on a smaller kiosk screen (800×480)."""
    screen = window.screen().availableGeometry() if window.screen() else None
    if screen is not None and (screen.width() < 1280 or screen.height() < 800):
        window.showMaximized()
    else:
        window.show()


async def _main(app: QApplication, *, demo: bool | None, provider: str | None) -> int:
    from app.runtime import open_runtime

    try:
        runtime = await open_runtime(demo=demo, provider=provider)
    except Exception as exc:  # noqa: BLE001 - say it in a window, not only on a terminal
        log.exception("cannot start")
        print(f"tillqr: cannot start: {exc}", file=sys.stderr)
        QMessageBox.critical(None, "TillQR cannot start", str(exc))
        return 1
    try:
        window = compose(runtime)
        closed = asyncio.get_running_loop().create_future()
        window.closed.connect(lambda: closed.done() or closed.set_result(None))
        show_fitted(window)
        recovering = asyncio.ensure_future(window.counter.model.recover())  # held; its errors are shown in words
        if os.environ.get("TILLQR_EXIT_WHEN_READY"):  # cold-start benchmark and smoke runs
            await recovering
            app.processEvents()
            print(f"tillqr: ready ({runtime.mode_text})", flush=True)
            window.close()
        await closed
        if not recovering.done():
            recovering.cancel()
            await asyncio.gather(recovering, return_exceptions=True)
    finally:
        await runtime.aclose()
    return 0


def _no_display() -> bool:
    return (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"))


def run_gui(*, demo: bool | None, provider: str | None = None) -> int:
    """Run the kiosk until its window is closed; returns the process exit code."""
    if _no_display():
        print("tillqr: no display: start TillQR from a desktop session (X11 or Wayland), or set "
              "QT_QPA_PLATFORM=offscreen to run it headless; `tillqr charge` works without a screen",
              file=sys.stderr)
        return 1
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("TillQR")
    app.setQuitOnLastWindowClosed(False)  # the coroutine decides when to stop, after closing the runtime
    apply_style(app)
    with asyncio.Runner(loop_factory=lambda: TillEventLoop(app)) as runner:
        return runner.run(_main(app, demo=demo, provider=provider))
