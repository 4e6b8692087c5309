"""Screenshots of the counter for review: ``python -m tools.screenshots [OUT_DIR] [--provider P ...]``.

Drives a real window on the in-process sandbox (in a throw-away TILLQR_HOME) at
1280×800, 800×480 and 800×440 and writes ``counter-<provider>-<state>-<W>x<H>.png``
to OUT_DIR (default: ./screenshots):

- every provider (app.providers.registry.PROVIDERS): ``waiting`` (the QR to scan);
- the first provider: ``idle``, ``paid``, ``expired``, ``cancelled-bad-amount``;
- a provider with partial payments: ``partial`` (8.00 of 12.50 received) and
  ``partial-paid``; any provider: ``overpaid`` (15.00 paid for 12.50);
- a provider with due dates: ``due-form`` (the section filled, with today's
  breakdown), ``due-problem`` (a typo refused in words) and ``due-waiting``;
- Depay, when present: ``failed`` (an amount ending in 9, its stage rule).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from app.providers.base import Capability
from app.ui.app import compose
from tools import shots

SIZES = ((1280, 800), (800, 480), (800, 440))


async def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise TimeoutError("the counter did not reach the expected state")
        await asyncio.sleep(0.05)


def _typed(model, major: str) -> str:
    """``major`` ("12.50") in the till currency's decimals, typed on the keypad."""
    whole, _, cents = major.partition(".")
    text = whole + (("." + (cents + "000")[: model.decimals]) if model.decimals else "")
    for key in text:
        model.press(key)
    return text


Scene = Callable[..., Awaitable[None]]


async def _basics(rt, window, model, shoot) -> None:
    await shoot("idle")
    _typed(model, "12.50")
    model.set_reference("Table 4")
    await model.charge()
    await _until(lambda: model.show_qr)
    await shoot("waiting")
    await model.simulate_payment()
    await _until(lambda: model.mode.value == "paid")
    await shoot("paid")
    await _until(lambda: rt.controller.current is None)
    rt.controller.duration_s = 2
    _typed(model, "4.40")
    await model.charge()
    await _until(lambda: model.mode.value == "expired", timeout=15)
    await shoot("expired")
    await _until(lambda: rt.controller.current is None)
    rt.controller.duration_s = 60
    _typed(model, "9")
    await model.charge()
    await _until(lambda: model.show_qr)
    await model.cancel()
    await _until(lambda: model.mode.value == "cancelled")
    model.press("0")
    await model.charge()  # "0" cannot be charged: the reason in words over the cancelled sale
    await shoot("cancelled-bad-amount")


async def _waiting(rt, window, model, shoot) -> None:
    _typed(model, "12.50")
    model.set_reference("Order 1042")
    await model.charge()
    await _until(lambda: model.show_qr)
    await shoot("waiting")


async def _partial(rt, window, model, shoot) -> None:
    _typed(model, "12.50")
    await model.charge()
    await _until(lambda: model.show_qr)
    await rt.sandbox.pay(model.sale.payload, "8.00")
    await _until(lambda: model.sale.received.minor > 0)
    await shoot("partial")
    await rt.sandbox.pay(model.sale.payload)
    await _until(lambda: model.mode.value == "paid")
    await shoot("partial-paid")


async def _overpaid(rt, window, model, shoot) -> None:
    _typed(model, "12.50")
    await model.charge()
    await _until(lambda: model.show_qr)
    await rt.sandbox.pay(model.sale.payload, "15.00")
    await _until(lambda: model.mode.value == "paid")
    await asyncio.sleep(0.2)  # the controller's notice
    await shoot("overpaid")


async def _due(rt, window, model, shoot) -> None:
    view = window.counter
    _typed(model, "100")
    view.due_toggle.click()
    form = model.due
    form.set("fine", "2.00")
    form.set("interest", "0.10")
    form.set("rebate", "1.50")
    form.add_discount()
    form.set_discount(0, amount="5.00")
    form.add_discount()
    form.set_discount(1, amount="8")
    await shoot("due-form")
    form.set("rebate", "1,5.0")
    await model.charge()
    await shoot("due-problem")
    form.set("rebate", "1.50")
    await model.charge()
    await _until(lambda: model.show_qr)
    await shoot("due-waiting")


async def _failed(rt, window, model, shoot) -> None:
    _typed(model, "12.59")
    await model.charge()
    await _until(lambda: model.show_qr)
    await model.simulate_payment()
    await _until(lambda: model.mode.value == "failed")
    await shoot("failed")


def plan(providers: tuple[str, ...], capabilities: dict[str, Capability]) -> list[tuple[str, Scene]]:
    """(provider, scene) pairs covering every provider and every state worth reviewing."""
    scenes: list[tuple[str, Scene]] = [(providers[0], _basics)]
    scenes += [(p, _waiting) for p in providers[1:]]
    partial = [p for p in providers if Capability.PARTIAL_PAYMENT in capabilities[p]]
    if partial:
        scenes.append((partial[0], _partial))
    scenes.append((partial[0] if partial else providers[0], _overpaid))
    scenes += [(p, _due) for p in providers if Capability.DUE_DATE in capabilities[p]][:1]
    if "depay" in providers:
        scenes.append(("depay", _failed))
    return scenes


async def capture(out: Path, home: Path, sizes=SIZES, providers: tuple[str, ...] | None = None) -> list[Path]:
    from app.providers.registry import PROVIDERS
    from app.runtime import open_runtime

    providers = tuple(providers or PROVIDERS)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    caps: dict[str, Capability] = {}
    for name in providers:
        rt = await open_runtime(demo=True, provider=name, home=home / f"caps-{name}")
        caps[name] = rt.controller.capabilities
        await rt.aclose()
    n = 0
    for provider, scene in plan(providers, caps):
        for width, height in sizes:
            n += 1
            rt = await open_runtime(demo=True, provider=provider, home=home / str(n), duration_s=300, poll_interval=0.1)
            window = compose(rt)
            try:
                window.resize(width, height)
                window.show()

                async def shoot(state: str) -> None:
                    await asyncio.sleep(0.3)  # let layout and paint settle
                    path = out / f"counter-{provider}-{state}-{width}x{height}.png"
                    window.grab().save(str(path))
                    written.append(path)

                await scene(rt, window, window.counter.model, shoot)
            finally:
                window.close()
                await rt.aclose()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = shots.parser("python -m tools.screenshots", __doc__.splitlines()[0])
    parser.add_argument("--provider", action="append", help="only these providers (repeatable)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    out = Path(args.out).resolve()
    with tempfile.TemporaryDirectory() as home:
        for path in shots.run(lambda app: capture(out, Path(home), providers=tuple(args.provider or ()) or None)):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
