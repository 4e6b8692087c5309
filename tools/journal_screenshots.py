"""Screenshots of the journal screen for review: ``python -m tools.journal_screenshots [OUT_DIR]``.

Makes a day of varied sales through the real controllers on the in-process
sandbox (one throw-away TILLQR_HOME, so they share one demo journal): on Pix an
over-payment, a part paid before expiry, a plain expiry and one paid; on Depay
(refunds) sales paid, partly and fully refunded, failed, cancelled and one left
open. Then the journal page, in the main window, on the Depay controller, at
1280×800 and 800×480, writes ``journal-<state>-<W>x<H>.png`` to OUT_DIR
(default ./screenshots): ``list``, ``detail`` (a partly refunded sale, its
history and refunds), ``refund-form`` (the form with a refused amount), and
``filtered`` (money to give back).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from app.config.pin import PinGate, hash_pin
from app.ui.app import compose
from app.ui.journal_view import JournalView
from tools import shots

SIZES = ((1280, 800), (800, 480))


async def _closed(rt, sale, timeout: float = 15.0):
    return await rt.controller.wait_closed(sale.sale_id, timeout=timeout)


async def make_sales(home: Path) -> dict[str, str]:
    """About ten sales of every kind worth seeing; their ids by name."""
    from app.runtime import open_runtime

    ids: dict[str, str] = {}
    rt = await open_runtime(demo=True, provider="pix", home=home, duration_s=60, poll_interval=0.05)
    try:
        s = await rt.controller.charge("12.50", "Table 4")
        await rt.sandbox.pay(s.payload)
        ids["paid"] = (await _closed(rt, s)).sale_id
        s = await rt.controller.charge("10.00", "Over-paid")
        await rt.sandbox.pay(s.payload, "15.00")
        ids["overpaid"] = (await _closed(rt, s)).sale_id
        rt.controller.duration_s = 2
        s = await rt.controller.charge("9.00", "Part paid")
        await rt.sandbox.pay(s.payload, "4.00")
        ids["part_expired"] = (await _closed(rt, s)).sale_id
        s = await rt.controller.charge("4.40", "Walked away")
        ids["expired"] = (await _closed(rt, s)).sale_id
    finally:
        await rt.aclose()
    rt = await open_runtime(demo=True, provider="depay", home=home, duration_s=600, poll_interval=0.05)
    rt.controller.refunds.poll_interval = 0.05
    try:
        for name, amount, ref in (
            ("refunded_part", "100.00", "Order 1042"),
            ("refunded", "20.00", "Returned"),
            ("paid_depay", "36.75", "Table 9"),
        ):
            s = await rt.controller.charge(amount, ref)
            await rt.sandbox.pay(s.payload)
            ids[name] = (await _closed(rt, s)).sale_id
        await rt.controller.refund(ids["refunded_part"], "30.00")
        await rt.controller.refund(ids["refunded"])
        s = await rt.controller.charge("12.59", "Card declined")  # Depay: an amount ending in 9 fails
        try:
            await rt.sandbox.pay(s.payload)
        except Exception:  # noqa: BLE001 - the sandbox may refuse the payment itself
            pass
        ids["failed"] = (await _closed(rt, s)).sale_id
        s = await rt.controller.charge("6.00", "Changed mind")
        await rt.controller.cancel()
        ids["cancelled"] = (await _closed(rt, s)).sale_id
    finally:
        await rt.aclose()
    return ids


async def _settle(seconds: float = 0.4) -> None:
    await asyncio.sleep(seconds)


async def capture(out: Path, home: Path, sizes=SIZES) -> list[Path]:
    from app.runtime import open_runtime

    out.mkdir(parents=True, exist_ok=True)
    ids = await make_sales(home)
    written: list[Path] = []
    gate = PinGate(hash_pin("246813"))
    for width, height in sizes:
        rt = await open_runtime(demo=True, provider="depay", home=home, duration_s=600, poll_interval=0.05)
        window = compose(rt)  # the till's own window, its Journal page opened as after the manager's PIN
        view = window.page("journal")
        assert isinstance(view, JournalView)
        model = view.model
        model.pin = gate
        try:
            open_sale = await rt.controller.charge("7.25", "Waiting at the till")  # one left open
            window.resize(width, height)
            window.show()
            window.show_page("journal")
            await _settle()
            while not model.loaded:
                await asyncio.sleep(0.05)

            async def shoot(state: str) -> None:
                await _settle()
                path = out / f"journal-{state}-{width}x{height}.png"
                window.grab().save(str(path))
                written.append(path)

            await shoot("list")
            if view._narrow:
                view.open_detail_page()
            await view.select_sale(ids["refunded_part"])
            await shoot("detail")
            view.open_refund()
            view.refund_amount.setText("80.00")
            view.refund_pin.setText("246813")
            await model.refund(view.refund_amount.text(), "246813")
            await shoot("refund-form")
            view.close_refund()
            if view._narrow:
                view._close_detail_page()
            await view.select_sale(None)
            view.status_filter.setCurrentIndex(view.status_filter.findData("to_refund"))
            await shoot("filtered")
            await rt.controller.cancel()
            await _closed(rt, open_sale)
        finally:
            window.close()
            await rt.aclose()
    return written


def main(argv: list[str] | None = None) -> int:
    args = shots.parser("python -m tools.journal_screenshots", __doc__.splitlines()[0]).parse_args(
        sys.argv[1:] if argv is None else argv
    )
    out = Path(args.out).resolve()
    with tempfile.TemporaryDirectory() as home:
        for path in shots.run(lambda app: capture(out, Path(home))):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
