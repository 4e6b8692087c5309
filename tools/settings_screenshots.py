"""Screenshots of the manager's screens for review: ``python -m tools.settings_screenshots [OUT_DIR]``.

In throw-away TILLQR_HOMEs, at 1280×800 and 800×480, writes to OUT_DIR (default ./screenshots):
``settings-first-run-<W>x<H>.png`` (no PIN yet), ``settings-errors-<W>x<H>.png`` (a save refused,
errors next to their fields), ``pin-dialog-<W>x<H>.png`` (a wrong PIN said in words, over the
counter), ``pin-at-start-<W>x<H>.png`` (the PIN asked at start-up: the configuration needs fixing)
and ``broken-config-<W>x<H>.png`` (start-up with a corrupt config.toml: demo counter, Settings open
with the key named). The keyring is an in-memory one (nothing touches the OS's).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
from PySide6.QtCore import QPoint
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication

from app.config import settings as st
from app.config.pin import hash_pin
from app.ui.app import compose, open_or_fallback
from tools import shots

SIZES = ((1280, 800), (800, 480))


async def _settle(app: QApplication, s: float = 0.3) -> None:
    for _ in range(int(s / 0.05)):
        app.processEvents()
        await asyncio.sleep(0.05)


def _grab(window, dialog=None):
    """The window, with ``dialog`` (a separate top-level window) drawn where it really is over it."""
    pix = window.grab()
    if dialog is not None:
        shot = dialog.grab()
        painter = QPainter(pix)
        painter.drawPixmap(dialog.mapToGlobal(QPoint(0, 0)) - window.mapToGlobal(QPoint(0, 0)), shot)
        painter.end()
    return pix


async def _scene(app, out: Path, name: str, size, prepare) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        config = home / "config" / "config.toml"
        prepare_file, act = prepare
        prepare_file(config)
        rt, problem = await open_or_fallback(demo=None, provider=None, home=home)
        window = compose(rt, config_file=config, problem=problem)
        window.resize(*size)
        window.show()
        await _settle(app)
        try:
            dialog = await act(window) if act else None
            await _settle(app)
            path = out / f"{name}-{size[0]}x{size[1]}.png"
            _grab(window, dialog).save(str(path))
            print(path)
        finally:
            if window.pin_dialog is not None:
                window.pin_dialog.reject()
            window.close()
            await rt.aclose()


def _nothing(config: Path) -> None:
    pass


def _corrupt(config: Path) -> None:
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[store]\nname = "Padaria Central"\ncity = "SAO PAULO"\nmcc = "54"\n', encoding="utf-8")


def _with_pin(config: Path) -> None:
    st.save(st.Settings(store_name="Padaria Central", pin_hash=hash_pin("1357")), config)


async def _open_settings(window):
    window.show_page("settings")


async def _errors(window):
    window.show_page("settings")
    view = window.settings
    view.editors["store.name"].setText("Padaria Central da Esquina do Bairro")
    view.model.set("store.name", view.editors["store.name"].text())
    view.model.set("store.country", "Brazil")
    view.model.set_pin("2468", "2468")
    view.save()


async def _pin(window):
    if window.pin_dialog is not None:  # the start-up asks (config incomplete); use the nav one instead
        window.pin_dialog.reject()
    window.request_page("settings")
    dialog = window.pin_dialog
    dialog.field.setText("0000")
    dialog.submit()
    return dialog


async def _pin_at_start(window):
    return window.pin_dialog  # asked by compose() for a configuration that needs fixing


async def main(out: Path) -> None:
    app = QApplication.instance()
    out.mkdir(parents=True, exist_ok=True)
    from tests.support.memkeyring import MemoryKeyring

    keyring.set_keyring(MemoryKeyring())
    for size in SIZES:
        await _scene(app, out, "settings-first-run", size, (_nothing, _open_settings))
        await _scene(app, out, "settings-errors", size, (_nothing, _errors))
        await _scene(app, out, "pin-dialog", size, (_with_pin, _pin))
        await _scene(app, out, "pin-at-start", size, (_with_pin, _pin_at_start))
        await _scene(app, out, "broken-config", size, (_corrupt, None))


def cli(argv: list[str] | None = None) -> int:
    args = shots.parser("python -m tools.settings_screenshots", __doc__.split("\n\n")[1].replace("\n", " ")).parse_args(
        sys.argv[1:] if argv is None else argv
    )
    shots.run(lambda app: main(Path(args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(cli())
