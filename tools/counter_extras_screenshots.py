"""Screenshots of the counter's warning before a sale expires and of its "Last sales" panel:
``python -m tools.counter_extras_screenshots [OUT_DIR]``.

A real window on the in-process sandbox (demo, a throw-away TILLQR_HOME) at 800×480 and 1280×800 writes
``counter-expiry-warning-<W>x<H>.png`` (25 s left, "More time" offered; the screen's clock set forward) and
``counter-last-sales-<W>x<H>.png`` (the panel over the keypad after a few sales, one reprinted to PDF).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from app.ui.app import compose
from tools import shots
from tools.screenshots import _typed, _until

SIZES = ((800, 480), (1280, 800))


async def capture(out: Path, home: Path) -> list[Path]:
    from app.runtime import open_runtime

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for width, height in SIZES:
        rt = await open_runtime(demo=True, home=home / f"{width}", duration_s=300, poll_interval=0.1)
        window = compose(rt)
        view, model = window.counter, window.counter.model
        try:
            window.resize(width, height)
            window.show()

            async def shoot(state: str) -> None:
                await asyncio.sleep(1.2)  # the countdown's tick, layout and paint
                path = out / f"counter-{state}-{width}x{height}.png"
                window.grab().save(str(path))
                written.append(path)

            for amount, pay in (("4.40", True), ("9.00", False), ("23.90", True)):
                _typed(model, amount)
                await model.charge()
                await _until(lambda: model.show_qr)
                if pay:
                    await model.simulate_payment()
                    await _until(lambda: model.mode.value == "paid")
                else:
                    await model.cancel()
                await _until(lambda: rt.controller.current is None)
            _typed(model, "12.50")
            model.set_reference("Table 4")
            await model.charge()
            await _until(lambda: model.show_qr)
            expires = model.sale.expires_at
            model.clock = lambda: expires - timedelta(seconds=25) if expires else datetime.now()
            await shoot("expiry-warning")
            view.show_last_sales.click()
            assert view.last_sales is not None
            await _until(lambda: view.last_sales.model.loaded)
            first_paid = next(line for line in view.last_sales.model.lines if line.can_reprint)
            await view.last_sales.model.reprint(first_paid.sale_id)
            await shoot("last-sales")
        finally:
            window.close()
            await rt.aclose()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = shots.parser("python -m tools.counter_extras_screenshots", __doc__.splitlines()[0])
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    out = Path(args.out).resolve()
    with tempfile.TemporaryDirectory() as home:
        for path in shots.run(lambda app: capture(out, Path(home))):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
