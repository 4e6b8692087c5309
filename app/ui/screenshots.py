"""Screenshots of the counter for review: ``python -m app.ui.screenshots [OUT_DIR]``.

Drives a real window on the in-process sandbox (in a throw-away TILLQR_HOME)
through idle → waiting (QR) → PAID → expired at 1280×800 and 800×480 and writes
``counter-<state>-<W>x<H>.png`` to OUT_DIR (default: ./screenshots).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Callable

from PySide6.QtWidgets import QApplication

import qasync

from .app import apply_style, compose

SIZES = ((1280, 800), (800, 480), (800, 440))


async def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise TimeoutError("the counter did not reach the expected state")
        await asyncio.sleep(0.05)


async def capture(out: Path, home: Path, sizes=SIZES) -> list[Path]:
    from app.runtime import open_runtime

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for i, (width, height) in enumerate(sizes):
        rt = await open_runtime(demo=True, home=home / str(i), duration_s=300, poll_interval=0.1)
        window = compose(rt)
        model = window.counter.model
        try:
            window.resize(width, height)
            window.show()

            async def shoot(state: str) -> None:
                await asyncio.sleep(0.3)  # let layout and paint settle
                path = out / f"counter-{state}-{width}x{height}.png"
                window.grab().save(str(path))
                written.append(path)

            await shoot("idle")
            for key in "12.50":
                model.press(key)
            model.set_reference("Table 4")
            await model.charge()
            await _until(lambda: model.show_qr)
            await shoot("waiting")
            await model.simulate_payment()
            await _until(lambda: model.mode.value == "paid")
            await shoot("paid")
            await _until(lambda: rt.controller.current is None)
            rt.controller.duration_s = 2
            for key in "4.40":
                model.press(key)
            await model.charge()
            await _until(lambda: model.mode.value == "expired")
            await shoot("expired")
            model.press("9")
            await model.charge()  # a bad-amount message: nothing typed after "9"? charge 9 then cancel
            await _until(lambda: model.show_qr)
            await model.cancel()
            await _until(lambda: model.mode.value == "cancelled")
            model.press("0")
            await model.charge()
            await shoot("cancelled-bad-amount")
        finally:
            window.close()
            await rt.aclose()
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else "screenshots").resolve()
    app = QApplication.instance() or QApplication(sys.argv)
    app.setQuitOnLastWindowClosed(False)
    apply_style(app)
    with tempfile.TemporaryDirectory() as home, \
            asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        for path in runner.run(capture(out, Path(home))):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
