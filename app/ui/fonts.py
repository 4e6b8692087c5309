"""The fonts TillQR brings with it (resources/fonts/: Noto Sans and Noto Sans Devanagari, regular and bold,
under the SIL Open Font License), so text in any of its markets' scripts renders the same on a bare machine
(Debian minimal has DejaVu only, which has no Devanagari: Hindi would paint as boxes).

``load_bundled_fonts`` registers them with Qt's font database once per process (the GUI at start, the
printing code of the command line through ``app.ui.print_paint.ensure_app``); ``apply_app_font`` makes them
the application's font, Noto Sans first and Noto Sans Devanagari as its fallback, at the accessibility
setting's text scale.
"""

from __future__ import annotations

import logging

from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication

from app.config.paths import RESOURCES
from app.qr.printlayout import BUNDLED_FAMILIES

log = logging.getLogger("tillqr.ui")

FONT_DIR = RESOURCES / "fonts"
FONT_FILES = (
    "NotoSans-Regular.ttf",
    "NotoSans-Bold.ttf",
    "NotoSansDevanagari-Regular.ttf",
    "NotoSansDevanagari-Bold.ttf",
)
BASE_POINT_SIZE = 12.0  # the application font at 100 %; the style sheet sizes most text in px (app.ui.theme)

_loaded: list[str] = []


def load_bundled_fonts() -> list[str]:
    """Register the bundled font files with Qt (once; needs a QGuiApplication); the families now available.
    A file that is missing or unreadable is logged and skipped: the host's fonts then stand in."""
    if _loaded:
        return list(_loaded)
    families: list[str] = []
    for name in FONT_FILES:
        font_id = QFontDatabase.addApplicationFont(str(FONT_DIR / name))
        if font_id < 0:
            log.warning("bundled font %s could not be loaded; the machine's fonts are used instead", FONT_DIR / name)
            continue
        families += [f for f in QFontDatabase.applicationFontFamilies(font_id) if f not in families]
    _loaded.extend(families)
    return families


def app_font(text_scale: int = 100) -> QFont:
    """The application's font: the bundled families in order (Noto Sans, then Noto Sans Devanagari for what
    it lacks), ``text_scale`` percent of the base size."""
    font = QFont()
    font.setFamilies(list(BUNDLED_FAMILIES))
    font.setPointSizeF(BASE_POINT_SIZE * text_scale / 100)
    return font


def apply_app_font(app: QGuiApplication, text_scale: int = 100) -> QFont:
    """Load the bundled fonts and make them ``app``'s font; the font set."""
    load_bundled_fonts()
    font = app_font(text_scale)
    app.setFont(font)
    return font
