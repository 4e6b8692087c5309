"""What the screenshot scripts (screenshots, journal_screenshots, settings_screenshots) share:
their command line (``OUT_DIR``, ``--help``) and a styled offscreen-ready Qt app on TillQR's loop."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from PySide6.QtWidgets import QApplication

from app.ui.app import apply_style
from app.ui.qtloop import TillEventLoop

T = TypeVar("T")


def parser(prog: str, description: str) -> argparse.ArgumentParser:
    """An argument parser with the scripts' one positional argument, the output folder."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument(
        "out",
        nargs="?",
        default="screenshots",
        metavar="OUT_DIR",
        help="folder to write the PNGs to (default: ./screenshots)",
    )
    return p


def run(capture: Callable[[QApplication], Awaitable[T]]) -> T:
    """Run ``capture(app)`` on TillQR's Qt event loop, the app styled as the kiosk is."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    apply_style(app)
    with asyncio.Runner(loop_factory=lambda: TillEventLoop(app)) as runner:
        return runner.run(capture(app))
