"""Screenshots of the counter and the customer display in the store's languages:
``python -m tools.language_screenshots [OUT_DIR] [--lang pt_BR --lang es …]``.

A real till on the in-process sandbox (a throw-away TILLQR_HOME), headless on two 1280×800 screens (the
cashier's and the customer's, as tools/display_screenshots.py); for each language a sale of 12.50 linked, then
paid through the sandbox. Writes ``lang-<lang>-<counter|display>-<linked|paid>.png`` to OUT_DIR.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication

from app.i18n import set_language
from tools import shots
from tools.display_screenshots import till_with_display, two_screens
from tools.screenshots import _typed, _until

LANGS = ("pt_BR", "es", "hi")


async def capture(_app: QApplication, out: Path, home: Path, languages: list[str]) -> list[Path]:
    from app.runtime import open_runtime  # lazy: after the platform is chosen

    written: list[Path] = []
    for n, language in enumerate(languages):
        rt = await open_runtime(demo=True, home=home / str(n), duration_s=300, poll_interval=0.05)
        try:
            set_language(language)  # as the store's [store] language would
            window, display = till_with_display(rt)
            model = window.counter.model

            async def shoot(state: str) -> None:
                await _until(lambda: display.isVisible() and display.width() > 0)
                for screen, widget in (("counter", window), ("display", display)):
                    path = out / f"lang-{language}-{screen}-{state}.png"
                    widget.grab().save(str(path))
                    written.append(path)

            _typed(model, "12.50")
            await model.charge()
            await _until(
                lambda: display.qr.payload() is not None and display.qr.payload() != (rt.link and rt.link.payload)
            )
            await shoot("linked")
            await model.simulate_payment()
            await _until(lambda: display.model.face.value == "paid" and model.mode.value == "paid")
            await shoot("paid")
            window.close_for_good()
        finally:
            await rt.aclose()
    return written


def main(argv: list[str] | None = None) -> int:
    p = shots.parser("tools.language_screenshots", __doc__.splitlines()[0] if __doc__ else "")
    p.add_argument("--lang", action="append", help="a language to shoot (repeatable; default: pt_BR, es, hi)")
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    languages = args.lang or list(LANGS)
    with tempfile.TemporaryDirectory() as tmp:
        two_screens(Path(tmp))
        paths = shots.run(lambda app: capture(app, out, Path(tmp) / "home", languages))
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
