"""Screenshots of the field screen for review: ``python -m tools.field_screenshots [OUT_DIR]``.

The main window as ``tillqr --field --demo`` opens it (a throw-away TILLQR_HOME, the in-process sandbox), at
1366×768 and 1280×800, writes ``field-<state>-<W>x<H>.png`` to OUT_DIR (default ./screenshots):
``empty`` (demo mode before a route: the Load button), ``offline`` (the network dropped by the sandbox's
faults, readings pending, a reading being typed with its charge), ``questioned`` (a reading lower than the
previous one, with the confirmation), ``syncing`` (the progress bar mid-sync, the sandbox slowed down),
``synced`` (the summary) and ``conflict`` (a bill paid at the provider before its reading was sent).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from app.runtime import open_runtime
from app.ui.app import compose
from app.ui.field_page import FieldPage
from app.ui.main_window import MainWindow
from tools import shots

SIZES = ((1366, 768), (1280, 800))
READINGS = ("5012", "14100", "900", "25733", "184990", "99990")  # the demo route's first six bills


async def _until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


async def _settle(seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)


async def capture_size(out: Path, home: Path, width: int, height: int) -> list[Path]:
    written: list[Path] = []
    rt = await open_runtime(demo=True, home=home)
    window: MainWindow = compose(rt, config_file=home / "config" / "config.toml", field=True)
    try:
        window.resize(width, height)
        window.show()
        page = window.pages["field"]
        assert isinstance(page, FieldPage)
        await _until(lambda: page.view is not None)
        view = page.view
        assert view is not None
        model = view.model
        await _until(lambda: model.loaded and model.network_busy is None)

        async def shoot(state: str, settle: float = 0.3) -> None:
            await _settle(settle)
            path = out / f"field-{state}-{width}x{height}.png"
            window.grab().save(str(path))
            written.append(path)

        await shoot("empty")
        await model.load_demo_route()
        assert rt.sandbox is not None
        await rt.sandbox.faults(drop_rate=1.0)
        await model.tick()  # the probe fails: offline, said
        for reading in READINGS[:4]:
            model.set_text(reading)
            await model.record()
        view.reading.setText("184990")
        model.set_text("184990")
        await shoot("offline")

        model.set_text("")
        model.move(1)
        model.set_text("99000")  # lower than 402117: questioned
        view.reading.setFocus()
        await shoot("questioned")
        model.clear()
        model.move(-1)
        for reading in READINGS[4:]:
            model.set_text(reading)
            await model.record()

        await rt.sandbox.faults(latency_ms=400)
        concurrency, model.service.concurrency = model.service.concurrency, 1  # one update at a time, slowly
        syncing = asyncio.ensure_future(model.sync())
        await _until(lambda: model.progress is not None and model.progress.done >= 2)
        await shoot("syncing", settle=0.05)
        await syncing
        model.service.concurrency = concurrency
        await rt.sandbox.faults()
        await shoot("synced")

        model.select("QXB-2507-0008")
        model.set_text("5702")
        auto = model.auto_sync
        model.auto_sync = False  # the bill is paid before its reading is sent
        await model.record()
        row = next(r for r in model.rows if r.bill.bill_id == "QXB-2507-0008")
        assert row.payload is not None
        await rt.sandbox.pay(row.payload)
        await model.sync()
        model.auto_sync = auto
        model.select("QXB-2507-0008")
        await shoot("conflict")
    finally:
        await window.aclose_pages()
        window.close()
        await rt.aclose()
    return written


async def capture(out: Path, sizes: tuple[tuple[int, int], ...] = SIZES) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for width, height in sizes:
        with tempfile.TemporaryDirectory() as home:
            written += await capture_size(out, Path(home), width, height)
    return written


def main(argv: list[str] | None = None) -> int:
    args = shots.parser("python -m tools.field_screenshots", __doc__.splitlines()[0]).parse_args(
        sys.argv[1:] if argv is None else argv
    )
    out = Path(args.out).resolve()
    for path in shots.run(lambda app: capture(out)):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
